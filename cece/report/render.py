"""Renderers: rich tables for people; JSON, JSONL, CSV and bare numbers for machines.

The only module that imports rich, and only in the functions that draw tables. Tables use fixed precision and right-aligned numbers; JSON
carries full-precision floats, with ``inf``/``nan`` as the strings ``"inf"``/``"nan"`` because
JSON has neither (CONTRACT §4).
"""

from __future__ import annotations

import csv
import json
import math
import sys
from typing import TextIO

from typing import TYPE_CHECKING

import numpy as np

from cece import __version__
from cece.engine.pipeline import Records, Result

if TYPE_CHECKING:  # rich is imported by the table functions only: -q and JSON runs skip it
    from rich.console import Console, RenderableType
    from rich.table import Table

HEADINGS = {"index": "#", "target": "target", "p": "p", "predicted": "predicted",
            "p_target": "p(target)", "accuracy": "accuracy", "loss": "loss",
            "entropy": "entropy", "kl": "KL", "cross_entropy": "H(P,Q)", "weight": "weight",
            "ignored": "ignored"}
VALUE_HEADINGS = {"entropy": "H(P)", "kl": "KL(P‖Q)"}  # what "loss" is for these commands
TABLE_ORDER = ["index", "target", "p", "predicted", "p_target", "accuracy", "weight", "ignored",
               "entropy", "cross_entropy", "kl", "loss"]


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
           "median": None if result.command == "merge" else result.median}
    if result.has_perplexity:
        out["perplexity"] = result.perplexity
    if result.has_accuracy:
        out["accuracy"] = s.accuracy
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
    if result.histogram is not None:
        doc["histogram"] = result.histogram
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
               "p_target", "accuracy", "entropy", "kl", "cross_entropy", "weight", "ignored"]


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
    if result.histogram is not None:
        parts.extend(histogram_block(result))
    return Group(*parts)


