"""The kernels of the kinds read as they are (probabilities, log-probabilities): index_pick
(each row's value at its label, and whether the label is the row's first maximum) and
row_sums (each row's sum in float64, in order), compiled against their numpy twins to the bit,
and both against a naive loop written from the definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_native import IMPLS

import cece._native as kernels
from cece._native import _numpy
from cece.errors import InputError

DTYPES = [np.float16, np.float32, np.float64, "bfloat16"]


def _data(rng, n: int, c: int, dtype) -> np.ndarray:
    x = rng.choice([0.0, -0.0, 0.25, 0.5, 1.0, 1e-8, 0.7, np.inf, -np.inf], size=(n, c))
    x = np.where(rng.random((n, c)) < 0.6, rng.random((n, c)), x)
    x[np.flatnonzero(rng.random(n) < 0.05), rng.integers(0, c)] = np.nan
    if dtype == "bfloat16":
        bits = x.astype(np.float32).view(np.uint32) >> 16  # truncated: any bits will do
        return bits.astype(np.uint16).view(kernels.BFLOAT16)
    return x.astype(dtype)


def _naive(x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[bool], list[float]]:
    """From the definitions, one value at a time: the first index of the maximum (NaN rows
    never right), the label's value, the sum added left to right from 0."""
    rows = _numpy.as_float64(x).tolist()
    xy, right, sums = [], [], []
    for row, label in zip(rows, y.tolist()):
        top, best, total = 0, row[0], 0.0
        for j, v in enumerate(row):
            total += v
            if j and v > best:
                top, best = j, v
        xy.append(row[label])
        right.append(not any(math.isnan(v) for v in row) and top == label)
        sums.append(total)
    return xy, right, sums


def _pick(impl, x: np.ndarray, y: np.ndarray):
    n, c = x.shape
    xy, right = np.full(n, -7.0), np.full(n, 9, np.uint8)
    code = impl.index_pick(x, c, y, xy, right)
    return code, xy, right


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c", [1, 2, 3, 10, 63, 64, 100])
@pytest.mark.parametrize("n", [1, 7, 129, 1000])
def test_index_pick_and_row_sums_follow_the_definitions(impl, dtype, c, n):
    rng = np.random.default_rng(c * 1000 + n)
    x = _data(rng, n, c, dtype)
    y = rng.integers(0, c, n)
    code, xy, right = _pick(impl, x, y)
    want_xy, want_right, want_sums = _naive(x, y)
    assert code == 0
    np.testing.assert_array_equal(xy, want_xy)  # NaN where the label's value is NaN
    assert right.tolist() == [int(r) for r in want_right]
    sums, ext = np.full(n, -7.0), np.empty(2)
    impl.row_sums(x, c, sums, ext)
    np.testing.assert_array_equal(sums, want_sums)
    values = _numpy.as_float64(x)
    want_ext = [np.nan] * 2 if np.isnan(values).any() else [values.min(), values.max()]
    np.testing.assert_array_equal(ext, want_ext)


@pytest.mark.skipif(not kernels.AVAILABLE, reason="not built here")
@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 300),
    c=st.integers(1, 70),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_compiled_kernels_and_their_numpy_twins_agree_to_the_bit(n, c, dtype, seed):
    rng = np.random.default_rng(seed)
    x = _data(rng, n, c, dtype)
    y = rng.integers(0, c, n)
    got = [_pick(impl, x, y) for impl in (kernels._fast, _numpy)]
    assert got[0][0] == got[1][0] == 0
    np.testing.assert_array_equal(got[0][1], got[1][1])
    np.testing.assert_array_equal(got[0][2], got[1][2])
    sums, ext = [np.empty(n), np.empty(n)], [np.empty(2), np.empty(2)]
    for impl, out, e in zip((kernels._fast, _numpy), sums, ext):
        impl.row_sums(x, c, out, e)
    np.testing.assert_array_equal(ext[0], ext[1])
    np.testing.assert_array_equal(sums[0], sums[1])  # NaN where NaN
    assert (np.signbit(sums[0]) == np.signbit(sums[1]))[~np.isnan(sums[0])].all()  # -0.0 too


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("row", [0, 5, 4095, 9999])
def test_index_pick_reports_the_first_bad_label_and_reads_nothing(impl, row):
    n, c = 10_000, 10
    x = np.random.default_rng(3).random((n, c), dtype=np.float32)
    y = np.zeros(n, np.int64)
    y[row] = c
    y[row + 1 :: 7] = -1
    code, xy, right = _pick(impl, x, y)
    assert code == -2 - row
    if impl is not _numpy:
        assert (xy == -7.0).all() and (right == 9).all()  # nothing computed


