"""kernels.off_one: probability rows' sums against 1 in one pass, compiled and numpy alike,
and as the formula says (the detector's max |s − 1| and first bad row; RowSums' count)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cece._native as kernels
from cece._native import _numpy
from cece.checks import ROW_SUM_TOL, KindDetector
from cece.checks.targets import RowSums


def naive(sums: list[float], tol: float) -> tuple[float, int, int]:
    """From the definition, a value at a time."""
    most, first, count = 0.0, -1, 0
    for i, s in enumerate(sums):
        d = abs(s - 1.0)
        if not math.isnan(d):
            most = max(most, d)
        if d > tol:
            first = i if first < 0 else first
            count += 1
    return most, first, count


sums_st = st.lists(
    st.one_of(
        st.floats(0.99, 1.01),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([1.0, 1.001, 0.999, 1.0010000000000001, math.nan, math.inf]),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(sums_st, st.sampled_from([0.0, 1e-3, 0.1]))
def test_compiled_numpy_and_formula_agree(values, tol):
    sums = np.array(values, dtype=np.float64)
    want = naive(values, tol)
    assert _numpy.off_one(sums, tol) == want
    assert kernels.off_one(sums, tol) == want
    assert kernels.off_one(sums[::-1].copy()[::-1], tol) == want  # a strided view: numpy's
    if kernels.FAST:
        assert kernels._fast.off_one(sums, tol) == want


@pytest.mark.skipif(not kernels.FAST, reason="the compiled kernels are not built")
def test_compiled_refuses_what_is_not_float64():
    with pytest.raises(ValueError, match="float64"):
        kernels._fast.off_one(np.ones(3, np.float32), 1e-3)
    with pytest.raises(TypeError):
        kernels._fast.off_one([1.0, 2.0], 1e-3)


def test_row_sums_counts_and_first_row():
    stats = RowSums(tol=1e-3)
    stats.update(np.array([1.0, 1.5, 1.0, 0.5]), 10)
    stats.update(np.array([1.0, 2.0]), 2)
    assert stats.count == 3 and stats.first == (3, 2.0)


def test_detector_sees_the_first_row_off_one_and_the_largest_distance():
    probs = np.full((6, 2), 0.5)
    probs[4] = (0.5, 0.5 + 5 * ROW_SUM_TOL)  # off 1 by 5 tolerances
    probs[5] = (0.5, 0.5 + 2 * ROW_SUM_TOL)
    det = KindDetector()
    det.update(probs, 100)
    assert det.bad_sum is not None and det.bad_sum[0] == 104
    assert det.max_off == pytest.approx(5 * ROW_SUM_TOL)
    assert not det.possible["probs"]
