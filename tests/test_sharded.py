"""Shards on the local engine: one computation over many files, folded in shard order.

Checked against the two things a sharded run must equal: ``cece merge`` of the shards' own
documents (the same sums, folded in the same order: to the bit), and one run over the
concatenated file (count, min, max, median, accuracy and the worst K exactly; mean, sum and
std within a few ulps, as the sums are added in another order).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cece.engine import select
from cece.engine.reduce import LossLog, histogram

from conftest import run_cece

EXACT = ("count", "ignored", "min", "max", "median", "accuracy")
CLOSE = ("mean", "sum", "std")


def write_shards(tmp_path, rows, *, classes=10, seed=0, scale=3.0, labels=True):
    """PREDS/LABELS shards of the given row counts, and the concatenated pair."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for i, n in enumerate(rows):
        x = (rng.normal(size=(n, classes)) * scale).astype(np.float32)
        y = rng.integers(0, classes, n)
        np.save(tmp_path / f"preds-{i}.npy", x)
        if labels:
            np.save(tmp_path / f"labels-{i}.npy", y)
        xs.append(x)
        ys.append(y)
    np.save(tmp_path / "all-preds.npy", np.concatenate(xs))
    np.save(tmp_path / "all-labels.npy", np.concatenate(ys))
    return str(tmp_path / "preds-*.npy"), str(tmp_path / "labels-*.npy")


def doc(*args) -> dict:
    run = run_cece(*args, "-f", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


def ulps(a: float, b: float) -> float:
    return abs(a - b) / math.ulp(max(abs(a), abs(b))) if a != b else 0.0


def same_as_one_file(sharded: dict, whole: dict, *, n_ulps: int = 4) -> None:
    """Exact where the statistic is an order statistic or a count; binary's accuracy over K
    columns adds shares of a sample (k/K), so it is close, not exact."""
    fractional = sharded["command"] == "binary" and sharded["input"]["shape"][-1] > 1
    for key in EXACT:
        if not (fractional and key == "accuracy"):
            assert sharded["stats"].get(key) == whole["stats"].get(key), key
    for key in CLOSE + (("accuracy",) if fractional else ()):
        assert ulps(sharded["stats"][key], whole["stats"][key]) <= n_ulps, key


def test_shards_equal_merge_to_the_bit_and_one_file_within_ulps(tmp_path):
    preds, labels = write_shards(tmp_path, [300, 17, 1, 450, 128])
    sharded = doc("categorical", preds, labels, "--worst", "5", "--hist")
    whole = doc(
        "categorical", tmp_path / "all-preds.npy", tmp_path / "all-labels.npy", "--worst", "5"
    )
    same_as_one_file(sharded, whole)
    assert [(w["index"], w["loss"]) for w in sharded["worst"]] == [
        (w["index"], w["loss"]) for w in whole["worst"]
    ]
    for rec in sharded["worst"]:  # each names its shard and its index there
        shard = np.load(tmp_path / rec["shard"])
        assert 0 <= rec["shard_index"] < len(shard)
    documents = []
    for i in range(5):
        out = tmp_path / f"shard-{i}.json"
        args = ("categorical", tmp_path / f"preds-{i}.npy", tmp_path / f"labels-{i}.npy")
        assert run_cece(*args, "-f", "json", "-o", out).code == 0
        documents.append(str(out))
    merged = doc("merge", *documents)
    for key in ("count", "mean", "sum", "std", "min", "max", "stderr", "ci", "accuracy"):
        assert sharded["stats"][key] == merged["stats"][key], key
    assert sharded["summary"] == merged["summary"]
    facts = sharded["input"]
    assert facts["rows"] == 896 and facts["shape"] == [896, 10]
    assert [s["first_row"] for s in facts["shards"]] == [0, 300, 317, 318, 768]
    assert facts["engine"]["name"] == "local" and facts["engine"]["tasks"] == 5
    assert facts["preds"] == preds and facts["labels"] == labels
    losses = [json.loads(line)["loss"] for line in _jsonl(tmp_path / "all-preds.npy", tmp_path)]
    assert sharded["histogram"] == histogram(np.array(losses))


def _jsonl(preds, tmp_path) -> list[str]:
    run = run_cece("categorical", preds, tmp_path / "all-labels.npy", "-f", "jsonl")
    assert run.code == 0, run.err
    return run.out.splitlines()


def test_records_stream_in_shard_order_with_global_indexes(tmp_path):
    preds, labels = write_shards(tmp_path, [40, 3, 25])
    sharded = run_cece("categorical", preds, labels, "-f", "jsonl", "--from", "logits")
    whole = run_cece(
        "categorical",
        tmp_path / "all-preds.npy",
        tmp_path / "all-labels.npy",
        "-f",
        "jsonl",
        "--from",
        "logits",
    )
    assert sharded.code == whole.code == 0
    assert sharded.out == whole.out  # the same records, line for line


def test_samples_and_per_class_are_the_whole_runs(tmp_path):
    preds, labels = write_shards(tmp_path, [30, 30, 7], classes=4)
    args = ("--samples", "--per-class", "--from", "logits")
    sharded = doc("categorical", preds, labels, *args)
    whole = doc("categorical", tmp_path / "all-preds.npy", tmp_path / "all-labels.npy", *args)
    assert sharded["samples"] == whole["samples"]
    assert [r["count"] for r in sharded["per_class"]] == [r["count"] for r in whole["per_class"]]
    for a, b in zip(sharded["per_class"], whole["per_class"]):
        assert a["mean"] == pytest.approx(b["mean"], rel=1e-12)


def test_the_kind_is_decided_over_every_shard(tmp_path):
    """Shard 0 alone looks like probabilities; shard 1 rules them out: one file of both is
    logits, so shard 0 is computed again as logits (as decided, not as --from logits)."""
    probs = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, 1.0]])
    np.save(tmp_path / "p-0.npy", probs)
    np.save(tmp_path / "p-1.npy", logits)
    np.save(tmp_path / "l-0.npy", np.array([2, 2]))
    np.save(tmp_path / "l-1.npy", np.array([0, 1]))
    np.save(tmp_path / "all-p.npy", np.concatenate([probs, logits]))
    np.save(tmp_path / "all-l.npy", np.array([2, 2, 0, 1]))
    run = run_cece("categorical", tmp_path / "p-*.npy", tmp_path / "l-*.npy", "-f", "json")
    assert run.code == 0, run.err
    sharded = json.loads(run.out)
    whole = doc("categorical", tmp_path / "all-p.npy", tmp_path / "all-l.npy")
    assert sharded["input"]["kind"] == "logits" and sharded["input"]["kind_detected"] is True
    same_as_one_file(sharded, whole)
    notes = [line for line in run.err_lines if "treating" in line]
    assert notes == [
        f"cece: note: {tmp_path}/p-*.npy (2 shards): treating predictions as logits "
        "(values range over [-1, 3]); --from sets the kind"
    ]
    assert "looks like probabilities" not in run.err  # not the warning of an explicit kind


