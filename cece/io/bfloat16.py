"""bfloat16 and the dtype of stored arrays: what a binary dump's values are, decided once.

bfloat16 is the top half of an IEEE float32: one sign bit, eight exponent bits, seven mantissa
bits. Its numbers are therefore exactly the float32 numbers whose low 16 bits are zero, and
``float32_bits = bf16_bits << 16`` converts without rounding (ml_dtypes and PyTorch's
``Tensor.float()`` give the same values). NumPy has no bfloat16 type, so files carry it as:

* ``uint16`` / ``int16`` bit dumps (``tensor.view(torch.uint16).numpy()``, the usual
  workaround since ``tensor.bfloat16().numpy()`` raises): indistinguishable from integers, so
  read as bfloat16 only with ``--dtype bfloat16``;
* ``np.save`` of an ``ml_dtypes.bfloat16`` array: the header says ``'<V2'`` (2 raw bytes; NumPy
  writes ``descr`` from ``dtype.descr``, and a user-defined dtype has no type code), which does
  not tell bfloat16 from any other 2-byte record, so that too needs ``--dtype bfloat16``;
* safetensors ``BF16`` and torch ``bfloat16`` tensors: the file says so; no option needed.

Known bfloat16 bits are held as ``|V2`` arrays, which every numeric reader refuses: a consumer
that does not decode them fails loudly instead of computing the integers. The fused loss
kernels (:mod:`cece._native`, compiled and numpy) read them as they are, as they read
float16, so the blocks of PREDS reach the engine undecoded (:func:`values` where a consumer
needs numbers).

Integer PREDS from a binary dump are never taken as scores without being asked: they are
class predictions (``model.predict``), bit patterns or quantized values more often than
logits.
"""

from __future__ import annotations

import numpy as np

from cece._native import BFLOAT16, bfloat16_to_float32
from cece.errors import InputError, OptionError
from cece.io.arrays import ArrayInput

BF16 = BFLOAT16  # how known bfloat16 bits are held (|V2)
BIT_KINDS = (np.dtype(np.uint16), np.dtype(np.int16), BF16)
DTYPES = ("auto", "bfloat16")


def to_float32(bits: np.ndarray) -> np.ndarray:
    """bfloat16 bit patterns (any 2-byte dtype) → float32, exactly (``bits << 16``)."""
    return bfloat16_to_float32(bits)


def values(block: np.ndarray) -> np.ndarray:
    """A block of PREDS as numbers: bfloat16 bits (|V2) as float32, exactly; others as they
    are. For the consumers that compute on values (checks, kind detection, other losses)."""
    return bfloat16_to_float32(block) if block.dtype == BF16 else block


def as_bfloat16(data: ArrayInput) -> ArrayInput:
    """The same file's array, marked as bfloat16 bits (``--dtype bfloat16`` or the file says)."""
    array = data.array
    if array.dtype.kind == "V" and array.dtype.itemsize == 2 and array.dtype.names is None:
        bits = array if array.dtype == BF16 else array.view(BF16)
    elif isinstance(array, np.memmap) and array.filename and array.flags.c_contiguous:
        # mapped again as |V2, so that the .npy row reader streams it and hands pages back
        bits = np.memmap(array.filename, BF16, "r", offset=array.offset, shape=array.shape)
    else:
        bits = array.view(BF16)
    stored = data.stored_dtype or str(array.dtype)
    return ArrayInput(data.name, bits, stored=data.stored, bfloat16=True, stored_dtype=stored)


def numbers(data: ArrayInput) -> ArrayInput:
    """Labels, targets or weights the file says are bfloat16, as float32 (read whole: they
    are N values, or N rows of soft targets); anything else as it is."""
    if not data.bfloat16:
        return data
    return ArrayInput(data.name, to_float32(data.array), stored=True, stored_dtype="bfloat16")


def decide(data: ArrayInput, dtype: str, kind: str, option: str = "--dtype") -> ArrayInput:
    """PREDS as an array of numbers cece may compute with, or an error naming the option.

    Returns ``data`` itself, or a bfloat16 view of it (``data.bfloat16`` set) that readers of
    blocks decode with :func:`to_float32`. ``option`` is the option that decides
    (``--dtype``; ``--q-dtype`` for Q of ``cece kl``).
    """
    array, name = data.array, data.name
    if dtype == "bfloat16":
        if data.bfloat16:
            return data
        if array.dtype not in BIT_KINDS or array.dtype.names is not None:
            raise OptionError(
                f"{option} bfloat16 reads 16-bit bit patterns (uint16, int16 or |V2 arrays); "
                f"{name} holds {array.dtype} values"
            )
        return as_bfloat16(data)
    if data.bfloat16:
        return data
    if array.dtype == BF16 or (array.dtype.kind == "V" and array.itemsize == 2):
        raise InputError(
            name,
            f"holds {array.dtype} values: 2 raw bytes each, as np.save writes ml_dtypes "
            "bfloat16 arrays, but the file does not say which type they are",
            hint=f"{option} bfloat16 reads them as bfloat16",
        )
    if not data.stored or array.dtype.kind not in "iub":
        return data
    refuse_integers(name, array.dtype, kind, option)
    return data


def refuse_integers(name: str, dtype: np.dtype, kind: str, option: str = "--dtype") -> None:
    """Integer scores stored as integers (a binary array, or an integer-typed Arrow column):
    16-bit ones are bfloat16 bits until --dtype says so; others need --from to be scores."""
    if dtype in BIT_KINDS:
        raise InputError(
            name,
            f"holds {dtype} values, the form bfloat16 tensors are saved in as bits; "
            "cece does not take them for scores",
            hint=f"{option} bfloat16 reads them as bfloat16 bits; numbers: save them as float32",
        )
    if kind == "auto":
        raise InputError(
            name,
            f"holds {dtype} values: class predictions or quantized values rather than "
            "scores? cross-entropy needs probabilities or logits",
            hint="if they are scores, say which kind with --from (or save them as floats)",
        )


def check_text(name: str, dtype: str, option: str = "--dtype") -> None:
    """``--dtype bfloat16`` with a text table: refused (it holds numbers as written)."""
    if dtype == "bfloat16":
        raise OptionError(
            f"{option} bfloat16 applies to binary arrays (.npy, .npz, .safetensors, .pt); "
            f"{name} is a table of numbers as written"
        )


def facts(data: ArrayInput) -> tuple[dict, list[str]]:
    """What the JSON ``input`` records about the stored values, and the note that says it."""
    if not data.bfloat16:
        return {}, []
    stored = data.stored_dtype or "bfloat16"
    return (
        {"dtype": "bfloat16", "stored_dtype": stored},
        [f"{data.name}: bfloat16 values (stored as {stored}), converted exactly to float32"],
    )
