"""Validation rules shared by the library functions and the command line: one wording each.

Each rule lives here once. The library functions (``cece.categorical_cross_entropy`` and the
others) call them with the argument's name as the source (``targets: row 2: label 5 is out of
range for 3 classes (expected 0..2)``); :mod:`cece.checks` calls them with a file name and the
row where a block starts (``labels.csv: row 2: label 5 ...``). Only hints differ between the
two, where they name an option (``ignore_index=-100`` / ``--ignore-index -100``). Every error
is a :class:`cece.errors.CeceError`, a ``ValueError``. This module imports only numpy,
:mod:`cece.errors` and its neighbours (``domain``, ``tensors``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cece.errors import InputError, OptionError, describe, label_error
from cece.losses import domain
from cece.losses.domain import LOGITS_HINT, first_true, kind_values, logit_values, nonfinite_error
from cece.losses.tensors import plain, widened

KINDS = ("logits", "probs", "log-probs")
REDUCTIONS = ("mean", "sum", "none")

# -- values ---------------------------------------------------------------------------------------


def check_numbers(x: np.ndarray, name: str, expected: str = "numbers") -> None:
    """Real numbers only: no text, objects or complex values."""
    if x.dtype.kind not in "biuf":
        raise InputError(name, f"holds {x.dtype} values; expected {expected}")


def check_finite(block: np.ndarray, start: int, name: str, what: str = "value") -> None:
    """NaN or ±inf anywhere is an input error naming the first row and column."""
    if block.dtype.kind != "f" or np.isfinite(block).all():
        return
    flat = block.reshape(len(block), -1)
    raise nonfinite_error(flat, ~np.isfinite(flat), start, name, what, block.ndim > 1)


def unit_interval(
    block: np.ndarray, start: int, name: str, *, hint: str | tuple[str, str], columns: bool = True
) -> None:
    """Targets: finite and in [0, 1] (dense rows, binary targets); hint: or (hint, one for -1)."""
    hints = (hint, hint) if isinstance(hint, str) else hint
    check_finite(block, start, name, "target")
    if len(block) and block.min() >= 0 and block.max() <= 1:  # the common case, two reductions
        return
    mask = (block < 0) | (block > 1)
    if mask.any():
        r, c = first_true(mask)
        value = block[r] if c is None else block[r, c]
        raise InputError(
            name,
            f"target {value:g} is outside [0, 1]",
            row=start + r,
            column=c if columns else None,
            hint=hints[bool(value == -1)],
        )


DENSE_HINT = "dense targets are one-hot rows or probability rows"
BINARY_HINT = "binary targets are 0/1 labels or probabilities in [0, 1]"


# -- class indices --------------------------------------------------------------------------------


def index_targets(
    values: np.ndarray,
    start: int,
    name: str,
    n_classes: int,
    ignore_index: int | None,
    *,
    ignore_option: str = "ignore_index={}",
    bounds: bool = True,
) -> np.ndarray:
    """Class indices as intp: integral, and in [0, C) unless equal to ignore_index.

    ``bounds=False``: the range is left to the compiled fused kernel, which checks it in its
    pass; where it reports a label outside 0..C-1 the caller calls this again with ``bounds``
    to word the error (the same line either way)."""
    if values.dtype.kind == "f":
        check_finite(values, start, name, "label")
        frac = np.flatnonzero(values != np.round(values))
        if frac.size:
            r = int(frac[0])
            raise InputError(
                name,
                f"expected a class index, found {values[r]:g}",
                row=start + r,
                hint="labels must be whole numbers 0..C-1",
            )
        huge = np.flatnonzero(np.abs(values) >= 2.0**62)  # would not survive the cast to intp
        if huge.size:
            r = int(huge[0])
            raise label_error(
                float(values[r]), start + r, name, n_classes, ignore_option=ignore_option
            )
    elif values.dtype.kind not in "iub":
        raise InputError(name, f"expected class indices, found {values.dtype} values")
    if values.dtype.kind == "u" and values.dtype.itemsize >= np.dtype(np.intp).itemsize:
        huge = np.flatnonzero(values > n_classes - 1)  # would wrap around as intp
        if huge.size and int(values[huge[0]]) > np.iinfo(np.intp).max:
            r = int(huge[0])
            raise label_error(int(values[r]), start + r, name, n_classes)
    y = values if values.dtype == np.intp else values.astype(np.intp)
    if not bounds or (len(y) and y.min() >= 0 and y.max() < n_classes):
        return y  # the common case, in two fast reductions
    bad = (y < 0) | (y >= n_classes)
    if ignore_index is not None:
        bad &= y != ignore_index
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise label_error(int(y[r]), start + r, name, n_classes, ignore_option=ignore_option)
    return y


# -- options --------------------------------------------------------------------------------------


def _number(value: object, option: str) -> float:
    odd = (bool, np.bool_, np.complexfloating)  # numbers, but not real ones for an option
    if isinstance(value, odd) or not isinstance(value, (int, float, np.number)):
        raise OptionError(f"{option} must be a number; got {describe(value)}")
    return float(value)


def check_range(
    value: float | None, low: float, high: float, option: str, *, high_open=False, low_open=False
) -> None:
    """``--eps must be in [0, 0.5); got 0.5`` (NaN is never in range)."""
    if value is None:
        return
    value = _number(value, option)
    if not ((low < value) if low_open else (low <= value)) or not (
        (value < high) if high_open else (value <= high)
    ):  # NaN: never in range
        lb, hb = "(" if low_open else "[", ")" if high_open else "]"
        raise OptionError(f"{option} must be in {lb}{low:g}, {high:g}{hb}; got {value:g}")


def check_choice(value: object, choices: Sequence[str], option: str) -> None:
    """``reduction must be mean, sum or none; got 'avg'``."""
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(choices[:-1]) + f" or {choices[-1]}"
        raise OptionError(f"{option} must be {listed}; got {describe(value)}")


def check_count(count: int, expected: int, option: str, what: str) -> None:
    """``weight has 2 values; expected one per class (3)``."""
    if count != expected:
        raise OptionError(f"{option} has {count} values; expected {what} ({expected})")


def floats(values: object, option: str, one_dim: bool = False) -> np.ndarray:
    """An option's real numbers as a flat float64 array (a scalar gives one value); ``one_dim``:
    given as one value or a list of them."""
    w = domain.real_numbers(plain(values), option)
    if one_dim and w.ndim > 1 and w.shape[1:] != (1,):  # a column (N, 1) is a list
        raise OptionError(f"{option} must be one value or a list of them; got shape {w.shape}")
    return w.ravel()


def class_weights(values: object, option: str) -> np.ndarray:
    """Class weights: finite, negative ones allowed as PyTorch allows them (the library and the
    CLI alike; the weighted mean then divides by Σ w_{y_n}, whatever its sign, as PyTorch does)."""
    return weights_vector(values, "class weights", option, allow_negative=True)


def weights_vector(
    values: object, what: str, name: str, *, allow_negative: bool = False
) -> np.ndarray:
    """Finite weights, one dimension, as float64; ≥ 0 unless ``allow_negative`` (class weights,
    as PyTorch)."""
    w = floats(values, name, one_dim=True)
    if not np.isfinite(w).all():
        raise OptionError(f"{name}: {what} must be finite numbers")
    neg = np.flatnonzero(w < 0)
    if neg.size and not allow_negative:
        raise OptionError(
            f"{name}: {what} must be ≥ 0; found {w[neg[0]]:g} at position {int(neg[0])}"
        )
    return w


def sample_weights(values: np.ndarray, start: int, name: str) -> np.ndarray:
    """Sample weights read from a file or column: finite and ≥ 0, as float64."""
    w = np.asarray(values, dtype=np.float64).ravel()
    check_finite(w, start, name, "sample weight")
    neg = np.flatnonzero(w < 0)
    if neg.size:
        r = int(neg[0])
        raise InputError(
            name, f"sample weight {w[r]:g} is negative; expected weights ≥ 0", row=start + r
        )
    return w


def pos_weights(values: object, option: str, columns: int) -> np.ndarray | float:
    """``pos_weight``: finite numbers (0 and negative too: PyTorch's Loss.cpp takes any), one
    value or one per column (a float for one)."""
    w = floats(values, option)
    if not np.isfinite(w).all():
        raise OptionError(f"{option} must be finite numbers; got {', '.join(f'{v:g}' for v in w)}")
    if len(w) not in (1, columns):
        raise OptionError(f"{option} has {len(w)} values; expected 1 or one per column ({columns})")
    return float(w[0]) if len(w) == 1 else w


def check_integer(value: object, option: str) -> None:
    if value is not None and (
        isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
    ):
        raise OptionError(f"{option} must be an integer; got {describe(value)}")


# -- the library's arguments ----------------------------------------------------------------------


def as_array(x: object, name: str, expected: str = "numbers") -> np.ndarray:
    """An argument as an array of real numbers (``rows of different lengths`` for ragged lists),
    tensors and narrow floats as :mod:`cece.losses.tensors` reads them."""
    try:
        a = widened(np.asarray(plain(x)))
    except ValueError:
        raise InputError(
            name,
            "rows of different lengths",
            hint="every row of a nested list needs the same length",
        ) from None
    check_numbers(a, name, expected)
    return a


def not_empty(x: np.ndarray, name: str, class_axis: int = -1) -> None:
    """``no samples: shape (0, 3)``, ``no prediction columns: shape (2, 0)``: CLI and library."""
    if x.size or x.ndim == 0:
        return
    shape, axis = tuple(x.shape), (class_axis if -x.ndim <= class_axis < x.ndim else -1) % x.ndim
    if x.ndim == 1 or 0 in shape[:axis] + shape[axis + 1 :]:
        raise InputError(name, f"no samples: shape {shape}; expected at least one row")
    raise InputError(name, f"no prediction columns: shape {shape}")


def predictions(
    x: np.ndarray,
    name: str,
    kind: str,
    *,
    renormalize: bool = False,
    hint: str = LOGITS_HINT,
    softmax: bool | None = None,
) -> None:
    """Finite values, possible under ``kind``; rows to renormalize: ≥ 0 with a positive sum.
    ``softmax`` True/False: logits and log-probabilities may be −inf (a class of probability
    0; :func:`cece.losses.domain.logit_values`), rows of a softmax not all of them."""
    domain.exact_in_float64(x, name)
    if softmax is not None and kind != "probs":
        logit_values(x, 0, name, softmax=softmax)
    else:
        check_finite(x, 0, name)
    kind_values(kind, x, 0, name, hint=hint, renormalize=renormalize)


def sample_weight_arg(sample_weight: object, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    s = weights_vector(sample_weight, "sample weights", "sample_weight")
    check_count(len(s), n, "sample_weight", "one per sample")
    return s


def categorical_args(
    preds: object,
    targets: object,
    *,
    kind: str,
    reduction: str,
    weight: object,
    ignore_index: object,
    label_smoothing: float,
    sample_weight: object,
    focal_gamma: float | None,
    focal_alpha: float | None,
    eps: float | None,
    renormalize: bool,
):
    """``categorical_cross_entropy``'s arguments, checked: (preds, targets, weight, s)."""
    check_choice(kind, KINDS, "kind")
    check_choice(reduction, REDUCTIONS, "reduction")
    check_integer(ignore_index, "ignore_index")
    check_range(label_smoothing, 0.0, 1.0, "label_smoothing")
    check_range(eps, 0.0, 0.5, "eps", high_open=True)
    check_range(focal_gamma, 0.0, math.inf, "focal_gamma", high_open=True)
    check_range(focal_alpha, 0.0, math.inf, "focal_alpha", high_open=True)
    x = as_array(preds, "preds")
    if x.ndim != 2:
        raise InputError(
            "preds", f"has shape {x.shape}; expected (N, C): a row of C class scores per sample"
        )
    n, c = x.shape
    if c < 2:
        raise InputError(
            "preds",
            f"{c} prediction column; categorical cross-entropy needs 2 or more classes",
            hint="for one column of scores or probabilities "
            "use binary_cross_entropy_with_logits or binary_cross_entropy",
        )
    predictions(x, "preds", kind, renormalize=renormalize, softmax=True)
    t = as_array(targets, "targets", "class indices or target rows")
    if t.shape == (n, 1):  # Keras' sparse labels: one class index per sample
        t = t[:, 0]
    if t.ndim == 1 and len(t) == n:
        t = index_targets(t, 0, "targets", c, ignore_index)  # type: ignore[arg-type]
    elif t.shape == x.shape:
        if ignore_index is not None:
            raise OptionError(
                "ignore_index applies to class-index labels, not to dense "
                "targets (targets has one target column per class)"
            )
        unit_interval(t, 0, "targets", hint=DENSE_HINT)
    else:
        raise InputError(
            "targets",
            f"labels have shape {t.shape}; expected shape ({n},) (one "
            f"label per sample) or ({n}, {c}) for dense targets (predictions: "
            f"{x.shape})",
        )
    w = None
    if weight is not None:
        w = class_weights(weight, "weight")
        check_count(len(w), c, "weight", "one per class")
    return x, t, w, sample_weight_arg(sample_weight, n)


def binary_args(
    preds: object,
    targets: object,
    *,
    name: str,
    kind: str,
    reduction: str,
    pos_weight: object,
    label_smoothing: float,
    sample_weight: object,
    focal_gamma: float | None,
    focal_alpha: float | None,
    eps: float | None,
):
    """The binary losses' arguments, checked: (preds, targets, pos_weight, s); ``name`` is
    ``"probs"`` or ``"logits"``, as the function calls its first argument."""
    check_choice(reduction, REDUCTIONS, "reduction")
    check_range(label_smoothing, 0.0, 1.0, "label_smoothing")
    check_range(eps, 0.0, 0.5, "eps", high_open=True)
    check_range(focal_gamma, 0.0, math.inf, "focal_gamma", high_open=True)
    check_range(focal_alpha, 0.0, 1.0, "focal_alpha")  # α and 1 − α weigh the two classes
    x = as_array(preds, name)
    not_empty(x, name)
    if x.ndim not in (1, 2):
        raise InputError(
            name, f"has shape {x.shape}; expected (N,) or (N, K): one or K scores per sample"
        )
    predictions(
        x,
        name,
        kind,
        hint="these look like logits: use binary_cross_entropy_with_logits",
        softmax=False if kind == "logits" else None,
    )
    t = as_array(targets, "targets")
    if t.shape != x.shape:
        raise InputError(
            "targets",
            f"targets have shape {t.shape}; expected the predictions' "
            f"shape {x.shape} (from {name})",
        )
    unit_interval(t, 0, "targets", hint=BINARY_HINT, columns=x.ndim == 2)
    k = 1 if x.ndim == 1 else x.shape[1]
    pw = None if pos_weight is None else pos_weights(pos_weight, "pos_weight", k)
    return x, t, pw, sample_weight_arg(sample_weight, len(x))


def distribution_arg(
    p: object, name: str, kind: str, option: str, *, renormalize: bool
) -> np.ndarray:
    """Rows of a distribution (``entropy``, ``kl_divergence``), checked: an (N, C) array."""
    check_choice(kind, KINDS, option)
    x = as_array(p, name)
    not_empty(x, name)
    if x.ndim != 2:
        raise InputError(name, f"has shape {x.shape}; expected (N, C): one distribution per row")
    hint = f'these look like logits: pass {option}="logits"'
    predictions(x, name, kind, renormalize=renormalize, hint=hint, softmax=True)
    return x
