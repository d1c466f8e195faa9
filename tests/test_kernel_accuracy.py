"""The softmax kernels against a float64 reference on rows built to break them.

The contract (README, "Precision and speed"): float16/bfloat16/float32 logits give every row's
loss within 1.1e-7 relative of the float64 value, however confident the prediction (losses down
to ~1e-30 keep their relative precision), for logits of any finite size; float64 logits to
float64 rounding. The compiled kernels sum e^(x − max) of float32 lanes (exp_sub8 in vexp.h)
and fall back to a double sum for rows whose sum is tiny; these rows stress both, and the
switch between them: many nearly equal logits, one dominant logit over a sea of tiny terms,
terms at float32's exp underflow (e^-87.3), huge and tiny magnitudes, every kind of float16
and bfloat16 bit pattern (subnormals included). Both paths (compiled and numpy) are checked,
and a block cut anywhere gives the same bits.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cece._native as kernels
from cece._native import _numpy

RTOL = 1.1e-7
IMPLS = [pytest.param(_numpy, id="numpy")] + (
    [pytest.param(kernels._fast, id="compiled")] if kernels.FAST else []
)


def reference(x64: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log1p(Σ_{j≠argmax} e^{x_j − m}) + (m − x_y) row by row, in float64 with an exact sum
    (math.fsum) of libm's exp: the formula of the docstring, written naively."""
    out = np.empty(len(x64))
    for i, row in enumerate(x64):
        top = int(np.argmax(row))
        m = float(row[top])
        rest = math.fsum(math.exp(float(v) - m) for j, v in enumerate(row) if j != top)
        out[i] = math.log1p(rest) + (m - float(row[y[i]]))
    return out


def as_float64(x: np.ndarray) -> np.ndarray:
    return _numpy.as_float64(x)


