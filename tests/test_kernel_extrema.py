"""The fused softmax kernel's (min, max) of its losses, kept in its pass: exactly numpy's min and
max of the same nll, on the compiled path and its numpy twin, for every dtype, class count and
length (the compiled one takes them 4096 rows at a time), and unchanged nll bits."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cece._native
import cece.engine.reduce
import cece.io.blocks
from cece._native import _numpy

from conftest import run_cece

IMPLS = ["numpy"] + (["compiled"] if cece._native.FAST else [])


def _impl(name: str):
    return _numpy if name == "numpy" else cece._native._fast


def _case(n: int, c: int, dtype, seed: int = 5):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, c)) * 4).astype(np.float32)
    x = x.view(np.uint16)[:, 1::2].copy().view("V2") if dtype == "bf16" else x.astype(dtype)
    return x, rng.integers(0, c, n).astype(np.int64)


def _run(impl, x, y, c, t=1.0, extrema=None):
    n = len(y)
    nll, cor, pred = np.empty(n), np.empty(n, np.uint8), np.empty(n, np.int64)
    code = _impl(impl).softmax_index(x, c, y, nll, cor, pred, t, extrema)
    return code, nll


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", [np.float16, "bf16", np.float32, np.float64])
@pytest.mark.parametrize("c", [2, 10, 100])
@pytest.mark.parametrize("n", [1, 7, 4095, 4096, 4097, 10_000])
@pytest.mark.parametrize("t", [1.0, 2.5])
def test_extrema_are_numpys_min_and_max_of_the_same_losses(impl, dtype, c, n, t):
    x, y = _case(n, c, dtype)
    ext = np.full(2, np.nan)
    code, nll = _run(impl, x, y, c, t, ext)
    assert code == 0
    assert (ext[0], ext[1]) == (nll.min(), nll.max())
    code, plain = _run(impl, x, y, c, t)  # without extrema: the same nll bits
    assert code == 0 and np.array_equal(plain.view(np.int64), nll.view(np.int64))


@pytest.mark.parametrize("impl", IMPLS)
def test_extrema_with_infinite_losses_and_no_rows(impl):
    x, y = _case(5000, 4, np.float32)
    x[4500, y[4500]] = -np.inf  # the label's class has probability 0: loss inf
    ext = np.full(2, np.nan)
    code, nll = _run(impl, x, y, 4, 1.0, ext)
    assert code == 0 and ext[1] == np.inf and ext[0] == nll.min()
    empty = np.empty((0, 4), np.float32)
    assert _run(impl, empty, np.empty(0, np.int64), 4, 1.0, ext)[0] == 0
    assert (ext[0], ext[1]) == (np.inf, -np.inf)


@pytest.mark.parametrize("impl", IMPLS)
def test_a_bad_row_in_a_later_step_is_counted_as_before(impl):
    x, y = _case(9000, 10, np.float32)
    x[8200, 3] = np.nan
    code, nll = _run(impl, x, y, 10, 1.0, np.empty(2))
    assert code == 1 and np.isnan(nll[8200]) and np.isfinite(np.delete(nll, 8200)).all()


def test_a_run_takes_min_and_max_from_the_kernel_and_reports_the_same(write, monkeypatch):
    """The engine uses the kernel's extrema for plain blocks (no weights, none ignored), and the
    report is the same, to the bit, as numpy's min/max of the losses (weights: not kept)."""
    monkeypatch.setattr(cece.io.blocks, "ROWS", 3000)
    x, y = _case(10_000, 7, np.float32, seed=9)
    px, py = write("x.npy", x), write("y.npy", y)
    seen: list = []
    real = cece.engine.reduce.Summary.of

    def spy(loss, **kw):
        seen.append(kw.get("extrema"))
        return real(loss, **kw)

    monkeypatch.setattr(cece.engine.reduce.Summary, "of", staticmethod(spy))
    stats = json.loads(run_cece("categorical", px, py, "--from", "logits", "-f", "json").out)
    stats = stats["stats"]
    if cece._native.FAST:
        assert len(seen) == 4 and all(e is not None for e in seen)
    x64 = x.astype(np.float64)
    m = x64.max(axis=1, keepdims=True)
    nll = np.log(np.exp(x64 - m).sum(axis=1)) + m[:, 0] - x64[np.arange(len(y)), y]
    assert stats["min"] == pytest.approx(nll.min(), rel=1e-7)
    assert stats["max"] == pytest.approx(nll.max(), rel=1e-7)
    seen.clear()
    weights = write("w.txt", " ".join(["1"] * 7))
    run = run_cece("categorical", px, py, "--from", "logits", "--weight", weights, "-f", "json")
    assert run.code == 0, run.err
    assert seen and all(e is None for e in seen)  # class weights: loss is not nll, not kept
    assert json.loads(run.out)["stats"]["min"] == stats["min"]
