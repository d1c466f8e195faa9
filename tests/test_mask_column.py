"""``cece categorical --mask COL``: a 0/1 column of the table that holds the labels (a flat
token dump: one row per position, labels already shifted), applied as a data collator's
``labels[mask == 0] = -100``. The PyTorch values of the stored token tables are in
tests/data/lm_refs (tests/test_lm_refs.py); here: against the same rows with -100 written
into the labels, against a naive reference, and the refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

import reference
from conftest import run_cece

ROWS = [  # a, b, c, label, mask
    [1.0, 2.0, 3.0, 0, 1],
    [2.0, 1.0, 0.0, 2, 0],
    [0.0, 0.0, 1.0, 1, 1],
    [0.5, -1.0, 2.0, 2, 1],
]


def _csv(rows, header="a,b,c,y,m") -> str:
    return header + "\n" + "\n".join(",".join(str(v) for v in r) for r in rows) + "\n"


def _expected(rows) -> float:
    x = np.array([r[:3] for r in rows], dtype=np.float64)
    y = np.array([r[3] for r in rows])
    keep = np.array([r[4] for r in rows]) == 1
    return float(np.mean(reference.categorical(x[keep], y[keep])))


def _json(r) -> dict:
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_csv_column(write):
    path = write("t.csv", _csv(ROWS))
    doc = _json(run_cece("categorical", path, "--label-col", "y", "--mask", "m", "-f", "json"))
    assert doc["loss"] == pytest.approx(_expected(ROWS), rel=1e-12)
    assert doc["stats"]["count"] == 3 and doc["stats"]["ignored"] == 1
    assert doc["options"]["mask"] == "m" and doc["options"]["ignore_index"] == -100
    assert doc["input"]["mask"] == {"file": path, "column": "m", "masked": 1}


def test_same_as_minus_100_labels(write):
    """The mask column gives what -100 written into the labels gives, record for record."""
    masked = [r[:3] + [r[3] if r[4] else -100, r[4]] for r in ROWS]
    a = run_cece(
        "categorical", write("a.csv", _csv(ROWS)), "--label-col", "y", "--mask", "m", "-f", "jsonl"
    )
    b = run_cece(
        "categorical",
        write("b.csv", _csv(masked)),
        "--label-col",
        "y",
        "--pred-cols",
        "a,b,c",
        "--ignore-index",
        "-100",
        "-f",
        "jsonl",
    )
    assert a.code == b.code == 0, a.err + b.err
    assert a.out == b.out
    assert '"target":-100' in a.out and '"ignored":true' in a.out


def test_labels_table_column(write):
    """The mask in a separate LABELS table, beside its label column."""
    preds = write("p.csv", "a,b,c\n" + "\n".join(",".join(map(str, r[:3])) for r in ROWS))
    labels = write("l.csv", "y,m\n" + "\n".join(f"{r[3]},{r[4]}" for r in ROWS) + "\n")
    r = run_cece("categorical", preds, labels, "--label-col", "y", "--mask", "m", "-q")
    assert r.code == 0, r.err
    assert float(r.out) == pytest.approx(_expected(ROWS), rel=1e-12)


def test_jsonl_field_and_explicit_ignore_index(write):
    lines = [json.dumps({"x": r[:3], "y": r[3], "m": r[4]}) for r in ROWS]
    path = write("t.jsonl", "\n".join(lines) + "\n")
    r = run_cece(
        "categorical", path, "--pred-cols", "x", "--label-col", "y", "--mask", "m", "-f", "json"
    )
    doc = _json(r)
    assert doc["loss"] == pytest.approx(_expected(ROWS), rel=1e-12)
    assert (
        "cece: note: --mask m: positions not scored are ignored as label -100 (PyTorch's "
        "default ignore_index, Hugging Face's padding); --ignore-index sets another" in r.err_lines
    )
    r = run_cece(
        "categorical",
        path,
        "--pred-cols",
        "x",
        "--label-col",
        "y",
        "--mask",
        "m",
        "--ignore-index",
        "7",
        "-f",
        "json",
    )
    doc = _json(r)
    assert doc["options"]["ignore_index"] == 7
    assert doc["loss"] == pytest.approx(_expected(ROWS), rel=1e-12)


def _error(*args: str) -> str:
    r = run_cece("categorical", *args)
    assert r.code == 2 and r.out == "", (r.code, r.out, r.err)
    lines = r.err_lines
    assert lines[-1].startswith("cece: error: ") or lines[-1].startswith("  hint: ")
    errors = [ln for ln in lines if ln.startswith("cece: error: ")]
    assert len(errors) == 1, lines  # one error line, at most one hint, no traceback
    assert not any("Traceback" in ln for ln in lines)
    return errors[0]


def test_refusals(write):
    bad = [r[:4] + [2] if i == 2 else r for i, r in enumerate(ROWS)]
    path = write("bad.csv", _csv(bad))
    assert _error(path, "--label-col", "y", "--mask", "m") == (
        f"cece: error: {path}: line 4, column m: mask value 2.0; expected 0 or 1"
    )
    ok = write("ok.csv", _csv(ROWS))
    assert _error(ok, "--label-col", "y", "--mask", "zz") == (
        "cece: error: --mask 'zz': "
        + f"{ok} has no column 'zz' (5 columns; columns are a, b, c, y, m)"
    )
    assert _error(ok, "--label-col", "y", "--mask", "m", "--shift").startswith(
        "cece: error: --mask 'm': no such file; --shift takes a mask array with the labels' shape"
    )
    lines = [json.dumps({"x": r[:3], "y": r[3], "m": [r[4], 1]}) for r in ROWS]
    jl = write("w.jsonl", "\n".join(lines) + "\n")
    assert _error(jl, "--pred-cols", "x", "--label-col", "y", "--mask", "m") == (
        f"cece: error: {jl}: field 'm' is not one number per record"
    )
    names = write("n.csv", "a,b,c,y,m\n1,2,3,cat,1\n0,1,0,dog,0\n")
    assert _error(names, "--label-col", "y", "--mask", "m", "--classes", "cat,dog,pig") == (
        f"cece: error: --mask 'm' needs class-index labels; {names} holds class names"
    )
    x = write("x.npy", np.zeros((4, 3)))
    y = write("y.npy", np.zeros(4, dtype=np.int64))
    assert _error(x, y, "--mask", "m") == (
        f"cece: error: --mask 'm': no such file, and {y} is an array without named columns"
    )
    assert _error(x, "--label-col", "0", "--mask", "m").startswith("cece: error: --mask 'm': ")


def test_mask_file_of_another_shape(write):
    x = write("x.npy", np.zeros((2, 3, 4)))
    y = write("y.npy", np.zeros((2, 3), dtype=np.int64))
    m = write("m.npy", np.ones((2, 4), dtype=np.int64))
    assert _error(x, y, "--shift", "--mask", m) == (
        f"cece: error: {m}: mask has shape (2, 4); expected (2, 3) (the labels')"
    )


def test_readme_two_sequences_as_a_token_table(write):
    """The README's --shift example (two sequences, the second padded) as a flat token table
    with a mask column: the same number."""
    path = write("tokens.csv", "a,b,c,label,mask\n2,0,1,1,1\n0,3,1,2,1\n0,2,1,0,1\n1,0,2,2,0\n")
    r = run_cece("categorical", path, "--label-col", "label", "--mask", "mask", "-q")
    assert r.code == 0, r.err
    shifted = run_cece(
        "categorical",
        "[[[2,0,1],[0,3,1],[1,1,0]],[[0,2,1],[1,0,2],[2,1,1]]]",
        "[[0,1,2],[2,0,-100]]",
        "--shift",
        "-q",
    )
    assert r.out == shifted.out == "2.328352649481682\n"


def test_an_unused_mask_field_is_said(write):
    """A token table's attention_mask, without --mask: the padding it marks was scored with
    nothing said. A note names it and the option."""
    rows = [([2.0, 0.5, -1.0], 0, 1), ([0.1, 0.2, 0.3], 2, 1), ([1.0, 1.0, 1.0], 1, 0)]
    text = "".join(
        json.dumps({"logits": x, "label": y, "attention_mask": m}) + "\n" for x, y, m in rows
    )
    path = write("tok.jsonl", text)
    run = run_cece("categorical", path)
    said = f"cece: note: {path}: field 'attention_mask' is not used; --mask attention_mask leaves out the records where it is 0"
    assert run.code == 0 and said in run.err_lines
    masked = run_cece("categorical", path, "--mask", "attention_mask", "-q")
    assert "is not used" not in masked.err
    want = reference.categorical([r[0] for r in rows[:2]], [r[1] for r in rows[:2]])
    assert float(masked.out) == pytest.approx(want, rel=1e-12)
