"""The compiled kernels (cece/_native/_fast.c) against libm, against the numpy path, and under threads.

Where the kernels are not built or the CPU lacks AVX2/FMA/F16C, cece uses numpy; these tests
then check that the fallback is in force instead of skipping (a skipped check proves nothing).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cece._native as kernels
import cece.io.text
from cece import binary_cross_entropy_with_logits as bce
from cece import categorical_cross_entropy as cce

from conftest import run_cece

LIBM_EXP, LIBM_LOG = np.frompyfunc(math.exp, 1, 1), np.frompyfunc(math.log, 1, 1)

FAST = kernels.FAST


@pytest.fixture
def numpy_path(monkeypatch):
    monkeypatch.setattr(kernels, "FAST", False)


def test_the_kernels_are_in_use_or_the_fallback_is():
    if kernels._fast is None or not kernels._fast.available():
        assert not FAST and not kernels.compiled(np.zeros((2, 2), np.float32))
    else:
        assert kernels.compiled(np.zeros((2, 2), np.float32)) == FAST


@pytest.mark.skipif(not FAST, reason="the compiled kernels are not built here")
def test_exp_is_within_1_ulp_of_libm_and_log_within_2():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [rng.uniform(-745, 0, 200_000), rng.uniform(-1, 1, 200_000), rng.uniform(0, 709, 100_000)]
    )
    e, lg = np.empty_like(x), np.empty_like(x)
    kernels._fast.exp_log(x, e, lg)
    ref = LIBM_EXP(x).astype(float)  # libm itself: numpy < 2's own exp is up to 2 ulp off it
    normal = ref > np.finfo(float).tiny
    assert np.max(np.abs(e[normal] - ref[normal]) / np.spacing(ref[normal])) <= 1
    assert np.max(np.abs(e[~normal] - ref[~normal])) <= 5e-324  # one step of the subnormals
    pos = np.concatenate([rng.uniform(1e-300, 1e300, 100_000), rng.uniform(0.5, 2, 100_000)])
    e, lg = np.empty_like(pos), np.empty_like(pos)
    kernels._fast.exp_log(pos, e, lg)
    ref = LIBM_LOG(pos).astype(float)
    nonzero = ref != 0
    assert np.max(np.abs(lg[nonzero] - ref[nonzero]) / np.spacing(np.abs(ref[nonzero]))) <= 2


@pytest.mark.skipif(
    not FAST or np.finfo(np.longdouble).nmant < 63, reason="the compiled kernels; x87 long double"
)
def test_exp_keeps_its_bound_against_long_double():
    """simd.h's exp4 (a 16-entry table and the series to r^7): at most ~0.52 ulp from e^x
    by its analysis, held to 0.56 against the 64-bit-mantissa long double's expl (its own
    error ~2^-64 relative); the Taylor series to r^13 it replaced reached 2.17 ulp here, and
    a lost TL correction or a term of the series would reach ~1. Around the edges of the fast
    path too (-708 and 709: the lanes beyond them go to exp4_far, which must agree)."""
    rng = np.random.default_rng(3)
    x = np.concatenate(
        [
            rng.uniform(-708, 709, 400_000),
            rng.uniform(-0.05, 0.05, 200_000),
            np.linspace(-708.5, -707.5, 20_001),
            np.linspace(708.5, 709.7, 20_001),
        ]
    )
    e, lg = np.empty_like(x), np.empty_like(x)
    kernels._fast.exp_log(x, e, lg)
    ref = np.exp(x.astype(np.longdouble))
    normal = ref > np.finfo(float).tiny
    ulps = np.abs((e[normal] - ref[normal]) / np.spacing(ref[normal].astype(float)))
    assert ulps.astype(float).max() <= 0.56
    assert (ulps > 0.5).mean() < 0.01  # correctly rounded but for ~0.5 %


@pytest.mark.skipif(not FAST, reason="the compiled kernels are not built here")
def test_exp_of_the_edges_and_of_non_finite_values():
    x = np.array([0.0, -0.0, -np.inf, np.nan, np.inf, -745.2, -745.1, -1e300, 1e300, 709.78])
    e, lg = np.empty_like(x), np.empty_like(x)
    kernels._fast.exp_log(x, e, lg)
    assert e[0] == e[1] == 1 and e[2] == 0 and np.isnan(e[3])
    assert e[5] == 0 and e[6] == 5e-324 and e[7] == 0  # below e^-745.13: 0, as libm
    # above 709.78 clamped there, as before (finite, near the largest double; never inf)
    assert e[4] == e[8] == pytest.approx(math.exp(709.782712893384), rel=2.3e-16)
    assert e[9] == pytest.approx(math.exp(709.78), rel=2.3e-16)


@pytest.mark.skipif(
    not FAST or np.finfo(np.longdouble).nmant < 63, reason="the compiled kernels; x87 long double"
)
@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_float64_binary_log1p_keeps_its_bound_against_long_double(isa):
    """Binary cross-entropy of float64 logits on target 1: softplus(−x) = log1p(e^−x) for
    x ≥ 0, by exp4 and log1p_unit4 (exp_d8 and log1p_unit8 at 8 lanes): within 2.5 ulp of
    the 64-bit-mantissa long double value (2.1 measured, the exp's 0.55 carried through;
    Cephes' log1p it replaced: 1.9), over every table entry's range (u = e^−x in [0, 1]) and
    its edges (u near (i ± ½)/16)."""
    rng = np.random.default_rng(9)
    u_edges = (np.arange(1, 33) / 32.0)[:, None] * (1 + np.linspace(-1e-3, 1e-3, 201))[None, :]
    x = np.concatenate(
        [rng.uniform(0, 40, 200_000), rng.uniform(30, 700, 20_000), -np.log(u_edges.ravel())]
    )
    x = np.abs(x)
    before = kernels._fast.simd()
    try:
        kernels._fast.simd(isa)
    except ValueError:
        pytest.skip("this CPU runs AVX2 only")
    try:
        loss = kernels.bce_logits(x.reshape(-1, 1), np.ones((len(x), 1)), None, 0.0)[0]
    finally:
        kernels._fast.simd(before)
    ref = np.log1p(np.exp(-x.astype(np.longdouble)))
    normal = ref > np.finfo(float).tiny
    ulps = np.abs((loss[normal] - ref[normal]) / np.spacing(ref[normal].astype(float)))
    assert ulps.astype(float).max() <= 2.5
    assert (ulps > 0.5).mean() < 0.3


def test_double_exp_table_is_what_its_generator_writes():
    """exptabd.h (simd.h's exp4, _fast.c's exp_d8) is gen_exptabd.py's text, and its entries
    are what they claim: TH[j] (1 + TL[j]) = 2^(j/16) to within TL's rounding, TADJ[j] + (j <<
    48) the bits of a TH[j] in [1, 2), ln(2)/16's high part 38 bits at most (k times it exact
    for |k| < 2^15) and the two parts adding up to ln(2)/16."""
    import struct
    from fractions import Fraction

    from cece._native import gen_exptabd

    assert gen_exptabd.HEADER.read_text() == gen_exptabd.render()
    tadj, tl = gen_exptabd.table()
    assert len(tadj) == len(tl) == 16
    for j in range(16):
        th = struct.unpack("<d", struct.pack("<Q", (tadj[j] + (j << 48)) % 2**64))[0]
        assert 1 <= th < 2 and abs(th - 2 ** (j / 16)) <= 2**-52 * th
        assert abs(tl[j]) <= 2**-53
        assert th * (1 + tl[j]) == pytest.approx(2 ** (j / 16), rel=3e-16, abs=0)
    linv, lhi, llo = gen_exptabd.log1p_table()
    assert linv[0] == 1 and lhi[0] == llo[0] == 0
    for i in range(16):  # 9 bits (INV - 1 exact), near 16 / (16 + i); -ln INV = HI + LO
        assert (linv[i] * 2**9).is_integer() and abs(linv[i] - 16 / (16 + i)) < 2**-9
        assert lhi[i] + llo[i] == pytest.approx(-math.log(linv[i]), rel=1e-15, abs=1e-300)
        assert abs(llo[i]) <= 2**-53 * max(abs(lhi[i]), 1e-300)
    inv, hi, lo = gen_exptabd.constants()
    assert Fraction(hi).denominator <= 2**42 and hi * 2**42 < 2**38  # 38 bits
    assert hi + lo == pytest.approx(math.log(2) / 16, rel=1e-16, abs=0)
    assert inv == pytest.approx(16 / math.log(2), rel=1.2e-16, abs=0)


CASES = [
    (c, scale, dtype)
    for c in (2, 3, 10, 63, 64, 65, 1000)
    for scale in (0.3, 5, 300, 1e4)
    for dtype in ("float16", "float32", "float64")
]


@pytest.mark.parametrize("c, scale, dtype", CASES)
def test_compiled_and_numpy_paths_agree(c, scale, dtype, monkeypatch):
    rng = np.random.default_rng(c * 7 + int(scale))
    x = rng.standard_normal((300, c)) * scale
    if dtype == "float16":
        x = np.clip(x, -6e4, 6e4)
    x = x.astype(dtype)
    x[:20, 1] = x[:20, 0]  # ties at the maximum, sometimes
    y = np.where(rng.random(300) < 0.5, np.argmax(x, 1), rng.integers(0, c, 300))
    fast = cce(x, y, reduction="none")
    from cece.losses.softmax import categorical_terms

    fast_terms = categorical_terms(x, y)
    fast_correct = fast_terms.correct
    assert np.array_equal(fast_terms.details(slice(None))["predicted"], np.argmax(x, 1))
    monkeypatch.setattr(kernels, "FAST", False)
    slow = cce(x, y, reduction="none")
    slow_correct = categorical_terms(x, y).correct
    rtol = 1e-14 if dtype == "float64" or not FAST else 1.2e-7
    np.testing.assert_allclose(fast, slow, rtol=rtol, atol=0)
    assert np.array_equal(fast_correct, slow_correct)
    assert np.array_equal(slow_correct, np.argmax(x, 1) == y)  # numpy's arg-max semantics


@pytest.mark.parametrize("k", [1, 2, 5, 64])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_binary_paths_agree(k, dtype, monkeypatch):
    rng = np.random.default_rng(k)
    x = (rng.standard_normal((257, k)) * 20).astype(dtype)
    y = np.where(rng.random((257, k)) < 0.5, rng.random((257, k)), rng.integers(0, 2, (257, k)))
    pw = rng.uniform(0.5, 3, k)
    fast = bce(x, y, reduction="none", pos_weight=pw)
    monkeypatch.setattr(kernels, "FAST", False)
    slow = bce(x, y, reduction="none", pos_weight=pw)
    np.testing.assert_allclose(fast, slow, rtol=1e-13 if dtype == "float64" else 1e-6)


@pytest.mark.parametrize("value", [np.nan, np.inf])  # -inf: tests/test_neg_inf_logits.py
@pytest.mark.parametrize("c", [10, 200])
def test_non_finite_logits_are_an_error_on_both_paths(value, c, write, monkeypatch):
    x = np.ones((300, c), np.float32)
    x[123, c - 2] = value
    path = write("x.npy", x)
    for fast in (True, False):
        monkeypatch.setattr(kernels, "FAST", fast and FAST)
        line = run_cece(
            "categorical", path, write("y.npy", np.zeros(300, int)), "--from", "logits"
        ).error_line()
        assert line.endswith(
            f"x.npy: row 123, column {c - 2}: found {value} value; expected a finite number"
        )


def test_results_do_not_depend_on_the_thread_count(write, monkeypatch):
    rng = np.random.default_rng(9)
    px = write("x.npy", rng.standard_normal((200_000, 12)).astype(np.float32))
    py = write("y.npy", rng.integers(0, 12, 200_000))
    outs = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("CECE_THREADS", threads)
        outs.append(json.loads(run_cece("categorical", px, py, "-f", "json").out)["stats"])
    assert outs[0] == outs[1] == outs[2]  # blocks are folded in order: identical, to the bit


# -- the plain-text parser ------------------------------------------------------------------------

PARSER = cece.io.text._fast


def plain(text: str, ncols: int = 1, delimiter: str = ",") -> np.ndarray | None:
    return cece.io.text._plain_numbers(text.encode(), ncols, delimiter)


def test_the_plain_parser_is_built_where_the_kernels_are():
    assert PARSER is not None or not FAST
    assert (PARSER is not None) == cece.io.text.PLAIN


NUMBER_FORMATS = [
    "{!r}",
    "{:.18e}",
    "{:.17g}",
    "{:.7g}",
    "{:.3f}",
    "{:g}",
    "{:E}",
    "{:+.10e}",
    "{:.30f}",
    "{:.0f}",
    "{:.1e}",
]


@pytest.mark.skipif(PARSER is None, reason="no compiled parser: the careful parsers read all")
@settings(max_examples=3000, deadline=None, derandomize=True)
@given(
    x=st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.floats(-1e3, 1e3),
        st.floats(-1e-3, 1e-3).map(lambda v: v / 7),
        st.integers(-(10**25), 10**25).map(float),
    ),
    fmt=st.sampled_from(NUMBER_FORMATS),
    pad=st.sampled_from(["", " ", "\t", "  "]),
)
def test_plain_numbers_are_read_as_python_reads_them(x, fmt, pad):
    text = fmt.format(x)
    want = float(text)
    got = plain(f"{pad}{text}{pad}\n")
    if got is None:  # only what the careful parsers must see: non-finite after rounding
        assert not np.isfinite(want) or len(text) >= 79, text
        return
    assert got.shape == (1, 1)
    assert got[0, 0] == want and np.signbit(got[0, 0]) == np.signbit(want), text


@pytest.mark.skipif(PARSER is None, reason="no compiled parser: the careful parsers read all")
@pytest.mark.parametrize(
    "text, rows",
    [
        ("1,2,3\n4,5,6\n", [[1, 2, 3], [4, 5, 6]]),
        ("1,2,3\r\n4,5,6", [[1, 2, 3], [4, 5, 6]]),  # CRLF; no newline at the end
        (" -1 , +.5 ,7.\n", [[-1, 0.5, 7]]),
        ("1e3,1E-3,-0e0\n", [[1000, 0.001, -0.0]]),
        ("00012,0.000,1e+22\n", [[12, 0, 1e22]]),
    ],
)
def test_plain_rows(text, rows):
    got = plain(text, 3)
    assert got is not None and got.tolist() == rows


@pytest.mark.skipif(PARSER is None, reason="no compiled parser: the careful parsers read all")
@pytest.mark.parametrize(
    "text",
    [
        "1,2\n",  # too few fields
        "1,2,3,4\n",  # too many
        "1,2,3\n\n",  # a blank line (allowed at the end only: the careful parsers decide)
        "1,2,3\r4,5,6\n",  # a bare CR
        '"1",2,3\n',  # quotes
        "nan,2,3\n",
        "inf,2,3\n",
        "1,-inf,3\n",  # not finite
        "1e400,2,3\n",  # overflows to inf
        "0x1,2,3\n",
        "1_000,2,3\n",
        "1,2,3%\n",
        "1;2;3\n",
        "1,2,3 4\n",  # not plain numbers
        "1e,2,3\n",
        ".,2,3\n",
        "-,2,3\n",
        ",2,3\n",
        "1,2,\n",  # incomplete
        "# note\n1,2,3\n",  # a comment
    ],
)
def test_anything_but_plain_numbers_goes_to_the_careful_parsers(text):
    assert plain(text, 3) is None


def _wide_reference(row: np.ndarray, label: int) -> float:
    """log1p of Σ e^(x − m) over the classes but the first maximum, added exactly (fsum of
    libm's exps), plus m − x_label: within ~1 ulp of the exact loss."""
    top = int(np.argmax(row))
    m = float(row[top])
    rest = math.fsum(math.exp(float(v) - m) for j, v in enumerate(row) if j != top)
    return math.log1p(rest) + (m - float(row[label]))


@pytest.mark.parametrize("path", ["as built", "numpy"])
@pytest.mark.parametrize("c", [64, 1000, 4096, 50257])
def test_wide_float64_rows_keep_float64_precision(c, path, monkeypatch):
    """Many float64 classes: the compiled kernel's row sum (4 lanes, one term after another)
    drifted with C (1813 ulp at 50257 on a confident row); compensated, as the numpy path's
    pairwise sum, it stays within a few ulp on confident, near-tie and random rows (8: numpy's
    own float64 exp may be 2.5 ulp off, and 63 equal terms share the error)."""
    if path == "numpy":
        monkeypatch.setattr(kernels, "FAST", False)
    rng = np.random.default_rng(c)
    x = np.zeros((4, c))
    x[0, 0] = 20.0  # confident and right: the loss is log1p of a small sum
    x[1, 0] = 1e-8  # a near tie over every class
    x[2] = rng.normal(0, 3, c)
    x[3] = rng.normal(0, 30, c)
    y = np.array([0, 14, 5, int(np.argmax(x[3]))])
    got = cce(x, y, reduction="none")
    for i in range(4):
        want = _wide_reference(x[i], int(y[i]))
        assert abs(got[i] - want) <= 8 * np.spacing(want), (i, got[i], want)
    warm = cce(x, y, reduction="none", temperature=2.0)  # the same kernel, divided inside
    for i in range(4):
        want = _wide_reference(x[i] / 2.0, int(y[i]))
        assert abs(warm[i] - want) <= 8 * np.spacing(want), (i, warm[i], want)