def sample_table(result: Result, records: list[dict], *, worst: bool) -> Table:
    from rich import box
    from rich.table import Table

    cols = [f for f in TABLE_ORDER if f in result.fields]
    title = f"worst {len(records)} samples (highest loss first)" if worst else "per sample"
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for f in cols:
        name = VALUE_HEADINGS.get(result.command, "loss") if f == "loss" else HEADINGS[f]
        if f == "entropy" and result.command == "kl":
            name = "H(P)"
        table.add_column(name, justify="left" if f in ("target", "predicted") else "right",
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


TITLES = {"categorical": "categorical cross-entropy", "binary": "binary cross-entropy",
          "entropy": "entropy H(P)", "kl": "KL divergence KL(P‖Q)"}


def heading(result: Result) -> str:
    """``categorical cross-entropy · logits (detected) · index targets · nats``."""
    if result.command == "merge":
        shards = result.input.get("shards", [])
        return (f"{TITLES.get(result.input.get('command'), 'loss')} · merged from "
                f"{len(shards)} shard summaries · {result.unit}")
    kind = result.input.get("kind")
    detected = " (detected)" if result.input.get("kind_detected") else ""
    kinds = f"{kind}{detected}"
    if result.input.get("q_kind"):  # cece kl: the kinds of both
        q_detected = " (detected)" if result.input.get("q_kind_detected") else ""
        kinds = f"P {kinds}, Q {result.input['q_kind']}{q_detected}"
    parts = [TITLES.get(result.command, result.command), kinds]
    if result.input.get("target"):
        parts.append(f"{result.input['target']} targets")
    return " · ".join(parts + [result.unit])


def aggregate_table(result: Result) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    s = stats(result)
    table = Table(box=box.SIMPLE_HEAD, show_header=False)
    table.add_column("statistic")
    table.add_column("value", justify="right")
    loss = result.loss
    name = VALUE_HEADINGS.get(result.command, "loss")
    table.add_row(Text(f"{name} ({result.reduction})", style="bold"),
                  Text(fmt(loss) if loss is not None else "per sample", style="bold cyan"))
    for key in ("count", "ignored", "mean", "sum", "std", "min", "max", "median", "perplexity",
                "accuracy", "entropy", "kl"):
        if key in s and not (key == "ignored" and not s[key]):
            if result.command == "kl" and key == "kl":  # the mean already; H(P,Q) instead
                table.add_row("mean H(P,Q)", fmt(s["entropy"] + s["kl"]))
                continue
            label = ({"entropy": "mean H(P)"} if result.command == "kl"
                     else {"entropy": "mean entropy H(t)", "kl": "mean KL(t‖q)"}).get(key, key)
            table.add_row(label, fmt(s[key]))
    return table


def excess_line(result: Result) -> str | None:
    """For soft targets: the loss as the achievable minimum H(t) plus the KL excess."""
    s = stats(result)
    if "entropy" not in s or not s["count"] or result.command not in ("categorical", "binary"):
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


# -- cece explain -----------------------------------------------------------------------------------


def explanation(ex, result: Result, row: int, out: TextIO) -> None:
    """The steps as a two-column grid: rich colours on a terminal, plain text in a pipe."""
    from rich.table import Table
    from rich.text import Text

    con = console(out, width=None if out.isatty() else 200)
    kind = result.input.get("kind")
    detected = " (detected)" if result.input.get("kind_detected") else ""
    rows = result.rows
    where = f"row {row} of {rows}" if rows > 1 else "the only sample"
    con.print(Text(f"{ex.title}, step by step · {where} · {kind}{detected} · {ex.unit}",
                   style="bold"))
    con.print()
    grid = Table(box=None, show_header=False, padding=(0, 1), pad_edge=True)
    grid.add_column("step", style="cyan", no_wrap=True)
    grid.add_column("formula", overflow="fold")
    for step in ex.steps:
        style = "bold" if step.name.startswith(("negate", "dot product", "mean over",
                                                "sum over", "sample weight", "unit")) else None
        grid.add_row(step.name, Text(step.formula, style=style or ""))
    con.print(grid)
    con.print()
    con.print(Text.assemble(("loss", "bold"), f" of row {row} = ",
                            (f"{fmt(ex.value)} {ex.unit}", "bold cyan")))
    if rows > 1 and result.loss is not None:
        con.print(Text.assemble((f"loss ({result.reduction})", "bold"), f" over {rows} samples"
                                " = ", (f"{fmt(result.loss)} {result.unit}", "bold cyan")))
    for note in ex.notes:
        con.print(Text(f"note: {note}", style="dim"))


def write_explanation_json(ex, result: Result, row: int, out: TextIO) -> None:
    doc = {"cece_version": __version__, "command": "explain", "loss_type": result.command,
           "row": row, "input": result.input, "options": result.options, "unit": ex.unit,
           "steps": [{"name": s.name, "formula": s.formula, "value": s.value} for s in ex.steps],
           "sample_loss": ex.value, "notes": ex.notes, "reduction": result.reduction,
           "loss": result.loss, "warnings": result.warnings}
    out.write(json.dumps(plain(doc), indent=2, allow_nan=False, ensure_ascii=False) + "\n")


# -- cece curve and --hist --------------------------------------------------------------------------


def curve_lines(fig, *, width: int, height: int) -> list[str]:
    from cece.tools import curve
    from cece.report import textplot

    series = [textplot.Series(fig.label(c), c.p, c.loss) for c in fig.curves]
    marks = [(c.target, f"minimum of {fig.label(c)}: H = {fmt(c.minimum[1], 4)} {fig.unit} at "
              f"p = {c.target:g}") for c in fig.curves if 0 < c.target < 1]
    return [fig.title + f" ({fig.unit})", ""] + textplot.line_plot(
        series, width=width, height=height, y_max=curve._y_top(fig), x_label=fig.x_label,
        y_label=fig.y_label, marks=marks, levels=fig.levels)


def write_curve(fig, out: TextIO, fmt_: str, *, width: int, height: int) -> None:
    from cece.tools import curve

    if fmt_ == "json":
        doc = {"cece_version": __version__, "command": "curve",
               "loss": "binary" if fig.binary else "categorical", "unit": fig.unit,
               "x": fig.x_label, "curves": [
                   {"target": c.target, "minimum": {"p": c.minimum[0], "loss": c.minimum[1]},
                    "p": c.p.tolist(), "loss": c.loss.tolist()} for c in fig.curves]}
        out.write(json.dumps(plain(doc), indent=2, allow_nan=False) + "\n")
    elif fmt_ == "csv":
        out.write("target,p,loss\n")
        out.writelines(f"{number(r['target'])},{number(r['p'])},{number(r['loss'])}\n"
                       for r in curve.to_records(fig))
    else:
        con = console(out, width=None if out.isatty() else 200)
        for line in curve_lines(fig, width=width, height=height):
            con.print(line, markup=False, highlight=False, crop=False)


def histogram_block(result: Result):
    """The --hist drawing under the tables."""
    from rich.text import Text

    from cece.report import textplot

    hist = result.histogram or {}
    lines = textplot.histogram_lines(hist, width=40)
    total = sum(hist.get("counts", [])) + hist.get("infinite", 0)
    head = Text(f"histogram of {total:,} per-sample losses ({result.unit})", style="bold")
    return [head, Text("\n".join(lines))]


# -- cece inspect -----------------------------------------------------------------------------------


def inspect_report(report, out: TextIO) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    d = report.to_dict()
    con = console(out, width=None if out.isatty() else 120)
    table = Table(box=box.SIMPLE_HEAD, show_header=False, title=Text(report.name, style="bold"),
                  title_justify="left")
    table.add_column("what", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    shape = " × ".join(f"{v:,}" for v in d["shape"])
    table.add_row("format", d["format"])
    if d["columns"] > 1:
        table.add_row("shape", f"{shape}  ({d['rows']:,} samples × {d['columns']:,} values)")
    else:
        table.add_row("shape", f"{shape}  ({d['rows']:,} samples)")
    table.add_row("dtype", d["dtype"])
    if d["header"]:
        header = d["header"]
        table.add_row("header", ", ".join(header[:12]) + (" …" if len(header) > 12 else ""))
    if d["label_column"]:
        table.add_row("label column", d["label_column"])
    if d["text_columns"]:
        table.add_row("text columns", ", ".join(d["text_columns"]))
    v = d.get("values")
    if v:
        g = lambda x: "-" if x is None else f"{x:.6g}"  # noqa: E731
        table.add_row("values", f"min {g(v['min'])}, max {g(v['max'])}, mean {g(v['mean'])}"
                      + ("  (all integers)" if v["integers"] else ""))
        bad = v["nan"] + v["inf"] + v["-inf"]
        where = v["first_non_finite"]
        table.add_row("NaN / inf / −inf", f"{v['nan']:,} / {v['inf']:,} / {v['-inf']:,}" + (
            f"  (first at row {where['row']}, column {where['column']})" if bad else "  (none)"))
    sums = d.get("row_sums")
    if sums:
        table.add_row("row sums", f"min {sums['min']:.6g}, max {sums['max']:.6g}, mean "
                      f"{sums['mean']:.6g}; {sums['rows_summing_to_1']:,} of {d['rows']:,} rows "
                      f"sum to 1 (±{sums['tolerance']:g})")
    labels = d.get("labels")
    if labels:
        shown = ", ".join(map(str, labels.get("values", [])))
        extra = f" ({labels['distinct']} distinct: {shown})" if "distinct" in labels else ""
        table.add_row("labels", f"{labels['form']}{extra}")
    table.add_row(Text("detected", style="bold cyan"), Text(d["kind"], style="bold"))
    table.add_row("because", d["why"])
    table.add_row(Text("suggested", style="bold cyan"), Text(d["suggestion"], style="bold"))
    for note in d["notes"]:
        table.add_row("note", note)
    con.print(table)


def write_inspect_json(report, out: TextIO) -> None:
    doc = {"cece_version": __version__, "command": "inspect", **report.to_dict()}
    out.write(json.dumps(plain(doc), indent=2, allow_nan=False, ensure_ascii=False) + "\n")


# -- progress -------------------------------------------------------------------------------------


class Progress:
    """A progress bar on standard error for runs longer than about a second, on a terminal only.

    Nothing is drawn (and rich is not imported) until ``CECE_PROGRESS_DELAY`` seconds (default
    1) have passed; the bar is transient, so it leaves no trace once the run ends.
    """

    def __init__(self) -> None:
        import os
        import time

        self._clock = time.monotonic
        self._start = self._clock()
        try:
            self._delay = float(os.environ.get("CECE_PROGRESS_DELAY", "1"))
        except ValueError:
            self._delay = 1.0
        self._on = sys.stderr is not None and sys.stderr.isatty()
        self._bar = None
        self._task = None

    def update(self, done: int, total: int | None) -> None:
        if not self._on or self._clock() - self._start < self._delay:
            return
        if self._bar is None:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar,
                                       SpinnerColumn, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            columns = [SpinnerColumn(), TextColumn("cece: samples")]
            if total:
                columns += [BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
            else:
                columns += [TextColumn("{task.completed:,}"), TimeElapsedColumn()]
            self._bar = Bar(*columns, console=console(sys.stderr), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("samples", total=total)
        self._bar.update(self._task, completed=done)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
