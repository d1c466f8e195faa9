"""A zero is never printed as ``-0.0``: not in tables, ``-q``, JSON, JSONL, CSV or ``merge``.

IEEE arithmetic gives -0.0 for ``−log 1`` (probabilities with ``--eps 0``), ``−(0.0)``
(log-probabilities of a sure, right prediction) and sums of such; every number cece writes
goes through ``cece/report/numbers.py`` or ``records.py``, which turn -0.0 into 0.0.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from cece.report import numbers

from conftest import run_cece

NEG_ZERO = re.compile(r"(?<![\w.])[-−]0(\.0*)?(e[+-]?\d+)?(?![\d.])")

ZERO_LOSS = {
    "log-probs": ["categorical", "[[0,-1e9],[0,-1e9]]", "[0,0]", "--from", "log-probs"],
    "probs-eps0": ["categorical", "[[1,0],[0,1]]", "[0,1]", "--from", "probs", "--eps", "0"],
    "dense-log-probs": ["categorical", "[[0,-1e9]]", "[[1,0]]", "--from", "log-probs"],
    "binary-eps0": ["binary", "[1,0]", "[1,0]", "--from", "probs", "--eps", "0"],
    "entropy": ["entropy", "[[1,0],[0,1]]"],
    "kl": ["kl", "[[1,0]]", "[[1,0]]"],
}
FORMATS = {
    "table": ["--rows", "all", "--hist"],
    "quiet": ["-q"],
    "quiet-none": ["-q", "--reduction", "none"],
    "quiet-sum": ["-q", "--reduction", "sum"],
    "json": ["-f", "json", "--samples"],
    "jsonl": ["-f", "jsonl"],
    "csv": ["-f", "csv"],
}


def test_the_pattern_finds_negative_zeros_only():
    for text in ("-0.0", "-0", "-0.000000", "loss −0.0000", " -0.0e+00"):
        assert NEG_ZERO.search(text), text
    for text in ("0.0", "-0.05", "1e-05", "-1.5", "2.2204e-16", "x-0y", "a-0.1"):
        assert not NEG_ZERO.search(text), text


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", ZERO_LOSS)
def test_no_negative_zero_in_any_output(case, fmt):
    run = run_cece(*ZERO_LOSS[case], *FORMATS[fmt])
    assert run.code == 0, run.err
    assert not NEG_ZERO.search(run.out), run.out
    assert not NEG_ZERO.search(run.err), run.err


def test_zero_losses_are_plain_zeros_in_json():
    run = run_cece(*ZERO_LOSS["log-probs"], "-f", "json", "--samples")
    doc = json.loads(run.out)
    assert doc["loss"] == 0.0 and doc["stats"]["min"] == 0.0 and doc["stats"]["max"] == 0.0
    assert all(s["loss"] == 0.0 for s in doc["samples"])
    assert '"loss": 0.0' in run.out and "-0.0" not in run.out


def test_merge_never_prints_negative_zero(tmp_path):
    run = run_cece(*ZERO_LOSS["log-probs"], "-f", "json")
    shard = tmp_path / "a.json"
    # a shard written by an older cece, with -0.0 in it
    doc = json.loads(run.out)
    for key in ("min", "max", "mean", "median", "sum"):
        doc["stats"][key] = -0.0
    doc["loss"] = -0.0
    del doc["input"]["fingerprint"]  # (older documents have none)
    shard.write_text(json.dumps(doc))
    assert "-0.0" in shard.read_text()
    other = tmp_path / "b.json"  # another shard (a shard given twice is refused)
    other.write_text(json.dumps({**doc, "input": {**doc["input"], "preds": "b"}}))
    for args in ([], ["-q"], ["-f", "json"]):
        merged = run_cece("merge", shard, other, *args)
        assert merged.code == 0, merged.err
        assert not NEG_ZERO.search(merged.out), merged.out


def test_the_formatters_normalize_negative_zero():
    assert numbers.fmt(-0.0) == "0.000000"
    assert numbers.fmt(np.float32(-0.0)) == "0.000000"
    assert numbers.fmt(-1e-5) == "-1.0000e-05"  # a real negative value keeps its sign
    assert numbers.number(-0.0) == "0.0"
    assert numbers.plain({"a": [-0.0, np.float64(-0.0)]}) == {"a": [0.0, 0.0]}
    assert str(numbers.plain(-0.0)) == "0.0"
    assert numbers.sig(-0.0) == "0"
    assert numbers.fixed(-0.0001, 3) == "0.000"
    assert numbers.fixed(-0.5, 3) == "-0.500"
    assert numbers.num(-0.0) == "0.0000" and numbers.given(-0.0) == "0"
