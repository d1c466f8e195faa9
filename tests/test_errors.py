"""Every input and usage error of CONTRACT §6 that applies to categorical: exit 2, nothing on
standard output, one `cece: error:` line naming the file (plus at most one hint)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import cece.io.text

from conftest import run_cece

X3 = np.arange(9, dtype=np.float64).reshape(3, 3)


TEXT_CASES = [
    ("empty.csv", "", "empty.csv: empty file; expected a table of numbers"),
    ("header.csv", "a,b,c\n", "header.csv: a header but no data rows"),
    ("ragged.csv", "a,b,c\n1,2,3\n4,5\n", "ragged.csv: line 3: 2 fields, expected 3 like line 1"),
    ("long.csv", "1,2,3\n4,5,6,7\n", "long.csv: line 2: 4 fields, expected 3 like line 1"),
    (
        "cell.csv",
        "a,b,c\n1,2,3\n4,x,6\n",
        "cell.csv: line 3, column 1 ('b'): expected a number, found 'x'",
    ),
    (
        "nan.csv",
        "a,b,c\n1,2,3\n4,nan,6\n",
        "nan.csv: line 3, column 1 ('b'): found nan; expected a finite number",
    ),
    (
        "inf.csv",
        "1,2,3\n4,5,inf\n",  # +inf (a -inf logit is a class of probability 0)
        "inf.csv: line 2, column 2: found inf; expected a finite number",
    ),
    ("blank.csv", "1,2,3\n\n4,5,6\n", "blank.csv: line 2: empty line inside the table"),
    (
        "empty_cell.csv",
        "1,2,3\n4,,6\n",
        "empty_cell.csv: line 2, column 1: expected a number, found ''",
    ),
    (
        "thousands.csv",
        '1,2,3\n4,"1,000",6\n',
        "thousands.csv: line 2, column 1: expected a number, found '1,000'",
    ),
]


@pytest.mark.parametrize("name, text, message", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_text_table_errors(name, text, message, write, parser):
    run = run_cece("categorical", write(name, text), "[0,1]")
    line = run.error_line()
    assert line.endswith(message) and line.startswith(f"cece: error: {write(name, text)}")


@pytest.mark.parametrize(
    "labels, message",
    [
        ("[0,1,5]", "row 2: label 5 is out of range for 3 classes (expected 0..2)"),
        ("[0,-1,2]", "row 1: label -1 is out of range for 3 classes (expected 0..2)"),
        ("[0,1.5,2]", "row 1: expected a class index, found 1.5"),
        ("[0,1]", "labels have shape (2,); expected shape (3,) (one label per sample)"),
        ('["a","b","c"]', "labels are class names, but the classes are not named"),
    ],
)
def test_label_errors(labels, message, write):
    line = run_cece("categorical", write("x.npy", X3), labels).error_line()
    assert message in line


def test_label_hints(write):
    run = run_cece("categorical", write("x.npy", X3), "[0,-100,2]")
    assert run.err_lines[1] == "  hint: to skip samples labelled -100, pass --ignore-index -100"
    run = run_cece("categorical", write("x.npy", X3), "[1,2,3]")
    assert run.err_lines[1] == "  hint: labels count from 0; if yours start at 1, subtract 1"


def test_class_name_not_in_header(write):
    preds = write("p.csv", "cat,dog,pig\n1,2,3\n2,4,6\n")
    line = run_cece("categorical", preds, write("l.csv", "label\ncat\ncow\n")).error_line()
    assert line.endswith("l.csv: line 3: class 'cow' is not one of the classes (cat, dog, pig)")


def test_row_count_mismatch_names_both_files(write):
    preds = write("p.csv", "1,2,3\n2,4,6\n3,3,3\n")
    labels = write("l.csv", "0\n2\n")
    line = run_cece("categorical", preds, labels).error_line()
    assert line == f"cece: error: row counts differ: {preds} has 3 rows, {labels} has 2 rows"
    line = run_cece(
        "categorical", write("x.npy", X3), write("y.npy", np.array([0, 1]))
    ).error_line()
    assert "y.npy: labels have shape (2,); expected shape (3,) (one label per sample)" in line
    assert "(predictions: (3, 3) in " in line and "x.npy)" in line


def test_dense_target_shape_and_range(write):
    line = run_cece("categorical", write("x.npy", X3), "[[0,1],[1,0],[0,1]]").error_line()
    assert "labels have shape (3, 2)" in line
    line = run_cece(
        "categorical", write("x.npy", X3), write("t.csv", "0,1,0\n0,2,0\n1,0,0\n")
    ).error_line()
    assert line.endswith("t.csv: line 2, column 1: target 2 is outside [0, 1]")


def test_probabilities_outside_0_1_under_from_probs(write):
    run = run_cece("categorical", write("x.npy", X3), "[0,1,2]", "--from", "probs")
    assert run.error_line().endswith(
        "x.npy: row 0, column 2: 2 is not a probability (expected a value in [0, 1])"
    )
    assert run.err_lines[1] == "  hint: these look like logits: use --from logits (or auto)"
    line = run_cece(
        "categorical", write("x.npy", X3), "[0,1,2]", "--from", "log-probs"
    ).error_line()
    assert "is not a log-probability (expected a value ≤ 0)" in line


def test_nonfinite_in_arrays_names_row_and_column(write):
    x = X3.copy()
    x[2, 1] = np.nan
    line = run_cece("categorical", write("x.npy", x), "[0,1,2]").error_line()
    assert line.endswith("x.npy: row 2, column 1: found nan value; expected a finite number")


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--weight", "1,inf,1", "--weight: class weights must be finite numbers"),  # -1: PyTorch
        ("--weight", "1,1", "--weight has 2 values; expected one per class (3)"),
        ("--weight", "a,b", "--weight 'a,b': expected numbers like 1,2,3 or a file"),
        ("--sample-weight", "[1,-2,1]", "sample weights must be ≥ 0; found -2 at position 1"),
        ("--eps", "0.5", "--eps must be in [0, 0.5); got 0.5"),
        ("--eps", "-1e-9", "--eps must be in [0, 0.5); got -1e-09"),
        ("--label-smoothing", "1.5", "--label-smoothing must be in [0, 1]; got 1.5"),
        ("--focal-gamma", "-1", "--focal-gamma must be in [0, inf); got -1"),
        ("--class-axis", "2", "x.npy with 2 dimensions (shape (3, 3))"),
        ("--classes", "a,b", "x.npy has 3 prediction columns"),
        ("--rows", "many", "--rows must be a number or 'all', not 'many'"),
        ("--reduction", "avg", "invalid value for '--reduction' / '-r': 'avg' is not one of"),
        ("--bogus", None, "no such option: --bogus"),
    ],
)
def test_option_errors(option, value, message, write):
    args = ["categorical", write("x.npy", X3), "[0,1,2]", option] + ([value] if value else [])
    assert message in run_cece(*args).error_line()


def test_ignore_index_with_dense_targets_is_refused(write):
    line = run_cece(
        "categorical", write("x.npy", X3), "[[1,0,0],[0,1,0],[0,0,1]]", "--ignore-index", "0"
    ).error_line()
    assert "--ignore-index applies to class-index labels, not to dense targets" in line


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda w, d: d / "nope.csv", "nope.csv: no such file"),
        (lambda w, d: d, "is a directory; expected a file"),
        (lambda w, d: w("g.bin", b"\x00\x01garbage\xff\xfe"), "g.bin: not a text table: byte 0xff"),
        (lambda w, d: w("o.npy", b""), "o.npy: not a .npy file"),
        (lambda w, d: w("z.csv.gz", b"plain text"), "z.csv.gz: not a gzip file"),
        (lambda w, d: w("t.csv.gz", _gzip(b"1,2,3\n4,5,6\n")[:-12]), "truncated gzip stream"),
    ],
)
def test_file_errors(setup, message, write, tmp_path):
    path = setup(write, tmp_path)
    assert message in run_cece("categorical", str(path), "[0,1]").error_line()


def test_unreadable_file(write, monkeypatch):
    path = write("p.csv", "1,2\n")
    monkeypatch.setattr("os.access", lambda *a, **k: False)
    assert (
        run_cece("categorical", path, "[0]")
        .error_line()
        .endswith("p.csv: cannot read: permission denied")
    )


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data)


def test_pickled_and_truncated_npy(write, tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    line = run_cece("categorical", str(tmp_path / "obj.npy"), "[0,1]").error_line()
    assert line.endswith("obj.npy: holds Python objects (dtype object); cece never unpickles")
    full = tmp_path / "x.npy"
    np.save(full, X3)
    cut = write("cut.npy", full.read_bytes()[:-10])
    line = run_cece("categorical", cut, "[0,1,2]").error_line()
    assert line.endswith(
        "cut.npy: truncated: shape (3, 3) of float64 needs 72 bytes of data, the file has 62"
    )


def test_npz_needs_a_key_when_it_holds_several_arrays(tmp_path):
    np.savez(tmp_path / "two.npz", a=X3, b=np.arange(3))
    path = str(tmp_path / "two.npz")
    run = run_cece("categorical", path, "[0,1,2]")
    assert run.error_line().endswith("two.npz: holds 2 arrays (a, b); say which one")
    assert (
        "has no array 'c'; it has a, b" in run_cece("categorical", path + ":c", "[0]").error_line()
    )
    ok = run_cece("categorical", path + ":a", path + ":b", "-q")
    assert ok.code == 0 and float(ok.out) > 0


def test_stdin_for_two_inputs_is_refused():
    line = run_cece("categorical", "-", "-").error_line()
    assert line == "cece: error: only one input can come from standard input ('-')"


def test_missing_labels_and_a_hint_for_a_label_column(write):
    line = run_cece("categorical", write("x.npy", X3)).error_line()
    assert "no labels: pass a LABELS file or name the label column with --label-col" in line
    run = run_cece("categorical", write("p.csv", "a,b,label\n1,2,0\n3,4,1\n"))
    assert run.err_lines[-1].endswith("p.csv has a column 'label': pass --label-col label")


def test_one_column_points_to_binary(write):
    run = run_cece("categorical", write("p.csv", "0.2\n0.9\n"), "[0,1]")
    assert (
        "1 prediction column; categorical cross-entropy needs 2 or more classes" in run.error_line()
    )
    assert run.err_lines[1] == "  hint: for one column of scores or probabilities use cece binary"


def test_strict_turns_warnings_into_errors(write):
    preds = write("p.csv", "0.5,0.4\n0.3,0.6\n")
    line = run_cece("categorical", preds, "[0,1]", "--from", "probs", "--strict").error_line()
    assert "probability row(s) do not sum to 1" in line and line.endswith("(--strict)")


def test_internal_errors_exit_3_with_one_line_and_debug_shows_the_traceback(monkeypatch):
    import cece.engine.pipeline

    def boom(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cece.engine.pipeline, "run", boom)
    run = run_cece("categorical", "[[1,2]]", "[0]")
    assert run.code == 3 and run.out == ""
    assert run.err_lines[0] == (
        "cece: error: internal error (ZeroDivisionError: boom); this is "
        "a bug in cece, please report it with the command you ran"
    )
    assert "Traceback" not in run.err
    with pytest.raises(ZeroDivisionError):
        run_cece("categorical", "[[1,2]]", "[0]", "--debug")


def test_a_blank_line_before_a_later_block_of_data_is_an_error(write, monkeypatch):
    """Blocks are parsed in parallel; the blank-line rule still holds across blocks."""
    monkeypatch.setattr(cece.io.text, "SMALL", 0)
    monkeypatch.setattr(cece.io.text, "BLOCK", 64)
    monkeypatch.setenv("CECE_THREADS", "2")
    rows = "".join(f"{i},{i + 1},{i + 2}\n" for i in range(30))
    path = write("gap.csv", rows + "\n" + rows)
    assert (
        run_cece("categorical", path, "[0]")
        .error_line()
        .endswith("gap.csv: line 31: empty line inside the table")
    )
    ok = write("tail.csv", rows + "\n\n")
    assert run_cece("categorical", ok, write("y.npy", np.zeros(30, int)), "-q").code == 0


def test_a_truncated_npz_is_an_error_that_leaves_no_file_open(tmp_path):
    """np.load leaves the file it opened open when the zip is bad: cece opens it itself."""
    import gc
    import warnings

    np.savez(tmp_path / "one.npz", a=np.arange(1000.0))
    whole = (tmp_path / "one.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(whole[: len(whole) // 2])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        run = run_cece("categorical", str(tmp_path / "cut.npz"), "[0, 1]")
        gc.collect()
    assert run.code == 2
    assert "cut.npz: not a readable .npz file" in run.error_line()
    assert not [w for w in seen if issubclass(w.category, ResourceWarning)]


CHILD_BUG = """
import sys
import cece.engine.pipeline as pipeline
from cece.cli import entry

