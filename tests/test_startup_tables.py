"""The tables drawn without rich (cece.report.grid) are rich's, character for character.

A table run whose output is not a terminal draws its tables as plain text, without importing
rich (start-up). Where it does, the text must be what rich writes: checked here over generated
tables (Hypothesis), and end to end over the commands' tables, against rich itself.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Group

from cece.report import grid as plain
from cece.report.grid import NARROW, Grid, Line, plain_text, to_rich
from cece.report.tables import console

from conftest import SAMPLES, imported_modules


@pytest.fixture(autouse=True)
def _no_forced_colour(monkeypatch):
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def rich_text(parts: list[Grid | Line], width: int) -> str:
    out = io.StringIO()
    console(out, width=width).print(Group(*(to_rich(p) for p in parts)))
    return out.getvalue()


# Text cells: mostly what cece prints, sometimes what only rich can draw (wide and combining
# characters, edge spaces, tabs, newlines, long words).
SIMPLE = st.text(alphabet=sorted(NARROW), max_size=14)
AWKWARD = st.text(alphabet="ab é猫\u0301\t\n·‖…", max_size=6)
CELL = st.one_of(SIMPLE, SIMPLE, SIMPLE, AWKWARD, st.text(alphabet="x", min_size=40, max_size=90))
STYLE = st.sampled_from([None, "bold", "dim", "bold cyan"])


@st.composite
def grids(draw) -> Grid:
    ncols = draw(st.integers(1, 6))
    table = Grid(
        title=draw(st.one_of(st.none(), st.just(""), CELL)),
        show_header=draw(st.booleans()),
    )
    for _ in range(ncols):
        table.add_column(draw(CELL), draw(st.sampled_from(["left", "right"])), draw(STYLE))
    for _ in range(draw(st.integers(1, 5))):
        cells = [
            (draw(CELL), draw(st.sampled_from(["bold", "bold cyan"])))
            if draw(st.booleans())
            else draw(CELL)
            for _ in range(ncols)
        ]
        table.add_row(*cells, style=draw(STYLE))
    return table


PARTS = st.lists(st.one_of(grids(), st.builds(Line, CELL, STYLE)), min_size=1, max_size=4)


@settings(max_examples=400, deadline=None)
@given(parts=PARTS, width=st.sampled_from([40, 80, 100]))
def test_plain_text_is_what_rich_writes(parts, width):
    text = plain_text(parts, width)
    if text is not None:
        assert text == rich_text(parts, width)


def test_the_narrow_characters_are_one_cell_wide():
    assert all(cell_len(c) == 1 for c in NARROW)


def test_a_table_that_fits_is_drawn_plain():
    table = Grid(title="per sample")
    for name, justify in (("#", "right"), ("target", "left"), ("loss", "right")):
        table.add_column(name, justify, "bold cyan" if name == "loss" else None)
    table.add_row("0", "cat", "2.407606")
    table.add_row("1", "pig", "-", style="dim")
    parts = [table, Line("categorical cross-entropy · logits · nats", "bold")]
    text = plain_text(parts, 100)
    assert text is not None and text == rich_text(parts, 100)
    assert text.splitlines()[3] == " " + "─" * 23 + " "


@pytest.mark.parametrize(
    "cell",
    ["猫", "e\u0301", " padded", "tab\there", "two\nlines", "x" * 120],
)
def test_what_rich_must_draw_is_left_to_rich(cell):
    table = Grid()
    table.add_column("name")
    table.add_row(cell)
    assert plain_text([table], 100) is None


def test_a_title_wider_than_its_table_is_left_to_rich():
    table = Grid(title="per class (the 20 most frequent true classes)")
    table.add_column("a")
    table.add_row("1")
    assert plain_text([table], 100) is None


def test_terminals_and_forced_colour_are_left_to_rich(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert plain.plain_console(io.StringIO())
    assert not plain.plain_console(Tty())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not plain.plain_console(io.StringIO())
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    assert not plain.plain_console(io.StringIO())
    monkeypatch.delenv("TTY_COMPATIBLE")
    latin = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    assert not plain.plain_console(latin)  # rich draws ASCII boxes there


LOGITS = str(SAMPLES / "catdogpig_logits.csv")
LABELS = str(SAMPLES / "catdogpig_labels.csv")
RUNS = [
    ["categorical", LOGITS, LABELS],
    ["categorical", LOGITS, LABELS, "--per-class", "--worst", "3"],
    ["categorical", LOGITS, LABELS, "--rows", "2", "--base", "2"],
    ["categorical", LOGITS, LABELS, "--ignore-index", "1", "--per-class"],
    ["categorical", "[[1,2,3],[2,4,6]]", "[[0.2,0.3,0.5],[0.1,0.1,0.8]]"],
    ["categorical", "[[1,2,3],[2,4,6]]", "[0,2]", "--top-k", "2", "--temperature", "2"],
    ["categorical", "[[1,2,3],[2,4,6]]", "[0,2]", "--sample-weight", "[1,3]"],
    ["categorical", "[[1,2,3],[2,4,6]]", "[0,2]", "--classes", "猫,dog,pig", "--per-class"],
    ["binary", "0.7", "1"],
    ["binary", "[[0.7,0.2],[0.1,0.9]]", "[[1,0],[0,1]]", "--per-class"],
    ["binary", "[0.7,0.2,0.9]", "[0.6,0.1,1]"],
    ["entropy", "[[0.2,0.8],[0.5,0.5]]"],
    ["kl", "[[0.2,0.8],[0.5,0.5]]", "[[0.3,0.7],[0.5,0.5]]"],
]


@pytest.mark.parametrize("args", RUNS, ids=lambda a: " ".join(a[:1] + a[3:]))
def test_the_commands_tables_are_rich_s(cece, monkeypatch, args):
    drawn = cece(*args)
    assert drawn.code == 0, drawn.err
    monkeypatch.setenv("TTY_COMPATIBLE", "0")  # not a terminal to rich; cece asks rich to draw
    by_rich = cece(*args)
    assert (drawn.out, drawn.err, drawn.code) == (by_rich.out, by_rich.err, by_rich.code)


def _imports(*args: str) -> set[str]:
    """The modules ``python -m cece ARGS`` imports (``-X importtime``); ``args`` empty:
    those of ``import numpy`` alone."""
    return imported_modules(*(["-m", "cece", *args] if args else ["-c", "import numpy"]))


LEFT_OUT = {
    "rich",
    "dask",
    "pandas",
    "pyarrow",
    "hashlib",
    "zipfile",
    "cece.engine.compare",
    "cece.engine.sharded",
    "cece.engine.fold",
    "cece.engine.documents",
    "cece.engine.binary",
    "cece.cli.compare",
    "cece.cli.measures",
    "cece.cli.tools",
}


@pytest.mark.parametrize("quiet", [[], ["-q"]], ids=["table", "-q"])
def test_a_small_loss_run_imports_only_what_it_uses(quiet):
    modules = _imports("categorical", LOGITS, LABELS, *quiet)
    assert "numpy" in modules and "cece.engine.pipeline" in modules  # the check sees imports
    # what numpy imports itself is not cece's to leave out (numpy 1.x: hashlib, via secrets)
    left_out = LEFT_OUT - _imports()
    assert "rich" in left_out and "cece.engine.compare" in left_out
    assert not modules & left_out, sorted(modules & left_out)
