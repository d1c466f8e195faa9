"""The numpy path's passes over rows of few classes, ``CHUNK`` rows at a time: the log-sum-exp
parts (``_numpy.lse_parts``, which the fallback softmax and every dense-target loss use: the row
maxima, log Σ e^{x − m} with the maximal terms left out of the sum, and how many classes attain
the maximum, what the arg-max check reads for ties), and the sums, extrema and picks of
``row_sums`` / ``index_pick`` (probabilities). Every row is checked against a loop over its own
Python floats, on both sides of each chunk boundary and on the wide-row path."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cece._native import _numpy


def _naive(row: list[float]) -> tuple[float, float, int]:
    """(m, log Σ_{j≠first max} e^{x_j − m} + 1 as log1p, count of maxima) of one row."""
    m = max(row) if not any(math.isnan(v) for v in row) else math.nan
    if not math.isfinite(m):
        return m, math.nan, 0
    tops = sum(v == m for v in row)
    rest = math.fsum(math.exp(v - m) for v in row if v != m) + (tops - 1)
    return m, math.log1p(rest), tops


def _near(n: int, r: int) -> list[int]:
    """Rows within 3 of a chunk's edge (chunks of r rows), and every 101st."""
    edges = {i + d for i in range(0, n + 1, r) for d in range(-3, 3)}
    return sorted({i for i in edges if 0 <= i < n} | set(range(0, n, 101)))


def _check(x: np.ndarray, rows: list[int] | None = None) -> None:
    with np.errstate(invalid="ignore"):
        m, log_z, tops = _numpy.lse_parts(x)
    assert m.dtype == log_z.dtype == np.float64 and tops.dtype == np.int64
    for i in range(len(x)) if rows is None else rows:
        row = x[i].tolist()
        want_m, want_z, want_tops = _naive(row)
        if not math.isfinite(want_m):  # NaN, +inf, or only -inf: a non-finite maximum
            assert not math.isfinite(m[i]), (i, row, m[i])
            assert math.isnan(want_m) == math.isnan(m[i]), (i, row, m[i])
            continue
        assert m[i] == want_m and tops[i] == want_tops, (i, row, m[i], tops[i])
        # 3 ulps for each e^{x − m} (numpy's own exp: up to 2.5 in numpy 1.24's AVX-512 loop),
        # one for each addition, 4 for log1p and the rounding of the reference
        bound = (4 * x.shape[1] + 4) * 2.0**-53
        assert log_z[i] == pytest.approx(want_z, rel=bound, abs=1e-300), (i, row)


@pytest.fixture(params=["chunk of 1000 values", "chunk as shipped"])
def chunk(request, monkeypatch):
    """Chunks of a few rows (many boundaries, cheap to check) and as cece runs them."""
    if request.param != "chunk as shipped":
        monkeypatch.setattr(_numpy, "CHUNK", 1000)
    return lambda c: _numpy._chunk_rows(1 << 40, c)


@pytest.mark.parametrize("c", [2, 3, 10, _numpy.SMALL_C, _numpy.SMALL_C + 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_row_across_chunk_boundaries(c, dtype, chunk):
    r = chunk(c)
    n = 2 * r + 7
    rng = np.random.default_rng(c)
    x = (rng.standard_normal((n, c)) * 6).astype(dtype)
    rows = [0, 1, r - 1, r, r + 1, n - 2, n - 1]
    x[rows[0], :] = 3.0  # every class tied
    x[rows[1], c - 1] = x[rows[1]].max() + 50  # a confident row: log_z far below 1e-16
    x[rows[2], 1] = x[rows[2], 0] = x[rows[2]].max()  # two tied maxima
    x[rows[3], 0] = np.nan
    x[rows[4], c // 2] = np.inf
    x[rows[5], :] = -np.inf
    x[rows[6], 0] = -np.inf  # one class of probability 0: a finite row
    _check(x, _near(n, r))


def test_a_confident_row_keeps_its_tiny_log_z():
    x = np.array([[0.0, -40.0, -45.0], [-40.0, 0.0, 0.0]])
    m, log_z, tops = _numpy.lse_parts(x)
    assert m.tolist() == [0.0, 0.0]
    assert log_z[0] == pytest.approx(math.exp(-40) + math.exp(-45), rel=1e-15)
    assert tops.tolist() == [1, 2] and log_z[1] == pytest.approx(math.log(2 + math.exp(-40)))


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 40), st.integers(1, 12)),
        elements=st.one_of(
            st.floats(-1e3, 1e3, allow_nan=False),
            st.sampled_from([0.0, -0.0, 1.0, -np.inf, np.inf, np.nan]),
        ),
    )
)
def test_any_rows(x):
    _check(x)


def _first_max(row: list[float]) -> int:
    best = 0
    for j, v in enumerate(row):
        if v > row[best]:
            best = j
    return best