def run(impl, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    n, c = x.shape
    nll, cor, pred = np.empty(n), np.empty(n, np.uint8), np.empty(n, np.int64)
    bad = impl.softmax_index(x, c, np.ascontiguousarray(y, np.int64), nll, cor, pred, 1.0)
    assert bad == 0
    assert np.array_equal(pred, np.argmax(as_float64(x), axis=1))
    return nll


def check(impl, x: np.ndarray, y: np.ndarray) -> None:
    got, want = run(impl, x, y), reference(as_float64(x), y)
    rtol = 1e-14 if x.dtype == np.float64 else RTOL
    zero = want == 0
    assert np.array_equal(got[zero], want[zero])
    err = np.abs(got[~zero] - want[~zero]) / want[~zero]
    assert err.max(initial=0) <= rtol, (err.max(), int(np.argmax(err)))


def bf16(x: np.ndarray) -> np.ndarray:
    u = np.ascontiguousarray(x, np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16).view(kernels.BFLOAT16)


def typed(x: np.ndarray, dtype: str) -> np.ndarray:
    return bf16(x) if dtype == "bfloat16" else x.astype(dtype)


def labels(x64: np.ndarray, rng) -> np.ndarray:
    """Half the labels the arg-max (the confident, correct rows: tiny losses), half random."""
    n, c = x64.shape
    return np.where(rng.random(n) < 0.5, np.argmax(x64, 1), rng.integers(0, c, n))


def adversarial(c: int, rng) -> np.ndarray:
    """Rows of c classes (float64 values, rounded by the caller's dtype)."""
    rows = [
        3.0 + rng.standard_normal(c) * 1e-6,  # nearly equal logits
        np.full(c, 7.0),  # all equal: every class a maximum
        np.r_[30.0, rng.uniform(-10, -8, c - 1)],  # one dominant, a sea of small terms
        np.r_[0.0, rng.uniform(-104, -80, c - 1)],  # terms at float32's exp underflow
        np.r_[0.0, -68.0, np.full(c - 2, -87.5)],  # a tiny sum over many terms below it
        np.r_[0.0, -40.0, np.full(c - 2, -87.0)],  # just above float32's smallest normal
        np.r_[0.0, np.full(c - 1, -86.0)],
        np.r_[0.0, np.full(c - 1, -60.0)],  # losses ~1e-26·c: relative precision kept
        np.r_[0.0, np.full(c - 1, -20.0)],
        np.r_[3e38, 3e38 - rng.uniform(0, 1e32, c - 1)],  # huge, close
        np.r_[3e38, rng.uniform(-3e38, 3e38, c - 1)],  # huge, spread (x − m overflows)
        np.r_[-3e38, np.full(c - 1, -3.3e38)],
        rng.uniform(-1e-30, 1e-30, c),  # tiny magnitudes
        rng.standard_normal(c) * 1e4,
        np.r_[100.0, 100.0 - np.arange(1, c) * 0.37],  # a ladder through the whole range
        rng.standard_normal(c) * 3,
    ]
    return np.stack([r[:c] for r in rows])


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
@pytest.mark.parametrize("c", [2, 3, 7, 8, 9, 10, 16, 17, 63, 64, 65, 1000])
def test_adversarial_rows(impl, dtype, c):
    rng = np.random.default_rng(c)
    x = adversarial(c, rng)
    if dtype == "float16":
        x = np.clip(x, -6e4, 6e4)
    x = np.repeat(x, 3, axis=0)  # rows land in every lane and tile position
    x = typed(x, dtype)
    check(impl, x, labels(as_float64(x), rng))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_adversarial_lm_rows(impl, dtype):
    rng = np.random.default_rng(50257)
    x = adversarial(50257, rng)
    if dtype == "float16":
        x = np.clip(x, -6e4, 6e4)
    x = typed(x, dtype)
    check(impl, x, labels(as_float64(x), rng))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("c", [5, 10, 100])
def test_every_kind_of_16_bit_pattern(impl, dtype, c):
    """Random bit patterns (subnormals, the extremes, both signs), non-finite ones left out."""
    rng = np.random.default_rng(c)
    bits = rng.integers(0, 1 << 16, (400, c), dtype=np.uint16)
    sub = rng.random((400, c)) < 0.3  # many subnormals: exponent bits 0
    bits[sub] &= 0x807F if dtype == "bfloat16" else 0x83FF
    x = bits.view(kernels.BFLOAT16) if dtype == "bfloat16" else bits.view(np.float16)
    finite = np.isfinite(as_float64(x)).all(axis=1)
    x = np.ascontiguousarray(x[finite])
    check(impl, x, labels(as_float64(x), rng))


def rows_strategy():
    """float32 rows of 1–80 classes with values of a chosen scale around a chosen centre."""

    @st.composite
    def build(draw):
        c = draw(st.integers(1, 80))
        n = draw(st.integers(1, 20))
        scale = draw(st.sampled_from([1e-30, 1e-3, 1.0, 10.0, 40.0, 90.0, 1e4, 1e30]))
        centre = draw(st.sampled_from([0.0, 1.0, -1e4, 1e4, 1e38]))
        unit = draw(
            hnp.arrays(np.float32, (n, c), elements=st.floats(-1, 1, width=32), fill=st.nothing())
        )
        x = (centre + unit.astype(np.float64) * scale).astype(np.float32)
        y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
        return x, y

    return build()


@settings(max_examples=150, deadline=None)
@given(rows_strategy())
def test_float32_rows_against_the_reference(data):
    x, y = data
    for impl in [p.values[0] for p in IMPLS]:
        check(impl, x, y)


@pytest.mark.skipif(not kernels.FAST, reason="the compiled kernels are not built here")
@pytest.mark.parametrize("c", [3, 10, 70])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_a_block_cut_anywhere_gives_the_same_bits(c, dtype):
    rng = np.random.default_rng(c)
    x = typed(rng.standard_normal((1000, c)) * 30, dtype)
    y = rng.integers(0, c, 1000)
    whole = run(kernels._fast, x, y)
    for cut in (1, 7, 8, 9, 127, 128, 129, 500, 999):
        parts = np.r_[run(kernels._fast, x[:cut], y[:cut]), run(kernels._fast, x[cut:], y[cut:])]
        assert np.array_equal(whole, parts)


GUARDED = """
import ctypes, mmap, sys
import numpy as np
import cece._native as kernels

libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
PAGE = mmap.PAGESIZE
for dtype in ("float32", "float16", "bfloat16"):
    for c in list(range(1, 19)) + [31, 33, 63, 64, 65, 71]:
        for n in (1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 136, 137):
            size = 2 if dtype != "float32" else 4
            nbytes = n * c * size
            pages = -(-nbytes // PAGE) + 1
            buf = mmap.mmap(-1, pages * PAGE)
            base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
            # the page after the data: no access, so reading one byte past it faults
            assert libc.mprotect(base + (pages - 1) * PAGE, PAGE, 0) == 0
            raw = np.frombuffer(buf, np.uint8, count=nbytes, offset=(pages - 1) * PAGE - nbytes)
            x = raw.view(np.uint16 if size == 2 else np.float32).reshape(n, c)
            x[...] = (np.arange(n * c).reshape(n, c) % 7) if size == 4 else 0x3C00
            if dtype == "bfloat16":
                x = x.view(kernels.BFLOAT16)
            elif dtype == "float16":
                x = x.view(np.float16)
            y = np.zeros(n, np.int64)
            nll, cor, pred = np.empty(n), np.empty(n, np.uint8), np.empty(n, np.int64)
            assert kernels._fast.softmax_index(x, c, y, nll, cor, pred, 1.0) == 0
            assert kernels._fast.softmax_index(x, c, y, nll, cor, pred, 2.0) == 0
            if c == 1:
                t = np.zeros((n, 1), np.float32)
                kernels._fast.bce_logits(x, 1, t, None, 0.0, np.empty(n), np.empty(n))
            del raw, x
print("ok")
"""


@pytest.mark.skipif(not kernels.FAST, reason="the compiled kernels are not built here")
def test_the_kernels_read_nothing_past_the_block():
    """Blocks that end just before a page that cannot be read (as a memory-mapped file ends):
    a kernel reading past its block would crash this child process."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", GUARDED], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("t", [0.01, 0.5, 2.0, 11.0])
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("c", [3, 10, 64, 1000])
def test_adversarial_rows_under_a_temperature(impl, t, dtype, c):
    """The kernels divide (x − max) by T inside their pass: against x / T in float64."""
    rng = np.random.default_rng(c)
    x = typed(np.repeat(adversarial(c, rng), 2, axis=0), dtype)
    x64 = as_float64(x)
    y = labels(x64, rng)
    n = len(y)
    nll, cor, pred = np.empty(n), np.empty(n, np.uint8), np.empty(n, np.int64)
    assert impl.softmax_index(x, c, y, nll, cor, pred, t) == 0
    want = reference(x64 / t, y)
    zero = want == 0
    assert np.array_equal(nll[zero], want[zero])
    err = np.abs(nll[~zero] - want[~zero]) / want[~zero]
    assert err.max(initial=0) <= RTOL, (err.max(), int(np.argmax(err)))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("c", [10, 63, 64, 300])
def test_tied_maxima_give_the_log_of_their_count(impl, dtype, c):
    """k tied maxima and -inf elsewhere: each term is e^0 = 1 or e^-inf = 0 exactly, so the sum
    is k - 1 and the loss, on any of the maxima, is ln k with nothing but the log's own error.
    k runs over 1..c, whose sums fall in every entry of the float kernels' log table
    (simd.h, log1p_tab4/log1p_tab8; gen_logtab.py): held to 1e-12, far inside the 1.1e-7 the
    exponential leaves, so an entry or a series term gone wrong shows here and nowhere else."""
    rng = np.random.default_rng(c)
    k = np.arange(1, c + 1)
    x = np.full((c, c), -np.inf)
    for i, ties in enumerate(k):
        x[i, rng.permutation(c)[:ties]] = rng.choice([-3.5, 0.0, 1.25, 40.0])
    y = np.array([rng.choice(np.flatnonzero(row == row.max())) for row in x])
    got = run(impl, typed(x, dtype), y)
    assert np.abs(got - np.log(k)).max() <= 1e-12 * np.log(k).max()
    assert np.array_equal(got[0], 0.0)


def test_log_table_is_what_its_generator_writes():
    from cece._native import gen_logtab

    assert gen_logtab.HEADER.read_text() == gen_logtab.render()
    for i, (inv, neg_log) in enumerate(gen_logtab.table()):
        assert inv == (1.0 if i == 0 else 1 / (1 + (i + 0.5) / 16))
        assert neg_log == pytest.approx(-math.log(inv), rel=1e-15, abs=0)


@pytest.mark.parametrize("impl", IMPLS)
def test_confident_pairs_keep_the_contract(impl):
    """Rows of two float32 logits, the label on the larger: the loss is log1p(e^(b - a)), down
    to ~1e-38, and nothing but the exponential's error shows. 4·10^5 random pairs (the
    reference is float64 numpy, exact to ~1e-16 here). The float kernels once rounded
    e^hi to a float and e^hi (1 + lo) again, and 124 of 2·10^6 such pairs came out above
    1.1e-7 (1.18e-7 at worst); these pairs found 18 of them (1.19e-7) in that code."""
    rng = np.random.default_rng(2026_12_01)
    n = 400_000
    a = rng.uniform(-50, 50, n).astype(np.float32)
    b = (a - rng.uniform(0, 87, n).astype(np.float32)).astype(np.float32)
    keep = b < a
    x = np.ascontiguousarray(np.stack([a, b], 1)[keep])
    y = np.zeros(len(x), np.int64)
    widths = ["native"]
    if impl is not _numpy:
        widths = ["avx2"] + (["avx512"] if _avx512() else [])
    xd = x.astype(np.float64)
    want = np.log1p(np.exp(xd[:, 1] - xd[:, 0]))
    for width in widths:
        before = kernels._fast.simd() if impl is not _numpy else None
        if before is not None:
            kernels._fast.simd(width)
        try:
            nll, cor = np.empty(len(x)), np.empty(len(x), np.uint8)
            assert impl.softmax_index(x, 2, y, nll, cor, None, 1.0) == 0
        finally:
            if before is not None:
                kernels._fast.simd(before)
        live = want > 0
        err = np.abs(nll[live] - want[live]) / want[live]
        assert err.max() <= RTOL, (width, err.max(), int((err > RTOL).sum()))


@pytest.mark.skipif(not kernels.FAST, reason="the compiled float64 kernel")
def test_float64_confident_pairs_to_float64_rounding():
    """Rows of two float64 logits, the label on the larger (the few-classes float64 kernel:
    exp4, then log1p_d4 four rows at a time): the loss is log1p(e^d), d = b - a <= 0, down to
    e^-745 and 0. Against libm's log1p(exp(d)) of the same float64 difference (each within
    ~1 ulp: 2.2e-16 against 130-bit mpmath here), held to 1e-15: measured 4.8e-16, as with
    libm's log1p row by row before 2026-12-02 (exp4's 2 ulp dominate). Losing log1p_d4's
    correction c / u makes every loss below 2^-53 0 (relative error 1); a wrong entry of the
    table's low parts, or lo1 left out of the sum, shows as ~1e-13 or more."""
    rng = np.random.default_rng(2026_12_02)
    d = -np.concatenate(
        [
            np.geomspace(1e-300, 745, 3000),
            rng.uniform(0, 40, 3000),
            [0.0, 5e-324, 1e-17, 2.0**-53, 2.0**-52, 1e-8, 36.0, 37.5, 708.0, 745.0, 746.0],
        ]
    )
    a = rng.uniform(-50, 50, d.size)
    x = np.ascontiguousarray(np.stack([a, a + d], 1))
    x[:, 1] = np.minimum(x[:, 1], x[:, 0])
    x[-1, 1] = -np.inf  # a term of exactly 0: the loss 0, not -0 or NaN
    y = np.zeros(len(x), np.int64)
    diff = x[:, 1] - x[:, 0]
    want = np.array([math.log1p(math.exp(v)) for v in diff])
    for width in ["avx2"] + (["avx512"] if _avx512() else []):
        before = kernels._fast.simd()
        kernels._fast.simd(width)
        try:
            nll, cor = np.empty(len(x)), np.empty(len(x), np.uint8)
            assert kernels._fast.softmax_index(x, 2, y, nll, cor, None, 1.0) == 0
        finally:
            kernels._fast.simd(before)
        assert np.array_equal(nll == 0, want == 0) and not np.signbit(nll).any()
        live = want > 0
        err = np.abs(nll[live] - want[live]) / want[live]
        assert err.max() <= 1e-15, (width, err.max(), int(np.argmax(err)))


