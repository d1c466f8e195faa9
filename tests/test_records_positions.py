"""Records of N-D inputs carry their position; ignored positions their real label; --per-class
lists the classes that occur; JSON --samples is streamed.

Per-position losses are PyTorch's (``cross_entropy(reduction="none")`` on the K-dimensional
form, stored by tests/generate_records_oracles.py in tests/data/records_oracles.json).
"""

from __future__ import annotations

import csv
import io
import json
import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from conftest import run_cece

ORACLES = json.loads((pathlib.Path(__file__).parent / "data" / "records_oracles.json").read_text())[
    "cases"
]
CASES = {c["name"]: c for c in ORACLES}


def _case_files(write, name: str, *, class_axis: int | None = None):
    c = CASES[name]
    x = np.asarray(c["logits"], np.float32)
    if class_axis is not None:
        x = np.moveaxis(x, -1, class_axis)
    return write(f"{name}.npy", x), write(f"{name}_labels.npy", np.asarray(c["labels"])), c


def _jsonl(*args) -> list[dict]:
    run = run_cece(*args, "-f", "jsonl")
    assert run.code == 0, run.err
    return [json.loads(line) for line in run.out.splitlines()]


def _check_against_torch(records: list[dict], c: dict, axes: list[str]) -> None:
    loss = np.asarray(c["loss"])
    labels = np.asarray(c["labels"])
    p_target = np.asarray(c["p_target"], dtype=object)
    predicted = np.asarray(c["predicted"])
    assert len(records) == loss.size
    for i, rec in enumerate(records):
        where = np.unravel_index(i, loss.shape)
        assert rec["index"] == i
        assert [rec[a] for a in axes] == [int(w) for w in where]
        assert rec["loss"] == pytest.approx(
            loss[where], rel=1e-6, abs=1e-7
        )  # float32 logits: rtol as test_losses
        assert rec["target"] == labels[where]  # -100 for padding, not class 0
        assert rec["ignored"] is bool(labels[where] == -100)
        assert rec["predicted"] == predicted[where]
        if labels[where] == -100:
            assert rec["p_target"] is None and p_target[where] is None
        else:
            assert rec["p_target"] == pytest.approx(p_target[where], rel=1e-6)


def test_sequence_and_position_match_pytorch(write, kernel_path):
    preds, labels, c = _case_files(write, "sequences")
    records = _jsonl("categorical", preds, labels, "--ignore-index", "-100")
    assert list(records[0])[:3] == ["index", "sequence", "position"]
    _check_against_torch(records, c, ["sequence", "position"])


def test_class_axis_one_is_pytorchs_layout(write):
    """(B, V, T) logits with --class-axis 1: the records are PyTorch's (B, T) output."""
    preds, labels, c = _case_files(write, "sequences", class_axis=1)
    records = _jsonl("categorical", preds, labels, "--ignore-index", "-100", "--class-axis", "1")
    _check_against_torch(records, c, ["sequence", "position"])


def test_more_label_axes_are_axis0_axis1(write):
    preds, labels, c = _case_files(write, "three_axes")
    records = _jsonl("categorical", preds, labels, "--ignore-index", "-100")
    assert list(records[0])[:4] == ["index", "axis0", "axis1", "axis2"]
    _check_against_torch(records, c, ["axis0", "axis1", "axis2"])


