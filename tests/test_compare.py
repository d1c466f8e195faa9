"""``cece compare``: paired per-sample differences of one loss on two models.

Oracles: SciPy (a test dependency) — ``stats.ttest_rel`` (p-value), ``stats.sem`` and
``stats.t.interval`` / ``t.ppf`` / ``t.sf`` of the differences; the naive per-sample losses of
tests/reference.py; the ratio formula Δ = Σ(aᵢᶜ − aᵢᵇ)/Σbᵢ with the ratio estimator's standard
error √(n/(n−1)·Σ(dᵢ − Δbᵢ)²)/Σbᵢ written out; and a plain NumPy paired bootstrap.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import reference
from conftest import ROOT, run_cece

RTOL = 1e-9


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Many blocks (and worker threads): the paired sums must merge to one run's values."""
    monkeypatch.setattr("cece.io.blocks.ROWS", 37)


def _json(run) -> dict:
    assert run.code == 0, run.err
    return json.loads(run.out)


def _num(v) -> float:
    return float(v) if isinstance(v, str) else v


def _logits(n: int, c: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, c)) * 2
    cand = base + rng.normal(size=(n, c)) * 0.7 + 0.05
    y = rng.integers(0, c, n)
    return base, cand, y


def _ce(x: np.ndarray, y) -> np.ndarray:
    return np.array(reference.categorical(x, list(y), reduction="none"))


