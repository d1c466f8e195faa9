"""`cece explain`: the seed's walk-through printed as the issue asks, each step's value held
equal to the library's losses, the reduction step equal to the run's reduced loss."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cece import binary_cross_entropy, binary_cross_entropy_with_logits, categorical_cross_entropy
from cece.tools import explain, explain_binary

import golden as G
import reference
from conftest import run_cece


def test_seed_001_walkthrough():
    run = run_cece("explain", "[1,2,3]", "0")
    assert run.code == 0, run.err
    out = run.out
    assert "softmax [0.0900, 0.2447, 0.6652]" in " ".join(out.split()).replace(
        "p = exp(x) / Σ exp(x) = ", ""
    )
    assert "p = exp(x) / Σ exp(x) = [0.0900, 0.2447, 0.6652]" in out
    assert "exp(x) = [2.7183, 7.3891, 20.0855]" in out
    assert "Σ exp(x) = 30.1929" in out
    assert "−log(0.0900) = 2.4076" in out
    assert "loss of row 0 = 2.407606 nats" in out
    steps = [line.split()[0] for line in out.splitlines()[2:9]]
    assert steps == ["logits", "exponentiate", "sum", "softmax", "log", "true", "negate"]
    assert "\x1b[" not in out  # plain in a pipe


def test_seed_000_binary_terms():
    run = run_cece("explain", "0.7", "0.6")
    assert run.code == 0, run.err
    assert "−(0.4·log 0.3 + 0.6·log 0.7)" in run.out
    assert "= −(0.4·(−1.2040) + 0.6·(−0.3567))" in run.out
    assert "= 0.6956" in run.out
    assert "H(y) + KL(y‖p) = 0.6730 + 0.0226" in run.out
    assert "binary cross-entropy of one sample" in run.out  # one column: binary by default


def test_json_steps_carry_exact_values():
    doc = json.loads(run_cece("explain", "[1,2,3]", "0", "-f", "json").out)
    assert doc["command"] == "explain" and doc["loss_type"] == "categorical"
    steps = {s["name"]: s for s in doc["steps"]}
    np.testing.assert_allclose(
        steps["softmax"]["value"], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-15
    )
    assert doc["sample_loss"] == pytest.approx(2.40760596444438, rel=1e-14)
    assert doc["loss"] == pytest.approx(2.40760596444438, rel=1e-14)


# -- every step's result equals the library's loss ----------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    c=st.integers(2, 12),
    kind=st.sampled_from(["logits", "probs", "log-probs"]),
    target=st.sampled_from(["index", "soft"]),
    smoothing=st.sampled_from([0.0, 0.1, 0.5]),
    weighted=st.booleans(),
    sw=st.sampled_from([None, 0.5, 3.0]),
)
def test_categorical_steps_equal_the_library(seed, c, kind, target, smoothing, weighted, sw):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=5, size=c)
    if kind == "probs":
        x = rng.dirichlet(np.ones(c))
    elif kind == "log-probs":
        x = np.log(rng.dirichlet(np.ones(c)))
    t = int(rng.integers(c)) if target == "index" else rng.dirichlet(np.ones(c))
    w = rng.uniform(0.1, 3, size=c) if weighted else None
    eps = float(np.finfo(np.float64).eps) if kind == "probs" else None
    ex = explain.categorical(
        x, t, kind=kind, weight=w, label_smoothing=smoothing, sample_weight=sw, eps=eps
    )
    want = categorical_cross_entropy(
        x[None],
        np.atleast_1d(t)[None] if target == "soft" else np.array([t]),
        kind=kind,
        weight=w,
        label_smoothing=smoothing,
        reduction="none",
    )[0]
    assert ex.nats == pytest.approx(want * (sw or 1.0), rel=1e-9, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(1, 6),
    kind=st.sampled_from(["logits", "probs"]),
    soft=st.booleans(),
    smoothing=st.sampled_from([0.0, 0.2]),
    pos=st.sampled_from([None, 0.5, 3.0]),
    scale=st.sampled_from([1.0, 30.0, 1e4]),
)
def test_binary_steps_equal_the_library(seed, k, kind, soft, smoothing, pos, scale):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=scale, size=k) if kind == "logits" else rng.random(k)
    y = rng.random(k) if soft else rng.integers(0, 2, size=k).astype(float)
    eps = float(np.finfo(np.float64).eps) if kind == "probs" else None
    ex = explain_binary.binary(x, y, kind=kind, pos_weight=pos, label_smoothing=smoothing, eps=eps)
    loss = binary_cross_entropy if kind == "probs" else binary_cross_entropy_with_logits
    want = loss(x[None], y[None], pos_weight=pos, label_smoothing=smoothing, reduction="none")[0]
    assert ex.nats == pytest.approx(want, rel=1e-9, abs=1e-12)


# -- files, rows, options, reductions -----------------------------------------------------------


def test_a_row_of_a_file_and_the_reduction(monkeypatch):
    from conftest import ROOT

    monkeypatch.chdir(ROOT)
    args = ["sample_data/catdogpig_eval.csv", "--label-col", "label", "-w", "1,2,3"]
    run = run_cece("explain", *args, "--row", "1")
    assert run.code == 0, run.err
    assert "y = 2 ('pig') → p[2] = 0.8668" in run.out
    assert "w[2] · loss = 3 · 0.1429 = 0.4288" in run.out
    assert "Σ w[yᵢ]·ℓᵢ / Σ w[yᵢ] = 2.8364 / 4 = 0.7091 nats" in run.out  # golden d5
    doc = json.loads(run_cece("explain", *args, "--row", "1", "-f", "json").out)
    # golden d5, not `cece categorical`'s mean: explain reduces through the same engine
    assert doc["loss"] == pytest.approx(G.D5_WEIGHT_MEAN_INDEX, rel=1e-15)
    assert doc["steps"][-1]["value"] == pytest.approx(G.D5_WEIGHT_MEAN_INDEX, rel=1e-15)


def test_the_mean_without_ignored_samples():
    run = run_cece(
        "explain", "[[1,2,3],[1,1,1],[0,0,9]]", "[0,-100,2]", "--ignore-index", "-100", "--row", "1"
    )
    assert run.code == 0, run.err
    assert "the --ignore-index label" in run.out
    assert "/ (N − ignored)" in run.out


def test_binary_columns_and_sum_over_elements():
    run = run_cece(
        "explain",
        "[[0.5,-1],[2,3]]",
        "[[1,0],[0.2,1]]",
        "--binary",
        "-r",
        "sum",
        "--row",
        "1",
        "-f",
        "json",
    )
    doc = json.loads(run.out)
    # the naive reference, not `cece binary`: explain's reduction runs through the same engine
    x, y = [[0.5, -1], [2, 3]], [[1, 0], [0.2, 1]]
    assert doc["loss"] == pytest.approx(reference.binary(x, y, reduction="sum"), rel=1e-14)
    names = [s["name"] for s in doc["steps"]]
    assert "mean over columns" in names and "sum over elements" in names
    row = reference.binary(x, y, reduction="none")[1]
    assert doc["sample_loss"] == pytest.approx(row, rel=1e-12)


def test_bits_and_smoothing():
    run = run_cece("explain", "[1,2,3]", "0", "--label-smoothing", "0.1", "-b", "2")
    assert "t = (1 − ε)·t + ε/C = 0.9·t + 0.1/3 = [0.9333, 0.0333, 0.0333]" in run.out
    assert "in bits: 2.3076 / ln 2 = 3.3292" in run.out


def test_huge_logits_are_shifted_and_exact():
    run = run_cece("explain", "[1000, 0, -1000]", "1", "-f", "json")
    doc = json.loads(run.out)
    assert doc["sample_loss"] == pytest.approx(1000.0, rel=1e-15)
    assert any("shifted by max(x) = 1000" in n for n in doc["notes"])


def test_standard_input_is_read_once(write):
    run = run_cece(
        "explain",
        "-",
        write("y.csv", "0\n2\n"),
        "--row",
        "1",
        "--from",
        "logits",
        stdin=b"1,2,3\n2,4,6\n",
    )
    assert run.code == 0, run.err
    assert "−log(0.8668) = 0.1429" in run.out


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["[1,2,3]", "0", "--row", "5"],
            "--row 5 is out of range: literal '[1,2,3]' has 1 sample (rows 0..0)",
        ),
        (["[1,2,3]", "0", "--row", "-1"], "--row must be ≥ 0, not -1"),
        (["0.7", "1", "--categorical"], "1 prediction column; categorical cross-entropy needs 2"),
        (["[1,2,3]", "0", "--pos-weight", "2"], "--pos-weight applies to binary cross-entropy"),
        (["0.7", "1", "--weight", "1,2"], "--weight applies to categorical cross-entropy"),
        (
            ["0.7", "1", "--binary", "--categorical"],
            "--binary and --categorical exclude each other",
        ),
    ],
)
def test_explain_errors(args, message):
    assert message in run_cece("explain", *args).error_line()


def test_number_formats():
    assert explain.num(0.09003057317038046) == "0.0900"
    assert explain.num(-2.40760596444438) == "−2.4076"
    assert explain.num(3.7e-44) == "3.7000e-44"
    assert explain.given(1 - 0.7) == "0.3"
    assert explain.given(3.0) == "3"
    assert explain.given(0.123456) == "0.1235"
    assert explain.num(math.inf) == "inf" and explain.num(-math.inf) == "−inf"
    assert explain.num(math.nan) == "nan"
