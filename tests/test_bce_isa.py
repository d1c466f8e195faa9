"""The BCE-from-logits kernel of float32 and float64 logits in one column at both widths
(cece/_native/_fast.c: bce_column at 4 double lanes, AVX2; bce_column_avx512 at 8, chosen where
the softmax kernels run AVX-512, ``CECE_SIMD=avx2`` keeps AVX2).

The AVX-512 loop does each element's operations in the same order as the AVX2 one, so the
losses and right counts are the same bits, and so are the block figures the engine keeps
(Σ right, min and max, exact in any order) wherever the targets are valid. Both widths are held
to the float64 reference of tests/test_bce_kernel.py (1e-8; the contract is 1.1e-7), and a
block that ends before an unreadable page is read and written within its bounds.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_bce_kernel import EDGES, F32, TARGETS, close, rows_reference

import cece._native as kernels


def _isas() -> list[str]:
    if not kernels.FAST:
        return []
    now, found = kernels._fast.simd(), ["avx2"]
    try:
        kernels._fast.simd("avx512")
        found.append("avx512")
    except ValueError:
        pass
    finally:
        kernels._fast.simd(now)
    return found


ISAS = _isas()
both = pytest.mark.skipif(len(ISAS) < 2, reason="this CPU runs one instruction set")


def run_on(isa: str, x: np.ndarray, y: np.ndarray, pw=None, threshold: float = 0.0):
    """(loss, right, (bad, soft), stats) of one call of the compiled kernel at ``isa``."""
    before = kernels._fast.simd()
    kernels._fast.simd(isa)
    try:
        n, k = x.shape
        loss, right, stats = np.empty(n), np.empty(n), np.empty(4)
        w = None if pw is None else np.full(k, float(pw))
        code = kernels._fast.bce_logits(x, k, y, w, threshold, loss, right, stats)
        return loss, right, code, stats
    finally:
        kernels._fast.simd(before)


def same(a, b) -> None:
    assert a[2] == b[2]
    assert np.array_equal(a[0], b[0], equal_nan=True) and np.array_equal(a[1], b[1])
    assert a[3][:2].tolist() == b[3][:2].tolist()  # first bad target row, Σ right
    # the extrema the engine keeps: only where every target and every logit is valid (a NaN
    # or +inf logit is refused; the NaN losses of its rows hide other lanes from max/min in
    # an order that depends on the width)
    if a[3][0] < 0 and a[2][0] == 0:
        assert a[3][2:].tolist() == b[3][2:].tolist()


# float64 logits (exp4/exp_d8 and log1p_unit4/log1p_unit8 since 2026-12-03): within ~2 ulp of
# the exact value by their analysis (2.1 measured against long double), held to 1e-15
F64 = 1e-15
EDGES64 = EDGES + [1e-300, 5e-324, 1 / 32, 3.4592, 0.5, 708.3, 744.0, 746.0, 1e300]


@both
@pytest.mark.parametrize("pw", [None, 0.0, 0.3, 7.0, -2.0])
@pytest.mark.parametrize("ydtype", [np.float32, np.float64])
@pytest.mark.parametrize("xdtype", [np.float32, np.float64])
def test_every_regime_gives_the_same_bits_at_both_widths(pw, ydtype, xdtype):
    edges = EDGES if xdtype == np.float32 else EDGES64
    x = np.array([s * v for v in edges for s in (1, -1)] + [-np.inf], xdtype)
    xs, ys = np.meshgrid(x, np.array(TARGETS, ydtype))
    for n in (len(xs.ravel()), 15, 16, 17, 33):  # whole 16-row steps and AVX2 tails
        xv, yv = xs.reshape(-1, 1)[:n], ys.reshape(-1, 1)[:n]
        a, b = run_on("avx2", xv, yv, pw), run_on("avx512", xv, yv, pw)
        same(a, b)
        want = rows_reference(xv.astype(np.float64), yv.astype(np.float64), pw)
        ok = np.isfinite(want)
        close(b[0][ok], want[ok], F32 if xdtype == np.float32 else F64)


finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@both
@settings(max_examples=200, deadline=None)
@given(
    x=hnp.arrays(
        np.float32,
        st.integers(1, 70),
        elements=st.one_of(
            finite32,
            st.just(-np.inf),
            st.just(np.inf),
            st.just(np.nan),
            st.floats(-120, 120, width=32),
        ),
    ),
    data=st.data(),
)
def test_any_block_gives_the_same_bits_at_both_widths(x, data):
    """Any logits (NaN and +inf flagged, −inf a logit; float32, or widened to float64), any
    targets (valid or not, float32 or float64), a pos_weight and a threshold: the same outputs
    at both widths."""
    n = len(x)
    x = x.astype(data.draw(st.sampled_from([np.float32, np.float64])))
    ydtype = data.draw(st.sampled_from([np.float32, np.float64]))
    y = data.draw(hnp.arrays(ydtype, n, elements=st.floats(-0.5, 1.5, width=32)))
    pw = data.draw(st.one_of(st.none(), st.floats(-10, 100)))
    threshold = data.draw(st.sampled_from([0.0, -1.5, 2.0]))
    x, y = x.reshape(-1, 1), y.reshape(-1, 1)
    same(run_on("avx2", x, y, pw, threshold), run_on("avx512", x, y, pw, threshold))


def test_the_library_call_gives_the_same_numbers_at_every_width():
    """kernels.bce_logits (the engine's call) runs the width simd() names: the same numbers."""
    if not ISAS:
        pytest.skip("the compiled kernels are not built here")
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(100_003) * 4).astype(np.float32)
    y = (rng.random(100_003) < 0.4).astype(np.float32)
    got = []
    for isa in ISAS:
        before = kernels._fast.simd()
        kernels._fast.simd(isa)
        try:
            got.append(kernels.bce_logits(x.reshape(-1, 1), y.reshape(-1, 1), None, 0.0))
        finally:
            kernels._fast.simd(before)
    for other in got[1:]:
        assert np.array_equal(got[0][0], other[0]) and got[0][4] == other[4]


