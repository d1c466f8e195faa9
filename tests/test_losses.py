"""The categorical loss as a library function: golden values, stored PyTorch / scikit-learn
oracles, a naive reference loop, and properties."""

from __future__ import annotations

import itertools
import json
import math
import zlib
from pathlib import Path

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cece import categorical_cross_entropy as cce
from cece.losses import categorical_terms

import golden as G
import reference

ORACLES = json.loads((Path(__file__).parent / "data" / "categorical_oracles.json").read_text())


# -- golden values (tests/data/golden.md §2.1) -----------------------------------------------------


@pytest.mark.parametrize(
    "reduction, kwargs, expected",
    [
        ("none", {}, G.A1_NONE),
        ("mean", {}, G.A2_MEAN),
        ("sum", {}, G.A3_SUM),
        ("none", {"label_smoothing": 0.1}, G.D1_SMOOTH_NONE),
        ("mean", {"label_smoothing": 0.1}, G.D2_SMOOTH_MEAN),
        ("sum", {"label_smoothing": 0.1}, G.D2_SMOOTH_SUM),
        ("none", {"weight": [1, 2, 3]}, G.D3_WEIGHT_NONE),
        ("sum", {"weight": [1, 2, 3]}, G.D4_WEIGHT_SUM),
        ("mean", {"weight": [1, 2, 3]}, G.D5_WEIGHT_MEAN_INDEX),
        ("mean", {"ignore_index": 2}, G.D7_IGNORE_MEAN),
        ("sum", {"ignore_index": 2}, G.D7_IGNORE_MEAN),
        ("none", {"ignore_index": 2}, [G.D7_IGNORE_MEAN, 0.0]),
        ("none", {"weight": [1, 2, 3], "label_smoothing": 0.1}, G.D8_SMOOTH_WEIGHT_NONE),
        ("sum", {"weight": [1, 2, 3], "label_smoothing": 0.1}, G.D9_SUM),
        ("mean", {"weight": [1, 2, 3], "label_smoothing": 0.1}, G.D9_MEAN_INDEX),
        ("mean", {"ignore_index": 2, "label_smoothing": 0.1}, G.D10_SMOOTH_IGNORE_MEAN),
        ("none", {"focal_gamma": 2.0, "focal_alpha": 0.25}, G.G1_FOCAL_NONE),
    ],
)
def test_case_a_golden(reduction, kwargs, expected, kernel_path):
    got = cce(G.CASE_A_LOGITS, G.CASE_A_LABELS, reduction=reduction, **kwargs)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_case_a_dense_weighted_mean_divides_by_n():
    """golden d6 / d9: PyTorch's probability-target mean ignores the weights' sum."""
    onehot = np.eye(3)[G.CASE_A_LABELS]
    got = cce(G.CASE_A_LOGITS, onehot, weight=[1, 2, 3])
    assert got == pytest.approx(G.D6_WEIGHT_MEAN_DENSE, rel=1e-12)
    got = cce(G.CASE_A_LOGITS, onehot, weight=[1, 2, 3], label_smoothing=0.1)
    assert got == pytest.approx(G.D9_MEAN_DENSE, rel=1e-12)


def test_case_b_probabilities_as_given_and_renormalized():
    kw = {"kind": "probs"}
    np.testing.assert_allclose(
        cce(G.CASE_B_PROBS, G.CASE_B_ONEHOT, reduction="none", **kw), G.B1_NONE, rtol=1e-12
    )
    assert cce(G.CASE_B_PROBS, G.CASE_B_ONEHOT, **kw) == pytest.approx(G.B2_MEAN, rel=1e-12)
    assert cce(G.CASE_B_PROBS, np.array([3, 3]), reduction="sum", **kw) == pytest.approx(
        G.B3_SUM, rel=1e-12
    )
    got = cce(G.CASE_B_PROBS, G.CASE_B_ONEHOT, renormalize=True, reduction="none", **kw)
    np.testing.assert_allclose(got, G.B4_NONE_RENORMALIZED, rtol=1e-12)
    assert cce(G.CASE_B_PROBS, G.CASE_B_ONEHOT, renormalize=True, **kw) == pytest.approx(
        G.B4_MEAN_RENORMALIZED, rel=1e-12
    )


def test_soft_target_golden_f():
    assert cce(G.F_LOGITS, G.F_SOFT) == pytest.approx(G.F1_CE, rel=1e-12)
    assert cce(G.F_LOGITS, G.F_SOFT, label_smoothing=0.1) == pytest.approx(
        G.F2_CE_SMOOTH, rel=1e-12
    )
    terms = categorical_terms(G.F_LOGITS, G.F_SOFT)
    assert terms.kl[0] == pytest.approx(G.F3_KL, rel=1e-12)
    assert terms.entropy[0] == pytest.approx(G.F4_H_NATS, rel=1e-12)


