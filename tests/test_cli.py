"""`cece categorical` end to end through the real entry point: outputs, options, exit codes."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.special

import golden as G
import reference
from conftest import ROOT, csv_text, run_cece

LOGITS = "sample_data/catdogpig_logits.csv"
LABELS = "sample_data/catdogpig_labels.csv"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)


def as_json(*args):
    run = run_cece(*args, "-f", "json")
    assert run.code == 0, run.err
    return json.loads(run.out), run


def test_table_shows_samples_and_aggregates():
    run = run_cece("categorical", LOGITS, LABELS)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    row0 = next(line for line in lines if line.strip().startswith("0 "))
    assert row0.split() == ["0", "cat", "pig", "0.090031", "2.407606"]
    assert "categorical cross-entropy · logits (detected) · index targets · nats" in run.out
    stats = {line.split()[0]: line.split()[-1] for line in lines if len(line.split()) == 2}
    assert stats["mean"] == "1.275269" and stats["perplexity"] == "3.579663"
    assert stats["accuracy"] == "0.500000" and stats["count"] == "2"
    assert "\x1b[" not in run.out  # no colour codes off a terminal
    assert "treating predictions as logits" in run.err  # the detection is reported


def test_json_document_follows_the_contract():
    doc, _ = as_json("categorical", LOGITS, LABELS)
    assert doc["command"] == "categorical" and doc["unit"] == "nats"
    assert doc["input"] == {
        **doc["input"],
        "preds": LOGITS,
        "labels": LABELS,
        "kind": "logits",
        "kind_detected": True,
        "target": "index",
        "shape": [2, 3],
        "classes": ["cat", "dog", "pig"],
    }
    assert doc["options"]["reduction"] == "mean" and doc["options"]["eps"] is None
    assert doc["loss"] == pytest.approx(G.A2_MEAN, rel=1e-15)
    stats = doc["stats"]
    assert stats["sum"] == pytest.approx(G.A3_SUM, rel=1e-15)
    assert stats["perplexity"] == pytest.approx(G.A4_PERPLEXITY, rel=1e-14)
    assert stats["std"] == pytest.approx(np.std(G.A1_NONE), rel=1e-14)
    assert (stats["min"], stats["max"]) == pytest.approx(tuple(sorted(G.A1_NONE)), rel=1e-15)
    assert stats["median"] == pytest.approx(G.A2_MEAN, rel=1e-15)
    assert stats["accuracy"] == 0.5 and stats["count"] == 2 and stats["ignored"] == 0
    assert doc["warnings"] == [] and "samples" not in doc


def test_reduction_none_lists_samples_and_null_loss():
    doc, _ = as_json("categorical", LOGITS, LABELS, "-r", "none")
    assert doc["loss"] is None
    assert [s["loss"] for s in doc["samples"]] == pytest.approx(G.A1_NONE, rel=1e-15)
    first = doc["samples"][0]
    assert first["target"] == 0 and first["predicted"] == 2
    assert first["target_class"] == "cat" and first["p_target"] == pytest.approx(0.0900305732)
    run = run_cece("categorical", LOGITS, LABELS, "-r", "none", "-q")
    assert [float(v) for v in run.out.split()] == pytest.approx(G.A1_NONE, rel=1e-15)


def test_quiet_prints_one_bare_number():
    run = run_cece("categorical", LOGITS, LABELS, "-q")
    assert run.out == "1.2752687964721399\n" and run.err == ""


def test_bits_and_perplexity():
    doc, _ = as_json("categorical", LOGITS, LABELS, "--base", "2")
    assert doc["unit"] == "bits" and doc["loss"] == pytest.approx(G.A5_MEAN_BITS, rel=1e-14)
    assert doc["stats"]["perplexity"] == pytest.approx(G.A4_PERPLEXITY, rel=1e-14)
    doc, _ = as_json("categorical", LOGITS, LABELS, "--base", "10")
    assert doc["unit"] == "hartleys" and doc["loss"] == pytest.approx(G.A2_MEAN / math.log(10))


def test_jsonl_and_csv_records():
    run = run_cece("categorical", LOGITS, LABELS, "-f", "jsonl")
    records = [json.loads(line) for line in run.out.splitlines()]
    assert [r["loss"] for r in records] == pytest.approx(G.A1_NONE, rel=1e-15)
    assert records[1] == {
        **records[1],
        "index": 1,
        "target": 2,
        "target_class": "pig",
        "predicted": 2,
        "predicted_class": "pig",
    }
    run = run_cece("categorical", LOGITS, LABELS, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert [float(r["loss"]) for r in rows] == pytest.approx(G.A1_NONE, rel=1e-15)
    assert rows[0]["index"] == "0" and rows[0]["predicted_class"] == "pig"


def test_rows_worst_and_per_class():
    run = run_cece("categorical", LOGITS, LABELS, "--rows", "1")
    assert "… 1 more rows" in run.out
    run = run_cece("categorical", LOGITS, LABELS, "--worst", "1")
    sample_lines = [line for line in run.out.splitlines() if line.strip()[:2] in ("0 ", "1 ")]
    assert len(sample_lines) == 1 and sample_lines[0].split()[0] == "0"  # the cat: 2.4076
    doc, _ = as_json("categorical", LOGITS, LABELS, "--worst", "1")
    assert [r["index"] for r in doc["worst"]] == [0]
    doc, _ = as_json("categorical", LOGITS, LABELS, "--per-class")
    by_class = {row["class"]: row for row in doc["per_class"]}
    assert by_class["cat"]["count"] == 1 and by_class["cat"]["accuracy"] == 0.0
    assert by_class["pig"]["mean"] == pytest.approx(G.A1_NONE[1], rel=1e-15)
    assert "dog" not in by_class  # only classes that occur are listed
    run = run_cece("categorical", LOGITS, LABELS, "--per-class")
    assert "per class" in run.out


@pytest.mark.parametrize("weights", ["[1, 2]", "weights.csv", "w"])
def test_sample_weights_from_literal_file_or_column(weights, tmp_path):
    (tmp_path / "weights.csv").write_text("1\n2\n")
    (tmp_path / "eval.csv").write_text("cat,dog,pig,label,w\n1,2,3,0,1\n2,4,6,2,2\n")
    spec = str(tmp_path / weights) if weights.endswith(".csv") else weights
    preds = str(tmp_path / "eval.csv")
    doc, _ = as_json(
        "categorical", preds, "--label-col", "label", "--sample-weight", spec, "--pred-cols", "0:3"
    )
    expected = (G.A1_NONE[0] * 1 + G.A1_NONE[1] * 2) / 3  # scikit-learn's Σwℓ/Σw
    assert doc["loss"] == pytest.approx(expected, rel=1e-14)
    assert doc["input"]["classes"] == ["cat", "dog", "pig"]


def test_class_weights_and_sample_weights_multiply(tmp_path):
    doc, _ = as_json("categorical", LOGITS, LABELS, "--weight", "1,2,3", "--sample-weight", "[2,1]")
    w = [1 * 2, 3 * 1]  # w[y] · s
    expected = (2 * G.D3_WEIGHT_NONE[0] + 1 * G.D3_WEIGHT_NONE[1]) / sum(w)
    assert doc["loss"] == pytest.approx(expected, rel=1e-14)


def test_output_file_is_written_atomically_and_never_replaces_an_input(tmp_path):
    out = tmp_path / "result.json"
    run = run_cece("categorical", LOGITS, LABELS, "-f", "json", "-o", str(out))
    assert run.code == 0 and run.out == ""
    assert json.loads(out.read_text())["loss"] == pytest.approx(G.A2_MEAN)
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temp file left
    run = run_cece("categorical", LOGITS, LABELS, "-o", LABELS)
    assert "refusing to overwrite the input file" in run.error_line()
    assert Path(LABELS).read_text() == "label\n0\n2\n"
    failed = run_cece("categorical", LOGITS, "sample_data/probs4.csv", "-o", str(out))
    assert failed.code == 2 and json.loads(out.read_text())["loss"]  # old file kept


def test_fail_above_gates_with_exit_1():
    run = run_cece("categorical", LOGITS, LABELS, "-q", "--fail-above", "1.2")
    assert run.code == 1 and run.out.strip() == "1.2752687964721399"
    assert run.err.strip() == (
        "cece: check failed: loss 1.2752687964721399 nats > 1.2 (--fail-above)"
    )
    assert run_cece("categorical", LOGITS, LABELS, "-q", "--fail-above", "1.3").code == 0


def test_all_ignored_gives_nan_with_a_warning_and_fails_checks(write):
    labels = write("ignored.csv", "-100\n-100\n")
    run = run_cece(
        "categorical", LOGITS, labels, "--ignore-index", "-100", "-q", "--fail-above", "10"
    )
    assert run.out == "nan\n" and run.code == 1
    assert "cece: warning: every sample is ignored; the mean loss is nan" in run.err
    doc, _ = as_json("categorical", LOGITS, labels, "--ignore-index", "-100")
    assert doc["loss"] == "nan" and doc["stats"]["ignored"] == 2
    assert doc["warnings"] == ["every sample is ignored; the mean loss is nan"]


def test_probabilities_that_do_not_sum_to_one_warn_and_strict_refuses():
    args = ("categorical", "sample_data/probs4.csv", "sample_data/probs4_onehot.csv")
    doc, run = as_json(*args, "--from", "probs")
    assert doc["loss"] == pytest.approx(G.B2_MEAN, rel=1e-14)
    assert doc["warnings"] == [
        "sample_data/probs4.csv: 1 probability row(s) do not sum to 1 "
        "(row 1 sums to 0.99); used as given"
    ]
    assert "hint: --renormalize divides each row by its sum first" in run.err
    strict = run_cece(*args, "--from", "probs", "--strict")
    assert "do not sum to 1" in strict.error_line() and "(--strict)" in strict.error_line()
    # auto: values in [0, 1] with rows off 1 are probabilities or logits, and the losses
    # differ: refused, naming --from (tests/test_sweep.py: pandas' float_format="%.3f")
    line = run_cece(*args).error_line()
    assert "values lie in [0, 1] but the row sums to 0.99, not 1" in line


def test_probabilities_passed_as_logits_warn(write):
    probs = write("p.csv", "0.7,0.2,0.1\n0.1,0.1,0.8\n")
    run = run_cece("categorical", probs, "[0,2]", "--from", "logits", "-q")
    assert run.code == 0
    assert "looks like probabilities" in run.err and "applies softmax to them again" in run.err


def test_auto_detects_probabilities_and_log_probabilities(write):
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    for kind, values in (("probs", p), ("log-probs", np.log(p))):
        doc, _ = as_json("categorical", write(f"{kind}.csv", csv_text(values)), "[0,2]")
        assert doc["input"]["kind"] == kind and doc["input"]["kind_detected"] is True
        assert doc["loss"] == pytest.approx(-(math.log(0.7) + math.log(0.8)) / 2, rel=1e-12)


def test_clipping_is_counted_and_reported(write):
    probs = write("p.csv", "1.0,0.0\n0.0,1.0\n")
    doc, _ = as_json("categorical", probs, "[1,1]", "--from", "probs")
    # the 1.0 on its true class is clipped too, but moves the loss by eps only: not counted
    assert doc["stats"]["clipped"] == {"below_eps": 1, "above_one_minus_eps": 0}
    assert doc["loss"] == pytest.approx((36.04365338911715 + 2.220446049250313e-16) / 2)  # h1
    assert doc["warnings"][0] == (
        f"{probs}: clipping probabilities into [eps, 1 − eps] "
        "(eps = 2.22e-16) changed the loss: 1 below eps"
    )
    doc, _ = as_json("categorical", probs, "[1,1]", "--from", "probs", "--eps", "0")
    assert doc["loss"] == "inf" and doc["stats"]["max"] == "inf"
    assert doc["options"]["eps"] == 0.0


def test_soft_targets_report_entropy_and_kl():
    doc, _ = as_json(
        "categorical", "sample_data/soft_logits.csv", "sample_data/soft_targets.csv", "--samples"
    )
    assert doc["input"]["target"] == "soft"
    first = doc["samples"][0]
    assert first["entropy"] == pytest.approx(G.F4_H_NATS, rel=1e-12)
    assert first["kl"] == pytest.approx(G.F3_KL, rel=1e-12)
    # the means, against the naive reference: cece's KL is its CE − H, so checking
    # entropy + kl == loss on cece's own numbers would restate that
    x = [[1.0, 2, 3], [2, 4, 6]]  # sample_data/soft_logits.csv
    t = [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]  # sample_data/soft_targets.csv
    q = scipy.special.softmax(x, axis=1).tolist()
    assert doc["loss"] == pytest.approx(reference.categorical(x, t), rel=1e-12)
    assert doc["stats"]["entropy"] == pytest.approx(
        (reference.entropy(t[0]) + reference.entropy(t[1])) / 2, rel=1e-12
    )
    assert doc["stats"]["kl"] == pytest.approx(
        (reference.kl(t[0], q[0]) + reference.kl(t[1], q[1])) / 2, rel=1e-12
    )
    table = run_cece("categorical", "sample_data/soft_logits.csv", "sample_data/soft_targets.csv")
    assert "entropy" in table.out and "KL" in table.out


def test_nd_arrays_with_class_axis(write):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 7)).astype(np.float32)  # (batch, tokens, vocab)
    y = rng.integers(0, 7, (2, 5))
    flat = x.reshape(-1, 7).astype(np.float64)
    expected = float(np.mean(np.log(np.exp(flat).sum(1)) - flat[np.arange(10), y.ravel()]))
    run = run_cece("categorical", write("x.npy", x), write("y.npy", y), "-q")
    assert float(run.out) == pytest.approx(expected, rel=1e-6)
    moved = np.moveaxis(x, 2, 1).copy()  # PyTorch layout (N, C, d1)
    run = run_cece(
        "categorical", write("xc.npy", moved), write("y2.npy", y), "-q", "--class-axis", "1"
    )
    assert float(run.out) == pytest.approx(expected, rel=1e-6)


def test_version_and_help():
    run = run_cece("--version")
    assert run.out.startswith("cece 0.") and run.code == 0
    run = run_cece("categorical", "--help")
    assert run.code == 0 and "Examples:" in run.out and "cece categorical" in run.out


def test_python_dash_m_and_installed_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "cece", "categorical", LOGITS, LABELS, "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0 and float(proc.stdout) == pytest.approx(G.A2_MEAN)
    script = Path(sys.executable).parent / "cece"
    assert script.exists(), "the cece console script is not installed"
    proc = subprocess.run(
        f"{script} categorical {LOGITS} - -q < {LABELS}",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ},
    )
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout) == pytest.approx(G.A2_MEAN, rel=1e-15)


@pytest.mark.parametrize(
    "option, cece_s", [("--units", "--base (-b 2 for bits"), ("--gamma", "--focal-gamma")]
)
def test_a_peers_option_name_points_at_ceces(option, cece_s):
    """--units bits gave Click's guess "(Possible options: --hist, --quiet)"."""
    run = run_cece("categorical", "[[1,2]]", "[0]", option, "2")
    assert run.code == 2 and run.out == ""
    assert run.error_line().startswith(f"cece: error: no such option: {option}; cece's is {cece_s}")