def _naive_ratio(d: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> dict:
    """Δ = Σd/Σb, its ratio-estimator standard error, Student's interval and p-value (SciPy)."""
    n, m = len(d), d.sum() / b.sum()
    se = math.sqrt(n / (n - 1) * float(((d - m * b) ** 2).sum())) / float(b.sum())
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * se
    return {"mean": m, "stderr": se, "ci": [m - half, m + half],
            "p_value": 2 * stats.t.sf(abs(m / se), n - 1)}  # fmt: skip


def _close(got: dict, want: dict) -> None:
    for key, value in want.items():
        np.testing.assert_allclose(
            np.asarray(got[key], dtype=float),
            np.asarray(value, dtype=float),
            rtol=RTOL,
            err_msg=key,
        )


# -- unweighted: SciPy's paired t-test -------------------------------------------------------------


@pytest.mark.parametrize("confidence", [0.95, 0.8, 0.99])
def test_unweighted_categorical_is_scipys_paired_t_test(write, confidence):
    base, cand, y = _logits(300, 4, 1)
    args = [write("b.npy", base), write("c.npy", cand), write("y.npy", y)]
    doc = _json(run_cece("compare", *args, "-f", "json", "--confidence", str(confidence)))
    lb, lc = _ce(base, y), _ce(cand, y)
    d = lc - lb
    delta = doc["delta"]
    _close(
        delta,
        {
            "mean": d.mean(),
            "stderr": stats.sem(d),
            "ci": stats.t.interval(confidence, len(d) - 1, d.mean(), stats.sem(d)),
            "p_value": stats.ttest_rel(lc, lb).pvalue,
        },
    )
    assert delta["confidence"] == confidence and delta["count"] == 300
    assert (delta["better"], delta["worse"], delta["tied"]) == (
        int((d < 0).sum()), int((d > 0).sum()), int((d == 0).sum()),
    )  # fmt: skip
    rb, rc = base.argmax(1) == y, cand.argmax(1) == y
    assert delta["only_baseline_right"] == int((rb & ~rc).sum())
    assert delta["only_candidate_right"] == int((rc & ~rb).sum())
    for side, losses, right in (("baseline", lb, rb), ("candidate", lc, rc)):
        s = doc[side]["stats"]
        np.testing.assert_allclose(doc[side]["loss"], losses.mean(), rtol=1e-12)
        np.testing.assert_allclose(s["stderr"], stats.sem(losses), rtol=RTOL)
        assert s["accuracy"] == right.mean() and s["count"] == 300
        assert doc[side]["input"]["kind"] == "logits" and doc[side]["input"]["kind_detected"]


@pytest.mark.parametrize("k", [1, 3])
def test_unweighted_binary_is_scipys_paired_t_test(write, k):
    rng = np.random.default_rng(k)
    base = rng.normal(size=(150, k))
    cand = base + rng.normal(size=(150, k)) * 0.5
    y = (rng.random((150, k)) < 0.4).astype(float)
    args = [write("b.npy", base), write("c.npy", cand), write("y.npy", y)]
    doc = _json(run_cece("compare", *args, "--binary", "--from", "logits", "-f", "json"))
    lb = np.array(reference.binary(base, y, reduction="none"))
    lc = np.array(reference.binary(cand, y, reduction="none"))
    d = lc - lb
    _close(
        doc["delta"],
        {"mean": d.mean(), "stderr": stats.sem(d), "p_value": stats.ttest_rel(lc, lb).pvalue},
    )
    assert doc["baseline"]["stats"]["accuracy"] == pytest.approx(((base > 0) == y).mean())
    if k == 1:
        rb, rc = (base[:, 0] > 0) == y[:, 0], (cand[:, 0] > 0) == y[:, 0]
        assert doc["delta"]["only_baseline_right"] == int((rb & ~rc).sum())
        assert doc["delta"]["only_candidate_right"] == int((rc & ~rb).sum())


@pytest.mark.parametrize("kind", ["probs", "logits"])
@pytest.mark.parametrize("dtype", ["bool", "int8", "float32"])
def test_binary_records_carry_the_target_as_a_number(write, kind, dtype):
    """compare --binary's records: the target is a number (0.0, 1.0), whatever dtype the
    labels were read as, as cece binary's records write it (never JSON's false)."""
    y = write("y.npy", np.array([0, 1, 1, 0, 1]).astype(dtype))
    b = write("b.npy", np.array([0.1, 0.9, 0.5, 0.3, 0.7]))
    c = write("c.npy", np.array([0.2, 0.8, 0.6, 0.3, 0.6]))
    out = run_cece("compare", "--binary", b, c, y, "--from", kind, "-f", "jsonl").out
    lines = out.splitlines()
    targets = [json.loads(line)["target"] for line in lines]
    assert targets == [0.0, 1.0, 1.0, 0.0, 1.0] and all(type(v) is float for v in targets)
    assert '"target":0.0' in lines[0]


# -- weighted: the ratio formula -------------------------------------------------------------------


def test_class_weights_sample_weights_and_ignore_index_are_the_naive_ratio(write):
    base, cand, y = _logits(240, 3, 2)
    y[::7] = -100
    w = np.array([0.5, 2.0, 1.25])
    s = np.random.default_rng(3).uniform(0.1, 3.0, len(y))
    args = [write("b.npy", base), write("c.npy", cand), write("y.npy", y)]
    opts = [
        "--weight",
        "0.5,2,1.25",
        "--ignore-index",
        "-100",
        "--sample-weight",
        write("s.npy", s),
    ]
    doc = _json(run_cece("compare", *args, *opts, "-f", "json"))
    keep = y != -100
    yk = y[keep]
    kw = {"weight": w, "sample_weight": s[keep]}
    a_b = s[keep] * np.array(reference.categorical(base[keep], list(yk), reduction="none", **kw))
    a_c = s[keep] * np.array(reference.categorical(cand[keep], list(yk), reduction="none", **kw))
    b = s[keep] * w[yk]
    _close(doc["delta"], _naive_ratio(a_c - a_b, b))
    assert doc["delta"]["count"] == int(keep.sum())
    np.testing.assert_allclose(doc["baseline"]["loss"], a_b.sum() / b.sum(), rtol=1e-12)
    np.testing.assert_allclose(doc["candidate"]["loss"], a_c.sum() / b.sum(), rtol=1e-12)
    np.testing.assert_allclose(
        doc["delta"]["mean"], doc["candidate"]["loss"] - doc["baseline"]["loss"], rtol=1e-9
    )
    _close(doc["baseline"]["stats"], {"stderr": _naive_ratio(a_b, b)["stderr"]})


def test_binary_sample_weights_are_the_naive_ratio(write):
    rng = np.random.default_rng(5)
    base, cand = rng.random((90, 2)), rng.random((90, 2))
    y = (rng.random((90, 2)) < 0.5).astype(float)
    s = rng.uniform(0.5, 2.0, 90)
    args = [write("b.npy", base), write("c.npy", cand), write("y.npy", y)]
    doc = _json(
        run_cece("compare", *args, "--binary", "--sample-weight", write("s.npy", s), "-f", "json")
    )
    a_b = s * 2 * np.array(reference.binary(base, y, kind="probs", reduction="none"))
    a_c = s * 2 * np.array(reference.binary(cand, y, kind="probs", reduction="none"))
    _close(doc["delta"], _naive_ratio(a_c - a_b, 2 * s))
    assert doc["baseline"]["input"]["kind"] == "probs"


# -- bootstrap -------------------------------------------------------------------------------------


def _naive_bootstrap(d, b, resamples, seed, confidence=0.95):
    idx = np.random.default_rng(seed).integers(0, len(d), size=(resamples, len(d)))
    stat = d[idx].sum(axis=1) / (len(d) if b is None else b[idx].sum(axis=1))
    return np.percentile(stat, [50 * (1 - confidence), 50 * (1 + confidence)])


def test_bootstrap_is_a_numpy_paired_bootstrap_and_reproducible(write):
    base, cand, y = _logits(120, 3, 7)
    args = [write("b.npy", base), write("c.npy", cand), write("y.npy", y)]
    boot = ["--bootstrap", "400", "--seed", "11", "-f", "json"]
    first = _json(run_cece("compare", *args, *boot))["delta"]
    again = _json(run_cece("compare", *args, *boot))["delta"]
    other = _json(run_cece("compare", *args, *boot[:3], "12", "-f", "json"))["delta"]
    assert first["bootstrap_ci"] == again["bootstrap_ci"] != other["bootstrap_ci"]
    assert first["bootstrap"] == {"resamples": 400, "seed": 11, "unit": "sample",
                                  "method": "percentile (numpy linear)"}  # fmt: skip
    d = _ce(cand, y) - _ce(base, y)
    np.testing.assert_allclose(first["bootstrap_ci"], _naive_bootstrap(d, None, 400, 11), 1e-9)
    low, high = first["ci"]  # and near the t interval
    assert abs(first["bootstrap_ci"][0] - low) < 0.2 * (high - low)


def test_weighted_bootstrap_resamples_the_shares_with_the_losses(write):
    base, cand, y = _logits(80, 3, 8)
    y[::5] = -100
    args = [write("b.npy", base), write("c.npy", cand), write("y.npy", y)]
    opts = ["--ignore-index", "-100", "--weight", "1,2,3", "--bootstrap", "300", "-f", "json"]
    delta = _json(run_cece("compare", *args, *opts))["delta"]
    keep = y != -100
    w = np.array([1.0, 2.0, 3.0])[y[keep]]
    kw = {"weight": [1, 2, 3]}
    d = np.array(reference.categorical(cand[keep], list(y[keep]), reduction="none", **kw))
    d -= np.array(reference.categorical(base[keep], list(y[keep]), reduction="none", **kw))
    np.testing.assert_allclose(delta["bootstrap_ci"], _naive_bootstrap(d, w, 300, 0), 1e-9)
    assert delta["bootstrap"]["seed"] == 0


# -- kinds, formats ---------------------------------------------------------------------------------


def test_kinds_per_file_stated_in_notes_and_json(write):
    base, cand, y = _logits(50, 3, 9)
    probs = np.exp(cand) / np.exp(cand).sum(1, keepdims=True)
    args = [write("b.npy", base), write("c.npy", probs), write("y.npy", y)]
    run = run_cece("compare", *args, "-f", "json")
    doc = _json(run)
    assert doc["baseline"]["input"]["kind"] == "logits"
    assert doc["candidate"]["input"]["kind"] == "probs"
    assert "c.npy: treating predictions as probs" in run.err
    assert "b.npy: treating predictions as logits" in run.err
    forced = _json(run_cece("compare", *args, "--candidate-from", "probs", "-f", "json"))
    assert forced["candidate"]["input"]["kind_detected"] is False
    assert forced["baseline"]["input"]["kind_detected"] is True
    np.testing.assert_allclose(forced["delta"]["mean"], doc["delta"]["mean"], rtol=1e-9)


def test_a_kind_revised_in_a_later_block_is_noted_once_as_revised(write):
    """Rows far into each file rule out the first rows' probabilities: each file's notes are
    the first verdict, then the revised one saying so; none repeated by the passes after."""
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 300)
    base, cand = (rng.dirichlet(np.ones(3), 300) for _ in range(2))
    base[200] = [0.9, 0.9, 0.1]  # in [0, 1], summing to 1.9: logits, from this block on
    cand[250] = [0.8, 0.8, 0.3]
    args = [write("b.npy", base), write("c.npy", cand), write("y.npy", y)]
    run = run_cece("compare", *args, "-f", "json")
    doc = _json(run)
    assert doc["baseline"]["input"]["kind"] == doc["candidate"]["input"]["kind"] == "logits"
    for name in ("b.npy", "c.npy"):
        notes = [line for line in run.err_lines if f"{name}: treating" in line]
        assert len(notes) == 2, run.err
        assert "treating predictions as probs (" in notes[0]
        assert "as logits, not probs as the first rows suggested (" in notes[1]


