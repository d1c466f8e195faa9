"""Dense targets with --class-axis: they have the predictions' shape, class axis included
(PyTorch's (N, C, d…) soft targets), also where a spatial size equals the class count."""

from __future__ import annotations

import json

import numpy as np

from conftest import run_cece


def _reference(x: np.ndarray, t: np.ndarray, axis: int) -> float:
    """−Σ_c t_c log softmax(x)_c over ``axis``, averaged over every other position (the
    formula of torch.nn.functional.cross_entropy with probability targets, mean reduction)."""
    m = x.max(axis=axis, keepdims=True)
    lsm = x - (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True)))
    return float((-(t * lsm).sum(axis=axis)).mean())


def test_the_issue_case_where_a_spatial_size_equals_the_class_count():
    x = "[[[2,0,1],[0,3,0],[4,0,2]]]"
    t = "[[[0.5,0.3,0.2],[0.2,0.5,0.3],[0.3,0.2,0.5]]]"
    run = run_cece("categorical", x, t, "--from", "logits", "--class-axis", "1", "-q")
    assert run.code == 0, run.err
    # F.cross_entropy(x, t) (PyTorch 2.13) gives 1.5818; classes-last reading gave 1.6818
    expected = _reference(np.array(json.loads(x), float), np.array(json.loads(t)), 1)
    assert abs(expected - 1.5818201831217469) < 1e-15
    np.testing.assert_allclose(float(run.out), expected, rtol=1e-15)


def test_nchw_soft_targets_match_the_formula(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 3, 4))  # (N, C, H, W): W equals C
    t = rng.dirichlet(np.ones(4), size=(2, 3, 4)).transpose(0, 3, 1, 2)  # rows sum to 1 on C
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", t)
    run = run_cece(
        "categorical",
        tmp_path / "x.npy",
        tmp_path / "t.npy",
        "--class-axis",
        "1",
        "--from",
        "logits",
        "-q",
    )
    assert run.code == 0, run.err
    np.testing.assert_allclose(float(run.out), _reference(x, t, 1), rtol=1e-12)