def test_the_wrappers_raise_the_librarys_error_and_take_any_shape(kernel_path):
    x = np.full((4, 3), 1 / 3, np.float32)
    with pytest.raises(InputError, match=r"^targets: row 2: label 3 is out of range"):
        kernels.index_pick(x, np.array([0, 1, 3, 2]))
    xy, right = kernels.index_pick(x, np.array([0, 1, 2, 2]))
    assert xy.dtype == np.float64 and right.dtype == np.bool_
    assert right.tolist() == [True, False, False, False]  # ties: the first class
    # beyond 64 columns, other dtypes and other shapes: numpy's own sum
    wide = np.random.default_rng(4).random((5, 200))
    np.testing.assert_array_equal(kernels.row_sums(wide), wide.sum(axis=1))
    cube = np.ones((2, 3, 4), np.float32)
    np.testing.assert_array_equal(kernels.row_sums(cube), cube.sum(axis=1, dtype=np.float64))
    ints = np.array([[1, 0, 0], [0, 1, 1]])
    assert kernels.row_sums(ints).tolist() == [1.0, 2.0]
    # row_stats: the extrema with the sums, one pass; a zero extremum is +0.0 on either path
    sums, lo, hi = kernels.row_stats(np.array([[-0.0, 0.5], [0.25, -0.0]], np.float32))
    assert sums.tolist() == [0.5, 0.25] and (lo, hi) == (0.0, 0.5)
    assert math.copysign(1, lo) == 1
    nan = kernels.row_stats(np.array([[0.5, np.nan], [0.1, 0.2]]))
    assert math.isnan(nan[1]) and math.isnan(nan[2])
    assert kernels.row_stats(wide)[0] is None  # beyond 64 columns: numpy's extrema alone
    assert kernels.row_stats(wide)[1:] == (wide.min(), wide.max())


@pytest.mark.parametrize("impl", IMPLS)
def test_bad_shapes_and_dtypes_are_refused(impl):
    if impl is _numpy:
        pytest.skip("the numpy twins take what numpy takes; the wrappers pass them 2-D blocks")
    x = np.zeros((4, 3), np.float32)
    y = np.zeros(4, np.int64)
    with pytest.raises(ValueError, match="index_pick: bad shapes or dtypes"):
        impl.index_pick(x, 3, y, np.empty(3), np.empty(4, np.uint8))
    with pytest.raises(ValueError, match="index_pick: bad shapes or dtypes"):
        impl.index_pick(x.astype(np.int32), 3, y, np.empty(4), np.empty(4, np.uint8))
    with pytest.raises(ValueError, match="row_sums: bad shapes or dtypes"):
        impl.row_sums(x, 3, np.empty(4, np.float32), np.empty(2))
    with pytest.raises(ValueError, match="row_sums: bad shapes or dtypes"):
        impl.row_sums(x, 0, np.empty(4), np.empty(2))
    with pytest.raises(ValueError, match="row_sums: bad shapes or dtypes"):
        impl.row_sums(x, 3, np.empty(4), np.empty(3))


@pytest.mark.parametrize(
    ("kind", "args", "compiled"),
    [
        ("probs", [], True),
        ("log-probs", ["--from", "log-probs"], True),
        ("probs", ["--renormalize"], True),  # on the rows divided by their sums, float64
        ("log-probs", ["--from", "log-probs", "--renormalize"], False),  # a softmax: numpy
    ],
)
def test_a_run_on_probabilities_uses_the_pass_and_says_so(
    write, monkeypatch, kernel_path, kind, args, compiled
):
    """End to end: the engine's probabilities and log-probabilities go through index_pick on
    the path in use, JSON ``environment.kernels`` names that path, and the loss and accuracy
    are the definitions' (−mean log p_y; the label the first arg-max)."""
    import json

    from conftest import run_cece

    calls: list[np.dtype] = []
    real = kernels.index_pick

    def spy(x, y):
        calls.append(x.dtype)
        return real(x, y)

    monkeypatch.setattr(kernels, "index_pick", spy)
    rng = np.random.default_rng(11)
    e = rng.random((700, 6))
    p = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    y = rng.integers(0, 6, 700)
    x = np.log(p) if kind == "log-probs" else p
    run = run_cece("categorical", write("p.npy", x), write("y.npy", y), "-f", "json", *args)
    assert run.code == 0, run.err
    d = json.loads(run.out)
    widened = "--renormalize" in args  # the division's float64 rows; else no float64 copy
    assert bool(calls) == compiled
    assert all(dt == (np.float64 if widened else np.float32) for dt in calls)
    want = "compiled" if compiled and kernel_path == "compiled" else "numpy"
    assert d["environment"]["kernels"] == want
    p64 = p.astype(np.float64)
    np.testing.assert_allclose(d["loss"], -np.log(p64[np.arange(700), y]).mean(), rtol=1e-6)
    assert d["stats"]["accuracy"] == np.mean(np.argmax(x, axis=1) == y)
