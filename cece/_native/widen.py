"""Logits and probabilities of every dtype the kernels take, widened exactly for the numpy
path: bfloat16 bits (held as ``|V2``: numpy has no bfloat16 type) and float16 to float32, any
of them to float64."""

from __future__ import annotations

import numpy as np

BFLOAT16 = np.dtype("V2")  # how cece holds bfloat16 bits (numpy has no bfloat16 type)


def bfloat16_to_float32(bits: np.ndarray) -> np.ndarray:
    """bfloat16 bit patterns (any 2-byte dtype, any layout) → float32, exactly: bfloat16 is the
    top half of a float32, so ``float32_bits = bf16_bits << 16`` (NaN and inf included)."""
    wide = np.ascontiguousarray(bits).view(np.uint16).astype(np.uint32)
    wide <<= 16
    return wide.view(np.float32)


def as_float64(x: np.ndarray) -> np.ndarray:
    """Logits of any dtype the kernels take (bfloat16 bits included) as float64, exactly."""
    x = np.asarray(x)
    if x.dtype == BFLOAT16:
        x = bfloat16_to_float32(x)
    with np.errstate(invalid="ignore"):  # signalling NaN patterns: quiet NaNs (rows counted)
        return x.astype(np.float64, copy=False)


def exact_float(x: np.ndarray) -> np.ndarray:
    """Logits as float32 or float64, exactly: float16 and bfloat16 widened to float32 (numpy's
    float16 loops are slow), float32 and float64 as they are. lse_parts widens to float64 in
    its own pass, and maxima, arg-maxima, x_y and finiteness are the same in either type."""
    x = np.asarray(x)
    if x.dtype == BFLOAT16:
        return bfloat16_to_float32(x)
    if x.dtype == np.float16:
        with np.errstate(invalid="ignore"):
            return x.astype(np.float32)
    return x if x.dtype in (np.float32, np.float64) else as_float64(x)
