"""Both instruction sets of the compiled softmax kernels, on an AVX-512 machine.

The float16/bfloat16/float32 softmax kernels are written once (cece/_native/softmax_f.h over
isa.h's vector width) and built twice: 8 floats a vector (AVX2) and 16 (AVX-512, chosen when
the module loads where the CPU has F/BW/VL/DQ; ``CECE_SIMD=avx2`` keeps AVX2); the float64
few-classes kernel likewise at 4 and 8 doubles (exp4 and its 8-lane twin exp_d8). Here every
test runs on each set this CPU has (``_fast.simd(name)`` switches in-process) against the
float64 reference of tests/test_kernel_accuracy.py (the README's contract: within 1.1e-7
relative), the two sets against each other (the few-classes kernel does the same operations
per row at either width: the same bits), non-finite rows, and blocks that end before an
unreadable page, with the labels and every output ending there too (AVX-512's masked tails).
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
from test_kernel_accuracy import RTOL, adversarial, as_float64, labels, reference, typed

import cece._native as kernels

from conftest import avx512_cpu

pytestmark = pytest.mark.skipif(not kernels.FAST, reason="the compiled kernels are not built here")


def _isas() -> list[str]:
    """The instruction sets this CPU runs the kernels with (always AVX2 where they run)."""
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


@pytest.fixture(params=ISAS)
def isa(request):
    before = kernels._fast.simd()
    kernels._fast.simd(request.param)
    yield request.param
    kernels._fast.simd(before)


def run_on(name: str, x: np.ndarray, y: np.ndarray, t: float = 1.0):
    """(nll, correct, predicted, rows flagged) from the kernels of one instruction set."""
    before = kernels._fast.simd()
    kernels._fast.simd(name)
    try:
        n, c = x.shape
        nll, cor, pred = np.empty(n), np.empty(n, np.uint8), np.empty(n, np.int64)
        bad = kernels._fast.softmax_index(
            x, c, np.ascontiguousarray(y, np.int64), nll, cor, pred, t
        )
    finally:
        kernels._fast.simd(before)
    return nll, cor, pred, bad


def check(name: str, x: np.ndarray, y: np.ndarray, t: float = 1.0) -> np.ndarray:
    nll, cor, pred, bad = run_on(name, x, y, t)
    x64 = as_float64(x)
    assert bad == 0
    assert np.array_equal(pred, np.argmax(x64 / t, axis=1))
    assert np.array_equal(cor.astype(bool), pred == y)
    want = reference(x64 / t, y)
    zero = want == 0
    assert np.array_equal(nll[zero], want[zero])
    rtol = 1e-14 if x.dtype == np.float64 else RTOL
    err = np.abs(nll[~zero] - want[~zero]) / want[~zero]
    assert err.max(initial=0) <= rtol, (name, err.max(), int(np.argmax(err)))
    return nll


# -- which set runs ---------------------------------------------------------------------------------


def _simd_in_child(**env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CECE_")}
    code = "import cece._native as k; print(k._fast.simd(), k.simd(), k.describe()['kernels'])"
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**environ, **env}
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_the_widest_set_runs_and_cece_simd_avx2_keeps_avx2():
    wide = avx512_cpu()
    assert ("avx512" in ISAS) == wide
    auto = "avx512 AVX-512 compiled (AVX-512)" if wide else "avx2 AVX2 compiled (AVX2)"
    assert _simd_in_child() == auto
    assert _simd_in_child(CECE_SIMD="avx512") == auto
    assert _simd_in_child(CECE_SIMD="avx2") == "avx2 AVX2 compiled (AVX2)"


def test_version_names_the_set_that_runs():
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CECE_")}
    for env, words in (({}, "AVX-512, " if avx512_cpu() else ""), ({"CECE_SIMD": "avx2"}, "")):
        run = subprocess.run(
            [sys.executable, "-m", "cece", "--version"],
            capture_output=True,
            text=True,
            env={**environ, **env},
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.splitlines()[1].startswith(f"kernels compiled (x86-64 {words}AVX2, FMA")


def test_an_instruction_set_the_cpu_lacks_is_refused():
    with pytest.raises(ValueError, match="does not run the sse kernels"):
        kernels._fast.simd("sse")
    if "avx512" not in ISAS:
        with pytest.raises(ValueError, match="does not run the avx512 kernels"):
            kernels._fast.simd("avx512")


# -- each set against the float64 reference ---------------------------------------------------------

WIDTHS = [2, 3, 7, 8, 9, 10, 15, 16, 17, 31, 33, 63, 64, 65, 79, 80, 81, 95, 96, 97, 1000, 1009]


@pytest.mark.parametrize("t", [1.0, 0.5, 2.0])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("c", WIDTHS)
def test_adversarial_rows(isa, dtype, c, t):
    rng = np.random.default_rng(c)
    x = adversarial(c, rng)
    if dtype == "float16":
        x = np.clip(x, -6e4, 6e4)
    x = typed(np.repeat(x, 3, axis=0), dtype)  # rows land in every lane of both widths
    check(isa, x, labels(as_float64(x), rng), t)


@pytest.mark.parametrize("c", [w for w in WIDTHS if w < 64])
def test_adversarial_float64_rows_with_few_classes(isa, c):
    """The float64 few-classes kernel, 4 lanes (AVX2) or 8 (AVX-512), to float64 rounding."""
    rng = np.random.default_rng(c)
    x = np.repeat(adversarial(c, rng), 3, axis=0)  # rows land in every lane of both widths
    check(isa, x, labels(x, rng))


@pytest.mark.parametrize("t", [1.0, 2.0])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_adversarial_lm_rows(isa, dtype, t):
    rng = np.random.default_rng(50257)
    x = adversarial(50257, rng)
    if dtype == "float16":
        x = np.clip(x, -6e4, 6e4)
    x = typed(x, dtype)
    check(isa, x, labels(as_float64(x), rng), t)


@pytest.mark.parametrize("c", [5, 10, 100])
def test_every_kind_of_16_bit_pattern(isa, c):
    rng = np.random.default_rng(c)
    for dtype in ("float16", "bfloat16"):
        bits = rng.integers(0, 1 << 16, (400, c), dtype=np.uint16)
        sub = rng.random((400, c)) < 0.3
        bits[sub] &= 0x807F if dtype == "bfloat16" else 0x83FF
        x = bits.view(kernels.BFLOAT16) if dtype == "bfloat16" else bits.view(np.float16)
        x = np.ascontiguousarray(x[np.isfinite(as_float64(x)).all(axis=1)])
        check(isa, x, labels(as_float64(x), rng))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 200).flatmap(
        lambda c: st.tuples(
            hnp.arrays(
                np.float32,
                st.tuples(st.integers(1, 40), st.just(c)),
                elements=st.floats(-1, 1, width=32),
            ),
            st.sampled_from([1e-3, 1.0, 30.0, 1e4]),
            st.sampled_from([1.0, 0.25, 3.0]),
        )
    )
)
def test_random_rows_on_every_set(data):
    unit, scale, t = data
    x = (unit.astype(np.float64) * scale).astype(np.float32)
    y = np.random.default_rng(len(x)).integers(0, x.shape[1], len(x))
    for name in ISAS:
        check(name, x, y, t)


# -- the two sets against each other ----------------------------------------------------------------


@pytest.mark.skipif(len(ISAS) < 2, reason="this CPU runs one instruction set")
@pytest.mark.parametrize("t", [1.0, 3.0])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
def test_few_classes_give_the_same_bits_at_both_widths(dtype, t):
    rng = np.random.default_rng(7)
    for c in range(1, 64):
        x = typed(rng.standard_normal((301, c)) * 20, dtype)
        y = rng.integers(0, c, 301)
        a, b = run_on("avx2", x, y, t), run_on("avx512", x, y, t)
        for u, v in zip(a[:3], b[:3]):
            assert np.array_equal(u, v), c
        assert a[3] == b[3] == 0


@pytest.mark.parametrize("c", [2, 3, 9])
def test_float64_far_differences_give_each_row_its_own_bits(isa, c):
    """The float64 exp takes a whole vector to its slow path (exp4_far / exp_d8_far) when one
    lane's x - max is below -708 (or NaN, -inf): the other lanes, rows of their own, must come
    out with the bits they have beside ordinary neighbours, at both widths. Rows of near
    differences alone, then the same rows interleaved with rows of far ones (-708 to -760,
    -inf), one a step: each near row's loss the same to the bit, and each far one within
    float64 rounding of the reference (subnormal terms included)."""
    rng = np.random.default_rng(c)
    near = np.zeros((64, c))
    near[:, 1:] = -rng.uniform(0, 40, (64, c - 1))
    far = np.zeros((64, c))
    far[:, 1:] = -rng.choice([707.99, 708.01, 720.0, 745.1, 745.2, 760.0, np.inf], (64, c - 1))
    both = np.empty((128, c))
    both[0::2], both[1::2] = near, far
    y = np.zeros(64, np.int64)
    alone = run_on(isa, near, y)[0]
    mixed = run_on(isa, both, np.zeros(128, np.int64))[0]
    assert np.array_equal(mixed[0::2], alone)
    want = reference(far, y)
    assert np.allclose(mixed[1::2], want, rtol=1e-15, atol=5e-324)
    check(isa, near, y)


@pytest.mark.parametrize("c", [2, 10, 63])
def test_float64_few_classes_without_the_arg_max_stored(isa, c):
    """The engine may pass no array for the arg-max (None): the losses and right flags are
    those of the call that stores it, in whole steps of 8 rows and in the tail."""
    rng = np.random.default_rng(c)
    x = rng.standard_normal((259, c)) * 6
    x[5, 0], x[17] = np.nan, -np.inf
    y = rng.integers(0, c, 259)
    nll, cor, _, bad = run_on(isa, x, y)
    nll2, cor2 = np.empty(259), np.empty(259, np.uint8)
    bad2 = kernels._fast.softmax_index(x, c, y.astype(np.int64), nll2, cor2, None)
    assert bad == bad2 == 2
    assert np.array_equal(nll, nll2, equal_nan=True) and np.array_equal(cor, cor2)


@pytest.mark.skipif(len(ISAS) < 2, reason="this CPU runs one instruction set")
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_many_classes_agree_at_both_widths(dtype):
    """Many classes: the sums run in another order at 16 lanes (a few ulp apart, both within
    the contract of the reference, checked above); the predictions are the same."""
    rng = np.random.default_rng(8)
    for c in (64, 65, 100, 1000, 4099):
        x = typed(rng.standard_normal((40, c)) * 5, dtype)
        y = rng.integers(0, c, 40)
        a, b = run_on("avx2", x, y), run_on("avx512", x, y)
        np.testing.assert_allclose(a[0], b[0], rtol=2 * RTOL, atol=0)
        assert np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])


# -- rows that are not logits -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
@pytest.mark.parametrize("c", [3, 10, 17, 63, 64, 65, 81, 200])
def test_non_finite_rows_are_flagged(isa, dtype, c):
    """NaN or +inf anywhere (the first class, inside a vector, in the tail past the last whole
    vector), or only -inf: the row is counted, its outputs NaN, 0, 0; the other rows exact."""
    rng = np.random.default_rng(c)
    x = rng.standard_normal((40, c)) * 4
    spoiled = {}
    for i, j in enumerate(sorted({0, 1, c // 2, c - 1, max(c - 2, 0), 15 % c, 16 % c})):
        spoiled[2 * i] = j
        x[2 * i, j] = np.nan
        x[2 * i + 1, j] = np.inf
    x[39] = -np.inf
    x[38, : c - 1] = -np.inf  # one finite class: a row like any other
    rows = sorted({k for i in spoiled for k in (i, i + 1)} | {39})
    x = typed(x, dtype)
    y = rng.integers(0, c, 40)
    nll, cor, pred, bad = run_on(isa, x, y)
    assert bad == len(rows)
    assert np.isnan(nll[rows]).all() and not cor[rows].any() and not pred[rows].any()
    keep = np.setdiff1d(np.arange(40), rows)
    x64 = as_float64(x)
    want = reference(x64[keep], y[keep])
    np.testing.assert_allclose(nll[keep], want, rtol=RTOL, atol=0)
    assert np.array_equal(pred[keep], np.argmax(x64[keep], axis=1))


# -- nothing read or written past a block -----------------------------------------------------------

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
    # nbytes that end where a page that cannot be touched begins
    pages = -(-nbytes // PAGE) + 1
    buf = mmap.mmap(-1, pages * PAGE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    assert libc.mprotect(base + (pages - 1) * PAGE, PAGE, 0) == 0
    keep.append(buf)
    off = (pages - 1) * PAGE - nbytes
    return np.frombuffer(buf, np.uint8, count=nbytes, offset=off).view(dtype)

for dtype in ("float32", "float16", "bfloat16"):
    size = 4 if dtype == "float32" else 2
    for c in list(range(1, 18)) + [31, 33, 47, 63, 64, 65, 71, 79, 80, 81, 95, 96, 97, 127, 129]:
        for n in (1, 7, 8, 9, 15, 16, 17, 31, 33, 127, 128, 129, 143, 144, 145):
            raw = guarded(n * c * size, np.float32 if size == 4 else np.uint16).reshape(n, c)
            raw[...] = (np.arange(n * c).reshape(n, c) % 7) if size == 4 else 0x3C00
            x = raw.view(kernels.BFLOAT16 if dtype == "bfloat16" else raw.dtype)
            if dtype == "float16":
                x = raw.view(np.float16)
            y = guarded(n * 8, np.int64)
            y[:] = np.arange(n) % c
            for t in (1.0, 2.0):
                nll, cor = guarded(n * 8, np.float64), guarded(n, np.uint8)
                pred = guarded(n * 8, np.int64)
                assert kernels._fast.softmax_index(x, c, y, nll, cor, pred, t) == 0
                assert np.isfinite(nll).all() and (pred >= 0).all() and (pred < c).all()
            keep.clear()
print("ok")
"""


@pytest.mark.parametrize("name", ISAS)
def test_nothing_is_read_or_written_past_a_block(name):
    """Logits, labels and every output end just before a page that cannot be touched (as a
    memory-mapped file ends): a kernel reading or writing past one would crash this child."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CECE_")}
    env = {**environ, **({"CECE_SIMD": "avx2"} if name == "avx2" else {})}
    proc = subprocess.run(
        [sys.executable, "-c", GUARDED, name], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