def boom(*args, **kwargs):
    raise ZeroDivisionError("boom")

pipeline.run = boom
sys.argv = ["cece", "categorical", "[[1,2]]", "[0]"]
entry.main()
"""


def test_an_internal_error_under_debug_exits_3_with_its_traceback():
    """Under --debug / CECE_DEBUG=1 the exception escaped main(): Python's exit 1, which CI
    reads as a failed check. The traceback, then the line, then exit 3."""
    env = {**os.environ, "CECE_DEBUG": "1"}
    run = subprocess.run(
        [sys.executable, "-c", CHILD_BUG], capture_output=True, text=True, env=env, check=False
    )
    assert run.returncode == 3
    assert "Traceback" in run.stderr and "ZeroDivisionError: boom" in run.stderr
    assert run.stderr.splitlines()[-1].startswith("cece: error: internal error (ZeroDivisionError")


def test_results_that_cannot_be_written_are_not_a_bug(tmp_path, monkeypatch):
    """A full disk (here /dev/full as standard output) and a directory the user cannot write
    to were "internal error ... this is a bug in cece", exit 3."""
    full = subprocess.run(
        [sys.executable, "-m", "cece", "categorical", "[[1,2,3]]", "[0]", "-f", "json", "-q"],
        stdout=open("/dev/full", "w"),  # noqa: SIM115
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    assert full.returncode == 2
    assert (
        full.stderr.splitlines()[-1]
        == "cece: error: cannot write the results (No space left on device)"
    )
    import tempfile

    from cece.report import output

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(output, "_anonymous", lambda directory: None)
    monkeypatch.setattr(tempfile, "mkstemp", denied)
    run = run_cece("categorical", "[[1,2,3]]", "[0]", "-o", tmp_path / "out.json")
    assert run.error_line() == (
        f"cece: error: --output {tmp_path / 'out.json'}: cannot write in {tmp_path} "
        "(Permission denied)"
    )


@pytest.mark.parametrize("command", [["explain", "[[1,2,3]]", "[0]"], ["curve"]])
def test_a_reader_gone_before_rich_writes_ends_quietly(command):
    """`cece explain ... | head -1`: rich turned the broken pipe into SystemExit(1)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cece", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait() == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err
