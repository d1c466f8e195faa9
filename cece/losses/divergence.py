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
from cece.errors import InputError
from cece.losses import validate


def distribution(
    x: np.ndarray, kind: str = "probs", *, renormalize: bool = False
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
    """H(p) of each row, in nats: ``H(p) = −Σ_c p_c log p_c`` with ``0 · log 0 = 0``.

    Args:
        p: (N, C) rows: probabilities in [0, 1] (as given, or divided by their sum with
            ``renormalize``), logits (softmax-ed) or log-probabilities (values ≤ 0), by ``kind``.
        kind: ``"probs"`` (the default, as scipy), ``"logits"`` or ``"log-probs"``.
        renormalize: divide probability rows by their sum first (scipy.stats.entropy does).

    Returns:
        An (N,) float64 array.

    >>> entropy(np.array([[0.5, 0.5], [1.0, 0.0]])).round(6).tolist()
    [0.693147, 0.0]
    """
    p = validate.distribution_arg(p, "p", kind, "kind", renormalize=renormalize)
    return row_entropy(p, kind, renormalize=renormalize)


def kl_divergence(
    p: np.ndarray,
    q: np.ndarray,
    *,
    kind_p: str = "probs",
    kind_q: str = "probs",
    renormalize: bool = False,
) -> np.ndarray:
    """KL(p‖q) of each pair of rows, in nats: ``Σ_c p_c log(p_c / q_c)``.

    ``0 · log(0 / q) = 0``; ``inf`` where q is 0 and p is not (scipy.special ``rel_entr``).

    Args:
        p, q: (N, C) rows of the same shape, each of its kind (``kind_p``, ``kind_q``:
            ``"probs"``, ``"logits"`` or ``"log-probs"``), as in :func:`entropy`.
        renormalize: divide probability rows by their sum first (scipy.stats.entropy does).

    Returns:
        An (N,) float64 array.

    >>> kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.9, 0.1]])).round(6).tolist()
    [0.510826]
    """
    p = validate.distribution_arg(p, "p", kind_p, "kind_p", renormalize=renormalize)
    q = validate.distribution_arg(q, "q", kind_q, "kind_q", renormalize=renormalize)
    if q.shape != p.shape:
        raise InputError(
            "q",
            f"shape {q.shape} does not match P's {p.shape} (p)",
            hint="P and Q need the same rows and columns",
        )
    return row_kl(p, q, kind_p, kind_q, renormalize=renormalize)


def row_entropy(p: np.ndarray, kind: str = "probs", *, renormalize: bool = False) -> np.ndarray:
    """:func:`entropy` without the argument checks (the engine checks its blocks itself)."""
    p, lp = distribution(p, kind, renormalize=renormalize)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * (np.log(p) if lp is None else lp), 0.0)
    return terms.sum(axis=1)


def row_kl(
    p: np.ndarray,
    q: np.ndarray,
    kind_p: str = "probs",
    kind_q: str = "probs",
    *,
    renormalize: bool = False,
) -> np.ndarray:
    """:func:`kl_divergence` without the argument checks (the engine checks its blocks)."""
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