def test_quiet_prints_delta_and_records_stream_per_sample(write):
    base, cand, y = _logits(60, 3, 10)
    y[3] = -1
    args = [write("b.npy", base), write("c.npy", cand), write("y.npy", y), "--ignore-index", "-1"]
    doc = _json(run_cece("compare", *args, "-f", "json"))
    quiet = run_cece("compare", *args, "-q")
    assert quiet.code == 0 and float(quiet.out) == doc["delta"]["mean"] and quiet.err == ""
    rows = run_cece("compare", *args, "-f", "csv").out.splitlines()
    assert rows[0] == "index,target,baseline,candidate,delta,ignored"
    assert rows[4] == "3,-1,,,,true"
    lines = [json.loads(x) for x in run_cece("compare", *args, "-f", "jsonl").out.splitlines()]
    assert len(lines) == 60 and lines[3]["delta"] is None and lines[3]["ignored"] is True
    keep = y != -1
    d = _ce(cand[keep], y[keep]) - _ce(base[keep], y[keep])
    got = np.array([r["delta"] for r in lines if not r["ignored"]])
    np.testing.assert_allclose(got, d, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        [r["candidate"] - r["baseline"] for r in lines if not r["ignored"]], got, atol=1e-15
    )


def test_table_shows_both_models_and_the_delta(write):
    base, cand, y = _logits(40, 3, 11)
    run = run_cece("compare", write("b.npy", base), write("c.npy", cand), write("y.npy", y))
    assert run.code == 0, run.err
    assert re.search(r"baseline\s+candidate\s+Δ \(candidate − baseline\)", run.out)
    for row in ("mean loss", "standard error", "95% interval", "accuracy", "paired t-test p ="):
        assert row in run.out


