"""Sigmoid (binary) cross-entropy, element-wise: binary, multi-label and soft targets.

For an element with logit ``x`` (or probability ``p``) and target ``y`` in [0, 1]:

.. math::

    \\ell = -\\big(w_+\\, y \\log p + (1 - y) \\log (1 - p)\\big),\\qquad p = \\sigma(x)

with ``w_+`` the positive-class weight (PyTorch's ``pos_weight``). A sample's loss is the mean of
its K elements (as Keras reports it); the ``mean`` reduction is the mean over all N·K elements
and ``sum`` their sum (as PyTorch reduces).

Numerical choices:

* From logits, ``−log σ(x) = softplus(−x)`` and ``−log(1 − σ(x)) = softplus(x)``, both as
  ``max(±x, 0) + log1p(e^{−|x|})``: finite and exact for logits of any size (x = ±100 gives
  exactly 100, x = 1e4 gives 1e4), and the loss is a sum of non-negative terms, so small losses
  keep their relative precision. This is PyTorch's ``(1 − y)·x + (1 + (w₊ − 1)·y)·softplus(−x)``
  regrouped as ``w₊·y·softplus(−x) + (1 − y)·softplus(x)``.
* From probabilities, ``p`` is clipped to ``[eps, 1 − eps]`` and ``log(1 − p)`` is taken as
  ``log1p(−p)``.
* Label smoothing moves targets toward ½: ``y ← y(1 − ε) + ε/2`` (Keras ``BinaryCrossentropy``).
* Focal loss multiplies each element by ``(1 − p_t)^γ`` with ``1 − p_t = (1 − y)p + y(1 − p)``,
  computed in log space as ``log((1 − y)·σ(x) + y·σ(−x))`` (optax ≥ 0.2.5), so large logits stay
  exact; with ``alpha`` the element is also weighted by ``α·y + (1 − α)(1 − y)`` (Keras'
  ``apply_class_balancing``).
* ``0 · log 0 = 0``: a term whose target weight is zero contributes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from cece import _native as kernels
from cece.losses import bernoulli
from cece.losses.terms import Terms, compute_dtype, default_eps, weigh


class _Fused(NamedTuple):
    terms: Terms
    bad_target: int  # the first row whose target is outside [0, 1] or NaN, or -1


def fused(
    kind: str,
    *,
    focal_gamma: float | None = None,
    focal_alpha: float | None = None,
    per_column: bool = False,
) -> bool:
    """Whether :func:`binary_terms` takes the fused one-pass kernel of logits (no focal terms,
    no per-column counts), which also checks that the logits are finite."""
    return kind == "logits" and one_pass(
        kind, focal_gamma=focal_gamma, focal_alpha=focal_alpha, per_column=per_column
    )


def one_pass(
    kind: str,
    *,
    focal_gamma: float | None = None,
    focal_alpha: float | None = None,
    per_column: bool = False,
    eps: float = 0.0,
) -> bool:
    """Whether :func:`binary_terms` takes a one-pass kernel (``kernels.bce_logits`` or
    ``kernels.bce_probs``): no focal terms, no per-column counts; probabilities clipped by
    ``0 <= eps < 1/2``."""
    if focal_gamma is not None or focal_alpha is not None or per_column:
        return False
    return kind == "logits" or (kind == "probs" and 0 <= eps < 0.5)


def binary_terms(
    preds: np.ndarray,
    targets: np.ndarray,
    *,
    kind: str = "logits",
    pos_weight: float | np.ndarray | None = None,
    label_smoothing: float = 0.0,
    sample_weight: np.ndarray | None = None,
    focal_gamma: float | None = None,
    focal_alpha: float | None = None,
    eps: float | None = None,
    threshold: float = 0.5,
    per_column: bool = False,
    rescale: np.ndarray | None = None,
    elementwise: bool = False,
    check_targets: Callable[[np.ndarray], None] | None = None,
) -> Terms:
    """Per-sample binary cross-entropy of ``preds`` (N, K) against ``targets`` (N, K).

    ``loss`` is each sample's mean over its K elements; ``weight`` is K·s (its share of the
    element-wise mean); ``correct`` the share of its K elements on the right side of
    ``threshold``; ``entropy``/``kl`` (means over K) are set when any target is soft.
    ``per_column`` adds ``columns``: per column, the count, loss sum and correct count.
    ``pos_weight`` broadcasts against (N, K) (one, one per column, or one per element).
    ``rescale`` (broadcast against (N, K)) multiplies each element's loss, as PyTorch's
    ``weight=`` does: the mean still divides by the count. ``elementwise`` gives one term per
    element (N·K of them, in C order) instead of one per sample.
    ``check_targets(targets)`` raises where a target is outside [0, 1] (naming the place): the
    fused kernel checks every target in its pass and calls it only when one is, the other paths
    call it first.
    """
    n, k = preds.shape
    unit = default_eps(np.dtype(np.float32) if preds.dtype == kernels.BFLOAT16 else preds.dtype)
    eps = unit if eps is None else eps
    plain = rescale is None and not elementwise and np.ndim(np.asarray(pos_weight)) < 2
    if plain and one_pass(
        kind, focal_gamma=focal_gamma, focal_alpha=focal_alpha, per_column=per_column, eps=eps
    ):
        y = targets if targets.dtype in (np.float32, np.float64) else targets.astype(np.float64)
        if label_smoothing:  # the raw targets are the ones to check
            if check_targets is not None:
                check_targets(targets)
            y = y * (1 - label_smoothing) + label_smoothing / 2
        if kind == "logits":
            t = _logits_fused(preds, y, targets, pos_weight, sample_weight, threshold)
        else:
            t = _probs_fused(preds, y, targets, pos_weight, sample_weight, threshold, eps, unit)
        if t.bad_target >= 0 and check_targets is not None:
            check_targets(targets)  # raises, naming the place
        return t.terms
    if check_targets is not None:
        check_targets(targets)
    if preds.dtype == kernels.BFLOAT16:  # bits reach only the fused kernels as they are
        preds = kernels.bfloat16_to_float32(preds)
    dtype = compute_dtype(preds.dtype)
    x = preds.astype(dtype, copy=False)
    y_raw = targets.astype(dtype, copy=False)
    y = y_raw * (1 - label_smoothing) + label_smoothing / 2 if label_smoothing else y_raw
    clipped_low = clipped_high = 0
    p: np.ndarray | None = None  # the probabilities used (clipped), for the KL excess
    if kind == "logits":
        nlp, nlq = bernoulli.softplus_pair(x)  # −log p, −log(1 − p)
        predicted = x > bernoulli.logit(threshold)
    elif kind == "probs":
        if eps > 0:
            clipped_low, clipped_high = bernoulli.clipped(x, y, eps, unit)
            p = np.clip(x, eps, 1 - eps)
        else:
            p = x
        with np.errstate(divide="ignore"):
            nlp, nlq = -np.log(p), -np.log1p(-p)
        predicted = x > threshold
    else:
        raise ValueError(f"kind must be 'logits' or 'probs', not {kind!r}")
    pw = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=dtype)
    ce = bernoulli.xmul(y, nlp) + bernoulli.xmul(1 - y, nlq)
    loss = ce if pos_weight is None else bernoulli.xmul(pw * y, nlp) + bernoulli.xmul(1 - y, nlq)
    if focal_gamma is not None or focal_alpha is not None:
        loss = _focal(loss, y, nlp, nlq, focal_gamma or 0.0, focal_alpha)
    if rescale is not None:
        loss = weigh(rescale, loss)
    s = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    out: dict = {}
    right = predicted == (y_raw >= 0.5)
    if per_column:
        out["columns"] = np.stack(
            [
                np.full(k, float(n)),
                loss.sum(axis=0, dtype=np.float64),
                right.sum(axis=0, dtype=np.float64),
            ]
        )
    if elementwise:
        excess = bernoulli.excess(y, ce, p)
        clipped = (clipped_low, clipped_high)
        return _elements(loss, excess, y, y_raw, nlp, predicted, s, clipped, out.get("columns"))
    soft = not np.all((y == 0) | (y == 1))
    if soft:
        h = bernoulli.binary_entropy(y)
        out["entropy"] = h.mean(axis=1, dtype=np.float64)
        out["kl"] = bernoulli.excess(y, ce, p).mean(axis=1, dtype=np.float64)
    if k == 1:
        out["target"] = y_raw[:, 0].astype(np.float64)

        def details(rows) -> dict[str, np.ndarray]:
            p_pos = np.exp(-nlp[rows, 0].astype(np.float64))
            positive = y_raw[rows, 0] >= 0.5
            return {
                "p": p_pos,
                "predicted": predicted[rows, 0].astype(np.intp),
                "p_target": np.where(positive, p_pos, 1 - p_pos),
            }

        out["details"] = details
    correct = right.mean(axis=1, dtype=np.float64)
    weight = np.full(n, float(k)) if s is None else k * s
    total = loss.sum(axis=1, dtype=np.float64)
    return Terms(
        loss=total / k,
        numerator=total if s is None else weigh(s, total),
        weight=weight,
        valid=np.ones(n, bool),
        correct=correct,
        sample_weight=s,
        clipped_low=clipped_low,
        clipped_high=clipped_high,
        **out,
    )


def _elements(
    loss, excess, y, y_raw, nlp, predicted, s, clipped: tuple[int, int], columns=None
) -> Terms:
    """One term per element of (N, K), in C order (PyTorch's ``reduction="none"`` shape,
    flattened): the ``mean`` reduction is the same mean over N·K elements."""
    m = loss.size
    sw = None if s is None else np.repeat(s, loss.shape[1])
    e = loss.reshape(-1).astype(np.float64)
    out: dict = {}
    if not np.all((y == 0) | (y == 1)):
        out["entropy"], out["kl"] = bernoulli.binary_entropy(y).reshape(-1), excess.reshape(-1)
    target = y_raw.reshape(-1).astype(np.float64)
    flat_nlp, flat_predicted = nlp.reshape(-1), predicted.reshape(-1)

    def details(rows) -> dict[str, np.ndarray]:
        p_pos = np.exp(-flat_nlp[rows].astype(np.float64))
        return {
            "p": p_pos,
            "predicted": flat_predicted[rows].astype(np.intp),
            "p_target": np.where(target[rows] >= 0.5, p_pos, 1 - p_pos),
        }

    return Terms(
        loss=e,
        numerator=e if sw is None else weigh(sw, e),
        weight=np.ones(m) if sw is None else sw,
        valid=np.ones(m, bool),
        correct=(flat_predicted == (target >= 0.5)).astype(np.float64),
        sample_weight=sw,
        target=target,
        details=details,
        clipped_low=clipped[0],
        clipped_high=clipped[1],
        columns=columns,
        **out,
    )


def _logits_fused(
    x: np.ndarray, y: np.ndarray, y_raw: np.ndarray, pos_weight, sample_weight, threshold: float
) -> _Fused:
    """Plain BCE from logits in one fused pass (``kernels.bce_logits``: compiled or numpy, the
    same numbers), which also checks the targets; the rest as in binary_terms."""
    n, k = x.shape
    total, right, finite, soft, checked = kernels.bce_logits(
        x, y, pos_weight, bernoulli.logit(threshold)
    )
    bad_target, right_sum, lo, hi = checked
    s = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    out: dict = {}
    if soft:
        yf = y.astype(np.float64)
        nlp, nlq = bernoulli.softplus_pair(kernels.as_float64(x))  # bfloat16 bits too
        h = bernoulli.binary_entropy(yf)
        out["entropy"] = h.mean(axis=1)
        out["kl"] = np.maximum(bernoulli.xmul(yf, nlp) + bernoulli.xmul(1 - yf, nlq) - h, 0).mean(
            axis=1
        )
    if k == 1:
        out["target"] = y_raw[:, 0]
        if n and bad_target < 0:  # counted in the pass, exactly
            out["correct_sum"], out["extrema"] = right_sum, (lo, hi)

        def details(rows) -> dict[str, np.ndarray]:
            xr = kernels.as_float64(x[rows, 0])
            p_pos = np.exp(-bernoulli.softplus_pair(xr)[0])
            return {
                "p": p_pos,
                "predicted": (xr > bernoulli.logit(threshold)).astype(np.intp),
                "p_target": np.where(y_raw[rows, 0] >= 0.5, p_pos, 1 - p_pos),
            }

        out["details"] = details
    return _Fused(_row_terms(total, right, s, k, finite=finite, **out), bad_target)


def _row_terms(total: np.ndarray, right: np.ndarray, s, k: int, **out) -> Terms:
    """The Terms of a fused kernel's per-row sums (loss and right counts over k elements)."""
    n = len(total)
    return Terms(
        loss=total / k if k > 1 else total,
        numerator=total if s is None else weigh(s, total),
        weight=(kernels.ones(n) if k == 1 else np.full(n, float(k))) if s is None else k * s,
        valid=kernels.ones(n, bool),
        correct=right / k if k > 1 else right,
        sample_weight=s,
        **out,
    )


