"""Which column an option names, and one role a column (review of 2026-11-30, findings 4, 5
and 7).

An integer COL spec is a position unless the header has it as a name; one that names a column
and is the position of another is refused (``name:3`` / ``3:4`` say which). A column taken by
position is stated (note and JSON ``input.inferred``, ``what: "columns"``). A column named by
two options (scores and labels, labels and weights...) is refused, naming both. A LABELS
table ``label,weight`` is not read as dense targets. The files and the peers' numbers are in
tests/data/columns/ (make_cases.py: PyTorch 2.13 and scikit-learn 1.9.1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cece

DATA = Path(__file__).resolve().parent / "data" / "columns"
PEERS = json.loads((DATA / "cases.json").read_text())["peers"]


def _error(*args: object) -> tuple[str, str | None]:
    run = run_cece("categorical", *args)
    line = run.error_line()
    hints = [x for x in run.err_lines if x.startswith("  hint: ")]
    return line, hints[0] if hints else None


@pytest.mark.parametrize(
    "args, option",
    [
        (["--label-col", "y", "--pred-cols", "0:3", "--sample-weight", "3"], "--sample-weight"),
        (["--label-col", "y", "--sample-weight", "3"], "--sample-weight"),
        (["--label-col", "3"], "--label-col"),  # uci2.csv: 1,2,3,w,y
    ],
)
def test_an_integer_that_is_a_name_and_another_position_is_refused(args, option):
    f = DATA / "uci2.csv"
    line, hint = _error(f, *args)
    spec = "3"
    assert line == (
        f"cece: error: {option} '{spec}': {f} has a column named '3' (position 2) and column "
        f"'w' at position 3; which one is not guessed"
    )
    assert hint == (
        f"  hint: {option} name:3 takes the column named 3, {option} 3:4 the column at position 3"
    )


def test_pred_cols_of_integer_names_that_are_other_positions_are_refused():
    f = DATA / "uci2.csv"
    line, _ = _error(f, "--label-col", "y", "--pred-cols", "1,2,3")
    assert line == (
        f"cece: error: --pred-cols '1,2,3': {f} has a column named '1' (position 0) and "
        "column '2' at position 1; which one is not guessed"
    )


@pytest.mark.parametrize("weight", ["3:4", "w"])
def test_the_weight_column_said_either_way_gives_scikit_learns_number(weight):
    """log_loss(y, p, labels=[1, 2, 3], sample_weight=w): w is position 3."""
    run = run_cece(
        "categorical", DATA / "uci2.csv", "--label-col", "y", "--pred-cols", "0:3",
        "--sample-weight", weight, "-f", "json",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert json.loads(run.out)["loss"] == pytest.approx(PEERS["uci2_weighted"], rel=1e-12)


def test_name_prefix_takes_the_integer_name():
    run = run_cece(
        "categorical", DATA / "uci2.csv", "--label-col", "y",
        "--pred-cols", "name:1,name:2,name:3", "-f", "json",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert json.loads(run.out)["loss"] == pytest.approx(PEERS["uci2"], rel=1e-12)


def test_a_column_taken_by_position_is_named_in_a_note_and_json():
    """eval2.csv (a, b, c, y, w): --sample-weight 1 is column b; the note says so, and the
    number is b's weighting (the scores then a, c, w, as stated too)."""
    f = DATA / "eval2.csv"
    run = run_cece("categorical", f, "--label-col", "y", "--sample-weight", "1", "-f", "json")
    assert run.code == 0, run.err
    said = "--sample-weight 1: column 'b' (position 1)"
    assert f"cece: note: {f}: {said}" in run.err_lines
    doc = json.loads(run.out)
    assert {"file": str(f), "what": "columns", "detail": said} in doc["input"]["inferred"]
    assert doc["loss"] == pytest.approx(PEERS["eval2_b_as_weight"], rel=1e-12)
    run = run_cece(
        "categorical", f, "--label-col", "y", "--pred-cols", "a,b,c", "--sample-weight", "w",
        "-f", "json",
    )  # fmt: skip
    assert json.loads(run.out)["loss"] == pytest.approx(PEERS["eval2_weighted"], rel=1e-12)
    assert not any("what" in i and i["what"] == "columns" for i in json.loads(run.out)["input"].get("inferred", []))  # fmt: skip


def test_positions_count_the_index_column_and_say_so():
    f = DATA / "idx_dump.csv"
    run = run_cece("categorical", f, "--label-col", "y", "--pred-cols", "2:7", "-f", "json")
    assert run.code == 0, run.err
    said = (
        "--pred-cols 2:7: columns a, b, c, d, e (positions 2..6); positions count the unnamed "
        "index column 0"
    )
    assert f"cece: note: {f}: {said}" in run.err_lines
    assert json.loads(run.out)["loss"] == pytest.approx(PEERS["idx_dump"], rel=1e-12)


