"""The standard error of a ratio mean and Student's t (cece/engine/uncertainty.py).

Oracles: SciPy (a test dependency) — ``scipy.stats.sem``, ``t.sf``, ``t.ppf``, ``t.interval``,
``ttest_1samp`` / ``ttest_rel`` — and the ratio-estimator formula written out naively.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cece.engine.uncertainty import (
    RatioMoments,
    check_confidence,
    interval,
    student_t_ppf,
    student_t_sf,
    t_test_p_value,
)
from cece.errors import OptionError

DFS = [1, 2, 3, 4, 5, 7, 10, 29, 30, 99, 100, 101, 999, 10**4, 10**5, 10**6, 10**7]
TS = [1e-6, 0.1, 0.5, 1.0, 1.96, 2.0, 3.0, 5.0, 10.0, 30.0, -1.0, -3.0, -8.0]
QS = [0.6, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9995, 1 - 1e-9, 0.025, 0.1, 1e-6]


def naive_stderr(a: np.ndarray, b: np.ndarray) -> float:
    """√(n/(n−1) · Σ(aᵢ − m·bᵢ)²) / Σbᵢ, straight from the definition."""
    n, m = len(a), a.sum() / b.sum()
    return math.sqrt(n / (n - 1) * float(((a - m * b) ** 2).sum())) / float(b.sum())


@pytest.mark.parametrize("df", DFS)
def test_survival_function_is_scipys(df):
    for t in TS:
        # one degree of freedom: the Cauchy closed form (SciPy's t.sf drifts by 1e-11 near 0)
        expected = 0.5 - math.atan(t) / math.pi if df == 1 else stats.t.sf(t, df)
        assert student_t_sf(t, df) == pytest.approx(expected, rel=1e-9, abs=0), (df, t)


# One degree of freedom (Cauchy): tan(π(q − ½)) of the double q, by mpmath 1.3.0 at 40 digits.
# SciPy drifts there by up to 1e-8 (q near 1), so SciPy is the oracle only for df ≥ 2.
CAUCHY = {
    0.6: 0.32491969623290623,
    0.75: 1.0,
    0.9: 3.077683537175254,
    0.95: 6.313751514675038,
    0.975: 12.706204736174694,
    0.99: 31.82051595377393,
    0.995: 63.656741162871526,
    0.9995: 636.6192487687897,
    0.999999999: 318309895.1862093,
    0.025: -12.706204736174705,
    0.1: -3.077683537175253,
    1e-06: -318309.8861827435,
}


@pytest.mark.parametrize("df", DFS)
def test_quantile_is_scipys(df):
    for q in QS:
        # SciPy releases differ among themselves by ~1e-10 at small df (1.15 vs 1.16)
        expected = CAUCHY[q] if df == 1 else stats.t.ppf(q, df)
        assert student_t_ppf(q, df) == pytest.approx(expected, rel=1e-14 if df == 1 else 1e-9)
        # and, independently of any release, the quantile inverts the survival function
        upper = q > 0.5
        tail = (
            student_t_sf(student_t_ppf(q, df), df)
            if upper
            else 1 - student_t_sf(student_t_ppf(q, df), df)
        )
        assert tail == pytest.approx(1 - q if upper else q, rel=1e-10), (df, q)


def test_quantile_and_survival_edges():
    assert student_t_ppf(0.5, 7) == 0.0
    assert student_t_ppf(1.0, 7) == math.inf and student_t_ppf(0.0, 7) == -math.inf
    assert math.isnan(student_t_ppf(1.5, 7)) and math.isnan(student_t_ppf(0.9, 0))
    assert student_t_sf(math.inf, 3) == 0.0 and student_t_sf(-math.inf, 3) == 1.0
    assert math.isnan(student_t_sf(math.nan, 3)) and math.isnan(student_t_sf(1.0, -1))
    assert student_t_sf(0.0, 12) == 0.5


def test_unweighted_stderr_is_scipys_sem():
    rng = np.random.default_rng(0)
    for n in (2, 3, 17, 1000):
        a = rng.exponential(size=n)
        mom = RatioMoments.of(a)
        assert mom.mean == pytest.approx(a.mean(), rel=1e-15)
        assert mom.stderr == pytest.approx(stats.sem(a), rel=1e-13)


def test_weighted_stderr_is_the_ratio_formula():
    rng = np.random.default_rng(1)
    loss, weight = rng.exponential(size=50), rng.uniform(0.1, 3, size=50)
    mom = RatioMoments.of(weight * loss, weight)
    assert mom.mean == pytest.approx(np.average(loss, weights=weight), rel=1e-14)
    assert mom.stderr == pytest.approx(naive_stderr(weight * loss, weight), rel=1e-12)
    # equal weights are the plain mean's stderr
    same = RatioMoments.of(2.5 * loss, np.full(50, 2.5))
    assert same.stderr == pytest.approx(stats.sem(loss), rel=1e-12)


def test_undefined_below_two_samples_and_with_nothing_to_divide():
    assert math.isnan(RatioMoments().mean) and math.isnan(RatioMoments().stderr)
    assert math.isnan(RatioMoments.of(np.array([1.0])).stderr)
    assert math.isnan(RatioMoments.of(np.ones(3), np.zeros(3)).mean)
    assert RatioMoments.of(np.full(4, 0.7)).stderr == 0.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 50, allow_nan=False), st.floats(0.01, 5, allow_nan=False)),
        min_size=2,
        max_size=40,
    ),
    st.integers(1, 39),
)
def test_merging_blocks_is_one_run(pairs, cut):
    a = np.array([p[0] * p[1] for p in pairs])
    b = np.array([p[1] for p in pairs])
    cut = min(cut, len(a) - 1)
    whole = RatioMoments.of(a, b)
    merged = RatioMoments.of(a[:cut], b[:cut])
    merged.merge(RatioMoments.of(a[cut:], b[cut:]))
    merged.merge(RatioMoments())  # an empty block changes nothing
    assert merged.n == whole.n
    assert merged.mean == pytest.approx(whole.mean, rel=1e-12)
    assert merged.stderr == pytest.approx(naive_stderr(a, b), rel=1e-9, abs=1e-13)
    back = RatioMoments.from_dict(merged.to_dict())
    assert back == merged


def test_a_spread_of_zero_stays_zero_through_merges():
    # a = 3·b exactly: expanding C_aa − 2m·C_ab + m²·C_bb would leave √eps of the scale
    b = np.random.default_rng(4).uniform(0.5, 2.5, size=64)
    merged = RatioMoments()
    for part in np.array_split(np.arange(64), 7):
        merged.merge(RatioMoments.of(3 * b[part], b[part]))
    assert merged.mean == pytest.approx(3.0, rel=1e-15)
    assert merged.stderr < 1e-15


def test_merge_into_empty_copies():
    other = RatioMoments.of(np.array([1.0, 2.0, 4.0]))
    empty = RatioMoments()
    empty.merge(other)
    assert empty == other


def test_interval_is_scipys_t_interval():
    rng = np.random.default_rng(2)
    a = rng.exponential(size=30)
    mom = RatioMoments.of(a)
    for confidence in (0.5, 0.9, 0.95, 0.99):
        low, high = interval(mom.mean, mom.stderr, mom.n, confidence)
        ref = stats.t.interval(confidence, len(a) - 1, loc=a.mean(), scale=stats.sem(a))
        assert (low, high) == pytest.approx(ref, rel=1e-12)
    assert all(math.isnan(x) for x in interval(1.0, math.nan, 1, 0.95))


def test_p_value_is_scipys_paired_t_test():
    rng = np.random.default_rng(3)
    base = rng.exponential(size=40)
    cand = base + rng.normal(0.05, 0.2, size=40)
    delta = RatioMoments.of(cand - base)
    p = t_test_p_value(delta.mean, delta.stderr, delta.n)
    assert p == pytest.approx(stats.ttest_rel(cand, base).pvalue, rel=1e-10)
    assert t_test_p_value(0.3, 0.0, 5) == 0.0  # every difference the same: t = ±inf
    assert math.isnan(t_test_p_value(0.0, 0.0, 5))  # no difference at all
    assert math.isnan(t_test_p_value(0.3, 0.1, 1))


@pytest.mark.parametrize("bad", [0, 1, -0.5, 1.5, math.nan])
def test_confidence_outside_the_open_unit_interval_is_refused(bad):
    with pytest.raises(OptionError, match=r"^--confidence must be in \(0, 1\); got "):
        check_confidence(bad)
    with pytest.raises(OptionError):
        interval(1.0, 0.1, 10, bad)


def test_mismatched_lengths_are_refused():
    with pytest.raises(OptionError, match="3 numerators but 2 denominators"):
        RatioMoments.of(np.ones(3), np.ones(2))


def test_a_weight_of_zero_is_not_a_sample():
    """Pairs (0, 0) (a sample of weight 0: 0 · loss = 0) are dropped: n, the n/(n − 1) factor
    and the t degrees of freedom are those of the samples that weigh. With one left, stderr is
    nan (it was 0, and a compare gate failed "beyond noise" on one sample)."""
    rng = np.random.default_rng(4)
    loss, weight = rng.exponential(size=12), rng.uniform(0.5, 2, size=12)
    weight[[1, 4, 5, 9]] = 0.0
    mom = RatioMoments.of(weight * loss, weight)
    keep = weight > 0
    dropped = RatioMoments.of(weight[keep] * loss[keep], weight[keep])
    assert mom.n == dropped.n == 8
    assert mom.stderr == pytest.approx(dropped.stderr, rel=1e-14)
    assert mom.mean == pytest.approx(dropped.mean, rel=1e-14)
    one = np.zeros(12)
    one[3] = 1.0
    assert math.isnan(RatioMoments.of(one * loss, one).stderr)
    assert RatioMoments.of(one * loss, one).n == 1