def test_all_ignored_mean_is_nan_and_sum_zero():
    """golden d11: PyTorch gives NaN for the mean and 0 for the sum."""
    assert math.isnan(cce(G.CASE_A_LOGITS, np.array([-100, -100]), ignore_index=-100))
    assert cce(G.CASE_A_LOGITS, np.array([-100, -100]), ignore_index=-100, reduction="sum") == 0


# -- stored oracles (tests/generate_oracles.py: PyTorch 2.13.0, scikit-learn 1.9.1) ---------------


@pytest.mark.parametrize("case", ORACLES["cases"], ids=lambda c: c["id"])
def test_matches_pytorch_and_sklearn_oracles(case, kernel_path):
    x = np.array(case["preds"], dtype=case["dtype"])
    options = dict(case["options"])
    got = cce(x, np.array(case["target"]), kind=case["kind"], **options)
    rtol = 1e-6 if case["dtype"] == "float32" else 1e-10
    # atol: PyTorch's float64 log_softmax rounds losses below ~1e-16·|x| to 0 (ours are exact)
    np.testing.assert_allclose(got, case["expected"], rtol=rtol, atol=1e-13)


# -- the naive reference, across option combinations ----------------------------------------------

COMBOS = list(
    itertools.product(
        ["logits", "probs", "log-probs"],
        ["index", "one-hot", "soft"],
        [None, "w"],
        [0.0, 0.15],
        [None, "s"],
        [None, (2.0, 0.25), (1.5, None)],
        ["mean", "sum", "none"],
    )
)


def _case(rng, kind, form, n=7, c=4):
    x = rng.standard_normal((n, c)) * 2.5
    if kind != "logits":
        lp = x - np.log(np.exp(x).sum(1, keepdims=True))
        x = np.exp(lp) if kind == "probs" else lp
    y = rng.integers(0, c, n)
    if form == "index":
        target = y
    elif form == "one-hot":
        target = np.eye(c)[y]
    else:
        target = rng.dirichlet(np.ones(c), n)
    return x, target


@pytest.mark.parametrize("kind, form, weight, smooth, sw, focal, reduction", COMBOS)
def test_matches_naive_reference(kind, form, weight, smooth, sw, focal, reduction, kernel_path):
    rng = np.random.default_rng(zlib.crc32(repr((kind, form, weight, smooth, sw, focal)).encode()))
    x, target = _case(rng, kind, form)
    kw = {
        "weight": rng.uniform(0.5, 2, x.shape[1]) if weight else None,
        "label_smoothing": smooth,
        "sample_weight": rng.uniform(0, 3, len(x)) if sw else None,
        "focal_gamma": focal[0] if focal else None,
        "focal_alpha": focal[1] if focal else None,
    }
    if form == "index" and weight is None:
        kw["ignore_index"] = int(target[0])
    got = cce(x, target, kind=kind, reduction=reduction, **kw)
    want = reference.categorical(x, target, kind=kind, reduction=reduction, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def test_float32_inputs_agree_with_float64_to_1e_minus_6():
    rng = np.random.default_rng(7)
    for scale in (0.3, 3.0, 30.0, 300.0):
        x = (rng.standard_normal((500, 17)) * scale).astype(np.float32)
        for y in (rng.integers(0, 17, 500), np.argmax(x, 1)):
            got = cce(x, y, reduction="none")
            exact = cce(x.astype(np.float64), y, reduction="none")
            np.testing.assert_allclose(got, exact, rtol=5e-7, atol=0)


def test_extreme_logits_stay_finite_and_exact():
    x = np.array([[1e4, -1e4, 0.0], [-3e38, 3e38, 0.0]], dtype=np.float32)
    got = cce(x, np.array([1, 0]), reduction="none")
    np.testing.assert_allclose(got, [2e4, 6e38], rtol=1e-7)
    assert cce(x, np.array([0, 1]), reduction="none").tolist() == [0.0, 0.0]
    dense = np.array([[0, 1.0, 0], [1.0, 0, 0]])
    np.testing.assert_allclose(cce(x, dense, reduction="none"), [2e4, 6e38], rtol=1e-7)


# -- properties ------------------------------------------------------------------------------------

finite = st.floats(-50, 50, allow_nan=False, width=64)


@st.composite
def logits_and_soft_targets(draw):
    n, c = draw(st.integers(1, 6)), draw(st.integers(2, 6))
    x = draw(hnp.arrays(np.float64, (n, c), elements=finite))
    raw = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(0, 1)))
    raw[:, 0] += 1e-3
    return x, raw / raw.sum(1, keepdims=True)


