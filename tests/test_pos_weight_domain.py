"""``--pos-weight`` (and the library's ``pos_weight``) of 0 and below, as PyTorch takes them
(review finding 13): values stored by ``tests/data/degenerate/generate.py`` (PyTorch 2.13,
``binary_cross_entropy_with_logits(x, y, pos_weight=w)``), both kernel paths."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import cece
from cece.errors import OptionError

import reference
from conftest import run_cece

STORED = json.loads(
    (Path(__file__).resolve().parent / "data" / "degenerate" / "torch_values.json").read_text(
        encoding="utf-8"
    )
)["binary"]
X, Y = np.array(STORED["preds"]), np.array(STORED["targets"], dtype=np.float64)
CASES = STORED["cases"]


def _spelled(w) -> str:
    return json.dumps(w) if np.ndim(w) == 2 else ",".join(str(v) for v in np.ravel(w))


@pytest.mark.parametrize("case", CASES, ids=lambda c: _spelled(c["pos_weight"]))
def test_cli_takes_pos_weight_of_any_sign(case, kernel_path):
    run = run_cece(
        "binary",
        json.dumps(STORED["preds"]),
        json.dumps(STORED["targets"]),
        "--from",
        "logits",
        "--pos-weight",
        _spelled(case["pos_weight"]),
        "-f",
        "json",
    )
    assert run.code == 0, run.err
    np.testing.assert_allclose(json.loads(run.out)["loss"], case["loss"], rtol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: _spelled(c["pos_weight"]))
def test_library_takes_pos_weight_of_any_sign(case, kernel_path):
    w = np.asarray(case["pos_weight"], dtype=np.float64)
    got = cece.binary_cross_entropy_with_logits(X, Y, pos_weight=w)
    np.testing.assert_allclose(got, case["loss"], rtol=1e-12)
    # the naive reference from the formula (tests/reference.py), element by element
    if w.ndim < 2:
        want = reference.binary(X, Y, pos_weight=w.tolist() if w.ndim else float(w))
    else:  # one per element: w·y·softplus(−x) + (1 − y)·softplus(x), summed in Python
        want = (
            sum(
                w[i, j] * Y[i, j] * np.logaddexp(0, -X[i, j])
                + (1 - Y[i, j]) * np.logaddexp(0, X[i, j])
                for i in range(3)
                for j in range(3)
            )
            / 9
        )
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("value", ["nan", "inf", "1,-inf,2"])
def test_only_non_finite_pos_weight_is_refused(value):
    line = run_cece(
        "binary", json.dumps(STORED["preds"]), json.dumps(STORED["targets"]), "--pos-weight", value
    ).error_line()
    shown = ", ".join(value.split(","))
    assert line == f"cece: error: --pos-weight must be finite numbers; got {shown}"
    with pytest.raises(OptionError, match="pos_weight must be finite numbers"):
        cece.binary_cross_entropy_with_logits(X, Y, pos_weight=np.array([1.0, np.nan, 2.0]))
