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
from cece.losses.temperature import check_temperature, divide


def distribution(
    x: np.ndarray, kind: str = "probs", *, renormalize: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """(p, log p) in float64 for a block of rows; log p is None for probabilities."""
    x = np.asarray(x, dtype=np.float64)
    if kind == "logits" or (kind == "log-probs" and renormalize):
        m, log_z, _ = kernels.lse_parts(x)
        # (x − m) − log z, not x − (m + log z): m + log z rounds log z (2e-16 beside 36) away,
        # and a confident row's entropy and KL are made of such terms (they were 3 % and 30 %
        # off on [36, 0])
        lp = (x - m[:, None]) - log_z[:, None]
        return np.exp(lp), lp
    if kind == "log-probs":
        return np.exp(x), x
    if kind != "probs":
        raise ValueError(f"kind must be 'probs', 'logits' or 'log-probs', not {kind!r}")
    return renormalized(x) if renormalize else x, None


def renormalized(x: np.ndarray) -> np.ndarray:
    """Rows divided by their sums (``--renormalize``: rows of counts, any finite values ≥ 0 with
    a positive sum). A row whose sum overflows (counts past 1.8e308 in all) is divided by its
    largest value first: divided by an infinite sum, it was a row of zeros."""
    with np.errstate(over="ignore"):
        sums = x.sum(axis=1, keepdims=True)
    out = x / sums
    if (over := np.isinf(sums[:, 0])).any():
        scaled = x[over] / x[over].max(axis=1, keepdims=True)
        out[over] = scaled / scaled.sum(axis=1, keepdims=True)
    return out


def entropy(
    p: np.ndarray,
    *,
    kind: str = "probs",
    renormalize: bool = False,
    temperature: float | None = None,
) -> np.ndarray:
    """H(p) of each row, in nats: ``H(p) = −Σ_c p_c log p_c`` with ``0 · log 0 = 0``.

    Args:
        p: (N, C) rows: probabilities in [0, 1] (as given, or divided by their sum with
            ``renormalize``), logits (softmax-ed) or log-probabilities (values ≤ 0), by ``kind``.
        kind: ``"probs"`` (the default, as scipy), ``"logits"`` or ``"log-probs"``.
        renormalize: divide probability rows by their sum first (scipy.stats.entropy does).
        temperature: T > 0: logits (``kind="logits"`` only) divided by T before the softmax.

    Returns:
        An (N,) float64 array.

    >>> entropy(np.array([[0.5, 0.5], [1.0, 0.0]])).round(6).tolist()
    [0.693147, 0.0]
    """
    check_temperature(temperature, "temperature")
    p = validate.distribution_arg(p, "p", kind, "kind", renormalize=renormalize)
    p = divide(p, temperature, kind, "p")
    return row_entropy(p, kind, renormalize=renormalize)


def kl_divergence(
    p: np.ndarray,
    q: np.ndarray,
    *,
    kind_p: str = "probs",
    kind_q: str = "probs",
    renormalize: bool = False,
    elementwise: bool = False,
    temperature: float | None = None,
) -> np.ndarray:
    """KL(p‖q) of each pair of rows, in nats: ``Σ_c p_c log(p_c / q_c)``.

    ``0 · log(0 / q) = 0``; ``inf`` where q is 0 and p is not (scipy.special ``rel_entr``).

    Args:
        p, q: (N, C) rows of the same shape, each of its kind (``kind_p``, ``kind_q``:
            ``"probs"``, ``"logits"`` or ``"log-probs"``), as in :func:`entropy`.
        renormalize: divide probability rows by their sum first (scipy.stats.entropy does).
        elementwise: return the (N, C) terms ``p · log(p / q)`` instead of their row sums
            (``scipy.special.rel_entr``; PyTorch's ``kl_div(log q, p, reduction="none")``).
        temperature: T > 0: P and Q (both logits) divided by T before the softmax, as
            distillation code's ``kl_div(log_softmax(s / T), softmax(t / T))`` (no T² factor).

    Returns:
        An (N,) float64 array ((N, C) with ``elementwise``).

    >>> kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.9, 0.1]])).round(6).tolist()
    [0.510826]
    """
    check_temperature(temperature, "temperature")
    p = validate.distribution_arg(p, "p", kind_p, "kind_p", renormalize=renormalize)
    q = validate.distribution_arg(q, "q", kind_q, "kind_q", renormalize=renormalize)
    p = divide(p, temperature, kind_p, "p", "kind_p")
    q = divide(q, temperature, kind_q, "q", "kind_q")
    if q.shape != p.shape:
        raise InputError(
            "q",
            f"shape {q.shape} does not match P's {p.shape} (p)",
            hint="P and Q need the same rows and columns",
        )
    if elementwise:
        return element_kl(p, q, kind_p, kind_q, renormalize=renormalize)
    return row_kl(p, q, kind_p, kind_q, renormalize=renormalize)


def row_entropy(p: np.ndarray, kind: str = "probs", *, renormalize: bool = False) -> np.ndarray:
    """:func:`entropy` without the argument checks (the engine checks its blocks itself)."""
    return entropy_terms(p, kind, renormalize=renormalize).sum(axis=1)


def entropy_terms(p: np.ndarray, kind: str = "probs", *, renormalize: bool = False) -> np.ndarray:
    """The terms ``−p · log p`` of H(p), element by element (``scipy.special.entr``)."""
    p, lp = distribution(p, kind, renormalize=renormalize)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, -p * (np.log(p) if lp is None else lp), 0.0)