@pytest.mark.skipif(not kernels.FAST, reason="the compiled float64 kernel")
def test_float64_whole_sums_give_correctly_rounded_logs():
    """Rows of 63 float64 logits, j + 1 of them 0 and the rest -inf: every term is e^0 = 1 or
    0, so the sum is j exactly and the loss is ln(j + 1), which the kernel must give correctly
    rounded for every j from 0 to 62 (log1p_d4 sums all but hi in lo and rounds once; libm's
    log1p row by row got 60 of the 63; with the TwoSum's low part lo1 left out, 46)."""
    c = 63
    x = np.full((c, c), -np.inf)
    for j in range(c):
        x[j, : j + 1] = 0.0
    y = np.zeros(c, np.int64)
    want = np.array([math.log(j + 1) for j in range(c)])  # glibc's log: correctly rounded here
    for width in ["avx2"] + (["avx512"] if _avx512() else []):
        before = kernels._fast.simd()
        kernels._fast.simd(width)
        try:
            nll, cor = np.empty(c), np.empty(c, np.uint8)
            assert kernels._fast.softmax_index(x, c, y, nll, cor, None, 1.0) == 0
        finally:
            kernels._fast.simd(before)
        assert np.array_equal(nll, want), (width, np.flatnonzero(nll != want))


