"""Which columns of an evaluation dump are class scores (review of 2026-11-30, finding 2).

The dumps under tests/data/columns/ were written by pandas' defaults (make_cases.py, which
stores PyTorch's and scikit-learn's losses on them in cases.json). A column kept beside the
scores (a per-sample loss, a confidence, a weight, a 0/1 or True/False flag, a column that
breaks the others' name pattern) is refused, naming --pred-cols; the score columns cece takes
are stated; the peer's number is what the refused command's hint computes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from conftest import run_cece

DATA = Path(__file__).resolve().parent / "data" / "columns"
PEERS = json.loads((DATA / "cases.json").read_text())["peers"]


def _refused(args: list[str], line: str, hint: str) -> None:
    run = run_cece("categorical", *args)
    assert run.error_line() == f"cece: error: {line}"
    assert run.err_lines[-1] == f"  hint: {hint}"


@pytest.mark.parametrize(
    "file, line, hint",
    [
        (
            "flat.csv",
            "column 'confidence' is named as a confidence: not a class score (nor 'loss'); "
            "--pred-cols chooses the score columns",
            "logit_0,logit_1,logit_2,logit_3",
        ),
        (
            "flat.parquet",
            "column 'confidence' is named as a confidence: not a class score (nor 'loss'); "
            "--pred-cols chooses the score columns",
            "logit_0,logit_1,logit_2,logit_3",
        ),
        (
            "dump_correct.csv",
            "column 'correct' is named as a correctness flag: not a class score; "
            "--pred-cols chooses the score columns",
            "cat,dog,pig",
        ),
        (
            "dump_bool.csv",
            "column 'ok' holds True/False: not a class score; --pred-cols chooses the score "
            "columns",
            "cat,dog,pig",
        ),
        (
            "dump_bool.parquet",
            "column 'ok' holds True/False: not a class score; --pred-cols chooses the score "
            "columns",
            "cat,dog,pig",
        ),
        (
            "pattern.csv",
            "column 'temp' breaks the name pattern of logit_0..logit_3: not a class score; "
            "--pred-cols chooses the score columns",
            "logit_0,logit_1,logit_2,logit_3",
        ),
        (
            "default_extra.csv",
            "column 'extra' breaks the name pattern of 0..3: not a class score; "
            "--pred-cols chooses the score columns",
            "0:4",
        ),
    ],
)
def test_an_extra_column_of_a_dump_is_refused_naming_pred_cols(file, line, hint):
    _refused(
        [str(DATA / file), "--label-col", "label"],
        f"{DATA / file}: {line}",
        f"choose the score columns with --pred-cols {hint}",
    )


def test_a_0_1_column_beside_decimals_needs_a_g_writer_to_be_scores():
    """dump_flag.csv: pandas writes the logits with a point and the flag as 0/1: no column
    mixes whole numbers and decimals and the rows do not sum to 1, so the flag is no %g
    writer's exact probability."""
    f = DATA / "dump_flag.csv"
    _refused(
        [str(f), "--label-col", "label"],
        f"{f}: column 'flag' holds integers among decimal scores: an index, id or label column "
        "is not a class score",
        "choose the score columns with --pred-cols cat,dog,pig",
    )


def test_g_writer_zero_one_probabilities_are_still_scores(tmp_path):
    """np.savetxt(fmt="%g") of probabilities: the 0s and 1s are exact probabilities (the
    rows sum to 1), so the column stays a class score."""
    p = tmp_path / "p.csv"
    p.write_text("0.25,0.75,0\n0.5,0.5,0\n0,0,1\n")
    y = tmp_path / "y.csv"
    y.write_text("1\n0\n2\n")
    run = run_cece("categorical", p, y, "--from", "probs", "-q")
    assert run.code == 0, run.err
    want = -(math.log(0.75) + math.log(0.5) + math.log(1 - 2.220446049250313e-16)) / 3
    assert float(run.out) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(
    "file, cols, peer",
    [
        ("flat.csv", "logit_0,logit_1,logit_2,logit_3", "flat"),
        ("flat.parquet", "logit_0:4", "flat"),
        ("dump_correct.csv", "cat,dog,pig", "dump"),
        ("dump_flag.csv", "cat,dog,pig", "dump"),
        ("dump_bool.parquet", "cat,dog,pig", "dump"),
        ("pattern.csv", "0:4", "flat"),
    ],
)
def test_the_hinted_command_gives_the_peers_number(file, cols, peer):
    if cols == "logit_0:4":
        cols = "0:4"
    run = run_cece(
        "categorical", DATA / file, "--label-col", "label", "--pred-cols", cols, "-f", "json"
    )
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["loss"] == pytest.approx(PEERS[peer], rel=1e-6 if "dump" in file else 1e-12)
    assert not any(i["what"] == "scores" for i in doc["input"].get("inferred", []))