def test_a_bad_shard_is_its_own_error_line_with_the_global_row(tmp_path):
    preds, labels = write_shards(tmp_path, [10, 20, 5])
    bad = np.load(tmp_path / "preds-1.npy")
    bad[7, 3] = np.nan
    np.save(tmp_path / "preds-1.npy", bad)
    out = tmp_path / "out.json"
    run = run_cece("categorical", preds, labels, "-f", "json", "-o", out)
    line = run.error_line()
    assert line.startswith(f"cece: error: {tmp_path}/preds-1.npy: row 7, column 3: ")
    assert line.endswith("(row 17 of all shards)")
    assert not out.exists()


def test_shards_of_another_class_count_are_refused(tmp_path):
    np.save(tmp_path / "p-0.npy", np.zeros((2, 3)))
    np.save(tmp_path / "p-1.npy", np.zeros((2, 4)))
    np.save(tmp_path / "l-0.npy", np.array([0, 1]))
    np.save(tmp_path / "l-1.npy", np.array([0, 1]))
    line = run_cece("categorical", tmp_path / "p-*.npy", tmp_path / "l-*.npy").error_line()
    assert line == (
        f"cece: error: {tmp_path}/p-1.npy: has 4 prediction columns, but {tmp_path}/p-0.npy "
        "3; shards must be one computation"
    )


