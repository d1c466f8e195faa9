"""Hints that name what the input looks like: swapped PREDS/LABELS, log-probabilities under
``--from probs``, and a segmentation dump with its classes on axis 1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cece

NOT_PROBS = "is not a probability (expected a value in [0, 1])"


def test_swapped_preds_and_labels_do_not_point_at_binary(tmp_path):
    (tmp_path / "y.csv").write_text("label\n0\n2\n1\n")
    (tmp_path / "p.csv").write_text("cat,dog,pig\n0.7,0.2,0.1\n0.1,0.1,0.8\n0.2,0.6,0.2\n")
    run = run_cece("categorical", tmp_path / "y.csv", tmp_path / "p.csv")
    assert run.error_line() == (
        f"cece: error: {tmp_path / 'y.csv'}: 1 prediction column; categorical cross-entropy "
        "needs 2 or more classes"
    )
    assert run.err_lines[1] == (
        f"  hint: {tmp_path / 'p.csv'} has 3 columns: the arguments look swapped; predictions "
        "come first: cece categorical PREDS LABELS"
    )
    right = run_cece("categorical", tmp_path / "p.csv", tmp_path / "y.csv", "-q")
    assert right.code == 0, right.err


def test_one_column_without_a_table_beside_it_still_points_at_binary(tmp_path):
    (tmp_path / "s.csv").write_text("score\n0.7\n0.2\n0.9\n")
    for labels in ("[0,1,1]", str(tmp_path / "s.csv")):
        run = run_cece("categorical", tmp_path / "s.csv", labels)
        run.error_line()
        assert (
            run.err_lines[1] == "  hint: for one column of scores or probabilities use cece binary"
        )


def test_log_probabilities_under_from_probs(tmp_path):
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    np.savetxt(tmp_path / "lp.csv", np.log(p), delimiter=",")
    run = run_cece("categorical", tmp_path / "lp.csv", "[0,2]", "--from", "probs")
    assert run.error_line() == (
        f"cece: error: {tmp_path / 'lp.csv'}: line 1, column 0: -0.356675 {NOT_PROBS}"
    )
    assert (
        run.err_lines[1]
        == "  hint: these look like log-probabilities: use --from log-probs (or auto)"
    )
    ok = run_cece("categorical", tmp_path / "lp.csv", "[0,2]", "--from", "log-probs", "-q")
    assert float(ok.out) == -(np.log(0.7) + np.log(0.8)) / 2


def test_logits_under_from_probs_still_say_logits(tmp_path):
    np.savetxt(tmp_path / "x.csv", np.array([[2.0, -1.0, 0.5], [0.1, -0.3, 1.2]]), delimiter=",")
    run = run_cece("categorical", tmp_path / "x.csv", "[0,2]", "--from", "probs")
    assert run.err_lines[1] == "  hint: these look like logits: use --from logits (or auto)"
    # all ≤ 0 but rows that are not distributions: logits too
    np.savetxt(tmp_path / "n.csv", np.array([[-2.0, -1.0, -0.5]]), delimiter=",")
    run = run_cece("categorical", tmp_path / "n.csv", "[0]", "--from", "probs")
    assert run.err_lines[1] == "  hint: these look like logits: use --from logits (or auto)"


def test_binary_never_suggests_log_probs(tmp_path):
    np.savetxt(tmp_path / "lp.csv", np.log(np.array([[0.5, 0.5], [0.9, 0.1]])), delimiter=",")
    run = run_cece("binary", tmp_path / "lp.csv", "[[0,1],[1,0]]", "--from", "probs")
    assert run.err_lines[1] == "  hint: these look like logits: use --from logits (or auto)"


def test_segmentation_dump_gets_class_axis_1(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 5))  # (N, C, H, W), as a PyTorch model writes it
    y = rng.integers(0, 3, size=(2, 4, 5))  # (N, H, W) masks
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    run = run_cece("categorical", tmp_path / "x.npy", tmp_path / "y.npy")
    assert run.error_line() == (
        f"cece: error: {tmp_path / 'y.npy'}: labels have shape (2, 4, 5); expected shape "
        "(2, 3, 4) (one label per sample) or (2, 3, 4) + (5,) for dense targets (predictions: "
        f"(2, 3, 4, 5) in {tmp_path / 'x.npy'})"
    )
    assert run.err_lines[1] == (
        f"  hint: the labels fit {tmp_path / 'x.npy'} with its classes on axis 1: "
        "pass --class-axis 1"
    )
    ok = run_cece("categorical", tmp_path / "x.npy", tmp_path / "y.npy", "--class-axis", "1", "-q")
    # torch.nn.functional.cross_entropy(x, y): log-softmax over axis 1, the mean over N·H·W
    m = x.max(axis=1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))
    want = -np.take_along_axis(logp, y[:, None], axis=1).mean()
    assert abs(float(ok.out) - want) <= 1e-12 * want


def test_no_class_axis_hint_when_no_axis_fits(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((2, 3, 4, 5)))
    np.save(tmp_path / "y.npy", np.zeros((2, 7), dtype=int))
    run = run_cece("categorical", tmp_path / "x.npy", tmp_path / "y.npy")
    run.error_line()
    assert len(run.err_lines) == 1


# -- cece inspect suggests the command that gives the right number ---------------------------------


def _suggested(doc: dict, **fill: str) -> list[str]:
    """The suggested command as argv, with PREDS / LABELS filled in."""
    words = doc["suggestion"].split("  (")[0].split()
    return [fill.get(w, w) for w in words[1:]]


def test_inspect_on_a_segmentation_dump_names_class_axis_1(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 3, 4, 5)), rng.integers(0, 3, size=(2, 4, 5))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    run = run_cece("inspect", tmp_path / "x.npy", "-f", "json")
    doc = json.loads(run.out)
    note = (
        "classes on the last axis (5); if they are on axis 1 (3, PyTorch's (N, C, ...) layout, "
        f"labels of shape (2, 4, 5)): cece categorical {tmp_path / 'x.npy'} LABELS --class-axis 1"
    )
    assert note in doc["notes"]
    argv = note.split(": cece ")[1].replace("LABELS", str(tmp_path / "y.npy")).split()
    ok = run_cece(*argv, "-q")
    m = x.max(axis=1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))
    want = -np.take_along_axis(logp, y[:, None], axis=1).mean()
    assert abs(float(ok.out) - want) <= 1e-12 * want
    lm = run_cece("inspect", tmp_path / "x.npy", "--class-axis", "1", "-f", "json")
    assert not any("--class-axis 1" in n for n in json.loads(lm.out)["notes"])


def test_inspect_suggestions_for_tree_outputs_and_log_probs_give_the_reference(tmp_path):
    trees = Path(__file__).parent / "data" / "dumps" / "trees"
    cases = json.loads((trees / "reference.json").read_text())["cases"]
    for key in ("rf_iris_csv", "dt_iris_npy", "rf_cancer_binary_csv"):
        case = cases[key]
        preds, labels = str(trees / case["preds"]), str(trees / case["labels"])
        doc = json.loads(run_cece("inspect", preds, "-f", "json").out)
        ok = run_cece(*_suggested(doc, LABELS=labels), "-q", "--strict")
        assert ok.code == 0, ok.err
        assert abs(float(ok.out) - case["log_loss"]) <= 1e-12 * case["log_loss"]
        doc = json.loads(run_cece("inspect", labels, "-f", "json").out)
        if case["command"] == "categorical":
            ok = run_cece(*_suggested(doc, PREDS=preds), "-q", "--strict")
            assert abs(float(ok.out) - case["log_loss"]) <= 1e-12 * case["log_loss"]
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    np.savetxt(tmp_path / "lp.csv", np.log(p), delimiter=",")
    doc = json.loads(run_cece("inspect", tmp_path / "lp.csv", "-f", "json").out)
    assert doc["suggestion"] == f"cece categorical {tmp_path / 'lp.csv'} --from log-probs LABELS"
    ok = run_cece(*_suggested(doc, LABELS="[0,2]"), "-q")
    assert float(ok.out) == -(np.log(0.7) + np.log(0.8)) / 2


def test_binary_with_swapped_arguments_is_refused_under_auto():
    """Labels (0/1) given as PREDS and predicted probabilities as targets would compute a
    wrong number silently: refused, and --from probs decides."""
    trees = Path(__file__).parent / "data" / "dumps" / "trees"
    y, p = trees / "cancer_y.csv", trees / "rf_cancer_p1.csv"
    run = run_cece("binary", y, p)  # the PREDS column is even named 'target'
    assert run.error_line() == (
        f"cece: error: {y}: column 'target' looks like labels, not class scores (labels come "
        f"from {p})"
    )
    assert run.err_lines[1] == "  hint: choose the score columns with --pred-cols"
    run = run_cece("binary", y, p, "--pred-cols", "target")  # named: the values still tell
    assert run.error_line() == (
        f"cece: error: {y} holds only 0s and 1s and {p} probabilities in (0, 1): the arguments "
        "look swapped (predictions come first: cece binary PREDS TARGETS)"
    )
    assert run.err_lines[1] == "  hint: pass --from probs to score 0/1 predictions as given"
    meant = run_cece("binary", y, p, "--pred-cols", "target", "--from", "probs", "-q")
    assert meant.code == 0 and "look swapped" in meant.err
    assert run_cece("binary", p, y, "-q", "--strict").code == 0
    assert run_cece("binary", "[0,1,1]", "[0,1,1]", "--label-smoothing", "0.1", "-q").code == 0


def test_categorical_with_one_hot_preds_and_probability_targets_is_refused_under_auto(write):
    """One-hot labels given as PREDS and predict_proba rows as dense targets gave 22.5 with a
    clipping warning only (the binary command refused the same swap): refused the same way."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(10, 3))
    proba = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    onehot = np.eye(3)[rng.integers(0, 3, 10)]
    p, y = write("proba.npy", proba), write("onehot.npy", onehot)
    run = run_cece("categorical", y, p, "-q")
    assert run.code == 2 and run.out == ""
    assert run.error_line() == (
        f"cece: error: {y} holds only 0s and 1s and {p} probabilities in (0, 1): the arguments "
        "look swapped (predictions come first: cece categorical PREDS LABELS)"
    )
    assert run.err_lines[1] == "  hint: pass --from probs to score 0/1 predictions as given"
    meant = run_cece("categorical", y, p, "--from", "probs", "-q")
    assert meant.code == 0 and "look swapped" in meant.err
    right = run_cece("categorical", p, y, "-q", "--strict")  # in order: one-hot targets
    assert right.code == 0 and float(right.out) == pytest.approx(
        -np.log((proba * onehot).sum(1)).mean(), rel=1e-12
    )
    # 0/1 predictions against one-hot targets, or a soft target row of one file: no swap
    assert run_cece("categorical", y, y, "-q", "--eps", "0").code == 0
    assert run_cece("categorical", p, p, "-q", "--strict").code == 0
