"""``--per-sequence``: the per-sequence table, and one JSONL/CSV record a sequence.

A sequence's record is ``{sequence, tokens, loss, perplexity}`` (with ``bytes`` and
``bits_per_byte``, ``words`` and ``word_perplexity`` where one count a sequence was given);
a sequence with no scored token has no loss: null in JSON, an empty CSV cell.
"""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING, TextIO

from cece.engine.result import Result
from cece.report.numbers import fmt, plain

if TYPE_CHECKING:
    from rich.console import RenderableType

FIELDS = [
    "shard",  # cece merge: the shard the sequence comes from
    "sequence",
    "tokens",
    "loss",
    "perplexity",
    "bytes",
    "bits_per_byte",
    "words",
    "word_perplexity",
]
HEADINGS = {"loss": "mean loss", "bits_per_byte": "bits/byte", "word_perplexity": "word ppl"}
ROWS = 20  # sequences the table shows; JSON and the records list every one


def fields(rows: list[dict]) -> list[str]:
    return [f for f in FIELDS if rows and f in rows[0]]


def sequence_records(rows: list[dict], out: TextIO, fmt_: str) -> None:
    """-f jsonl / -f csv with --per-sequence: one record a sequence, in sequence order."""
    names = fields(rows)
    if fmt_ == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(
            ["" if r[f] is None else repr(r[f]) if isinstance(r[f], float) else r[f] for f in names]
            for r in rows
        )
        return
    out.writelines(
        json.dumps(plain({f: r[f] for f in names}), allow_nan=False, separators=(",", ":")) + "\n"
        for r in rows
    )


def sequence_blocks(result: Result, *, worst: int | None = None) -> list[RenderableType]:
    """The per-sequence table (the first sequences, or with --worst K the K with the highest
    mean loss) and a line saying how many more there are."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    rows = result.sequences or []
    shown = rows[:ROWS]
    title = "per sequence"
    if worst:
        scored = [r for r in rows if r["loss"] is not None]
        shown = sorted(scored, key=lambda r: -r["loss"])[:worst]
        title = f"worst {len(shown)} sequences (highest mean loss first)"
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    names = fields(rows)
    for f in names:
        table.add_column(HEADINGS.get(f, f), justify="right")
    for r in shown:
        table.add_row(*(_cell(r[f], f) for f in names), style="dim" if not r["tokens"] else None)
    parts: list[RenderableType] = [table]
    if len(rows) > len(shown):
        parts.append(
            Text(
                f"… {len(rows) - len(shown):,} more sequence{'s' if len(rows) - len(shown) > 1 else ''}"
                " (-f json or -f jsonl "
                "--per-sequence lists them all)",
                style="dim",
            )
        )
    return parts


def _cell(value: object, field: str) -> str:
    if value is None:
        return "-"
    if field in ("shard", "sequence", "tokens", "bytes", "words"):
        return str(value)
    return fmt(value) if isinstance(value, int | float) else str(value)
