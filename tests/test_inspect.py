"""`cece inspect`: what a file holds, why, and a suggestion that runs."""

from __future__ import annotations

import json
import shlex

import numpy as np
import pytest

from conftest import ROOT, run_cece


def _inspect(*args) -> dict:
    run = run_cece("inspect", *args, "-f", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


@pytest.mark.parametrize(
    "name, kind",
    [
        ("catdogpig_logits.csv", "logits"),
        ("catdogpig_logits.npy", "logits"),
        ("catdogpig_eval.csv", "logits"),
        ("catdogpig_labels.csv", "labels (class indices)"),
        ("catdogpig_labels.npy", "labels (class indices)"),
        ("catdogpig_names.csv", "labels (class names)"),
        ("catdogpig_onehot.csv", "one-hot targets"),
        ("soft_targets.csv", "probabilities"),
        ("probs4.csv", "probabilities (rounded: rows sum to 1 within 0.1)"),
        ("pixels_pred.csv", "independent probabilities (multi-label)"),
        ("pixels_softmax.csv", "probabilities"),
        ("catdog_eleven_isdog.csv", "labels (0/1)"),
        ("catdog_eleven_pdog.csv", "probabilities (binary)"),
        ("seed004_logits.csv", "logits (binary)"),
        ("bce_logits.csv", "logits (binary)"),
    ],
)
def test_sample_files(name, kind, monkeypatch):
    monkeypatch.chdir(ROOT)
    doc = _inspect(f"sample_data/{name}")
    assert doc["kind"] == kind, doc
    assert doc["why"]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("catdogpig_eval.csv", 1.2752687964721399),
        ("bce_logits.csv", 40.17653930669885),
    ],
)
def test_the_suggested_command_runs(name, expected, monkeypatch):
    monkeypatch.chdir(ROOT)
    suggestion = _inspect(f"sample_data/{name}")["suggestion"]
    args = shlex.split(suggestion)
    assert args[0] == "cece"
    run = run_cece(*args[1:], "-q")
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(expected, rel=1e-12)


def test_numbers_of_an_array(write):
    x = np.arange(24, dtype=np.float16).reshape(2, 3, 4) / 10
    x[1, 2, 3] = np.inf
    x[0, 1, 0] = np.nan
    doc = _inspect(write("lm.npy", x))
    assert doc["shape"] == [2, 3, 4] and doc["dtype"] == "float16"
    assert doc["rows"] == 6 and doc["columns"] == 4
    v = doc["values"]
    assert v["nan"] == 1 and v["inf"] == 1 and v["-inf"] == 0
    assert v["first_non_finite"] == {"row": 1, "column": 0, "value": "nan"}
    finite_rows = [r for r in x.reshape(6, 4).astype(float) if np.isfinite(r).all()]
    assert v["min"] == pytest.approx(min(r.min() for r in finite_rows))
    assert v["max"] == pytest.approx(max(r.max() for r in finite_rows))
    assert doc["row_sums"]["min"] == pytest.approx(min(r.sum() for r in finite_rows), rel=1e-3)
    assert any("non-finite" in n for n in doc["notes"])


def test_log_probabilities_and_class_axis(write):
    rng = np.random.default_rng(0)
    lp = np.log(rng.dirichlet(np.ones(5), size=(3, 4)))  # (3, 4, 5)
    doc = _inspect(write("lp.npy", lp))
    assert doc["kind"] == "log-probabilities"
    assert "--from log-probs" in doc["suggestion"]
    doc = _inspect(write("lp1.npy", np.moveaxis(lp, -1, 1)), "--class-axis", "1")
    assert doc["kind"] == "log-probabilities" and doc["columns"] == 5


def test_table_output_names_everything(monkeypatch):
    monkeypatch.chdir(ROOT)
    run = run_cece("inspect", "sample_data/catdogpig_eval.csv")
    assert run.code == 0
    for text in (
        "text table (comma-separated, with a header)",
        "2 × 4",
        "cat, dog, pig, label",
        "label column",
        "class names (2 distinct: cat, pig)",
        "logits",
        "cece categorical sample_data/catdogpig_eval.csv --label-col label",
    ):
        assert text in run.out, text


def test_missing_file_is_an_error():
    assert "no such file" in run_cece("inspect", "nope.csv").error_line()


def test_an_lms_labels_and_logits(write):
    """(B, T) int64 labels or input ids were "logits", with a suggestion that is refused; a
    (B, T, V) array's notes never named --shift. The suggestion runs once LOGITS is given."""
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 11, (3, 7))
    ids[2, 5:] = -100
    y = write("labels.npy", ids)
    doc = _inspect(y)
    assert doc["kind"] == "labels or token ids, a row a sequence"
    assert (
        doc["why"] == "an array of whole numbers -100..10 (-100: Hugging Face's ignored positions)"
    )
    x = write("logits.npy", rng.standard_normal((3, 7, 11)))
    args = shlex.split(doc["suggestion"].split("  (")[0].replace("LOGITS", str(x)))
    run = run_cece(*args[1:], "-q")
    assert run.code == 0, run.err
    assert (
        f"a causal LM's logits against its input ids: cece categorical {x} IDS --shift"
        in (_inspect(x)["notes"])
    )
    assert _inspect(write("ints.npy", np.array([[1, 2, 3], [2, 4, 6]])))["kind"] != "logits"
    assert _inspect("[[1,2,3],[2,4,6]]")["kind"] == "logits"  # a literal: integer logits