def test_json_samples_and_csv_and_table_carry_positions(write):
    preds, labels, c = _case_files(write, "sequences")
    args = ("categorical", preds, labels, "--ignore-index", "-100")
    run = run_cece(*args, "-f", "json", "--samples")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["loss"] == pytest.approx(c["mean"], rel=1e-6)  # PyTorch's mean
    assert doc["samples"] == _jsonl(*args)
    _check_against_torch(doc["samples"], c, ["sequence", "position"])
    run = run_cece(*args, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert list(rows[0])[:3] == ["index", "sequence", "position"]
    labels_flat = np.asarray(c["labels"]).ravel()
    for rec, label in zip(rows, labels_flat):
        assert int(rec["target"]) == label
        assert (rec["p_target"] == "") is bool(label == -100)
    run = run_cece(*args, "--rows", "all")
    header = next(line for line in run.out.splitlines() if "sequence" in line)
    assert header.split()[:4] == ["#", "sequence", "position", "target"]
    first_ignored = int(np.flatnonzero(labels_flat == -100)[0])
    line = next(ln for ln in run.out.splitlines() if ln.split()[:1] == [str(first_ignored)])
    seq, pos = np.unravel_index(first_ignored, np.shape(c["labels"]))
    assert line.split()[:4] == [str(first_ignored), str(seq), str(pos), "-100"]


def test_ignored_named_target_is_null(write):
    x = np.zeros((1, 2, 3))
    y = np.array([[1, -100]])
    args = ("categorical", write("x.npy", x), write("y.npy", y), "--ignore-index", "-100")
    records = _jsonl(*args, "--classes", "a,b,c")
    assert records[1]["target"] == -100 and records[1]["target_class"] is None
    assert records[1]["p_target"] is None and records[0]["target_class"] == "b"
    run = run_cece(*args, "--classes", "a,b,c")
    assert "None" not in run.out


def test_two_dimensional_inputs_keep_plain_records(write):
    x = np.array([[1.0, 2.0], [0.5, 0.1]])
    records = _jsonl("categorical", write("x.npy", x), write("y.npy", np.array([0, 1])))
    assert list(records[0])[:2] == ["index", "loss"] and "position" not in records[0]


def _per_class_reference(x: np.ndarray, y: np.ndarray, ignore: int | None) -> list[dict]:
    losses = reference.categorical(x, y.tolist(), ignore_index=ignore, reduction="none")
    rows = []
    for c in sorted(set(y.tolist()) - {ignore}):
        mask = y == c
        values = [v for v, m in zip(losses, mask) if m]
        correct = [int(np.argmax(x[i]) == c) for i in np.flatnonzero(mask)]
        rows.append(
            {
                "class": str(c),
                "count": len(values),
                "mean": math.fsum(values) / len(values),
                "accuracy": sum(correct) / len(values),
            }
        )
    return rows


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 40),
    vocab=st.sampled_from([3, 50, 5000]),
    seed=st.integers(0, 2**32 - 1),
)
def test_per_class_lists_the_classes_that_occur(tmp_path_factory, n, vocab, seed):
    """Both ways of counting (dense bincount, the classes of a short block) give the
    naive grouping; classes that never occur are left out."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, vocab))
    y = rng.integers(0, min(vocab, 7), n)
    y[rng.random(n) < 0.2] = -100
    d = tmp_path_factory.mktemp("pc")
    np.save(d / "x.npy", x)
    np.save(d / "y.npy", y)
    run = run_cece(
        "categorical",
        str(d / "x.npy"),
        str(d / "y.npy"),
        "--ignore-index",
        "-100",
        "--per-class",
        "--from",  # one row of 3 normals can lie in [0, 1]: cece then asks which kind
        "logits",
        "-f",
        "json",
    )
    assert run.code == 0, run.err
    got = json.loads(run.out)["per_class"]
    want = _per_class_reference(x, y, -100)
    assert [r["class"] for r in got] == [r["class"] for r in want]
    for g, w in zip(got, want):
        assert g["count"] == w["count"]
        assert g["mean"] == pytest.approx(w["mean"], rel=1e-12)
        assert g["accuracy"] == pytest.approx(w["accuracy"], rel=1e-12)


def test_per_class_table_shows_the_most_frequent(write):
    rng = np.random.default_rng(3)
    y = np.repeat(np.arange(30), np.arange(30) + 1)  # class c occurs c + 1 times
    x = rng.standard_normal((len(y), 40000)).astype(np.float32)
    preds, labels = write("x.npy", x), write("y.npy", y)
    run = run_cece("categorical", preds, labels, "--per-class", "--from", "logits")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("per class"))
    assert " ".join(lines[start : start + 2]).split() == [
        "per",
        "class",
        "(the",
        "20",
        "most",
        "frequent",
        "true",
        "classes)",
    ]
    shown = [ln.split() for ln in lines[start + 1 :] if ln.split()[:1] and ln.split()[0].isdigit()]
    assert [int(r[0]) for r in shown] == list(range(29, 9, -1))  # most frequent first
    assert [int(r[1]) for r in shown] == list(range(30, 10, -1))
    more = "… 10 more classes occur (-f json lists them all; classes that never occur are left out)"
    assert more in " ".join(run.out.split())
    doc = json.loads(run_cece("categorical", preds, labels, "--per-class", "-f", "json").out)
    assert [r["class"] for r in doc["per_class"]] == [str(c) for c in range(30)]


def test_streamed_json_document_is_the_buffered_one(write):
    """Streaming moves ``samples`` after the header keys; every key and value is kept."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 70000, 4))  # several blocks
    y = rng.integers(0, 4, (3, 70000))
    preds, labels = write("x.npy", x), write("y.npy", y)
    run = run_cece("categorical", preds, labels, "-f", "json", "--samples")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert list(doc)[:4] == ["cece_version", "schema_version", "command", "samples"]
    assert len(doc["samples"]) == 210000
    assert doc["samples"][-1]["sequence"] == 2 and doc["samples"][-1]["position"] == 69999
    want = reference.categorical(x.reshape(-1, 4)[-3:], y.ravel()[-3:].tolist(), reduction="none")
    assert [r["loss"] for r in doc["samples"][-3:]] == pytest.approx(want, rel=1e-12)
    plain = json.loads(run_cece("categorical", preds, labels, "-f", "json").out)
    for key in ("input", "options", "loss", "stats", "summary"):
        assert doc[key] == plain[key]
    none = json.loads(run_cece("categorical", preds, labels, "-f", "json", "-r", "none").out)
    assert none["samples"][:5] == doc["samples"][:5] and none["loss"] is None


