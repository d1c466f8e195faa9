"""``cece inspect`` on logits with masked classes (-inf): the finite values give the range and
the -inf rows still count as logits, not as empty rows read for one-hot targets."""

from __future__ import annotations

import json

import numpy as np

from conftest import run_cece


def test_masked_logits_are_logits(tmp_path):
    np.save(tmp_path / "m.npy", np.array([[1.0, -np.inf, 0.5], [2.0, 0.1, -np.inf]]))
    run = run_cece("inspect", tmp_path / "m.npy", "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["kind"] == "logits"
    assert doc["suggestion"].startswith("cece categorical")
    assert "dense targets" not in doc["suggestion"]
    values = doc["values"]
    assert (values["min"], values["max"]) == (0.1, 2.0)
    assert values["-inf"] == 2


def test_nan_rows_are_still_left_out(tmp_path):
    np.save(tmp_path / "n.npy", np.array([[0.2, 0.8], [np.nan, 0.5], [0.6, 0.4]]))
    doc = json.loads(run_cece("inspect", tmp_path / "n.npy", "-f", "json").out)
    assert doc["values"]["nan"] == 1
    assert doc["kind"].startswith("probabilities")
