"""Writes the FILE options' fixtures the way pandas writes them, and the peers' values.

Run in an environment with torch, pandas and pyarrow (not needed by the suite)::

    python tests/data/factors/generate.py

Each factor file is ``pd.Series(...)`` or ``pd.DataFrame(...)`` written by ``to_csv`` with
``index=False`` and with the default ``index=True``, with integer and float values (and one
``to_parquet``). pandas writes an unnamed Series' header as ``0`` and a default DataFrame's as
``0,1,2``: above integers, that first row is a header as much as data, and the shapes the
option takes decide (``cece.io.factors``).

The peer values (``cases.json``), in float64:

* ``--rescale`` of ``cece binary``: ``torch.nn.functional.binary_cross_entropy_with_logits(x, y,
  weight=w)`` with ``w`` of shape (N, 1), (K,) or (N, K) (torch/nn/functional.py: ``weight``
  broadcasts against the elements; mean over all N·K elements);
* ``--pos-weight``: the same function's ``pos_weight=`` (aten/src/ATen/native/Loss.cpp,
  ``binary_cross_entropy_with_logits``: ``log_weight = (pos_weight - 1) * target + 1``);
* ``--weight`` of ``cece categorical``: ``torch.nn.functional.cross_entropy(x, y, weight=w)``
  (the weighted mean Σ w[y]·ℓ / Σ w[y]);
* ``--rescale`` of ``cece categorical``: Keras' ``sample_weight`` on a per-sample loss, the mean
  still over N: ``(cross_entropy(x, y, reduction="none") * w).mean()``;
* ``--per-sequence --sequence-ids``: the mean of ``cross_entropy(..., reduction="none")`` over
  each run of equal ids.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent


def write_csv(obj, name: str, **kw) -> str:
    obj.to_csv(HERE / name, **kw)
    return name


def main() -> None:
    rng = np.random.default_rng(20261130)
    cases: list[dict] = []

    # binary: N = 4 samples of K = 3 labels (N ≠ K: a 1-D factor's length says row or column)
    bx = rng.normal(size=(4, 3)).round(6)
    by = (rng.random((4, 3)) < 0.5).astype(int)
    pd.DataFrame(bx).to_csv(HERE / "bx.csv", index=False)
    pd.DataFrame(by).to_csv(HERE / "by.csv", index=False)
    X, Y = torch.tensor(bx), torch.tensor(by, dtype=torch.float64)

    def bce(**kw) -> float:
        return F.binary_cross_entropy_with_logits(X, Y, **kw).item()

    rows_i, rows_f = [2, 3, 1, 4], [2.0, 0.5, 1.5, 4.0]
    for values, kind in ((rows_i, "int"), (rows_f, "float")):
        want = bce(weight=torch.tensor(values, dtype=torch.float64).reshape(-1, 1))
        for index in (False, True):
            name = write_csv(pd.Series(values), f"rescale_rows_{kind}_{index}.csv", index=index)
            cases.append(case("binary", ["bx.csv", "by.csv", "--rescale", name], want))
    cols_f = [2.0, 3.0, 0.5]
    want = bce(weight=torch.tensor(cols_f, dtype=torch.float64))
    for index in (False, True):
        name = write_csv(pd.Series(cols_f), f"rescale_cols_float_{index}.csv", index=index)
        cases.append(case("binary", ["bx.csv", "by.csv", "--rescale", name], want))
    cols_i = [2, 3, 1]
    want = bce(weight=torch.tensor(cols_i, dtype=torch.float64))
    name = write_csv(pd.DataFrame([cols_i]), "rescale_cols_frame_int.csv", index=False)
    cases.append(case("binary", ["bx.csv", "by.csv", "--rescale", name], want))
    # one per column as an int Series without index: 0 above 2, 3, 1 is 3 values (one per
    # column) as a header, 4 values (one per row) as data; both fit: refused
    name = write_csv(pd.Series(cols_i), "rescale_cols_int_False.csv", index=False)
    cases.append(case("binary", ["bx.csv", "by.csv", "--rescale", name], None, refused=True))
    elem = rng.integers(1, 5, size=(4, 3))
    want = bce(weight=torch.tensor(elem, dtype=torch.float64))
    for index in (False, True):
        name = write_csv(pd.DataFrame(elem), f"rescale_elems_int_{index}.csv", index=index)
        cases.append(case("binary", ["bx.csv", "by.csv", "--rescale", name], want))
    pd.DataFrame({"w": rows_i}, index=[10, 11, 12, 13]).to_parquet(HERE / "rescale_rows.parquet")
    want = bce(weight=torch.tensor(rows_i, dtype=torch.float64).reshape(-1, 1))
    cases.append(case("binary", ["bx.csv", "by.csv", "--rescale", "rescale_rows.parquet"], want))

    for values, kind in (([1, 2, 3], "int"), ([0.5, 2.0, 3.0], "float")):
        want = bce(pos_weight=torch.tensor(values, dtype=torch.float64))
        for index in (False, True):
            name = write_csv(pd.Series(values), f"pos_weight_{kind}_{index}.csv", index=index)
            cases.append(case("binary", ["bx.csv", "by.csv", "--pos-weight", name], want))
    want = bce(pos_weight=torch.tensor([1, 2, 3], dtype=torch.float64))
    name = write_csv(pd.DataFrame([[1, 2, 3]]), "pos_weight_frame_int.csv", index=False)
    cases.append(case("binary", ["bx.csv", "by.csv", "--pos-weight", name], want))

    # categorical: N = 5 samples of C = 3 classes, integer labels
    cx = rng.normal(size=(5, 3)).round(6)
    cy = np.array([0, 2, 1, 2, 0])
    pd.DataFrame(cx).to_csv(HERE / "cx.csv", index=False)
    pd.Series(cy).to_csv(HERE / "cy.csv", index=False)
    CX, CY = torch.tensor(cx), torch.tensor(cy)
    for values, kind in (([1, 2, 3], "int"), ([1.0, 2.0, 0.5], "float")):
        want = F.cross_entropy(CX, CY, weight=torch.tensor(values, dtype=torch.float64)).item()
        for index in (False, True):
            name = write_csv(pd.Series(values), f"weight_{kind}_{index}.csv", index=index)
            cases.append(case("categorical", ["cx.csv", "cy.csv", "--weight", name], want))
    per = F.cross_entropy(CX, CY, reduction="none")
    for values, kind in (([2, 3, 1, 4, 5], "int"), ([2.0, 0.5, 1.0, 4.0, 1.5], "float")):
        want = (per * torch.tensor(values, dtype=torch.float64)).mean().item()
        for index in (False, True):
            name = write_csv(pd.Series(values), f"crescale_{kind}_{index}.csv", index=index)
            cases.append(case("categorical", ["cx.csv", "cy.csv", "--rescale", name], want))
    ids = [0, 0, 1, 1, 1]
    seq = [per[:2].mean().item(), per[2:].mean().item()]
    for index in (False, True):
        name = write_csv(pd.Series(ids), f"ids_{index}.csv", index=index)
        cases.append(
            case(
                "categorical",
                ["cx.csv", "cy.csv", "--per-sequence", "--sequence-ids", name],
                per.mean().item(),
                sequences=seq,
            )
        )

    meta = {
        "generator": "tests/data/factors/generate.py",
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }
    out = {"meta": meta, "cases": cases}
    (HERE / "cases.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


def case(command: str, args: list[str], loss: float | None, **extra) -> dict:
    return {"command": command, "args": args, "loss": loss, **extra}


if __name__ == "__main__":
    main()
