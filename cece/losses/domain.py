"""Where the peers' domain is wider than "finite numbers": the rules that say how far.

* **−inf logits** are classes of probability 0 (masked classes: optax'
  ``safe_softmax_cross_entropy``, PyTorch's ``masked_fill(mask, -inf)`` before
  ``F.cross_entropy``). The softmax handles them exactly (``e^{−inf − m} = 0``); a −inf on the
  target class gives ``inf``. A row of −inf only has no distribution, and NaN and +inf have no
  meaning as logits: those stay errors. For the sigmoid, ``σ(−inf) = 0`` exactly: the element's
  loss is 0 for target 0 and ``inf`` for any target above 0.
* **Rows to renormalize** (``--renormalize``, scipy.stats.entropy's ``p / p.sum()``) may be
  counts: any finite row of values ≥ 0 with a positive sum.
* **Values wider than float64** (int64 and uint64 beyond 2^53, long doubles) are taken where
  float64 holds them exactly, as everything is computed in float64; others are refused
  (:func:`exact_in_float64`): rounded, logits 2^53 + 1 and 2^53 would tie.

This module imports only numpy and :mod:`cece.errors`; :mod:`cece.losses.validate` uses it.
"""

from __future__ import annotations

import math

import numpy as np

from cece.errors import InputError, OptionError, describe

NONFINITE_HINT = "remove or impute non-finite values first"
LOGITS_HINT = 'these look like logits: pass kind="logits"'


def exact_in_float64(x, name: str, first: int = 0, column: str | None = None) -> None:
    """Refuse predictions that float64 does not hold exactly: integers beyond 2^53 that are not
    among its values, and long doubles (``x``: an array, memory-mapped or lazy, read a chunk of
    rows at a time; ``first``: the input's row of its first row; ``column``: a 1-D ``x``'s
    name in its table). cece computes in float64,
    and the rounding would change the loss silently (the logits [2^53 + 1, 2^53] tie: 0.693
    for log(1 + e) = 1.313)."""
    kind, size = x.dtype.kind, x.dtype.itemsize
    if not ((kind in "iu" and size >= 8) or (kind == "f" and size > 8)):
        return
    rows = x.shape[0] if x.ndim else 1
    step = max(1, (1 << 20) // max(1, math.prod(x.shape[1:])))
    for start in range(0, rows, step):
        part = np.asarray(x[start : start + step] if x.ndim else x)
        block = part.reshape(len(part), -1) if x.ndim >= 2 else part.reshape(-1)
        if kind in "iu":
            bad = (block > 2**53) | (block < -(2**53)) if kind == "i" else block > 2**53
            if bad.any():  # beyond 2^53, float64 still holds some exactly (2^60): those pass
                big = block[bad].astype(np.float64)
                top = 2.0**63 if kind == "i" else 2.0**64
                inside = (big >= -top) & (big < top)  # -2^63 is a float64 and an int64
                exact = inside & (np.where(inside, big, 0).astype(block.dtype) == block[bad])
                bad[bad] = ~exact
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                bad = np.isfinite(block) & (block.astype(np.float64).astype(x.dtype) != block)
        if bad.any():
            row, col = first_true(bad)
            v = block[(row, col) if col is not None else row]
            shown = np.format_float_positional(v, unique=True, trim="-") if kind == "f" else str(v)
            raise InputError(
                name,
                f"{shown} ({x.dtype}) has no exact "
                "float64 value: cece computes in float64, and rounding it would change the "
                "loss",
                row=first + start + row if x.ndim else None,
                column=col if x.ndim == 2 else column,
                hint="convert the predictions to float64 first to accept the rounding",
            )


def real_numbers(values: object, option: str) -> np.ndarray:
    """An option's values as float64, where they are real numbers (integers, floats, True/False):
    complex ones, whose imaginary part numpy would drop with a warning, and text are refused."""
    try:
        a = np.asarray(values)
    except (TypeError, ValueError):  # rows of different lengths
        a = np.asarray(None)
    if a.dtype.kind not in "iufb":
        raise OptionError(f"{option} must be real numbers; got {describe(values)}")
    return a.astype(np.float64)


def first_true(mask: np.ndarray) -> tuple[int, int | None]:
    """(row, column) of the first True in a 1-D or 2-D mask (column None for 1-D)."""
    if mask.ndim == 1:
        return int(np.flatnonzero(mask)[0]), None
    r, c = np.argwhere(mask)[0]
    return int(r), int(c)


def nonfinite_error(
    flat: np.ndarray, mask: np.ndarray, start: int, name: str, what: str, columns: bool
) -> InputError:
    """``name: row R, column C: found nan value; expected a finite number`` for the first True
    of ``mask`` over ``flat`` (N, M) — the one wording of a non-finite value."""
    r, c = (int(v) for v in np.argwhere(mask)[0])
    return InputError(
        name,
        f"found {flat[r, c]} {what}; expected a finite number",
        row=start + r,
        column=c if columns else None,
        hint=NONFINITE_HINT,
    )


def logit_values(block: np.ndarray, start: int, name: str, *, softmax: bool) -> bool:
    """Logits (or log-probabilities): finite or −inf; NaN and +inf are errors, and, for a
    softmax (``softmax``), so is a row whose every value is −inf. Returns whether any value
    is −inf."""
    if block.dtype.kind != "f" or np.isfinite(block).all():
        return False
    flat = block.reshape(len(block), -1)
    bad = np.isnan(flat) | (flat == np.inf)
    if bad.any():
        raise nonfinite_error(flat, bad, start, name, "value", block.ndim > 1)
    if softmax:
        empty = np.flatnonzero(np.isneginf(flat).all(axis=1))
        if empty.size:
            raise InputError(
                name,
                "every value of the row is -inf; no class has a probability above 0",
                row=start + int(empty[0]),
                hint="a -inf logit is a class of probability 0; a row needs one finite value",
            )
    return True


def renormalizable(p: np.ndarray, start: int, name: str) -> None:
    """Rows divided by their sum (``--renormalize``): values ≥ 0 (counts welcome), and a
    positive sum."""
    neg = p < 0
    if neg.any():
        r, c = first_true(neg)
        value = p[r] if c is None else p[r, c]
        raise InputError(
            name,
            f"{value:.6g} is negative; rows to renormalize hold probabilities or counts ≥ 0",
            row=start + r,
            column=c,
        )
    with np.errstate(over="ignore"):  # a sum past float64's range is positive all the same
        zero = np.flatnonzero(p.sum(axis=1, dtype=np.float64) <= 0)
    if zero.size:
        raise InputError(
            name,
            "probabilities sum to 0; the row cannot be renormalized",
            row=start + int(zero[0]),
        )


def kind_values(
    kind: str,
    block: np.ndarray,
    start: int,
    name: str,
    *,
    hint: str = LOGITS_HINT,
    renormalize: bool = False,
) -> None:
    """Values impossible for the kind: probabilities outside [0, 1] (rows to renormalize:
    negative values, a sum of 0 — counts are welcome), log-probabilities > 0."""
    if kind == "probs" and renormalize:
        renormalizable(block, start, name)
        return
    if kind == "probs":
        mask = (block < 0) | (block > 1)
        expected = "is not a probability (expected a value in [0, 1])"
    elif kind == "log-probs":
        mask = block > 0
        expected = "is not a log-probability (expected a value ≤ 0)"
    else:
        return
    if mask.any():
        r, c = first_true(mask)
        value = block[r] if c is None else block[r, c]
        raise InputError(name, f"{value:.6g} {expected}", row=start + r, column=c, hint=hint)
