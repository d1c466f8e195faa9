"""The losses as plain functions over NumPy arrays (the library API).

Each returns one value per sample (``reduction="none"``) or its reduction, in nats (divide by
``log(base)`` for other units). The math lives in :mod:`cece.softmax` and :mod:`cece.sigmoid`;
these wrappers add the reduction, with PyTorch's definitions of the mean.
"""

from __future__ import annotations

import numpy as np

from cece.losses.terms import KINDS, Terms, compute_dtype, default_eps, reduce_terms
from cece.losses.sigmoid import binary_terms
from cece.losses.softmax import categorical_terms

__all__ = ["KINDS", "Terms", "binary_cross_entropy", "binary_terms", "categorical_cross_entropy",
           "categorical_terms", "compute_dtype", "default_eps", "reduce_terms"]


def categorical_cross_entropy(
    preds: np.ndarray,
    targets: np.ndarray,
    *,
    kind: str = "logits",
    reduction: str = "mean",
    weight: np.ndarray | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    sample_weight: np.ndarray | None = None,
    focal_gamma: float | None = None,
    focal_alpha: float | None = None,
    eps: float | None = None,
    renormalize: bool = False,
):
    """Categorical cross-entropy in nats, as ``torch.nn.functional.cross_entropy``.

    Args:
        preds: (N, C) logits, probabilities or log-probabilities (``kind``).
        targets: (N,) class indices, or (N, C) one-hot / probability rows.
        reduction: ``"mean"`` (PyTorch's weighted mean), ``"sum"`` or ``"none"``.
        weight: (C,) class weights. ignore_index: a class index to skip (index targets).
        label_smoothing: ε in [0, 1]; targets become (1 − ε)·t + ε/C.
        sample_weight: (N,) weights; the mean becomes Σ sᵢℓᵢ / Σ sᵢwᵢ (scikit-learn).
        focal_gamma, focal_alpha: Keras ``CategoricalFocalCrossentropy`` (α defaults to 1).
        eps: probability clip (default: machine epsilon of the dtype); 0 turns it off.
        renormalize: divide probability rows by their sum first (Keras).

    Returns:
        A float for ``mean``/``sum``; an (N,) array for ``none``.

    >>> x = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    >>> round(categorical_cross_entropy(x, np.array([0, 2])), 12)
    1.275268796472
    """
    preds = np.asarray(preds)
    targets = np.asarray(targets)
    terms = categorical_terms(
        preds, targets, kind=kind, weight=weight, ignore_index=ignore_index,
        label_smoothing=label_smoothing, sample_weight=sample_weight, focal_gamma=focal_gamma,
        focal_alpha=focal_alpha, eps=eps, renormalize=renormalize,
    )
    return reduce_terms(terms, reduction)


def binary_cross_entropy(
    preds: np.ndarray,
    targets: np.ndarray,
    *,
    kind: str = "logits",
    reduction: str = "mean",
    pos_weight: float | np.ndarray | None = None,
    label_smoothing: float = 0.0,
    sample_weight: np.ndarray | None = None,
    focal_gamma: float | None = None,
    focal_alpha: float | None = None,
    eps: float | None = None,
):
    """Binary cross-entropy in nats, as ``binary_cross_entropy_with_logits`` (or, for
    probabilities, ``binary_cross_entropy`` with cece's eps clipping).

    Args:
        preds: (N,) or (N, K) logits or probabilities (``kind``).
        targets: the same shape, values in [0, 1] (hard 0/1 or soft).
        reduction: ``"mean"`` over all elements, ``"sum"`` of all elements, or ``"none"``:
            one value per sample, the mean over its K elements.
        pos_weight: weight of the positive term, a scalar or one per column (PyTorch).
        label_smoothing: targets become y(1 − ε) + ε/2 (Keras).
        sample_weight: (N,) weights; the mean becomes Σ sᵢΣₖℓᵢₖ / (K Σ sᵢ).
        focal_gamma, focal_alpha: Keras ``BinaryFocalCrossentropy`` (α: class balancing).
        eps: probability clip (default: machine epsilon of the dtype); 0 turns it off.

    >>> round(binary_cross_entropy(np.array([0.7]), np.array([0.6]), kind="probs"), 12)
    0.695594088094
    >>> binary_cross_entropy(np.array([100.0, -100.0]), np.array([0.0, 1.0]), reduction="none")
    array([100., 100.])
    """
    preds, targets = np.asarray(preds), np.asarray(targets)
    if preds.ndim <= 1:
        preds, targets = preds.reshape(-1, 1), targets.reshape(-1, 1)
    terms = binary_terms(
        preds, targets, kind=kind, pos_weight=pos_weight, label_smoothing=label_smoothing,
        sample_weight=sample_weight, focal_gamma=focal_gamma, focal_alpha=focal_alpha, eps=eps)
    return reduce_terms(terms, reduction)
