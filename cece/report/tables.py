"""Rich tables for people: the per-sample table, the aggregate table, per class, --hist.

The only place (with :mod:`cece.report.tools` and :mod:`cece.report.progress`) that imports
rich, and only inside the functions that draw: ``-q`` and JSON runs never load it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TextIO

from cece.engine.result import Result
from cece.report.documents import POSITIONS, confidence, stats
from cece.report.grid import Grid, Line, plain_console, plain_text, to_rich
from cece.report.numbers import fmt
from cece.report.uncertainty import interval_rows

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

HEADINGS = {
    "index": "#",
    "shard_index": "# in shard",
    "sequence": "sequence",
    "position": "position",
    "row": "row",
    "column": "column",
    "target": "target",
    "p": "p",
    "predicted": "predicted",
    "p_target": "p(target)",
    "accuracy": "accuracy",
    "loss": "loss",
    "entropy": "entropy",
    "kl": "KL",
    "cross_entropy": "H(P,Q)",
    "weight": "weight",
    "ignored": "ignored",
}


VALUE_HEADINGS = {"entropy": "H(P)", "kl": "KL(P‖Q)"}  # what "loss" is for these commands


TABLE_ORDER = [
    "index",
    *POSITIONS,
    "shard",
    "shard_index",
    "row",
    "column",
    "target",
    "p",
    "predicted",
    "p_target",
    "accuracy",
    "weight",
    "ignored",
    "entropy",
    "cross_entropy",
    "kl",
    "loss",
]


def tables(result: Result, *, worst: bool = False) -> RenderableType:
    """The per-sample table (first rows, or the worst K), the aggregate table, per class."""
    from rich.console import Group

    parts: list[RenderableType] = [to_rich(p) for p in parts_of(result, worst=worst)]
    if result.sequences:
        from cece.report.sequences import sequence_blocks

        parts.extend(sequence_blocks(result, worst=len(result.worst) if worst else None))
    if result.histogram is not None:
        parts.extend(histogram_block(result))
    return Group(*parts)


def write(result: Result, stream: TextIO, *, worst: bool = False) -> None:
    """Draw :func:`tables` on ``stream``: as plain text where rich would draw nothing else
    (:mod:`cece.report.grid`; rich is then not imported), else by rich."""
    width = None if stream.isatty() else 100
    if width is not None and result.histogram is None and not result.sequences:
        text = plain_text(parts_of(result, worst=worst), width) if plain_console(stream) else None
        if text is not None:
            stream.write(text)
            return
    console(stream, width=width).print(tables(result, worst=worst))


def parts_of(result: Result, *, worst: bool = False) -> list[Grid | Line]:
    """The tables and lines of :func:`tables`, before the sequences and the histogram."""
    parts: list[Grid | Line] = []
    records = result.worst if worst else result.head
    if records:
        parts.append(sample_grid(result, records, worst=worst))
        shown = len(records)
        if not worst and result.rows > shown:
            parts.append(
                Line(
                    f"… {result.rows - shown:,} more rows (--rows all shows every "
                    "row; --worst K the highest losses)",
                    style="dim",
                )
            )
    parts.append(Line(heading(result), style="bold"))
    parts.append(aggregate_grid(result))
    excess = excess_line(result)
    if excess:
        parts.append(Line(excess))
    if result.per_class:
        parts.append(per_class_grid(result))
        more = len(result.per_class) - PER_CLASS_ROWS
        if more > 0:
            parts.append(
                Line(
                    f"… {more:,} more classes occur (-f json lists them all; classes that "
                    "never occur are left out)",
                    style="dim",
                )
            )
    return parts


def sample_grid(result: Result, records: list[dict], *, worst: bool) -> Grid:
    cols = [f for f in TABLE_ORDER if f in result.fields]
    title = f"worst {len(records)} samples (highest loss first)" if worst else "per sample"
    table = Grid(title=title)
    for f in cols:
        name = VALUE_HEADINGS.get(result.command, "loss") if f == "loss" else HEADINGS.get(f, f)
        if f == "entropy" and result.command == "kl":
            name = "H(P)"
        table.add_column(
            name,
            justify="left" if f in ("target", "predicted") else "right",
            style="bold cyan" if f == "loss" else None,
        )
    for rec in records:
        ignored = rec.get("ignored", False)
        row = []
        for f in cols:
            value = rec.get(f)
            if f in ("target", "predicted"):
                label = rec.get(f"{f}_class")  # None for an ignored label: the label itself
                row.append(str(label if label is not None else "-" if value is None else value))
            elif f in ("index", "shard", "shard_index") or f in POSITIONS:
                row.append(str(value))
            elif ignored and f in ("loss", "p_target", "weight"):
                row.append("-")
            else:
                row.append(fmt(value))
        table.add_row(*row, style="dim" if ignored else None)
    return table


TITLES = {
    "categorical": "categorical cross-entropy",
    "binary": "binary cross-entropy",
    "entropy": "entropy H(P)",
    "kl": "KL divergence KL(P‖Q)",
}


def heading(result: Result) -> str:
    """``categorical cross-entropy · logits (detected) · index targets · nats``."""
    if result.command == "merge":
        shards = result.input.get("shards", [])
        return (
            f"{TITLES.get(result.input.get('command', ''), 'loss')} · merged from "
            f"{len(shards)} shard summaries · {result.unit}"
        )
    kind = result.input.get("kind")
    detected = " (detected)" if result.input.get("kind_detected") else ""
    kinds = f"{kind}{detected}"
    if result.input.get("q_kind"):  # cece kl: the kinds of both
        q_detected = " (detected)" if result.input.get("q_kind_detected") else ""
        kinds = f"P {kinds}, Q {result.input['q_kind']}{q_detected}"
    parts = [TITLES.get(result.command, result.command), kinds]
    if result.input.get("target"):
        parts.append(f"{result.input['target']} targets")
    if result.options.get("temperature") is not None:  # --temperature: softmax(x / T)
        parts.append(f"temperature {result.options['temperature']:g}")
    return " · ".join(parts + [result.unit])


def aggregate_grid(result: Result) -> Grid:
    s = stats(result)
    table = Grid(show_header=False)
    table.add_column("statistic")
    table.add_column("value", justify="right")
    loss = result.loss
    name = VALUE_HEADINGS.get(result.command, "loss")
    table.add_row(
        (f"{name} ({result.reduction})", "bold"),
        (fmt(loss) if loss is not None else "per sample", "bold cyan"),
    )
    more = interval_rows(s, confidence(result))
    for key in (
        "count",
        "ignored",
        "mean",
        "stderr",
        "ci",
        "sum",
        "std",
        "min",
        "max",
        "median",
        "perplexity",
        "perplexity_ci",
        "accuracy",
        "top_k_accuracy",
        *SEQUENCE_STATS,
        "entropy",
        "kl",
    ):
        if key in more:
            table.add_row(*more[key])
            continue
        if key in s and not (key in ("ignored", "sequences_empty") and not s[key]):
            kl = "kl" in (result.command, result.input.get("command"))  # a kl run, or merged
            if kl and key == "kl":  # the mean already; H(P,Q) instead
                table.add_row("mean H(P,Q)", fmt(s["entropy"] + s["kl"]))
                continue
            label = (
                {"entropy": "mean H(P)"}
                if kl
                else {"entropy": "mean entropy H(t)", "kl": "mean KL(t‖q)"}
            ).get(key, key)
            label = SEQUENCE_STATS.get(key, label)
            if key == "top_k_accuracy":
                label = f"top-{result.options.get('top_k')} accuracy"
            table.add_row(label, fmt(s[key]))
    return table


def excess_line(result: Result) -> str | None:
    """For soft targets: the loss as the achievable minimum H(t) plus the KL excess."""
    s = stats(result)
    if "entropy" not in s or not s["count"] or result.command not in ("categorical", "binary"):
        return None
    h, kl, unit = s["entropy"], s["kl"], result.unit
    line = (
        f"The least loss any prediction could reach here is the targets' entropy, "
        f"{fmt(h)} {unit} a sample; these predictions are {fmt(kl)} {unit} above it (KL)"
    )
    plain_ce = h + kl
    if not math.isclose(plain_ce, s["mean"], rel_tol=1e-9, abs_tol=1e-12):
        line += (
            f". With the options in force the loss is not H + KL; the plain "
            f"cross-entropy is {fmt(plain_ce)}"
        )
    return line + "."


SEQUENCE_STATS = {  # --per-sequence, --bytes, --words: their rows of the aggregate table
    "sequences": "sequences",
    "sequences_empty": "sequences with no token",
    "sequence_mean": "sequence mean",
    "bits_per_byte": "bits per byte",
    "byte_perplexity": "byte perplexity",
    "word_perplexity": "word perplexity",
}
PER_CLASS_ROWS = 20  # classes the table shows; JSON lists every class that occurs


def per_class_grid(result: Result) -> Grid:
    rows = result.per_class or []
    title = "per class (by true class)"
    if len(rows) > PER_CLASS_ROWS:  # a vocabulary: the most frequent, most frequent first
        order = sorted(range(len(rows)), key=lambda i: -rows[i]["count"])[:PER_CLASS_ROWS]
        rows = [rows[i] for i in order]
        title = f"per class (the {PER_CLASS_ROWS} most frequent true classes)"
    table = Grid(title=title)
    for name, justify in (
        ("class", "left"),
        ("count", "right"),
        ("mean loss", "right"),
        ("accuracy", "right"),
    ):
        table.add_column(name, justify=justify)
    for row in rows:
        table.add_row(str(row["class"]), fmt(row["count"]), fmt(row["mean"]), fmt(row["accuracy"]))
    return table


def console(out: TextIO, *, width: int | None = None) -> Console:
    """A console that colours only a terminal and honours NO_COLOR (rich does both). Text is
    shown as given: a class named ``[cat]`` or ``:dog:`` is not read as markup or an emoji
    (and no cell is parsed for them: start-up)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """The reader went away (``| head``): rich's own answer is SystemExit(1); cece's
            is main()'s, a quiet exit 0."""
            self.quiet = True
            raise BrokenPipeError

    return _Console(
        file=out, width=width, highlight=False, soft_wrap=False, markup=False, emoji=False
    )


def histogram_block(result: Result):
    """The --hist drawing under the tables."""
    from rich.text import Text

    from cece.report import textplot

    hist = result.histogram or {}
    lines = textplot.histogram_lines(hist, width=40)
    total = sum(hist.get("counts", [])) + hist.get("infinite", 0)
    head = Text(f"histogram of {total:,} per-sample losses ({result.unit})", style="bold")
    return [head, Text("\n".join(lines))]
