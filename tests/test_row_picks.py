"""kernels.row_stats with labels: the detection's pass over a block takes index_pick's outputs
too (cece/_native: row_sums with y), kept for the index_pick of the same block and labels in
the same worker, and nowhere else (buffers.remember_picks / recall_picks)."""

from __future__ import annotations

import numpy as np
import pytest
from test_kernel_accuracy import typed

import cece._native as kernels
from cece._native import _numpy

FAST = kernels.compiled(np.zeros((2, 2), np.float32))
needs_fast = pytest.mark.skipif(not FAST, reason="the fused pass is the compiled kernel's")


def _block(n=300, c=7, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    e = rng.random((n, c)) + 0.01
    x = (e / e.sum(axis=1, keepdims=True)).astype(dtype)
    x[5, :] = x[5, 0]  # a tie: the first maximum is the arg-max
    x[9, c - 1] = np.nan
    return x, rng.integers(0, c, n)


@needs_fast
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "bfloat16"])
@pytest.mark.parametrize("c", [2, 7, 63, 64, 100])
def test_the_fused_pass_gives_both_kernels_outputs(dtype, c):
    """Sums, extrema, values at the labels and right flags: those of row_sums and index_pick
    apart, compiled and numpy (the same bits), for few classes (the tile) and many."""
    x, y = _block(c=c, dtype=np.float32)
    x = typed(x, dtype)
    n = len(y)
    sums, ext, xy, cor = np.empty(n), np.empty(2), np.empty(n), np.empty(n, np.uint8)
    assert kernels._fast.row_sums(x, c, sums, ext, y, xy, cor) == 0
    for impl in (kernels._fast, _numpy):
        s2, e2, xy2, cor2 = np.empty(n), np.empty(2), np.empty(n), np.empty(n, np.uint8)
        impl.row_sums(x, c, s2, e2)
        assert impl.index_pick(x, c, y, xy2, cor2) == 0
        assert np.array_equal(sums, s2, equal_nan=True) and np.array_equal(ext, e2, equal_nan=True)
        assert np.array_equal(xy, xy2, equal_nan=True) and np.array_equal(cor, cor2)
    assert cor[9] == 0 and cor.any()  # a row holding NaN is never right


@needs_fast
def test_a_bad_label_leaves_the_sums_done_and_nothing_picked():
    x, y = _block()
    y[123] = 7
    n = len(y)
    sums, ext = np.empty(n), np.empty(2)
    assert kernels._fast.row_sums(x, 7, sums, ext, y, np.empty(n), np.empty(n, np.uint8)) == -125
    want, ext2 = np.empty(n), np.empty(2)
    kernels._fast.row_sums(x, 7, want, ext2)
    assert np.array_equal(sums, want, equal_nan=True) and np.array_equal(ext, ext2, equal_nan=True)
    with pytest.raises(ValueError, match="bad shapes"):
        kernels._fast.row_sums(x, 7, sums, ext, y[:-1], np.empty(n), np.empty(n, np.uint8))


@needs_fast
def test_picks_are_kept_inside_a_worker_s_block_only():
    x, y = _block()
    direct = kernels.index_pick(x, y)
    kernels.reuse_outputs(True)
    try:
        kernels.row_stats(x, y)
        kept = kernels.recall_picks(x, y)
        assert kept is not None
        assert np.array_equal(kept[0], direct[0], equal_nan=True)
        assert np.array_equal(kept[1], direct[1])
        assert kernels.recall_picks(x, y) is None  # once
        kernels.row_stats(x, y)
        assert kernels.recall_picks(x[:-1], y[:-1]) is None  # other memory: not theirs
        kernels.row_stats(x, y)
        assert kernels.recall_picks(x, y.copy()) is None
        kernels.row_stats(x, y)
    finally:
        kernels.reuse_outputs(False)
    assert kernels.recall_picks(x, y) is None  # the block's end forgets them
    kernels.row_stats(x, y)  # a library call (outputs not reused): nothing kept
    assert kernels.recall_picks(x, y) is None


@needs_fast
def test_index_pick_uses_the_kept_picks_and_raises_as_before_without_them():
    x, y = _block()
    kernels.reuse_outputs(True)
    try:
        kernels.row_stats(x, y)
        got = kernels.index_pick(x, y)
        want = kernels.index_pick(x, y)  # read again: nothing kept now
        assert got[0] is not want[0]
        assert np.array_equal(got[0], want[0], equal_nan=True)
        assert np.array_equal(got[1], want[1])
        bad = y.copy()
        bad[40] = -1
        kernels.row_stats(x, bad)  # the look with a bad label keeps nothing
        assert kernels.recall_picks(x, bad) is None
        with pytest.raises(Exception, match="40"):
            kernels.index_pick(x, bad)
    finally:
        kernels.reuse_outputs(False)


@needs_fast
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
def test_every_pattern_of_right_rows_in_a_step_of_eight(dtype):
    """The compiled pass flags eight rows at a time (four in float64): each of the 256
    patterns of right and wrong rows in eight comes out as index_pick's numpy twin gives it (step s holds the bits
    of s; NaN rows among them are never right)."""
    n, c = 8 * 256, 5
    x = np.full((n, c), 0.1, np.float32)
    x[:, 2] = 0.6  # the arg-max of every row
    rows = np.arange(n)
    bits = (rows // 8 >> rows % 8) & 1
    y = np.where(bits == 1, 2, (rows * 3 + 1) % 2 * 3 + 1)  # 2: right; 1 or 4: wrong
    x[::37, 4] = np.nan
    x = typed(x, dtype)
    xy, cor = np.empty(n), np.empty(n, np.uint8)
    assert kernels._fast.row_sums(x, c, np.empty(n), np.empty(2), y, xy, cor) == 0
    xy2, cor2 = np.empty(n), np.empty(n, np.uint8)
    assert _numpy.index_pick(x, c, y, xy2, cor2) == 0
    assert np.array_equal(cor, cor2) and np.array_equal(xy, xy2, equal_nan=True)
    want = bits.astype(np.uint8)
    want[::37] = 0
    assert np.array_equal(cor, want)


@needs_fast
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 3, 4, 5, 7, 8, 9, 127, 128, 129, 300])
def test_the_extrema_of_the_pass_come_from_any_row_and_class(n, dtype):
    """The pass keeps its extrema in vectors over whole steps of eight rows (four in
    float64) and row by row in a last partial step: the smallest and the largest value, placed at every row and class in
    turn, are found (NaN anywhere: both NaN)."""
    c = 3
    rng = np.random.default_rng(n)
    base = (rng.random((n, c)) * 0.5 + 0.25).astype(dtype)
    for i in range(n):
        for j in range(c):
            for v in (-3.0, 7.0, np.nan):
                x = base.copy()
                x[i, j] = v
                ext = np.empty(2)
                kernels._fast.row_sums(x, c, np.empty(n), ext)
                want = [np.nan, np.nan] if np.isnan(v) else [x.min(), x.max()]
                assert np.array_equal(ext, want, equal_nan=True), (i, j, v)