def test_binary_and_entropy_shards(tmp_path):
    rng = np.random.default_rng(3)
    xs = [rng.normal(size=(n, 3)) for n in (50, 9)]
    ys = [(rng.random((n, 3)) > 0.5).astype(float) for n in (50, 9)]
    for i, (x, y) in enumerate(zip(xs, ys)):
        np.save(tmp_path / f"s-{i}.npy", x)
        np.save(tmp_path / f"t-{i}.npy", y)
        np.save(tmp_path / f"q-{i}.npy", np.exp(x) / np.exp(x).sum(1, keepdims=True))
    np.save(tmp_path / "all-s.npy", np.concatenate(xs))
    np.save(tmp_path / "all-t.npy", np.concatenate(ys))
    np.save(
        tmp_path / "all-q.npy", np.concatenate([np.load(tmp_path / f"q-{i}.npy") for i in (0, 1)])
    )
    sharded = doc("binary", tmp_path / "s-*.npy", tmp_path / "t-*.npy", "--from", "logits")
    whole = doc("binary", tmp_path / "all-s.npy", tmp_path / "all-t.npy", "--from", "logits")
    same_as_one_file(sharded, whole)
    sharded = doc("entropy", tmp_path / "q-*.npy")
    whole = doc("entropy", tmp_path / "all-q.npy")
    same_as_one_file(sharded, whole)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, 400), min_size=1, max_size=6),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_the_median_of_parts_is_the_median(sizes, seed, ties):
    """select.median over losses split into parts anyhow equals the one-array median."""
    rng = np.random.default_rng(seed)
    total = sum(sizes)
    values = rng.integers(0, 5, total).astype(float) if ties else rng.exponential(2, total)
    if total:
        values[rng.integers(0, total)] = np.inf
    parts = np.split(values, np.cumsum(sizes)[:-1])
    keys = [select.keys_of(p) for p in parts]
    found = select.median(lambda r: [select.answer(k, r) for k in keys], total)
    log = LossLog()
    log.put(0, values.copy(), None)
    expected = log.median()
    assert found == expected or (math.isnan(found) and math.isnan(expected))
    if total:
        spreads = [select.spread(p) for p in parts]
        got = select.histogram(lambda r: [select.answer(k, r) for k in keys], spreads, total)
        assert got == histogram(values)


def test_keys_sort_as_the_floats_do():
    values = np.array([-np.inf, -1e300, -1.0, -5e-324, -0.0, 0.0, 5e-324, 1.0, 1e300, np.inf])
    keys = select.keys_of(values)
    assert (np.diff(keys.astype(object)) > 0).all()
    assert select.values_of(keys).tobytes() == values.tobytes()


def test_per_sequence_over_shards_lists_every_shards_sequences(tmp_path):
    """(B, T, V) logits in shards of 3, 1 and 4 sequences: the sequences of one file of all
    eight, numbered among all shards, each naming its shard; a note said of every shard once."""
    rng = np.random.default_rng(2)
    xs, ys = [], []
    for i, b in enumerate([3, 1, 4]):
        x = rng.normal(size=(b, 7, 11)).astype(np.float32)
        y = rng.integers(0, 11, (b, 7))
        y[0, :2] = -100
        np.save(tmp_path / f"logits-{i}.npy", x)
        np.save(tmp_path / f"ids-{i}.npy", y)
        xs.append(x)
        ys.append(y)
    np.save(tmp_path / "all-logits.npy", np.concatenate(xs))
    np.save(tmp_path / "all-ids.npy", np.concatenate(ys))
    args = ("--shift", "--per-sequence", "-f", "json")
    run = run_cece("categorical", tmp_path / "logits-*.npy", tmp_path / "ids-*.npy", *args)
    assert run.code == 0, run.err
    sharded = json.loads(run.out)
    whole = doc("categorical", tmp_path / "all-logits.npy", tmp_path / "all-ids.npy", *args[:-2])
    same_as_one_file(sharded, whole)
    assert [{k: v for k, v in r.items() if k != "shard"} for r in sharded["sequences"]] == (
        whole["sequences"]
    )
    assert [r["shard"] for r in sharded["sequences"]] == ["logits-0.npy"] * 3 + ["logits-1.npy"] + [
        "logits-2.npy"
    ] * 4
    assert sharded["stats"]["sequence_mean"] == pytest.approx(
        whole["stats"]["sequence_mean"], rel=1e-15
    )
    assert sum("--per-sequence: a sequence is" in line for line in run.err_lines) == 1


def test_one_count_for_all_shards_is_refused(tmp_path):
    preds, labels = write_shards(tmp_path, [4, 4])
    line = run_cece("categorical", preds, labels, "--bytes", "1000").error_line()
    assert line == (
        "cece: error: --bytes 1000: one count for all shards; give each shard its own counts"
    )


def test_merge_refuses_a_sharded_document_with_one_of_its_shards(tmp_path):
    preds, labels = write_shards(tmp_path, [9, 4])
    assert (
        run_cece("categorical", preds, labels, "-f", "json", "-o", tmp_path / "all.json").code == 0
    )
    one = ("categorical", tmp_path / "preds-1.npy", tmp_path / "labels-1.npy")
    assert run_cece(*one, "-f", "json", "-o", tmp_path / "one.json").code == 0
    line = run_cece("merge", tmp_path / "all.json", tmp_path / "one.json").error_line()
    assert line == (
        f"cece: error: {tmp_path}/one.json: was computed from the same inputs as "
        f"{tmp_path}/all.json (preds-1.npy, labels-1.npy); a shard given twice counts twice"
    )


