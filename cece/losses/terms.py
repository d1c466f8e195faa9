"""Shared numerics: compute dtypes, default eps, per-sample terms and their reduction."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from cece.errors import OptionError
from cece.losses.validate import REDUCTIONS, check_choice
from cece.structs import struct

KINDS = ("logits", "probs", "log-probs")


def weigh(w, v):
    """``w · v`` (weights, factors: arrays or numbers, broadcast), 0 where ``w`` is 0 even
    against an infinite ``v``: a weight of 0 leaves the term out (0 · inf = 0, as for
    pos_weight), where IEEE's 0 · inf = NaN would make the whole mean NaN, silently."""
    with np.errstate(invalid="ignore"):  # 0 · inf, replaced below
        out = np.multiply(w, v, dtype=np.float64)
    zero = np.equal(w, 0)
    return np.where(zero, 0.0, out) if np.any(zero) else out


def compute_dtype(dtype: np.dtype) -> type[np.float64]:
    """float64, whatever the input: a block is converted when it is computed, so float32 data
    stay float32 in memory and still get float64 results (as the compiled kernels give)."""
    return np.float64


def default_eps(dtype: np.dtype) -> float:
    """The machine epsilon of the predictions' dtype, as scikit-learn's ``log_loss`` takes it
    (``xp.finfo(y_proba.dtype).eps``, sklearn/metrics/_classification.py, ≥ 1.5): float16's
    (2⁻¹⁰, −log eps = 6.93) for float16, float32's for float32, float64's otherwise (integer
    and other inputs are computed in float64)."""
    if dtype in (np.float16, np.float32):
        return float(np.finfo(dtype).eps)
    return float(np.finfo(np.float64).eps)


def clip_moves(v: np.ndarray, eps: float, unit: float, *, complement: bool = False) -> np.ndarray:
    """Where clipping ``v`` to ``[eps, 1 − eps]`` moves ``−log v`` (with ``complement``:
    ``−log(1 − v)``) by more than rounding: ``|log v − log clip(v)| > 2·unit·(1 + |log clip(v)|)``,
    ``unit`` the machine epsilon of the predictions' dtype (:func:`default_eps`).

    The rule behind ``stats.clipped`` and the clip warning. ``v = 0`` on a term with target mass
    (``−log 0 = inf`` made finite) and ``v`` well inside ``(0, eps)`` move; ``v = 1`` on its own
    term (``−log 1 = 0`` becomes ``−log(1 − eps) = eps`` with the default eps) does not: a shift
    of one unit of the dtype, the size of the rounding the stored probability already carries
    (a float64 1.0 stands for anything in [1 − 2⁻⁵⁴, 1]). With a larger ``--eps`` than the
    dtype's, that shift is the eps itself and counts. Values inside ``[eps, 1 − eps]`` never do.
    """
    v = np.asarray(v, dtype=np.float64)
    low, high = eps, 1 - eps
    clipped = np.minimum(np.maximum(v, low), high)
    with np.errstate(divide="ignore"):
        if complement:
            a, b = np.log1p(-v), np.log1p(-clipped)
        else:
            a, b = np.log(v), np.log(clipped)
    return np.abs(a - b) > 2 * unit * (1 + np.abs(b))


def count_clip_moves(
    p: np.ndarray,
    eps: float,
    unit: float,
    mass: np.ndarray | None = None,
    extent: tuple[float, float] | None = None,
) -> tuple[int, int]:
    """(below eps, above 1 − eps): the values of ``p`` (where ``mass``, the target's share of
    their ``−log p`` term, is non-zero) whose clip moves the loss (:func:`clip_moves`)."""
    if eps <= 0 or not p.size:
        return 0, 0
    lo, hi = (p.min(), p.max()) if extent is None else extent  # ``extent``: p's, known
    if lo >= eps and hi <= 1 - eps:  # the usual case, no temporaries (NaN: below)
        return 0, 0
    hit = (p < eps) | (p > 1 - eps)
    if mass is not None:
        hit &= mass
    if not hit.any():
        return 0, 0
    v = np.asarray(p[hit], dtype=np.float64)
    v = v[clip_moves(v, eps, unit)]
    below = int(np.count_nonzero(v < eps))
    return below, len(v) - below


@struct
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
    top_k: np.ndarray | None = None  # --top-k: is the true class among the K highest scores
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
    # kept by a fused kernel in its pass (exact in any order, so the same to the bit as numpy's
    # reductions): Σ correct, and (min, max) of loss
    correct_sum: float | None = None
    extrema: tuple[float, float] | None = None
    # (min, max) of the predictions the fused probability pass read (one column; NaN both
    # where one is NaN): their range checked without a pass of its own
    extent: tuple[float, float] | None = None


def weighted_mean(numerator: float, denominator: float) -> float:
    """The ``mean`` reduction, ``Σ sᵢℓᵢ / Σ weightᵢ``; ``nan`` when nothing counts (every
    sample ignored or weighted 0), as PyTorch gives (Keras gives 0). Negative class weights
    can make the denominator 0 with a numerator that is not: ``±inf``, as PyTorch divides."""
    if denominator:
        return numerator / denominator
    return math.copysign(math.inf, numerator) if numerator and numerator == numerator else math.nan


def reduce(numerator: float, denominator: float, reduction: str) -> float | None:
    """The one reduction, from a run's sums: ``sum`` → Σ numerator, ``mean`` → the weighted
    mean, ``none`` → None (the per-sample values are the result). Used by the library, the
    streaming engine (:class:`cece.engine.reduce.Summary`) and ``cece explain`` alike."""
    check_choice(reduction, REDUCTIONS, "reduction")
    if reduction == "none":
        return None
    return numerator if reduction == "sum" else weighted_mean(numerator, denominator)


def degenerate_denominator(count: int, weight_sum: float) -> str | None:
    """What is wrong with the mean's denominator Σ weight (class weights, sample weights,
    their product) over ``count`` samples that count, or None: it is 0 (weights all 0, or
    negative ones that cancel: the mean is nan or ±inf, PyTorch's ``x / 0``), or the sum
    overflowed float64 (weights near 1e308). The one rule: the library raises it
    (:func:`reduce_terms`), the engines warn with it (:func:`cece.checks.denominator_warning`).
    Every sample ignored (``count`` 0) is not this: the mean of nothing is nan, as PyTorch's."""
    if not count:
        return None
    if weight_sum == 0:
        return "the weights of the counted samples sum to 0"
    if not math.isfinite(weight_sum):
        return f"the weights of the counted samples sum to {weight_sum} (float64 overflows)"
    return None


def reduce_terms(terms: Terms, reduction: str) -> float | np.ndarray:
    """``none`` → per-sample array; ``sum`` → Σ numerator; ``mean`` → Σ numerator / Σ weight
    (refused where that denominator is 0 or overflows: :func:`degenerate_denominator`)."""
    with np.errstate(over="ignore"):  # an overflowing sum is refused below, in words
        denominator = float(np.sum(terms.weight))
    if reduction == "mean":
        problem = degenerate_denominator(int(np.count_nonzero(terms.valid)), denominator)
        if problem:
            raise OptionError(
                f"{problem}: the weighted mean is undefined",
                hint="reduction='sum' gives the weighted sum; scaled weights give the same mean",
            )
    value = reduce(float(np.sum(terms.numerator)), denominator, reduction)
    return terms.loss if value is None else value
