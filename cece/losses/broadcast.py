"""How per-element factors meet the elements they scale (``--rescale``, ``--pos-weight``), and
how the library's categorical loss takes a class axis anywhere (``class_axis``).

Factors broadcast against the (N, K) elements as PyTorch broadcasts ``weight=`` and
``pos_weight=``: one value; one per column (K,) or (1, K); one per element (N, K). Beyond
PyTorch, one per row: (N, 1), or (N,) where N ≠ K (Keras' ``sample_weight``, a factor on each
sample's loss). A 1-D factor of length K = N is refused, since PyTorch would read it per column
and Keras per row.
"""

from __future__ import annotations

import threading

import numpy as np

from cece.errors import InputError, OptionError
from cece.losses.domain import real_numbers

SHAPE_HINT = "one per row as a column [[w1], [w2], ...], one per column as a row [[w1, w2, ...]]"


def element_factors(values: object, columns: int, rows: int | None, option: str) -> np.ndarray:
    """``values`` as a 2-D float64 array that broadcasts against (rows, columns): its shape is
    (1 or rows, 1 or columns). ``rows`` is None where the row count is not known yet (then a
    row-wise factor's length is checked as the rows come, :class:`Rows`). Finite numbers (of
    any sign: PyTorch takes negative ``weight=`` and ``pos_weight=`` alike)."""
    w = real_numbers(values, option)
    if not np.isfinite(w).all():
        raise OptionError(f"{option} must be finite numbers")
    if w.ndim == 0 or (w.size == 1 and w.ndim <= 2):
        return w.reshape(1, 1)
    if w.ndim == 1:
        n = len(w)
        if columns > 1 and n == columns:
            if rows == n:
                raise ambiguous(option, n)
            return w.reshape(1, n)  # one per column (PyTorch broadcasting)
        if rows is not None and n != rows:
            per = f"one per column ({columns}) or one per row" if columns > 1 else "one per sample"
            raise OptionError(f"{option} has {n} values; expected 1 or {per} ({rows})")
        return w.reshape(n, 1)  # one per row (Keras' sample_weight)
    if w.ndim == 2 and w.shape[1] in (1, columns) and (rows is None or w.shape[0] in (1, rows)):
        return w
    r = rows or "N"
    raise OptionError(
        f"{option} has shape {w.shape}; expected one value, one per column ({columns},), one "
        f"per row ({r}, 1) or one per element ({r}, {columns})"
        if columns > 1
        else f"{option} has shape {w.shape}; expected one value or one per sample ({r},)"
    )


def fitting_shape(
    shape: tuple[int, ...], columns: int, rows: int | None, option: str
) -> str | None:
    """The shape factors of ``shape`` take against (rows, columns) elements, in words ("one
    per row (2)"), or None when :func:`element_factors` refuses them."""
    try:
        w = element_factors(np.ones(shape), columns, rows, option)
    except (InputError, OptionError):
        return None
    r, k = w.shape
    if r == 1 and k == 1:
        return "one value"
    if r == 1:
        return f"one per column ({k})"
    if k == 1:
        return f"one per row ({r})" if columns > 1 else f"one per sample ({r})"
    return f"one per element ({r}, {k})"


def ambiguous(option: str, n: int) -> OptionError:
    return OptionError(
        f"{option} has {n} values for {n} rows of {n} columns: one per row or one per column?",
        hint=f"give {option} {SHAPE_HINT}",
    )


class Rows:
    """A factor from :func:`element_factors`, sliced block by block; a row-wise factor must
    have exactly as many rows as the input (checked as blocks come, and by :meth:`finish`)."""

    def __init__(self, factors: np.ndarray, option: str, *, per_column_of: int = 0) -> None:
        self.factors, self.option = factors, option
        self.rows = factors.shape[0]
        self.per_column_of = per_column_of  # K of a 1-D factor read per column: N = K is refused
        self.seen = 0  # rows of the input seen so far
        self.lock = threading.Lock()

    def block(self, start: int, n: int) -> np.ndarray:
        with self.lock:
            self.seen = max(self.seen, start + n)
        if self.rows == 1:
            return self.factors
        if start + n > self.rows:
            raise OptionError(f"{self.option} has {self.rows} rows; the input has more")
        return self.factors[start : start + n]

    def finish(self) -> None:
        if self.rows != 1 and self.seen != self.rows:
            raise OptionError(f"{self.option} has {self.rows} rows; the input has {self.seen}")
        if self.per_column_of and self.seen == self.per_column_of:
            raise ambiguous(self.option, self.seen)


def move_classes(
    preds: np.ndarray, targets: np.ndarray, class_axis: int
) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """(N, C) predictions and (N,) or (N, C) targets from predictions with classes on
    ``class_axis`` and any other axes (flattened into samples in C order, as the CLI does),
    and the shape of one loss per sample. Dense targets have the predictions' shape, class axis
    included (PyTorch's (N, C, d…) soft targets); index targets the shape without it. A 1-D
    ``preds`` is one sample (PyTorch's unbatched input) with a scalar index or (C,) target."""
    if preds.ndim == 0:
        raise InputError(
            "preds", "has shape (); expected (N, C): a row of C class scores per sample"
        )
    if not -preds.ndim <= class_axis < preds.ndim:
        raise OptionError(
            f"class_axis {class_axis} is out of range for preds with {preds.ndim} "
            f"dimensions (shape {preds.shape})"
        )
    if preds.ndim == 1:
        if targets.ndim == 0:
            return preds[None, :], targets.reshape(1), ()
        if targets.shape == preds.shape:
            return preds[None, :], targets[None, :], ()
        raise InputError(
            "preds",
            f"has shape {preds.shape}; expected (N, C): a row of C class scores per sample",
            hint="1-D predictions are one sample, with one class index or one target row",
        )
    moved = np.moveaxis(preds, class_axis, -1)
    samples = moved.shape[:-1]
    flat = moved.reshape(-1, moved.shape[-1])
    if targets.shape == preds.shape and (preds.ndim > 2 or targets.ndim == 2):
        dense = np.moveaxis(targets, class_axis, -1).reshape(flat.shape)
        return flat, dense, samples
    if targets.shape == samples or targets.shape == (*samples, 1):  # Keras' (N, 1), (B, T, 1)
        return flat, targets.reshape(-1), samples
    if preds.ndim == 2 and class_axis % 2 == 1:
        return flat, targets, samples  # the usual (N, C): the checks word what does not fit
    raise InputError(
        "targets",
        f"labels have shape {targets.shape}; expected {samples} (one label per sample) or "
        f"{preds.shape} for dense targets (predictions: {preds.shape}, classes on axis "
        f"{class_axis % preds.ndim})",
    )
