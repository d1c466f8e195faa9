"""One column left beside the labels whose name says it is not a score (a label,weight table
given as PREDS with --label-col): refused, not read as P(positive).

``pd.DataFrame({"y": y, "sample_weight": w}).to_csv(index=False)`` read as
``cece binary lwf.csv --label-col y`` took the weights for probabilities (6.5917 here); the
rule that refuses a role-named column beside other score columns now holds for a lone one too,
and the hint names the --pred-cols that takes it all the same.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import reference
from conftest import run_cece

Y = [0, 1, 1, 0, 1, 0]
W = [0.5, 1.0, 0.2, 1.0, 1.0, 0.7]


@pytest.mark.parametrize("name", ["sample_weight", "weight", "loss", "confidence", "p_true"])
def test_a_lone_role_column_is_not_p_positive(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"y": Y, name: W}).to_csv("t.csv", index=False)
    run = run_cece("binary", "t.csv", "--label-col", "y")
    line = run.error_line()
    assert line.startswith(f"cece: error: t.csv: column {name!r} is named as "), line
    assert line.endswith(": not a class score; --pred-cols chooses the score columns"), line
    assert run.err_lines[-1] == f"  hint: --pred-cols {name} takes it as scores all the same"
    taken = run_cece("binary", "t.csv", "--label-col", "y", "--pred-cols", name, "-q")
    assert taken.code == 0, taken.err
    want = reference.binary([[w] for w in W], [[float(y)] for y in Y], kind="probs")
    assert float(taken.out) == pytest.approx(want, rel=1e-12)


def test_a_lone_score_column_is_read(tmp_path, monkeypatch):
    """Negative: a column named as scores (or not named as anything else) is P(positive)."""
    monkeypatch.chdir(tmp_path)
    for name in ("prob", "p", "score"):
        pd.DataFrame({"y": Y, name: W}).to_csv("t.csv", index=False)
        run = run_cece("binary", "t.csv", "--label-col", "y", "-q")
        assert run.code == 0, run.err
        want = reference.binary([[w] for w in W], [[float(y)] for y in Y], kind="probs")
        assert float(run.out) == pytest.approx(want, rel=1e-12)


def test_inspect_suggests_the_label_column_of_a_label_weight_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"label": Y, "weight": [1, 1, 0, 1, 1, 0]}).to_csv("lw.csv", index=False)
    run = run_cece("inspect", "lw.csv")
    assert run.code == 0, run.err
    assert "cece categorical PREDS lw.csv --label-col label" in run.out


@pytest.mark.parametrize("name", ["sample_weight", "weight", "loss", "confidence"])
def test_inspect_never_suggests_a_refused_command(tmp_path, monkeypatch, name):
    """A y,sample_weight table (float weights) was described as binary probabilities, with a
    suggestion the loss command refuses; it holds labels, for predictions held elsewhere."""
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"y": Y, name: W}).to_csv("t.csv", index=False)
    run = run_cece("inspect", "t.csv", "-f", "json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["kind"] == "labels"
    assert report["suggestion"].startswith("cece categorical PREDS t.csv --label-col y")
    pd.DataFrame({"p0": [1 - w for w in W], "p1": W}).to_csv("p2.csv", index=False)
    pd.DataFrame({"p": W}).to_csv("p.csv", index=False)
    want = reference.binary([[w] for w in W], [[float(y)] for y in Y], kind="probs")
    for command, preds in (("categorical", "p2.csv"), ("binary", "p.csv")):  # what it suggests
        run = run_cece(command, preds, "t.csv", "--label-col", "y", "-q")
        assert run.code == 0, run.err
        assert float(run.out) == pytest.approx(want, rel=1e-12)
    refused = run_cece("binary", "t.csv", "--label-col", "y")
    assert refused.code == 2  # what it used to suggest


def test_inspect_of_role_columns_alone_suggests_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"loss": W, "confidence": W[::-1]}).to_csv("t.csv", index=False)
    report = json.loads(run_cece("inspect", "t.csv", "-f", "json").out)
    assert (report["kind"], report["suggestion"]) == ("no scores", "—")
    assert run_cece("binary", "t.csv", "LABELS").code == 2


def test_inspect_keeps_the_scores_beside_a_role_column(tmp_path, monkeypatch):
    """Negative: y, p, sample_weight: p is the score column, selected with --pred-cols."""
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"y": Y, "p": W, "sample_weight": W[::-1]}).to_csv("t.csv", index=False)
    report = json.loads(run_cece("inspect", "t.csv", "-f", "json").out)
    assert report["kind"] == "probabilities (binary)"
    assert report["suggestion"] == "cece binary t.csv --pred-cols p --label-col y"
    run = run_cece(*report["suggestion"].split()[1:], "-q")
    assert run.code == 0, run.err
    want = reference.binary([[w] for w in W], [[float(y)] for y in Y], kind="probs")
    assert float(run.out) == pytest.approx(want, rel=1e-12)
