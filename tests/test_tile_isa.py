"""The few-classes softmax kernel's tile transpose at both widths (cece/_native/_fast.c:
load_tile_avx2, 8 rows x 8 classes a step; load_tile_avx512, 16 rows x 4 classes a step).

The two loaders only move float32 values, so the kernels above them give the same bits at either
width for every class count of the few-classes kernel (c < 64) and every way a block can end:
a whole 16-row step, a partial one (values one at a time), a partial tile (zero padding), a
step that would read past the block. The values are also held to the float64 reference.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_kernel_accuracy import RTOL, reference

import cece._native as kernels

pytestmark = pytest.mark.skipif(not kernels.FAST, reason="the compiled kernels are not built here")


def _run(isa: str, x: np.ndarray, y: np.ndarray):
    before = kernels._fast.simd()
    kernels._fast.simd(isa)
    try:
        n, c = x.shape
        nll, cor, pred = np.empty(n), np.empty(n, np.uint8), np.empty(n, np.int64)
        bad = kernels._fast.softmax_index(x, c, y, nll, cor, pred, 1.0)
        return nll, cor, pred, bad
    finally:
        kernels._fast.simd(before)


def _has_avx512() -> bool:
    try:
        _run("avx512", np.zeros((1, 2), np.float32), np.zeros(1, np.int64))
    except ValueError:
        return False
    return True


@pytest.mark.skipif(not kernels.FAST or not _has_avx512(), reason="no AVX-512 on this CPU")
@pytest.mark.parametrize("n", [1, 15, 16, 17, 31, 127, 128, 129, 143, 144, 145, 1000])
def test_both_tile_loaders_give_the_same_bits(n):
    rng = np.random.default_rng(n)
    for c in range(1, 64):
        x = (rng.standard_normal((n, c)) * rng.choice([0.5, 8, 60])).astype(np.float32)
        y = rng.integers(0, c, n)
        a, b = _run("avx2", x, y), _run("avx512", x, y)
        for u, v in zip(a[:3], b[:3]):
            assert np.array_equal(u, v), (n, c)
        assert a[3] == b[3] == 0
        np.testing.assert_allclose(b[0], reference(x.astype(np.float64), y), rtol=RTOL, atol=0)
        assert np.array_equal(b[2], np.argmax(x, axis=1))


@pytest.mark.skipif(not kernels.FAST or not _has_avx512(), reason="no AVX-512 on this CPU")
def test_a_strided_row_view_is_read_as_its_own_rows():
    """A block cut out of a larger C-ordered array (the engine's blocks are such views) reads
    its own rows, not its neighbours' classes past the last one."""
    rng = np.random.default_rng(1)
    whole = rng.standard_normal((300, 10)).astype(np.float32)
    y = rng.integers(0, 10, 300)
    part = whole[37:250]
    for isa in ("avx2", "avx512"):
        got = _run(isa, part, y[37:250])
        alone = _run(isa, np.ascontiguousarray(part), y[37:250])
        assert np.array_equal(got[0], alone[0]) and np.array_equal(got[2], alone[2])
