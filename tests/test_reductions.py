"""No BLAS in the reductions: summaries and losses must be bit-identical whatever BLAS's thread
count (OpenBLAS's dot and gemv sum in an order that depends on it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

BLAS = re.compile(
    r"np\.(dot|vdot|inner|matmul|tensordot)\b|\.dot\(|[\w)\]]\s*@\s*[\w(]|"
    r"einsum\([^)]*optimize"
)
REDUCTION_PATHS = [
    *(ROOT / "cece" / "losses").glob("*.py"),
    *((ROOT / "cece" / "_native").glob("*.py")),
    ROOT / "cece" / "engine" / "reduce.py",
]


@pytest.mark.parametrize("path", REDUCTION_PATHS, ids=lambda p: p.name)
def test_no_blas_call_in_the_reduction_paths(path):
    code = [line.split("#")[0] for line in path.read_text().splitlines()]
    code = [line for line in code if not line.lstrip().startswith("@")]  # decorators
    hits = [
        line
        for line in code
        if BLAS.search(line) and "nlq.dot(" not in line and "plain.dot(" not in line
    ]
    assert not hits, hits


SUMMARY = """
import json, numpy as np
from cece import categorical_cross_entropy
from cece.engine.reduce import Summary
rng = np.random.default_rng(3)
loss = rng.exponential(size=300_000)
s = Summary.of(loss, weighted_sum=0.0, weight_sum=1.0, ignored=0, correct=0)
x, y = rng.standard_normal((20_000, 40)), rng.integers(0, 40, 20_000)
smooth = categorical_cross_entropy(x, y, label_smoothing=0.1, weight=rng.random(40),
                                   reduction="none")
print(json.dumps([s.loss_m2.hex(), float(smooth.sum()).hex(), smooth[:5].tolist()]))
"""


def test_summaries_do_not_depend_on_the_blas_thread_count():
    outs = []
    for threads in ("1", "2"):
        run = _python(
            SUMMARY, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads
        )
        assert run.returncode == 0, run.stderr
        outs.append(run.stdout)
    assert outs[0] == outs[1]


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CECE_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**environ, **env},
    )
