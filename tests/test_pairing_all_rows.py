"""Where PREDS and LABELS both name their rows, every row's names must agree
(cece.io.pairing), not only the first rows': two tables concatenated from shards in
different orders agree on their first rows and on nothing after. Before, such files were
paired by position and gave another number with exit 0."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import run_cece

N, CUT = 3000, 2000  # rows, and where the second part's order differs


def _reordered() -> np.ndarray:
    return np.r_[np.arange(CUT), np.arange(N - 1, CUT - 1, -1)]


@pytest.fixture
def tables():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(N, 3))
    y = rng.integers(0, 3, N)
    return x, y


def _nll(x: np.ndarray, y: np.ndarray) -> float:
    m = x.max(axis=1)
    return float(np.mean(m + np.log(np.exp(x - m[:, None]).sum(axis=1)) - x[np.arange(len(y)), y]))


def test_a_pandas_index_reordered_past_the_head_is_refused(tmp_path, tables):
    x, y = tables
    index = np.arange(N) + 7000
    pd.DataFrame(x, index=index).to_csv(tmp_path / "p.csv")
    order = _reordered()
    pd.DataFrame({"label": y[order]}, index=index[order]).to_csv(tmp_path / "y.csv")
    run = run_cece("categorical", tmp_path / "p.csv", tmp_path / "y.csv", "-q")
    assert run.code == 2 and run.out == ""
    assert run.err.startswith(
        f"cece: error: {tmp_path / 'y.csv'}: row {CUT} has row index '{7000 + N - 1}' (column '') "
        f"where {tmp_path / 'p.csv'} has '{7000 + CUT}' (column ''): the files list the samples "
        "in different orders"
    ), run.err
    pd.DataFrame({"label": y}, index=index).to_csv(tmp_path / "y.csv")  # the same order
    run = run_cece("categorical", tmp_path / "p.csv", tmp_path / "y.csv", "-q")
    assert run.code == 0 and float(run.out) == pytest.approx(_nll(x, y), rel=1e-12)


def _with_ids(tmp_path, x, y, mine, theirs) -> tuple:
    pd.DataFrame({"id": mine, "a": x[:, 0], "b": x[:, 1], "c": x[:, 2]}).to_csv(
        tmp_path / "p.csv", index=False
    )
    pd.DataFrame({"id": theirs, "label": y}).to_csv(tmp_path / "y.csv", index=False)
    return ("categorical", tmp_path / "p.csv", tmp_path / "y.csv", "--label-col", "label", "-q")


def test_text_ids_reordered_past_the_head_are_refused(tmp_path, tables):
    x, y = tables
    ids = np.array([f"img_{i:05d}" for i in range(N)])
    run = run_cece(*_with_ids(tmp_path, x, y, ids, ids))
    assert run.code == 0 and float(run.out) == pytest.approx(_nll(x, y), rel=1e-12)
    order = _reordered()
    run = run_cece(*_with_ids(tmp_path, x[order], y[order], ids, ids[order]))
    assert run.code == 2
    assert f"row {CUT} has id 'img_{N - 1:05d}' (column 'id') where" in run.err, run.err


def test_integer_names_that_turn_to_text_further_down(tmp_path, tables):
    """Ids that look like integers in the first rows only: compared as text, every row."""
    x, y = tables
    ids = np.array([str(i) if i < 100 else f"s{i}" for i in range(N)], dtype=object)
    theirs = ids.copy()
    theirs[CUT] = "other"
    run = run_cece(*_with_ids(tmp_path, x, y, ids, theirs))
    assert run.code == 2 and f"row {CUT} has id 'other' (column 'id')" in run.err, run.err
    run = run_cece(*_with_ids(tmp_path, x, y, ids, ids))
    assert run.code == 0, run.err


def test_id_columns_across_formats_and_as_floats(tmp_path, tables):
    """An integer id column in Parquet against the same ids written as 7000.0 in a CSV:
    the same names; reordered past the head: refused."""
    x, y = tables
    ids = np.arange(N) + 7000
    pd.DataFrame({"id": ids, "a": x[:, 0], "b": x[:, 1], "c": x[:, 2]}).to_parquet(
        tmp_path / "p.parquet"
    )
    pd.DataFrame({"id": ids.astype(float), "label": y}).to_csv(tmp_path / "y.csv", index=False)
    args = ("categorical", tmp_path / "p.parquet", tmp_path / "y.csv", "--label-col", "label")
    run = run_cece(*args, "-q")
    assert run.code == 0 and float(run.out) == pytest.approx(_nll(x, y), rel=1e-12)
    order = _reordered()
    pd.DataFrame({"id": ids[order].astype(float), "label": y[order]}).to_csv(
        tmp_path / "y.csv", index=False
    )
    run = run_cece(*args, "-q")
    assert run.code == 2 and f"row {CUT} has id '{7000 + N - 1}' (column 'id')" in run.err


def test_sample_weights_reordered_past_the_head(tmp_path, tables):
    x, y = tables
    index = np.arange(N) + 7000
    pd.DataFrame(x, index=index).to_csv(tmp_path / "p.csv")
    pd.DataFrame({"label": y}, index=index).to_csv(tmp_path / "y.csv")
    order = _reordered()
    pd.DataFrame({"w": np.ones(N)}, index=index[order]).to_csv(tmp_path / "w.csv")
    run = run_cece(
        "categorical", tmp_path / "p.csv", tmp_path / "y.csv", "--sample-weight", tmp_path / "w.csv"
    )
    assert run.code == 2 and f"row {CUT} has row index" in run.err, run.err
