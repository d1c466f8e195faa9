"""Tables and lines as plain data, drawn by rich, or as plain text where rich would draw them
as plain text (start-up: importing rich costs a small run more than computing it).

A :class:`Grid` is what :mod:`cece.report.tables` builds: a title, columns, rows of text.
:func:`to_rich` makes the ``rich.table.Table`` of it (``box.SIMPLE_HEAD``, the title on the
left: the tables cece prints). :func:`plain_text` writes the same characters rich writes for
it, and only where that is certain: output that is not a terminal and that rich would not
colour (no ``FORCE_COLOR`` / ``TTY_COMPATIBLE``, not Jupyter), a UTF-8 stream, a fixed width,
tables that fit it (rich shrinks and wraps the others), text of characters one cell wide with
no edge spaces, and titles no wider than their table. Anything else returns None and is drawn
by rich. ``tests/test_startup_tables.py`` compares the two over generated tables.

How rich lays out such a table (``rich/table.py``, ``Table.__rich_console__`` and
``_render``; ``rich/box.py``, ``SIMPLE_HEAD``): each column is as wide as its widest cell
(header included), plus one space of padding on either side; a space is the edge on the left
and right and the separator between columns; the top and bottom edges are lines of spaces,
the line under the header is ``─`` between the edge spaces; a cell is padded on the right
(``justify="left"``) or the left (``"right"``); the title is padded on the right to the
table's width.
"""

from __future__ import annotations

import builtins
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import RenderableType

Cell = str | tuple[str, str]  # text, or (text, rich style)

# Characters rich draws one cell wide (ASCII's printable ones are added below); any other
# character sends the table to rich, which knows every width.
NARROW = frozenset("·‖…±−") | frozenset(chr(c) for c in range(0x20, 0x7F))


class Grid:
    """A table: columns ``(name, justify, style)``, rows ``(cells, style)``. (A plain class:
    a dataclass costs a run ~0.5 ms to define.)"""

    __slots__ = ("columns", "rows", "show_header", "title")

    def __init__(self, title: str | None = None, show_header: bool = True) -> None:
        self.title, self.show_header = title, show_header
        self.columns: list[tuple[str, str, str | None]] = []
        self.rows: list[tuple[list[Cell], str | None]] = []

    def add_column(self, name: str, justify: str = "left", style: str | None = None) -> None:
        self.columns.append((name, justify, style))

    def add_row(self, *cells: Cell, style: str | None = None) -> None:
        self.rows.append((list(cells), style))


class Line:
    """A line of text under or between the tables, with its rich style."""

    __slots__ = ("style", "text")

    def __init__(self, text: str, style: str | None = None) -> None:
        self.text, self.style = text, style


def to_rich(part: Grid | Line) -> RenderableType:
    """The rich renderable of a grid or a line."""
    from rich.text import Text

    if isinstance(part, Line):
        return Text(part.text, style=part.style or "")
    from rich import box
    from rich.table import Table

    table = Table(
        title=part.title, box=box.SIMPLE_HEAD, title_justify="left", show_header=part.show_header
    )
    for name, justify, style in part.columns:
        table.add_column(name, justify=justify, style=style)  # type: ignore[arg-type]
    for cells, row_style in part.rows:
        table.add_row(
            *(Text(c[0], style=c[1]) if isinstance(c, tuple) else c for c in cells),
            style=row_style,
        )
    return table


def _text(cell: Cell) -> str:
    return cell[0] if isinstance(cell, tuple) else cell


def plain_console(stream) -> bool:
    """Whether rich would write to ``stream`` without colour, in UTF-8, on a fixed width."""
    if sys.platform == "win32" or hasattr(builtins, "get_ipython"):
        return False
    if any(os.environ.get(name) is not None for name in ("FORCE_COLOR", "TTY_COMPATIBLE")):
        return False
    try:
        if stream.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    encoding = (getattr(stream, "encoding", "utf-8") or "utf-8").lower()
    return encoding.startswith("utf")


def _simple(text: str) -> bool:
    return text == text.strip(" ") and NARROW.issuperset(text)


def plain_text(parts: list[Grid | Line], width: int) -> str | None:
    """The text rich writes for ``parts`` on a plain console ``width`` wide, or None where
    rich's own drawing is needed (see the module's docstring)."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, Line):
            if len(part.text) > width or not _simple(part.text):
                return None
            out.append(part.text + "\n")
            continue
        drawn = _plain_grid(part, width)
        if drawn is None:
            return None
        out.append(drawn)
    return "".join(out)


def _plain_grid(grid: Grid, width: int) -> str | None:
    if not grid.columns or not grid.rows:
        return None
    if any(justify not in ("left", "right") for _, justify, _ in grid.columns):
        return None
    texts = [[_text(c) for c in cells] for cells, _ in grid.rows]
    if any(len(cells) != len(grid.columns) for cells in texts):
        return None
    shown = ([[name for name, _, _ in grid.columns]] if grid.show_header else []) + texts
    if not all(_simple(t) for row in shown for t in row):
        return None
    sizes = [max(len(row[i]) for row in shown) for i in range(len(grid.columns))]
    total = sum(sizes) + 3 * len(sizes) + 1  # padding 2 a column, separators, edges
    if total > width or (grid.title and not _fits_title(grid.title, total)):
        return None
    lines = [grid.title.ljust(total)] if grid.title else []
    lines.append(" " * total)
    for i, row in enumerate(shown):
        cells = [
            text.rjust(size) if justify == "right" else text.ljust(size)
            for text, size, (_, justify, _) in zip(row, sizes, grid.columns)
        ]
        lines.append("  " + "   ".join(cells) + "  ")
        if i == 0 and grid.show_header:
            lines.append(" " + "─" * (total - 2) + " ")
    lines.append(" " * total)
    return "\n".join(lines) + "\n"


def _fits_title(title: str, total: int) -> bool:
    return len(title) <= total and _simple(title)
