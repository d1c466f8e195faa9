"""``cece kl/entropy --rescale``: Keras' ``KLDivergence()(p, q, sample_weight=w)`` — each row's
value times its factor, the mean still over N (``--sample-weight`` divides by Σw)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import run_cece

P = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
Q = np.array([[0.4, 0.6], [0.5, 0.5], [0.3, 0.7]])
W = np.array([1.2, 3.4, 0.5])


def _lit(a: np.ndarray) -> str:
    return json.dumps(a.tolist())


def _kl_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:  # naive, from the formula
    return np.array([sum(a * np.log(a / b) for a, b in zip(r, s) if a > 0) for r, s in zip(p, q)])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_kl_rescale_is_keras_sample_weight(reduction):
    run = run_cece("kl", _lit(P), _lit(Q), "--rescale", "1.2,3.4,0.5", "-r", reduction, "-q")
    assert run.code == 0, run.err
    v = _kl_rows(P, Q) * W
    assert float(run.out) == pytest.approx(v.mean() if reduction == "mean" else v.sum(), rel=1e-13)


def test_kl_rescale_none_and_elementwise():
    run = run_cece("kl", _lit(P), _lit(Q), "--rescale", "1.2,3.4,0.5", "-r", "none", "-q")
    got = np.array(run.out.split(), float)
    np.testing.assert_allclose(got, _kl_rows(P, Q) * W, rtol=1e-13)
    run = run_cece(
        "kl", _lit(P), _lit(Q), "--rescale", "1.2,3.4,0.5", "--elementwise", "-r", "none", "-q"
    )
    got = np.array(run.out.split(), float).reshape(3, 2)
    np.testing.assert_allclose(got.sum(axis=1), _kl_rows(P, Q) * W, rtol=1e-13)


def test_entropy_rescale_and_sample_weight_together():
    h = -(P * np.log(P)).sum(axis=1)
    s = np.array([1.0, 2.0, 3.0])
    run = run_cece(
        "entropy", _lit(P), "--rescale", "1.2,3.4,0.5", "--sample-weight", "[1,2,3]", "-q"
    )
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx((s * W * h).sum() / s.sum(), rel=1e-13)


def test_rescale_in_json_options():
    run = run_cece("kl", _lit(P), _lit(Q), "--rescale", "2", "-f", "json")
    doc = json.loads(run.out)
    assert doc["options"]["rescale"] == "2"
    assert doc["loss"] == pytest.approx(2 * _kl_rows(P, Q).mean(), rel=1e-13)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1,2", "cece: error: --rescale has 2 values; expected 1 or one per sample (3)"),
        ("1,nan,2", "cece: error: --rescale must be finite numbers"),
    ],
)
def test_rescale_refusals(value, message):
    run = run_cece("kl", _lit(P), _lit(Q), "--rescale", value, "-q")
    assert run.code == 2
    assert run.err.splitlines()[0] == message
