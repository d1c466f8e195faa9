"""A block's loss sum and spread (``cece._native.loss_moments``, both losses): the compiled
version repeats numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src), so the
reported sum, std, stderr and ci are the same to the bit on both paths and as before the
compiled version existed (numpy's ``loss.sum()`` and ``np.add.reduce((loss − mean)²)``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cece import _native as kernels
from cece._native import _numpy
from cece.engine.reduce import Summary

from conftest import run_cece

compiled = pytest.mark.skipif(kernels.PARSER is None, reason="the extension is not built")


def numpy_moments(loss: np.ndarray) -> tuple[float, float]:
    """What Summary.of computed before: numpy's sum, then the squared deviations' sum."""
    total = float(loss.sum())
    if not len(loss):
        return total, 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        dev = loss - total / len(loss)
        return total, float(np.add.reduce(dev * dev))


def same(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return all(x == y or (x != x and y != y) for x, y in zip(a, b))


# numpy 2 sums a contiguous array as the pairwise tree the compiled version repeats; numpy 1.x
# sums otherwise (CI's lowest-versions run, numpy 1.24, differed in the last bit at 8193
# values, and not on every run): there the two paths agree to rounding, not to the bit.
BITWISE = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


def agree(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """The same bits where this numpy sums as the compiled version does, else within rounding
    (a sum of n terms: n·eps relative at worst; the sums here are of 10⁴–10⁶ positive terms)."""
    if BITWISE:
        return same(a, b)
    return all(x == y or abs(x - y) <= 1e-9 * abs(y) for x, y in zip(a, b))


SIZES = [*range(300), 511, 1000, 4095, 4096, 8191, 8192, 8193, 65537, 262143, 262144, 419430]


@compiled
def test_compiled_sums_are_numpys_to_the_bit():
    rng = np.random.default_rng(11)
    for n in SIZES:
        loss = np.abs(rng.standard_normal(n)) * rng.choice([1e-12, 1.0, 1e12], n)
        want = numpy_moments(loss)
        assert agree(kernels._fast.loss_moments(loss), want), n
        assert _numpy.loss_moments(loss) == want, n


@compiled
@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.integers(0, 600),
        elements=st.one_of(
            st.floats(0, 1e300), st.just(np.inf), st.floats(0, 1e-300), st.just(0.0)
        ),
    )
)
def test_compiled_sums_property(loss):
    """Any non-negative losses (inf, subnormal, zero included): the same bits as numpy."""
    want = numpy_moments(loss)
    assert same(kernels._fast.loss_moments(loss), want)
    assert same(_numpy.loss_moments(loss), want)


def test_the_switch_takes_either_and_the_summary_keeps_its_numbers(monkeypatch):
    rng = np.random.default_rng(2)
    loss = rng.exponential(size=300_001)
    for fast in (False, True):
        monkeypatch.setattr(kernels, "FAST", fast and kernels.AVAILABLE)
        s = Summary.of(loss, weighted_sum=None, weight_sum=1.0, ignored=0, correct=0)
        assert agree((s.loss_sum, s.loss_m2), numpy_moments(loss))
        assert s.weighted_sum == s.loss_sum and (s.min, s.max) == (loss.min(), loss.max())
    assert kernels.loss_moments(loss[::2]) == numpy_moments(loss[::2])  # strided: numpy's


@compiled
@pytest.mark.parametrize("command", ["binary", "categorical"])
def test_both_sums_report_the_same_numbers(command, tmp_path, monkeypatch):
    """The whole report of a multi-block run (both threads): the compiled sums give the JSON
    stats numpy's sums give, to the bit (std, stderr and ci come from them)."""
    rng = np.random.default_rng(5)
    n = 600_003
    if command == "binary":
        x = (rng.standard_normal(n) * 3).astype(np.float32)
        y = (rng.random(n) < 0.3).astype(np.float32)
    else:
        x = rng.standard_normal((n, 3), dtype=np.float32)
        y = rng.integers(0, 3, n)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    docs = []
    for sums in (_numpy.loss_moments, kernels._fast.loss_moments):
        monkeypatch.setattr(kernels, "loss_moments", sums)
        run = run_cece(command, str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "-f", "json")
        assert run.code == 0, run.err
        docs.append(json.loads(run.out))
    if BITWISE:
        assert docs[0]["stats"] == docs[1]["stats"]
        assert docs[0]["loss"] == docs[1]["loss"]
    else:  # numpy 1.x: the same numbers to rounding
        for key, value in docs[0]["stats"].items():
            np.testing.assert_allclose(docs[1]["stats"][key], value, rtol=1e-9, err_msg=key)
        np.testing.assert_allclose(docs[1]["loss"], docs[0]["loss"], rtol=1e-12)


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 3000), elements=st.floats(0, 1e6)))
def test_the_sum_alone_is_the_same_sum(loss):
    """``spread=False`` (a ``-q`` run): the first pass alone, so the same sum to the bit on
    each path, and NaN for the spread it did not compute (0 for no losses, as with it)."""
    paths = [_numpy.loss_moments]
    if kernels.PARSER is not None:
        paths.append(kernels._fast.loss_moments)
    for moments in paths:
        total, m2 = moments(loss, False)
        assert total == moments(loss)[0]
        assert (m2 == 0.0) if not len(loss) else (m2 != m2)


@pytest.mark.parametrize("command", ["categorical", "binary"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_quiet_prints_the_json_documents_loss(tmp_path, command, reduction):
    """-q computes no spread; its number is still the JSON document's, to the last digit."""
    rng = np.random.default_rng(9)
    n = 300_000  # two blocks
    x = rng.normal(size=(n, 10) if command == "categorical" else n).astype(np.float32)
    y = rng.integers(0, 10, n) if command == "categorical" else rng.integers(0, 2, n)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    args = (command, tmp_path / "x.npy", tmp_path / "y.npy", "-r", reduction)
    quiet, doc = run_cece(*args, "-q"), run_cece(*args, "-f", "json")
    assert quiet.code == doc.code == 0, quiet.err + doc.err
    assert quiet.out.strip() == repr(json.loads(doc.out)["loss"])
    assert json.loads(doc.out)["stats"]["std"] > 0  # the document's run computed the spread
