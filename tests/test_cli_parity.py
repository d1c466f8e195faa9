"""The stored PyTorch / scikit-learn oracle cases again, end to end: each case is written to
NPY (in its dtype) and to CSV, and `cece categorical` with the matching options must agree
(float64: 1e-10 relative; float32: 1e-6; tests/generate_oracles.py made the values)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import csv_text, run_cece

CASES = json.loads((Path(__file__).parent / "data" / "categorical_oracles.json").read_text())[
    "cases"
]


def cli_options(case: dict) -> list[str]:
    opts = case["options"]
    args = ["--from", case["kind"], "-r", opts.get("reduction", "mean"), "-f", "json"]
    if "weight" in opts:
        args += ["--weight", ",".join(repr(w) for w in opts["weight"])]
    if "ignore_index" in opts:
        args += ["--ignore-index", str(opts["ignore_index"])]
    if "label_smoothing" in opts:
        args += ["--label-smoothing", repr(opts["label_smoothing"])]
    if "eps" in opts:
        args += ["--eps", repr(opts["eps"])]
    if "sample_weight" in opts:
        args += ["--sample-weight", json.dumps(opts["sample_weight"])]
    return args


@pytest.mark.parametrize("fmt", ["npy", "csv"])
@pytest.mark.parametrize("case", CASES[::3], ids=lambda c: c["id"])
def test_cli_matches_oracle(case, fmt, write):
    x = np.array(case["preds"], dtype=case["dtype"])
    target = np.array(case["target"])
    if fmt == "npy":
        preds, labels = write("x.npy", x), write("t.npy", target)
    else:
        preds = write("x.csv", csv_text(x.astype(np.float64)))
        labels = write("t.csv", csv_text(target))
    run = run_cece("categorical", preds, labels, *cli_options(case))
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    got = doc["loss"] if doc["loss"] is not None else [s["loss"] for s in doc["samples"]]
    # a float32 case read from CSV is float64 data: it is then computed in float64
    rtol = 1e-6 if case["dtype"] == "float32" and fmt == "npy" else 1e-10
    np.testing.assert_allclose(got, case["expected"], rtol=rtol, atol=1e-13)
