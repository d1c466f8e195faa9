"""The fused softmax pass without its arg-max output (``softmax_index(..., predicted=False)``).

A run that writes no per-sample record (``-q``, ``-f json`` without samples) has the kernel
skip the 8 bytes a row of predicted classes; where a record is shown after all (``cece
explain``, a library caller's ``details``), :func:`cece._native.predicted_rows` runs the same
kernel on those rows. Each row's outputs depend on that row alone, so both give the same bits:
checked here on both paths, every dtype, few and many classes, temperatures, non-finite rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cece._native as kernels
from cece.losses.fused import index_logits
from cece.options import Keep, OutputOptions

from conftest import run_cece

BF16 = kernels.BFLOAT16


def _logits(rng, n: int, c: int, dtype: str) -> np.ndarray:
    x = rng.normal(scale=4, size=(n, c)).astype(np.float32)
    x[rng.random(n) < 0.1, 0] = x.max()  # ties for the arg-max
    x[3, 1], x[5] = np.nan, -np.inf  # a NaN row and a row of −inf only: flagged, predicted 0
    x[7, 2] = np.inf
    x[9, :2] = -np.inf
    if dtype == "bfloat16":
        return (x.view(np.uint32) >> 16).astype(np.uint16).view(BF16)
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("c", [3, 10, 70])
@pytest.mark.parametrize("temperature", [1.0, 2.5])
def test_the_same_bits_with_and_without_the_arg_max(kernel_path, dtype, c, temperature):
    rng = np.random.default_rng(c)
    x, y = _logits(rng, 301, c, dtype), rng.integers(0, c, 301)
    if not kernels.scales(x, temperature):
        pytest.skip("this dtype and temperature are divided before the kernel")
    nll, right, top, finite = (
        a.copy() if isinstance(a, np.ndarray) else a
        for a in kernels.softmax_index(x, y, temperature)
    )
    nll2, right2, none, finite2 = kernels.softmax_index(x, y, temperature, predicted=False)
    assert none is None and finite2 == finite is False
    np.testing.assert_array_equal(nll2, nll)  # NaN where NaN
    np.testing.assert_array_equal(right2, right)
    for rows in (slice(None), slice(2, 11), rng.permutation(301)[:17], np.array([5, 3, 7, 9])):
        np.testing.assert_array_equal(
            kernels.predicted_rows(np.ascontiguousarray(x[rows]), y[rows], temperature), top[rows]
        )
    assert top[3] == top[5] == top[7] == 0


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(2, 12), st.integers(0, 2**32 - 1))
def test_any_rows_any_order(n, c, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c)).astype(np.float32)
    x[:, rng.integers(0, c)] = x.max(axis=1)  # a tie in every row
    y = rng.integers(0, c, n)
    top = kernels.softmax_index(x, y)[2].copy()
    rows = rng.integers(0, n, rng.integers(1, 2 * n))
    np.testing.assert_array_equal(kernels.predicted_rows(x[rows], y[rows]), top[rows])


def test_details_recompute_what_was_not_stored(kernel_path):
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(500, 10)).astype(np.float32), rng.integers(-1, 10, 500)
    stored = index_logits(x, y, None, -1, None, 1.0, True)
    lazy = index_logits(x, y, None, -1, None, 1.0, False)
    np.testing.assert_array_equal(lazy.loss, stored.loss)
    assert lazy.details is not None and stored.details is not None
    for rows in (slice(0, 20), np.array([499, 0, 250, 3])):
        a, b = lazy.details(rows), stored.details(rows)
        np.testing.assert_array_equal(a["predicted"], b["predicted"])
        np.testing.assert_array_equal(a["p_target"], b["p_target"])


def test_the_kernel_refuses_a_short_arg_max_buffer():
    if not kernels.FAST:
        pytest.skip("the compiled kernels are not built here")
    x, y = np.zeros((4, 3), np.float32), np.zeros(4, np.int64)
    nll, right = np.empty(4), np.empty(4, np.uint8)
    with pytest.raises(ValueError, match="bad shapes"):
        kernels._fast.softmax_index(x, 3, y, nll, right, np.empty(3, np.int64))
    assert kernels._fast.softmax_index(x, 3, y, nll, right, None) == 0
    np.testing.assert_allclose(nll, np.log(3))


@pytest.mark.parametrize(
    ("given", "records"),
    [
        ({"quiet": True}, False),
        ({"fmt": "json"}, False),
        ({}, True),  # the table's first rows
        ({"quiet": True, "worst": 3}, True),
        ({"fmt": "jsonl"}, True),
        ({"fmt": "json", "samples": True}, True),
    ],
)
def test_which_runs_write_records(given, records):
    reduction = "none" if given.get("fmt") == "jsonl" else "mean"
    keep = OutputOptions(**given).keep(reduction)
    assert keep.records is records
    assert keep.spread is not given.get("quiet", False)  # -q prints the reduced value alone
    assert Keep().records and Keep().spread  # the engine's defaults keep them


def test_a_quiet_run_skips_the_arg_max_and_a_table_shows_it(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    np.save(tmp_path / "x.npy", rng.normal(size=(40, 4)).astype(np.float32))
    np.save(tmp_path / "y.npy", rng.integers(0, 4, 40))
    asked = []
    real = kernels.softmax_index
    monkeypatch.setattr(
        kernels,
        "softmax_index",
        lambda *a, predicted=True: asked.append(predicted) or real(*a, predicted=predicted),
    )
    quiet = run_cece("categorical", tmp_path / "x.npy", tmp_path / "y.npy", "-q")
    lines = run_cece("categorical", tmp_path / "x.npy", tmp_path / "y.npy", "-f", "jsonl")
    assert quiet.code == lines.code == 0 and asked == [False, True]
    x = np.load(tmp_path / "x.npy")
    assert '"predicted":' in lines.out
    shown = [int(line.split('"predicted":')[1].split(",")[0]) for line in lines.out.splitlines()]
    assert shown == np.argmax(x, axis=1).tolist()
