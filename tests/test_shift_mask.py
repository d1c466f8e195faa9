"""``cece categorical --shift / --mask``: a causal language model's loss, as Hugging Face
computes it, and N-D sample weights with the labels' shape.

Stored references come from tests/data/dumps/lm/make_lm_dumps.py (PyTorch's ``cross_entropy``
on ``logits[:, :-1]`` and ``labels[:, 1:]`` with ``ignore_index=-100``; versions in
references.json). The suite runs without torch (the .pt cases are skipped then).
"""

from __future__ import annotations

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
from cece.io import blocks

import reference
from conftest import run_cece

SCHEMA = json.loads((Path(cece.report.__file__).parent / "result.schema.json").read_text())
LM = Path(__file__).parent / "data" / "dumps" / "lm"
REFS = json.loads((LM / "references.json").read_text())["cases"]
HAS_TORCH = __import__("importlib.util").util.find_spec("torch") is not None


def _run(*args: str):
    cwd = os.getcwd()
    os.chdir(LM)
    try:
        return run_cece("categorical", *args)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("case", sorted(REFS))
def test_peer_values(case, kernel_path):
    c = REFS[case]
    if any(a.split(":")[0].endswith(".pt") for a in c["args"]) and not HAS_TORCH:
        pytest.skip("torch is not installed")
    r = _run(*c["args"], "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["loss"] == pytest.approx(c["reference"], rel=1e-6)
    assert doc["stats"]["count"] == c["count"]  # the mean divides by the scored tokens
    if "--shift" in c["args"]:
        assert doc["options"]["shift"] is True
        assert doc["input"]["shift"]["sequences"] == 3
        assert doc["options"]["ignore_index"] == -100


def test_stated():
    r = _run("logits_f32.npy", "ids.npy", "--shift", "--mask", "mask.npy", "-f", "json")
    doc = json.loads(r.out)
    assert doc["input"]["shift"] == {
        "sequences": 3,
        "positions": 7,
        "labels": "shifted here",
        "dropped": 3,
    }
    assert doc["input"]["mask"] == {"file": "mask.npy", "masked": 4}
    assert doc["options"]["mask"] == "mask.npy"
    jsonschema.validate(doc, SCHEMA)
    assert (
        "cece: note: --shift: positions not scored are ignored as label -100 (PyTorch's default "
        "ignore_index, Hugging Face's padding); --ignore-index sets another" in r.err_lines
    )
    assert (
        "cece: note: ids.npy: --shift: position t scored against label t+1 of its sequence "
        "(Hugging Face's causal-LM loss); the last position of each of the 3 sequences is not "
        "scored" in r.err_lines
    )
    shifted = _run("logits_f32.npy", "labels_shifted.npy", "--shift", "-f", "json")
    assert json.loads(shifted.out)["input"]["shift"]["labels"] == "given shifted"
    assert any("read as already shifted" in line for line in shifted.err_lines)


def test_no_shift_no_change():
    """Without the options nothing moves: each position against its own label."""
    r = _run("logits_f32.npy", "ids.npy", "-f", "json")
    doc = json.loads(r.out)
    assert "shift" not in doc["input"] and doc["options"]["shift"] is False
    assert doc["stats"]["count"] == 21


def _hf(logits: np.ndarray, labels: np.ndarray, mask=None, weights=None) -> float:
    """The naive reference: shift, mask, then tests/reference.py's loss over scored rows."""
    v = logits.shape[-1]
    y = labels.copy()
    if mask is not None:
        y[mask == 0] = -100
    x, y = logits[:, :-1].reshape(-1, v), y[:, 1:].reshape(-1)
    w = None if weights is None else weights[:, 1:].reshape(-1)
    keep = y != -100
    if not keep.any():
        return math.nan  # every token ignored: the mean is nan, as PyTorch's
    return reference.categorical(
        x[keep].tolist(),
        y[keep].tolist(),
        sample_weight=None if w is None else w[keep].tolist(),
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    b=st.integers(1, 4),
    t=st.integers(2, 9),
    v=st.integers(2, 6),
    rows=st.integers(1, 12),
    masked=st.booleans(),
    weighted=st.booleans(),
)
def test_blocks_straddle_sequences(tmp_path_factory, seed, b, t, v, rows, masked, weighted):
    """Any block size (sequences straddling blocks) gives the reference from the formula."""
    rng = np.random.default_rng(seed)
    d = tmp_path_factory.mktemp("lm")
    logits = rng.standard_normal((b, t, v)) * 3
    labels = rng.integers(0, v, (b, t))
    labels[rng.random((b, t)) < 0.2] = -100
    mask = (rng.random((b, t)) < 0.8).astype(np.int8)
    weights = rng.uniform(0.1, 2.0, (b, t))
    for name, arr in [("x", logits), ("y", labels), ("m", mask), ("w", weights)]:
        np.save(d / f"{name}.npy", arr)
    args = [
        str(d / "x.npy"),
        str(d / "y.npy"),
        "--shift",
        "-q",
        "--from",
        "logits",
    ]  # random logits may look like probabilities
    args += ["--mask", str(d / "m.npy")] if masked else []
    args += ["--sample-weight", str(d / "w.npy")] if weighted else []
    old = blocks.ROWS
    blocks.ROWS = rows
    try:
        r = run_cece("categorical", *args)
    finally:
        blocks.ROWS = old
    assert r.code == 0, r.err
    want = _hf(logits, labels, mask if masked else None, weights if weighted else None)
    got = float(r.out)
    assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want, rel=1e-9)


