"""The library takes a model's tensors as they come: a PyTorch tensor on any device, with or
without autograd, bfloat16 and 8-bit floats as the float32 values they are; JAX/TensorFlow
arrays of ml_dtypes' bfloat16 too (cece.losses.tensors). The numbers are
those of the same values as a NumPy array; anything else is still refused."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import cece
from cece.errors import InputError
from cece.losses import tensors

RNG = np.random.default_rng(2026)
X = RNG.standard_normal((40, 5)).astype(np.float32)
Y = RNG.integers(0, 5, 40)


def bf16(x: np.ndarray) -> np.ndarray:
    """float32 → the float32 values of their bfloat16 rounding (nearest even)."""
    u = x.astype(np.float32).view(np.uint32)
    return (((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16).astype(np.uint32).view(np.float32)


class _DType:
    def __init__(self, name: str, floating: bool) -> None:
        self.name, self.is_floating_point = name, floating

    def __str__(self) -> str:
        return f"torch.{self.name}"


class FakeTensor:
    """What cece relies on of a torch.Tensor: detach(), cpu(), dtype, float(), __array__.
    A tensor that needs grad, is on another device, or holds a dtype NumPy lacks refuses
    ``__array__``, as torch's does."""

    def __init__(self, values, dtype="float32", grad=False, device="cuda") -> None:
        self.values, self.grad, self.device = np.asarray(values), grad, device
        self.dtype = _DType(dtype, dtype.startswith(("float", "bfloat")))
        self.calls: list[str] = []

    @property
    def ndim(self) -> int:
        return self.values.ndim

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    def detach(self) -> FakeTensor:
        self.calls.append("detach")
        return FakeTensor(self.values, self.dtype.name, False, self.device)

    def cpu(self) -> FakeTensor:
        self.calls.append("cpu")
        return FakeTensor(self.values, self.dtype.name, self.grad, "cpu")

    def float(self) -> FakeTensor:
        return FakeTensor(self.values.astype(np.float32), "float32", self.grad, self.device)

    def __array__(self, dtype=None, copy=None):
        if self.grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad.")
        if self.device != "cpu":
            raise TypeError("can't convert cuda:0 device type tensor to numpy.")
        if self.dtype.name not in ("float16", "float32", "float64", "int64", "bool", "complex64"):
            raise TypeError(f"Got unsupported ScalarType {self.dtype.name}")
        return self.values if dtype is None else self.values.astype(dtype)


def test_a_tensor_needing_grad_on_a_device_gives_the_arrays_number():
    x, y = FakeTensor(X, grad=True), FakeTensor(Y, "int64")
    assert cece.categorical_cross_entropy(x, y) == cece.categorical_cross_entropy(X, Y)
    assert x.calls == ["detach"] and y.calls == ["detach"]  # then cpu() on the detached copy


def test_bfloat16_and_float8_tensors_are_their_float32_values():
    b = bf16(X)
    got = cece.categorical_cross_entropy(FakeTensor(b, "bfloat16"), Y)
    assert got == cece.categorical_cross_entropy(b, Y)
    e4 = np.round(X * 4) / 4  # values a float8_e4m3 holds
    got = cece.categorical_cross_entropy(FakeTensor(e4, "float8_e4m3fn"), Y)
    assert got == cece.categorical_cross_entropy(e4, Y)


def test_tensors_in_every_argument():
    b = bf16(X[:, 0])
    t = (Y > 2).astype(np.float32)
    w = np.arange(1.0, 6.0)
    assert cece.binary_cross_entropy_with_logits(
        FakeTensor(b, "bfloat16", grad=True), FakeTensor(t), pos_weight=FakeTensor(3.0, grad=True)
    ) == cece.binary_cross_entropy_with_logits(b, t, pos_weight=3.0)
    assert cece.categorical_cross_entropy(
        FakeTensor(X), FakeTensor(Y, "int64"), weight=FakeTensor(w, grad=True)
    ) == cece.categorical_cross_entropy(X, Y, weight=w)
    p = 1 / (1 + np.exp(-b.astype(np.float64)))
    assert cece.binary_cross_entropy(FakeTensor(p, "float64"), t) == cece.binary_cross_entropy(p, t)


def test_tensors_are_checked_as_arrays_are():
    with pytest.raises(InputError, match="targets: row 0: label 7 is out of range"):
        cece.categorical_cross_entropy(FakeTensor(X), FakeTensor(np.r_[7, Y[1:]], "int64"))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputError, match="preds: row 3, column 1: found nan"):
        cece.categorical_cross_entropy(FakeTensor(bad, "bfloat16", grad=True), Y)
    with pytest.raises(InputError, match="holds complex"):
        cece.categorical_cross_entropy(FakeTensor(X.astype(np.complex64), "complex64"), Y)


def test_plain_leaves_other_objects_alone():
    for x in (X, [1.0, 2.0], 3.0, "text", None):
        assert tensors.plain(x) is x

    class DetachOnly:  # detach() without cpu(): not a tensor
        def detach(self):
            raise AssertionError("called")

    d = DetachOnly()
    assert tensors.plain(d) is d


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_real_torch_tensors_match_pytorch():
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(X).requires_grad_()
    y = torch.from_numpy(Y)
    assert cece.categorical_cross_entropy(x, y) == cece.categorical_cross_entropy(X, Y)
    xb = x.detach().bfloat16()
    got = cece.categorical_cross_entropy(xb, y)
    assert got == cece.categorical_cross_entropy(xb.float().numpy(), Y)
    assert got == cece.categorical_cross_entropy(bf16(X), Y)
    # float32 lanes: within the kernels' contract of PyTorch in float64 (README)
    assert got == pytest.approx(F.cross_entropy(xb.double(), y).item(), rel=1.1e-7)
    p = torch.sigmoid(x[:, 0]).bfloat16()
    t = (y > 2).float()
    assert cece.binary_cross_entropy(p, t) == pytest.approx(
        F.binary_cross_entropy(p.double(), t.double()).item(), rel=1e-12
    )


@pytest.mark.skipif(importlib.util.find_spec("ml_dtypes") is None, reason="no ml_dtypes")
def test_ml_dtypes_bfloat16_arrays_are_their_float32_values():
    import ml_dtypes

    a = X.astype(ml_dtypes.bfloat16)
    assert cece.categorical_cross_entropy(a, Y) == cece.categorical_cross_entropy(
        a.astype(np.float32), Y
    )
    assert np.array_equal(a.astype(np.float32), bf16(X))  # the values the test above uses
    with pytest.raises(InputError, match="holds int4 values"):
        cece.categorical_cross_entropy(np.zeros((2, 3), ml_dtypes.int4), [0, 1])
