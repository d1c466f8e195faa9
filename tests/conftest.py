"""Shared fixtures: run cece in-process through its real entry point, and write inputs."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from cece.cli import main


def pytest_sessionstart(session):
    """Subprocesses import the installed cece; with CECE_REQUIRE_FAST=1 (CI), a build without
    the compiled kernels fails the run at once, instead of passing on the numpy path alone."""
    import os

    # Subprocesses run the installed cece, never the source tree beside them (a non-editable
    # install has its compiled extension in site-packages only): no cwd on their sys.path.
    os.environ.setdefault("PYTHONSAFEPATH", "1")
    if os.environ.get("CECE_REQUIRE_FAST", "") not in ("", "0"):
        import cece._native

        if not cece._native.FAST:
            raise pytest.UsageError("CECE_REQUIRE_FAST=1, but the compiled kernels are off")


ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    def error_line(self) -> str:
        """The single `cece: error:` line (asserts the error shape of CONTRACT §6)."""
        lines = [line for line in self.err_lines if not line.startswith("cece: note:")]
        assert self.code == 2, (self.code, self.out, self.err)
        assert self.out == "", self.out
        assert lines and lines[0].startswith("cece: error: "), self.err
        assert len(lines) <= 2, self.err  # the error and at most one hint
        assert len(lines) == 1 or lines[1].startswith("  hint: "), self.err
        assert "Traceback" not in self.err
        return lines[0]


class _Stdin(io.TextIOWrapper):
    def isatty(self) -> bool:
        return False


def run_cece(*args: str, stdin: bytes | None = None) -> Run:
    """Call cece.cli.main(argv) in-process, capturing stdout, stderr and the exit code."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = _Stdin(io.BytesIO(stdin or b""))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main([str(a) for a in args])
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        sys.stdin = old_stdin
    return Run(code, out.getvalue(), err.getvalue())


def avx512_cpu() -> bool:
    """Whether /proc/cpuinfo lists the AVX-512 subsets the wide kernels need (Linux), read
    apart from the extension's own check (``_fast.simd``)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= set(flags)


def imported_modules(*argv: str, env: dict | None = None) -> set[str]:
    """The modules a child ``python -X importtime ARGV`` imports (``"-m", "cece", "--help"``,
    ``"-c", "import typer"``), from the repository's root; the child must succeed."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }


@pytest.fixture
def cece():
    return run_cece


@pytest.fixture
def write(tmp_path):
    """write("name.csv", text_or_bytes_or_array) → path; arrays become .npy."""

    def _write(name: str, content) -> str:
        path = tmp_path / name
        if isinstance(content, np.ndarray):
            np.save(path, content)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return str(path)

    return _write


def csv_text(array: np.ndarray, header: list[str] | None = None) -> str:
    """Full-precision CSV (repr round-trips float64 exactly)."""
    lines = [",".join(header)] if header else []
    rows = np.atleast_2d(array) if array.ndim > 1 else array[:, None]
    lines += [
        ",".join(repr(float(v)) if array.dtype.kind == "f" else str(v) for v in row) for row in rows
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(params=["compiled", "numpy"])
def kernel_path(request, monkeypatch):
    """Run a test on the compiled kernels and on the numpy path. Where the compiled kernels
    are off (not built, or CECE_NO_FAST=1, which the subprocesses inherit) the compiled case
    would run the numpy path again under the wrong name: it is skipped (CI sets
    CECE_REQUIRE_FAST=1, which fails the whole session instead: pytest_sessionstart)."""
    import cece._native

    if request.param == "numpy":
        monkeypatch.setattr(cece._native, "FAST", False)
    elif not cece._native.FAST:
        pytest.skip(f"the compiled kernels are off: {cece._native.numpy_because()}")
    return request.param


@pytest.fixture(params=["plain", "python", "pandas"])
def parser(request, monkeypatch):
    """Text inputs through each parser: the compiled one for plain numbers (where built), pure
    Python (small files), pandas (large files). They must agree, and fail identically."""
    import cece.io.text

    if request.param != "plain":
        monkeypatch.setattr(cece.io.text, "PLAIN", False)
    if request.param == "pandas":
        monkeypatch.setattr(cece.io.text, "SMALL", 0)
    return request.param