def test_identical_files_tie_everywhere(write):
    base, _, y = _logits(30, 3, 12)
    path = write("b.npy", base)
    delta = _json(run_cece("compare", path, path, write("y.npy", y), "-f", "json"))["delta"]
    assert (delta["mean"], delta["stderr"], delta["tied"], delta["p_value"]) == (0, 0, 30, "nan")
    assert delta["ci"] == [0, 0]


# -- gates ------------------------------------------------------------------------------------------


def _gate_case(write, shift: float):
    rng = np.random.default_rng(13)
    base, y = rng.normal(size=(200, 3)), rng.integers(0, 3, 200)
    cand = base.copy()
    cand[np.arange(200), y] -= shift + rng.normal(size=200) * 0.3  # worse by about `shift`
    return [write("b.npy", base), write("c.npy", cand), write("y.npy", y)]


@pytest.mark.parametrize("spelling", ["--margin", "after", "="])
@pytest.mark.parametrize("margin", [None, "0.01", "0.5"])
def test_fail_if_worse_exits_1_exactly_when_the_lower_bound_is_above_the_margin(
    write, margin, spelling
):
    """--fail-if-worse [MARGIN]: the margin right after the flag, after =, or as --margin."""
    args = _gate_case(write, 0.1)
    gate = ["--fail-if-worse"]
    if margin is not None:
        gate = {
            "--margin": ["--fail-if-worse", "--margin", margin],
            "after": ["--fail-if-worse", margin],
            "=": [f"--fail-if-worse={margin}"],
        }[spelling]
    delta = _json(run_cece("compare", *args, "-f", "json"))["delta"]
    run = run_cece("compare", *args, "-q", *gate)
    fails = delta["ci"][0] > float(margin or 0)
    assert run.code == (1 if fails else 0)
    assert float(run.out) == delta["mean"]
    if fails:
        low, high = delta["ci"]
        assert run.err == (
            f"cece: check failed: the candidate is worse beyond noise: delta "
            f"{delta['mean']:.6g} nats, 95% CI [{low:.6g}, {high:.6g}], "
            f"p = {delta['p_value']:.3g}; the interval's lower bound is above the margin "
            f"{float(margin or 0):g} (--fail-if-worse)\n"
        )
    else:
        assert run.err == ""


def test_a_better_candidate_passes_and_fail_above_checks_the_candidate(write):
    args = _gate_case(write, -0.1)  # better
    assert run_cece("compare", *args, "-q", "--fail-if-worse").code == 0
    # a file after --fail-if-worse is LABELS, not a margin
    assert run_cece("compare", *args[:2], "--fail-if-worse", args[2], "-q").code == 0
    doc = _json(run_cece("compare", *args, "-f", "json"))
    limit = (doc["baseline"]["loss"] + doc["candidate"]["loss"]) / 2
    run = run_cece("compare", *args, "-q", "--fail-above", str(limit))
    assert run.code == 0  # the baseline is above the limit, the candidate below
    swapped = run_cece("compare", args[1], args[0], args[2], "-q", "--fail-above", str(limit))
    assert swapped.code == 1
    assert swapped.err == (
        f"cece: check failed: candidate loss {doc['baseline']['loss']!r} nats > {limit:g} "
        "(--fail-above)\n"
    )


# -- refusals ---------------------------------------------------------------------------------------


def _refused(run, line: str) -> None:
    assert run.code == 2 and run.out == ""
    assert run.err.splitlines()[0] == line, run.err


