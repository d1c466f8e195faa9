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