def _avx512() -> bool:
    try:
        before = kernels._fast.simd()
        kernels._fast.simd("avx512")
        kernels._fast.simd(before)
        return True
    except ValueError:
        return False


def test_exp_table_is_what_its_generator_writes():
    """exptab.h (vexp.h's exp_tab) is gen_exptab.py's text, and its entries are what they
    claim: TH[j] (1 + TL[j]) = 2^(j/8) to within TL's own rounding (2^-25 |TL| < 1e-15),
    TADJ[j] + (j << 20) the bits of TH[j], and the two parts of ln(2)/8 add up to it (to the
    float low part's precision)."""
    import struct

    from cece._native import gen_exptab

    assert gen_exptab.HEADER.read_text() == gen_exptab.render()
    tadj, tl, lo = gen_exptab.table()
    assert len(tadj) == len(tl) == 8
    for j in range(8):
        th = struct.unpack("<f", struct.pack("<I", tadj[j] + (j << 20)))[0]
        assert 1 <= th < 2 and abs(th - 2 ** (j / 8)) <= 2**-24 * th
        assert th * (1 + tl[j]) == pytest.approx(2 ** (j / 8), rel=2e-15, abs=0)
    # lo is a float: 2^-25 |lo| off, 1e-11 of ln(2)/8 (k up to 1008 times that: 2e-10 in r)
    assert gen_exptab.LN2_8_HI + lo == pytest.approx(math.log(2) / 8, rel=1e-11, abs=0)
    assert (gen_exptab.LN2_8_HI * 4096).is_integer()  # 9 bits: k * LN2_8_HI exact in float


