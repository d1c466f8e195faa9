"""How sure a reported mean is, as JSON keys and table rows: ``stderr``, ``ci``, ``perplexity_ci``.

One place for every mean cece reports (the loss commands' ``stats``, ``cece merge``, and each
side of a comparison): :func:`interval_stats` turns the mean's
:class:`~cece.engine.uncertainty.RatioMoments` into the JSON keys, :func:`interval_rows` those
keys into rows of the aggregate table. The interval is mean ± t·stderr, Student's t at n − 1
degrees of freedom (``scipy.stats.t.interval``); the perplexity interval is base^bounds, base
the one of the reported unit, as ``perplexity`` is base^mean.
"""

from __future__ import annotations

import math

from cece.engine.uncertainty import RatioMoments, interval
from cece.options import SCALES
from cece.report.numbers import fmt

DEFAULT_CONFIDENCE = 0.95


def interval_stats(
    moments: RatioMoments | None, confidence: float, unit: str, *, perplexity: bool = True
) -> dict:
    """``{"stderr": s, "ci": [low, high], "perplexity_ci": [low, high]}`` of the mean the
    moments describe (in ``unit``); nan where fewer than two samples count; ``{}`` when the
    moments are unknown (a document written before cece kept them)."""
    if moments is None:
        return {}
    stderr = moments.stderr
    low, high = interval(moments.mean, stderr, moments.n, confidence)
    out: dict[str, object] = {"stderr": stderr, "ci": [low, high]}
    if perplexity:
        out["perplexity_ci"] = [_power(low, unit), _power(high, unit)]
    return out


def _power(value: float, unit: str) -> float:
    """base^value for the unit's base (e^(value·nats per unit))."""
    return exp_nats(value * SCALES[unit])


def exp_nats(nats: float) -> float:
    """e^nats: nan for nan (an interval of one sample), inf past float64's range."""
    if math.isnan(nats):
        return math.nan
    return math.exp(nats) if nats < 709.78 else math.inf  # e^709.78 is float64's max


def percent(confidence: float) -> str:
    """0.95 → ``95 %``, 0.999 → ``99.9 %``."""
    return f"{100 * confidence:.10g} %"


def interval_rows(stats: dict, confidence: float) -> dict[str, tuple[str, str]]:
    """The table rows of :func:`interval_stats`' keys, by the key they follow: ``mean`` →
    ``± stderr`` and ``95 % CI``; ``perplexity`` → ``perplexity 95 % CI``."""
    rows: dict[str, tuple[str, str]] = {}
    if "stderr" in stats:
        rows["stderr"] = ("± stderr", fmt(stats["stderr"]))
        rows["ci"] = (f"{percent(confidence)} CI", _pair(stats["ci"]))
    if "perplexity_ci" in stats:
        rows["perplexity_ci"] = (
            f"perplexity {percent(confidence)} CI",
            _pair(stats["perplexity_ci"]),
        )
    return rows


def _pair(bounds: list[float]) -> str:
    low, high = bounds
    return f"[{fmt(low)}, {fmt(high)}]"