def test_refusals(write):
    base, cand, y = _logits(20, 3, 14)
    b, c, lab = write("b.npy", base), write("c.npy", cand), write("y.npy", y)
    c4 = write("c4.npy", np.hstack([cand, cand[:, :1]]))
    short = write("short.npy", cand[:15])
    run = run_cece("compare", b, short, lab)  # the labels meet the shorter file first
    assert run.code == 2 and run.err.startswith(f"cece: error: {lab}: labels have shape (20,)")
    first, second = (
        write("a.csv", "p0,p1,y\n1,2,0\n3,1,1\n0,0,1\n"),
        write("s.csv", "p0,p1,y\n1,2,0\n"),
    )
    _refused(
        run_cece("compare", first, second, "--label-col", "y"),
        f"cece: error: the files do not pair: row counts differ: {first} has 3 rows, {second} "
        "has 1",
    )
    _refused(
        run_cece("compare", b, c4, lab),
        f"cece: error: the files do not pair: {b} has 3 classes, {c4} has 4",
    )
    _refused(
        run_cece("compare", b, c, "-", stdin=b"0\n"),
        "cece: error: cece compare reads LABELS once for each file; standard input ('-') can "
        "be read only once",
    )
    _refused(
        run_cece("compare", b, c, lab, "--margin", "0.1"),
        "cece: error: --margin goes with --fail-if-worse",
    )
    _refused(
        run_cece("compare", b, c, lab, "--binary", "--weight", "1,2,3"),
        "cece: error: --weight applies to cece compare categorical (without --binary)",
    )
    _refused(
        run_cece("compare", b, c, lab, "--threshold", "0.3"),
        "cece: error: --threshold applies to cece compare --binary",
    )
    _refused(
        run_cece("compare", b, c, lab, "--confidence", "1"),
        "cece: error: --confidence must be in (0, 1); got 1",
    )
    _refused(
        run_cece("compare", b, c, lab, "--bootstrap", "0"),
        "cece: error: --bootstrap must be ≥ 1 resample; got 0",
    )
    _refused(
        run_cece("compare", b, c, lab, "--seed", "3"),
        "cece: error: --seed goes with --bootstrap N",
    )


def test_files_whose_own_labels_differ_do_not_pair(write):
    first = "p0,p1,label\n1,2,0\n3,1,1\n0,0,1\n"
    second = "p0,p1,label\n1,2,0\n3,1,0\n0,0,1\n"
    a, b = write("a.csv", first), write("b.csv", second)
    _refused(
        run_cece("compare", a, b, "--label-col", "label"),
        f"cece: error: the files do not pair: sample 1 has a different label under {a} and {b}",
    )
    b_classes = write("named.csv", "dog,cat\n1,2\n3,1\n0,0\n")
    a_classes = write("named2.csv", "cat,dog\n1,2\n3,1\n0,0\n")
    _refused(
        run_cece("compare", a_classes, b_classes, "[0,1,1]"),
        f"cece: error: the files do not pair: {a_classes} names its classes cat,dog, "
        f"{b_classes} dog,cat",
    )


# -- the README's GitHub Actions job --------------------------------------------------------------

# The job's command as the README shows it (notes/s20e-readme.md; once the README carries the
# job, the README's own text is what runs).
CI_COMMAND = """
          cece compare main/eval/logits.csv eval/logits.csv eval/labels.csv
          -f json -o compare.json --fail-if-worse 0.05
          --bootstrap 2000 --seed 0
"""


def _ci_command() -> str:
    readme = (ROOT / "README.md").read_text()
    for job in re.findall(r"```yaml\n(.*?)\n```", readme, re.DOTALL):
        if "cece compare" in job:
            return re.search(r"run: >\n((?:\s{10}cece compare.*\n?)(?:\s{10}.*\n?)*)", job).group(1)
    return CI_COMMAND


@pytest.mark.parametrize("worse", [False, True])
def test_the_ci_compare_job_runs_as_written(tmp_path, worse):
    """main's saved outputs in main/eval/, the PR's in eval/ (the checkout of each branch)."""
    samples = ROOT / "sample_data"
    (tmp_path / "main" / "eval").mkdir(parents=True)
    (tmp_path / "eval").mkdir()
    main_out, pr_out = "catdogpig_logits.csv", "soft_probs.csv"  # about as good
    if worse:  # main's model was perfect (one-hot probabilities)
        main_out, pr_out = "catdogpig_onehot.csv", "catdogpig_logits.csv"
    shutil.copyfile(samples / main_out, tmp_path / "main" / "eval" / "logits.csv")
    shutil.copyfile(samples / pr_out, tmp_path / "eval" / "logits.csv")
    shutil.copyfile(samples / "catdogpig_labels.csv", tmp_path / "eval" / "labels.csv")
    command = " ".join(_ci_command().split())
    if worse:  # two samples: only a narrower interval can call it (the gate itself is the same)
        command += " --confidence 0.5"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    doc = json.loads((tmp_path / "compare.json").read_text())
    assert doc["command"] == "compare" and doc["delta"]["count"] == 2
    assert doc["baseline"]["input"]["kind"] == ("probs" if worse else "logits")
    assert proc.returncode == (1 if worse else 0), proc.stderr
    if worse:
        assert "cece: check failed: the candidate is worse beyond noise" in proc.stderr


# -- auto-detection revised, language-model inputs ----------------------------------------------


def test_a_kind_revised_by_later_rows_recomputes_both_models(write):
    base, cand, y = _logits(100, 3, 15)
    base[:60] = np.exp(base[:60]) / np.exp(base[:60]).sum(1, keepdims=True)  # probabilities…
    args = [write("b.npy", base), write("c.npy", cand), write("y.npy", y)]
    auto = _json(run_cece("compare", *args, "-f", "json"))
    assert auto["baseline"]["input"]["kind"] == "logits"  # …until row 60 rules them out
    forced = _json(run_cece("compare", *args, "--baseline-from", "logits", "-f", "json"))
    assert auto["delta"] == forced["delta"]
    assert auto["baseline"]["stats"] == forced["baseline"]["stats"]
    streamed = run_cece("compare", *args, "-f", "jsonl")  # revised before a record went out
    assert streamed.code == 0, streamed.err
    records = [json.loads(line) for line in streamed.out.splitlines()]
    assert [r["index"] for r in records] == list(range(100))
    np.testing.assert_allclose(np.mean([r["delta"] for r in records]), forced["delta"]["mean"])


