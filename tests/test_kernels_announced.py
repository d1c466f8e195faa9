"""What computes is said: `cece --version`, the `-v` line, JSON `environment`, and a note when a
large run falls back to numpy because the compiled kernels could not be used."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cece import _native
from cece.cli import run as cli_run

from conftest import run_cece

NOT_BUILT = "were not built (No module named 'cece._native._fast')"


@pytest.fixture
def not_built(monkeypatch):
    monkeypatch.setattr(_native, "FAST", False)
    monkeypatch.setattr(_native, "AVAILABLE", False)
    monkeypatch.setattr(_native, "BUILT", False)
    monkeypatch.setattr(_native, "_WHY_NOT", NOT_BUILT)


@pytest.fixture
def cpu_lacks(monkeypatch):
    """Built (the parser runs), on a CPU the kernels skip: arm64, or x86 without AVX2."""
    monkeypatch.setattr(_native, "FAST", False)
    monkeypatch.setattr(_native, "AVAILABLE", False)
    monkeypatch.setattr(_native, "BUILT", True)
    monkeypatch.setattr(_native, "_WHY_NOT", "are not available on this CPU (they need x86-64)")


@pytest.fixture
def numpy_asked(monkeypatch):
    monkeypatch.setattr(_native, "FAST", False)
    monkeypatch.setattr(_native, "AVAILABLE", True)
    monkeypatch.setattr(_native, "_WHY_NOT", None)


def test_version_says_the_compiled_kernels_run(monkeypatch):
    monkeypatch.setattr(_native, "FAST", True)
    run = run_cece("--version")
    first, second = run.out.splitlines()
    assert run.code == 0 and first.startswith("cece 0.")
    wide = "AVX-512, " if _native.simd() == "AVX-512" else ""
    assert second.startswith(f"kernels compiled (x86-64 {wide}AVX2, FMA, F16C) · text parser ")


def test_version_says_why_numpy_computes(not_built):
    second = run_cece("--version").out.splitlines()[1]
    assert second.startswith(
        f"kernels numpy, slower than the compiled ones: cece's compiled kernels {NOT_BUILT}"
    )
    assert "reinstall with a C compiler" in second


def test_version_on_a_cpu_the_kernels_skip_gives_no_reinstall_hint(cpu_lacks):
    """A reinstall cannot help there (the build succeeded; the CPU decides)."""
    second = run_cece("--version").out.splitlines()[1]
    assert "are not available on this CPU" in second and "reinstall" not in second


def test_version_names_cece_no_fast(numpy_asked):
    second = run_cece("--version").out.splitlines()[1]
    assert "CECE_NO_FAST=1 is set" in second and "reinstall" not in second


def test_json_environment_and_the_verbose_line_say_why(not_built, write):
    x = write("x.npy", np.array([[1.0, 2, 3], [2, 4, 6]], dtype=np.float32))
    doc = json.loads(run_cece("categorical", x, "[0,2]", "-f", "json").out)
    assert doc["environment"]["compiled_kernels"] is False
    assert doc["environment"]["numpy_because"] == f"cece's compiled kernels {NOT_BUILT}"
    err = run_cece("categorical", x, "[0,2]", "-q", "-v").err
    assert f"compiled kernels not available (cece's compiled kernels {NOT_BUILT})" in err


def test_json_environment_has_no_reason_when_the_kernels_run(write):
    x = write("x.npy", np.array([[1.0, 2, 3]], dtype=np.float32))
    doc = json.loads(run_cece("categorical", x, "[1]", "-f", "json").out)
    assert doc["environment"]["compiled_kernels"] is _native.FAST
    assert ("numpy_because" in doc["environment"]) is (not _native.FAST)


def _big(write) -> tuple[str, str]:
    rows = cli_run.SLOW_VALUES // 4
    x = np.random.default_rng(0).normal(size=(rows, 4)).astype(np.float32)
    y = np.zeros(rows, dtype=np.int64)
    return write("big.npy", x), write("big_y.npy", y)


def test_a_large_run_on_numpy_says_so(not_built, write):
    x, y = _big(write)
    run = run_cece("categorical", x, y, "--from", "logits")
    assert run.code == 0
    assert (
        f"cece: note: computed with numpy, slower than the compiled kernels: cece's compiled "
        f"kernels {NOT_BUILT} (cece --version says what computes)"
    ) in run.err.splitlines()


def test_no_note_when_numpy_was_asked_for_or_the_run_is_small(numpy_asked, write, monkeypatch):
    x, y = _big(write)
    assert "computed with numpy" not in run_cece("categorical", x, y, "--from", "logits").err
    monkeypatch.setattr(_native, "AVAILABLE", False)
    small = write("s.npy", np.array([[1.0, 2, 3]], dtype=np.float32))
    assert "computed with numpy" not in run_cece("categorical", small, "[1]").err
