"""Top-k accuracy: is the true class among the ``k`` highest-scored classes?

Ties are broken as scikit-learn's ``top_k_accuracy_score`` breaks them (1.9.1,
sklearn/metrics/_ranking.py: ``sorted_pred = np.argsort(y_score, axis=1,
kind="mergesort")[:, ::-1]``, a stable ascending sort reversed): among classes of equal score
the *higher* index ranks first. The target's rank is the number of classes scored above it
plus the number of equal-scored classes after it; it is in the top ``k`` when that rank is
below ``k``. So with ties ``k = 1`` can differ from ``accuracy``, whose arg-max takes the first
maximum (``np.argmax``, ``torch.argmax``). The ranking is the same for logits, probabilities
and log-probabilities (monotone), and under a temperature, so the raw scores are ranked. This
module imports only numpy, :mod:`cece.errors` and the kernels' buffers.
"""

from __future__ import annotations

import numpy as np

from cece import _native as kernels
from cece.errors import OptionError, describe


def check_top_k(k: object, option: str = "--top-k") -> int | None:
    """``--top-k must be an integer ≥ 1; got 0``."""
    if k is None:
        return None
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
        raise OptionError(f"{option} must be an integer ≥ 1; got {describe(k)}")
    return int(k)


def top_k_correct(scores: np.ndarray, target: np.ndarray, k: int) -> np.ndarray:
    """Per row of ``scores`` (N, C): whether class ``target[i]`` (in 0..C−1) is in the top
    ``k``. Two comparisons per element; the tie count only for rows a tie could decide."""
    n, c = scores.shape
    if k >= c:
        return np.ones(n, bool)
    scores = _order_keys(scores)
    rows = np.arange(n)
    s = scores[rows, target][:, None]
    mask = kernels.output("top_k_mask", n * c, np.bool_).reshape(n, c)
    above = _count(np.greater(scores, s, out=mask))
    hit = _count(np.greater_equal(scores, s, out=mask)) <= k  # counts the target itself
    tied = np.flatnonzero((above < k) & ~hit)  # the target's ties straddle rank k
    if tied.size:
        sub = scores[tied]
        after = (sub == s[tied]) & (np.arange(c)[None, :] > target[tied][:, None])
        hit[tied] = above[tied] + _count(after) < k
    return hit


def record_field(hit: np.ndarray | None, valid: np.ndarray, rows) -> dict[str, np.ndarray]:
    """Records' ``in_top_k`` (with --top-k): True/False, None (null) where the label is
    ignored; no field without it."""
    if hit is None:
        return {}
    out = hit[rows].astype(object)
    out[~valid[rows]] = None
    return {"in_top_k": out}


def _count(mask: np.ndarray) -> np.ndarray:
    """True values per row (a byte sum: faster than ``count_nonzero(axis=1)``)."""
    return np.add.reduce(mask.view(np.uint8), axis=1, dtype=np.int64)


def _order_keys(scores: np.ndarray) -> np.ndarray:
    """16-bit floats (float16, bfloat16: sign and magnitude) as int16 keys of the same order
    and ties, since numpy compares float16 in software (~10x slower than int16): negative
    values become minus their magnitude, so −0 and +0 tie. NaN never reaches here
    (predictions are checked finite or −inf first)."""
    if scores.dtype.itemsize != 2 or scores.dtype.kind not in "fV":
        return scores
    bits = np.ascontiguousarray(scores).view(np.int16)
    size = bits.size  # reused buffers in the engine's workers: fresh ones cost page faults
    sign = np.right_shift(
        bits, 15, out=kernels.output("top_k_sign", size, np.int16).reshape(bits.shape)
    )
    key = np.bitwise_and(  # the magnitude
        bits, np.int16(0x7FFF), out=kernels.output("top_k_key", size, np.int16).reshape(bits.shape)
    )
    np.bitwise_xor(key, sign, out=key)
    np.subtract(key, sign, out=key)  # −magnitude where negative (two's complement)
    return key