def test_shifted_language_model_logits_pair_per_position(write):
    rng = np.random.default_rng(16)
    base, cand = rng.normal(size=(2, 9, 5)), rng.normal(size=(2, 9, 5))
    ids = rng.integers(0, 5, (2, 9))
    mask = np.ones((2, 9), int)
    mask[1, 6:] = 0
    args = [write("b.npy", base), write("c.npy", cand), write("ids.npy", ids)]
    opts = ["--shift", "--mask", write("m.npy", mask), "-f", "json"]
    doc = _json(run_cece("compare", *args, *opts))
    one = [
        _json(run_cece("categorical", p, args[2], *opts, "-r", "none"))["samples"] for p in args[:2]
    ]
    d = np.array([c["loss"] - b["loss"] for b, c in zip(*one) if not b.get("ignored")])
    assert doc["delta"]["count"] == len(d) == 8 + 5
    _close(doc["delta"], {"mean": d.mean(), "stderr": stats.sem(d)})


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(2, 60),
    c=st.integers(2, 5),
    seed=st.integers(0, 2**31),
    ignore=st.booleans(),
)
def test_swapping_the_models_negates_delta(tmp_path_factory, n, c, seed, ignore):
    """Δ(b, c) = −Δ(c, b) with the same stderr and p-value; better and worse trade places."""
    folder = tmp_path_factory.mktemp("swap")
    base, cand, y = _logits(n, c, seed)
    if ignore:
        y[::3] = -1
    paths = []
    for name, arr in (("b.npy", base), ("c.npy", cand), ("y.npy", y)):
        np.save(folder / name, arr)
        paths.append(str(folder / name))
    opts = ["--ignore-index", "-1", "-f", "json"]
    one = _json(run_cece("compare", *paths, *opts))["delta"]
    two = _json(run_cece("compare", paths[1], paths[0], paths[2], *opts))["delta"]
    if one["count"] < 2:
        return
    np.testing.assert_allclose(_num(one["mean"]), -_num(two["mean"]), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(_num(one["stderr"]), _num(two["stderr"]), rtol=1e-9, atol=1e-15)
    assert (one["better"], one["worse"], one["tied"]) == (two["worse"], two["better"], two["tied"])
    assert one["only_baseline_right"] == two["only_candidate_right"]


def test_without_an_interval_the_gate_judges_delta_itself():
    """One sample (no interval): a better candidate passes, a worse one fails; a nan fails."""
    better = run_cece("compare", "[[1,2]]", "[[2,1]]", "[0]", "--from", "logits", "-q",
                      "--fail-if-worse")  # fmt: skip
    assert (better.code, better.err) == (0, "")
    worse = run_cece("compare", "[[2,1]]", "[[1,2]]", "[0]", "--from", "logits", "-q",
                     "--fail-if-worse")  # fmt: skip
    assert worse.code == 1
    assert worse.err == (
        "cece: check failed: delta 1 nats, 95% CI [nan, nan], p = nan: no interval, and delta "
        "itself is above the margin 0 (--fail-if-worse)\n"
    )
    nan = run_cece("compare", "[[0,1],[0.5,0.5]]", "[[0,1],[0.2,0.8]]", "[0,1]", "--from",
                   "probs", "--eps", "0", "-q", "--fail-if-worse")  # fmt: skip
    assert nan.code == 1 and nan.out == "nan\n"
    assert nan.err.endswith("no interval, and delta itself is nan (--fail-if-worse)\n")


def test_a_table_with_undefined_intervals_shows_them(write):
    run = run_cece("compare", "[[1,2]]", "[[2,1]]", "[0]", "--from", "logits")
    assert run.code == 0 and "[nan, nan]" in run.out


def test_a_nan_interval_has_a_nan_perplexity_interval():
    """One sample: the interval is nan, and so is its perplexity (it was inf, inf: e^nan was
    taken as beyond float64's range), as cece categorical gives."""
    run = run_cece("compare", "[[1,2,3]]", "[[1,2,4]]", "[0]", "--from", "logits", "-f", "json")
    doc = json.loads(run.out)
    for side in ("baseline", "candidate"):
        assert doc[side]["stats"]["ci"] == ["nan", "nan"]
        assert doc[side]["stats"]["perplexity_ci"] == ["nan", "nan"]
    one = json.loads(
        run_cece("categorical", "[[1,2,3]]", "[0]", "--from", "logits", "-f", "json").out
    )
    assert one["stats"]["perplexity_ci"] == ["nan", "nan"]


def test_models_whose_files_name_their_rows_in_other_orders_are_refused(write):
    """BASELINE and CANDIDATE written with the image ids as pandas' index, the candidate's
    rows in another order: they were paired by position (delta 1.67 where it is 0.036)."""
    rng = np.random.default_rng(12)
    ids = [f"img_{i:03d}" for i in range(12)]
    xb, xc, y = rng.normal(size=(12, 4)), rng.normal(size=(12, 4)), rng.integers(0, 4, 12)
    base = write("b.csv", pd.DataFrame(xb, index=ids).to_csv())
    order = rng.permutation(12)
    cand = write("c.csv", pd.DataFrame(xc, index=ids).iloc[order].to_csv())
    labels = write("y.npy", y)
    line = run_cece("compare", base, cand, labels, "--from", "logits").error_line()
    assert "the files list the samples in different orders" in line and "c.csv: row 0" in line
    same = write("c2.csv", pd.DataFrame(xc, index=ids).to_csv())
    run = run_cece("compare", base, same, labels, "--from", "logits", "-q")
    want = reference.categorical(xc.tolist(), y.tolist()) - reference.categorical(
        xb.tolist(), y.tolist()
    )
    assert float(run.out) == pytest.approx(want, rel=1e-9)


def test_samples_of_weight_zero_are_not_samples_of_the_interval(write):
    """Two samples of nonzero weight among 12: the paired interval is SciPy's on those two
    (it counted 12: stderr 0.071 for 0.096, p 0.0002 for 0.15)."""
    rng = np.random.default_rng(6)
    xb, xc, y = rng.normal(size=(12, 4)), rng.normal(size=(12, 4)), rng.integers(0, 4, 12)
    w = np.zeros(12)
    w[[2, 7]] = 1.0
    args = (write("b.npy", xb), write("c.npy", xc), write("y.npy", y), "--from", "logits")
    doc = json.loads(
        run_cece("compare", *args, "--sample-weight", write("w.npy", w), "-f", "json").out
    )
    picked = y.copy()
    picked[w == 0] = -100
    only = (args[0], args[1], write("y2.npy", picked), "--from", "logits", "--ignore-index", "-100")
    ref = json.loads(run_cece("compare", *only, "-f", "json").out)
    for key in ("mean", "stderr", "ci"):
        assert doc["delta"][key] == pytest.approx(ref["delta"][key], rel=1e-12), key
    boot = ("--bootstrap", "200")
    weighted = run_cece("compare", *args, "--sample-weight", write("w.npy", w), *boot, "-f", "json")
    dropped = run_cece("compare", *only, *boot, "-f", "json")
    got = json.loads(weighted.out)["delta"]["bootstrap_ci"]  # it was nan, nan
    assert got == pytest.approx(json.loads(dropped.out)["delta"]["bootstrap_ci"], rel=1e-12)
    d = [
        reference.categorical(xc[[i]].tolist(), [int(y[i])])
        - reference.categorical(xb[[i]].tolist(), [int(y[i])])
        for i in (2, 7)
    ]
    assert doc["delta"]["stderr"] == pytest.approx(stats.sem(d), rel=1e-9)


def test_compare_refuses_shards_and_has_no_engine(write, tmp_path):
    """compare's help listed --engine with "patterns and @list.txt are shards on either"; a
    pattern was "no such file", and --engine dask ran locally without a word."""
    for i in range(2):
        np.save(tmp_path / f"p-{i}.npy", np.zeros((2, 3)))
    y = write("y.npy", np.array([0, 1]))
    line = run_cece("compare", str(tmp_path / "p-*.npy"), str(tmp_path / "p-0.npy"), y).error_line()
    assert "cece compare takes one file for each model, not a pattern or @list of shards" in line
    run = run_cece(
        "compare", str(tmp_path / "p-0.npy"), str(tmp_path / "p-1.npy"), y, "--engine", "dask"
    )
    assert run.code == 2 and "--engine" in run.error_line()
    assert "Engine" not in run_cece("compare", "--help").out


def test_the_zero_weights_warning_names_no_option_compare_lacks(write):
    """Its hint was "--reduction sum gives the weighted sum": compare has no --reduction."""
    x = write("x.npy", np.array([[1.0, 2.0], [2.0, 1.0]]))
    args = (x, x, "[0,1]", "--from", "logits", "--weight", "0,0")
    run = run_cece("compare", *args)
    assert "the weights of the counted samples sum to 0" in run.err
    assert "--reduction" not in run.err
    one = run_cece("categorical", x, "[0,1]", "--from", "logits", "--weight", "0,0")
    assert "  hint: --reduction sum gives the weighted sum" in one.err_lines


def test_compare_csv_writes_booleans_as_the_loss_commands_do(monkeypatch):
    monkeypatch.chdir(ROOT)
    args = ("sample_data/catdogpig_logits.csv", "sample_data/soft_probs.csv")
    run = run_cece(
        "compare", *args, "sample_data/catdogpig_labels.csv", "-f", "csv", "--ignore-index", "5"
    )
    rows = [line.split(",") for line in run.out.splitlines()]
    assert rows[0][-1] == "ignored" and {r[-1] for r in rows[1:]} == {"false"}  # was False


def test_a_class_weight_of_zero_under_smoothing_counts_in_delta_and_both_runs(write):
    """--weight with a class of weight 0 and --label-smoothing: a sample of that class weighs 0
    but carries loss (PyTorch's smoothing term is weighted over every class). Δ's moments
    dropped it where both runs gave it the same loss, each run's kept it: Δ's stderr was over
    fewer samples than the runs'. One rule now (weight, or either run's loss): the ratio
    formula over all 12."""
    rng = np.random.default_rng(3)
    xb, y = rng.normal(size=(12, 4)), rng.integers(0, 4, 12)
    y[[1, 5, 8]] = 2  # the class of weight 0
    xc = xb.copy()
    xc[[0, 3, 6, 9, 10, 11]] = rng.normal(size=(6, 4))  # rows 1, 5, 8: the same loss in both
    cw, eps = np.array([1.0, 1.0, 0.0, 1.0]), 0.1
    args = (write("b.npy", xb), write("c.npy", xc), write("y.npy", y), "--from", "logits")
    opts = ("--weight", "1,1,0,1", "--label-smoothing", str(eps), "-f", "json")
    doc = json.loads(run_cece("compare", *args, *opts).out)

    def numerators(x: np.ndarray) -> np.ndarray:  # PyTorch's weighted smoothing, per sample
        nll = -(
            x
            - x.max(1, keepdims=True)
            - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True))
        )
        return (1 - eps) * cw[y] * nll[np.arange(12), y] + eps / 4 * (nll * cw).sum(1)

    d, w = numerators(xc) - numerators(xb), cw[y]
    assert (d[[1, 5, 8]] == 0).all() and (w[[1, 5, 8]] == 0).all()
    n, m = 12, d.sum() / w.sum()
    want = math.sqrt(n / (n - 1) * float(((d - m * w) ** 2).sum())) / float(w.sum())
    assert doc["delta"]["mean"] == pytest.approx(m, rel=1e-9)
    assert doc["delta"]["stderr"] == pytest.approx(want, rel=1e-9)  # it was over 9 samples


