"""Renderers: rich tables for people; JSON, JSONL, CSV and bare numbers for machines.

The only module that imports rich, and only in the functions that draw tables. Tables use fixed precision and right-aligned numbers; JSON
carries full-precision floats, with ``inf``/``nan`` as the strings ``"inf"``/``"nan"`` because
JSON has neither (CONTRACT §4).
"""

from __future__ import annotations

import csv
import json
import math
from typing import TextIO

from typing import TYPE_CHECKING

import numpy as np

from . import __version__
from .engine import Records, Result

if TYPE_CHECKING:  # rich is imported by the table functions only: -q and JSON runs skip it
    from rich.console import Console, RenderableType
    from rich.table import Table

HEADINGS = {"index": "#", "target": "target", "p": "p", "predicted": "predicted",
            "p_target": "p(target)", "accuracy": "accuracy", "loss": "loss",
            "entropy": "entropy", "kl": "KL", "weight": "weight", "ignored": "ignored"}
TABLE_ORDER = ["index", "target", "p", "predicted", "p_target", "accuracy", "weight", "ignored",
               "entropy", "kl", "loss"]


# -- numbers --------------------------------------------------------------------------------------


def fmt(x: float | int | None, digits: int = 6) -> str:
    """Fixed precision for tables; tiny and huge values in scientific notation."""
    if x is None:
        return "-"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else ""
    if isinstance(x, (int, np.integer)):
        return f"{x:,}"
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 or 1e-4 <= abs(x) < 1e7:
        return f"{x:.{digits}f}"
    return f"{x:.{digits - 2}e}"


def plain(value):
    """JSON-safe copy: numpy scalars → Python; non-finite floats → "inf"/"-inf"/"nan"."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def number(x: float) -> str:
    """A bare number for -q and CSV: full precision, inf/nan spelled out."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    return str(plain(float(x)))


# -- JSON -----------------------------------------------------------------------------------------


def stats(result: Result) -> dict:
    s = result.summary
    out = {"count": s.count, "ignored": s.ignored, "mean": s.mean, "sum": s.weighted_sum,
           "std": s.std, "min": s.min if s.count else math.nan,
           "max": s.max if s.count else math.nan,
           "median": None if result.command == "merge" else result.median,
           "perplexity": result.perplexity, "accuracy": s.accuracy}
    if "entropy" in result.fields and s.count:
        out["entropy"] = s.entropy_sum / s.count
        out["kl"] = s.kl_sum / s.count
    if s.clipped_low or s.clipped_high:
        out["clipped"] = {"below_eps": s.clipped_low, "above_one_minus_eps": s.clipped_high}
    return out


def document(result: Result) -> dict:
    doc = {"cece_version": __version__, "command": result.command, "input": result.input,
           "options": result.options, "unit": result.unit, "reduction": result.reduction,
           "loss": result.loss, "stats": stats(result)}
    if result.per_class is not None:
        doc["per_class"] = result.per_class
    if result.samples is not None:
        doc["samples"] = [_named(r, result) for r in result.samples]
    if result.worst:
        doc["worst"] = [_named(r, result) for r in result.worst]
    doc["warnings"] = result.warnings
    doc["summary"] = result.summary.to_dict()  # the mergeable sums (cece merge)
    return doc


def write_json(result: Result, out: TextIO) -> None:
    out.write(json.dumps(plain(document(result)), indent=2, allow_nan=False) + "\n")


def _named(record: dict, result: Result) -> dict:
    """A record with the fields that apply, in the documented order."""
    return {k: record[k] for k in FIELD_ORDER if k in record and k in result.fields}


# -- streams of records ---------------------------------------------------------------------------


FIELD_ORDER = ["index", "loss", "target", "target_class", "p", "predicted", "predicted_class",
               "p_target", "accuracy", "entropy", "kl", "weight", "ignored"]


class RecordWriter:
    """Writes per-sample records as JSONL or CSV, block by block, as they are computed.

    A line is filled in from a template (``{"index":%d,"loss":%r,...}``): ~10× faster than a
    dict and ``json.dumps`` per record. Blocks with inf/nan fall back to ``json.dumps``, which
    spells them as the strings JSON needs.
    """

    def __init__(self, out: TextIO, fmt: str) -> None:
        self.out, self.fmt = out, fmt
        self.fields: list[str] | None = None
        self._csv = csv.writer(out, lineterminator="\n") if fmt == "csv" else None

    def __call__(self, records: Records) -> None:
        if self.fields is None:
            self.fields = [f for f in FIELD_ORDER if f in records]
            if self._csv is not None:
                self._csv.writerow(self.fields)
        columns = [self._column(records[f]) for f in self.fields]
        if self._csv is not None:
            self._csv.writerows(zip(*columns))
            return
        finite = all(np.isfinite(records[f]).all() for f in self.fields
                     if records[f].dtype.kind == "f")
        if finite:
            template = "{" + ",".join(f'"{f}":%s' for f in self.fields) + "}\n"
            self.out.write("".join(template % row for row in zip(*columns)))
        else:
            dumps, fields = json.dumps, self.fields
            self.out.writelines(dumps(plain(dict(zip(fields, row))), allow_nan=False,
                                      separators=(",", ":")) + "\n"
                                for row in zip(*(records[f].tolist() for f in fields)))

    def _column(self, values: np.ndarray) -> list:
        """A column as the strings JSONL/CSV want: repr for floats, names quoted for JSON."""
        kind = values.dtype.kind
        if kind == "f":
            return list(map(repr, values.tolist()))
        if kind == "b":
            return ["true" if v else "false" for v in values.tolist()]
        if kind in "iu":
            return values.tolist()
        if self._csv is not None:
            return [str(v) for v in values.tolist()]
        return [json.dumps(str(v)) for v in values.tolist()]


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number(value)
    return str(value)


