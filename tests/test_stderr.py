"""The uncertainty of every mean: ``stats.stderr``, ``stats.ci``, ``stats.perplexity_ci``.

Oracles: SciPy (a test dependency) — ``scipy.stats.sem`` of the per-sample losses and
``scipy.stats.t.interval`` for a plain mean; for weighted and ignore-aware means the ratio
estimator's formula written out naively, √(n/(n−1)·Σ(aᵢ − m·bᵢ)²)/Σbᵢ; per-sample losses computed
here with NumPy from the formulas (log-softmax, BCE with logits, entropy). Merges: shards and
blocked, threaded runs give one run's stderr (a Hypothesis property over block partitions).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cece.engine.reduce import Summary
from cece.engine.uncertainty import RatioMoments
from cece.io import blocks

from conftest import ROOT, run_cece

RNG = np.random.default_rng(20)


def naive_stderr(a: np.ndarray, b: np.ndarray) -> float:
    """√(n/(n−1) · Σ(aᵢ − m·bᵢ)²) / Σbᵢ, straight from the definition."""
    n, m = len(a), a.sum() / b.sum()
    return math.sqrt(n / (n - 1) * float(((a - m * b) ** 2).sum())) / float(b.sum())


def log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def bce_logits(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))


def doc(*args) -> dict:
    run = run_cece(*args, "-f", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


def num(v) -> float:
    return float(v)  # "nan"/"inf" strings too


def check_plain(st_: dict, losses: np.ndarray, confidence: float = 0.95, base: float = math.e):
    """stats of a plain mean against SciPy: sem, t.interval, base^interval."""
    n = len(losses)
    assert st_["count"] == n
    assert num(st_["stderr"]) == pytest.approx(stats.sem(losses), rel=1e-10)
    low, high = stats.t.interval(confidence, n - 1, loc=losses.mean(), scale=stats.sem(losses))
    assert [num(v) for v in st_["ci"]] == pytest.approx([low, high], rel=1e-10)
    if "perplexity_ci" in st_:
        assert [num(v) for v in st_["perplexity_ci"]] == pytest.approx(
            [base**low, base**high], rel=1e-9
        )


def test_categorical_unweighted_is_scipys_sem_and_t_interval(tmp_path):
    x = RNG.normal(size=(300, 5)) * 2
    y = RNG.integers(0, 5, size=300)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    losses = -log_softmax(x)[np.arange(300), y]
    d = doc("categorical", tmp_path / "x.npy", tmp_path / "y.npy", "--from", "logits")
    check_plain(d["stats"], losses)
    assert d["options"]["confidence"] == 0.95
    d = doc(
        "categorical",
        tmp_path / "x.npy",
        tmp_path / "y.npy",
        "--from",
        "logits",
        "--confidence",
        "0.99",
    )
    check_plain(d["stats"], losses, 0.99)
    assert d["options"]["confidence"] == 0.99


def test_bits_scale_the_stderr_and_perplexity_is_base_two(tmp_path):
    x = RNG.normal(size=(50, 3))
    y = RNG.integers(0, 3, size=50)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    losses = -log_softmax(x)[np.arange(50), y] / math.log(2)
    nats = doc("categorical", tmp_path / "x.npy", tmp_path / "y.npy", "--from", "logits")["stats"]
    bits = doc(
        "categorical", tmp_path / "x.npy", tmp_path / "y.npy", "--from", "logits", "-b", "2"
    )["stats"]
    check_plain(bits, losses, base=2.0)
    assert bits["stderr"] == pytest.approx(nats["stderr"] / math.log(2), rel=1e-12)
    # the perplexity interval is the same whatever the unit
    assert bits["perplexity_ci"] == pytest.approx(nats["perplexity_ci"], rel=1e-9)


def test_class_and_sample_weights_and_ignore_index_are_the_ratio_formula(tmp_path):
    n, c = 400, 4
    x = RNG.normal(size=(n, c))
    y = RNG.integers(0, c, size=n)
    y[RNG.random(n) < 0.2] = -100
    w = np.array([0.5, 2.0, 1.0, 3.0])
    s = RNG.uniform(0.1, 2.0, size=n)
    for name, v in (("x", x), ("y", y), ("s", s)):
        np.save(tmp_path / f"{name}.npy", v)
    keep = y != -100
    nll = -log_softmax(x[keep])[np.arange(keep.sum()), y[keep]]
    a, b = s[keep] * w[y[keep]] * nll, s[keep] * w[y[keep]]
    args = ["categorical", tmp_path / "x.npy", tmp_path / "y.npy", "--from", "logits"]
    args += ["--ignore-index", "-100"]
    d = doc(*args, "--weight", "0.5,2,1,3", "--sample-weight", tmp_path / "s.npy")
    st_ = d["stats"]
    assert st_["count"] == keep.sum() and st_["ignored"] == n - keep.sum()
    assert st_["mean"] == pytest.approx(a.sum() / b.sum(), rel=1e-12)
    assert st_["stderr"] == pytest.approx(naive_stderr(a, b), rel=1e-10)
    half = stats.t.ppf(0.975, keep.sum() - 1) * naive_stderr(a, b)
    assert st_["ci"] == pytest.approx([st_["mean"] - half, st_["mean"] + half], rel=1e-10)
    # ignored samples are not samples: the plain mean's stderr is the sem over the rest
    check_plain(doc(*args)["stats"], nll)


def test_shifted_and_masked_positions_are_not_samples(tmp_path):
    b_, t_, v = 3, 6, 5
    x = RNG.normal(size=(b_, t_, v))
    ids = RNG.integers(0, v, size=(b_, t_))
    mask = np.ones((b_, t_), dtype=int)
    mask[0, 4:] = 0
    mask[2, 5:] = 0
    for name, arr in (("x", x), ("ids", ids), ("mask", mask)):
        np.save(tmp_path / f"{name}.npy", arr)
    lp = log_softmax(x[:, :-1])
    target, scored = ids[:, 1:], mask[:, 1:] == 1
    losses = -np.take_along_axis(lp, target[..., None], -1)[..., 0][scored]
    d = doc(
        "categorical",
        tmp_path / "x.npy",
        tmp_path / "ids.npy",
        "--shift",
        "--mask",
        tmp_path / "mask.npy",
    )
    check_plain(d["stats"], losses)


def test_binary_multilabel_a_sample_is_a_row_and_elementwise_an_element(tmp_path):
    n, k = 120, 3
    x = RNG.normal(size=(n, k)) * 3
    y = (RNG.random((n, k)) < 0.4).astype(float)
    s = RNG.uniform(0.5, 2, size=n)
    for name, arr in (("x", x), ("y", y), ("s", s)):
        np.save(tmp_path / f"{name}.npy", arr)
    e = bce_logits(x, y)
    args = [tmp_path / "x.npy", tmp_path / "y.npy", "--from", "logits"]
    # a sample's loss is the mean over its K columns; the mean divides by N·K: rows are samples
    check_plain(doc("binary", *args)["stats"], e.mean(axis=1))
    check_plain(doc("binary", *args, "--elementwise")["stats"], e.ravel())
    # sample weights: aᵢ = sᵢ·Σₖ ℓᵢₖ, bᵢ = K·sᵢ
    st_ = doc("binary", *args, "--sample-weight", tmp_path / "s.npy")["stats"]
    assert st_["stderr"] == pytest.approx(naive_stderr(s * e.sum(axis=1), k * s), rel=1e-10)
    # --pos-weight is in the per-sample loss
    pw = np.array([1.0, 2.0, 0.5])
    lw = pw * y * np.log1p(np.exp(-x)) + (1 - y) * np.log1p(np.exp(x))
    check_plain(doc("binary", *args, "--pos-weight", "1,2,0.5")["stats"], lw.mean(axis=1))


def test_binary_one_column_probabilities(tmp_path):
    p = RNG.uniform(0.05, 0.95, size=80)
    y = (RNG.random(80) < p).astype(int)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "y.npy", y)
    losses = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    check_plain(doc("binary", tmp_path / "p.npy", tmp_path / "y.npy")["stats"], losses)


def test_entropy_and_kl(tmp_path):
    p = RNG.dirichlet(np.ones(4), size=60)
    q = RNG.dirichlet(np.ones(4), size=60)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    check_plain(
        doc("entropy", tmp_path / "p.npy", "--from", "probs")["stats"],
        stats.entropy(p, axis=1),
    )
    kl = doc("kl", tmp_path / "p.npy", tmp_path / "q.npy", "--from", "probs")["stats"]
    check_plain(kl, stats.entropy(p, q, axis=1))
    assert "perplexity_ci" not in kl  # no perplexity for KL


def test_one_sample_has_no_stderr():
    st_ = doc("categorical", "[[1,2,3]]", "[0]", "--from", "logits")["stats"]
    assert st_["stderr"] == "nan" and st_["ci"] == ["nan", "nan"]
    assert st_["perplexity_ci"] == ["nan", "nan"]


def test_table_rows_and_quiet_output_unchanged():
    args = ["categorical", "[[1,2,3],[2,4,6],[0,1,0]]", "[0,2,1]", "--from", "logits"]
    run = run_cece(*args)
    lines = [line.strip() for line in run.out.splitlines()]
    assert any(line.startswith("± stderr ") for line in lines)
    assert any(line.startswith("95 % CI ") and line.endswith("]") for line in lines)
    assert any(line.startswith("perplexity 95 % CI ") for line in lines)
    ninety = run_cece(*args, "--confidence", "0.9").out
    assert "90 % CI" in ninety and "95 % CI" not in ninety
    quiet = run_cece(*args, "-q")
    assert quiet.code == 0 and len(quiet.out.splitlines()) == 1 and float(quiet.out)


@pytest.mark.parametrize(
    "value, shown", [("1", "1"), ("0", "0"), ("1.5", "1.5"), ("-0.2", "-0.2"), ("nan", "nan")]
)
@pytest.mark.parametrize("command", ["categorical", "binary", "entropy", "kl", "merge"])
def test_confidence_outside_zero_one_is_refused(command, value, shown):
    args = {
        "categorical": ["[[1,2]]", "[0]"],
        "binary": ["0.3", "1"],
        "entropy": ["[[0.5,0.5]]"],
        "kl": ["[[0.5,0.5]]", "[[0.5,0.5]]"],
        "merge": [str(ROOT / "sample_data" / "shard_a.json")],
    }[command]
    run = run_cece(command, *args, "--confidence", value)
    assert run.code == 2 and run.out == ""
    assert run.err.splitlines() == [f"cece: error: --confidence must be in (0, 1); got {shown}"]


def _shards(tmp_path: Path, x: np.ndarray, y: np.ndarray, cuts: list[int], *opts) -> list[str]:
    paths = []
    for i, (lo, hi) in enumerate(zip([0, *cuts], [*cuts, len(x)])):
        np.save(tmp_path / f"x{i}.npy", x[lo:hi])
        np.save(tmp_path / f"y{i}.npy", y[lo:hi])
        out = tmp_path / f"s{i}.json"
        run = run_cece(
            "categorical", tmp_path / f"x{i}.npy", tmp_path / f"y{i}.npy", *opts, "-f", "json",
            "-o", out,
        )  # fmt: skip
        assert run.code == 0, run.err
        paths.append(str(out))
    return paths


def test_merged_shards_have_the_single_runs_stderr(tmp_path):
    n = 250
    x = RNG.normal(size=(n, 4))
    y = RNG.integers(0, 4, size=n)
    y[::7] = -100
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    opts = ["--from", "logits", "--ignore-index", "-100", "--weight", "1,2,3,0.5"]
    whole = doc("categorical", tmp_path / "x.npy", tmp_path / "y.npy", *opts)["stats"]
    merged = doc("merge", *_shards(tmp_path, x, y, [40, 41, 170], *opts))["stats"]
    assert merged["stderr"] == pytest.approx(whole["stderr"], rel=1e-12)
    assert merged["ci"] == pytest.approx(whole["ci"], rel=1e-12)
    assert merged["perplexity_ci"] == pytest.approx(whole["perplexity_ci"], rel=1e-12)


def test_blocked_and_threaded_runs_have_the_single_blocks_stderr(tmp_path, monkeypatch):
    x = RNG.normal(size=(200, 3))
    y = RNG.integers(0, 3, size=200)
    s = RNG.uniform(0.2, 3, size=200)
    for name, arr in (("x", x), ("y", y), ("s", s)):
        np.save(tmp_path / f"{name}.npy", arr)
    args = ["categorical", tmp_path / "x.npy", tmp_path / "y.npy", "--from", "logits"]
    args += ["--sample-weight", tmp_path / "s.npy"]
    whole = doc(*args)["stats"]
    monkeypatch.setattr(blocks, "ROWS", 7)
    monkeypatch.setenv("CECE_THREADS", "2")
    blocked = doc(*args)["stats"]
    assert blocked["stderr"] == pytest.approx(whole["stderr"], rel=1e-12)
    assert blocked["ci"] == pytest.approx(whole["ci"], rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 50, allow_subnormal=False), min_size=2, max_size=40),
    st.data(),
)
def test_merging_block_summaries_in_any_partition_is_one_summary(losses, data):
    loss = np.array(losses)
    weights = np.array(
        data.draw(st.lists(st.floats(0.1, 10), min_size=len(loss), max_size=len(loss)))
    )
    cuts = sorted(data.draw(st.sets(st.integers(1, len(loss) - 1), max_size=6)))

    def summary(lo: int, hi: int) -> Summary:
        a, b = weights[lo:hi] * loss[lo:hi], weights[lo:hi]
        return Summary.of(
            loss[lo:hi],
            weighted_sum=float(a.sum()),
            weight_sum=float(b.sum()),
            ignored=0,
            correct=0,
            moments=RatioMoments.of(a, b),
        )

    one = summary(0, len(loss))
    total = Summary()
    for lo, hi in zip([0, *cuts], [*cuts, len(loss)]):
        part = Summary.from_dict(json.loads(json.dumps(summary(lo, hi).to_dict())))
        total.merge(part)
    expected = naive_stderr(weights * loss, weights)
    assert one.stderr == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert total.stderr == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_old_documents_merge_without_stderr_and_say_so(tmp_path):
    old = json.loads((ROOT / "sample_data" / "shard_a.json").read_text())
    assert "moments" not in old["summary"]  # written before documents kept them
    new = tmp_path / "new.json"
    run = run_cece(
        "categorical", "[[3,1,2]]", "[1]", "--from", "logits", "--classes", "cat,dog,pig",
        "-f", "json", "-o", new,
    )  # fmt: skip
    assert run.code == 0, run.err
    shard_a = str(ROOT / "sample_data" / "shard_a.json")
    run = run_cece("merge", shard_a, str(new), "-f", "json")
    assert run.code == 0, run.err
    merged = json.loads(run.out)
    assert "stderr" not in merged["stats"] and "ci" not in merged["stats"]
    assert merged["input"]["shards_without_moments"] == [shard_a]
    assert merged["summary"]["moments"] is None
    assert (
        f"cece: note: {shard_a}: written by an older cece, no moments of the mean: the merge "
        "has no stderr or ci"
    ) in run.err.splitlines()
    table = run_cece("merge", shard_a, str(new)).out
    assert "stderr" not in table and "CI" not in table
