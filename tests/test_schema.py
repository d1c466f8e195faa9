"""Every JSON result cece writes follows the JSON Schema shipped in the package, and says where
it came from (``environment``)."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

import cece._native

from conftest import SAMPLES as SAMPLE
from conftest import run_cece

SCHEMA = json.loads(resources.files("cece.report").joinpath("result.schema.json").read_text())

RUNS = {
    "categorical": [
        "categorical",
        f"{SAMPLE}/catdogpig_eval.csv",
        "--label-col",
        "label",
        "--per-class",
        "--samples",
        "--worst",
        "1",
        "--hist",
    ],
    "categorical-none": ["categorical", "[[1,2,3],[2,4,6]]", "[0,2]", "-r", "none"],
    "ignored": [
        "categorical",
        "[[1,2,3],[2,4,6]]",
        "[0,2]",
        "--ignore-index",
        "0",
        "-w",
        "1,2,3",
        "--sample-weight",
        "[1,2]",
    ],
    "probs-clipped": ["categorical", "[[1,0],[0.5,0.5]]", "[1,0]", "--from", "probs"],
    "binary": [
        "binary",
        f"{SAMPLE}/seed004_logits.csv",
        f"{SAMPLE}/seed004_labels.csv",
        "--pos-weight",
        "3",
        "--per-class",
    ],
    "binary-soft": ["binary", "0.7", "0.6"],
    "entropy": ["entropy", f"{SAMPLE}/soft_targets.csv", "-b", "2"],
    "kl": ["kl", f"{SAMPLE}/soft_targets.csv", f"{SAMPLE}/soft_probs.csv"],
    "merge": ["merge", f"{SAMPLE}/shard_a.json", f"{SAMPLE}/shard_b.json"],
    "shards": [
        "categorical",
        f"{SAMPLE}/shards/preds-*.npy",
        f"{SAMPLE}/shards/labels-*.npy",
        "--worst",
        "2",
        "--hist",
    ],
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_results_follow_the_schema(name):
    run = run_cece(*RUNS[name], "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    jsonschema.validate(doc, SCHEMA)
    assert list(doc)[:3] == ["cece_version", "schema_version", "command"]


def test_environment_says_which_kernels_and_parser_ran(kernel_path):
    doc = json.loads(
        run_cece(
            "categorical",
            f"{SAMPLE}/catdogpig_logits.csv",
            f"{SAMPLE}/catdogpig_labels.csv",
            "-f",
            "json",
        ).out
    )
    env = doc["environment"]
    assert env["cece"] == doc["cece_version"] and env["python"].count(".") == 2
    assert env["kernels"] == ("compiled" if kernel_path == "compiled" else "numpy")
    # plain numbers: the compiled parser wherever it was built (not merely "one of the two")
    assert env["parser"] == ("compiled" if cece._native.PARSER is not None else "python")
    arrays = json.loads(
        run_cece(
            "categorical",
            f"{SAMPLE}/catdogpig_logits.npy",
            f"{SAMPLE}/catdogpig_labels.npy",
            "-f",
            "json",
        ).out
    )
    assert arrays["environment"]["parser"] is None  # nothing was parsed from text


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "[1,2,3]", "0"],
        ["curve", "--points", "3"],
        ["inspect", f"{SAMPLE}/catdogpig_logits.csv"],
    ],
)
def test_tool_documents_carry_the_header_and_environment(args):
    doc = json.loads(run_cece(*args, "-f", "json").out)
    assert doc["schema_version"] == 1 and doc["command"] == args[0]
    assert set(doc["environment"]) >= {"cece", "python", "numpy", "platform"}


def test_the_schema_rejects_what_it_should():
    doc = json.loads(run_cece("categorical", "[[1,2,3]]", "[0]", "-f", "json").out)
    for broken in (
        {k: v for k, v in doc.items() if k != "environment"},
        {**doc, "unit": "furlongs"},
        {**doc, "loss": "lots"},
        {**doc, "stats": {**doc["stats"], "count": -1}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


@pytest.mark.parametrize("flag", ["-v", "--verbose"])
def test_verbose_says_the_environment_on_stderr(flag, monkeypatch):
    monkeypatch.delenv("CECE_VERBOSE", raising=False)
    args = ["categorical", f"{SAMPLE}/catdogpig_logits.csv", f"{SAMPLE}/catdogpig_labels.csv"]
    run = run_cece(*args, "-q", flag)
    doc = json.loads(run_cece(*args, "-f", "json").out)
    env = doc["environment"]
    line = run.err_lines[-1]
    assert run.out == "1.2752687964721399\n" and line.startswith("cece: note: cece ")
    for value in (env["cece"], env["python"], env["numpy"], env["platform"], env["kernels"]):
        assert value in line
    assert not run_cece(*args, "-q").err  # without it, -q is silent
    monkeypatch.setenv("CECE_VERBOSE", "1")
    assert run_cece(*args, "-q").err_lines[-1] == line


def test_verbose_flag_after_a_double_dash_is_an_argument(monkeypatch):
    monkeypatch.delenv("CECE_VERBOSE", raising=False)
    run = run_cece("categorical", "[[1,2,3]]", "[0]", "-q", "--", "-v")
    assert run.code == 2 and "cece: note:" not in run.err