def test_shift_equals_sliced_inputs(write):
    """--shift on (B, T, V) is the unshifted loss of logits[:, :-1] and labels[:, 1:]."""
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((3, 6, 5))
    labels = rng.integers(0, 5, (3, 6))
    a = run_cece("categorical", write("x.npy", logits), write("y.npy", labels), "--shift", "-q")
    b = run_cece(
        "categorical",
        write("xs.npy", np.ascontiguousarray(logits[:, :-1])),
        write("ys.npy", np.ascontiguousarray(labels[:, 1:])),
        "-q",
    )
    assert float(a.out) == pytest.approx(float(b.out), rel=1e-12)


def test_labels_that_look_already_shifted_are_said(write):
    """HF's shift_labels (labels[:, 1:] padded with -100 at the end, shape (B, T)) given with
    --shift are shifted twice (the loss of other tokens): every sequence ending in -100 is
    the sign, said in a note; ordinary labels get no such note."""
    rng = np.random.default_rng(7)
    logits, ids = rng.standard_normal((3, 7, 11)), rng.integers(0, 11, (3, 7))
    shifted = np.concatenate([ids[:, 1:], np.full((3, 1), -100)], axis=1)
    x = write("x.npy", logits)
    run = run_cece("categorical", x, write("s.npy", shifted), "--shift")
    said = "every sequence's last label is -100, as in labels already shifted"
    assert run.code == 0 and said in run.err and "drop --shift" in run.err
    right = run_cece("categorical", x, write("s2.npy", shifted), "--ignore-index", "-100", "-q")
    want = reference.categorical(
        logits[:, :-1].reshape(-1, 11).tolist(), ids[:, 1:].ravel().tolist()
    )
    assert float(right.out) == pytest.approx(want, rel=1e-12)
    run = run_cece("categorical", x, write("y.npy", ids), "--shift")
    assert run.code == 0 and said not in run.err
    run = run_cece("categorical", x, write("y.npy", ids), "--shift", "--ignore-index", "3")
    assert said.replace("-100", "3") not in run.err


def test_records_mark_the_dropped_positions(write):
    rng = np.random.default_rng(2)
    x, y = write("x.npy", rng.standard_normal((2, 3, 4))), write("y.npy", np.array([[1, 2, 3]] * 2))
    r = run_cece("categorical", x, y, "--shift", "-f", "jsonl")
    recs = [json.loads(line) for line in r.out.splitlines()]
    assert [rec["ignored"] for rec in recs] == [False, False, True] * 2
    assert [rec["target"] for rec in recs if not rec["ignored"]] == [2, 3, 2, 3]


