"""The command line's manners: help pages, shell completion, `| head` in pipefail shells,
FORCE_COLOR, and the start-up tricks (each with a test that fails loudly if it stops working)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
import typer

from cece.cli import entry
from cece.cli.app import build, commands
from cece.errors import stderr_prefix

from conftest import ROOT, imported_modules, run_cece

COMMANDS = commands()  # every command, in the order of `cece --help`

BIN = Path(sys.executable).parent
COLOUR_VARS = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TERM", "_CECE_COMPLETE")
ENV = {k: v for k, v in os.environ.items() if k not in COLOUR_VARS + ("PYTHONUNBUFFERED",)}
ENV["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"  # the installed `cece` first


def sh(command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """A real shell, as CI runs it (`bash -eo pipefail`), standard output block-buffered."""
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", command],
        cwd=ROOT,
        env={**ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def click_command(args: list[str]):
    """The Click group Typer builds for a run with these arguments (Typer's public API)."""
    return typer.main.get_command(entry.application(args))


# -- help pages ------------------------------------------------------------------------------

USAGE = {
    "categorical": "PREDS [LABELS]",
    "binary": "PREDS [LABELS]",
    "merge": "SUMMARY.json...",
    "entropy": "P",
    "kl": "P Q",
    "explain": "PREDS [LABELS]",
    "curve": "",
    "inspect": "FILE",
    "compare": "BASELINE CANDIDATE [LABELS]",
}


def help_page(*args: str, columns: int = 80) -> str:
    proc = sh("cece " + " ".join(args), env={"COLUMNS": str(columns)})
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return proc.stdout


def test_every_command_has_a_usage_line():
    assert set(USAGE) == set(COMMANDS)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_usage_lines_name_the_arguments_plainly(command):
    """No `{PREDS}` (Typer 0.28+ marks required arguments so), no `[[LABELS]]` (0.29)."""
    first = help_page(command, "--help").splitlines()[0]
    assert first == f"Usage: cece {command} [OPTIONS] {USAGE[command]}".rstrip()


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_examples_are_one_per_line_at_80_columns(command):
    """The epilog's examples are never rewrapped (Click's \\b), even when wider than 80."""
    settings = COMMANDS[command].settings if command else {}
    epilog = settings.get("epilog") or _root_epilog()
    examples = [line.strip() for line in epilog.splitlines() if line.strip().startswith("cece ")]
    assert examples
    shown = [line.strip() for line in help_page(command, "--help").splitlines()]
    for example in examples:
        assert example in shown, example
    assert shown[-len(examples) :] == examples  # the page ends with them


def _root_epilog() -> str:
    return typer.main.get_command(build(listed=True)).epilog


@pytest.mark.parametrize("command", list(COMMANDS))
def test_descriptions_never_break_an_option_name(command):
    page = help_page(command, "--help")
    assert not re.search(r"--[a-z]+(-[a-z]+)*-\n", page), page


OPTION = re.compile(r"  (?:-\w, )?(--[\w-]+)")  # an option's line: its long name


@pytest.mark.parametrize("command", list(COMMANDS))
def test_options_are_grouped_as_declared(command):
    """Each option sits under its group (Input, Loss, Output, Checks (CI)); -h/--help under
    Options; the groups come in the order of their first option, as Typer's rich help does."""
    params = typer.main.get_command(build([command])).commands[command].params
    expected: dict[str, list[str]] = {}
    for param in params:
        if param.param_type_name == "option":
            group = getattr(param, "rich_help_panel", None) or "Options"
            expected.setdefault(group, []).append(max(param.opts, key=len))
    found: dict[str, list[str]] = {}
    section = None
    for line in help_page(command, "--help").splitlines():
        if re.fullmatch(r"\S.*:", line):
            section = line[:-1]
        elif section not in (None, "Arguments") and (option := OPTION.match(line)):
            found.setdefault(section, []).append(option.group(1))
    assert found.pop("Options") == ["--help"]
    assert list(found) == [g for g in expected if g != "Options"]
    for group, options in found.items():
        assert options == expected[group], group


def test_root_help_lists_the_commands_and_both_help_flags_work():
    page = help_page("--help")
    assert page == help_page("-h")
    for name, command in COMMANDS.items():
        assert re.search(
            rf"^  {name} +{re.escape(command.settings['short_help'])}$", page, re.MULTILINE
        )


# -- start-up tricks ---------------------------------------------------------------------------


def test_a_run_builds_only_its_own_command(monkeypatch):
    """`cece categorical ...` on Typer's path makes no Click command for the others (~5 ms
    each)."""
    built = []

    def spy(args):
        built.append(application(args))
        return built[-1]

    application = entry.application
    monkeypatch.setattr(entry, "application", spy)
    monkeypatch.setattr(entry.direct, "parse", lambda args: None)  # not the direct path
    assert run_cece("categorical", "[[1,2,3]]", "[0]", "-q").code == 0
    group = typer.main.get_command(built[0])
    assert list(group.commands) == ["categorical"]
    assert len(group.commands["categorical"].params) > 25  # the real command, options and all


def test_the_list_of_commands_is_built_from_stand_ins():
    """`cece --help` lists every command by name and help line, none of their options."""
    listed = click_command(["--help"]).commands
    full = typer.main.get_command(build()).commands
    assert list(listed) == list(full) == list(COMMANDS)
    for name, command in listed.items():
        assert command.params == []
        assert command.get_short_help_str() == full[name].get_short_help_str()


def test_a_misspelt_command_is_still_suggested():
    run = run_cece("categoricl", "x")
    assert (
        run.error_line() == "cece: error: no such command 'categoricl'. Did you mean 'categorical'?"
    )


def test_completion_builds_every_command_with_its_options(monkeypatch):
    monkeypatch.setenv("_CECE_COMPLETE", "complete_bash")
    commands = click_command([]).commands
    assert list(commands) == list(COMMANDS)
    assert all(command.params for command in commands.values())


def imported(*args: str) -> set[str]:
    return imported_modules("-m", "cece", *args, env=ENV)


@pytest.mark.parametrize("args", [["--help"], ["categorical", "--help"], ["--version"]])
def test_help_and_version_never_import_pydantic(args):
    """Typer 0.29 coerces values through pydantic (~100 ms with its adapters); help pages must
    not pay for it: cece's root --help flag has a False default, which Typer leaves alone."""
    modules = imported(*args)
    assert "typer" in modules and "pydantic" not in modules


# -- shell completion -----------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_is_printed(shell):
    script = sh("cece", env={"_CECE_COMPLETE": f"source_{shell}"}).stdout
    assert "cece" in script and f"_CECE_COMPLETE=complete_{shell}" in script


def test_show_completion_prints_the_script_of_the_shell_it_runs_in():
    proc = sh("cece --show-completion; true")  # `; true`: bash stays cece's parent
    assert proc.returncode == 0, proc.stderr
    assert "complete -o default -F _cece_completion cece" in proc.stdout


def complete(words: str) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    proc = sh(
        "cece",
        env={"_CECE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_completion_proposes_commands_options_and_choices():
    assert complete("cece cat") == ["categorical"]
    assert complete("cece e") == ["entropy", "explain"]
    assert "--reduction" in complete("cece categorical --red")
    assert complete("cece categorical x.csv -r ") == ["mean", "sum", "none"]


def test_completion_works_in_bash_itself():
    proc = sh(
        "source <(cece --show-completion); COMP_WORDS=(cece cat); COMP_CWORD=1; "
        '_cece_completion cece; echo "${COMPREPLY[@]}"'
    )
    assert proc.stdout.split() == ["categorical"], proc.stderr


# -- `cece ... | head` under pipefail -----------------------------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """200k rows: many writes, so the reader is gone long before cece is done."""
    path = tmp_path_factory.mktemp("big")
    rng = np.random.default_rng(0)
    np.save(path / "x.npy", rng.standard_normal((200_000, 5)))
    np.save(path / "y.npy", rng.integers(0, 5, 200_000))
    return f"{path}/x.npy {path}/y.npy"


@pytest.mark.parametrize("options", ["-f jsonl", "-f csv", "-r none -q", "-f json --samples"])
def test_a_reader_that_goes_away_ends_cece_quietly_with_0(big, options):
    proc = sh(f"cece categorical {big} --from logits {options} | head -1")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert len(proc.stdout.splitlines()) == 1


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_reader_gone_before_the_last_flush(unbuffered):
    """Output held in Python's buffer meets the closed pipe only when it is flushed."""
    proc = sh(
        "cece categorical '[[1,2,3]]' '[0]' --from logits -f jsonl | true",
        env={"PYTHONUNBUFFERED": unbuffered},
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


# -- colour ----------------------------------------------------------------------------------

LOGITS, LABELS = "sample_data/catdogpig_logits.csv", "sample_data/catdogpig_labels.csv"
COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-7]m")  # a foreground colour


@pytest.mark.parametrize(
    "env, coloured",
    [
        ({}, False),
        ({"FORCE_COLOR": "1"}, True),
        ({"FORCE_COLOR": "0"}, True),
        ({"FORCE_COLOR": ""}, False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ({"FORCE_COLOR": "1", "TERM": "dumb"}, False),
        ({"FORCE_COLOR": "1", "TTY_COMPATIBLE": "0"}, False),
        ({"TTY_COMPATIBLE": "1"}, True),
    ],
)
def test_errors_are_coloured_exactly_when_the_tables_are(env, coloured):
    """FORCE_COLOR, NO_COLOR, TTY_COMPATIBLE and TERM as rich reads them for the tables."""
    table = sh(f"cece categorical {LOGITS} {LABELS} --from logits", env=env)
    error = sh(f"cece categorical {LOGITS} nope.csv || true", env=env)
    if int(version("rich").split(".")[0]) < 14:  # no TTY_COMPATIBLE; "" counts as set
        coloured = bool(COLOUR.search(table.stdout))  # the prefix must still follow the table
    assert bool(COLOUR.search(table.stdout)) is coloured  # rich keeps bold under NO_COLOR
    assert error.stderr.startswith("\x1b[1;31mcece: error:\x1b[0m nope.csv") is coloured
    assert error.stderr.endswith(
        "cece: error: nope.csv: no such file\n"
        if not coloured
        else "\x1b[1;31mcece: error:\x1b[0m nope.csv: no such file\n"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("tty", [False, True])
@pytest.mark.parametrize(
    "env",
    [
        {},
        {"FORCE_COLOR": "1"},
        {"FORCE_COLOR": "0"},
        {"FORCE_COLOR": "yes"},
        {"NO_COLOR": "1"},
        {"FORCE_COLOR": "1", "NO_COLOR": "1"},
        {"TERM": "dumb"},
        {"TERM": "unknown"},
        {"FORCE_COLOR": "1", "TERM": "DUMB"},
        {"TTY_COMPATIBLE": "0"},
        {"TTY_COMPATIBLE": "1"},
        {"TTY_COMPATIBLE": "1", "NO_COLOR": "1"},
        {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"},
        {"FORCE_COLOR": ""},
        {"NO_COLOR": ""},
    ],
)
def test_the_error_prefix_follows_rich(monkeypatch, tty, env):
    """The same decision as a rich Console on the same stream, for every rule rich has."""
    from rich.console import Console

    for name in COLOUR_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    console = Console(file=stream)
    rich_colours = console.color_system is not None and not console.no_color
    assert ("\x1b[" in stderr_prefix("error")) is rich_colours
    assert ("\x1b[" in stderr_prefix("warning")) is rich_colours