@pytest.mark.skipif(not kernels.FAST, reason="the compiled kernels are not built here")
@pytest.mark.parametrize("t", [1.0, 0.7, 3.3])
def test_the_exponential_keeps_its_own_bound_at_every_distance(t):
    """Two float32 logits a > b, the label on a: the loss is log1p(e^(b - a)), and with two
    classes nothing but exp_sub's error shows. b - a runs through [-87.5, 0] in steps of ~4e-5
    (every entry of its 8-entry table, both signs of r, each k up to -1008) at several
    magnitudes of a, so that the exact split of b - a (TwoSum) matters. The table exponential
    is within 6.3e-8 here (one rounding and < 1e-8 besides); held to 7e-8, which an entry off
    by one float ulp (6e-8), a lost TL correction (up to 3.2e-8) or the old Cephes polynomial
    (9.98e-8) breaks. Both widths give the same bits. Under a temperature T the term is
    e^((b - a) / T), (b - a) / T formed to ~48 bits and its rounding error folded in as the
    difference's is (exp_sub with a scale): the same bound (Cephes' expf with the correction applied in
    double, as before 2026-12-02, reached 8.4e-8)."""
    widths = ["avx2"] + (["avx512"] if _avx512() else [])
    d = np.linspace(0, 87.5 * t, 2_000_001)
    for a0 in (0.0, 37.5, -3e4, 3e7):
        a = np.full(d.size, a0, np.float32)
        x = np.stack([a, (np.float64(a0) - d).astype(np.float32)], 1)
        x = np.ascontiguousarray(x[x[:, 1] < x[:, 0]])
        xd = x.astype(np.float64)
        want = np.log1p(np.exp((xd[:, 1] - xd[:, 0]) / t))
        live = want > 1e-36  # the float result's own precision ends in the subnormals
        got = []
        before = kernels._fast.simd()
        for width in widths:
            kernels._fast.simd(width)
            try:
                nll, cor = np.empty(len(x)), np.empty(len(x), np.uint8)
                y = np.zeros(len(x), np.int64)
                assert kernels._fast.softmax_index(x, 2, y, nll, cor, None, t) == 0
            finally:
                kernels._fast.simd(before)
            err = np.abs(nll[live] - want[live]) / want[live]
            assert err.max() <= 7e-8, (a0, t, width, err.max(), int(np.argmax(err)))
            got.append(nll)
        assert all(np.array_equal(got[0], g) for g in got[1:])


