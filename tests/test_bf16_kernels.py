"""bfloat16 logits read by the fused kernels as they are, and ``--temperature`` applied inside
them (issue 13 item 7, issue 16's kernel contract).

The compiled kernels (cece/_native/_fast.c) and their numpy twin (cece/_native/_numpy.py) are
held to a float64 reference of the bfloat16 values (``bits << 16`` is the float32 value,
exactly): the compiled float32 lanes to the kernels' contract, 1.1e-7 relative; the twin,
which computes in float64, to 1e-13. The reference here is written from the formula
(``−log softmax(x / T)_y`` through the log-sum-exp, in float64 over the exact values) and
shares no code with cece. The engine must hand bfloat16 blocks to the kernels undecoded, and
a bfloat16 dump must give the number its float32 twin (the same values) gives.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import cece._native as kernels
from cece._native import _numpy

from conftest import run_cece

BITS = np.dtype("V2")  # how cece holds bfloat16 bits
FAST = pytest.mark.skipif(not kernels.AVAILABLE, reason="the compiled kernels are not built here")
IMPLS = [
    pytest.param("numpy", id="numpy"),
    pytest.param("compiled", id="compiled", marks=FAST),
]
RTOL = {"compiled": 1.1e-7, "numpy": 1e-13}  # float32 lanes / float64


def impl(name: str):
    return kernels._fast if name == "compiled" else _numpy


def to_bf16(x: np.ndarray) -> np.ndarray:
    """float32 → bfloat16 bits (uint16), rounded to nearest even, as torch's ``.bfloat16()``."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def values(bits: np.ndarray) -> np.ndarray:
    """The float64 value of bfloat16 bits: the float32 whose top half they are."""
    with np.errstate(invalid="ignore"):  # signalling NaN patterns become quiet NaNs
        return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def reference(x: np.ndarray, y: np.ndarray, t: float = 1.0) -> np.ndarray:
    """−log softmax(x / T)[y] per row, in float64, from the formula: the arg-max term left out
    of the sum and log1p taken, so tiny losses keep their relative precision."""
    z = x / t
    top = z.argmax(axis=1)
    m = z[np.arange(len(z)), top]
    e = np.exp(z - m[:, None])
    e[np.arange(len(z)), top] = 0.0
    return np.log1p(e.sum(axis=1)) + (m - z[np.arange(len(z)), y])