def test_sums_do_not_depend_on_how_the_dump_was_cut():
    """Compensated sums: blocks added in any grouping give the same sum to the bit where the
    plain running sum drifts by ulps."""
    from cece.engine.reduce import Summary

    rng = np.random.default_rng(11)
    blocks = [rng.exponential(3, 1000) for _ in range(300)]
    parts = [
        Summary.of(b, weighted_sum=float(b.sum()), weight_sum=float(len(b)), ignored=0, correct=0)
        for b in blocks
    ]
    sequential, grouped = Summary(), Summary()
    for part in parts:
        sequential.merge(part)
    for start in range(0, len(parts), 37):  # shards of 37 blocks, then the shards
        shard = Summary()
        for part in parts[start : start + 37]:
            shard.merge(part)
        grouped.merge(shard)
    exact = math.fsum(float(b.sum()) for b in blocks)
    assert sequential.weighted_sum == grouped.weighted_sum == exact
    assert sequential.loss_sum == grouped.loss_sum
    assert ulps(sequential.std, grouped.std) <= 1


def _pair(tmp_path, name, arrays):
    for i, a in enumerate(arrays):
        np.save(tmp_path / f"{name}-{i}.npy", a)
    return str(tmp_path / f"{name}-*.npy")


def test_what_each_shard_decided_alone_must_agree(tmp_path):
    """Readings a shard makes of its own values (Q's kind, hard or soft targets, the default
    eps of its dtype) are one computation's only if they agree: else one line naming the
    option that decides."""
    rng = np.random.default_rng(18)
    q = _pair(tmp_path, "q", [rng.normal(size=(10, 4)), rng.dirichlet(np.ones(4), 8)])
    line = run_cece("kl", q, q).error_line()
    assert line.endswith(
        "q-1.npy: its q kind is probs, but "
        + f"{tmp_path}/q-0.npy's logits; shards must be one computation"
    )
    assert run_cece("kl", q, q, "--q-from", "probs").code == 2  # logits are not probabilities
    x = _pair(tmp_path, "bx", [rng.normal(size=(6, 2)), rng.normal(size=(5, 2))])
    y = _pair(tmp_path, "by", [rng.random((6, 2)), rng.integers(0, 2, (5, 2)).astype(float)])
    line = run_cece("binary", x, y).error_line()
    assert "by-1.npy" not in line and line.endswith(
        "bx-1.npy: its target is hard, but "
        + f"{tmp_path}/bx-0.npy's soft; shards must be one computation"
    )
    a = rng.dirichlet(np.ones(4), 10)
    p = _pair(tmp_path, "p", [a.astype(np.float16), a.astype(np.float32)])
    labels = _pair(tmp_path, "l", [rng.integers(0, 4, 10), rng.integers(0, 4, 10)])
    line = run_cece("categorical", p, labels, "--from", "probs").error_line()
    assert "was computed with eps = 1.1920928955078125e-07, but" in line
    assert run_cece("categorical", p, labels, "--from", "probs", "--eps", "1e-7").code == 0