def _probs_fused(
    x, y, y_raw, pos_weight, sample_weight, threshold: float, eps: float, unit: float
) -> _Fused:
    """Plain BCE from probabilities in one fused pass (``kernels.bce_probs``: compiled or
    numpy, the same numbers to an ulp), which also checks the targets; the clip's counts,
    and the entropy and excess of soft targets, in numpy where there are any."""
    n, k = x.shape
    total, right, hits, soft, checked, extent = kernels.bce_probs(x, y, pos_weight, threshold, eps)
    bad_target, right_sum, lo, hi = checked
    s = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    out: dict = {}
    # quiet: values or targets outside [0, 1] reach here where the caller checks them after
    # the pass (the engine's Task.range_in_pass; a bad target): then an error follows and
    # these figures are dropped, and no numpy warning may reach stderr first (a Dask worker)
    with np.errstate(invalid="ignore", divide="ignore"):
        if hits or soft:
            x64, yf = kernels.as_float64(x), y.astype(np.float64)
            if hits:
                out["clipped_low"], out["clipped_high"] = bernoulli.clipped(x64, yf, eps, unit)
            if soft:
                p = np.clip(x64, eps, 1 - eps) if eps > 0 else x64
                out["entropy"] = bernoulli.binary_entropy(yf).mean(axis=1, dtype=np.float64)
                out["kl"] = bernoulli.kl_probs(yf, p).mean(axis=1, dtype=np.float64)
    if k == 1:
        out["target"] = y_raw[:, 0]  # as read: a view, as _logits_fused keeps it
        out["extent"] = extent
        if n and bad_target < 0:  # counted in the pass, exactly
            out["correct_sum"], out["extrema"] = right_sum, (lo, hi)

        def details(rows) -> dict[str, np.ndarray]:
            xr = kernels.as_float64(x[rows, 0])
            with np.errstate(divide="ignore"):
                p_pos = np.exp(np.log(np.clip(xr, eps, 1 - eps) if eps > 0 else xr))
            return {
                "p": p_pos,
                "predicted": (xr > threshold).astype(np.intp),
                "p_target": np.where(y_raw[rows, 0] >= 0.5, p_pos, 1 - p_pos),
            }

        out["details"] = details
    return _Fused(_row_terms(total, right, s, k, **out), bad_target)


def _focal(loss, y, nlp, nlq, gamma: float, alpha: float | None) -> np.ndarray:
    # log(1 − p_t) = log((1 − y)·p + y·(1 − p)), in log space: exact for large |logits|
    with np.errstate(divide="ignore"):
        log_a = np.where(y < 1, np.log1p(-y) - nlp, -np.inf)
        log_b = np.where(y > 0, np.log(np.where(y > 0, y, 1)) - nlq, -np.inf)
    log_one_minus_pt = np.logaddexp(log_a, log_b)
    out = loss * np.exp(gamma * log_one_minus_pt) if gamma else loss
    if alpha is not None:
        out = weigh(alpha * y + (1 - alpha) * (1 - y), out)
    return out