def logits(n: int, c: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """bfloat16 bits of logits of varied scale, and labels: half the rows confident and
    right (tiny losses, where relative precision is hardest)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c)) * rng.uniform(0.1, 30, (n, 1))
    y = rng.integers(0, c, n)
    bits = to_bf16(x)
    half = n // 2
    y[:half] = values(bits[:half]).argmax(axis=1)
    return bits, y


def kernel(name: str, x: np.ndarray, y: np.ndarray, *t: float):
    n = len(y)
    out = np.empty(n), np.empty(n, np.uint8), np.empty(n, np.int64)
    code = impl(name).softmax_index(x, x.shape[-1], y, *out, *t)
    return code, *out


# -- the kernels ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", IMPLS)
@pytest.mark.parametrize("c", [2, 3, 7, 63, 64, 65, 127, 1000])
@pytest.mark.parametrize("n", [1, 31, 257])
def test_bfloat16_logits_against_the_float64_reference(name, c, n):
    bits, y = logits(n, c, seed=c * 1000 + n)
    code, nll, correct, predicted = kernel(name, bits.view(BITS), y)
    x = values(bits)
    assert code == 0
    np.testing.assert_allclose(nll, reference(x, y), rtol=RTOL[name], atol=0)
    assert np.array_equal(predicted, x.argmax(axis=1))  # numpy's first arg-max
    assert np.array_equal(correct.astype(bool), x.argmax(axis=1) == y)


@FAST
@pytest.mark.parametrize("c", [3, 64, 300])
@pytest.mark.parametrize("t", [1.0, 0.37, 2.5])
def test_bfloat16_is_its_float32_twin_to_the_bit(c, t):
    """The same values as bfloat16 bits and as float32: one kernel after the conversion, so
    the same bits out (the conversion is exact); the twin too."""
    bits, y = logits(101, c, seed=c)
    f32 = values(bits).astype(np.float32)
    for name in ("compiled", "numpy"):
        a, b = kernel(name, bits.view(BITS), y, t), kernel(name, f32, y, t)
        for got, want in zip(a[1:], b[1:]):
            assert np.array_equal(got, want)


@pytest.mark.parametrize("name", IMPLS)
def test_every_bit_pattern_converts_exactly(name):
    """All 65,536 bfloat16 patterns, one a row ``[v, 0]`` against class 1: the loss is
    softplus(v) of the exact value; NaN and +inf patterns are the rows counted non-finite
    (outputs NaN, 0, 0), −inf is a class of probability 0 (loss 0), as for float16."""
    bits = np.zeros((1 << 16, 2), np.uint16)
    bits[:, 0] = np.arange(1 << 16)
    y = np.ones(1 << 16, np.int64)
    code, nll, correct, predicted = kernel(name, bits.view(BITS), y)
    v = values(bits[:, 0])
    bad = np.isnan(v) | (v == np.inf)
    assert code == int(bad.sum()) == 2 * 127 + 1  # NaNs (±, 127 payloads each) and +inf
    assert np.isnan(nll[bad]).all() and not correct[bad].any() and not predicted[bad].any()
    ok = ~bad
    want = np.logaddexp(v[ok], 0.0)  # −log softmax([v, 0])[1]
    np.testing.assert_allclose(nll[ok], want, rtol=RTOL[name], atol=1e-300)
    assert np.array_equal(predicted[ok], (v[ok] < 0).astype(np.int64))  # ties: class 0


@pytest.mark.parametrize("name", IMPLS)
@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32", "float64"])
@pytest.mark.parametrize("c", [5, 64, 513])
@pytest.mark.parametrize("t", [0.25, 0.9999, 3.7, 1e-30, 1e30])
def test_temperature_inside_the_kernel(name, dtype, c, t):
    """softmax(x / T) against the reference of x / T: the compiled float32 lanes compute
    (x − m) / T to ~48 bits, so the contract holds for any T in range."""
    if dtype == "float64" and t < 1:
        t = 1 / t  # float64 logits: cece divides by T < 1 outside the kernel (overflow check)
    bits, y = logits(67, c, seed=c + int(t * 7) % 97)
    x = {
        "bfloat16": bits.view(BITS),
        "float16": values(bits).astype(np.float16),
        "float32": values(bits).astype(np.float32),
        "float64": values(bits),
    }[dtype]
    exact = values(bits) if dtype != "float16" else x.astype(np.float64)
    code, nll, _, predicted = kernel(name, x, y, t)
    rtol = 1e-13 if dtype == "float64" else RTOL[name]
    assert code == 0
    want = reference(exact, y, t)
    tiny = want < 1e-300  # e^-(a huge margin / T): 0 in float64 too
    np.testing.assert_allclose(nll[~tiny], want[~tiny], rtol=rtol, atol=0)
    assert (nll[tiny] < 1e-300).all()
    assert np.array_equal(predicted, exact.argmax(axis=1))


@pytest.mark.parametrize("name", IMPLS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, BITS])
def test_temperature_one_is_no_temperature_to_the_bit(name, dtype):
    bits, y = logits(99, 70, seed=5)
    x = bits.view(BITS) if dtype is BITS else values(bits).astype(dtype)
    a, b = kernel(name, x, y), kernel(name, x, y, 1.0)
    for got, want in zip(a, b):
        assert np.array_equal(got, want)


@pytest.mark.parametrize("name", IMPLS)
@pytest.mark.parametrize("t", [0.0, -1.0, float("inf"), float("nan")])
def test_a_temperature_that_is_no_temperature_is_refused_by_both(name, t):
    bits, y = logits(3, 4, seed=1)
    with pytest.raises(ValueError, match="temperature must be finite and > 0"):
        kernel(name, bits.view(BITS), y, t)


def test_which_temperatures_the_kernels_take():
    """One rule for both paths: 16/32-bit logits within [1e-30, 1e30]; float64 for T ≥ 1
    (x / T cannot overflow); otherwise the caller divides first, with its overflow check."""
    b16, f64 = np.zeros((1, 2), BITS), np.zeros((1, 2))
    assert kernels.scales(b16, 1e-30) and kernels.scales(b16, 1e30) and kernels.scales(b16, 1)
    assert not kernels.scales(b16, 1e-31) and not kernels.scales(b16, 1e31)
    assert kernels.scales(f64, 1.0) and kernels.scales(f64, 5.0) and not kernels.scales(f64, 0.5)
    with pytest.raises(ValueError, match="do not divide"):
        kernels.softmax_index(f64, np.zeros(1, np.int64), 0.5)


@pytest.mark.parametrize("k", [1, 3, 9])
@pytest.mark.parametrize("name", IMPLS)
def test_binary_bfloat16_logits(name, k):
    rng = np.random.default_rng(k)
    bits = to_bf16(rng.standard_normal((203, k)) * 6)
    t = rng.integers(0, 2, (203, k)).astype(np.float64)
    t[::7] = 0.3  # soft targets
    loss, right = np.empty(203), np.empty(203)
    bad, soft = impl(name).bce_logits(bits.view(BITS), k, t, None, 0.0, loss, right)
    x = values(bits)
    want = (np.logaddexp(0, -x) * t + np.logaddexp(0, x) * (1 - t)).sum(axis=1)
    assert (bad, soft) == (0, 1)
    np.testing.assert_allclose(loss, want, rtol=1e-13)
    assert np.array_equal(right, ((x > 0) == (t >= 0.5)).sum(axis=1))


def test_non_contiguous_bits_take_the_numpy_twin():
    """A strided view is not the compiled kernels' layout: the switch hands it to numpy,
    which reads it where it lies."""
    bits, y = logits(50, 40, seed=9)
    view = bits.view(BITS)[:, ::2]
    assert not kernels.compiled(view)
    nll, *_ = kernels.softmax_index(view, y % 20)
    np.testing.assert_allclose(nll, reference(values(bits[:, ::2]), y % 20), rtol=1e-13)


# -- the engine: bfloat16 blocks reach the kernels as they are -----------------------------------


def save(tmp_path, name: str, array: np.ndarray) -> str:
    path = tmp_path / name
    np.save(path, array)
    return str(path)


def doc(*args: str) -> dict:
    run = run_cece(*args, "-f", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


@pytest.mark.parametrize("c", [10, 300])
def test_the_engine_hands_the_kernel_the_bits(c, tmp_path, monkeypatch, kernel_path):
    seen = []
    real = kernels.softmax_index

    def spy(x, y, temperature=1.0, extrema=None, **how):
        seen.append((x.dtype, temperature))
        return real(x, y, temperature, extrema, **how)

    monkeypatch.setattr(kernels, "softmax_index", spy)
    bits, y = logits(301, c, seed=c)
    x, labels = save(tmp_path, "x.npy", bits), save(tmp_path, "y.npy", y)
    d = doc("categorical", x, labels, "--dtype", "bfloat16", "--temperature", "1.5")
    assert seen and all(s == (BITS, 1.5) for s in seen)  # no float32 copy, T inside
    assert d["environment"]["kernels"] == kernel_path
    np.testing.assert_allclose(
        d["loss"], reference(values(bits), y, 1.5).mean(), rtol=RTOL[kernel_path]
    )


@pytest.mark.parametrize("extra", [[], ["--temperature", "0.6"], ["--ignore-index", "-100"]])
def test_a_bfloat16_dump_gives_its_float32_twins_number(extra, tmp_path, kernel_path):
    bits, y = logits(2 * 3 * 7, 129, seed=3)
    bits = bits.reshape(2, 21, 129)  # (batch, tokens, vocab)
    y = y.reshape(2, 21)
    if "--ignore-index" in extra:
        y[:, -4:] = -100
    labels = save(tmp_path, "y.npy", y)
    b = doc("categorical", save(tmp_path, "b.npy", bits), labels, "--dtype", "bfloat16", *extra)
    f = doc("categorical", save(tmp_path, "f.npy", values(bits).astype(np.float32)), labels, *extra)
    assert b["loss"] == f["loss"] and b["stats"] == f["stats"]
    assert b["input"]["dtype"] == "bfloat16"


def test_binary_bfloat16_dump(tmp_path, kernel_path):
    rng = np.random.default_rng(4)
    bits = to_bf16(rng.standard_normal((500, 3)) * 4)
    t = rng.integers(0, 2, (500, 3)).astype(np.float32)
    got = doc(
        "binary", save(tmp_path, "b.npy", bits), save(tmp_path, "t.npy", t), "--dtype", "bfloat16"
    )
    x = values(bits)
    want = (np.logaddexp(0, -x) * t + np.logaddexp(0, x) * (1 - t)).mean()
    np.testing.assert_allclose(got["loss"], want, rtol=1e-12)
    assert got["environment"]["kernels"] == kernel_path


def test_bfloat16_probabilities_are_decoded_for_the_other_paths(tmp_path, kernel_path):
    """--from auto finds probabilities (exact in bfloat16): the non-fused path gets values."""
    p = np.array([[0.5, 0.25, 0.25], [0.125, 0.75, 0.125]] * 5)
    y = np.array([0, 1] * 5)
    d = doc(
        "categorical",
        save(tmp_path, "p.npy", to_bf16(p)),
        save(tmp_path, "y.npy", y),
        "--dtype",
        "bfloat16",
    )
    assert d["input"]["kind"] == "probs"
    np.testing.assert_allclose(d["loss"], -np.log(p[np.arange(10), y]).mean(), rtol=1e-15)


def test_bfloat16_non_finite_is_the_float16_error(tmp_path, kernel_path):
    """NaN and +inf bit patterns: the error float16 gets, at the same row and column."""
    x = np.array([[1.0, 2.0, 3.0]] * 4)
    y = save(tmp_path, "y.npy", np.array([0, 1, 2, 0]))
    for value in (np.nan, np.inf):
        x[2, 1] = value
        b = run_cece("categorical", save(tmp_path, "b.npy", to_bf16(x)), y, "--dtype", "bfloat16")
        h = run_cece("categorical", save(tmp_path, "h.npy", x.astype(np.float16)), y)
        assert b.code == h.code == 2
        assert b.err.replace("b.npy", "X") == h.err.replace("h.npy", "X")


def test_temperature_below_the_kernels_range_still_names_the_overflow(tmp_path, kernel_path):
    """float64 logits and T < 1 are divided before the kernel, as before: an overflow is an
    error naming the row; bfloat16 logits with T below 1e-30 too (none can overflow there)."""
    x = save(tmp_path, "x.npy", np.array([[1.0, 2.0], [1e300, 0.0]]))
    y = save(tmp_path, "y.npy", np.array([0, 1]))
    run = run_cece("categorical", x, y, "--temperature", "1e-10")
    assert run.code == 2
    assert run.err.splitlines()[-2:] == [
        f"cece: error: {x}: row 1: logits / --temperature 1e-10 overflow float64",
        "  hint: use a larger --temperature",
    ]
    bits, labels = logits(20, 6, seed=2)
    d = doc(
        "categorical",
        save(tmp_path, "b.npy", bits),
        save(tmp_path, "l.npy", labels),
        "--dtype",
        "bfloat16",
        "--temperature",
        "1e-31",
    )
    np.testing.assert_allclose(d["loss"], reference(values(bits), labels, 1e-31).mean(), rtol=1e-13)


def test_fortran_order_and_big_endian_dumps(tmp_path, kernel_path):
    """A Fortran-ordered bit dump is read where it lies (strided blocks: the numpy twin),
    to the same number; big-endian 16-bit bits are refused as before, naming --dtype."""
    bits, y = logits(40, 9, seed=8)
    labels = save(tmp_path, "y.npy", y)
    want = reference(values(bits), y).mean()
    got = doc(
        "categorical",
        save(tmp_path, "f.npy", np.asfortranarray(bits)),
        labels,
        "--dtype",
        "bfloat16",
    )
    np.testing.assert_allclose(got["loss"], want, rtol=1e-13)
    big = save(tmp_path, "be.npy", bits.astype(">u2"))
    run = run_cece("categorical", big, labels, "--dtype", "bfloat16")
    assert run.code == 2
    assert run.err.splitlines()[-1] == (
        "cece: error: --dtype bfloat16 reads 16-bit bit patterns (uint16, int16 or |V2 "
        f"arrays); {big} holds >u2 values"
    )
