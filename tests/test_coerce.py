"""Option values are converted without pydantic on every Typer release (cece/cli/coerce.py),
to the values Typer's own coercion gives, with Click's error messages; and a loss run imports
only what it uses (no pydantic, OpenSSL, statistics, logging, zipfile or tempfile)."""

from __future__ import annotations

import enum
import subprocess
import sys

import pytest
import typer
from test_startup import imported

from cece.cli import app, coerce
from cece.cli.convert import converter
from cece.cli.entry import application

from conftest import run_cece

X3 = "[[1,2,3],[2,4,6],[4,1,0]]"


class Colour(str, enum.Enum):
    red = "red"
    blue = "blue"


@pytest.mark.parametrize(
    "annotation, text, value",
    [
        (int, "3", 3),
        (int | None, "-7", -7),
        (float, "1e-3", 1e-3),
        (float | None, "inf", float("inf")),
        (str, "x.csv", "x.csv"),
        (str | None, "", ""),
        (bool, True, True),
        (bool | None, False, False),
        (Colour, "blue", Colour.blue),
        (Colour | None, Colour.red, Colour.red),
        (list[str], ("a", "b"), ("a", "b")),
        (list[float] | None, ("1", "2.5"), (1.0, 2.5)),
    ],
)
def test_values_convert_as_click_converts_them(annotation, text, value):
    convert = converter(annotation)
    assert convert is not None
    got = convert(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    "annotation, text, message",
    [
        (int, "1.5", "'1.5' is not a valid integer."),
        (int, "x", "'x' is not a valid integer."),
        (float, "abc", "'abc' is not a valid float."),
        (Colour, "green", "'green' is not one of 'red', 'blue'."),
        (list[float], ("1", "two"), "'two' is not a valid float."),
    ],
)
def test_values_of_the_wrong_kind_are_refused_in_clicks_words(annotation, text, message):
    convert = converter(annotation)
    assert convert is not None
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.") + "$"):
        convert(text)


@pytest.mark.parametrize("annotation", [complex, dict[str, int], int | str, tuple[int, int]])
def test_other_kinds_are_left_to_typer(annotation):
    assert converter(annotation) is None


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--eps", "abc", "invalid value for '--eps': 'abc' is not a valid float"),
        ("--top-k", "1.5", "invalid value for '--top-k': '1.5' is not a valid integer"),
        ("--base", "3", "invalid value for '--base' / '-b': '3' is not one of 'e', '2', '10'"),
    ],
)
def test_a_bad_value_is_one_line_on_every_typer(option, value, message):
    result = run_cece("categorical", X3, "[0,2,1]", option, value)
    assert result.code == 2
    assert result.error_line() == f"cece: error: {message}"


ARGS = [
    ["categorical", "p.csv", "l.csv"],
    ["categorical", "p.csv", "-r", "sum", "--eps", "1e-7", "--top-k", "2", "--no-header"],
    ["binary", "s.npy", "t.npy", "--from", "logits", "--pos-weight", "3", "-f", "json"],
    ["categorical", "p.npy", "--label-col", "y", "--base", "2", "--weight", "1,2", "--strict"],
    ["entropy", "p.csv", "--base", "2"],
    ["kl", "p.csv", "q.csv", "--reduction", "none"],
]


@pytest.mark.parametrize("args", ARGS)
def test_the_values_are_typers_own(args, monkeypatch):
    """cece's conversion hands the command the values Typer's coercion would (on Typer before
    0.29 both are Click's)."""

    def params(install: bool) -> dict:
        if not install:
            monkeypatch.setattr(coerce, "install", lambda *a: None)
        group = typer.main.get_command(application(args))
        with group.make_context("cece", list(args)) as ctx:
            command = group.get_command(ctx, args[0])
            assert command is not None
            with command.make_context(args[0], list(args[1:]), parent=ctx) as sub:
                return dict(sub.params)

    ours = params(True)
    typers = params(False)
    assert ours == typers
    assert {k: type(v) for k, v in ours.items()} == {k: type(v) for k, v in typers.items()}


def test_every_option_of_every_command_is_of_a_kind_cece_converts():
    """No option falls back to Typer's (pydantic) coercion: a new option of another kind
    would put pydantic back on every run."""
    import typing

    for name, entry in app.commands().items():
        for param, annotation in typing.get_type_hints(entry.callback).items():
            if param != "return":
                assert converter(annotation) is not None, (name, param, annotation)


def _imported_by(code: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }


def test_a_loss_run_imports_only_what_it_uses(tmp_path):
    table = tmp_path / "p.csv"
    table.write_text("cat,dog,pig\n1,2,3\n2,4,6\n4,1,0\n")
    modules = imported("categorical", str(table), "[0,2,1]")
    assert "rich" not in modules  # the table, on a pipe, is drawn as plain text (report/grid)
    # what numpy, Typer and rich import themselves (some releases import hashlib or logging)
    theirs = _imported_by("import numpy, typer, rich.console, rich.table")
    unused = {"pydantic", "hashlib", "statistics", "logging", "zipfile", "tempfile"} - theirs
    assert "pydantic" in unused and "statistics" in unused  # the check checks something
    assert not unused & modules
    json_run = imported("categorical", str(table), "[0,2,1]", "-f", "json")
    assert "hashlib" in json_run  # the document's input fingerprint
