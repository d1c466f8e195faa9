"""The BCE-from-probabilities kernel (``bce_probs``: cece/_native/_fast.c, and its numpy twin):
one pass over (n, k) probabilities and targets, the clip, the targets checked, the block
figures it keeps; and its float64 logarithm ``log_d4`` (a table of its own, logdtab.h).

Held to references written from the formula in Python floats (libm's log and log1p, each
within an ulp of the exact value) at 4e-16 relative: ``log_d4`` measured 2.4e-16 at most
against 120-bit mpmath values on the grids below (glibc's own log: 1.1e-16), so the bound
holds both errors. The twins agree to the same bound, and to the bit on what is exact (the
right counts, the clip counts, soft, the first bad target).
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cece import _native as kernels
from cece._native import _numpy, gen_logdtab
from cece.losses.sigmoid import binary_terms
from cece.losses.terms import count_clip_moves

import reference
from conftest import run_cece

IMPLS = ["numpy", "compiled"]
REL = 4e-16
F32_EPS = float(np.finfo(np.float32).eps)


def impl(name: str):
    if name == "compiled" and not kernels.AVAILABLE:
        pytest.skip("the compiled kernels are not built")
    return kernels._fast if name == "compiled" else _numpy


def run(name, p, y, pw=None, threshold=0.5, eps=0.0):
    """(loss, right, (hits, soft), stats) of one call of the kernel ``name``."""
    n, k = p.shape
    loss, right, stats = np.empty(n), np.empty(n), np.empty(6)
    w = None if pw is None else np.ascontiguousarray(np.broadcast_to(np.float64(pw), (k,)))
    code = impl(name).bce_probs(p, k, y, w, threshold, eps, loss, right, stats)
    return loss, right, code, stats


def element(p: float, y: float, w: float = 1.0, eps: float = 0.0) -> float:
    """w·y·(−log c) + (1 − y)·(−log1p(−c)), c = clip(p, eps, 1 − eps), 0·inf = 0 (libm)."""
    c = min(max(p, eps), 1 - eps) if eps > 0 else p
    a = w * y * -(math.log(c) if c > 0 else -math.inf) if w * y else 0.0
    b = (1 - y) * -(math.log1p(-c) if c < 1 else -math.inf) if y < 1 else 0.0
    return a + b


def close(got, want, rel=REL):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    inf = np.isinf(want)
    assert np.array_equal(got[inf], want[inf])
    np.testing.assert_allclose(got[~inf], want[~inf], rtol=rel, atol=0)


def test_the_table_is_its_generator_s_output():
    assert gen_logdtab.HEADER.read_text() == gen_logdtab.render()
    rows = gen_logdtab.table()
    assert rows[79] == rows[80] == (1.0, 0.0)
    for i, (invc, _) in enumerate(rows):  # every entry keeps |r| within 2^-7
        low = gen_logdtab._double(gen_logdtab.OFF + (i << 45))
        high = gen_logdtab._double(gen_logdtab.OFF + ((i + 1) << 45))
        assert max(abs(low * invc - 1), abs(high * invc - 1)) <= 2**-7


def grid() -> np.ndarray:
    """Probabilities where log_d4 changes regime: every decade to 1e-300, the table's edges
    (0.6875 and its binades), both sides of 1/2 and of 1, subnormals (libm's lanes)."""
    rng = np.random.default_rng(4)
    edges = [0.6875 * 2.0**-e for e in range(0, 1020, 7)]
    parts = [
        10 ** rng.uniform(-300, 0, 4000),
        rng.random(4000),
        1 - 10 ** rng.uniform(-16, -0.3, 4000),
        1 - np.arange(1, 2000) * 2.0**-53,
        0.5 + np.arange(-1000, 1000) * 2.0**-54,
        np.nextafter(np.array(edges), 0),
        np.array(edges),
        np.nextafter(np.array(edges), 1),
        np.array([5e-324, 1e-310, 2.0**-1022, 0.5, 0.75, 1 - 2**-8, 1.0]),
    ]
    p = np.concatenate(parts)
    return p[(p > 0) & (p <= 1)]


@pytest.mark.parametrize("name", IMPLS)
@pytest.mark.parametrize("target", [1.0, 0.0])
def test_each_side_against_libm(name, target):
    p = grid()
    y = np.full(p.size, target)
    loss, right, (hits, soft), stats = run(name, p.reshape(-1, 1), y.reshape(-1, 1))
    close(loss, [element(float(v), target) for v in p])
    assert hits == 0 and soft == 0 and stats[0] == -1
    assert np.array_equal(right, ((p > 0.5) == (target >= 0.5)).astype(float))


@pytest.mark.parametrize("name", IMPLS)
def test_zero_and_one_without_a_clip(name):
    """eps = 0: −log 0 = inf where its side counts, 0 where its weight is 0 (0·inf = 0)."""
    p = np.array([[0.0], [0.0], [1.0], [1.0], [0.25]])
    y = np.array([[0.0], [1.0], [0.0], [1.0], [0.5]])
    loss, _, (hits, soft), stats = run(name, p, y)
    assert loss[0] == 0 and loss[1] == np.inf and loss[2] == np.inf and loss[3] == 0
    assert not np.signbit(loss[[0, 3]]).any()  # 0, not −0
    close(loss[4:], [element(0.25, 0.5)])
    assert hits == 0 and soft == 1 and stats[2:4].tolist() == [0.0, np.inf]


@pytest.mark.parametrize("name", IMPLS)
def test_the_clip_is_applied_and_counted(name):
    p = np.array([0.0, 1e-9, F32_EPS, 0.5, 1 - 1e-9, 1.0, 0.3]).reshape(-1, 1)
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]).reshape(-1, 1)
    loss, _, (hits, _), _ = run(name, p, y, eps=F32_EPS)
    assert hits == 4  # 0, 1e-9, 1 - 1e-9 and 1 moved; eps itself is not
    close(loss, [element(float(a), float(b), eps=F32_EPS) for a, b in zip(p[:, 0], y[:, 0])])