def test_integer_labels_read_two_ways_are_refused(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(14)
    for i, y in enumerate([[0, 1, 2, 0, 1, 1], [1, 2, 3, 1, 3, 2]]):
        pd.DataFrame(rng.normal(size=(6, 3)).round(3), columns=["1", "2", "3"]).to_csv(
            tmp_path / f"h-{i}.csv", index=False
        )
        pd.DataFrame({"y": y}).to_csv(tmp_path / f"hl-{i}.csv", index=False)
    line = run_cece("categorical", tmp_path / "h-*.csv", tmp_path / "hl-*.csv").error_line()
    assert line == (
        f"cece: error: {tmp_path}/hl-1.csv: its integer labels were read as class names, but "
        f"{tmp_path}/hl-0.csv's as column indices; shards must be one computation"
    )


def test_a_per_row_file_for_every_shard_is_refused(tmp_path):
    preds, labels = write_shards(tmp_path, [10, 10])
    np.save(tmp_path / "f.npy", np.ones(10))
    line = run_cece("categorical", preds, labels, "--rescale", tmp_path / "f.npy").error_line()
    assert (
        line == f"cece: error: {tmp_path}/f.npy: one file cannot pair with the 2 shards of {preds}"
    )


def test_a_shard_with_every_sample_ignored_is_no_warning(tmp_path):
    rng = np.random.default_rng(2)
    x = _pair(tmp_path, "ix", [rng.normal(size=(30, 6)), rng.normal(size=(20, 6))])
    y = _pair(tmp_path, "iy", [rng.integers(0, 6, 30), np.full(20, -100)])
    run = run_cece("categorical", x, y, "--ignore-index", "-100", "--strict", "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["warnings"] == []
    y = _pair(tmp_path, "iz", [np.full(30, -100), np.full(20, -100)])
    run = run_cece("categorical", x, y, "--ignore-index", "-100", "-f", "json")
    assert json.loads(run.out)["warnings"] == ["every sample is ignored; the mean loss is nan"]


def test_shift_and_mask_counts_are_the_shards_totals(tmp_path):
    rng = np.random.default_rng(3)
    x = _pair(tmp_path, "lx", [rng.normal(size=(b, 7, 11)) for b in (3, 1, 2)])
    y = _pair(tmp_path, "ly", [rng.integers(0, 11, (b, 7)) for b in (3, 1, 2)])
    m = _pair(tmp_path, "lm", [(rng.random((b, 7)) > 0.3).astype(np.int64) for b in (3, 1, 2)])
    facts = doc("categorical", x, y, "--shift", "--mask", m)["input"]
    for name in ("lx", "ly", "lm"):
        whole = np.concatenate([np.load(tmp_path / f"{name}-{i}.npy") for i in range(3)])
        np.save(tmp_path / f"all-{name}.npy", whole)
    one = doc(
        "categorical",
        *(tmp_path / f"all-{n}.npy" for n in ("lx", "ly")),
        "--shift",
        "--mask",
        tmp_path / "all-lm.npy",
    )["input"]
    assert facts["shift"] == one["shift"]
    assert facts["mask"]["file"] == m and facts["mask"]["masked"] == one["mask"]["masked"]


def test_a_text_shards_error_has_its_line_and_the_row_among_all_shards(tmp_path):
    for i, (preds, labels) in enumerate(
        [("1,2,3\n4,5,6\n", "0\n1\n"), ("1,2,3\n4,5,6\n", "2\n7\n")]
    ):
        (tmp_path / f"c-{i}.csv").write_text(preds)
        (tmp_path / f"cl-{i}.csv").write_text(labels)
    line = run_cece("categorical", tmp_path / "c-*.csv", tmp_path / "cl-*.csv").error_line()
    assert line == (
        f"cece: error: {tmp_path}/cl-1.csv: line 2: label 7 is out of range for 3 classes "
        "(expected 0..2) (row 3 of all shards)"
    )


def test_an_empty_shard_adds_nothing(tmp_path):
    preds, labels = write_shards(tmp_path, [5, 0, 7])
    sharded = doc("categorical", preds, labels, "--from", "logits")
    whole = doc(
        "categorical", tmp_path / "all-preds.npy", tmp_path / "all-labels.npy", "--from", "logits"
    )
    same_as_one_file(sharded, whole)
    assert [s["rows"] for s in sharded["input"]["shards"]] == [5, 7]


def test_records_stream_under_the_kind_all_shards_decide(tmp_path):
    """Shard 0 alone looks like probabilities, shard 1 is logits: the records are written
    under the kind of all shards (logits), the same lines as one file's, never half of
    them under a kind a later shard rules out."""
    rng = np.random.default_rng(9)
    probs = rng.dirichlet(np.ones(4), 30)
    logits = rng.normal(size=(30, 4)) * 3
    x = _pair(tmp_path, "k", [probs, logits])
    y = _pair(tmp_path, "kl", [rng.integers(0, 4, 30), rng.integers(0, 4, 30)])
    np.save(tmp_path / "K.npy", np.concatenate([probs, logits]))
    np.save(
        tmp_path / "KL.npy", np.concatenate([np.load(tmp_path / f"kl-{i}.npy") for i in (0, 1)])
    )
    sharded = run_cece("categorical", x, y, "-f", "jsonl")
    whole = run_cece("categorical", tmp_path / "K.npy", tmp_path / "KL.npy", "-f", "jsonl")
    assert sharded.code == whole.code == 0, sharded.err
    assert sharded.out == whole.out
    p = _pair(tmp_path, "pp", [probs, rng.dirichlet(np.ones(4), 30)])  # probabilities throughout
    run = run_cece("categorical", p, y, "-f", "csv")
    assert run.code == 0 and "treating predictions as probs" in run.err
