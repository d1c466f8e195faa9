"""The BCE-from-logits kernel: float32 logits in its division-free path, the targets checked in
its pass, and the block figures it keeps (Σ correct, min and max of the losses).

The float32 path (``log1p_exp_neg4_f32_n`` in cece/_native/_fast.c) is held to float64
references written from the formula (tests/reference.py, Python floats and libm) at 1e-8
relative, well inside the 1.1e-7 contract of float32 inputs (README "Precision and speed"),
and to the stored PyTorch values (tests/data/binary_oracles.json) at their tolerance.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cece import _native as kernels
from cece import binary_cross_entropy_with_logits as bce
from cece._native import _numpy

import reference
from conftest import run_cece

compiled = pytest.mark.skipif(not kernels.AVAILABLE, reason="the compiled kernels are not built")
IMPLS = ["numpy", "compiled"]
ORACLES = json.loads((Path(__file__).parent / "data" / "binary_oracles.json").read_text())
F32 = 1e-8  # measured: 3.8e-9 (the polynomials' own error); the contract is 1.1e-7


def impl(name: str):
    if name == "compiled" and not kernels.AVAILABLE:
        pytest.skip("the compiled kernels are not built")
    return kernels._fast if name == "compiled" else _numpy


def run(name, x, y, pw=None, threshold=0.0):
    """(loss, right, (bad, soft), stats) of one call of the kernel ``name``."""
    n, k = x.shape
    loss, right, stats = np.empty(n), np.empty(n), np.empty(4)
    w = None if pw is None else np.ascontiguousarray(np.broadcast_to(np.float64(pw), (k,)))
    code = impl(name).bce_logits(x, k, y, w, threshold, loss, right, stats)
    return loss, right, code, stats


def element(x: float, y: float, w: float = 1.0) -> float:
    """w·y·softplus(−x) + (1 − y)·softplus(x) in Python floats (0·inf = 0)."""
    sp = reference._softplus
    a = w * y * sp(-x) if w * y else 0.0
    b = (1 - y) * sp(x) if y < 1 else 0.0
    return a + b


def rows_reference(x: np.ndarray, y: np.ndarray, pw=None) -> np.ndarray:
    k = x.shape[1]
    w = [1.0] * k if pw is None else list(np.broadcast_to(np.float64(pw), (k,)))
    return np.array(
        [
            math.fsum(element(float(a), float(b), w[j]) for j, (a, b) in enumerate(zip(xr, yr)))
            for xr, yr in zip(x, y)
        ]
    )


def close(got: np.ndarray, want: np.ndarray, rtol: float) -> None:
    """Relative to the float64 value; below the float64 normals (e^−708) absolutely, as libm's
    own subnormal results are."""
    tiny = np.abs(want) < 1e-300
    np.testing.assert_allclose(got[~tiny], want[~tiny], rtol=rtol, atol=0)
    np.testing.assert_allclose(got[tiny], want[tiny], rtol=0, atol=1e-300)


# logits where log1p(e^−|x|) changes regime: 0, the branch at u = √2 − 1, float32's own
# underflow (87.3, 103.3), float64's (708, 745, 746), huge, subnormal, and −inf
EDGES = [
    0.0,
    -0.0,
    1e-45,
    1e-38,
    1e-7,
    0.125,
    0.34657359,
    0.88137359,
    1.0,
    2.0,
    10.0,
    16.635532,
    17.0,
    30.0,
    87.33654,
    88.7,
    103.27893,
    104.0,
    500.0,
    708.39,
    745.1,
    745.2,
    746.0,
    1000.0,
    1e4,
    1e20,
    3.4028235e38,
]
TARGETS = [0.0, 1.0, 0.5, 0.25, 1e-7, 1 - 2**-24, 2**-30]


@pytest.mark.parametrize("pw", [None, 0.3, 7.0])
@pytest.mark.parametrize("name", IMPLS)
def test_float32_logits_at_every_regime_against_float64(name, pw):
    x = np.array([s * v for v in EDGES for s in (1, -1)] + [-np.inf], np.float32)
    xs, ys = np.meshgrid(x, np.array(TARGETS, np.float32))
    xs, ys = xs.reshape(-1, 1), ys.reshape(-1, 1)
    loss, right, (bad, soft), _ = run(name, xs, ys, pw)
    want = rows_reference(xs.astype(np.float64), ys.astype(np.float64), pw)
    assert bad == 0 and soft == 1
    assert np.array_equal(np.isinf(loss), np.isinf(want)) and np.isinf(want).any()  # −inf, y > 0
    ok = np.isfinite(want)
    close(loss[ok], want[ok], F32)
    assert np.array_equal(right[:, None] if right.ndim == 1 else right, (xs > 0) == (ys >= 0.5))


@pytest.mark.parametrize("k", [2, 3, 5, 8, 11])
@pytest.mark.parametrize("name", IMPLS)
def test_float32_rows_of_k_columns_with_pos_weights(name, k):
    rng = np.random.default_rng(k)
    n = 257
    x = (rng.standard_normal((n, k)) * rng.choice([0.1, 3, 40, 200], (n, k))).astype(np.float32)
    y = np.where(rng.random((n, k)) < 0.2, rng.random((n, k)), rng.integers(0, 2, (n, k)))
    y = y.astype(np.float32)
    pw = rng.uniform(0.1, 5, k)
    loss, right, (bad, soft), stats = run(name, x, y, pw)
    close(loss, rows_reference(x.astype(np.float64), y.astype(np.float64), pw), F32)
    assert (bad, soft) == (0, 1)
    assert np.array_equal(right, ((x > 0) == (y >= 0.5)).sum(axis=1))
    assert stats[0] == -1 and stats[1:].tolist() == [0.0, math.inf, -math.inf]  # k > 1: not kept


finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@compiled
@settings(max_examples=150, deadline=None)
@given(
    x=hnp.arrays(
        np.float32,
        st.integers(1, 40),
        elements=st.one_of(finite32, st.just(-np.inf), st.floats(-120, 120, width=32)),
    ),
    data=st.data(),
)
def test_float32_kernel_property(x, data):
    """Any float32 logits (−inf included), any float32 targets in [0, 1], a pos_weight: the
    compiled kernel within 1e-8 of the float64 reference, its twin too, and both agree on
    everything else."""
    n = len(x)
    y = data.draw(hnp.arrays(np.float32, n, elements=st.floats(0, 1, width=32)))
    pw = data.draw(st.one_of(st.none(), st.floats(0.01, 100)))
    x, y = x.reshape(-1, 1), y.reshape(-1, 1)
    want = rows_reference(x.astype(np.float64), y.astype(np.float64), pw)
    fast, slow = run("compiled", x, y, pw), run("numpy", x, y, pw)
    for loss in (fast[0], slow[0]):
        assert np.array_equal(np.isinf(loss), np.isinf(want))
        ok = np.isfinite(want)
        close(loss[ok], want[ok], F32)
    assert fast[2] == slow[2] and np.array_equal(fast[1], slow[1])
    assert fast[3][:2].tolist() == slow[3][:2].tolist()  # no bad target; Σ correct
    assert fast[3][1] == fast[1].sum() and (fast[3][2], fast[3][3]) == (
        fast[0].min(),
        fast[0].max(),
    )


F32_LOGITS = [c for c in ORACLES["cases"] if c["dtype"] == "float32" and c["kind"] == "logits"]


@pytest.mark.parametrize("case", F32_LOGITS, ids=lambda c: c["id"])
def test_float32_logits_oracles(case, kernel_path):
    """The stored PyTorch values (computed by torch in float32: 1e-6) and, tighter, the float64
    reference of the same float32 inputs (1e-8), through the library."""
    opts = {k: v for k, v in case["options"].items() if k != "reduction"}
    pw = opts.get("pos_weight")
    if pw is not None:
        opts["pos_weight"] = pw[0] if len(pw) == 1 else np.array(pw)
    x = np.array(case["preds"], dtype=np.float32)
    y = np.array(case["target"])
    reduction = case["options"]["reduction"]
    got = bce(x, y, reduction=reduction, **opts)
    np.testing.assert_allclose(got, case["expected"], rtol=1e-6, atol=1e-13)
    x2 = x.reshape(len(x), -1).astype(np.float64)
    want = reference.binary(
        x2.tolist(), y.reshape(len(x), -1).tolist(), reduction=reduction, **opts
    )
    np.testing.assert_allclose(got, want, rtol=F32 if kernel_path == "compiled" else 1e-12)


# -- the targets, checked in the kernel's pass -------------------------------------------------


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("bad", [1.5, -0.5, np.nan, np.inf, -np.inf, -1e-30, 1 + 2**-23])
@pytest.mark.parametrize("xdtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("name", IMPLS)
def test_the_first_bad_target_row_is_found(name, xdtype, bad, k):
    rng = np.random.default_rng(3)
    n = 67
    x = rng.standard_normal((n, k)).astype(xdtype)
    y = rng.integers(0, 2, (n, k)).astype(np.float64)
    assert run(name, x, y)[3][0] == -1
    y[41, k - 1] = bad
    y[60, 0] = bad
    assert run(name, x, y)[3][0] == 41
    assert run(name, x, y.astype(np.float32))[3][0] == 41


@pytest.mark.parametrize("name", IMPLS)
def test_block_figures_are_those_of_the_outputs(name):
    rng = np.random.default_rng(5)
    for n in (1, 3, 4, 7, 8, 9, 15, 16, 1001):
        x = (rng.standard_normal((n, 1)) * 4).astype(np.float32)
        x[rng.random((n, 1)) < 0.1] = -np.inf
        y = rng.integers(0, 2, (n, 1)).astype(np.float32)
        loss, right, _, stats = run(name, x, y, threshold=0.3)
        assert stats.tolist() == [-1, right.sum(), loss.min(), loss.max()]


@pytest.mark.parametrize(
    "value, line, hint",
    [
        (
            "1.5",
            "cece: error: {y}: row {row}: target 1.5 is outside [0, 1]",
            "  hint: binary targets are 0/1 labels or probabilities in [0, 1]",
        ),
        (
            "-1",
            "cece: error: {y}: row {row}: target -1 is outside [0, 1]",
            "  hint: for labels such as benign/malignant or -1/1 name the positive one: "
            "--positive LABEL",
        ),
        (
            "nan",
            "cece: error: {y}: row {row}, column 0: found nan target; expected a finite number",
            "  hint: remove or impute non-finite values first",
        ),
    ],
)
@pytest.mark.parametrize("row", [7, 300_001])  # the first block, a later one
def test_a_bad_target_is_one_error_line_naming_its_row(
    tmp_path, kernel_path, value, line, hint, row
):
    n = 300_010
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    y = (x > 0).astype(np.float32)
    y[row] = float(value)
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(xp, x)
    np.save(yp, y)
    out = run_cece("binary", str(xp), str(yp), "--from", "logits", "-q")
    assert out.code == 2 and out.out == ""
    assert out.err.splitlines() == [line.format(y=yp, row=row), hint]


def test_a_bad_target_comes_before_a_nan_logit_of_its_block(tmp_path, kernel_path):
    x = np.zeros(20, np.float32)
    x[3] = np.nan
    y = np.zeros(20, np.float32)
    y[9] = 2
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    out = run_cece("binary", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--from", "logits")
    assert out.code == 2
    assert (
        out.err.splitlines()[0]
        == f"cece: error: {tmp_path / 'y.npy'}: row 9: target 2 is outside [0, 1]"
    )


def test_reported_extrema_and_accuracy_are_the_samples_own(tmp_path, kernel_path):
    """stats.min, stats.max and stats.accuracy from the kernel's pass equal those of the
    per-sample losses to the bit (several blocks, both threads)."""
    rng = np.random.default_rng(8)
    n = 600_001
    x = (rng.standard_normal(n) * 3).astype(np.float32)
    y = (rng.random(n) < 0.4).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    args = ("binary", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--from", "logits")
    doc = json.loads(run_cece(*args, "-f", "json").out)
    rows = run_cece(*args, "-f", "csv")
    assert rows.code == 0
    lines = rows.out.splitlines()
    col = lines[0].split(",").index("loss")
    losses = np.array([float(r.split(",")[col]) for r in lines[1:]])
    s = doc["stats"]
    assert (s["min"], s["max"]) == (losses.min(), losses.max())
    assert s["accuracy"] == np.count_nonzero((x > 0) == (y >= 0.5)) / n
    np.testing.assert_allclose(s["sum"], math.fsum(losses), rtol=1e-15)


@pytest.mark.parametrize("pw", [None, 0.0, 0.3, 7.0])
@pytest.mark.parametrize("k", [1, 3])
def test_numpy_hard_targets_give_the_bits_of_the_weighted_sum(pw, k):
    """The numpy path takes each element's own side where every target is 0 or 1, and the
    weighted sum of both sides otherwise: on the same rows both give the same bits, at every
    regime and at ±inf and NaN (one soft row appended sends a block to the weighted sum)."""
    edges = [s * v for v in EDGES for s in (1, -1)] + [-np.inf, np.inf, np.nan]
    x = np.array(edges * 2, np.float64)
    y = np.repeat([0.0, 1.0], len(edges))
    x = np.resize(x, (len(x) // k) * k).reshape(-1, k)
    y = np.resize(y, x.size).reshape(-1, k)
    x[::5] = x[::5][:, ::-1]  # both targets within a row
    hard = run("numpy", x, y, pw)
    soft = run("numpy", np.vstack([x, np.zeros((1, k))]), np.vstack([y, np.full((1, k), 0.5)]), pw)
    assert hard[2][1] == 0 and soft[2][1] == 1
    a, b = hard[0], soft[0][:-1]
    nan = np.isnan(a)  # a NaN's sign and payload are numpy's (they differ across versions)
    assert np.array_equal(nan, np.isnan(b)) and a[~nan].tobytes() == b[~nan].tobytes()
    assert np.array_equal(hard[1], soft[1][:-1]) and hard[2][0] == soft[2][0] > 0
    if k == 1:
        assert np.isinf(hard[0]).any() and np.isnan(hard[0]).any() and (hard[0] == 0).any()
