"""Reductions and streaming aggregates.

A :class:`Summary` holds mergeable sums — count, Σweight, Σweighted loss, Σloss with the
sum of squared deviations (Chan et al.'s pairwise update, exact to rounding), min, max, correct
count, and the ratio moments of the mean (:class:`~cece.engine.uncertainty.RatioMoments`, for
its standard error) — so blocks of one file, or shard summaries from ``cece merge``, combine
exactly. The median needs every per-sample loss; those are kept (8 bytes a sample) by
:class:`LossLog`.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import asdict, field, fields
from typing import Any

import numpy as np

from cece import _native as kernels
from cece.engine.uncertainty import RatioMoments
from cece.losses.terms import Terms, reduce, weighted_mean
from cece.structs import struct


@struct
class Summary:
    """Everything the aggregate table reports, as sums that merge exactly."""

    count: int = 0  # samples that count (not ignored)
    ignored: int = 0
    weighted_sum: float = 0.0  # Σ sᵢℓᵢ: the "sum" reduction
    weight_sum: float = 0.0  # Σ weight: the denominator of the "mean" reduction
    loss_sum: float = 0.0  # Σ ℓᵢ, unweighted
    loss_m2: float = 0.0  # Σ (ℓᵢ − mean ℓ)², unweighted
    min: float = math.inf
    max: float = -math.inf
    correct: float = 0  # binary counts the share of a sample's K elements right
    top_k_correct: float = 0  # --top-k: samples whose class is among the K highest scores
    entropy_sum: float = 0.0
    kl_sum: float = 0.0
    clipped_low: int = 0
    clipped_high: int = 0
    # (aᵢ, bᵢ) of the mean Σaᵢ/Σbᵢ over the samples that count; None: a document written
    # before cece kept them (its merges have no standard error)
    moments: RatioMoments | None = field(default_factory=RatioMoments)
    # what rounding left out of the four sums above as blocks and shards were added (the
    # sums are compensated, so they do not depend on how a dump was cut: one file and its
    # shards agree to an ulp); the sum itself is the field, the residual is below an ulp of it
    weighted_sum_lo: float = 0.0
    weight_sum_lo: float = 0.0
    loss_sum_lo: float = 0.0
    loss_m2_lo: float = 0.0

    @classmethod
    def of(
        cls,
        loss: np.ndarray,
        *,
        weighted_sum: float | None,
        weight_sum: float,
        ignored: int,
        correct: float,
        top_k_correct: float = 0,
        entropy: np.ndarray | None = None,
        kl: np.ndarray | None = None,
        clipped_low: int = 0,
        clipped_high: int = 0,
        moments: RatioMoments | None = None,
        extrema: tuple[float, float] | None = None,
        spread: bool = True,
    ) -> Summary:
        """The summary of one block; ``loss`` holds the losses of the samples that count,
        ``moments`` their (numerator, denominator share) pairs (default: a plain mean of
        ``loss``). ``weighted_sum`` None: the sum of ``loss`` (summed once); ``extrema``: its
        (min, max) where a kernel kept them in its pass (the same values, one pass fewer).
        ``spread=False``: no second pass for Σ (loss − mean)², which is then NaN (a run that
        prints the reduced value alone); the sum is the same, from the same pass."""
        block = Summary(
            count=len(loss),
            ignored=ignored,
            weighted_sum=0.0 if weighted_sum is None else weighted_sum,
            weight_sum=weight_sum,
            correct=correct,
            top_k_correct=top_k_correct,
            clipped_low=clipped_low,
            clipped_high=clipped_high,
            moments=moments,
        )
        if len(loss):
            # two passes, numpy's pairwise sums (an inf loss: the spread is nan)
            block.loss_sum, block.loss_m2 = kernels.loss_moments(loss, spread)
            block.min, block.max = (
                (float(loss.min()), float(loss.max())) if extrema is None else extrema
            )
        if weighted_sum is None:
            block.weighted_sum = block.loss_sum
        if moments is None:  # a plain mean: its residual sum is loss_m2, computed once above
            n = float(len(loss))
            block.moments = RatioMoments(len(loss), block.loss_sum, n, block.loss_m2, 0.0, n)
        if entropy is not None and kl is not None:
            block.entropy_sum, block.kl_sum = float(entropy.sum()), float(kl.sum())
        return block

    def merge(self, other: Summary) -> None:
        if self.moments is None or other.moments is None:
            self.moments = None if other.count or self.count else self.moments or other.moments
        else:
            self.moments.merge(other.moments)
        n, m = self.count, other.count
        if n and m:
            delta = other.loss_sum / m - self.loss_sum / n
            spread = delta * delta * n * m / (n + m)
            self.loss_m2, self.loss_m2_lo = added(
                (self.loss_m2, self.loss_m2_lo), (other.loss_m2, other.loss_m2_lo), spread
            )
        elif m:
            self.loss_m2, self.loss_m2_lo = other.loss_m2, other.loss_m2_lo
        for name in ("weighted_sum", "weight_sum", "loss_sum"):
            low = f"{name}_lo"
            pair = added(
                (getattr(self, name), getattr(self, low)),
                (getattr(other, name), getattr(other, low)),
            )
            setattr(self, name, pair[0])
            setattr(self, low, pair[1])
        for name in (
            "count",
            "ignored",
            "correct",
            "top_k_correct",
            "entropy_sum",
            "kl_sum",
            "clipped_low",
            "clipped_high",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.min, self.max = min(self.min, other.min), max(self.max, other.max)

    @property
    def mean(self) -> float:
        """The ``mean`` reduction: Σ sᵢℓᵢ / Σ weight (nan when nothing counts)."""
        return weighted_mean(self.weighted_sum, self.weight_sum)

    @property
    def std(self) -> float:
        """Population standard deviation of the per-sample losses (ddof = 0)."""
        return math.sqrt(max(self.loss_m2, 0.0) / self.count) if self.count else math.nan

    @property
    def stderr(self) -> float | None:
        """The standard error of :attr:`mean` (None: not kept by the document's writer)."""
        return None if self.moments is None else self.moments.stderr

    @property
    def accuracy(self) -> float:
        return self.correct / self.count if self.count else math.nan

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Summary:
        names = {f.name for f in fields(cls)} - {"moments"}
        values: dict[str, Any] = {
            k: float(v) if isinstance(v, str) else v  # from JSON
            for k, v in data.items()
            if k in names
        }
        moments = data.get("moments")
        return cls(**values, moments=None if moments is None else RatioMoments.from_dict(moments))


def added(a: tuple[float, float], b: tuple[float, float], c: float = 0.0) -> tuple[float, float]:
    """a + b (+ c) of (sum, residual) pairs, compensated (Knuth's TwoSum): the sum rounded,
    and what it left out. Whatever order blocks are added in, the sums agree to an ulp."""
    total = a[0] + b[0]
    if not math.isfinite(total):
        return total + c, 0.0
    back = total - a[0]
    low = (a[0] - (total - back)) + (b[0] - back) + a[1] + b[1]
    if c:
        with_c = total + c
        back = with_c - total
        low += (total - (with_c - back)) + (c - back)
        total = with_c
    high = total + low
    return high, low - (high - total)


def reduced(summary: Summary, reduction: str) -> float | None:
    """The value ``--reduction`` asks for (None for ``none``)."""
    return reduce(summary.weighted_sum, summary.weight_sum, reduction)


def block_moments(t: Terms, valid: np.ndarray | None, scale: float) -> RatioMoments | None:
    """The (aᵢ, bᵢ) of the reported mean Σaᵢ/Σbᵢ over the samples that count (``valid``; None:
    all): aᵢ the sample's numerator in the unit, bᵢ its share of the denominator. A sample is
    what the reduction's denominator counts: a row of binary N×K (bᵢ = K, or K·sᵢ), an element
    with --elementwise; ignored, shifted-off and masked positions are not samples."""
    n = len(t.loss)
    plain = t.weight is kernels.ones(n)
    if plain and t.numerator is t.loss:
        return None  # Summary.of takes a plain mean's moments from its own spread
    a, b = (t.numerator, t.weight) if valid is None else (t.numerator[valid], t.weight[valid])
    return RatioMoments.of(a if scale == 1.0 else a / scale, None if plain else b)


class LossLog:
    """Per-sample losses kept for the median (8 bytes a sample).

    With the row count known up front (arrays), each block's losses go straight into their rows
    of one preallocated array — from whichever worker computed the block — with ignored samples
    marked NaN; otherwise blocks are collected in order. The median is then one in-place
    partition, without numpy.median's copy.
    """

    def __init__(self, rows: int | None = None) -> None:
        self.rows = rows
        self._array = np.empty(rows) if rows else None
        self._parts: dict[int, np.ndarray] = {}

    def put(self, start: int, loss: np.ndarray, valid: np.ndarray | None) -> None:
        """Losses of rows start.. (``valid`` false where a sample is ignored)."""
        if self._array is not None and start + len(loss) <= len(self._array):
            out = self._array[start : start + len(loss)]
            out[:] = loss
            if valid is not None:
                out[~valid] = np.nan
        else:
            self._parts[start] = np.array(loss if valid is None else loss[valid], np.float64)

    def all(self) -> np.ndarray:
        """Every loss that counts, in one array the caller may reorder."""
        if self._array is not None and not self._parts:
            values = self._array
        else:
            head = [] if self._array is None else [self._array]
            values = (
                np.concatenate(head + [self._parts[k] for k in sorted(self._parts)])
                if head or self._parts
                else np.empty(0)
            )
        return values[~np.isnan(values)] if np.isnan(values).any() else values

    def median(self) -> float:
        values = self.all()
        n = len(values)
        if not n:
            return math.nan
        half = n // 2
        values.partition([half - 1, half] if n % 2 == 0 else [half])
        return midpoint(values[half - 1] if n % 2 == 0 else None, values[half])


def midpoint(lower: float | None, upper: float) -> float:
    """The median from its middle order statistics: ``upper`` alone for an odd count, else
    the mean of the two (the one formula of every engine, so their medians agree to the bit)."""
    return float(upper) if lower is None else float((np.float64(lower) + np.float64(upper)) / 2)


class Worst:
    """The K highest-loss samples seen so far, with their records (a bounded min-heap)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._heap: list[tuple[float, int, dict]] = []

    @staticmethod
    def candidates(loss: np.ndarray, keep: np.ndarray, records, k: int) -> list:
        """One block's K highest-loss rows (as heap items) — computed where the block is."""
        if k <= 0 or not keep.any():
            return []
        loss = np.where(keep, loss, -np.inf)
        top = np.argpartition(-loss, k - 1)[:k] if len(loss) > k else np.arange(len(loss))
        top = top[keep[top]]
        if not top.size:
            return []
        rec = records(top)
        return [
            (float(loss[i]), -int(rec["index"][j]), {key: v[j] for key, v in rec.items()})
            for j, i in enumerate(top)
        ]

    def offer(self, items: list) -> None:
        for item in items:
            if len(self._heap) < self.k:
                heapq.heappush(self._heap, item)
            elif item[:2] > self._heap[0][:2]:
                heapq.heapreplace(self._heap, item)

    def items(self) -> list[tuple[float, int, dict]]:
        """The heap items kept (loss, −index, record): another run's :meth:`offer` takes them."""
        return list(self._heap)

    def records(self) -> list[dict]:
        """Highest loss first; ties keep file order."""
        return [rec for _, _, rec in sorted(self._heap, key=lambda t: t[:2], reverse=True)]


def histogram(values: np.ndarray, *, bins: int = 20) -> dict:
    """Counts of finite values in ``bins`` equal bins over [min, max], plus the inf count."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    infinite = int(np.count_nonzero(np.isinf(values)))
    if not len(finite):
        return {"edges": [], "counts": [], "infinite": infinite}
    lo, hi = float(finite.min()), float(finite.max())
    if hi == lo:  # every loss the same: one bin
        return {"edges": [lo, hi], "counts": [len(finite)], "infinite": infinite}
    counts, edges = np.histogram(finite, bins=bins, range=(lo, hi))
    return {"edges": edges.tolist(), "counts": counts.tolist(), "infinite": infinite}
