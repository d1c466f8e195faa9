"""``cece categorical --per-sequence``, ``--sequence-ids``, ``--bytes``, ``--words``.

Stored references come from tests/generate_lm_sequences.py (PyTorch's ``cross_entropy`` on
Hugging Face's shifted causal-LM layout, per-sequence means, and lm-eval-harness'
``weighted_perplexity`` / ``bits_per_byte``; versions in tests/data/lm_sequences.json). The
suite runs without torch. Beside them: a naive reference from the formula, Hypothesis
properties, merges of shards, and the exact error line of every refusal.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cece.report
from cece.errors import InputError, OptionError
from cece.losses import sequences

from conftest import run_cece

DATA = Path(__file__).parent / "data"
DUMPS = DATA / "lm_sequences"
REFS = json.loads((DATA / "lm_sequences.json").read_text())["cases"]
SCHEMA = json.loads((Path(cece.report.__file__).parent / "result.schema.json").read_text())
REL = 1e-6


def _run(*args: str, cwd: Path = DUMPS):
    here = os.getcwd()
    os.chdir(cwd)
    try:
        return run_cece(*args)
    finally:
        os.chdir(here)


def _close(got, want, rel=REL):
    if want is None:
        assert got is None
    else:
        assert got == pytest.approx(want, rel=rel)


@pytest.mark.parametrize("case", sorted(REFS))
def test_peer_values(case, kernel_path):
    ref = REFS[case]
    r = _run("categorical", *ref["args"], "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    jsonschema.validate(doc, SCHEMA)
    stats = doc["stats"]
    _close(doc["loss"], ref["loss"])
    assert stats["count"] == ref["count"]
    _close(stats["perplexity"], ref["perplexity"])
    for key in ("sequence_mean", "bits_per_byte", "byte_perplexity", "word_perplexity"):
        if key in ref:
            _close(stats[key], ref[key])
        else:
            assert key not in stats
    assert stats["sequences"] == ref["sequences"]
    assert stats["sequences_empty"] == ref["sequences_empty"]
    assert len(doc["sequences"]) == len(ref["rows"])
    for got, want in zip(doc["sequences"], ref["rows"]):
        assert set(got) == set(want)
        for key, value in want.items():
            _close(got[key], value) if isinstance(value, float) else None
            if not isinstance(value, float):
                assert got[key] == value, (key, got, want)


def naive(loss, seq, weight=None, valid=None):
    """Per-sequence means from the formula, one token at a time."""
    sums: dict = {}
    for i, (l_, s) in enumerate(zip(loss, seq)):
        w = 1.0 if weight is None else weight[i]
        ok = True if valid is None else valid[i]
        n, num, den = sums.get(s, (0, 0.0, 0.0))
        sums[s] = (n + ok, num + (w * l_ if ok else 0.0), den + (w if ok else 0.0))
    return {s: (n, num / den if n else math.nan) for s, (n, num, den) in sums.items()}


def test_library_matches_naive():
    rng = np.random.default_rng(5)
    loss = rng.gamma(2.0, size=40)
    seq = np.repeat([3, 8, 1, 4], [10, 5, 20, 5])
    w = rng.random(40)
    valid = rng.random(40) > 0.2
    ids, n, m = sequences.per_sequence(loss, seq, weight=w, valid=valid)
    want = naive(loss, seq, w, valid)
    assert ids.tolist() == [3, 8, 1, 4]
    for k, count, mean in zip(ids.tolist(), n.tolist(), m.tolist()):
        assert count == want[k][0]
        assert mean == pytest.approx(want[k][1], rel=1e-12)


def test_cli_matches_naive(tmp_path):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3, 5, 4)) * 2
    y = rng.integers(0, 4, size=(3, 5))
    y[1, 2:] = -100
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    r = _run(
        "categorical",
        "x.npy",
        "y.npy",
        "--ignore-index",
        "-100",
        "--per-sequence",
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    z = x - x.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    valid = y != -100
    nll = -np.take_along_axis(logp, np.where(valid, y, 0)[..., None], -1)[..., 0]
    want = naive(nll.ravel(), np.repeat(np.arange(3), 5), valid=valid.ravel())
    for row in doc["sequences"]:
        assert row["tokens"] == want[row["sequence"]][0]
        assert row["loss"] == pytest.approx(want[row["sequence"]][1], rel=1e-12)


# -- properties ------------------------------------------------------------------------------------

runs = st.lists(st.integers(1, 6), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None)
@given(runs=runs, seed=st.integers(0, 2**31), split=st.integers(0, 100))
def test_properties(tmp_path_factory, runs, seed, split):
    """sequence_mean is the mean of the per-sequence means; the pooled mean is
    Σ tokens·means / Σ tokens; two shards merged give what the whole gives."""
    rng = np.random.default_rng(seed)
    n = sum(runs)
    x = rng.normal(size=(n, 5)) * 3
    y = rng.integers(0, 5, size=n)
    ids = np.repeat(np.arange(len(runs)) * 3 + 1, runs)
    d = tmp_path_factory.mktemp("p")
    np.save(d / "x.npy", x)
    np.save(d / "y.npy", y)
    np.save(d / "ids.npy", ids)
    whole = _doc(d, "x.npy", "y.npy", "ids.npy", "--bytes", str(3 * n))
    rows = whole["sequences"]
    means = [r["loss"] for r in rows]
    tokens = [r["tokens"] for r in rows]
    assert whole["stats"]["sequence_mean"] == pytest.approx(np.mean(means), rel=1e-12)
    pooled = sum(t * m for t, m in zip(tokens, means)) / sum(tokens)
    assert whole["loss"] == pytest.approx(pooled, rel=1e-12)
    # shards cut at a sequence boundary
    cut = int(np.cumsum(runs)[:-1][split % len(runs[:-1])]) if len(runs) > 1 else None
    if cut is None:
        return
    parts = []
    for i, sl in enumerate((slice(0, cut), slice(cut, None))):
        np.save(d / f"x{i}.npy", x[sl])
        np.save(d / f"y{i}.npy", y[sl])
        np.save(d / f"ids{i}.npy", ids[sl])
        nbytes = 3 * len(y[sl])
        parts.append(_doc(d, f"x{i}.npy", f"y{i}.npy", f"ids{i}.npy", "--bytes", str(nbytes)))
        (d / f"s{i}.json").write_text(json.dumps(parts[-1]))
    r = _run("merge", "s0.json", "s1.json", "-f", "json", cwd=d)
    assert r.code == 0, r.err
    merged = json.loads(r.out)
    for key in ("mean", "sequence_mean", "bits_per_byte", "byte_perplexity"):
        assert merged["stats"][key] == pytest.approx(whole["stats"][key], rel=1e-12)
    assert [r["sequence"] for r in merged["sequences"]] == [r["sequence"] for r in rows]


def _doc(d: Path, *args: str) -> dict:
    x, y, ids, *rest = args
    r = _run(
        "categorical",
        x,
        y,
        "--from",
        "logits",
        "--per-sequence",
        "--sequence-ids",
        ids,
        *rest,
        "-f",
        "json",
        cwd=d,
    )
    assert r.code == 0, r.err
    return json.loads(r.out)


# -- outputs ---------------------------------------------------------------------------------------

ARGS = ["logits_f32.npy", "ids.npy", "--shift", "--mask", "mask.npy", "--per-sequence"]


def test_jsonl_one_record_a_sequence():
    r = _run("categorical", *ARGS, "--bytes", "bytes.txt", "-f", "jsonl")
    assert r.code == 0, r.err
    lines = [json.loads(line) for line in r.out.splitlines()]
    want = REFS["f32_mask_bytes_words"]["rows"]
    assert [x["sequence"] for x in lines] == [0, 1, 2, 3, 4]
    assert list(lines[0]) == ["sequence", "tokens", "loss", "perplexity", "bytes", "bits_per_byte"]
    assert lines[3]["loss"] is None and lines[3]["tokens"] == 0  # nothing scored
    assert lines[0]["loss"] == pytest.approx(want[0]["loss"], rel=REL)


def test_csv_one_record_a_sequence():
    r = _run("categorical", *ARGS, "-f", "csv")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert list(rows[0]) == ["sequence", "tokens", "loss", "perplexity"]
    assert rows[3]["loss"] == "" and rows[3]["tokens"] == "0"
    assert float(rows[1]["loss"]) == pytest.approx(REFS["f32_mask_bytes_words"]["rows"][1]["loss"])


def test_per_token_records_without_the_flag():
    r = _run("categorical", *ARGS[:-1], "-f", "jsonl")
    assert r.code == 0, r.err
    assert len(r.out.splitlines()) == 5 * 9  # one record a position, as before


def test_table_and_notes():
    r = _run("categorical", *ARGS, "--bytes", "bytes.txt")
    assert r.code == 0, r.err
    assert "per sequence" in r.out and "sequence mean" in r.out and "bits per byte" in r.out
    assert "sequences with no token" in r.out
    assert "cece: note: --per-sequence: a sequence is a row of the labels' first axis" in r.err
    assert "1 of 5 sequences have no scored token" in r.err
    # its bytes stay in the total (the text given); its own bits per byte is null, not 0
    assert "--bytes: " in r.err and "belong to sequences with no scored token" in r.err
    r = _run("categorical", *ARGS, "--bytes", "bytes.txt", "-f", "json")
    empty = [s for s in json.loads(r.out)["sequences"] if not s["tokens"]]
    assert empty and all(s["bits_per_byte"] is None and s["bytes"] >= 1 for s in empty)


def test_table_is_bounded(tmp_path):
    rng = np.random.default_rng(1)
    np.save(tmp_path / "x.npy", rng.normal(size=(30, 3, 4)))
    np.save(tmp_path / "y.npy", rng.integers(0, 4, size=(30, 3)))
    r = _run("categorical", "x.npy", "y.npy", "--per-sequence", "--from", "logits", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "… 10 more sequences" in r.out
    r = _run(
        "categorical",
        "x.npy",
        "y.npy",
        "--per-sequence",
        "--from",
        "logits",
        "--worst",
        "3",
        cwd=tmp_path,
    )
    assert "worst 3 sequences (highest mean loss first)" in r.out


def test_json_samples_and_sequences_together():
    r = _run("categorical", *ARGS, "-f", "json", "--samples")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert len(doc["samples"]) == 45 and len(doc["sequences"]) == 5
    jsonschema.validate(doc, SCHEMA)


def test_sequence_ids_column(tmp_path):
    table = "a,b,c,label,doc\n" + "\n".join(
        f"{i % 3},{(i * 7) % 5},{i % 2},{i % 3},{10 + i // 3}" for i in range(9)
    )
    (tmp_path / "t.csv").write_text(table + "\n")
    r = _run(
        "categorical",
        "t.csv",
        "--label-col",
        "label",
        "--sequence-ids",
        "doc",
        "--per-sequence",
        "--from",
        "logits",
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert [s["sequence"] for s in doc["sequences"]] == [10, 11, 12]
    assert doc["input"]["classes"] == ["a", "b", "c"]  # the id column is no score


def test_library_counts_and_formulas():
    assert sequences.bits_per_byte(8 * math.log(2), 4) == pytest.approx(2.0)
    assert sequences.normalized_perplexity(math.log(3) * 5, 5) == pytest.approx(3.0)
    with pytest.raises(OptionError, match="count 0 at position 1; counts must be ≥ 1"):
        sequences.counts([3, 0], "--bytes")
    with pytest.raises(OptionError, match=r"count 2\.5 is not a whole number"):
        sequences.counts([2.5], "--words")
    with pytest.raises(OptionError, match=r"count 2\.5 at position 1 is not a whole number"):
        sequences.counts([3, 2.5], "--words")


@pytest.mark.parametrize("count", [0, -3, 2.5, math.nan, math.inf])
def test_library_normalisations_refuse_a_count_that_is_no_count(count):
    for f in (sequences.bits_per_byte, sequences.normalized_perplexity):
        with pytest.raises(OptionError, match=r"^count: count "):
            f(1.0, count)


@pytest.mark.parametrize("nll", [-1.0, math.nan])
def test_library_normalisations_refuse_a_negative_log_likelihood(nll):
    with pytest.raises(OptionError, match="summed negative log-likelihood is ≥ 0"):
        sequences.bits_per_byte(nll, 4)
    with pytest.raises(OptionError, match="id 3 comes back at token 4"):
        sequences.per_sequence(np.ones(5), np.array([3, 3, 4, 4, 3]))
    with pytest.raises(InputError, match=r"sequence id 1\.5 is not a whole number"):
        sequences.sequence_ids(np.array([1.0, 1.5]), "ids")


# -- refusals: one line each -----------------------------------------------------------------------


def _error(*args: str, cwd: Path = DUMPS) -> str:
    r = _run("categorical", *args, cwd=cwd)
    return r.error_line()


def test_refusals(tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros((4, 3)))
    np.save(tmp_path / "lab.npy", np.array([0, 1, 2, 0]))
    np.save(tmp_path / "again.npy", np.array([1, 1, 2, 1]))
    np.save(tmp_path / "frac.npy", np.array([1, 1, 2.5, 2.5]))
    cases = {
        ("flat.npy", "lab.npy", "--per-sequence"): (
            "cece: error: --per-sequence needs sequences: labels with a sequence axis ((batch, "
            "tokens) for (batch, tokens, vocab) logits), or --sequence-ids FILE|COL for a flat "
            "dump; flat.npy has shape (4, 3)"
        ),
        ("flat.npy", "lab.npy", "--per-sequence", "--sequence-ids", "again.npy"): (
            "cece: error: again.npy: sequence id 1 comes back at row 3 after other ids: "
            "a new sequence, or the same one continued?"
        ),
        ("flat.npy", "lab.npy", "--per-sequence", "--sequence-ids", "frac.npy"): (
            "cece: error: frac.npy: row 2: sequence id 2.5 is not a whole number; expected "
            "integer ids"
        ),
        ("flat.npy", "lab.npy", "--sequence-ids", "again.npy"): (
            "cece: error: --sequence-ids says where sequences start; it goes with --per-sequence"
        ),
        ("flat.npy", "lab.npy", "--bytes", "0"): (
            "cece: error: --bytes: count 0; counts must be ≥ 1"
        ),
        ("flat.npy", "lab.npy", "--words", "12.5"): (
            "cece: error: --words: count 12.5 is not a whole number"
        ),
        ("flat.npy", "lab.npy", "--bytes", "[3, 4]"): (
            "cece: error: one count per sequence needs sequences: labels with a sequence axis "
            "((batch, tokens) for (batch, tokens, vocab) logits), or --sequence-ids FILE|COL "
            "for a flat dump; flat.npy has shape (4, 3)"
        ),
        ("flat.npy", "lab.npy", "--bytes", "10", "--sample-weight", "[1,2,1,1]"): (
            "cece: error: --bytes divides the summed log-likelihood of the scored tokens by "
            "the text's size; with --sample-weight the loss is not that log-likelihood"
        ),
        ("flat.npy", "lab.npy", "--words", "10", "--label-smoothing", "0.1"): (
            "cece: error: --words divides the summed log-likelihood of the scored tokens by "
            "the text's size; with --label-smoothing the loss is not that log-likelihood"
        ),
    }
    for args, line in cases.items():
        assert _error(*args, "--from", "logits", cwd=tmp_path) == line, args


def test_refusals_on_sequences():
    assert _error(*ARGS, "--bytes", "[10, 20]") == (
        "cece: error: --bytes [10, 20]: 2 counts for 5 sequences; expected one count per sequence"
    )
    assert _error(*ARGS[:-1], "--bytes", "9", "-f", "csv") == (
        "cece: error: --bytes adds statistics (the table, -f json); -f jsonl/csv write one "
        "record a token"
    )
    assert _error(*ARGS, "--sequence-ids", "ids.npy") == (
        "cece: error: --sequence-ids does not go with --shift: the sequences are the labels' "
        "first axis"
    )
    assert _error(*ARGS, "--bytes", "10", "--weight", ",".join(["1"] * 17)) == (
        "cece: error: --bytes divides the summed log-likelihood of the scored tokens by the "
        "text's size; with --weight the loss is not that log-likelihood"
    )


def test_counts_checked_after_a_column_of_ids(tmp_path):
    table = "a,b,label,doc\n" + "\n".join(f"{i},{-i},{i % 2},{i // 2}" for i in range(6))
    (tmp_path / "t.csv").write_text(table + "\n")
    line = _error(
        "t.csv",
        "--label-col",
        "label",
        "--sequence-ids",
        "doc",
        "--per-sequence",
        "--from",
        "logits",
        "--bytes",
        "[4, 5]",
        cwd=tmp_path,
    )
    assert line == (
        "cece: error: --bytes [4, 5]: 2 counts for 3 sequences; expected one count per sequence"
    )


def test_merge_refuses_straddling_ids(tmp_path):
    docs = []
    for i in range(2):
        np.save(tmp_path / f"x{i}.npy", np.full((2, 3), float(i)))  # two shards, not one twice
        np.save(tmp_path / f"y{i}.npy", np.array([0, 1]))
        np.save(tmp_path / f"i{i}.npy", np.array([4, 4]))
        docs.append(_doc(tmp_path, f"x{i}.npy", f"y{i}.npy", f"i{i}.npy"))
        (tmp_path / f"s{i}.json").write_text(json.dumps(docs[-1]))
    r = _run("merge", "s0.json", "s1.json", cwd=tmp_path)
    assert r.error_line() == (
        "cece: error: sequence id 4 is in both s0.json and s1.json: a sequence must not "
        "straddle shards (nor an id be reused)"
    )


def test_merge_of_batches_lists_every_sequence(tmp_path):
    for i, sl in enumerate((slice(0, 2), slice(2, 5))):
        x = np.load(DUMPS / "logits_f32.npy")[sl]
        np.save(tmp_path / f"x{i}.npy", x)
        np.save(tmp_path / f"y{i}.npy", np.load(DUMPS / "labels.npy")[sl])
        r = _run(
            "categorical",
            f"x{i}.npy",
            f"y{i}.npy",
            "--shift",
            "--per-sequence",
            "-f",
            "json",
            "-o",
            f"s{i}.json",
            cwd=tmp_path,
        )
        assert r.code == 0, r.err
    r = _run("merge", "s0.json", "s1.json", "-f", "json", cwd=tmp_path)
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    ref = REFS["f32_padded_labels"]
    assert [(s["shard"], s["sequence"]) for s in doc["sequences"]] == [
        ("s0.json", 0),
        ("s0.json", 1),
        ("s1.json", 0),
        ("s1.json", 1),
        ("s1.json", 2),
    ]
    assert doc["stats"]["sequence_mean"] == pytest.approx(ref["sequence_mean"], rel=REL)
    assert doc["loss"] == pytest.approx(ref["loss"], rel=REL)
    jsonschema.validate(doc, SCHEMA)


@pytest.mark.parametrize("rows", [1, 4, 7])
@pytest.mark.parametrize("case", ["f32_weights", "flat_ids", "f16_mask_bytes_words"])
def test_sequences_straddle_blocks(monkeypatch, rows, case, kernel_path):
    """Blocks of a few rows (sequences cut across blocks, folded in order) give the stored
    values, on the compiled and the numpy path."""
    from cece.io import blocks

    monkeypatch.setattr(blocks, "ROWS", rows)
    ref = REFS[case]
    r = _run("categorical", *ref["args"], "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    _close(doc["stats"]["sequence_mean"], ref["sequence_mean"])
    for got, want in zip(doc["sequences"], ref["rows"], strict=True):
        assert (got["sequence"], got["tokens"]) == (want["sequence"], want["tokens"])
        _close(got["loss"], want["loss"])


def test_sequence_ids_checked_across_blocks(monkeypatch, tmp_path):
    """A PREDS column of ids is read in blocks: an id that comes back in a later block is
    refused all the same."""
    from cece.io import blocks

    monkeypatch.setattr(blocks, "ROWS", 2)
    table = "a,b,label,doc\n" + "\n".join(
        f"{i},{-i},{i % 2},{d}" for i, d in enumerate([5, 5, 6, 6, 6, 5])
    )
    (tmp_path / "t.csv").write_text(table + "\n")
    line = _error(
        "t.csv",
        "--label-col",
        "label",
        "--sequence-ids",
        "doc",
        "--per-sequence",
        "--from",
        "logits",
        cwd=tmp_path,
    )
    assert line == (
        "cece: error: t.csv: column 'doc': sequence id 5 comes back at row 5 after other ids: a new sequence, "
        "or the same one continued?"
    )