def test_csv_text_read_as_tsv_is_named(tmp_path):
    """--stdin-format tsv (or a .tsv name) over comma-separated text was one text column:
    "column 'a,b,c' holds text", or "1 prediction column"."""
    run = run_cece(
        "categorical", "-", "[2]", "--stdin-format", "tsv", stdin=b"a,b,c\n0.1,0.2,0.7\n"
    )
    assert run.error_line() == (
        "cece: error: <stdin>: line 1: read as TSV, but its lines have no tab and the same commas"
    )
    assert run.err_lines[-1] == "  hint: --stdin-format csv"
    names = tmp_path / "names.tsv"  # one column of names holding commas: not a CSV table
    names.write_text("Smith, John, Jr\nDoe, Jane, Sr\n")
    assert "read as TSV" not in run_cece("categorical", "[[1,2],[2,1]]", names).err
    euro = tmp_path / "p.tsv"  # one column with decimal commas: its own message, as before
    euro.write_text("p\n0,5\n0,25\n")
    assert "looks like a decimal comma" in run_cece("binary", euro, "[1,0]").err
    one = run_cece(
        "categorical", "[[1,2],[2,1]]", "-", "--stdin-format", "tsv", "-q", stdin=b"0\n1\n"
    )
    assert one.code == 0, one.err  # one column: no tab to find


