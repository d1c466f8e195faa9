""".safetensors files: one tensor (or ``file.safetensors:name``), memory-mapped, no library.

The format (huggingface/safetensors, ``README.md`` "Format"): 8 bytes, a little-endian
unsigned 64-bit ``N``; ``N`` bytes of UTF-8 JSON (possibly padded with spaces), mapping each
tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}`` with offsets into the byte
buffer that follows the header, plus an optional ``"__metadata__"`` map of strings. Tensors are
little-endian and C-ordered. cece maps the tensor in place (like a .npy file), so it is read in
row blocks; BF16 tensors are held as bfloat16 bits and decoded block by block
(:mod:`cece.io.bfloat16`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np

from cece.errors import InputError
from cece.io.arrays import ArrayInput
from cece.io.bfloat16 import BF16

DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U64": "<u8",
    "U32": "<u4",
    "U16": "<u2",
    "U8": "u1",
    "BOOL": "?",
}
MAX_HEADER = 100 << 20  # the reference implementation's limit on N


def looks_like(head: bytes, size: int) -> bool:
    """The first bytes of a file: a plausible header length followed by ``{``."""
    if len(head) < 9 or head[8:9] != b"{":
        return False
    n = int.from_bytes(head[:8], "little")
    return 2 <= n <= min(MAX_HEADER, size - 8)


def header(path: str, name: str) -> tuple[dict, int]:
    """The tensors' entries (without ``__metadata__``) and where their data begins."""
    with open(path, "rb") as fh:

        def read(start: int, stop: int) -> bytes:
            fh.seek(start)
            return fh.read(stop - start)

        return header_from(read, os.stat(path).st_size, name)


def header_from(read: Callable[[int, int], bytes], size: int, name: str) -> tuple[dict, int]:
    """:func:`header` from a function that reads bytes ``[start, stop)`` (a remote file's
    range reads) of a file of ``size`` bytes."""
    head = read(0, 9)
    if not looks_like(head, size):
        raise InputError(name, "not a .safetensors file (no header length and JSON header)")
    n = int.from_bytes(head[:8], "little")
    raw = read(8, 8 + n)
    import json  # here: formats.py imports this module for looks_like on every run

    try:
        entries = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(name, f"not a valid .safetensors file (its header: {exc})") from None
    if not isinstance(entries, dict):
        raise InputError(name, "not a valid .safetensors file (its header is not a JSON object)")
    entries.pop("__metadata__", None)
    return entries, 8 + n


def read(path: str, name: str, key: str | None) -> ArrayInput:
    """The tensor ``key`` (or the only one) as an array mapped from the file."""
    entries, start = header(path, name)
    code, dtype, shape, offset = tensor(entries, start, os.stat(path).st_size, name, key)
    if math.prod(shape) == 0:
        array = np.zeros(shape, dtype)
    else:
        array = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
    return ArrayInput(name, array, stored=True, bfloat16=code == "BF16", stored_dtype=code)


def tensor(
    entries: dict, start: int, size: int, name: str, key: str | None
) -> tuple[str, np.dtype, tuple[int, ...], int]:
    """The tensor ``key`` (or the only one) of a header: (dtype code, dtype, shape, offset
    of its data in the file), checked against the file's ``size``."""
    names = list(entries)
    if key is None:
        if not names:
            raise InputError(name, "holds no tensors")
        if len(names) != 1:
            raise InputError(
                name,
                f"holds {len(names)} tensors ({', '.join(names[:10])}"
                f"{', ...' if len(names) > 10 else ''}); say which one",
                hint=f"use {name}:{names[0] if names else 'NAME'}",
            )
        key = names[0]
    if key not in entries:
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        raise InputError(name, f"has no tensor {key!r}; it has {shown or 'none'}")
    entry = entries[key]
    try:
        code, shape = entry["dtype"], tuple(int(d) for d in entry["shape"])
        begin, end = (int(v) for v in entry["data_offsets"])
    except (TypeError, KeyError, ValueError):
        raise InputError(name, f"tensor {key!r} has a malformed header entry") from None
    if code == "BF16":
        dtype = BF16
    elif code in DTYPES:
        dtype = np.dtype(DTYPES[code])
    else:
        raise InputError(
            name,
            f"tensor {key!r} is {code}, which cece does not read",
            hint="save it as F32, F16 or BF16 (tensor.float())",
        )
    need = math.prod(shape) * dtype.itemsize
    if any(d < 0 for d in shape) or end - begin != need or begin < 0:
        raise InputError(
            name, f"tensor {key!r}: shape {list(shape)} of {code} does not match its data offsets"
        )
    if start + end > size:
        raise InputError(name, f"truncated: tensor {key!r} ends past the end of the file")
    return code, dtype, shape, start + begin
