"""A run imports only its own command's module (cece.cli.app.commands); the list of commands
and every help page stay what they were, whichever command was registered first."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cece.cli import app

from conftest import ROOT, run_cece


def _run(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_every_command_is_registered_by_its_module():
    registered = app.commands()
    assert list(registered) == list(app.MODULES)
    for name, command in registered.items():
        assert command.callback.__module__ == f"cece.cli.{app.MODULES[name]}", name


def test_a_loss_run_registers_only_its_module():
    out = _run(
        "import sys\n"
        "from cece.cli import app, entry\n"
        "entry.application(['categorical', 'x.csv'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('cece.cli.')))\n"
        "print(list(app.COMMANDS))\n"
    )
    modules, registered = out.splitlines()
    assert "cece.cli.loss" in modules
    for other in ("cece.cli.compare", "cece.cli.measures", "cece.cli.tools"):
        assert other not in modules
    assert registered == "['categorical', 'binary', 'merge']"


@pytest.mark.parametrize("first", ["inspect", "kl", "compare", "merge"])
def test_the_list_of_commands_keeps_its_order(first):
    """A process that ran another command first (a library user, a test session) lists the
    commands in the same order."""
    expected = run_cece("--help").out
    out = _run(
        "import contextlib, io\n"
        "from cece.cli import app, entry\n"
        f"app.commands([{first!r}])\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        "        entry.main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(buf.getvalue(), end='')\n"
    )
    assert out == expected


@pytest.mark.parametrize("command", list(app.MODULES))
def test_a_command_s_help_is_the_same_alone_and_among_all(command):
    alone = _run(
        "import contextlib, io\n"
        "from cece.cli import entry\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        f"        entry.main([{command!r}, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(buf.getvalue(), end='')\n"
    )
    assert alone == run_cece(command, "--help").out
