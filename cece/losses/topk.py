"""Top-k accuracy: is the true class among the ``k`` highest-scored classes?

Ties are broken as scikit-learn's ``top_k_accuracy_score`` breaks them (1.9.1,
sklearn/metrics/_ranking.py: ``sorted_pred = np.argsort(y_score, axis=1,
kind="mergesort")[:, ::-1]``, a stable ascending sort reversed): among classes of equal score
the *higher* index ranks first. The target's rank is the number of classes scored above it
plus the number of equal-scored classes after it; it is in the top ``k`` when that rank is
below ``k``. So with ties ``k = 1`` can differ from ``accuracy``, whose arg-max takes the first
maximum (``np.argmax``, ``torch.argmax``). The ranking is the same for logits, probabilities
and log-probabilities (monotone), and under a temperature, so the raw scores are ranked. This
module imports only numpy and :mod:`cece.errors`.
"""

from __future__ import annotations

import numpy as np

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
    rows = np.arange(n)
    s = scores[rows, target][:, None]
    above = np.count_nonzero(scores > s, axis=1)
    at_least = np.count_nonzero(scores >= s, axis=1)  # counts the target itself
    hit = at_least <= k
    tied = np.flatnonzero((above < k) & ~hit)  # the target's ties straddle rank k
    if tied.size:
        sub = scores[tied]
        before = (sub == s[tied]) & (np.arange(c)[None, :] > target[tied][:, None])
        hit[tied] = above[tied] + np.count_nonzero(before, axis=1) < k  # ties after it
    return hit
