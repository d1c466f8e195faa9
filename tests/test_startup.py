"""Start-up stays light: `cece --help` and small NPY or CSV runs never import pandas."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from conftest import ROOT


def imported(*args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cece", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }


def test_help_imports_neither_numpy_nor_pandas():
    modules = imported("--help")
    assert "pandas" not in modules and "numpy" not in modules
    assert "typer" in modules  # the check sees imports at all


def test_small_npy_and_csv_runs_do_not_import_pandas(tmp_path):
    np.save(tmp_path / "x.npy", np.array([[1.0, 2, 3], [2, 4, 6]], dtype=np.float32))
    np.save(tmp_path / "y.npy", np.array([0, 2]))
    modules = imported("categorical", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "-q")
    assert "numpy" in modules and "pandas" not in modules
    modules = imported(
        "categorical", "sample_data/catdogpig_logits.csv", "sample_data/catdogpig_labels.csv"
    )
    assert "rich" in modules and "pandas" not in modules


def cpu_seconds(argv: list[str], env: dict) -> float:
    """User + system CPU time of one run (steadier than wall time on a busy machine)."""
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, argv
    return usage.ru_utime + usage.ru_stime


def test_help_starts_within_1_3_times_typers_own_import(tmp_path):
    """`cece --help` costs at most 1.3 × `import typer` (best of 9 each, interleaved), with
    compiled bytecode as an installed cece has it."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    typer_import = [sys.executable, "-c", "import typer"]
    help_page = [sys.executable, "-c", "from cece.cli import main; main()", "--help"]
    cpu_seconds(help_page, env)  # writes the bytecode
    typer_times, help_times = [], []
    for _ in range(9):
        typer_times.append(cpu_seconds(typer_import, env))
        help_times.append(cpu_seconds(help_page, env))
    assert min(help_times) <= 1.3 * min(typer_times), (min(help_times), min(typer_times))
