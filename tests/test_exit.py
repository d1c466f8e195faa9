"""The command-line process ends without the interpreter's teardown (cece/cli/entry.py,
``_exit_now``): everything it wrote is there, in full, and the exit code is the run's."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from conftest import ROOT


def _cece(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cece", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_every_record_reaches_a_pipe(tmp_path):
    rows = 200_003  # several chunks of records, the last one partial
    x = np.random.default_rng(3).normal(size=(rows, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", np.arange(rows) % 3)
    proc = _cece("categorical", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "-f", "jsonl")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == rows and lines[-1].startswith('{"index":200002,')


def test_the_exit_code_and_stderr_are_the_runs(tmp_path):
    ok = _cece("categorical", "[[1,2,3]]", "[2]", "-q")
    assert ok.returncode == 0 and float(ok.stdout) > 0
    gate = _cece("categorical", "[[1,2,3]]", "[0]", "-q", "--fail-above", "0.5")
    assert gate.returncode == 1 and gate.stderr.strip()
    bad = _cece("categorical", "[[1,2,3]]", "[7]")
    assert bad.returncode == 2
    assert bad.stderr.startswith("cece: error: ") and len(bad.stderr.splitlines()) <= 2
    out = tmp_path / "doc.json"
    written = _cece("categorical", "[[1,2,3]]", "[2]", "-f", "json", "-o", str(out))
    assert written.returncode == 0 and out.read_text().rstrip().endswith("}")
