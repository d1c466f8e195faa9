"""Numerical extremes against exact values, on the compiled kernels and the numpy path, through
the CLI (files of the dtype in question): huge logits, float16 overflow, subnormal and exact 0/1
probabilities with and without eps, 50257 classes with one dominant logit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import run_cece

F32_EPS = float(np.finfo(np.float32).eps)
F64_EPS = float(np.finfo(np.float64).eps)


def losses(*args) -> list[float]:
    run = run_cece(*args, "-r", "none", "-q")
    assert run.code == 0, run.err
    return [float(v) for v in run.out.split()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_categorical_logits_of_1e4(write, dtype, kernel_path):
    x = write("x.npy", np.array([[1e4, 0, -1e4]] * 3, dtype=dtype))
    got = losses("categorical", x, "[0, 1, 2]", "--from", "logits")
    assert got == [0.0, 1e4, 2e4]  # log(1 + e^-1e4 + e^-2e4) is 0 in float64


def test_categorical_logits_at_float32_max(write, kernel_path):
    big = float(np.float32(3e38))
    x = write("x.npy", np.array([[3e38, -3e38], [-3e38, 3e38]], dtype=np.float32))
    assert losses("categorical", x, "[1, 1]", "--from", "logits") == [2 * big, 0.0]


def test_binary_logits_of_1e4_and_float32_max(write, kernel_path):
    x = write("x.npy", np.array([1e4, -1e4, 3e38, -3e38, 1e4], dtype=np.float32))
    got = losses("binary", x, "[0, 1, 0, 1, 1]", "--from", "logits")
    big = float(np.float32(3e38))
    assert got == [1e4, 1e4, big, big, 0.0]


def test_float16_logits_that_overflow_exp(write, kernel_path):
    # exp(11.5) = 98715 > 65504, the float16 maximum: a naive softmax in float16 gives inf/inf
    x16 = np.array([[11.5, 11.0, 10.0], [60000, -60000, 0]], dtype=np.float16)
    got = losses("categorical", write("x.npy", x16), "[2, 1]", "--from", "logits")
    lse = 11.5 + math.log1p(math.exp(-0.5) + math.exp(-1.5))
    assert got[0] == pytest.approx(lse - 10.0, rel=1e-7)
    assert got[1] == 120000.0
    got = losses(
        "binary", write("b.npy", np.array([60000, -11.5], np.float16)), "[0, 1]", "--from", "logits"
    )
    assert got[0] == 60000.0
    assert got[1] == pytest.approx(11.5 + math.log1p(math.exp(-11.5)), rel=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_50257_classes_with_one_dominant_logit(write, dtype, kernel_path):
    x = np.zeros((2, 50257), dtype=dtype)
    x[:, 123] = 100.0
    got = losses("categorical", write("x.npy", x), "[123, 0]", "--from", "logits")
    tiny = 50256 * math.exp(-100)  # log(1 + 50256·e^-100), to full relative precision
    assert got[0] == pytest.approx(tiny, rel=1e-7 if dtype == np.float32 else 1e-13)
    assert got[1] == pytest.approx(100.0, rel=1e-15)


def test_subnormal_probabilities(write):
    p64 = np.array([[5e-324, 1.0], [0.5, 0.5]])
    got = losses("categorical", write("p.npy", p64), "[0, 1]", "--from", "probs", "--eps", "0")
    assert got == [-math.log(5e-324), math.log(2)]
    assert got[0] == pytest.approx(744.4400719213812, rel=1e-15)
    got = losses("categorical", write("p.npy", p64), "[0, 1]", "--from", "probs")
    assert got[0] == -math.log(F64_EPS)  # clipped to eps: 36.04365338911715
    tiny32 = np.float32(1e-45)  # the smallest float32 subnormal, 1.4e-45
    p32 = np.array([[tiny32, 1.0]], dtype=np.float32)
    got = losses("categorical", write("p32.npy", p32), "[0]", "--from", "probs", "--eps", "0")
    assert got[0] == pytest.approx(-math.log(float(tiny32)), rel=1e-15)  # 103.2789…
    got = losses(
        "binary",
        write("b.npy", np.array([5e-324, 1 - 2**-53])),
        "[1, 0]",
        "--from",
        "probs",
        "--eps",
        "0",
    )
    assert got == [-math.log(5e-324), -math.log(2**-53)]


@pytest.mark.parametrize("dtype, eps", [(np.float64, F64_EPS), (np.float32, F32_EPS)])
def test_probabilities_exactly_0_and_1(write, dtype, eps):
    p = write("p.npy", np.array([[0.0, 1.0], [0.0, 1.0]], dtype=dtype))
    assert losses("categorical", p, "[0, 1]", "--from", "probs", "--eps", "0") == [math.inf, 0.0]
    got = losses("categorical", p, "[0, 1]", "--from", "probs")  # default eps: the dtype's
    assert got[0] == -math.log(eps)
    assert got[1] == pytest.approx(-math.log1p(-eps), rel=1e-12)
    b = write("b.npy", np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype))
    got = losses("binary", b, "[1, 0, 0, 1]", "--from", "probs", "--eps", "0")
    assert got == [math.inf, math.inf, 0.0, 0.0]
    got = losses("binary", b, "[1, 0, 0, 1]", "--from", "probs")
    assert got[:2] == [-math.log(eps)] * 2
    assert got[2] == pytest.approx(-math.log1p(-eps), rel=1e-12)


def test_infinite_mean_is_reported_not_hidden(write):
    p = write("p.npy", np.array([[0.0, 1.0], [0.5, 0.5]]))
    run = run_cece("categorical", p, "[0, 1]", "--from", "probs", "--eps", "0", "-q")
    assert run.code == 0 and run.out == "inf\n"
    run = run_cece(
        "categorical", p, "[0, 1]", "--from", "probs", "--eps", "0", "-q", "--fail-above", "100"
    )
    assert run.code == 1
