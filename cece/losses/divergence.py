"""Entropy and Kullback–Leibler divergence of rows of distributions, as pure NumPy functions.

.. math::

    H(p) = -\\sum_c p_c \\log p_c, \\qquad
    \\mathrm{KL}(p \\| q) = \\sum_c p_c \\log \\frac{p_c}{q_c}, \\qquad
    H(p, q) = H(p) + \\mathrm{KL}(p \\| q)

Conventions (scipy.special ``entr`` and ``rel_entr``): ``0 · log 0 = 0`` and
``0 · log(0 / q) = 0``; ``p · log(p / 0) = inf`` for ``p > 0`` — KL is infinite where Q
gives zero probability to something P does not. Probability rows are used as given; rows
computed the way ``scipy.stats.entropy(pk, qk, axis=1)`` computes them (``rel_entr`` summed
with ``np.sum``), so for rows that sum to 1 the two agree to the last bits (SciPy also divides
each row by its sum; pass ``renormalize=True`` for that). Logits (and, with ``renormalize``,
log-probabilities) are turned into distributions by softmax, computed as ``exp(log_softmax)``.
"""

from __future__ import annotations

import numpy as np

from cece import _native as kernels


def distribution(x: np.ndarray, kind: str = "probs", *, renormalize: bool = False
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """(p, log p) in float64 for a block of rows; log p is None for probabilities."""
    x = np.asarray(x, dtype=np.float64)
    if kind == "logits" or (kind == "log-probs" and renormalize):
        m, log_z, _ = kernels.lse_parts(x)
        lp = x - (m + log_z)[:, None]
        return np.exp(lp), lp
    if kind == "log-probs":
        return np.exp(x), x
    if kind != "probs":
        raise ValueError(f"kind must be 'probs', 'logits' or 'log-probs', not {kind!r}")
    if renormalize:
        x = x / x.sum(axis=1, keepdims=True)
    return x, None


def entropy(p: np.ndarray, *, kind: str = "probs", renormalize: bool = False) -> np.ndarray:
    """H(p) of each row, in nats.

    >>> entropy(np.array([[0.5, 0.5], [1.0, 0.0]])).round(6).tolist()
    [0.693147, 0.0]
    """
    p, lp = distribution(p, kind, renormalize=renormalize)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * (np.log(p) if lp is None else lp), 0.0)
    return terms.sum(axis=1)


def kl_divergence(p: np.ndarray, q: np.ndarray, *, kind_p: str = "probs",
                  kind_q: str = "probs", renormalize: bool = False) -> np.ndarray:
    """KL(p‖q) of each pair of rows, in nats (``inf`` where q is 0 and p is not).

    >>> kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.9, 0.1]])).round(6).tolist()
    [0.510826]
    """
    p, lp = distribution(p, kind_p, renormalize=renormalize)
    q, lq = distribution(q, kind_q, renormalize=renormalize)
    with np.errstate(divide="ignore", invalid="ignore"):
        if lp is None and lq is None:
            terms = p * np.log(p / q)  # scipy.special.rel_entr, term for term
        else:
            lp = np.log(p) if lp is None else lp
            lq = np.log(q) if lq is None else lq
            terms = p * (lp - lq)
    terms = np.where(p > 0, np.where(q > 0, terms, np.inf), 0.0)
    return terms.sum(axis=1)