def row_kl(
    p: np.ndarray,
    q: np.ndarray,
    kind_p: str = "probs",
    kind_q: str = "probs",
    *,
    renormalize: bool = False,
) -> np.ndarray:
    """:func:`kl_divergence` without the argument checks (the engine checks its blocks)."""
    return element_kl(p, q, kind_p, kind_q, renormalize=renormalize).sum(axis=1)


def element_kl(
    p: np.ndarray,
    q: np.ndarray,
    kind_p: str = "probs",
    kind_q: str = "probs",
    *,
    renormalize: bool = False,
) -> np.ndarray:
    """The (N, C) terms of KL(p‖q) of each pair of rows: PyTorch's ``kl_div(log q, p,
    reduction="none")``, as :func:`kl_terms` computes them."""
    p, lp = distribution(p, kind_p, renormalize=renormalize)
    q, lq = distribution(q, kind_q, renormalize=renormalize)
    return kl_terms(p, q, lp, lq)


def kl_terms(
    p: np.ndarray, q: np.ndarray, lp: np.ndarray | None = None, lq: np.ndarray | None = None
) -> np.ndarray:
    """The terms ``p · log(p / q)`` of KL(p‖q), element by element (PyTorch's ``kl_div`` with
    ``reduction="none"``): ``0`` where ``p = 0``, ``inf`` where ``q = 0 < p``. ``lp``/``lq``,
    where given, are the logs of ``p``/``q`` (logits and log-probabilities).

    Probabilities go through :func:`rel_entr`, which keeps every term's full relative precision;
    with a log given, the term is ``p · (log p − log q)``.
    """
    if lp is None and lq is None:
        return rel_entr(p, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.log(p) if lp is None else lp
        lq = np.log(q) if lq is None else lq
        terms = p * (lp - lq)
    return np.where(p > 0, np.where(q > 0, terms, np.inf), 0.0)


def rel_entr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x · log(x / y)`` element-wise as ``scipy.special.rel_entr`` computes it (SciPy ≥ 1.15,
    ``xsf/convex_analysis.h``): for ``1/2 < x/y < 2`` as ``x · log1p((x − y) / y)``, so nearly
    equal ``x`` and ``y`` keep full relative precision (``x · log(x / y)`` would lose it when
    ``log`` rounds a ratio next to 1); ``x · (log x − log y)`` where ``x / y`` under- or
    overflows; otherwise ``x · log(x / y)``. ``0`` where ``x = 0 ≤ y``, ``inf`` where
    ``y = 0 < x``. Inputs are non-negative (checked before)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = x / y
        out = x * np.log(ratio)
        close = (ratio > 0.5) & (ratio < 2)
        if close.any():
            out[close] = x[close] * np.log1p((x[close] - y[close]) / y[close])
        far = ~close & (x > 0) & (y > 0) & ~((ratio > np.finfo(np.float64).tiny) & (ratio < np.inf))
        if far.any():
            out[far] = x[far] * (np.log(x[far]) - np.log(y[far]))
    return np.where(x > 0, np.where(y > 0, out, np.inf), 0.0)
