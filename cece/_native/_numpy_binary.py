"""The numpy versions of the compiled binary cross-entropy kernels (``bce_logits`` and
``bce_probs`` of ``cece/_native/_fast.c``): the same signatures and results, to float64
rounding; :mod:`cece._native._numpy` holds them with the other numpy kernels.

Where every target of a block is 0 or 1 each element's own side is taken (softplus(∓x), −log
c or −log1p(−c)): the bits of the weighted sum of both sides, in fewer passes."""

from __future__ import annotations

import numpy as np

from cece._native.widen import as_float64


def bce_logits(
    x: np.ndarray,
    k: int,
    y: np.ndarray,
    pos_weight: np.ndarray | None,
    threshold_logit: float,
    loss: np.ndarray,
    correct: np.ndarray,
    stats: np.ndarray | None = None,
) -> tuple[int, int]:
    """Binary cross-entropy of (n, k) logits, each row summed, into ``loss``.

    ``loss_i = Σ_j w_j y_ij softplus(−x_ij) + (1 − y_ij) softplus(x_ij)`` with
    ``softplus(x) = max(x, 0) + log1p(e^{−|x|})``; ``correct_i`` counts the elements on the
    right side of ``threshold_logit``. Returns (rows holding NaN or +inf, any target strictly
    between 0 and 1). ``stats`` (4 float64), when given, receives the first row whose target
    is outside [0, 1] or NaN (−1: none), and for k = 1 the sum of ``correct`` and the minimum
    and maximum of ``loss``.
    """
    n = len(loss)
    x = as_float64(x).reshape(n, k)
    y = np.asarray(y).reshape(n, k)
    checked, soft = _targets(y)
    y = y.astype(np.float64, copy=False)
    finite = bool(np.isfinite(x).all())
    tail = np.abs(x)  # then log1p(e^{−|x|}), in place: one temporary, not four
    np.negative(tail, out=tail)
    np.exp(tail, out=tail)
    np.log1p(tail, out=tail)
    up = y >= 0.5
    if checked < 0 and not soft:
        # targets 0 and 1 only: each element's own side, softplus(−x) on 1 and softplus(x)
        # on 0, the same bits as the weighted sum of both below (1·v + 0·w = v), in 5 passes
        terms = 1.0 - 2.0 * y  # ±1: x · it is exact (a masked negative is 5× slower)
        terms *= x
        np.maximum(terms, 0.0, out=terms)
        terms += tail
        if pos_weight is not None:  # a weight of 0 on an inf term: 0 (the term is absent)
            with np.errstate(invalid="ignore"):
                terms = _xmul(np.where(up, pos_weight, 1.0), terms, finite)
    else:
        nlq = np.maximum(x, 0.0)  # −log(1 − σ(x)) = max(x, 0) + log1p(e^{−|x|})
        nlq += tail
        nlp = np.negative(x)  # −log σ(x) = max(−x, 0) + log1p(e^{−|x|})
        np.maximum(nlp, 0.0, out=nlp)
        nlp += tail
        wy = y if pos_weight is None else pos_weight * y
        with np.errstate(invalid="ignore"):
            terms = _xmul(wy, nlp, finite)
            terms += _xmul(1 - y, nlq, finite)
    right = (x > threshold_logit) == up
    if k == 1:  # a sum over one column is the column
        np.copyto(loss, terms[:, 0])
        np.copyto(correct, right[:, 0])
    else:
        np.sum(terms, axis=1, dtype=np.float64, out=loss)
        np.sum(right, axis=1, dtype=np.float64, out=correct)
    if stats is not None:
        stats[0] = checked
        if k == 1 and n:
            stats[1:] = np.count_nonzero(right), loss.min(), loss.max()
        else:
            stats[1:] = 0.0, np.inf, -np.inf
    # −inf is a logit (σ = 0: 0 on target 0, inf above); NaN and +inf are not
    bad = 0 if finite else int(np.count_nonzero((np.isnan(x) | (x == np.inf)).any(axis=1)))
    return bad, int(soft)


def bce_probs(
    p: np.ndarray,
    k: int,
    y: np.ndarray,
    pos_weight: np.ndarray | None,
    threshold: float,
    eps: float,
    loss: np.ndarray,
    correct: np.ndarray,
    stats: np.ndarray,
) -> tuple[int, int]:
    """Binary cross-entropy of (n, k) probabilities, each row summed, into ``loss``:
    ``Σ_j w_j y_ij (−log c_ij) + (1 − y_ij)(−log1p(−c_ij))``, ``c = clip(p, eps, 1 − eps)`` (none
    at ``eps = 0``), 0·inf = 0; ``correct_i`` counts the elements with ``(p > threshold) == (y
    >= 0.5)``. Returns (elements the clip moved, any soft target); ``stats`` as
    :func:`bce_logits` fills it, then the (unchecked) probabilities' (min, max) for one column."""
    n = len(loss)
    x = as_float64(p).reshape(n, k)
    y = np.asarray(y).reshape(n, k)
    checked, soft = _targets(y)
    y = y.astype(np.float64, copy=False)
    c, hits = x, 0
    if eps > 0:
        hits = int(np.count_nonzero((x < eps) | (x > 1 - eps)))
        c = np.clip(x, eps, 1 - eps)
    up = y >= 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        nlp, nlq = -np.log(c), -np.log1p(-c)
        if checked < 0 and not soft:
            # targets 0 and 1 only: each element's own side, the bits of the weighted sum
            # below (+ 0.0: a zero term is +0.0 there, whichever side)
            if pos_weight is not None:  # a weight of 0 on -log 0 = inf: 0 (the term is absent)
                nlp = _xmul(np.broadcast_to(pos_weight, nlp.shape), nlp)
            terms = np.where(up, nlp, nlq)
            terms += 0.0
        else:
            wy = y if pos_weight is None else pos_weight * y
            terms = _xmul(wy, nlp) + _xmul(1 - y, nlq)
    right = (x > threshold) == up
    if k == 1:
        np.copyto(loss, terms[:, 0])
        np.copyto(correct, right[:, 0])
    else:
        np.sum(terms, axis=1, dtype=np.float64, out=loss)
        np.sum(right, axis=1, dtype=np.float64, out=correct)
    stats[0] = checked
    if k == 1 and n:
        stats[1:] = np.count_nonzero(right), loss.min(), loss.max(), x.min() + 0, x.max() + 0
    else:
        stats[1:] = 0.0, np.inf, -np.inf, np.inf, -np.inf
    return hits, int(soft)


def _first_bad_target(y: np.ndarray) -> int:
    """The first row of (n, k) targets holding one outside [0, 1] or NaN, or −1."""
    if not y.size or (y.min() >= 0 and y.max() <= 1):  # NaN fails both comparisons
        return -1
    return int(np.flatnonzero(~((y >= 0) & (y <= 1)).all(axis=1))[0])


def _targets(y: np.ndarray) -> tuple[int, bool]:
    """(:func:`_first_bad_target`, any target strictly between 0 and 1) of (n, k) targets."""
    return _first_bad_target(y), bool(np.any((y > 0) & (y < 1)))


def _xmul(y: np.ndarray, v: np.ndarray, finite: bool = False) -> np.ndarray:
    """y·v with 0·inf = 0 (``finite``: the logits are finite, so v is too)."""
    out = y * v
    if not finite and not np.isfinite(v).all():
        out[y == 0] = 0
    return out
