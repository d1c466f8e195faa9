"""Per-sample records carry ``in_top_k`` under ``--top-k K``: true/false, null for ignored
samples, in every streamed writer (JSONL, CSV, JSON ``--samples``) and ``-r none``.

The reference is a naive rank written from scikit-learn's tie rule (``top_k_accuracy_score``,
sklearn/metrics/_ranking.py: a stable ascending argsort reversed, so among equal scores the
higher class index ranks first): the target is in the top k when fewer than k classes rank
above it. The stored oracles for the aggregate are in tests/data/temperature_topk."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

import cece.report

from conftest import run_cece

SCHEMA = json.loads((Path(cece.report.__file__).parent / "result.schema.json").read_text())
RNG = np.random.default_rng(13)
X = np.round(RNG.normal(size=(2, 6, 5)), 1)  # rounded: ties occur
Y = RNG.integers(0, 5, size=(2, 6))
Y[1, 4:] = -100


def _in_top_k(scores: np.ndarray, target: int, k: int) -> bool:
    order = np.argsort(scores, kind="mergesort")[::-1]  # scikit-learn's ranking
    return int(np.flatnonzero(order == target)[0]) < k


def _expected(k: int) -> list[bool | None]:
    x, y = X.reshape(-1, 5), Y.reshape(-1)
    return [None if t == -100 else _in_top_k(x[i], int(t), k) for i, t in enumerate(y)]


@pytest.fixture
def files(write):
    return write("x.npy", X), write("y.npy", Y)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_jsonl(files, k, kernel_path):
    r = run_cece("categorical", *files, "--ignore-index", "-100", "--top-k", str(k), "-f", "jsonl")
    assert r.code == 0, r.err
    recs = [json.loads(line) for line in r.out.splitlines()]
    assert [rec["in_top_k"] for rec in recs] == _expected(k)
    doc = json.loads(
        run_cece(
            "categorical", *files, "--ignore-index", "-100", "--top-k", str(k), "-f", "json"
        ).out
    )
    hits = [v for v in _expected(k) if v is not None]
    assert doc["stats"]["top_k_accuracy"] == pytest.approx(sum(hits) / len(hits), rel=1e-15)


def test_csv(files):
    r = run_cece("categorical", *files, "--ignore-index", "-100", "--top-k", "2", "-f", "csv")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    cell = {True: "true", False: "false", None: ""}
    assert [row["in_top_k"] for row in rows] == [cell[v] for v in _expected(2)]


@pytest.mark.parametrize("how", [["--samples"], ["-r", "none"]])
def test_json_samples(files, how):
    r = run_cece(
        "categorical", *files, "--ignore-index", "-100", "--top-k", "2", "-f", "json", *how
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    jsonschema.validate(doc, SCHEMA)
    assert [s["in_top_k"] for s in doc["samples"]] == _expected(2)


def test_absent_without_top_k(files):
    r = run_cece("categorical", *files, "--ignore-index", "-100", "-f", "jsonl")
    assert r.code == 0 and "in_top_k" not in r.out


def test_infinite_losses_take_the_other_writer(write):
    """A block with inf falls back to json.dumps: the field keeps its JSON booleans."""
    p = write("p.npy", np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]]))
    y = write("y.npy", np.array([0, 2]))
    r = run_cece(
        "categorical", p, y, "--from", "probs", "--eps", "0", "--top-k", "1", "-f", "jsonl"
    )
    assert r.code == 0, r.err
    recs = [json.loads(line) for line in r.out.splitlines()]
    assert recs[0]["loss"] == "inf"
    assert [rec["in_top_k"] for rec in recs] == [False, True]