def quiet(result: Result, out: TextIO) -> None:
    """-q: the reduced value alone; with --reduction none, one loss per line."""
    if result.loss is not None:
        out.write(number(result.loss) + "\n")
    else:
        for rec in result.samples or []:
            out.write(number(rec["loss"]) + "\n")


# -- tables ---------------------------------------------------------------------------------------


def tables(result: Result, *, worst: bool = False) -> RenderableType:
    """The per-sample table (first rows, or the worst K), the aggregate table, per class."""
    from rich.console import Group
    from rich.text import Text

    parts: list[RenderableType] = []
    records = result.worst if worst else result.head
    if records:
        parts.append(sample_table(result, records, worst=worst))
        shown = len(records)
        if not worst and result.rows > shown:
            parts.append(Text(f"… {result.rows - shown:,} more rows (--rows all shows every "
                              "row; --worst K the highest losses)", style="dim"))
    parts.append(Text(heading(result), style="bold"))
    parts.append(aggregate_table(result))
    excess = excess_line(result)
    if excess:
        parts.append(Text(excess))
    if result.per_class:
        parts.append(per_class_table(result))
    return Group(*parts)


def sample_table(result: Result, records: list[dict], *, worst: bool) -> Table:
    from rich import box
    from rich.table import Table

    cols = [f for f in TABLE_ORDER if f in result.fields]
    title = f"worst {len(records)} samples (highest loss first)" if worst else "per sample"
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for f in cols:
        table.add_column(HEADINGS[f], justify="left" if f in ("target", "predicted") else "right",
                         style="bold cyan" if f == "loss" else None)
    for rec in records:
        ignored = rec.get("ignored", False)
        row = []
        for f in cols:
            value = rec.get(f)
            if f in ("target", "predicted"):
                row.append(str(rec.get(f"{f}_class", "-" if value is None else value)))
            elif f == "index":
                row.append(str(value))
            elif ignored and f in ("loss", "p_target", "weight"):
                row.append("-")
            else:
                row.append(fmt(value))
        table.add_row(*row, style="dim" if ignored else None)
    return table


def heading(result: Result) -> str:
    """``categorical cross-entropy · logits (detected) · index targets · nats``."""
    if result.command == "merge":
        shards = result.input.get("shards", [])
        return (f"{result.input.get('command')} cross-entropy · merged from {len(shards)} "
                f"shard summaries · {result.unit}")
    kind = result.input.get("kind")
    detected = " (detected)" if result.input.get("kind_detected") else ""
    return (f"{result.command} cross-entropy · {kind}{detected} · "
            f"{result.input.get('target')} targets · {result.unit}")


def aggregate_table(result: Result) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    s = stats(result)
    table = Table(box=box.SIMPLE_HEAD, show_header=False)
    table.add_column("statistic")
    table.add_column("value", justify="right")
    loss = result.loss
    table.add_row(Text(f"loss ({result.reduction})", style="bold"),
                  Text(fmt(loss) if loss is not None else "per sample", style="bold cyan"))
    for key in ("count", "ignored", "mean", "sum", "std", "min", "max", "median", "perplexity",
                "accuracy", "entropy", "kl"):
        if key in s and not (key == "ignored" and not s[key]):
            label = {"entropy": "mean entropy H(t)", "kl": "mean KL(t‖q)"}.get(key, key)
            table.add_row(label, fmt(s[key]))
    return table


def excess_line(result: Result) -> str | None:
    """For soft targets: the loss as the achievable minimum H(t) plus the KL excess."""
    s = stats(result)
    if "entropy" not in s or not s["count"]:
        return None
    h, kl, unit = s["entropy"], s["kl"], result.unit
    line = (f"The least loss any prediction could reach here is the targets' entropy, "
            f"{fmt(h)} {unit} a sample; these predictions are {fmt(kl)} {unit} above it (KL)")
    plain_ce = h + kl
    if not math.isclose(plain_ce, s["mean"], rel_tol=1e-9, abs_tol=1e-12):
        line += (f". With the options in force the loss is not H + KL; the plain "
                 f"cross-entropy is {fmt(plain_ce)}")
    return line + "."


def per_class_table(result: Result) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title="per class (by true class)", box=box.SIMPLE_HEAD, title_justify="left")
    for name, justify in (("class", "left"), ("count", "right"), ("mean loss", "right"),
                          ("accuracy", "right")):
        table.add_column(name, justify=justify)
    for row in result.per_class or []:
        table.add_row(str(row["class"]), fmt(row["count"]), fmt(row["mean"]), fmt(row["accuracy"]))
    return table


def console(out: TextIO, *, width: int | None = None) -> Console:
    """A console that colours only a terminal and honours NO_COLOR (rich does both)."""
    from rich.console import Console

    return Console(file=out, width=width, highlight=False, soft_wrap=False)