def test_streamed_json_spells_infinite_losses_as_before(write):
    p = write("p.csv", "0.0,1.0\n0.5,0.5\n")
    run = run_cece(
        "categorical", p, "[0,1]", "--eps", "0", "--from", "probs", "-f", "json", "--samples"
    )
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["samples"][0]["loss"] == "inf" and doc["loss"] == "inf"


def test_streamed_document_follows_the_schema(write):
    import importlib.resources as resources

    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(resources.files("cece.report").joinpath("result.schema.json").read_text())
    for name in ("sequences", "three_axes"):
        preds, labels, _ = _case_files(write, name)
        run = run_cece(
            "categorical",
            preds,
            labels,
            "--ignore-index",
            "-100",
            "--classes",
            ",".join("abcdefg"[: np.shape(CASES[name]["logits"])[-1]]),
            "-f",
            "json",
            "--samples",
            "--per-class",
        )
        assert run.code == 0, run.err
        doc = json.loads(run.out)
        jsonschema.validate(doc, schema)
        assert any(r["target_class"] is None for r in doc["samples"])


def test_merged_shards_list_their_classes_in_class_order(write, tmp_path):
    x = np.random.default_rng(7).standard_normal((4, 3))
    docs = []
    for i, y in enumerate(([2, 0], [1, 1])):
        shard = run_cece(
            "categorical",
            write(f"x{i}.npy", x[2 * i : 2 * i + 2]),
            write(f"y{i}.npy", np.array(y)),
            "--per-class",
            "-f",
            "json",
        )
        path = tmp_path / f"s{i}.json"
        path.write_text(shard.out)
        docs.append(str(path))
    merged = json.loads(run_cece("merge", *docs, "-f", "json").out)
    assert [r["class"] for r in merged["per_class"]] == ["0", "1", "2"]
    assert [r["count"] for r in merged["per_class"]] == [1, 2, 1]


def test_streamed_samples_keep_the_fields_that_apply():
    """Soft targets have no p_target: the streamed records hold what the buffered ones held."""
    run = run_cece(
        "categorical",
        "[[1,2,3],[0,1,0]]",
        "[[0.2,0.3,0.5],[0.1,0.8,0.1]]",
        "-f",
        "json",
        "--samples",
    )
    assert run.code == 0, run.err
    rec = json.loads(run.out)["samples"][0]
    assert list(rec) == ["index", "loss", "target", "predicted", "entropy", "kl"]
    want = reference.categorical([[1, 2, 3]], [[0.2, 0.3, 0.5]], reduction="none")[0]
    assert rec["loss"] == pytest.approx(want, rel=1e-12)
