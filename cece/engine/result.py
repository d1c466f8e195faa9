"""What a run computed, ready to render: :class:`Result` (a loss command's, a merge's, a
sharded run's)."""

from __future__ import annotations

import math
from dataclasses import field

from cece.engine.reduce import Summary, reduced
from cece.options import BASES
from cece.structs import struct


@struct
class Result:
    """What a run computed, ready to render."""

    command: str
    input: dict
    options: dict
    unit: str
    reduction: str
    summary: Summary
    median: float
    fields: list[str]  # per-sample record fields that apply
    head: list[dict] = field(default_factory=list)
    worst: list[dict] = field(default_factory=list)
    samples: list[dict] | None = None
    per_class: list[dict] | None = None
    warnings: list[str] = field(default_factory=list)
    classes: list[str] | None = None
    rows: int = 0
    has_accuracy: bool = True
    has_perplexity: bool = True
    histogram: dict | None = None
    sequences: list[dict] | None = None  # --per-sequence: one row a sequence
    sequence_stats: dict = field(default_factory=dict)  # sequence_mean, bits_per_byte, ...
    ran: dict = field(default_factory=dict)  # which kernels and text parsers computed the run

    @property
    def loss(self) -> float | None:
        return reduced(self.summary, self.reduction)

    @property
    def perplexity(self) -> float:
        nats = self.summary.mean * BASES[self.options["base"]][0]
        if not self.summary.count or math.isnan(nats):
            return math.nan
        return math.exp(nats) if nats < 709.78 else math.inf  # e^709.78 is float64's max
