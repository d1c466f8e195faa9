"""Probabilities from Parquet/Arrow are clipped with the eps of the dtype they are stored in,
as scikit-learn's log_loss clips ``pd.read_parquet(...)[cols].values`` (float32 stays
float32), and the eps the report states is the one the loss used."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from conftest import run_cece

P = np.array([[0.0, 1.0], [0.3, 0.7], [0.6, 0.4]])
Y = [0, 1, 0]


def _want(p: np.ndarray, eps: float) -> float:  # scikit-learn's log_loss, from the formula
    q = np.clip(p, eps, 1 - eps)
    return float(np.mean([-math.log(q[i, y]) for i, y in enumerate(Y)]))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("layout", ["scalar", "list"])
def test_eps_is_the_stored_dtypes(tmp_path, dtype, layout):
    p = P.astype(dtype)
    if layout == "scalar":
        table = pa.table({"p0": p[:, 0], "p1": p[:, 1], "label": Y})
        cols = "p0,p1"
    else:
        table = pa.table(
            {"probs": pa.array(list(p), type=pa.list_(pa.from_numpy_dtype(dtype))), "label": Y}
        )
        cols = "probs"
    # Parquet has no float16 before pyarrow 15: Feather (Arrow IPC) keeps it in every version
    path = tmp_path / ("p.feather" if dtype == np.float16 else "p.parquet")
    if dtype == np.float16:
        feather.write_feather(table, path)
    else:
        pq.write_table(table, path)
    run = run_cece(
        "categorical",
        path,
        "--pred-cols",
        cols,
        "--label-col",
        "label",
        "--from",
        "probs",
        "-f",
        "json",
    )
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    eps = float(np.finfo(dtype).eps)
    assert doc["options"]["eps"] == eps
    assert doc["loss"] == pytest.approx(_want(p.astype(np.float64), eps), rel=1e-6)


def test_mixed_float32_and_float64_columns_use_float64(tmp_path):
    table = pa.table({"p0": P[:, 0].astype(np.float32), "p1": P[:, 1], "label": Y})
    pq.write_table(table, tmp_path / "p.parquet")
    run = run_cece(
        "categorical",
        tmp_path / "p.parquet",
        "--pred-cols",
        "p0,p1",
        "--label-col",
        "label",
        "--from",
        "probs",
        "-f",
        "json",
    )
    doc = json.loads(run.out)
    assert doc["options"]["eps"] == float(np.finfo(np.float64).eps)
    p = np.column_stack([P[:, 0].astype(np.float32).astype(np.float64), P[:, 1]])
    assert doc["loss"] == pytest.approx(_want(p, np.finfo(np.float64).eps), rel=1e-12)