GUARDED = """
import ctypes, mmap, sys
import numpy as np
import cece._native as kernels

assert kernels._fast.simd() == sys.argv[1], kernels._fast.simd()
libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
PAGE = mmap.PAGESIZE
keep = []

def guarded(nbytes, dtype):
    pages = -(-nbytes // PAGE) + 1
    buf = mmap.mmap(-1, pages * PAGE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    assert libc.mprotect(base + (pages - 1) * PAGE, PAGE, 0) == 0
    keep.append(buf)
    off = (pages - 1) * PAGE - nbytes
    return np.frombuffer(buf, np.uint8, count=nbytes, offset=off).view(dtype)

for (xdtype, xsize), (ydtype, size) in [((np.float32, 4), (np.float32, 4)),
                                        ((np.float32, 4), (np.float64, 8)),
                                        ((np.float64, 8), (np.float64, 8))]:
    for n in list(range(1, 40)) + [63, 64, 65, 127, 128, 129, 1023, 1024, 1025]:
        x = guarded(n * xsize, xdtype).reshape(n, 1)
        x[:, 0] = np.arange(n) % 7 - 3
        y = guarded(n * size, ydtype).reshape(n, 1)
        y[:, 0] = np.arange(n) % 2
        loss, right = guarded(n * 8, np.float64), guarded(n * 8, np.float64)
        stats = guarded(4 * 8, np.float64)
        assert kernels._fast.bce_logits(x, 1, y, None, 0.0, loss, right, stats) == (0, 0)
        assert np.isfinite(loss).all() and stats[1] == right.sum()
        keep.clear()
print("ok")
"""


@pytest.mark.parametrize("name", ISAS)
def test_nothing_is_read_or_written_past_a_block(name):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CECE_")}
    env = {**environ, **({"CECE_SIMD": "avx2"} if name == "avx2" else {})}
    proc = subprocess.run(
        [sys.executable, "-c", GUARDED, name], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