@pytest.mark.parametrize(
    "args, first, second, hint",
    [
        (["--label-col", "y", "--pred-cols", "1:6"], "--label-col", "--pred-cols", True),
        (["--label-col", "y", "--pred-cols", "y,a,b,c,d"], "--label-col", "--pred-cols", False),
        (["--label-col", "y", "--sample-weight", "y"], "--label-col", "--sample-weight", False),
        (
            ["--label-col", "y", "--pred-cols", "a,b,c,d", "--sample-weight", "d"],
            "--sample-weight",
            "--pred-cols",
            False,
        ),
    ],
)
def test_a_column_in_two_roles_is_refused_naming_both(args, first, second, hint):
    f = DATA / "idx_dump.csv"
    line, said = _error(f, *args)
    col = "d" if "d" in args[-1:] else "y"
    assert line == (
        f"cece: error: {f}: column {col!r} is named by both {first} and {second}: a column "
        "holds one role (scores, labels, weights, mask...)"
    )
    if hint:
        assert said == f"  hint: positions count every column of {f}, its unnamed index column 0 included"  # fmt: skip
    else:
        assert said is None


def test_an_array_label_column_is_not_also_a_score(tmp_path):
    import numpy as np

    np.save(tmp_path / "a.npy", np.array([[0.1, 0.2, 1.0], [0.3, 0.1, 0.0]]))
    line, _ = _error(tmp_path / "a.npy", "--label-col", "2", "--pred-cols", "1:3")
    assert line == (
        f"cece: error: {tmp_path / 'a.npy'}: column 2 is named by both --label-col and "
        "--pred-cols: a column holds one role (scores, labels, weights, mask...)"
    )


def test_a_labels_table_of_label_and_weight_is_not_dense_targets():
    p, y = DATA / "c2p.csv", DATA / "c2y.csv"
    line, hint = _error(p, y)
    assert line == (
        f"cece: error: {y}: columns label, weight are not the classes of {p} (neg, pos) and "
        "'label' names labels: not one target column per class; --label-col decides"
    )
    assert hint == "  hint: take the labels from one column: --label-col label"
    run = run_cece("categorical", p, y, "--label-col", "label", "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["loss"] == pytest.approx(PEERS["c2"], rel=1e-12)


def test_dense_targets_named_as_the_classes_are_still_read(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("neg,pos\n0.5,1.5\n2.0,-1.0\n")
    t = tmp_path / "t.csv"
    t.write_text("neg,pos\n0.0,1.0\n1.0,0.0\n")
    run = run_cece("categorical", p, t, "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["input"]["target"] in ("one-hot", "dense", "soft")


def test_a_record_field_in_two_roles_is_refused(tmp_path):
    f = tmp_path / "ev.jsonl"
    f.write_text('{"a": 0.5, "b": 1.5, "label": 1}\n{"a": 2.0, "b": -1.0, "label": 0}\n')
    line, _ = _error(f, "--pred-cols", "a,b", "--label-col", "label", "--sample-weight", "label")
    assert line == (
        f"cece: error: {f}: field 'label' is named by both --label-col and --sample-weight: a "
        "field holds one role (scores, labels, weights, mask...)"
    )
    line, _ = _error(f, "--pred-cols", "a,label", "--label-col", "label")
    assert "field 'label' is named by both --pred-cols and --label-col" in line


def test_the_mask_column_is_not_the_label_column_and_json_names_it(tmp_path):
    f = tmp_path / "tok.csv"
    f.write_text("a,b,m,y\n0.5,1.5,1,1\n2.0,-1.0,0,0\n0.25,0.5,1,0\n")
    line, _ = _error(f, "--label-col", "y", "--mask", "y")
    assert line == (
        f"cece: error: {f}: column 'y' is named by both --label-col and --mask: a column holds "
        "one role (scores, labels, weights, mask...)"
    )
    run = run_cece("categorical", f, "--label-col", "y", "--mask", "2", "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["input"]["mask"]["column"] == "m"
    assert f"cece: note: {f}: --mask 2: column 'm' (position 2)" in run.err_lines


def test_a_refusal_hint_offers_only_columns_taken_as_scores(tmp_path):
    """A weight column refused beside an integer label column (LABELS given apart): the hint
    named the label column as a score too (--pred-cols a,b,c,label), and following it gave
    a wrong number. It offers what the scores rule takes."""
    dump = tmp_path / "dump.csv"
    dump.write_text("a,b,c,label,sample_weight\n0.5,0.25,-1.5,2,0.7\n-0.5,1.25,0.5,0,1.5\n")
    labels = tmp_path / "y.csv"
    labels.write_text("2\n0\n")
    line, hint = _error(dump, labels)
    assert "column 'sample_weight' is named as a weight: not a class score" in line
    assert hint == "  hint: choose the score columns with --pred-cols a,b,c"
    ok = run_cece("categorical", dump, labels, "--pred-cols", "a,b,c", "-q")
    assert ok.code == 0, ok.err


def test_label_col_with_array_labels_is_refused(tmp_path):
    """--label-col names a table's column; with LABELS an array it was dropped without a word
    (exit 0, null in the JSON options)."""
    np = pytest.importorskip("numpy")
    x, y = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(x, np.array([[0.2, 0.8], [0.6, 0.4]]))
    np.save(y, np.array([1, 0]))
    for command in ("categorical", "binary"):
        labels = y if command == "categorical" else "[[0,1],[1,0]]"
        run = run_cece(command, x, labels, "--label-col", "label", "-q")
        assert run.code == 2 and run.out == ""
        assert run.error_line().startswith("cece: error: --label-col 'label' picks a column of a ")
        assert run.err_lines[-1] == "  hint: leave --label-col out for array labels"
