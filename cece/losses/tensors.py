"""A model's tensors as the values NumPy holds, for the library's arguments
(:func:`cece.losses.validate.as_array`, :func:`cece.losses.validate.floats`).

* A PyTorch tensor: ``x.detach().cpu()`` (a model's output, on any device, with or without
  autograd); its bfloat16 and 8-bit floats as float32, by ``Tensor.float()``, which is exact:
  each of those values is a float32. NumPy takes float16/32/64, integer and bool tensors as
  they are. A tensor is told by its ``detach()`` and ``cpu()`` methods, so that PyTorch is never
  imported.
* An array of ml_dtypes' floats (``bfloat16``, ``float8_*``: what NumPy makes of JAX and
  TensorFlow arrays of those types) as float32, exactly too. Its integer types (``int4``) are
  left as they are, and refused as the values they are.

Anything else is left as it is.
"""

from __future__ import annotations

import numpy as np

_NUMPY_FLOATS = ("torch.float16", "torch.float32", "torch.float64")  # tensors NumPy takes


def plain(x: object) -> object:
    """A PyTorch tensor detached, on the CPU, its float types NumPy lacks as float32; anything
    else as it is."""
    detach = getattr(x, "detach", None)
    if not callable(detach) or not callable(getattr(x, "cpu", None)):
        return x
    t = detach().cpu()
    dtype = getattr(t, "dtype", None)
    if getattr(dtype, "is_floating_point", False) and str(dtype) not in _NUMPY_FLOATS:
        t = t.float()
    return t


def widened(a: np.ndarray) -> np.ndarray:
    """An array of ml_dtypes' floats as float32 (exact); any other array as it is."""
    if a.dtype.kind == "V" and a.dtype.type.__module__ == "ml_dtypes" and "float" in a.dtype.name:
        return a.astype(np.float32)
    return a
