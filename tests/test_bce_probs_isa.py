"""The BCE-of-probabilities kernel in one column at both widths (cece/_native/_fast.c:
bce_p4 at 4 double lanes, AVX2; bce_probs_col8 / bce_p8 at 8, chosen where the softmax kernels
run AVX-512, for float32 and float64 probabilities; ``CECE_SIMD=avx2`` keeps AVX2).

Each element's operations are the same, in the same order, at either width, so the losses,
right counts, clip moves and the block figures (Σ right, min and max: exact in any order) are
the same bits, including where a vector of 8 holds a soft target and AVX2's vectors of 4 split
it from hard ones, and in libm's lanes (0, subnormals, NaN). tests/test_bce_probs.py holds the
default width to libm and the formula.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_bce_isa import ISAS, both
from test_bce_probs import element, grid

import cece._native as kernels


def run_on(isa: str, p: np.ndarray, y: np.ndarray, pw=None, threshold=0.5, eps=0.0):
    """(loss, right, (hits, soft), stats) of one call of the compiled kernel at ``isa``."""
    before = kernels._fast.simd()
    kernels._fast.simd(isa)
    try:
        n, k = p.shape
        loss, right, stats = np.empty(n), np.empty(n), np.empty(6)
        w = None if pw is None else np.full(k, float(pw))
        code = kernels._fast.bce_probs(p, k, y, w, threshold, eps, loss, right, stats)
        return loss, right, code, stats
    finally:
        kernels._fast.simd(before)


def same(a, b) -> None:
    """The same outputs; the losses where every target is valid (a target outside [0, 1] is
    an error: the engine and the library raise, naming it), their extrema where no
    probability is NaN either (the callers refuse one before the kernel runs)."""
    assert a[2] == b[2]  # (clip moves, any soft)
    assert np.array_equal(a[1], b[1])
    assert a[3][:2].tolist() == b[3][:2].tolist()  # first bad target row, Σ right
    assert np.array_equal(a[3][4:], b[3][4:], equal_nan=True)  # the probabilities' extrema
    if a[3][0] < 0:
        assert np.array_equal(a[0], b[0], equal_nan=True)
        assert not np.any(np.signbit(a[0]) != np.signbit(b[0]))
        if not np.isnan(a[0]).any():
            assert a[3][2:4].tolist() == b[3][2:4].tolist()


@both
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target", [0.0, 1.0, 0.25])
@pytest.mark.parametrize("eps", [0.0, 1e-7])
def test_every_regime_gives_the_same_bits_at_both_widths(dtype, target, eps):
    p = grid().astype(dtype)
    p = np.concatenate([p, np.array([0.0, 1.0, 0.5], dtype)]).reshape(-1, 1)
    y = np.full(p.shape, target)
    for n in (len(p), 7, 8, 9, 17):  # whole steps of 8 and AVX2 tails
        a, b = run_on("avx2", p[:n], y[:n], eps=eps), run_on("avx512", p[:n], y[:n], eps=eps)
        same(a, b)
    got = run_on("avx512", p, y, eps=eps)[0]
    want = np.array([element(float(v), target, eps=eps) for v in p[:, 0].astype(np.float64)])
    ok = np.isfinite(want)  # one logarithm on a hard target, two on a soft one
    np.testing.assert_allclose(got[ok], want[ok], rtol=4e-16 if target % 1 == 0 else 8e-16)


@both
@settings(max_examples=200, deadline=None)
@given(
    p=hnp.arrays(
        np.float64,
        st.integers(1, 70),
        elements=st.one_of(
            st.floats(0, 1, width=32),
            st.sampled_from([0.0, 1.0, 5e-324, 1e-310, 1e-300, 0.5, np.nan, -0.0]),
        ),
    ),
    data=st.data(),
)
def test_any_block_gives_the_same_bits_at_both_widths(p, data):
    """Any probabilities (0, 1, subnormals, NaN), targets hard, soft or invalid, float32 or
    float64, a pos_weight, a clip and a threshold: the same outputs at both widths."""
    n = len(p)
    p = p.astype(data.draw(st.sampled_from([np.float32, np.float64])))  # float32: subnormals 0
    ydtype = data.draw(st.sampled_from([np.float32, np.float64]))
    valid = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1, width=32))
    invalid = st.one_of(valid, st.floats(-0.5, 1.5, width=32), st.just(np.nan))
    y = data.draw(hnp.arrays(ydtype, n, elements=data.draw(st.sampled_from([valid, invalid]))))
    pw = data.draw(st.one_of(st.none(), st.floats(0, 100)))
    eps = data.draw(st.sampled_from([0.0, 1e-7, 1e-3]))
    threshold = data.draw(st.sampled_from([0.5, 0.0, 0.9]))
    p, y = p.reshape(-1, 1), y.reshape(-1, 1)
    same(run_on("avx2", p, y, pw, threshold, eps), run_on("avx512", p, y, pw, threshold, eps))


def test_the_engine_call_gives_the_same_numbers_at_every_width():
    """kernels.bce_probs (the engine's call) runs the width simd() names: the same numbers."""
    if not ISAS:
        pytest.skip("the compiled kernels are not built here")
    rng = np.random.default_rng(5)
    p = rng.random((100_003, 1)).astype(np.float32)
    y = (rng.random((100_003, 1)) < 0.4).astype(np.float32)
    got = [run_on(isa, p, y, eps=1e-7) for isa in ISAS]
    for other in got[1:]:
        same(got[0], other)


@both
@pytest.mark.parametrize("eps", [0.0, 1e-7, 0.1])
def test_neg_log_clip_gives_the_same_bits_at_both_widths(eps):
    """The categorical loss of probabilities' −log clip(p): 8 lanes (AVX-512) or 4, the same
    bits, on every regime of the grid, 0, 1, subnormals, NaN and values outside [0, 1], in
    whole steps of 8 and in the tails."""
    v = np.concatenate([grid(), [0.0, 1.0, 5e-324, np.nan, -0.5, 1.5, 0.5]])
    for n in (len(v), 7, 8, 9, 15, 17):
        got = []
        for isa in ("avx2", "avx512"):
            before = kernels._fast.simd()
            kernels._fast.simd(isa)
            try:
                out, ext = np.empty(n), np.empty(4)
                kernels._fast.neg_log_clip(v[:n], out, eps, ext)
            finally:
                kernels._fast.simd(before)
            got.append((out, ext))
        assert np.array_equal(got[0][0], got[1][0], equal_nan=True), n
        assert np.array_equal(got[0][1], got[1][1], equal_nan=True), n  # the extrema too
        assert not np.any(np.signbit(got[0][0]) != np.signbit(got[1][0]))


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_zero_weight_on_a_sure_miss_costs_nothing_on_every_path(isa, dtype, monkeypatch):
    """--pos-weight 0 with --eps 0: a positive target on a probability of exactly 0 weighs
    -log 0 = inf by 0, which the numpy path and the soft lanes take as 0 (the term is absent);
    the hard lanes once gave NaN (0 · inf) wherever a whole vector held hard targets (found by
    Hypothesis: 4 AVX2 lanes of them NaN, the 8 AVX-512 lanes beside a soft target 0). Hard
    vectors alone, then beside a soft one, then the numpy path: the same losses."""
    p = np.zeros((16, 1), dtype)
    p[8:] = 1.0  # the negatives' side: (1 - y) = 0 weighs -log(1 - 1) = inf
    y = np.zeros((16, 1), dtype)
    y[:8] = 1.0
    hard = run_on(isa, p, y, pw=0.0)[0]
    assert np.array_equal(hard[:8], np.zeros(8)) and np.all(np.isinf(hard[8:]))
    y_soft = y.copy()
    y_soft[0] = 0.5
    beside = run_on(isa, p, y_soft, pw=0.0)[0]
    assert np.array_equal(beside[1:], hard[1:])
    monkeypatch.setattr(kernels, "FAST", False)
    from cece import binary_cross_entropy

    want = binary_cross_entropy(p[:, 0], y[:, 0], pos_weight=0.0, eps=0.0, reduction="none")
    assert np.array_equal(hard, want)
