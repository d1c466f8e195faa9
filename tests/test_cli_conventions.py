"""The command line's manners, and the start-up tricks (each with a test that fails loudly if it
stops working)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from conftest import ROOT, run_cece

from cece.cli import entry
from cece.cli.app import COMMANDS, build

BIN = Path(sys.executable).parent
COLOUR_VARS = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TERM", "_CECE_COMPLETE")
ENV = {k: v for k, v in os.environ.items() if k not in COLOUR_VARS + ("PYTHONUNBUFFERED",)}
ENV["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"  # the installed `cece` first


def sh(command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """A real shell, as CI runs it (`bash -eo pipefail`), standard output block-buffered."""
    return subprocess.run(["bash", "-eo", "pipefail", "-c", command], cwd=ROOT,
                          env={**ENV, **(env or {})}, capture_output=True, text=True,
                          timeout=120, check=False)


def click_command(args: list[str]):
    """The Click group Typer builds for a run with these arguments (Typer's public API)."""
    return typer.main.get_command(entry.application(args))


# -- start-up tricks ---------------------------------------------------------------------------


def test_a_run_builds_only_its_own_command(monkeypatch):
    """`cece categorical ...` makes no Click command for the others (~5 ms each)."""
    built = []

    def spy(args):
        built.append(application(args))
        return built[-1]

    application = entry.application
    monkeypatch.setattr(entry, "application", spy)
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
    assert run.error_line() == "cece: error: no such command 'categoricl'. Did you mean " \
                               "'categorical'?"


def imported(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "cece", *args],
                          capture_output=True, text=True, cwd=ROOT, env=ENV, check=False)
    assert proc.returncode == 0, proc.stderr
    return {line.split("|")[-1].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:")}


@pytest.mark.parametrize("args", [["--help"], ["categorical", "--help"], ["--version"]])
def test_help_and_version_never_import_pydantic(args):
    """Typer 0.29 coerces values through pydantic (~100 ms with its adapters); help pages must
    not pay for it: cece's root --help flag has a False default, which Typer leaves alone."""
    modules = imported(*args)
    assert "typer" in modules and "pydantic" not in modules
