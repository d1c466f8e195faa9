"""How the tools' results look: ``cece explain``, ``cece curve`` and ``cece inspect``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

from cece.engine.result import Result
from cece.report.documents import environment, header
from cece.report.numbers import fmt, number, plain, sig
from cece.report.tables import console

if TYPE_CHECKING:
    from cece.tools.curve import Figure


def explanation(ex, result: Result, row: int, out: TextIO, place: dict | None = None) -> None:
    """The steps as a two-column grid: rich colours on a terminal, plain text in a pipe.
    ``place``: the row's sequence and position (N-D inputs), said after its number."""
    from rich.table import Table
    from rich.text import Text

    con = console(out, width=None if out.isatty() else 200)
    kind = result.input.get("kind")
    detected = " (detected)" if result.input.get("kind_detected") else ""
    rows = result.rows
    where = f"row {row} of {rows}" if rows > 1 else "the only sample"
    if place:
        where += " (" + ", ".join(f"{name} {i}" for name, i in place.items()) + ")"
    con.print(
        Text(f"{ex.title}, step by step · {where} · {kind}{detected} · {ex.unit}", style="bold")
    )
    con.print()
    grid = Table(box=None, show_header=False, padding=(0, 1), pad_edge=True)
    grid.add_column("step", style="cyan", no_wrap=True)
    grid.add_column("formula", overflow="fold")
    for step in ex.steps:
        style = (
            "bold"
            if step.name.startswith(
                ("negate", "dot product", "mean over", "sum over", "sample weight", "unit")
            )
            else None
        )
        grid.add_row(step.name, Text(step.formula, style=style or ""))
    con.print(grid)
    con.print()
    con.print(
        Text.assemble(
            ("loss", "bold"), f" of row {row} = ", (f"{fmt(ex.value)} {ex.unit}", "bold cyan")
        )
    )
    if rows > 1 and result.loss is not None:
        con.print(
            Text.assemble(
                (f"loss ({result.reduction})", "bold"),
                f" over {rows} samples = ",
                (f"{fmt(result.loss)} {result.unit}", "bold cyan"),
            )
        )
    for note in ex.notes:
        con.print(Text(f"note: {note}", style="dim"))


def write_explanation_json(
    ex, result: Result, row: int, out: TextIO, place: dict | None = None
) -> None:
    doc = {
        **header("explain"),
        "loss_type": result.command,
        "row": row,
        **(place or {}),
        "input": result.input,
        "options": result.options,
        "unit": ex.unit,
        "steps": [{"name": s.name, "formula": s.formula, "value": s.value} for s in ex.steps],
        "sample_loss": ex.value,
        "notes": ex.notes,
        "reduction": result.reduction,
        "loss": result.loss,
        "warnings": result.warnings,
        "environment": environment(result.ran),
    }
    out.write(json.dumps(plain(doc), indent=2, allow_nan=False, ensure_ascii=False) + "\n")


def curve_lines(fig, *, width: int, height: int) -> list[str]:
    from cece.report import textplot

    series = [textplot.Series(fig.label(c), c.p, c.loss) for c in fig.curves]
    marks = [
        (
            c.target,
            f"minimum of {fig.label(c)}: H = {fmt(c.minimum[1], 4)} {fig.unit} at p = {c.target:g}",
        )
        for c in fig.curves
        if 0 < c.target < 1
    ]
    return [fig.title + f" ({fig.unit})", ""] + textplot.line_plot(
        series,
        width=width,
        height=height,
        y_max=fig.y_top,
        x_label=fig.x_label,
        y_label=fig.y_label,
        marks=marks,
        levels=fig.levels,
    )


def write_curve(fig, out: TextIO, fmt_: str, *, width: int, height: int) -> None:

    if fmt_ == "json":
        doc = {
            **header("curve"),
            "loss": "binary" if fig.binary else "categorical",
            "unit": fig.unit,
            "x": fig.x_label,
            "curves": [
                {
                    "target": c.target,
                    "minimum": {"p": c.minimum[0], "loss": c.minimum[1]},
                    "p": c.p.tolist(),
                    "loss": c.loss.tolist(),
                }
                for c in fig.curves
            ],
            "environment": environment(),
        }
        out.write(json.dumps(plain(doc), indent=2, allow_nan=False) + "\n")
    elif fmt_ == "csv":
        out.write("target,p,loss\n")
        out.writelines(
            f"{number(r['target'])},{number(r['p'])},{number(r['loss'])}\n" for r in to_records(fig)
        )
    else:
        con = console(out, width=None if out.isatty() else 200)
        for line in curve_lines(fig, width=width, height=height):
            con.print(line, markup=False, highlight=False, crop=False)


def inspect_report(report, out: TextIO) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    d = report.to_dict()
    con = console(out, width=None if out.isatty() else 120)
    table = Table(
        box=box.SIMPLE_HEAD,
        show_header=False,
        title=Text(report.name, style="bold"),
        title_justify="left",
    )
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
        table.add_row(
            "values",
            f"min {sig(v['min'])}, max {sig(v['max'])}, mean {sig(v['mean'])}"
            + ("  (all integers)" if v["integers"] else ""),
        )
        bad = v["nan"] + v["inf"] + v["-inf"]
        where = v["first_non_finite"]
        table.add_row(
            "NaN / inf / −inf",
            f"{v['nan']:,} / {v['inf']:,} / {v['-inf']:,}"
            + (f"  (first at row {where['row']}, column {where['column']})" if bad else "  (none)"),
        )
    sums = d.get("row_sums")
    if sums:
        table.add_row(
            "row sums",
            f"min {sig(sums['min'])}, max {sig(sums['max'])}, mean "
            f"{sig(sums['mean'])}; {sums['rows_summing_to_1']:,} of {d['rows']:,} rows "
            f"sum to 1 (±{sums['tolerance']:g})",
        )
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
    doc = {**header("inspect"), **report.to_dict(), "environment": environment()}
    out.write(json.dumps(plain(doc), indent=2, allow_nan=False, ensure_ascii=False) + "\n")


# -- curve figures ----------------------------------------------------------------------------------


def to_records(fig: Figure) -> list[dict]:
    """One record per (target, p): for -f csv / json."""
    return [
        {"target": c.target, "p": float(p), "loss": float(v)}
        for c in fig.curves
        for p, v in zip(c.p, c.loss)
    ]
