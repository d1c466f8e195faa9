"""The Bernoulli pieces of the sigmoid loss (:mod:`cece.losses.sigmoid`), element-wise in numpy:
``−log σ(x)`` and ``−log(1 − σ(x))`` from logits, products with 0·inf = 0, the targets' entropy,
the loss above it (KL), the clip's counts and the logit of a threshold.
"""

from __future__ import annotations

import math

import numpy as np

from cece.losses import divergence
from cece.losses.terms import clip_moves


def softplus_pair(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(−log σ(x), −log(1 − σ(x))) = (softplus(−x), softplus(x)), stably."""
    tail = np.log1p(np.exp(-np.abs(x)))
    return np.maximum(-x, 0) + tail, np.maximum(x, 0) + tail


def xmul(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    """y·v with 0·inf = 0."""
    with np.errstate(invalid="ignore"):
        out = y * v
    if not np.isfinite(v).all():
        out[y == 0] = 0
    return out


def binary_entropy(y: np.ndarray) -> np.ndarray:
    """H(y) = −(y log y + (1 − y) log(1 − y)), the least loss a prediction can reach."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0.0)
        b = np.where(y < 1, (1 - y) * np.log1p(-np.where(y < 1, y, 0)), 0.0)
    return -(a + b)


def excess(y: np.ndarray, ce: np.ndarray, p: np.ndarray | None) -> np.ndarray:
    """KL(Bernoulli(y) ‖ Bernoulli(p)) of each element, the loss above the targets' entropy:
    from probabilities ``rel_entr(y, p) + rel_entr(1 − y, 1 − p)``, each term with full
    relative precision (:func:`cece.losses.divergence.rel_entr`, SciPy's); from logits
    ``ce − H(y)``. Never below 0."""
    if p is None:
        return np.maximum(ce - binary_entropy(y), 0)
    return kl_probs(y, p)


def kl_probs(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """:func:`excess` from probabilities (the loss itself is not needed)."""
    with np.errstate(invalid="ignore"):
        kl = divergence.rel_entr(y, p) + divergence.rel_entr(1 - y, 1 - p)
    return np.maximum(np.where(np.isnan(kl), 0.0, kl), 0)


def clipped(p: np.ndarray, y: np.ndarray, eps: float, unit: float) -> tuple[int, int]:
    """(below eps, above 1 − eps): elements whose clip moves the loss beyond rounding
    (:func:`cece.losses.terms.clip_moves`): ``−log p`` where ``y > 0``, ``−log(1 − p)`` where
    ``y < 1``. A 0 or 1 on the side its target takes (p = 1, y = 1) moves nothing."""
    hit = (p < eps) | (p > 1 - eps)
    if not hit.any():
        return 0, 0
    v, t = p[hit].astype(np.float64), y[hit]
    moved = ((t > 0) & clip_moves(v, eps, unit)) | (
        (t < 1) & clip_moves(v, eps, unit, complement=True)
    )
    below = int(np.count_nonzero(moved & (v < eps)))
    return below, int(np.count_nonzero(moved)) - below


def logit(p: float) -> float:
    """log(p / (1 − p)): the logit of a probability threshold (±inf at 0 and 1)."""
    if p <= 0:
        return -math.inf
    if p >= 1:
        return math.inf
    return math.log(p) - math.log1p(-p)