def test_nd_sample_weight_without_shift(write):
    """(B, T) sample weights beside (B, T) labels: one weight per label."""
    rng = np.random.default_rng(3)
    logits, labels = rng.standard_normal((2, 4, 3)), rng.integers(0, 3, (2, 4))
    w = rng.uniform(0.5, 2, (2, 4))
    r = run_cece(
        "categorical",
        write("x.npy", logits),
        write("y.npy", labels),
        "--sample-weight",
        write("w.npy", w),
        "-q",
    )
    want = reference.categorical(
        logits.reshape(-1, 3).tolist(), labels.ravel().tolist(), sample_weight=w.ravel().tolist()
    )
    assert float(r.out) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(
    "args, line",
    [
        (
            ["x2.npy", "[0,1,2,0]", "--shift"],
            "cece: error: --shift needs a sequence axis: logits (batch, tokens, vocab) and "
            "labels (batch, tokens); x2.npy has shape (4, 3)",
        ),
        (
            ["x.npy", "--shift"],
            "cece: error: --shift needs a LABELS array file (.npy, .safetensors, .pt)",
        ),
        (
            ["x.npy", "y3.npy", "--shift"],
            "cece: error: y3.npy: labels have shape (2, 3); --shift expects (2, 5) (the input "
            "ids, shifted here) or (2, 4) (already shifted) for x.npy of shape (2, 5, 4)",
        ),
        (
            ["x.npy", "y.npy", "--shift", "--mask", "y3.npy"],
            "cece: error: y3.npy: mask has shape (2, 3); expected (2, 5) (the labels')",
        ),
        (
            ["x.npy", "y.npy", "--mask", "m2.npy"],
            "cece: error: m2.npy: mask value 2 at [0, 1]; expected 0 or 1",
        ),
        (
            ["x.npy", "y.csv", "--mask", "m.npy"],
            "cece: error: --mask needs labels in an array file (.npy, .npz, .safetensors, "
            ".pt); y.csv is a table",
        ),
        (
            ["x.npy", "y.npy", "--shift", "--sample-weight", "y3.npy"],
            "cece: error: y3.npy: sample weights have shape (2, 3); expected (2, 5) (the labels')",
        ),
        (
            ["x.npy", "y.npy", "--sample-weight", "y3.npy"],
            "cece: error: y3.npy: sample weights have shape (2, 3); expected one weight per sample",
        ),
        (
            ["x.npy", "y.npy", "--shift", "--rescale", "2"],
            "cece: error: --rescale does not go with --shift",
        ),
        (
            ["x.npy", "yf.npy", "--shift"],
            "cece: error: yf.npy: row 0, column 1: expected a class index, found 0.5",
        ),
    ],
)
def test_refusals(tmp_path, args, line):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.standard_normal((2, 5, 4)))
    np.save(tmp_path / "x2.npy", rng.standard_normal((4, 3)))
    np.save(tmp_path / "y.npy", rng.integers(0, 4, (2, 5)))
    np.save(tmp_path / "yf.npy", np.full((2, 5), 0.5))
    np.save(tmp_path / "y3.npy", np.zeros((2, 3), int))
    np.save(tmp_path / "m.npy", np.ones((2, 5), int))
    np.save(tmp_path / "m2.npy", np.array([[1, 2, 1, 0, 0], [1] * 5]))
    (tmp_path / "y.csv").write_text("\n".join("0" * 1 for _ in range(10)) + "\n")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        r = run_cece("categorical", *args)
    finally:
        os.chdir(cwd)
    assert r.error_line() == line


def test_unshifted_labels_hint_at_shift(write):
    rng = np.random.default_rng(0)
    r = run_cece(
        "categorical",
        write("x.npy", rng.standard_normal((2, 6, 4))),
        write("y.npy", rng.integers(0, 4, (2, 5))),
    )
    r.error_line()
    assert r.err_lines[-1] == (
        "  hint: labels one shorter than each sequence: shifted for a causal LM? --shift "
        "scores them"
    )