def test_a_peers_option_name_only_points_at_options_the_command_has():
    """binary has no --weight: Click's own guess (--pos-weight) stands."""
    run = run_cece("binary", "[0.2]", "[1]", "--class-weights", "2")
    line = run.error_line()  # Click's wording (it differs between Click releases)
    assert line.startswith("cece: error: no such option: --class-weights")
    assert "--pos-weight" in line and "cece's is" not in line


@pytest.mark.parametrize(
    "reduction, said, out",
    [
        ("sum", "every sample is ignored; the summed loss is 0", "0.0"),
        ("none", "every sample is ignored; each sample's loss is 0, their mean nan", "0.0\n0.0"),
    ],
)
def test_every_sample_ignored_is_warned_under_every_reduction(reduction, said, out):
    """-r sum and -r none said nothing (the mean warned), and --strict let them pass."""
    args = ("categorical", "[[1,2,3],[1,2,3]]", "[-100,-100]", "--ignore-index", "-100")
    run = run_cece(*args, "-r", reduction, "-q")
    assert run.code == 0 and run.out.strip() == out
    assert run.err_lines == [f"cece: warning: {said}"]
    strict = run_cece(*args, "-r", reduction, "-q", "--strict")  # -r none: after the stream
    assert strict.code == 2 and strict.err_lines[-1] == f"cece: error: {said} (--strict)"
