"""The command-line process loads its modules with cyclic garbage collection paused, and turns
it back on (start-up's objects frozen) before the command does its work (cece.cli.state)."""

from __future__ import annotations

import gc
import subprocess
import sys

import numpy as np
import pytest

from cece.cli import state
from cece.cli.entry import main

from conftest import ROOT


@pytest.fixture
def collector():
    """Restore the collector as the test found it."""
    was = gc.isenabled()
    yield
    state._PAUSED.clear()
    gc.unfreeze()
    if was:
        gc.enable()
    else:
        gc.disable()


def test_pause_then_resume(collector):
    gc.enable()
    state.pause_collector()
    assert not gc.isenabled()
    state.resume_collector()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # start-up's objects are left out of collections


def test_resume_alone_leaves_the_collector_as_it_was(collector):
    """A library caller (or a test) that never paused keeps its own setting."""
    gc.disable()
    state.resume_collector()
    assert not gc.isenabled()
    gc.enable()
    state.resume_collector()
    assert gc.isenabled()


def test_a_run_resumes_before_it_computes(collector, tmp_path, monkeypatch, capsys):
    np.save(tmp_path / "x.npy", np.array([[1.0, 2, 3], [2, 4, 6]], dtype=np.float32))
    np.save(tmp_path / "y.npy", np.array([0, 2]))
    from cece.engine import pipeline

    seen = []
    real = pipeline.run
    monkeypatch.setattr(
        pipeline, "run", lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k)
    )
    state.pause_collector()
    with pytest.raises(SystemExit) as exit_:
        main(["categorical", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "-q"])
    assert exit_.value.code == 0 and seen == [True]
    assert float(capsys.readouterr().out) > 0


CHILD = """
import gc, sys
from cece.cli import entry, state
seen = []
real_pause, real_resume = state.pause_collector, state.resume_collector
state.pause_collector = lambda: (real_pause(), seen.append(("pause", gc.isenabled())))
state.resume_collector = lambda: (real_resume(), seen.append(("resume", gc.isenabled())))
entry.state = state
import cece.cli.run as run
run.resume_collector = state.resume_collector
real_exit = entry._exit_now
entry._exit_now = lambda code: (print(seen, file=sys.stderr), real_exit(code))
sys.argv = ["cece", *sys.argv[1:]]
entry.main()
"""


@pytest.mark.parametrize("args", [["categorical", "X", "Y", "-q"], ["inspect", "X"]])
def test_the_command_line_process_pauses_then_resumes(tmp_path, args):
    """Both paths: the direct one (a loss command) and Typer's (inspect)."""
    np.save(tmp_path / "x.npy", np.array([[1.0, 2, 3], [2, 4, 6]], dtype=np.float32))
    np.save(tmp_path / "y.npy", np.array([0, 2]))
    files = {"X": str(tmp_path / "x.npy"), "Y": str(tmp_path / "y.npy")}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *(files.get(a, a) for a in args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[('pause', False), ('resume', True)]"
