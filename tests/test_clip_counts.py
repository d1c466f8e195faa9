"""Clipping is reported only where it changes the loss beyond float rounding.

The rule (``cece.losses.terms.clip_moves``): a probability clipped to [eps, 1 − eps] counts when
it sits on a term with target mass and the clip moves that term's −log by more than
2·u·(1 + |log clip(p)|), u the machine epsilon of the predictions' dtype. Tree models output
exact 0.0 and 1.0: a 1.0 on the true class (−log 1 = 0 → −log(1 − eps) = 2.2e-16) and a 0.0 on a
class without target mass change nothing and are not counted; a 0.0 on the true class (inf →
36.04) is. The stored dumps in tests/data/dumps/trees/ were written with scikit-learn and
pandas by make_dumps.py there; their reference values are scikit-learn's ``log_loss``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cece.losses.sigmoid import binary_terms
from cece.losses.softmax import categorical_terms
from cece.losses.terms import clip_moves, count_clip_moves

from conftest import run_cece

TREES = Path(__file__).parent / "data" / "dumps" / "trees"
REFERENCE = json.loads((TREES / "reference.json").read_text())
CASES = REFERENCE["cases"]
CLEAN = sorted(k for k, c in CASES.items() if c["clean"])
DIRTY = sorted(k for k, c in CASES.items() if not c["clean"])
F64 = float(np.finfo(np.float64).eps)
F32 = float(np.finfo(np.float32).eps)


def _args(case: dict) -> list[str]:
    return [case["command"], str(TREES / case["preds"]), str(TREES / case["labels"])]


def test_the_fixtures_hold_exact_zeros_and_ones():
    """The point of these dumps: tree outputs with many exact 0.0 and 1.0 values."""
    assert len(CLEAN) >= 8 and len(DIRTY) >= 3
    assert {CASES[k]["model"] for k in CLEAN} == {
        "RandomForestClassifier",
        "DecisionTreeClassifier",
    }
    assert {CASES[k]["command"] for k in CLEAN} == {"categorical", "binary"}
    for key in ("rf_iris_npy", "dt_iris_npy"):
        p = np.load(TREES / CASES[key]["preds"])
        assert (p == 0).sum() > 50 and (p == 1).sum() > 20


@pytest.mark.parametrize("key", CLEAN)
def test_strict_passes_on_clean_tree_outputs(key):
    case = CASES[key]
    run = run_cece(*_args(case), "-q", "--strict")
    assert run.code == 0, run.err
    assert "warning" not in run.err
    assert float(run.out) == pytest.approx(case["log_loss"], rel=1e-12)


@pytest.mark.parametrize("key", CLEAN)
def test_clean_tree_outputs_report_no_clipping(key):
    run = run_cece(*_args(CASES[key]), "-f", "json")
    doc = json.loads(run.out)
    assert "clipped" not in doc["stats"] and doc["warnings"] == []


@pytest.mark.parametrize("key", DIRTY)
def test_a_sure_wrong_tree_still_warns_and_matches_scikit_learn(key):
    case = CASES[key]
    run = run_cece(*_args(case), "-f", "json")
    doc = json.loads(run.out)
    assert doc["loss"] == pytest.approx(case["log_loss"], rel=1e-12)
    zeros = case["p_true_zero"]
    if case["command"] == "categorical":  # one clipped value per sample: its true class's
        assert doc["stats"]["clipped"] == {"below_eps": zeros, "above_one_minus_eps": 0}
    else:  # 0.0 for a positive (below eps), 1.0 for a negative (above 1 − eps)
        clipped = doc["stats"]["clipped"]
        assert clipped["below_eps"] + clipped["above_one_minus_eps"] == zeros
    assert len(doc["warnings"]) == 1


def test_strict_refuses_a_sure_wrong_tree_with_the_counts():
    case = CASES["dtfull_cancer_binary_csv"]
    run = run_cece(*_args(case), "--strict")
    assert run.error_line() == (
        f"cece: error: {TREES / case['preds']}: clipping probabilities into [eps, 1 − eps] "
        "(eps = 2.22e-16) changed the loss: 5 below eps and 2 above 1 − eps (--strict)"
    )
    assert run.err_lines[1] == "  hint: --eps sets the clip; --eps 0 turns it off"
    case = CASES["dtfull_cancer_categorical"]
    run = run_cece(*_args(case), "--strict")
    assert run.error_line() == (
        f"cece: error: {TREES / case['preds']}: clipping probabilities into [eps, 1 − eps] "
        "(eps = 2.22e-16) changed the loss: 7 below eps (--strict)"
    )


def test_float32_tree_output_passes_strict(tmp_path):
    """A float32 1.0 clipped by float32's eps moves the loss by 1.2e-7 — float32's rounding."""
    case = CASES["rf_iris_npy"]
    p = np.load(TREES / case["preds"]).astype(np.float32)
    np.save(tmp_path / "p32.npy", p)
    run = run_cece("categorical", tmp_path / "p32.npy", TREES / case["labels"], "-q", "--strict")
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(case["log_loss"], rel=1e-5)


# -- the rule, value by value --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "complement", "moved"),
    [
        (0.0, False, True),  # −log 0 = inf → 36.04
        (F64 / 2, False, True),  # 36.7 → 36.04
        (1e-300, False, True),
        (F64 * (1 - 2**-52), False, False),  # just below eps: the log moves by 1e-16
        (1.0, False, False),  # 0 → 2.2e-16: rounding
        (1 - 2**-53, False, False),
        (1.0, True, True),  # −log(1 − 1) = inf → 36.04
        (1 - 2**-53, True, True),  # 36.7 → 36.04
        (0.0, True, False),  # −log(1 − 0) = 0 → 2.2e-16: rounding
    ],
)
def test_clip_moves_float64(value, complement, moved):
    got = clip_moves(np.array([value]), F64, F64, complement=complement)
    assert bool(got[0]) is moved


def test_a_larger_eps_than_the_dtype_counts_on_both_sides():
    """--eps 1e-3: a 1.0 on the true class now costs 1.0005e-3 nats, beyond rounding."""
    assert clip_moves(np.array([1.0]), 1e-3, F64)[0]
    assert clip_moves(np.array([0.0]), 1e-3, F64, complement=True)[0]
    assert not clip_moves(np.array([1.0]), F32, F32)[0]  # float32 data, float32 eps


def test_categorical_counts_only_terms_with_target_mass():
    p = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    t = categorical_terms(p, np.array([0, 0, 2]), kind="probs")
    assert (t.clipped_low, t.clipped_high) == (2, 0)  # rows 1 and 2; row 0's 1.0 is exact
    t = categorical_terms(p, np.array([0, -100, 2]), kind="probs", ignore_index=-100)
    assert (t.clipped_low, t.clipped_high) == (1, 0)  # an ignored row counts nothing
    dense = np.array([[1.0, 0, 0], [0.5, 0.5, 0], [0, 0, 1.0]])
    t = categorical_terms(p, dense, kind="probs")
    assert (t.clipped_low, t.clipped_high) == (2, 0)  # (1, 0) and (2, 2) have mass
    # smoothing gives every class mass: each 0.0 now turns an inf into a finite term
    t = categorical_terms(p, np.array([0, 1, 0]), kind="probs", label_smoothing=0.1)
    assert (t.clipped_low, t.clipped_high) == (5, 0)
    assert math.isfinite(float(t.loss.sum()))


def test_binary_counts_the_side_the_target_weighs():
    p = np.array([[1.0], [0.0], [1.0], [0.0], [0.5]])
    y = np.array([[1.0], [0.0], [0.0], [1.0], [1.0]])
    t = binary_terms(p, y, kind="probs")
    assert (t.clipped_low, t.clipped_high) == (1, 1)  # rows 3 and 2
    t = binary_terms(p, y, kind="probs", label_smoothing=0.1)  # soft targets weigh both sides
    assert (t.clipped_low, t.clipped_high) == (2, 2)
    t = binary_terms(p, y, kind="probs", eps=0.0)
    assert (t.clipped_low, t.clipped_high) == (0, 0) and math.isinf(float(t.loss.max()))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(0, 1),
            st.sampled_from([0.0, 1.0, 1e-8, 1 - 1e-8, 1e-16, 1e-7, 5e-324, math.nan]),
        ),
        max_size=30,
    ),
    st.sampled_from([1e-7, 1e-15, 1e-3]),
    st.booleans(),
)
def test_count_clip_moves_is_its_definition(values, eps, masked):
    """Whatever shortcut it takes: the values outside [eps, 1 − eps] (where the mask is set)
    whose clip moves the loss beyond rounding (clip_moves), split below and above."""
    p = np.array(values, dtype=np.float64)
    mass = np.arange(len(p)) % 2 == 0 if masked else None
    keep = [
        v for i, v in enumerate(values) if (mass is None or mass[i]) and (v < eps or v > 1 - eps)
    ]
    kept = np.array(keep, dtype=np.float64)
    moved = kept[clip_moves(kept, eps, 1e-16)] if len(keep) else kept
    want = (int(np.count_nonzero(moved < eps)), int(np.count_nonzero(moved >= eps)))
    assert count_clip_moves(p, eps, 1e-16, mass) == want
