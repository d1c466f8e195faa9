"""Layout inference on dumps written by pandas and scikit-learn (tests/data/dumps/layout/):
each case gives scikit-learn's log_loss on the same arrays, or exit 2 with one error line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from conftest import run_cece

DUMPS = Path(__file__).resolve().parent / "data" / "dumps" / "layout"
REF = {
    k: v["log_loss"] for k, v in json.loads((DUMPS / "reference.json").read_text())["cases"].items()
}

CASES = [
    ("digits", "categorical", "digits_p.csv", "digits_y.csv"),
    ("digits", "categorical", "digits_p_index.csv", "digits_y_index.csv"),
    ("digits", "categorical", "digits_p_reset.csv", "digits_y.csv"),
    ("digits", "categorical", "digits_eval.csv", "--label-col", "y_true"),
    ("digits", "categorical", "digits_p.parquet", "digits_y.parquet"),
    ("digits", "categorical", "digits_p_named_index.parquet", "digits_y.txt"),
    ("digits", "categorical", "digits_p.csv", "digits_onehot.csv"),
    ("digits", "categorical", "digits_p.npy", "digits_y.csv"),
    ("forest", "categorical", "forest_p.csv", "forest_y.csv"),
    ("wine", "categorical", "wine_p.csv", "wine_y.csv"),
    ("wine", "categorical", "wine_p.npy", "wine_y.npy", "--classes", "1,2,3"),
    ("wine_names", "categorical", "wine_p.npy", "wine_names.csv", "--classes", "wine_classes.txt"),
    ("wine12", "categorical", "wine12_p.csv", "wine12_y.csv", "--labels-as", "name"),
    ("cancer", "binary", "cancer_p1.csv", "cancer_y.csv"),
    ("cancer2", "categorical", "cancer_p.csv", "cancer_y.csv"),
    ("cancer_names", "binary", "cancer_pmal.csv", "cancer_names.csv", "--positive", "malignant"),
    ("cancer_pm1", "binary", "cancer_p1.npy", "cancer_pm1.npy", "--positive", "1"),
]


@pytest.mark.parametrize("case", CASES, ids=[" ".join(c[1:]) for c in CASES])
def test_dumps_give_scikit_learns_number(case, monkeypatch):
    monkeypatch.chdir(DUMPS)
    ref, *args = case
    run = run_cece(*args, "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["loss"] == pytest.approx(REF[ref], rel=1e-9)


def test_inferences_are_stated(monkeypatch):
    monkeypatch.chdir(DUMPS)
    run = run_cece("categorical", "digits_p.csv", "digits_y.csv", "-f", "json")
    notes = [line for line in run.err_lines if line.startswith("cece: note:")]
    assert any("digits_p.csv: first row 0,1,2,3,4,…,9 read as a header" in n for n in notes)
    assert any("digits_y.csv: first row 0 read as a header" in n for n in notes)
    inferred = json.loads(run.out)["input"]["inferred"]
    assert [(i["file"], i["what"]) for i in inferred] == [
        ("digits_p.csv", "header"),
        ("digits_y.csv", "header"),
    ]


REFUSALS = [
    (
        ("categorical", "wine12_p.csv", "wine12_y.csv"),
        "cece: error: wine12_y.csv: integer labels (1, 2) fit both as column indices and as the "
        "class names of wine12_p.csv's header (1, 2, 3), and the two give different losses",
    ),
    (
        ("categorical", "cancer_decision.npy", "cancer_y.npy"),
        "cece: error: cancer_decision.npy: 1-D predictions (shape (40,)) with cancer_y.npy: one "
        "score per sample, or one sample of 40 classes?",
    ),
    (
        ("categorical", "digits_eval.csv", "digits_y.csv"),
        "cece: error: digits_eval.csv: column 'y_true' holds integers among decimal scores: an "
        "index, id or label column is not a class score",
    ),
    (
        ("binary", "cancer_p1.npy", "cancer_pm1.npy"),
        "cece: error: cancer_pm1.npy: row 0: target -1 is outside [0, 1]",
    ),
    (
        ("binary", "cancer_pmal.csv", "cancer_names.csv", "--positive", "Malignant"),
        "cece: error: cancer_names.csv: labels 'benign' and 'malignant' both differ from "
        "--positive 'Malignant'; binary labels have two values",
    ),
]


@pytest.mark.parametrize("args, line", REFUSALS, ids=[" ".join(a) for a, _ in REFUSALS])
def test_refusals_name_the_deciding_option(args, line, monkeypatch):
    monkeypatch.chdir(DUMPS)
    assert run_cece(*args).error_line() == line


def test_undecidable_header_refuses_and_the_options_decide(write):
    preds = write("yhat.csv", "0\n1\n0\n1\n")  # pd.Series(hard predictions).to_csv(index=False)
    labels = write("y.csv", "0\n1\n1\n1\n")
    line = run_cece("binary", preds, labels).error_line()
    assert "is the first row (0) a header, as pandas writes one, or data?" in line
    assert run_cece("binary", preds, labels, "--header", "-q").code == 0
    assert run_cece("binary", preds, labels, "--no-header", "-q").code == 0


def test_1d_predictions_with_a_multi_hot_row_are_refused_not_read_as_one_sample():
    # scikit-learn's log_loss reads these as 5 binary samples (0.39890...); one sample with
    # targets summing to 3 would be 1.666: neither reading is safe to pick
    run = run_cece("categorical", "[0.2,0.7,0.6,0.1,0.45]", "[0,1,1,0,1]", "--from", "probs")
    assert run.code == 2
    assert run.err.splitlines()[0] == (
        "cece: error: literal '[0,1,1,0,1]': 1-D predictions (literal '[0.2,0.7,0.6,0.1,0.45]') "
        "with a target row summing to 3: one sample with these targets, or one 0/1 label per "
        "score?"
    )
    assert "cece binary" in run.err.splitlines()[1]
    one = run_cece("categorical", "[0.2,0.3,0.5]", "[0.1,0.1,0.8]", "--from", "probs", "-q")
    assert one.code == 0
    want = -(0.1 * math.log(0.2) + 0.1 * math.log(0.3) + 0.8 * math.log(0.5))
    assert float(one.out) == pytest.approx(want, rel=1e-15)


def test_classes_typed_on_the_command_line_are_scikit_learns_labels():
    # log_loss([1, 2, 2], P, labels=[1, 2, 3]) = -log 0.7 (scikit-learn); as column indices
    # (PyTorch) the same labels give -(log 0.1 + log 0.1 + log 0.2) / 3 = 2.0715...
    p = "[[0.7,0.1,0.2],[0.2,0.7,0.1],[0.1,0.7,0.2]]"
    run = run_cece("categorical", p, "[1,2,2]", "--from", "probs", "--classes", "1,2,3")
    assert run.code == 0, run.err
    assert (
        "integer labels read as the class names given by --classes (1, 2, 3), as "
        "scikit-learn's labels= reads them" in run.err
    )
    quiet = run_cece("categorical", p, "[1,2,2]", "--from", "probs", "--classes", "1,2,3", "-q")
    assert float(quiet.out) == pytest.approx(-math.log(0.7), rel=1e-15)
    index = run_cece(
        "categorical",
        p,
        "[1,2,2]",
        "--from",
        "probs",
        "--classes",
        "1,2,3",
        "--labels-as",
        "index",
        "-q",
    )
    want = -(math.log(0.1) + math.log(0.1) + math.log(0.2)) / 3
    assert float(index.out) == pytest.approx(want, rel=1e-15)
