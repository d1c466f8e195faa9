"""JSON documents: the result of a run (``-f json``), with stats and the mergeable summary.

Plain ``json.dumps`` to the stream (pipes need plain bytes); numbers at full precision. Every
document says which schema it follows (``schema_version``; the JSON Schema of a result is
``cece/report/result.schema.json``) and where it came from (``environment``: cece, Python and
numpy versions, the platform, and which kernels and text parsers ran).
"""

from __future__ import annotations

import math
from typing import TextIO

from cece import __version__
from cece.engine.result import Result
from cece.report.numbers import plain
from cece.report.uncertainty import DEFAULT_CONFIDENCE, interval_stats

SCHEMA_VERSION = 1  # bumped when a key changes meaning; keys are only ever added


def stats(result: Result) -> dict:
    s = result.summary
    out: dict[str, object]  # counts, floats, None, the clipped counts
    out = {
        "count": s.count,
        "ignored": s.ignored,
        "mean": s.mean,
        "sum": s.weighted_sum,
        "std": s.std,
        "min": s.min if s.count else math.nan,
        "max": s.max if s.count else math.nan,
        "median": None if result.command == "merge" else result.median,
    }
    more = interval_stats(
        s.moments, confidence(result), result.unit, perplexity=result.has_perplexity
    )
    out.update({k: more[k] for k in ("stderr", "ci") if k in more})
    if result.has_perplexity:
        out["perplexity"] = result.perplexity
        out.update({k: more[k] for k in ("perplexity_ci",) if k in more})
    if result.has_accuracy:
        out["accuracy"] = s.accuracy
        if result.options.get("top_k") is not None:  # --top-k: as accuracy, counted samples
            out["top_k_accuracy"] = s.top_k_correct / s.count if s.count else math.nan
    if "entropy" in result.fields and s.count:
        out["entropy"] = s.entropy_sum / s.count
        out["kl"] = s.kl_sum / s.count
    out.update(result.sequence_stats)  # --per-sequence, --bytes, --words
    if s.clipped_low or s.clipped_high:
        out["clipped"] = {"below_eps": s.clipped_low, "above_one_minus_eps": s.clipped_high}
    return out


def confidence(result: Result) -> float:
    """The interval's confidence (``--confidence``, JSON ``options.confidence``)."""
    return float(result.options.get("confidence", DEFAULT_CONFIDENCE))


def environment(ran: dict | None = None) -> dict:
    """Where a result came from: versions, platform, and which kernels and parsers ran."""
    import platform
    import sys

    import numpy as np

    from cece import _native

    return {
        "cece": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": f"{sys.platform}-{platform.machine()}",
        "compiled_kernels": bool(_native.FAST),
        **({} if _native.FAST else {"numpy_because": _native.numpy_because()}),
        **(ran or {}),
    }


def environment_line(env: dict) -> str:
    """``-v``: the environment record as one stderr line."""
    ran = [f"{k} {env[k]}" for k in ("kernels", "parser") if env.get(k)]
    compiled = "available" if env["compiled_kernels"] else "not available"
    because = f" ({env['numpy_because']})" if env.get("numpy_because") else ""
    return (
        f"cece {env['cece']} · Python {env['python']} · numpy {env['numpy']} · "
        f"{env['platform']} · compiled kernels {compiled}{because}"
        + "".join(f" · {r}" for r in ran)
    )


def header(command: str) -> dict:
    """The first keys of every document cece writes."""
    return {"cece_version": __version__, "schema_version": SCHEMA_VERSION, "command": command}


def document(result: Result) -> dict:
    doc = {
        **header(result.command),
        "input": result.input,
        "options": result.options,
        "unit": result.unit,
        "reduction": result.reduction,
        "loss": result.loss,
        "stats": stats(result),
    }
    if result.per_class is not None:
        doc["per_class"] = result.per_class
    if result.sequences is not None:
        doc["sequences"] = result.sequences
    if result.samples is not None:
        doc["samples"] = [_named(r, result) for r in result.samples]
    if result.worst:
        doc["worst"] = [_named(r, result) for r in result.worst]
    if result.histogram is not None:
        doc["histogram"] = result.histogram
    doc["warnings"] = result.warnings
    doc["summary"] = result.summary.to_dict()  # the mergeable sums (cece merge)
    doc["environment"] = environment(result.ran)
    return doc


def write_json(result: Result, out: TextIO) -> None:
    import json  # here: only -f json needs it

    out.write(json.dumps(plain(document(result)), indent=2, allow_nan=False) + "\n")


# N-D inputs: the sample's index along each label axis (sequence, position for two axes;
# axis0, axis1, ... for more)
POSITIONS = ["sequence", *[f"axis{i}" for i in range(64)], "position"]

FIELD_ORDER = [
    "index",
    *POSITIONS,
    "row",  # --elementwise: the element's row and column
    "column",
    "loss",
    "target",
    "target_class",
    "p",
    "predicted",
    "predicted_class",
    "p_target",
    "in_top_k",
    "accuracy",
    "entropy",
    "kl",
    "cross_entropy",
    "weight",
    "ignored",
    "shard",  # a sharded run: the PREDS file the sample is in, and its index there
    "shard_index",
]


NULLABLE = {"p_target"}  # nan here means "none" (an ignored sample has no probability): null


def _named(record: dict, result: Result) -> dict:
    """A record with the fields that apply, in the documented order."""
    return {
        k: None if k in NULLABLE and record[k] != record[k] else record[k]  # nan → null
        for k in FIELD_ORDER
        if k in record and k in result.fields
    }
