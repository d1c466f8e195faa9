"""Labels and targets, checked block by block: class indices, class names, binary and dense
targets, and how many probability rows do not sum to 1.

The rules and their wording live in :mod:`cece.losses.validate`; this module adds the file
names and the CLI's hints (re-exported by :mod:`cece.checks`).
"""

from __future__ import annotations

import threading
from dataclasses import field

import numpy as np

from cece import _native as kernels
from cece.errors import EMPTY_LABEL_HINT, InputError
from cece.io.layout import SCORE_PREFIXES, bare_names
from cece.losses import validate
from cece.structs import struct


@struct
class RowSums:
    """How many rows of probabilities do not sum to 1 (within ``tol``), and the first.

    Blocks may be checked by several threads at once, in any order: updates are locked and
    ``first`` is the lowest row seen, whatever the order.
    """

    tol: float
    count: int = 0
    first: tuple[int, float] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, sums: np.ndarray, start: int) -> None:
        _, r, count = kernels.off_one(sums, self.tol)
        if count:
            found = (start + r, float(sums[r]))
            with self.lock:
                self.count += count
                if self.first is None or found[0] < self.first[0]:
                    self.first = found


def index_targets(
    values: np.ndarray,
    start: int,
    name: str,
    n_classes: int,
    ignore_index: int | None,
    *,
    bounds: bool = True,
) -> np.ndarray:
    """Class indices as intp: integral, and in [0, C) unless equal to ignore_index
    (``bounds=False``: the range left to the compiled kernel, :func:`validate.index_targets`)."""
    return validate.index_targets(
        values,
        start,
        name,
        n_classes,
        ignore_index,
        ignore_option="--ignore-index {}",
        bounds=bounds,
    )


MISSING = ("NA", "N/A", "<NA>", "null", "NULL", "None", "NaN", "nan")  # a missing label, written


def name_targets(
    values: np.ndarray, start: int, name: str, classes: list[str] | None
) -> np.ndarray:
    """Class names → indices through the PREDS header or --classes (whose prefix every name
    shares, ``p_`` or ``prob_``..., is not part of the name: :func:`cece.io.layout.bare_names`).
    A missing label as R and polars write it (``NA``, ``null``...) is named as such: it made
    integer labels read as names, refused at another row."""
    texts = [_text(v).strip() for v in values]
    missing_at = next((r for r, t in enumerate(texts) if t in MISSING), None)
    if missing_at is not None and not (classes and texts[missing_at] in classes):
        raise InputError(
            name,
            f"missing label ({texts[missing_at]})",
            row=start + missing_at,
            hint="drop the rows of missing labels, or write a label such as -100 and pass "
            "--ignore-index -100",
        )
    if not classes:
        raise InputError(
            name,
            "labels are class names, but the classes are not named",
            hint="give PREDS a header row, or pass --classes a,b,c",
        )
    lookup = {c: i for i, c in enumerate(classes)}
    for i, bare in enumerate(bare_names(classes, SCORE_PREFIXES)):  # prob_cat is the class cat
        lookup.setdefault(bare, i)
    y = np.fromiter((lookup.get(_text(v).strip(), -1) for v in values), np.intp, len(values))
    missing = np.flatnonzero(y < 0)
    if missing.size:
        r = int(missing[0])
        if not _text(values[r]).strip():  # pandas' NaN: an empty cell
            raise InputError(name, "empty label", row=start + r, hint=EMPTY_LABEL_HINT)
        shown = ", ".join(classes[:8]) + (", ..." if len(classes) > 8 else "")
        raise InputError(
            name, f"class {_text(values[r])!r} is not one of the classes ({shown})", row=start + r
        )
    return y


def parse_label(text: str) -> float | None:
    """A label given on the command line (``--positive 1``) as a number, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def binary_targets(block: np.ndarray, start: int, name: str, *, minus_one: str) -> None:
    """Binary targets (N, K): finite, in [0, 1]; ``minus_one`` hints −1/+1 labels."""
    k = block.shape[1] if block.ndim == 2 else 1
    hint = (validate.BINARY_HINT, minus_one)
    validate.unit_interval(block, start, name, hint=hint, columns=k > 1)


def dense_targets(block: np.ndarray, start: int, name: str, stats: RowSums) -> None:
    """Dense (one-hot or soft) target rows: finite, in [0, 1]; row sums tracked."""
    validate.unit_interval(block, start, name, hint=validate.DENSE_HINT)
    stats.update(kernels.row_sums(block), start)


def _text(value: object) -> str:
    """A label as text: byte strings (NumPy's ``S`` arrays, as h5py gives them) decoded."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