@pytest.mark.parametrize("c", [2, 10, _numpy.SMALL_C, _numpy.SMALL_C + 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sums_extrema_and_picks_across_chunk_boundaries(c, dtype, chunk):
    r = chunk(c)
    n = 2 * r + 7
    rng = np.random.default_rng(c + 1)
    e = rng.random((n, c)) + 0.01
    x = (e / e.sum(axis=1, keepdims=True)).astype(dtype)
    y = rng.integers(0, c, n)
    for i in (0, r - 1, r, n - 1):
        x[i, :] = x[i, 0]  # a tie: the first class is the arg-max
        y[i] = i % c
    x[1, :] = -0.0  # a sum of -0.0 only: +0.0
    x[r + 1, y[r + 1]] = 2.0  # the label alone at the maximum
    sums, ext, xy, cor = np.empty(n), np.empty(2), np.empty(n), np.empty(n, np.uint8)
    assert _numpy.row_sums(x, c, sums, ext, y, xy, cor) == 0
    xy2, cor2 = np.empty(n), np.empty(n, np.uint8)
    assert _numpy.index_pick(x, c, y, xy2, cor2) == 0
    assert np.array_equal(xy, xy2) and np.array_equal(cor, cor2)
    near = _near(n, r)
    rows = x[near].tolist()
    sums, ext, xy, cor = sums[near], ext, xy[near], cor[near]
    y = y[near]
    want_sums = []
    for row in rows:
        total = 0.0
        for v in row:
            total += v
        want_sums.append(total)
    assert sums.tobytes() == np.array(want_sums).tobytes()  # the bits, a zero's sign too
    assert ext.tolist() == [x.min(), x.max()]
    assert xy.tolist() == [row[k] for row, k in zip(rows, y.tolist())]
    assert cor.tolist() == [int(_first_max(row) == k) for row, k in zip(rows, y.tolist())]
    assert cor[near.index(0)] == (y[0] == 0) and cor[near.index(r + 1)] == 1


@pytest.mark.parametrize("where", [0, 332, 333, 338])
def test_a_nan_in_any_chunk_makes_both_extrema_nan_and_its_row_wrong(where, monkeypatch):
    monkeypatch.setattr(_numpy, "CHUNK", 1000)  # chunks of 333 rows
    n, c = 339, 3
    x = np.full((n, c), 0.25)
    x[where, 1] = np.nan
    y = np.ones(n, np.int64)
    sums, ext, xy, cor = np.empty(n), np.empty(2), np.empty(n), np.empty(n, np.uint8)
    assert _numpy.row_sums(x, c, sums, ext, y, xy, cor) == 0
    assert np.isnan(ext).all() and np.isnan(sums[where]) and cor[where] == 0
    assert np.isnan(sums).sum() == 1 and cor.sum() == 0  # ties elsewhere: class 0 first


def test_a_bad_label_leaves_the_sums_done_and_nothing_picked():
    x = np.full((10, 3), 0.25)
    y = np.zeros(10, np.int64)
    y[6] = 3
    sums, ext, xy, cor = np.empty(10), np.empty(2), np.full(10, -1.0), np.zeros(10, np.uint8)
    assert _numpy.row_sums(x, 3, sums, ext, y, xy, cor) == -8
    assert sums.tolist() == [0.75] * 10 and ext.tolist() == [0.25, 0.25]
    assert xy.tolist() == [-1.0] * 10
    assert _numpy.index_pick(x, 3, y, xy, cor) == -8


@pytest.mark.parametrize(
    "where", ["a block of one row", "the last row of a block alone in its chunk"]
)
def test_a_chunk_of_one_row_adds_in_class_order(where):
    """numpy reduces a (c, 1) column otherwise than a chunk of two rows or more (which it adds
    class after class): a row alone in its chunk (a one-row block, or n = chunk + 1) is added in
    class order too, as the compiled kernels add. The rows below (found by a differential fuzz
    against the previous numpy path) come out otherwise by numpy's reduction of the column."""
    for c, row, sums in (
        (10, [0.0, -3, -2.5, -2, -1, -1.5, -0.5, -0.5, -0.5, -1], False),
        (9, [1.0] + [1e-16] * 8, True),
    ):
        n = 1 if where == "a block of one row" else _numpy._chunk_rows(1 << 40, c) + 1
        x = np.zeros((n, c))
        x[-1] = row
        total = 0.0
        if sums:
            got, ext = np.empty(n), np.empty(2)
            assert _numpy.row_sums(x, c, got, ext) == 0
            for v in row:
                total += v
            assert got[-1] == total == 1.0
        else:
            _m, log_z, _tops = _numpy.lse_parts(x)
            e = np.exp(np.array(row))
            e[0] = 0.0  # the maximal term, left out
            for v in e:
                total += float(v)
            assert log_z[-1] == np.log1p(total)
