"""Shared numerics: compute dtypes, default eps, per-sample terms and their reduction."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cece.losses.validate import REDUCTIONS, check_choice

KINDS = ("logits", "probs", "log-probs")


def compute_dtype(dtype: np.dtype) -> type[np.float64]:
    """float64, whatever the input: a block is converted when it is computed, so float32 data
    stay float32 in memory and still get float64 results (as the compiled kernels give)."""
    return np.float64


def default_eps(dtype: np.dtype) -> float:
    """The machine epsilon of the predictions' dtype (scikit-learn ≥ 1.5 ``log_loss``):
    float32's for float16/float32 inputs, float64's otherwise."""
    return float(np.finfo(np.float32 if dtype in (np.float16, np.float32) else np.float64).eps)


@dataclass
class Terms:
    """Per-sample results for one block; the engine reduces and renders them.

    ``loss`` is PyTorch's ``reduction="none"`` value (class weights applied, 0 where ignored);
    the mean is ``Σ s·loss / Σ weight`` with ``s`` the sample weights and ``weight`` each
    sample's share of the denominator. ``entropy``/``kl`` are set for dense or smoothed
    targets, with ``entropy + kl`` the plain (unweighted, unmodulated) cross-entropy.
    ``target`` is the true class (for dense targets: the arg-max of the target row).
    ``details(rows)`` computes the fields that only shown or streamed rows need.
    """

    loss: np.ndarray
    numerator: np.ndarray  # each sample's share of the sum: s·loss (binary: s·Σ over K)
    weight: np.ndarray  # each sample's share of the mean's denominator
    valid: np.ndarray
    correct: np.ndarray  # 1/0 per sample (binary: the share of its K elements right)
    sample_weight: np.ndarray | None = None
    target: np.ndarray | None = None
    # per-row fields (predicted class, p_target, ...) for just the rows shown or streamed
    details: Callable[[slice | np.ndarray], dict[str, np.ndarray]] | None = None
    entropy: np.ndarray | None = None
    kl: np.ndarray | None = None
    clipped_low: int = 0
    clipped_high: int = 0
    columns: np.ndarray | None = None  # binary --per-class: (3, K) count, loss sum, correct
    finite: bool | None = None  # set by the compiled kernels: were all predictions finite?


def weighted_mean(numerator: float, denominator: float) -> float:
    """The ``mean`` reduction, ``Σ sᵢℓᵢ / Σ weightᵢ``; ``nan`` when nothing counts (every
    sample ignored or weighted 0), as PyTorch gives (Keras gives 0)."""
    return numerator / denominator if denominator else math.nan


def reduce(numerator: float, denominator: float, reduction: str) -> float | None:
    """The one reduction, from a run's sums: ``sum`` → Σ numerator, ``mean`` → the weighted
    mean, ``none`` → None (the per-sample values are the result). Used by the library, the
    streaming engine (:class:`cece.engine.reduce.Summary`) and ``cece explain`` alike."""
    check_choice(reduction, REDUCTIONS, "reduction")
    if reduction == "none":
        return None
    return numerator if reduction == "sum" else weighted_mean(numerator, denominator)


def reduce_terms(terms: Terms, reduction: str) -> float | np.ndarray:
    """``none`` → per-sample array; ``sum`` → Σ numerator; ``mean`` → Σ numerator / Σ weight."""
    value = reduce(float(np.sum(terms.numerator)), float(np.sum(terms.weight)), reduction)
    return terms.loss if value is None else value