@pytest.mark.skipif(not kernels.FAST, reason="the compiled float64 kernel")
def test_float64_steps_near_the_exp_range_limit_give_the_same_bits_at_both_widths():
    """The float64 kernels check exp's range once a step (4 or 8 rows) where every x − max
    of the step is in [−708, 0] and finite, else per vector as before. Rows of 10 logits
    whose spans sit on both sides of 708 (one such row among near ones in a step, every
    position), with −inf, +inf and NaN among them: the reference's losses (1e-14) and the
    same bits at both widths."""
    rng = np.random.default_rng(2026_12_03)
    n, c = 8 * 40, 10
    x = rng.normal(0, 3, (n, c))
    for i in range(0, n, 9):  # one far row a step, moving through the positions
        x[i, rng.integers(c)] = x[i].max() - rng.choice([707.9, 708.0, 708.1, 730.0, 760.0])
    x[17, 3], x[50, 0], x[99, 9] = -np.inf, np.nan, np.inf
    y = labels(x, rng)
    finite = np.isfinite(x).all(axis=1) | (x[:, 3] == -np.inf)
    want = reference(x[finite], y[finite])
    outs = []
    for width in ["avx2"] + (["avx512"] if _avx512() else []):
        before = kernels._fast.simd()
        kernels._fast.simd(width)
        try:
            nll, cor = np.empty(n), np.empty(n, np.uint8)
            kernels._fast.softmax_index(x, c, y, nll, cor, None, 1.0)
        finally:
            kernels._fast.simd(before)
        outs.append(nll)
        got = nll[finite]
        assert np.array_equal(got == 0, want == 0)
        live = want > 0
        assert (np.abs(got[live] - want[live]) / want[live]).max() <= 1e-14, width
        assert np.isnan(nll[~finite]).all()
    assert all(np.array_equal(o, outs[0], equal_nan=True) for o in outs)
