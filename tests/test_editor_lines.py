"""Errors inside text files name the line an editor shows (1-based, counting the header,
comments and blank lines before the table), as the README promises; arrays and inline values
keep 0-based sample rows."""

from __future__ import annotations

import gzip

import numpy as np

from conftest import run_cece

X6 = np.arange(18, dtype=np.float64).reshape(6, 3)
OUT_OF_RANGE = "is out of range for 3 classes (expected 0..2)"


def test_the_issue_case_row_5_is_line_7(tmp_path):
    np.save(tmp_path / "x.npy", X6)
    (tmp_path / "y.csv").write_text("label\n0\n1\n2\n0\n1\n5\n")
    run = run_cece("categorical", tmp_path / "x.npy", tmp_path / "y.csv")
    assert run.error_line() == f"cece: error: {tmp_path / 'y.csv'}: line 7: label 5 {OUT_OF_RANGE}"


def test_comments_and_blank_lines_before_the_table_count(tmp_path):
    np.save(tmp_path / "x.npy", X6[:3])
    (tmp_path / "y.csv").write_text("# labels of the test split\n\nlabel\n0\n1\n-3\n")
    run = run_cece("categorical", tmp_path / "x.npy", tmp_path / "y.csv")
    assert run.error_line() == (
        f"cece: error: {tmp_path / 'y.csv'}: line 6: label -3 {OUT_OF_RANGE}"
    )
    assert run.err_lines[1] == "  hint: to skip samples labelled -3, pass --ignore-index -3"


def test_no_header_crlf_and_compressed(tmp_path):
    np.save(tmp_path / "x.npy", X6[:3])
    (tmp_path / "y.csv").write_bytes(b"0\r\n1.5\r\n2\r\n")
    run = run_cece("categorical", tmp_path / "x.npy", tmp_path / "y.csv")
    assert run.error_line().endswith("y.csv: line 2: expected a class index, found 1.5")
    (tmp_path / "y.csv.gz").write_bytes(gzip.compress(b"label\n0\n1\n9\n"))
    run = run_cece("categorical", tmp_path / "x.npy", tmp_path / "y.csv.gz")
    assert run.error_line().endswith(f"y.csv.gz: line 4: label 9 {OUT_OF_RANGE}")


def test_standard_input(tmp_path):
    np.save(tmp_path / "x.npy", X6[:3])
    run = run_cece("categorical", tmp_path / "x.npy", "-", stdin=b"# y\nlabel\n0\n3\n1\n")
    assert run.error_line() == f"cece: error: <stdin>: line 4: label 3 {OUT_OF_RANGE}"


def test_class_names_and_label_column_of_preds(tmp_path):
    (tmp_path / "p.csv").write_text("cat,dog,pig\n1,2,3\n2,4,6\n1,1,1\n")
    (tmp_path / "y.csv").write_text("species\ncat\ndog\ncow\n")
    run = run_cece("categorical", tmp_path / "p.csv", tmp_path / "y.csv")
    assert run.error_line().endswith(
        "y.csv: line 4: class 'cow' is not one of the classes (cat, dog, pig)"
    )
    (tmp_path / "e.csv").write_text("# eval dump\ncat,dog,pig,label\n1,2,3,0\n2,4,6,4\n")
    run = run_cece("categorical", tmp_path / "e.csv", "--label-col", "label")
    assert run.error_line().endswith(f"e.csv: line 4: label 4 {OUT_OF_RANGE}")


def test_values_of_preds_name_the_file_column(tmp_path):
    (tmp_path / "p.csv").write_text("id,cat,dog,pig\n7,0.5,0.5,0\n8,0.2,0.8,0\n9,0.5,0,1.5\n")
    run = run_cece(
        "categorical", tmp_path / "p.csv", "[0,1,2]", "--from", "probs", "--pred-cols", "1:4"
    )
    assert run.error_line().endswith(
        "p.csv: line 4, column 3 ('pig'): 1.5 is not a probability (expected a value in [0, 1])"
    )


def test_binary_targets_dense_targets_and_sample_weights(tmp_path):
    (tmp_path / "p.csv").write_text("0.1\n0.2\n0.3\n")
    (tmp_path / "t.csv").write_text("target\n0\n1\n2\n")
    run = run_cece("binary", tmp_path / "p.csv", tmp_path / "t.csv")
    assert run.error_line().endswith("t.csv: line 4: target 2 is outside [0, 1]")
    np.save(tmp_path / "x.npy", X6[:3])
    (tmp_path / "d.csv").write_text("a,b,c\n1,0,0\n0,1,0\n0,-1,1\n")
    run = run_cece("categorical", tmp_path / "x.npy", tmp_path / "d.csv")
    assert run.error_line().endswith("d.csv: line 4, column 1 ('b'): target -1 is outside [0, 1]")
    (tmp_path / "w.csv").write_text("weight\n1\n-2\n1\n")
    run = run_cece(
        "categorical", tmp_path / "x.npy", "[0,1,2]", "--sample-weight", tmp_path / "w.csv"
    )
    assert run.error_line().endswith(
        "w.csv: line 3: sample weight -2 is negative; expected weights ≥ 0"
    )


def test_arrays_and_literals_keep_sample_rows(tmp_path):
    np.save(tmp_path / "x.npy", X6[:3])
    np.save(tmp_path / "y.npy", np.array([0, 1, 5]))
    run = run_cece("categorical", tmp_path / "x.npy", tmp_path / "y.npy")
    assert run.error_line().endswith(f"y.npy: row 2: label 5 {OUT_OF_RANGE}")
    run = run_cece("categorical", tmp_path / "x.npy", "[0,1,5]")
    assert run.error_line() == f"cece: error: literal '[0,1,5]': row 2: label 5 {OUT_OF_RANGE}"