def test_records_of_a_language_model_say_sequence_and_position(write):
    """compare's records of (B, T, V) logits say where each token sits, as the loss commands'
    records do (they had the flat index alone); CSV has the same columns."""
    rng = np.random.default_rng(14)
    xb, xc, ids = rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 5)), rng.integers(0, 5, (2, 4))
    args = (write("b.npy", xb), write("c.npy", xc), write("y.npy", ids), "--shift")
    lines = [
        json.loads(line) for line in run_cece("compare", *args, "-f", "jsonl").out.splitlines()
    ]
    assert [(r["index"], r["sequence"], r["position"]) for r in lines] == [
        (i, i // 4, i % 4) for i in range(8)
    ]
    assert list(lines[0])[:3] == ["index", "sequence", "position"]
    assert lines[3]["ignored"] and lines[3]["target"] == -100  # the last position: no label
    own = [
        json.loads(line)
        for line in run_cece("categorical", *args[1:], "-f", "jsonl").out.splitlines()
    ]
    assert [r["loss"] for r in own if not r["ignored"]] == [
        r["candidate"] for r in lines if not r["ignored"]
    ]
    header = run_cece("compare", *args, "-f", "csv").out.splitlines()[0]
    assert header == "index,sequence,position,target,baseline,candidate,delta,ignored"


def test_fail_if_worse_gates_on_the_bootstrap_interval_when_asked_for_one(write):
    """The README's CI job gives --fail-if-worse with --bootstrap; the gate read the t interval
    alone ([-0.12, 0.55]: exit 0) beside a bootstrap interval [0.05, 0.545] above the margin."""
    n = 30
    pb = np.full(n, 0.5)
    pc = np.full(n, 0.5 * np.exp(-0.05))
    pc[7] = 0.5 * np.exp(-5)
    base = write("b.csv", "\n".join(f"{float(p)!r},{float(1 - p)!r}" for p in pb) + "\n")
    cand = write("c.csv", "\n".join(f"{float(p)!r},{float(1 - p)!r}" for p in pc) + "\n")
    labels = write("y.csv", "0\n" * n)
    args = ("compare", base, cand, labels, "--from", "probs", "--fail-if-worse")
    t_only = run_cece(*args, "-q")
    assert t_only.code == 0, t_only.err  # the t interval reaches below 0
    boot = run_cece(*args, "--bootstrap", "2000", "--seed", "0", "-q")
    assert boot.code == 1
    assert boot.err_lines[-1].endswith(
        "the bootstrap interval [0.05, 0.545]'s lower bound is above the margin 0 (--fail-if-worse)"
    )
