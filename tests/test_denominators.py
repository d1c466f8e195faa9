"""Degenerate denominators of the mean (review finding 11): the weights of the counted
samples sum to 0 (all 0, or negative class weights that cancel) or overflow float64. The
engines compute PyTorch's value (nan, ±inf: ``cross_entropy``'s ``x / 0``, stored by
``tests/data/degenerate/generate.py``) and say so once (a warning, JSON ``warnings``, an
error under --strict), also across shards; the library refuses (a ValueError)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import cece
from cece.errors import CeceError

from conftest import run_cece

STORED = json.loads(
    (Path(__file__).resolve().parent / "data" / "degenerate" / "torch_values.json").read_text(
        encoding="utf-8"
    )
)["categorical"]
X3 = "[[1,2,3],[2,4,6],[0,0,1]]"
ZERO = "the weights of the counted samples sum to 0; the mean loss is nan"
ZERO_HINT = "  hint: --reduction sum gives the weighted sum"
OVERFLOW = "the weights of the counted samples sum to inf (float64 overflows); the mean loss is nan"


def warned(args: list[str], message: str) -> dict:
    """The run's JSON document, after checking the warning on stderr (once), in JSON, and as
    the one error line under --strict."""
    run = run_cece(*args, "-f", "json")
    assert run.code == 0, run.err
    assert run.err_lines.count(f"cece: warning: {message}") == 1, run.err
    doc = json.loads(run.out)
    assert doc["warnings"].count(message) == 1
    strict = run_cece(*args, "--strict", "-q")
    assert strict.error_line() == f"cece: error: {message} (--strict)"
    return doc


@pytest.mark.parametrize(
    "args",
    [
        ["categorical", X3, "[0,2,1]", "--weight", "0,0,0"],
        ["categorical", X3, "[0,2,1]", "--sample-weight", "[0,0,0]"],
        ["categorical", X3, "[0,2,1]", "--weight", "0,1,1", "--sample-weight", "[1,0,0]"],
        ["categorical", X3, "[[1,0,0],[0,0,1],[0,1,0]]", "--sample-weight", "[0,0,0]"],
        ["binary", X3, "[[1,0,1],[0,1,1],[1,1,0]]", "--sample-weight", "[0,0,0]"],
        ["entropy", "[[0.2,0.8],[0.5,0.5]]", "--sample-weight", "[0,0]"],
        ["kl", "[[0.2,0.8],[0.5,0.5]]", "[[0.3,0.7],[0.5,0.5]]", "--sample-weight", "[0,0]"],
    ],
    ids=lambda a: " ".join(a[:1] + a[3:]),
)
def test_weights_that_sum_to_zero_warn(args):
    doc = warned(args, ZERO)
    assert doc["loss"] == "nan"
    run = run_cece(*args, "-f", "json")
    assert ZERO_HINT in run.err_lines
    summed = run_cece(*args, "-r", "sum", "-f", "json")  # the sum is defined: no warning
    assert json.loads(summed.out)["warnings"] == []


def test_lm_shift_with_zero_weights_warns(write):
    rng = np.random.default_rng(0)
    x = write("x.npy", rng.normal(size=(2, 4, 5)))
    y = write("y.npy", rng.integers(0, 5, (2, 4)))
    w = write("w.npy", np.zeros((2, 4)))
    doc = warned(["categorical", x, y, "--shift", "--sample-weight", w], ZERO)
    assert doc["loss"] == "nan"


@pytest.mark.parametrize("case", STORED["cases"], ids=lambda c: str(c["weight"]))
def test_class_weights_that_cancel_give_torchs_value_and_warn(case):
    want = float(case["loss"])
    args = ["categorical", json.dumps(STORED["preds"]), json.dumps(case["labels"])]
    args += ["--weight", ",".join(map(str, case["weight"]))]
    doc = warned(args, f"the weights of the counted samples sum to 0; the mean loss is {want}")
    assert doc["loss"] == str(want)  # "nan", "-inf": as PyTorch's x / 0


@pytest.mark.parametrize(
    "args",
    [
        ["categorical", X3, "[0,2,1]", "--sample-weight", "[1e308,1e308,1e308]"],
        ["categorical", X3, "[0,2,1]", "--weight", "1e308,1,1e308"],
    ],
)
def test_weight_sums_that_overflow_warn(args):
    assert warned(args, OVERFLOW)["loss"] == "nan"
    run = run_cece(*args)
    assert "  hint: scale the weights down: the mean does not change" in run.err_lines


def test_every_sample_ignored_is_its_own_warning():
    run = run_cece("categorical", X3, "[0,0,0]", "--ignore-index", "0", "--weight", "0,1,1")
    assert run.code == 0
    warnings = [line for line in run.err_lines if line.startswith("cece: warning:")]
    assert warnings == ["cece: warning: every sample is ignored; the mean loss is nan"]


# -- shards: the rule holds for the merged sums -----------------------------------------------


def shards(tmp_path, labels: list[list[int]]) -> tuple[str, str]:
    rng = np.random.default_rng(1)
    for i, y in enumerate(labels):
        np.save(tmp_path / f"p-{i}.npy", rng.normal(size=(len(y), 3)))
        np.save(tmp_path / f"y-{i}.npy", np.array(y))
    return str(tmp_path / "p-*.npy"), str(tmp_path / "y-*.npy")


def test_a_shard_whose_weights_sum_to_zero_alone_is_no_warning(tmp_path):
    """Shard 0 holds only class 0, weighted 0: its own mean is nan, the merged one is not."""
    p, y = shards(tmp_path, [[0, 0, 0], [1, 2, 1, 0]])
    run = run_cece("categorical", p, y, "--weight", "0,1,2", "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["warnings"] == [] and "warning" not in run.err
    assert math.isfinite(doc["loss"])


def test_shards_whose_merged_weights_sum_to_zero_warn_once(tmp_path):
    p, y = shards(tmp_path, [[0, 0], [0, 0, 0]])
    doc = warned(["categorical", p, y, "--weight", "0,1,2"], ZERO)
    assert doc["loss"] == "nan"


# -- the library refuses ------------------------------------------------------------------------

LIBRARY = "the weights of the counted samples sum to 0: the weighted mean is undefined"
X = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0]])


@pytest.mark.parametrize(
    "call",
    [
        lambda: cece.categorical_cross_entropy(X, np.array([0, 2, 1]), weight=np.zeros(3)),
        lambda: cece.categorical_cross_entropy(X, np.array([0, 2, 1]), sample_weight=np.zeros(3)),
        lambda: cece.categorical_cross_entropy(
            X[:2], np.array([0, 1]), weight=np.array([-1.0, 1.0, 0.0])
        ),
        lambda: cece.binary_cross_entropy_with_logits(
            X, np.ones((3, 3)), sample_weight=np.zeros(3)
        ),
        lambda: cece.binary_cross_entropy(X / 7, np.ones((3, 3)), sample_weight=np.zeros(3)),
    ],
)
def test_library_refuses_a_zero_weight_sum(call):
    with pytest.raises(ValueError, match=LIBRARY) as info:
        call()
    assert isinstance(info.value, CeceError)


def test_library_refuses_an_overflowing_weight_sum():
    with pytest.raises(CeceError, match=r"sum to inf \(float64 overflows\)"):
        cece.categorical_cross_entropy(X, np.array([0, 2, 1]), sample_weight=np.full(3, 1e308))


def test_library_sums_and_ignore_all_are_unchanged():
    y = np.array([0, 2, 1])
    assert cece.categorical_cross_entropy(X, y, weight=np.zeros(3), reduction="sum") == 0.0
    # every sample ignored: the mean of nothing is nan, as PyTorch's (documented)
    assert math.isnan(cece.categorical_cross_entropy(X, np.zeros(3, int), ignore_index=0))