def test_a_weight_column_named_so_is_refused_and_weights_with_sample_weight():
    f = DATA / "eval3.csv"
    _refused(
        [str(f), "--label-col", "y"],
        f"{f}: column 'sample_weight' is named as a weight: not a class score; --pred-cols "
        "chooses the score columns",
        "choose the score columns with --pred-cols a,b,c",
    )
    run = run_cece(
        "categorical", f, "--label-col", "y", "--pred-cols", "a,b,c",
        "--sample-weight", "sample_weight", "-q",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(PEERS["eval3_weighted"], rel=1e-12)


def test_the_score_columns_cece_chose_are_stated():
    """eval2.csv (a, b, c, y, w): nothing says w is not a class, so it is one, and the note
    says so (JSON input.inferred, what "scores")."""
    f = DATA / "eval2.csv"
    run = run_cece("categorical", f, "--label-col", "y", "-f", "json")
    assert run.code == 0, run.err
    said = f"{f}: class scores: columns a, b, c, w (4); --pred-cols chooses others"
    assert f"cece: note: {said}" in run.err_lines
    doc = json.loads(run.out)
    assert {"file": str(f), "what": "scores", "detail": said.split(": ", 1)[1]} in doc["input"][
        "inferred"
    ]
    assert doc["input"]["classes"] == ["a", "b", "c", "w"]


def test_a_numbered_run_is_stated_compactly(tmp_path):
    f = tmp_path / "d.csv"
    rows = [",".join(["logit_0", "logit_1", "logit_2", "logit_3", "label"])]
    rows += ["0.5,1.5,-0.25,2.0,3", "1.0,0.0,0.5,-1.5,0"]
    f.write_text("\n".join(rows) + "\n")
    run = run_cece("categorical", f, "--label-col", "label", "-f", "json")
    assert run.code == 0, run.err
    assert f"cece: note: {f}: class scores: columns logit_0..logit_3 (4); --pred-cols chooses " \
        "others" in run.err_lines  # fmt: skip


def test_a_labels_file_with_all_columns_scores_says_nothing_more():
    """Nothing chosen: every column of PREDS is a score (the header names the classes)."""
    root = Path(__file__).resolve().parent.parent / "sample_data"
    run = run_cece(
        "categorical", root / "catdogpig_logits.csv", root / "catdogpig_labels.csv", "-f", "json"
    )
    assert run.code == 0, run.err
    assert not any("class scores" in line for line in run.err_lines)


@pytest.mark.parametrize(
    "file, peer",
    [
        ("flat.csv", "flat"),
        ("flat.parquet", "flat"),
        ("dump_correct.csv", "dump"),
        ("dump_flag.csv", "dump"),
        ("dump_bool.csv", "dump"),
        ("dump_bool.parquet", "dump"),
        ("pattern.csv", "flat"),
        ("default_extra.csv", "flat"),
    ],
)
def test_inspect_suggests_a_command_cece_computes_right(file, peer):
    """The suggestion names the score columns where the loss commands would refuse one, and
    running it gives the peer's number."""
    import shlex

    run = run_cece("inspect", DATA / file, "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    words = shlex.split(doc["suggestion"])
    assert words[:2] == ["cece", "categorical"] and "--pred-cols" in words
    assert any(note.endswith(": not a class score") for note in doc["notes"])
    done = run_cece(*words[1:], "-f", "json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["loss"] == pytest.approx(PEERS[peer], rel=1e-6)
