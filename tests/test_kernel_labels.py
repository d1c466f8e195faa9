"""Class labels out of range in a multi-block .npy run: where the compiled fused softmax kernel
runs, its own bounds check (in its pass) is the one, and the error line is the same, to the
character, as the numpy path's check (cece.losses.validate.index_targets words both)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cece._native
import cece.io.blocks
import cece.losses.validate

from conftest import run_cece

ROWS = 1000  # blocks of 1000 rows: 3500 rows are four blocks, row 2345 is in the third
BAD = 2345


def _files(write, label, *, dtype=np.int64, classes: int = 3, ignore: int | None = None):
    rng = np.random.default_rng(16)
    x = rng.standard_normal((3500, classes)).astype(np.float32)
    y = rng.integers(0, classes, 3500).astype(dtype)
    if ignore is not None:
        y[::7] = ignore
    y[BAD] = label
    return write("x.npy", x), write("y.npy", y)


def _lines(run) -> list[str]:
    run.error_line()  # the error's shape: exit 2, one error line, at most one hint
    return [line for line in run.err_lines if not line.startswith("cece: note:")]


@pytest.mark.parametrize(
    ("label", "dtype", "expected"),
    [
        (7, np.int64, ["label 7 is out of range for 3 classes (expected 0..2)"]),
        (
            3,
            np.int32,
            [
                "label 3 is out of range for 3 classes (expected 0..2)",
                "  hint: labels count from 0; if yours start at 1, subtract 1",
            ],
        ),
        (
            -3,
            np.int16,
            [
                "label -3 is out of range for 3 classes (expected 0..2)",
                "  hint: to skip samples labelled -3, pass --ignore-index -3",
            ],
        ),
        (9.0, np.float64, ["label 9 is out of range for 3 classes (expected 0..2)"]),
        (200, np.uint8, ["label 200 is out of range for 3 classes (expected 0..2)"]),
    ],
)
@pytest.mark.parametrize("threads", ["1", "2"])
def test_a_bad_label_in_the_third_block_is_the_same_line_on_both_paths(
    write, monkeypatch, label, dtype, expected, threads
):
    monkeypatch.setattr(cece.io.blocks, "ROWS", ROWS)
    monkeypatch.setenv("CECE_THREADS", threads)
    px, py = _files(write, label, dtype=dtype)
    lines = {}
    for path in ("compiled", "numpy"):
        with monkeypatch.context() as m:
            if path == "numpy":
                m.setattr(cece._native, "FAST", False)
            lines[path] = _lines(run_cece("categorical", px, py, "--from", "logits"))
    want = [f"cece: error: {py}: row {BAD}: {expected[0]}", *expected[1:]]
    assert lines["compiled"] == want
    assert lines["numpy"] == want


@pytest.mark.parametrize("kernel", ["compiled", "numpy"])
def test_the_range_is_checked_once_where_the_compiled_kernel_runs(write, monkeypatch, kernel):
    """The compiled path leaves the range to the kernel (no min/max of the labels in
    validate.index_targets); the numpy path keeps its check there."""
    monkeypatch.setattr(cece.io.blocks, "ROWS", ROWS)
    if kernel == "numpy":
        monkeypatch.setattr(cece._native, "FAST", False)
    calls: list[bool] = []
    real = cece.losses.validate.index_targets

    def spy(*args, bounds: bool = True, **kw):
        calls.append(bounds)
        return real(*args, bounds=bounds, **kw)

    monkeypatch.setattr(cece.losses.validate, "index_targets", spy)
    px, py = _files(write, 1)
    assert run_cece("categorical", px, py, "--from", "logits").code == 0
    assert len(calls) == 4  # one call a block
    assert calls == [not (kernel == "compiled" and cece._native.FAST)] * 4


def test_ignored_labels_and_temperature_pass_the_kernel_as_before(write, monkeypatch):
    """--ignore-index labels never reach the kernel's check; both paths give the same loss (to
    float precision: the compiled kernel's exp is not numpy's) and, with --temperature (divided
    in the kernel's pass), the same error line."""
    monkeypatch.setattr(cece.io.blocks, "ROWS", ROWS)
    args = ("--from", "logits", "--ignore-index", "-100")
    out = {}
    for path in ("compiled", "numpy"):
        with monkeypatch.context() as m:
            if path == "numpy":
                m.setattr(cece._native, "FAST", False)
            px, py = _files(write, 1, ignore=-100)
            run = run_cece("categorical", px, py, *args, "-f", "json")
            assert run.code == 0, run.err
            out[path] = json.loads(run.out)["stats"]
            px, py = _files(write, 5, ignore=-100)
            line = run_cece("categorical", px, py, *args, "--temperature", "2").error_line()
            assert line == (
                f"cece: error: {py}: row {BAD}: label 5 is out of range for 3 classes "
                "(expected 0..2)"
            )
    assert (
        out["compiled"]["count"] == out["numpy"]["count"] == 3001
    )  # 499 rows ignored (row 2345 set)
    assert out["compiled"]["mean"] == pytest.approx(out["numpy"]["mean"], rel=1e-9, abs=0)
