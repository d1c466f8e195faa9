"""Dense targets in PREDS' own table, named by --label-col: a list field per record (Parquet,
JSON Lines: as the README's records section documents), target columns of a CSV (taken by name
where named), a column range of a NumPy table. A range of a NumPy table was read as its first
column alone: one-hot target columns became class indices 0/1 (1.548 where the loss is 1.031)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import reference
from conftest import run_cece

RNG = np.random.default_rng(17)
X = RNG.normal(size=(7, 3))
T = RNG.dirichlet([1, 1, 1], size=7)
Y = RNG.integers(0, 3, 7)
NAMES = ["cat", "dog", "pig"]


def _ref(targets: np.ndarray) -> float:
    return reference.categorical(X.tolist(), targets.tolist())


def test_a_list_field_of_targets(tmp_path):
    lines = tmp_path / "t.jsonl"
    lines.write_text(
        "".join(
            json.dumps({"logits": x.tolist(), "target": t.tolist()}) + "\n" for x, t in zip(X, T)
        )
    )
    run = run_cece("categorical", lines, "--pred-cols", "logits", "--label-col", "target", "-q")
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(_ref(T), rel=1e-12)
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"logits": pa.array(X.tolist()), "target": pa.array(T.tolist())}), path)
    run = run_cece("categorical", path, "--pred-cols", "logits", "--label-col", "target", "-q")
    assert float(run.out) == pytest.approx(_ref(T), rel=1e-12)


def test_target_columns_of_the_same_csv_are_taken_by_name(tmp_path):
    frame = pd.DataFrame(np.c_[X, T[:, [2, 0, 1]]], columns=[*NAMES, "t_pig", "t_cat", "t_dog"])
    path = tmp_path / "same.csv"
    frame.to_csv(path, index=False)
    args = ("categorical", path, "--pred-cols", "cat,dog,pig", "--from", "logits")
    run = run_cece(*args, "--label-col", "t_pig,t_cat,t_dog")
    assert run.code == 0, run.err
    assert (
        f"cece: note: {path}: target columns taken by name in the order of {path}'s classes "
        "(cat, dog, pig), not by position (t_pig, t_cat, t_dog)"
    ) in run.err_lines
    quiet = run_cece(*args, "--label-col", "t_pig,t_cat,t_dog", "-q")
    assert float(quiet.out) == pytest.approx(_ref(T), rel=1e-12)
    two = run_cece(*args, "--label-col", "t_pig,t_cat")
    assert two.error_line() == (
        "cece: error: --label-col names 2 columns; categorical labels are one column (class "
        "indices or names), or one target per class (3)"
    )


def test_a_column_range_of_a_numpy_table(tmp_path):
    one_hot = np.eye(3)[Y]
    np.save(tmp_path / "t.npy", np.c_[X, one_hot])
    run = run_cece(
        "categorical",
        tmp_path / "t.npy",
        "--pred-cols",
        "0:3",
        "--label-col",
        "3:6",
        "--from",
        "logits",
        "-q",
    )
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(reference.categorical(X.tolist(), Y.tolist()), rel=1e-12)