@pytest.mark.parametrize("name", IMPLS)
@pytest.mark.parametrize("bad", [-0.5, 1.5, np.nan, np.inf])
def test_the_first_bad_target_is_found(name, bad):
    p = np.full((9, 2), 0.5)
    y = np.zeros((9, 2))
    y[6, 1], y[8, 0] = bad, bad
    _, _, _, stats = run(name, p, y)
    assert stats[0] == 6


@pytest.mark.parametrize(
    "args",
    [
        "shape",  # p's size not a multiple of k
        "eps",  # eps at 1/2
        "negative eps",
        "nan eps",
        "target dtype",
        "loss length",
    ],
)
def test_the_compiled_kernel_refuses_bad_arguments(args):
    if not kernels.AVAILABLE:
        pytest.skip("the compiled kernels are not built")
    p, y = np.full((4, 2), 0.5), np.zeros((4, 2))
    loss, right, stats, eps = np.empty(4), np.empty(4), np.empty(6), 0.0
    if args == "shape":
        p = np.full(7, 0.5)
    elif args == "eps":
        eps = 0.5
    elif args == "negative eps":
        eps = -1e-7
    elif args == "nan eps":
        eps = math.nan
    elif args == "target dtype":
        y = np.zeros((4, 2), np.int64)
    else:
        loss = np.empty(3)
    with pytest.raises(ValueError, match="bce_probs"):
        kernels._fast.bce_probs(p, 2, y, None, 0.5, eps, loss, right, stats)


dtypes = st.sampled_from([np.float16, np.float32, np.float64, "bfloat16"])


