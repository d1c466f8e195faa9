"""Reductions and streaming aggregates.

A :class:`Summary` holds mergeable sums — count, Σweight, Σweighted loss, Σloss with the
sum of squared deviations (Chan et al.'s pairwise update, exact to rounding), min, max, correct
count — so blocks of one file, or shard summaries from ``cece merge``, combine exactly. The
median needs every per-sample loss; those are kept (8 bytes a sample) by :class:`LossLog`.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import asdict, dataclass, fields

import numpy as np


@dataclass
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
    correct: int = 0
    entropy_sum: float = 0.0
    kl_sum: float = 0.0
    clipped_low: int = 0
    clipped_high: int = 0

    def add(self, loss: np.ndarray, *, weighted_sum: float, weight_sum: float, ignored: int,
            correct: int, entropy: np.ndarray | None = None, kl: np.ndarray | None = None
            ) -> None:
        """Fold in one block; ``loss`` holds the losses of the samples that count."""
        block = Summary(count=len(loss), ignored=ignored, weighted_sum=weighted_sum,
                        weight_sum=weight_sum, correct=correct)
        if len(loss):
            block.loss_sum = float(loss.sum())
            with np.errstate(invalid="ignore"):  # an inf loss: the spread is undefined (nan)
                block.loss_m2 = float(np.square(loss - block.loss_sum / len(loss)).sum())
            block.min, block.max = float(loss.min()), float(loss.max())
        if entropy is not None and kl is not None:
            block.entropy_sum, block.kl_sum = float(entropy.sum()), float(kl.sum())
        self.merge(block)

    def merge(self, other: Summary) -> None:
        n, m = self.count, other.count
        if n and m:
            delta = other.loss_sum / m - self.loss_sum / n
            self.loss_m2 += other.loss_m2 + delta * delta * n * m / (n + m)
        elif m:
            self.loss_m2 = other.loss_m2
        for name in ("count", "ignored", "weighted_sum", "weight_sum", "loss_sum", "correct",
                     "entropy_sum", "kl_sum", "clipped_low", "clipped_high"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.min, self.max = min(self.min, other.min), max(self.max, other.max)

    @property
    def mean(self) -> float:
        """The ``mean`` reduction: Σ sᵢℓᵢ / Σ weight (nan when nothing counts)."""
        return self.weighted_sum / self.weight_sum if self.weight_sum else math.nan

    @property
    def std(self) -> float:
        """Population standard deviation of the per-sample losses (ddof = 0)."""
        return math.sqrt(max(self.loss_m2, 0.0) / self.count) if self.count else math.nan

    @property
    def accuracy(self) -> float:
        return self.correct / self.count if self.count else math.nan

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Summary:
        names = {f.name for f in fields(cls)}
        return cls(**{k: float(v) if isinstance(v, str) else v
                      for k, v in data.items() if k in names})


def reduced(summary: Summary, reduction: str) -> float | None:
    """The value ``--reduction`` asks for (None for ``none``)."""
    if reduction == "mean":
        return summary.mean
    if reduction == "sum":
        return summary.weighted_sum
    return None


class LossLog:
    """Per-sample losses kept for the median and for the worst-K view."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []

    def add(self, loss: np.ndarray) -> None:
        self._parts.append(np.asarray(loss, dtype=np.float64))

    def all(self) -> np.ndarray:
        return np.concatenate(self._parts) if self._parts else np.empty(0)

    def median(self) -> float:
        values = self.all()
        return float(np.median(values)) if len(values) else math.nan


class Worst:
    """The K highest-loss samples seen so far, with their records (a bounded min-heap)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._heap: list[tuple[float, int, dict]] = []

    def add(self, records: dict[str, np.ndarray], keep: np.ndarray) -> None:
        """Offer one block's records; only rows where ``keep`` is true are candidates."""
        loss = np.where(keep, records["loss"], -np.inf)
        if self.k <= 0 or not keep.any():
            return
        top = np.argsort(-loss, kind="stable")[: self.k] if len(loss) <= 4 * self.k else \
            np.argpartition(-loss, self.k - 1)[: self.k]
        for i in top:
            if not keep[i]:
                continue
            item = (float(loss[i]), -int(records["index"][i]),
                    {k: v[i] for k, v in records.items()})
            if len(self._heap) < self.k:
                heapq.heappush(self._heap, item)
            elif item[:2] > self._heap[0][:2]:
                heapq.heapreplace(self._heap, item)

    def records(self) -> list[dict]:
        """Highest loss first; ties keep file order."""
        return [rec for _, _, rec in sorted(self._heap, key=lambda t: t[:2], reverse=True)]