def test_label_errors_name_their_place_in_the_labels_array(write):
    """Under --shift the sample is a position of the logits (b·T + t): "row 2" pointed at
    another label of the (B, T) file, or at none. The row and column of the file are named."""
    x = write("x.npy", np.random.default_rng(1).normal(size=(2, 4, 5)))
    cases = [
        ([[1, 2, 3, 5], [0, 1, 2, 3]], ["--shift"], "row 0, column 3: label 5 is out of range"),
        ([[1, 2, 3, 4], [0, 1, 2, 9]], ["--shift"], "row 1, column 3: label 9 is out of range"),
        ([[2, 3, 4], [1, 2, 9]], ["--shift"], "row 1, column 2: label 9 is out of range"),
        ([[1, 2, 3, 5], [0, 1, 2, 3]], ["--mask", "[[1,1,1,1],[1,1,1,1]]"], "row 0, column 3"),
    ]
    for labels, option, place in cases:
        y = write("y.npy", np.array(labels))
        assert run_cece("categorical", x, y, *option).error_line() == (
            f"cece: error: {y}: {place}"
            + ("" if "label" in place else ": label 5 is out of range")
            + " for 5 classes (expected 0..4)"
        )
    nan = write("nan.npy", np.array([[1.0, 2, 3, 4], [0, 1, 2, np.nan]]))
    line = run_cece("categorical", x, nan, "--shift").error_line()
    assert line == f"cece: error: {nan}: row 1, column 3: found nan label; expected a finite number"


def test_lm_shapes_under_shift_and_mask(write):
    """(B, T, 1) labels are squeezed as without --shift/--mask (they were refused); (B, V, T)
    logits get the --class-axis hint; one position a sequence has nothing to score (it was
    a nan mean with exit 0)."""
    rng = np.random.default_rng(8)
    logits, ids = rng.standard_normal((3, 7, 11)), rng.integers(0, 11, (3, 7))
    x, y = write("x.npy", logits), write("y.npy", ids)
    want = float(run_cece("categorical", x, y, "--shift", "-q").out)
    assert want == pytest.approx(_hf(logits, ids), rel=1e-12)
    y1 = write("y1.npy", ids[:, :, None])
    run = run_cece("categorical", x, y1, "--shift")
    assert run.code == 0, run.err
    assert "labels of shape (3, 7, 1): the trailing axis of size 1 squeezed" in run.err
    assert float(run_cece("categorical", x, y1, "--shift", "-q").out) == want
    mask = write("m.npy", np.ones((3, 7), dtype=np.int64))
    run = run_cece("categorical", x, y1, "--mask", mask, "-q")
    assert float(run.out) == float(run_cece("categorical", x, y, "-q").out)
    bvt = write("bvt.npy", np.ascontiguousarray(logits.transpose(0, 2, 1)))
    run = run_cece("categorical", bvt, y, "--shift")
    assert run.err_lines[-1] == "  hint: --class-axis 1 if the logits are (B, V, T)"
    run = run_cece("categorical", bvt, y, "--shift", "--class-axis", "1", "-q")
    assert float(run.out) == pytest.approx(want, rel=1e-12)
    run = run_cece("categorical", bvt, y, "--mask", mask)  # the same hint under --mask
    assert run.code == 2 and "--mask expects (3, 11)" in run.error_line()
    assert run.err_lines[-1] == "  hint: --class-axis 1 if the logits are (B, V, T)"
    run = run_cece("categorical", bvt, y, "--mask", mask, "--class-axis", "1", "-q")
    assert float(run.out) == float(run_cece("categorical", x, y, "-q").out)
    run = run_cece("categorical", x, write("y9.npy", ids[:, :5]), "--mask", mask)
    assert run.code == 2 and "hint" not in run.err  # not a (B, V, T) shape: no hint
    one = write("one.npy", logits[:, :1])
    line = run_cece("categorical", one, write("y2.npy", ids[:, :1]), "--shift").error_line()
    assert line == (
        f"cece: error: {one}: sequences of 1 position under --shift: no position has a next "
        "token to score"
    )


def test_the_dropped_last_position_has_no_label_in_its_record(write):
    """With --ignore-index 3 its record said "target": 3, a real token's label."""
    rng = np.random.default_rng(9)
    ids = rng.integers(0, 5, (2, 4))
    x, y = write("x.npy", rng.normal(size=(2, 4, 5))), write("y.npy", ids)
    run = run_cece("categorical", x, y, "--shift", "--ignore-index", "3", "-f", "jsonl")
    records = [json.loads(line) for line in run.out.splitlines()]
    for rec in records:
        t = rec["position"]
        if t == 3:
            assert rec["target"] == -100 and rec["ignored"] is True
        else:
            label = int(ids[rec["sequence"], t + 1])
            assert rec["target"] == label and rec["ignored"] is (label == 3)


