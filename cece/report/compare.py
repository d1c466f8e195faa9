"""``cece compare``'s output: the JSON document, the side-by-side table, per-sample records."""

from __future__ import annotations

import csv
import json
import math
from typing import TextIO

import numpy as np

from cece.engine.compare import SIDES, Comparison
from cece.engine.result import Result
from cece.engine.task import Records
from cece.engine.uncertainty import RatioMoments, interval
from cece.options import BASES
from cece.report.documents import POSITIONS, environment, header, stats
from cece.report.numbers import fmt, number, plain, sig
from cece.report.records import csv_text
from cece.report.uncertainty import exp_nats

RECORD_FIELDS = ("index", *POSITIONS, "target", "baseline", "candidate", "delta", "ignored")


def side_stats(result: Result, moments: RatioMoments, confidence: float) -> dict:
    """A model's usual ``stats``, without the median (compare keeps no per-sample losses), with
    the standard error of its mean and its interval at compare's ``--confidence`` (the same
    ratio-estimator formula as every loss command's; the perplexity interval where the stats
    carry one)."""
    out = stats(result)
    out.pop("median", None)
    low, high = interval(moments.mean, moments.stderr, moments.n, confidence)
    out["stderr"], out["ci"] = moments.stderr, [low, high]
    if "perplexity_ci" in out:
        scale = BASES[result.options["base"]][0]
        out["perplexity_ci"] = [exp_nats(low * scale), exp_nats(high * scale)]
    return out


def document(comparison: Comparison) -> dict:
    doc: dict = header("compare")
    runs = (comparison.baseline, comparison.candidate)
    for name, result, moments in zip(SIDES, runs, comparison.paired.sides):
        doc[name] = {
            "input": result.input,
            "options": result.options,
            "loss": result.loss,
            "stats": side_stats(result, moments, comparison.confidence),
            "summary": result.summary.to_dict(),
        }
    doc["command_compared"] = runs[0].command
    doc["unit"] = runs[0].unit
    doc["delta"] = comparison.delta
    doc["warnings"] = [
        *runs[0].warnings,
        *(w for w in runs[1].warnings if w not in runs[0].warnings),
    ]
    doc["environment"] = environment(runs[0].ran)
    return doc


def write_json(comparison: Comparison, out: TextIO) -> None:
    out.write(json.dumps(plain(document(comparison)), indent=2, allow_nan=False) + "\n")


def quiet(comparison: Comparison, out: TextIO) -> None:
    """-q: Δ alone."""
    out.write(number(comparison.delta["mean"]) + "\n")


def _interval(pair):
    from rich.text import Text  # brackets as text, not markup

    return Text(f"[{fmt(pair[0])}, {fmt(pair[1])}]")


def table(comparison: Comparison):
    """Both models side by side, a Δ column, and the paired counts under it."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    doc = document(comparison)
    b, c, d = doc["baseline"], doc["candidate"], doc["delta"]
    pct = f"{100 * comparison.confidence:g}%"
    title = (
        f"{doc['command_compared']} cross-entropy · baseline {b['input'].get('kind')}, "
        f"candidate {c['input'].get('kind')} · {doc['unit']}"
    )
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    t.add_column("")
    for name in ("baseline", "candidate", "Δ (candidate − baseline)"):
        t.add_column(name, justify="right")
    bs, cs = b["stats"], c["stats"]
    t.add_row(
        Text("mean loss", style="bold"),
        fmt(b["loss"]),
        fmt(c["loss"]),
        Text(fmt(d["mean"]), style="bold cyan"),
    )
    t.add_row("standard error", fmt(bs["stderr"]), fmt(cs["stderr"]), fmt(d["stderr"]))
    t.add_row(f"{pct} interval", _interval(bs["ci"]), _interval(cs["ci"]), _interval(d["ci"]))
    if "bootstrap_ci" in d:
        t.add_row(f"bootstrap {pct}", "", "", _interval(d["bootstrap_ci"]))
    for key in ("perplexity", "accuracy"):
        if key in bs:
            t.add_row(key, fmt(bs[key]), fmt(cs[key]), fmt(cs[key] - bs[key]))
    t.add_row("count", fmt(bs["count"]), fmt(cs["count"]), "")
    counts = (
        f"paired t-test p = {sig(d['p_value'], 4)} · better {d['better']:,} · worse "
        f"{d['worse']:,} · tied {d['tied']:,}"
    )
    if "accuracy" in bs:
        counts += (
            f"\nonly baseline right {d['only_baseline_right']:,} · only candidate right "
            f"{d['only_candidate_right']:,}"
        )
    return Group(t, Text(counts))


class PairWriter:
    """Per-sample records (index, target, baseline, candidate, delta) as JSONL or CSV."""

    def __init__(self, out: TextIO, fmt_name: str) -> None:
        self.out = out
        self.csv = csv.writer(out, lineterminator="\n") if fmt_name == "csv" else None
        self.fields: list[str] | None = None

    def __call__(self, records: Records) -> None:
        if self.fields is None:
            self.fields = [f for f in RECORD_FIELDS if f in records]
            if self.csv is not None:
                self.csv.writerow(self.fields)
        columns = [_values(records[f]) for f in self.fields]
        if self.csv is not None:
            self.csv.writerows([_cell(v) for v in row] for row in zip(*columns))
            return
        dumps, fields = json.dumps, self.fields
        self.out.writelines(
            dumps(plain(dict(zip(fields, row))), allow_nan=False, separators=(",", ":")) + "\n"
            for row in zip(*columns)
        )


def _cell(v: object) -> object:
    """A CSV cell as the loss commands write one: ``true``/``false``, an empty nan."""
    if isinstance(v, bool):
        return csv_text(v)
    return "" if v is None else number(v) if isinstance(v, float) else v


def _values(column: np.ndarray) -> list:
    """Python values; nan (an ignored sample's loss) as None (JSON null, an empty CSV cell)."""
    values = column.tolist()
    if column.dtype.kind == "f":
        return [None if v != v else v for v in values]
    return values


def delta_line(comparison: Comparison, unit: str) -> str:
    """Δ, its interval and p-value, for the check-failed line."""
    d = comparison.delta
    low, high = d["ci"]
    pct = f"{100 * comparison.confidence:g}%"
    p = d["p_value"]
    return (
        f"delta {sig(d['mean'])} {unit}, {pct} CI [{sig(low)}, {sig(high)}], "
        f"p = {'nan' if math.isnan(p) else sig(p, 3)}"
    )