def _bits(v: np.ndarray) -> np.ndarray:
    """bfloat16 bits of ``v``: its float32 values rounded to nearest even."""
    u = v.astype(np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16).view(kernels.BFLOAT16)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 40),
    k=st.integers(1, 9),
    dtype=dtypes,
    soft=st.booleans(),
    pw=st.sampled_from([None, 2.5, "columns"]),
    eps=st.sampled_from([0.0, 1e-7, F32_EPS, 0.1]),
    threshold=st.sampled_from([0.0, 0.3, 0.5, 1.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_twins_agree_with_the_formula(n, k, dtype, soft, pw, eps, threshold, seed):
    rng = np.random.default_rng(seed)
    v = rng.random((n, k))
    v[rng.random((n, k)) < 0.1] = 0.0
    v[rng.random((n, k)) < 0.1] = 1.0
    y = rng.random((n, k)) if soft else rng.integers(0, 2, (n, k)).astype(np.float64)
    p = _bits(v) if dtype == "bfloat16" else v.astype(dtype)
    values = kernels.as_float64(p)
    w = np.linspace(0.5, 3, k) if pw == "columns" else pw
    ws = np.broadcast_to(np.float64(1.0 if w is None else w), (k,))
    want = [
        math.fsum(element(float(a), float(b), float(c), eps) for a, b, c in zip(r, t, ws))
        for r, t in zip(values, y)
    ]
    names = IMPLS if kernels.AVAILABLE else ["numpy"]
    results = [run(name, p, y, w, threshold, eps) for name in names]
    for loss, right, (hits, any_soft), stats in results:
        # an element: two logarithms and four roundings here, as many in the reference
        close(loss, want, rel=2 * REL * k)
        assert np.array_equal(right, ((values > threshold) == (y >= 0.5)).sum(axis=1))
        moved = (values < eps) | (values > 1 - eps) if eps > 0 else np.zeros_like(values, bool)
        assert hits == np.count_nonzero(moved)
        assert any_soft == bool(np.any((y > 0) & (y < 1)))
        assert stats[0] == -1
        if k == 1 and n:
            assert stats[1] == right.sum()
            assert stats[2:4].tolist() == [loss.min(), loss.max()]
            assert stats[4:].tolist() == [values.min(), values.max()]
        else:
            assert stats[4:].tolist() == [math.inf, -math.inf]


@pytest.mark.parametrize("name", IMPLS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, "bfloat16"])
def test_the_pass_keeps_the_extrema_of_what_it_read(name, dtype):
    """The probabilities' (min, max) the pass keeps for one column are numpy's, whatever the
    values (outside [0, 1], ±inf, -0.0 as +0.0) and wherever they sit (every AVX2 tail and
    8-lane step): NaN both where any is NaN, the caller's check of the range in the pass."""
    rng = np.random.default_rng(5)
    for n in range(1, 21):
        for odd in (-0.25, 1.5, -0.0, np.inf, -np.inf, np.nan, 3e38):
            for at in {0, n // 2, n - 1}:
                v = rng.random(n)
                v[at] = odd
                with np.errstate(over="ignore"):  # 3e38: inf in float16
                    p = _bits(v) if dtype == "bfloat16" else v.astype(dtype)
                values = kernels.as_float64(p)
                stats = run(name, p.reshape(n, 1), np.zeros((n, 1)))[3]
                want = [values.min() + 0.0, values.max() + 0.0]
                assert np.array_equal(stats[4:], want, equal_nan=True), (n, odd, at)
                assert not np.signbit(stats[4:][stats[4:] == 0]).any()


def test_binary_terms_takes_the_pass_and_keeps_its_figures():
    """Soft targets (entropy, KL), the clip's counts, a positive weight and sample weights on
    the one-pass path: the same Terms as the formula, and as the numpy path of focal_gamma=0."""
    rng = np.random.default_rng(3)
    p = rng.random((50, 1)).astype(np.float32)
    p[:3, 0] = [0.0, 1.0, 1e-9]
    y = rng.random((50, 1))
    y[10:30, 0] = np.round(y[10:30, 0])
    s = rng.random(50) + 0.5
    one = binary_terms(p, y, kind="probs", pos_weight=2.0, sample_weight=s)
    slow = binary_terms(p, y, kind="probs", pos_weight=2.0, sample_weight=s, focal_gamma=0.0)
    want = reference.binary(p, y, kind="probs", pos_weight=2.0, eps=F32_EPS, reduction="none")
    close(one.loss, want)
    for field in ("loss", "numerator", "weight", "correct", "entropy", "kl"):
        np.testing.assert_allclose(getattr(one, field), getattr(slow, field), rtol=REL, atol=1e-300)
    assert (one.clipped_low, one.clipped_high) == (slow.clipped_low, slow.clipped_high) == (2, 1)
    rows = np.array([0, 5, 49])
    for key, value in one.details(rows).items():
        np.testing.assert_allclose(value, slow.details(rows)[key], rtol=REL)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_the_command_runs_it_and_says_so(tmp_path, kernel_path, dtype):
    rng = np.random.default_rng(11)
    p = rng.random(3001).astype(dtype)
    y = (rng.random(3001) < p).astype(np.float32)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "y.npy", y)
    out = run_cece("binary", tmp_path / "p.npy", tmp_path / "y.npy", "-f", "json")
    assert out.code == 0, out.err
    doc = json.loads(out.out)
    eps = float(np.finfo(dtype).eps)
    want = reference.binary(p.reshape(-1, 1), y.reshape(-1, 1), kind="probs", eps=eps)
    assert doc["loss"] == pytest.approx(want, rel=1e-14)
    assert doc["input"]["kind"] == "probs"
    import cece._native

    assert doc["environment"]["kernels"] == ("compiled" if cece._native.FAST else "numpy")


@pytest.mark.parametrize("name", IMPLS)
@pytest.mark.parametrize("eps", [0.0, F32_EPS, 0.1])
def test_neg_log_clip_against_libm(name, eps):
    """The categorical loss of probabilities' −log clip(p_y) (``neg_log_clip``): the same
    logarithm; 0 gives inf without a clip, 1 gives 0 (not −0), NaN stays NaN."""
    v = np.concatenate([grid(), [0.0, 1.0, 5e-324]])
    out, ext = np.empty(v.size), np.empty(4)
    impl(name).neg_log_clip(v, out, eps, ext)
    want = [element(float(a), 1.0, eps=eps) for a in v]
    close(out, want)
    assert not np.signbit(out).any()
    assert ext.tolist() == [v.min(), v.max(), out.min(), out.max()]
    if name == ("compiled" if kernels.FAST else "numpy"):  # the path the losses take
        got, picked, loss = kernels.neg_log_clip(v, eps)
        np.testing.assert_array_equal(got, out)
        assert [*picked, *loss] == ext.tolist()
    nan = np.array([np.nan, 0.5, np.nan])
    impl(name).neg_log_clip(nan, out[:3], eps, ext)
    assert np.isnan(out[[0, 2]]).all() and out[1] == -math.log(0.5)
    assert np.isnan(ext).all()


@pytest.mark.parametrize("name", IMPLS)
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_neg_log_clip_keeps_numpy_s_extrema_in_its_pass(name, eps):
    """The (min, max) of the picked values and of their losses, kept in the pass, are numpy's
    of the input and of the output wherever the extreme sits (each 8-lane step, each AVX2
    step, each tail), NaN both where either holds one (a negative value's log: NaN), a zero
    as +0.0, and (inf, -inf) for no values."""
    rng = np.random.default_rng(9)
    for n in range(20):
        for odd in (0.0, -0.0, 1.0, 1e-300, np.nan, -0.5, 0.999999):
            for at in {0, n // 2, max(n - 1, 0)} if n else {0}:
                v = rng.random(n)
                if n:
                    v[at] = odd
                out, ext = np.empty(n), np.empty(4)
                impl(name).neg_log_clip(v, out, eps, ext)
                if not n:
                    assert ext.tolist() == [np.inf, -np.inf, np.inf, -np.inf]
                    continue
                with np.errstate(invalid="ignore"):
                    want = [v.min() + 0.0, v.max() + 0.0, out.min(), out.max()]
                assert np.array_equal(ext, want, equal_nan=True), (n, odd, at)
                assert not np.signbit(ext[:2][ext[:2] == 0]).any()


@pytest.mark.parametrize("eps", [-1e-9, 0.5, math.nan])
def test_neg_log_clip_refuses_a_clip_outside_its_range(eps):
    if not kernels.AVAILABLE:
        pytest.skip("the compiled kernels are not built")
    with pytest.raises(ValueError, match="neg_log_clip"):
        kernels._fast.neg_log_clip(np.full(3, 0.5), np.empty(3), eps, np.empty(4))
    with pytest.raises(ValueError, match="neg_log_clip"):
        kernels._fast.neg_log_clip(np.full(3, 0.5), np.empty(2), 0.0, np.empty(4))
    with pytest.raises(ValueError, match="neg_log_clip"):  # room for the four extrema
        kernels._fast.neg_log_clip(np.full(3, 0.5), np.empty(3), 0.0, np.empty(3))


@pytest.mark.parametrize(
    "kwargs, kept",
    [
        ({}, True),
        ({"eps": 0.0}, True),
        ({"weight": np.array([1.0, 2.0, 0.5])}, False),  # the loss is w_y·(−log p_y)
        ({"label_smoothing": 0.1}, False),
        ({"ignore_index": 1}, False),  # ignored rows' loss is 0
        ({"focal_gamma": 2.0}, False),
    ],
)
def test_categorical_probabilities_keep_the_loss_extrema_of_their_pass(kwargs, kept):
    """Probabilities against class indices: the loss's (min, max) are the ones neg_log_clip
    kept in its pass where the loss is its output as it is (else the reduction takes them
    from the loss), and the clip's counts are the same with the picked values' kept extrema."""
    from cece.losses.softmax import categorical_terms

    rng = np.random.default_rng(4)
    e = rng.random((300, 3)) + 0.01
    p = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    p[7] = [0.0, 1.0, 0.0]  # clipped where picked
    p[8] = [1e-9, 1 - 1e-9, 0.0]
    y = rng.integers(0, 3, 300)
    y[7], y[8] = 0, 0
    t = categorical_terms(p, y, kind="probs", **kwargs)
    if kept:
        assert t.extrema == (t.loss.min(), t.loss.max())
    else:
        assert t.extrema is None
    if not kwargs:
        assert (t.clipped_low, t.clipped_high) == count_clip_moves(
            p[np.arange(300), y].astype(np.float64), F32_EPS, F32_EPS
        )
        assert t.clipped_low == 2


@pytest.mark.parametrize("eps", [None, 0.0])
def test_the_pass_over_values_checked_after_it_stays_quiet(eps):
    """The engine checks one column's probabilities by the pass's extrema, after the pass
    (Task.range_in_pass): values outside [0, 1] reach the pass and its figures (the clip's
    counts, a soft target's entropy and KL) before the error, and no numpy warning may reach
    stderr first (a Dask worker has no filter for them)."""
    p = np.array([[0.2], [1.25], [-0.5], [0.7]], np.float32)
    y = np.array([[0.3], [1.0], [0.0], [0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = binary_terms(p, y, kind="probs", eps=eps)
    assert t.extent == (-0.5, 1.25)


@pytest.mark.parametrize("eps", [0.0, 1e-7])
@pytest.mark.parametrize("pw", [None, 0.0, 0.3, 7.0])
@pytest.mark.parametrize("k", [1, 3])
def test_numpy_hard_targets_give_the_bits_of_the_weighted_sum(k, pw, eps):
    """The numpy path takes each element's own side where every target is 0 or 1, and the
    weighted sum of both sides otherwise: on the same rows both give the same bits, a zero's
    sign too, at 0, 1, -0.0, the clip's edges and NaN (one soft row appended sends a block to
    the weighted sum)."""
    edges = [0.0, -0.0, 1.0, 1e-300, 5e-324, 1e-7, 0.5, 1 - 1e-7, 1 - 2**-53, 0.25, np.nan]
    p = np.array(edges * 2, np.float64)
    y = np.repeat([0.0, 1.0], len(edges))
    p = np.resize(p, (len(p) // k) * k).reshape(-1, k)
    y = np.resize(y, p.size).reshape(-1, k)
    hard = run("numpy", p, y, pw, eps=eps)
    soft = run(
        "numpy",
        np.vstack([p, np.full((1, k), 0.5)]),
        np.vstack([y, np.full((1, k), 0.5)]),
        pw,
        eps=eps,
    )
    assert hard[2][1] == 0 and soft[2][1] == 1 and hard[2][0] == soft[2][0]
    a, b = hard[0], soft[0][:-1]
    nan = np.isnan(a)  # a NaN's sign and payload are numpy's (they differ across versions)
    assert np.array_equal(nan, np.isnan(b)) and a[~nan].tobytes() == b[~nan].tobytes()
    assert np.array_equal(hard[1], soft[1][:-1])
    if k == 1 and eps == 0:
        assert np.isinf(hard[0]).any() and np.isnan(hard[0]).any()
        assert (np.signbit(hard[0]) & (hard[0] == 0)).sum() == 0 and (hard[0] == 0).any()