def test_nan_logits_at_a_position_not_scored_are_said_so(write):
    """Padding that holds NaN logits (some attention kernels leave them): the refusal named a
    flat row and said to impute; it says which sequence and position, and that no loss reads it."""
    rng = np.random.default_rng(10)
    logits, ids = rng.normal(size=(2, 5, 4)), rng.integers(0, 4, (2, 5))
    ids[1, 4] = -100
    logits[1, 3] = np.nan  # predicts ids[1, 4]: not scored
    x, y = write("x.npy", logits), write("y.npy", ids)
    run = run_cece("categorical", x, y, "--shift")
    assert run.error_line() == (
        f"cece: error: {x}: row 8, column 0: found nan value; expected a finite number "
        "(sequence 1, position 3: not scored, its label ignored)"
    )
    assert (
        run.err_lines[-1]
        == "  hint: a position not scored still needs finite logits: write 0 there"
    )
    logits[1, 3] = 0.0
    logits[0, 1] = np.nan  # scored: the message as before
    line = run_cece("categorical", write("x2.npy", logits), y, "--shift").error_line()
    assert line.endswith("row 1, column 0: found nan value; expected a finite number")


def test_logits_already_sliced_beside_the_input_ids_get_the_way_out(write):
    rng = np.random.default_rng(11)
    logits, ids = rng.standard_normal((3, 7, 5)), rng.integers(0, 5, (3, 7))
    sliced = write("s.npy", np.ascontiguousarray(logits[:, :-1]))
    run = run_cece("categorical", sliced, write("ids.npy", ids), "--shift")
    assert run.err_lines[-1] == (
        "  hint: logits already sliced (logits[:, :-1])? then labels[:, 1:] without --shift"
    )
    followed = run_cece(
        "categorical", sliced, write("y.npy", np.ascontiguousarray(ids[:, 1:])), "-q"
    )
    assert float(followed.out) == pytest.approx(_hf(logits, ids), rel=1e-12)


def test_a_weight_error_under_shift_is_not_said_of_the_logits(write):
    """place() took any error not of the labels file for the logits': a negative weight at
    an unscored position got "not scored ... finite logits" and the logits hint."""
    rng = np.random.default_rng(12)
    ids = np.array([[1, 2, 3, 0, 1], [2, 0, 3, -100, 1]])
    w = np.ones((2, 5))
    w[1, 3] = -1.0
    args = (write("x.npy", rng.normal(size=(2, 5, 4))), write("y.npy", ids), "--shift")
    run = run_cece("categorical", *args, "--sample-weight", write("w.npy", w))
    assert run.code == 2 and "sample weight -1 is negative" in run.error_line()
    assert "not scored" not in run.err and "finite logits" not in run.err


def test_explain_a_token_under_shift_and_mask(write):
    """cece explain takes --shift and --mask (it had neither): row b·T + t is position t of
    sequence b, scored against label t + 1, as `cece categorical --shift` scores it; the header
    and the JSON say the sequence and position; an unscored position says why."""
    rng = np.random.default_rng(21)
    logits, ids = rng.standard_normal((3, 5, 7)), rng.integers(0, 7, (3, 5))
    mask = np.ones((3, 5), dtype=np.int64)
    mask[2, 3:] = 0
    x, y, m = write("x.npy", logits), write("y.npy", ids), write("m.npy", mask)
    doc = json.loads(run_cece("explain", x, y, "--shift", "--mask", m, "-n", "6", "-f", "json").out)
    assert (doc["sequence"], doc["position"]) == (1, 1)
    want = reference.categorical([logits[1, 1].tolist()], [int(ids[1, 2])])  # label t + 1
    assert doc["sample_loss"] == pytest.approx(want, rel=1e-12)
    assert doc["loss"] == pytest.approx(_hf(logits, ids, mask), rel=1e-12)
    run = run_cece("explain", x, y, "--shift", "--mask", m, "-n", "12")  # sequence 2, position 2
    assert run.code == 0, run.err
    assert "row 12 of 15 (sequence 2, position 2)" in run.out  # its label (position 3) masked
    assert "y = -100: not scored (--shift, --mask: the ignore value here)" in run.out
    run = run_cece("explain", x, y, "--shift", "--binary")
    assert (
        run.error_line() == "cece: error: --shift applies to categorical cross-entropy, not binary"
    )