@settings(max_examples=150, deadline=None)
@given(logits_and_soft_targets(), st.sampled_from([0.0, 0.1]))
def test_cross_entropy_is_entropy_plus_kl(data, smoothing):
    """H(t) and KL(t‖softmax x) against SciPy, and the loss against their sum: cece derives its
    KL as CE − H, so checking loss == entropy + kl on its own terms would restate that."""
    x, t = data
    terms = categorical_terms(x, t, label_smoothing=smoothing)
    t = (1 - smoothing) * t + smoothing / t.shape[1]  # the target the loss is taken against
    h = scipy.stats.entropy(t, axis=1)
    kl = (scipy.special.xlogy(t, t) - t * scipy.special.log_softmax(x, axis=1)).sum(axis=1)
    np.testing.assert_allclose(terms.entropy, h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(terms.kl, kl, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(terms.loss, h + kl, rtol=1e-9, atol=1e-9)
    assert (terms.kl >= 0).all()


@settings(max_examples=150, deadline=None)
@given(logits_and_soft_targets(), st.floats(-1e3, 1e3))
def test_shifting_a_row_of_logits_changes_nothing(data, shift):
    x, t = data
    base = cce(x, t, reduction="none")
    np.testing.assert_allclose(cce(x + shift, t, reduction="none"), base, rtol=1e-9, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(logits_and_soft_targets(), st.data())
def test_index_labels_equal_one_hot_rows(data, draw):
    x, _ = data
    n, c = x.shape
    y = np.array(draw.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    w = np.array(draw.draw(st.lists(st.floats(0.1, 5), min_size=c, max_size=c)))
    smooth = draw.draw(st.sampled_from([0.0, 0.2]))
    onehot = np.eye(c)[y]
    for kw in ({}, {"weight": w}):
        per_index = cce(x, y, reduction="none", label_smoothing=smooth, **kw)
        per_dense = cce(x, onehot, reduction="none", label_smoothing=smooth, **kw)
        np.testing.assert_allclose(per_index, per_dense, rtol=1e-10, atol=1e-12)
    # ... but PyTorch's weighted means differ: ÷Σw[y] for indices, ÷N for dense targets
    assert cce(x, y, weight=w) == pytest.approx(
        cce(x, onehot, weight=w, reduction="sum") / w[y].sum(), rel=1e-10, abs=1e-12
    )


@settings(max_examples=100, deadline=None)
@given(logits_and_soft_targets(), st.randoms())
def test_permuting_rows_permutes_losses(data, rnd):
    x, t = data
    order = list(range(len(x)))
    rnd.shuffle(order)
    base = cce(x, t, reduction="none")
    np.testing.assert_allclose(cce(x[order], t[order], reduction="none"), base[order], rtol=1e-12)
    assert cce(x[order], t[order]) == pytest.approx(cce(x, t), rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(logits_and_soft_targets())
def test_kl_of_a_distribution_with_itself_is_zero(data):
    x, _ = data
    q = np.exp(x - x.max(1, keepdims=True))
    q /= q.sum(1, keepdims=True)
    terms = categorical_terms(x, q)
    np.testing.assert_allclose(terms.kl, 0, atol=1e-9)


@pytest.mark.parametrize("kind", ["logits", "probs"])
@pytest.mark.parametrize(
    "extra", [{}, {"weight": np.array([1.0, 2.0, 0.5, 3.0])}, {"focal_gamma": 2.0}]
)
def test_smoothed_index_targets_report_the_smoothed_target_s_entropy_and_kl(kind, extra):
    """Index targets under --label-smoothing: H and KL are those of the smoothed one-hot target
    against softmax x (SciPy), with or without class weights and focal terms (plain and
    unweighted, the loss is that cross-entropy and is taken for it; otherwise it is computed)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((50, 4)) * 3
    y = rng.integers(0, 4, 50)
    eps = 0.1
    preds = x if kind == "logits" else scipy.special.softmax(x, axis=1)
    terms = categorical_terms(preds, y, kind=kind, label_smoothing=eps, **extra)
    t = np.full((50, 4), eps / 4)
    t[np.arange(50), y] += 1 - eps
    kl = (scipy.special.xlogy(t, t) - t * scipy.special.log_softmax(x, axis=1)).sum(axis=1)
    np.testing.assert_allclose(terms.entropy, scipy.stats.entropy(t, axis=1), rtol=1e-12)
    np.testing.assert_allclose(terms.kl, kl, rtol=1e-9, atol=1e-12)
    if not extra:
        np.testing.assert_allclose(terms.loss, terms.entropy + terms.kl, rtol=1e-12)
