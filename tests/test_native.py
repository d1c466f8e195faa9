"""The switch between the compiled kernels and numpy (cece/_native): the same functions both
ways, labels bounds-checked by the kernels themselves, CECE_REQUIRE_FAST and CECE_NO_FAST."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import cece._native as kernels
from cece._native import _numpy
from cece.errors import InputError

from conftest import ROOT, avx512_cpu

NATIVE = ROOT / "cece" / "_native"
IMPLS = [
    pytest.param(_numpy, id="numpy"),
    pytest.param(
        kernels._fast if kernels.AVAILABLE else None,
        id="compiled",
        marks=pytest.mark.skipif(not kernels.AVAILABLE, reason="not built here"),
    ),
]


def _outputs(n: int):
    return np.empty(n), np.empty(n, np.uint8), np.empty(n, np.int64)


# -- one set of signatures --------------------------------------------------------------------------


def _stub_functions() -> dict[str, list[str]]:
    tree = ast.parse((NATIVE / "_fast.pyi").read_text())
    return {
        f.name: [a.arg for a in f.args.posonlyargs + f.args.args]
        for f in tree.body
        if isinstance(f, ast.FunctionDef)
    }


def test_the_stub_types_what_the_c_file_defines():
    methods = set(re.findall(r'\{"(\w+)", py_\w+, METH_', (NATIVE / "_fast.c").read_text()))
    assert set(_stub_functions()) == methods
    if kernels._fast is not None:
        assert {n for n in dir(kernels._fast) if not n.startswith("_")} == methods


def test_the_numpy_module_has_the_same_signatures():
    import inspect

    for name, args in _stub_functions().items():
        assert list(inspect.signature(getattr(_numpy, name)).parameters) == args, name


def test_describe(monkeypatch):
    want = f"compiled ({kernels.simd()})" if kernels.FAST else "numpy"
    assert kernels.describe()["kernels"] == want
    assert kernels.describe()["csv_parser"] == ("compiled" if kernels.PARSER else "python/pandas")
    monkeypatch.setattr(kernels, "FAST", False)
    assert kernels.describe()["kernels"] == "numpy"


@pytest.mark.skipif(not kernels.AVAILABLE, reason="the compiled kernels are not built here")
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("c", [3, 64, 200])
def test_both_softmax_index_agree(dtype, c):
    rng = np.random.default_rng(c)
    x = (rng.standard_normal((300, c)) * 4).astype(dtype)
    x[7, 1] = np.nan
    x[9, 0] = np.inf
    x[11, 1] = -np.inf  # a class of probability 0, not an error
    y = rng.integers(0, c, 300)
    got = [_outputs(300) for _ in range(2)]
    codes = [impl.softmax_index(x, c, y, *out) for impl, out in zip((_numpy, kernels._fast), got)]
    assert codes == [2, 2]
    np.testing.assert_allclose(got[0][0], got[1][0], rtol=1e-14 if dtype == "float64" else 2e-7)
    for a, b in zip(got[0][1:], got[1][1:]):
        assert np.array_equal(a, b)


@pytest.mark.skipif(not kernels.AVAILABLE, reason="the compiled kernels are not built here")
def test_both_bce_logits_agree():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((50, 3)) * 9, rng.random((50, 3))
    x[4, 2] = np.inf
    w = np.array([0.5, 1, 2.0])
    out = [(np.empty(50), np.empty(50)) for _ in range(2)]
    res = [impl.bce_logits(x, 3, y, w, 0.0, *o) for impl, o in zip((_numpy, kernels._fast), out)]
    assert res[0] == res[1] == (1, 1)
    keep = np.arange(50) != 4
    np.testing.assert_allclose(out[0][0][keep], out[1][0][keep], rtol=1e-13)
    assert np.array_equal(out[0][1], out[1][1])


# -- the kernels check their own bounds -------------------------------------------------------------


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("bad", [3, -1, 10**6, -(10**6), 2**62, -(2**63), 2**63 - 1])
@pytest.mark.parametrize("row", [0, 5, 99])
def test_softmax_index_reports_the_first_bad_row(impl, bad, row):
    x = np.random.default_rng(0).standard_normal((100, 3))
    y = np.zeros(100, np.int64)
    y[row] = bad
    if row < 99:
        y[row + 1 :] = 7  # later bad rows are not the first
    nll = np.full(100, -5.0)
    assert (
        impl.softmax_index(x, 3, y, nll, np.empty(100, np.uint8), np.empty(100, np.int64))
        == -2 - row
    )
    if impl is not _numpy:
        assert (nll == -5.0).all()  # nothing computed


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("classes", [3, 10, 70])
@pytest.mark.parametrize("row", [4095, 4096, 8191, 9999])
def test_a_bad_label_past_the_first_4096_rows_is_the_first_bad_row(impl, dtype, classes, row):
    """The compiled kernel checks the labels 4096 rows at a time, just before it reads those
    rows: the first bad row is still the one reported, a later one never hides it, and no row
    of its 4096 or after is computed."""
    n = 10_000
    x = np.random.default_rng(1).standard_normal((n, classes)).astype(dtype)
    y = np.random.default_rng(2).integers(0, classes, n)
    y[row] = classes
    y[row + 1 :: 997] = -1  # later bad rows are not the first
    nll = np.full(n, -5.0)
    for extrema in (None, np.empty(2)):
        code = impl.softmax_index(
            x, classes, y, nll, np.empty(n, np.uint8), np.empty(n, np.int64), 1.0, extrema
        )
        assert code == -2 - row
        if impl is not _numpy:
            step = row // 4096 * 4096
            assert (nll[step:] == -5.0).all()  # not read
            assert (nll[:step] > 0).all()  # the steps before computed


@pytest.mark.parametrize("bad", [3, -1, 10**6, 2**62])
def test_the_switch_turns_a_bad_label_into_the_librarys_error(bad, kernel_path):
    x = np.zeros((4, 3), np.float32)
    y = np.array([0, 1, bad, 2])
    with pytest.raises(
        InputError,
        match=rf"^targets: row 2: label {bad} is out of range for 3 "
        r"classes \(expected 0\.\.2\)$",
    ):
        kernels.softmax_index(x, y)


def test_simd_entry_points_check_the_cpu_first():
    """Where available() is false, softmax_index, bce_logits and exp_log raise RuntimeError
    (never "0 bad rows" without computing): each checks cpu_ready() before anything else."""
    source = (NATIVE / "_fast.c").read_text()
    for name in ("softmax_index", "bce_logits", "exp_log"):
        body = source[source.index(f"static PyObject *py_{name}(") :]
        first = body.split("{", 1)[1].split(";")[:6]
        assert any("cpu_ready()" in part for part in first), name
    assert "cece's compiled kernels are not available on this CPU" in source
    assert kernels.UNAVAILABLE == "cece's compiled kernels are not available on this CPU"


# -- CECE_REQUIRE_FAST and CECE_NO_FAST ---------------------------------------------------------------


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


DESCRIBE = "import json, cece._native as k; print(json.dumps(k.describe()))"
WITHOUT_EXTENSION = "import sys; sys.modules['cece._native._fast'] = None; " + DESCRIBE


def test_require_fast_fails_loudly_without_the_extension():
    run = _python(WITHOUT_EXTENSION, CECE_REQUIRE_FAST="1")
    assert run.returncode != 0
    assert (
        "ImportError: CECE_REQUIRE_FAST=1, but cece's compiled kernels were not built" in run.stderr
    )
    run = _python(WITHOUT_EXTENSION)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"kernels": "numpy", "csv_parser": "python/pandas"}


def test_require_fast_where_the_kernels_are_built():
    run = _python(DESCRIBE, CECE_REQUIRE_FAST="1")
    if kernels.AVAILABLE:
        assert run.returncode == 0, run.stderr
        isa = "AVX-512" if kernels._fast.simd() == "avx512" or avx512_cpu() else "AVX2"
        assert json.loads(run.stdout) == {"kernels": f"compiled ({isa})", "csv_parser": "compiled"}
    else:
        assert run.returncode != 0 and "CECE_REQUIRE_FAST=1" in run.stderr
    run = _python(DESCRIBE, CECE_NO_FAST="1", CECE_REQUIRE_FAST="1")  # checked, then numpy
    assert run.returncode == (0 if kernels.AVAILABLE else 1), run.stderr
    if kernels.AVAILABLE:
        assert json.loads(run.stdout)["kernels"] == "numpy"
