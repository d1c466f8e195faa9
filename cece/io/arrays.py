"""Arrays: .npy (memory-mapped, read in row blocks), .npz members, JSON literals.

Nothing is ever unpickled: object arrays are refused with a clear error (CONTRACT §2).
"""

from __future__ import annotations

import io
import math
import mmap
import os
import sys
import weakref
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import BinaryIO, cast

import numpy as np

from cece.errors import CeceError, InputError
from cece.io.fields import json_float
from cece.io.lazy import LazyArray, RowBlocks
from cece.structs import struct


@struct
class ArrayInput:
    """An N-dimensional array from .npy/.npz/a literal (numeric, or str for class names)."""

    name: str
    array: np.ndarray
    stored: bool = False  # from a binary dump (.npy, .npz, ...): the dtype is the writer's
    bfloat16: bool = False  # the array holds bfloat16 bits (as |V2), decoded block by block
    stored_dtype: str | None = None  # how the file stores the values, when it says
    torch_saved: bool = False  # from torch.save: PyTorch's layout, classes on axis 1


def is_literal(value: object) -> bool:
    """JSON numbers, class names, or (nested) lists of them; or lists of true/false alone (labels
    as booleans, read as a NumPy bool array is), never mixed with numbers."""
    if isinstance(value, list) and value and _flags(value):
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, str)):
        return not isinstance(value, str) or bool(value)
    return isinstance(value, list) and bool(value) and all(is_literal(v) for v in value)


def _flags(value: object) -> bool:
    """A (nested) list of true/false values only."""
    if isinstance(value, list):
        return bool(value) and all(_flags(v) for v in value)
    return isinstance(value, bool)


def _npy_header(fh: BinaryIO, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    from numpy.lib import format as npy

    try:
        version = npy.read_magic(fh)
        reader = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, fortran, dtype = reader(fh, max_header_size=1 << 20)
    except ValueError as exc:
        raise InputError(name, f"not a valid .npy file ({exc})") from None
    except Exception:  # tokenize.TokenError, SyntaxError, ... from a mangled header
        raise InputError(
            name, "not a valid .npy file (its header is not a Python literal)"
        ) from None
    if any(d < 0 for d in shape):
        raise InputError(name, f"not a valid .npy file (shape {shape} has a negative dimension)")
    if math.prod(max(d, 1) for d in shape) * max(dtype.itemsize, 1) > sys.maxsize:
        # numpy refuses such a shape even with a zero dimension ("array is too big").
        raise InputError(
            name,
            f"not a valid .npy file (shape {shape} of {dtype} is larger than any array can be)",
        )
    if dtype.hasobject:
        raise InputError(
            name,
            "holds Python objects (dtype object); cece never unpickles",
            hint="save a numeric array, e.g. np.save(path, arr.astype(np.float32))",
        )
    return shape, fortran, dtype


def npy_header(fh: BinaryIO, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, Fortran order, dtype) from a .npy header at ``fh``'s position, checked as for
    a local file (no objects, no negative or impossible shapes)."""
    return _npy_header(fh, name)


def _data_bytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """Bytes of data an array of this shape needs (Python ints: no int64 overflow)."""
    return math.prod(shape) * dtype.itemsize


def npy_mmap(path: str, name: str) -> np.ndarray:
    with open(path, "rb") as fh:
        shape, fortran, dtype = _npy_header(fh, name)
        offset = fh.tell()
    need = _data_bytes(shape, dtype)
    have = os.stat(path).st_size - offset
    if have < need:
        raise InputError(
            name,
            f"truncated: shape {shape} of {dtype} needs {need} bytes of data, the file has {have}",
        )
    if need == 0:
        return np.zeros(shape, dtype)
    return np.memmap(
        path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C"
    )


class NpyRows:
    """Blocks of rows of a C-ordered .npy file, as views of a memory map read in order.

    The file is seen as (n_rows, row_length) elements; blocks come out shaped
    ``(k,) + out_shape``. Pages a few blocks behind the reader are handed back to the kernel
    (``MADV_DONTNEED``: they stay in the page cache, and a late reader would simply fault them
    in again), so the process's RSS stays a few blocks, not the file.
    """

    LAG = 3  # blocks kept mapped behind the reader (≥ blocks in flight)
    RELEASE = 16 << 20  # hand pages back in batches this large

    def __init__(self, array: np.memmap, row_length: int, out_shape: tuple[int, ...]) -> None:
        self.path, self.offset, self.dtype = array.filename, array.offset, array.dtype
        self.row_length = max(1, row_length)
        self.n_rows = array.size // self.row_length
        self.out_shape = out_shape

    @classmethod
    def of(
        cls, array: np.ndarray, row_length: int, out_shape: tuple[int, ...]
    ) -> NpyRows | RowBlocks | None:
        """A reader for the whole of a .npy memory map in C order (or of an array read by
        ranges, :mod:`cece.io.lazy`), else None."""
        if isinstance(array, LazyArray):
            return array.row_blocks(row_length, out_shape)
        if (
            isinstance(array, np.memmap)
            and isinstance(array.base, mmap.mmap)
            and array.flags.c_contiguous
            and array.size
        ):
            return cls(array, row_length, out_shape)
        return None

    def blocks(self, rows: int) -> Iterator[np.ndarray]:
        assert self.path is not None  # a memory map of a file (NpyRows.of)
        with open(self.path, "rb") as fh:
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        _READ_MAPS.add(mapped)  # its blocks' pages may be dropped by whoever computed them
        step = self.row_length * self.dtype.itemsize
        behind: deque[tuple[int, int]] = deque()
        done_from = self.offset  # pages before this were handed back already
        for start in range(0, self.n_rows, rows):
            k = min(rows, self.n_rows - start)
            offset = self.offset + start * step
            yield np.frombuffer(
                mapped, self.dtype, count=k * self.row_length, offset=offset
            ).reshape((k,) + self.out_shape)
            behind.append((offset, k * step))
            if len(behind) > self.LAG:
                end = sum(behind.popleft())
                # Batched: each release interrupts every CPU running this process (a TLB
                # shootdown), which costs far more than the pages do in a VM.
                if end - done_from >= self.RELEASE:
                    _release(mapped, done_from, end - done_from)
                    done_from = end


_READ_MAPS: weakref.WeakSet[mmap.mmap] = weakref.WeakSet()  # the maps NpyRows reads (read-only)


def release_block(arrays: Iterable[np.ndarray]) -> None:
    """Drop the pages that lie wholly inside these arrays from this process, where they are
    views of a read-only map of :class:`NpyRows` (others are left alone). The engine's worker
    calls it on the block it has just computed: the pages' tables are still in its cache, so
    this costs it less than the main thread's release a few blocks later costs there (which
    then finds nothing left to drop), and the run's RSS stays at the blocks in flight.
    Measured on a 10⁷ × 10 run: 1–3 % less wall time, peak RSS 105 → 64 MB."""
    page = mmap.PAGESIZE
    for array in arrays:
        base = array.base
        while base is not None and not isinstance(base, mmap.mmap):
            base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
        if base is None or base not in _READ_MAPS or not array.size:
            continue
        lo = array.__array_interface__["data"][0] - _address(base)
        hi = lo + array.itemsize
        for n, step in zip(array.shape, array.strides):  # the bytes the view spans
            lo, hi = (lo, hi + (n - 1) * step) if step > 0 else (lo + (n - 1) * step, hi)
        lo, hi = -(-lo // page) * page, hi // page * page  # whole pages only
        if hi > lo and hasattr(mmap, "MADV_DONTNEED"):
            base.madvise(mmap.MADV_DONTNEED, lo, hi - lo)


def _address(mapped: mmap.mmap) -> int:
    return int(np.frombuffer(mapped, np.uint8, count=1).__array_interface__["data"][0])


def _release(mapped: mmap.mmap, offset: int, length: int) -> None:
    """Drop a read range's pages from this process (they stay in the page cache)."""
    if not hasattr(mmap, "MADV_DONTNEED"):
        return
    page = mmap.PAGESIZE
    lo = offset - offset % page
    hi = offset + length - (offset + length) % page
    if hi > lo:
        mapped.madvise(mmap.MADV_DONTNEED, lo, hi - lo)


def npy_from_bytes(data: bytes, name: str) -> np.ndarray:
    fh = io.BytesIO(data)
    shape, fortran, dtype = _npy_header(fh, name)
    need = _data_bytes(shape, dtype)
    body = data[fh.tell() :]
    if len(body) < need:
        raise InputError(
            name,
            f"truncated: shape {shape} of {dtype} needs {need} bytes of data, found {len(body)}",
        )
    array = np.frombuffer(body, dtype=dtype, count=math.prod(shape))
    return array.reshape(shape, order="F" if fortran else "C")


def npz(path: str | BinaryIO, name: str, key: str | None) -> np.ndarray:
    import contextlib
    import zipfile

    try:
        with contextlib.ExitStack() as stack:
            # a path is opened here: np.load leaves its own file open when the zip is bad
            fh = stack.enter_context(open(path, "rb")) if isinstance(path, str) else path
            npz = stack.enter_context(np.load(fh, allow_pickle=False))
            keys = list(npz.files)
            if key is None:
                if len(keys) != 1:
                    raise InputError(
                        name,
                        f"holds {len(keys)} arrays ({', '.join(keys)}); say which one",
                        hint=f"use {name}:{keys[0] if keys else 'KEY'}",
                    )
                key = keys[0]
            if key not in keys:
                raise InputError(name, f"has no array {key!r}; it has {', '.join(keys) or 'none'}")
            array = npz[key]
            if not isinstance(array, np.ndarray):  # a member that is not .npy data
                raise InputError(name, f"member {key!r} is not a .npy array")
            return array
    except CeceError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InputError(name, f"not a readable .npz file ({exc})") from None
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise InputError(
                name, f"array {key!r} holds Python objects; cece never unpickles"
            ) from None
        raise InputError(name, f"not a readable .npz file ({exc})") from None
    except Exception:  # a mangled member header (tokenize.TokenError, ...)
        raise InputError(name, f"array {key!r} is not a valid .npy member") from None


def literal_array(name: str, value: object) -> np.ndarray:
    """A JSON literal (numbers or class names, nested lists of them) as an array."""
    try:
        array = np.array(value)
    except ValueError:
        raise InputError(
            name,
            "rows of different lengths",
            hint="every row of a nested list needs the same length",
        ) from None
    if array.dtype.kind not in "iufUb":
        huge = _huge_integer(value, ())
        if huge is not None:  # numpy holds it as an object, not an int64
            where, number = huge
            at = dict(zip(("row", "column"), where)) if array.ndim <= 2 else {}
            raise InputError(
                name,
                f"the integer {number} is beyond int64",
                **at,
                hint="write it as a decimal (1.5e+30) to have it read as a float",
            )
        raise InputError(name, "mixes numbers and text; expected numbers or class names")
    return array


def _huge_integer(value: object, at: tuple[int, ...]) -> tuple[tuple[int, ...], int] | None:
    """The first integer of a literal that int64 does not hold, with its place."""
    if isinstance(value, list):
        for i, v in enumerate(value):
            if (found := _huge_integer(v, (*at, i))) is not None:
                return found
        return None
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return at, value
    return None


def json_file(path: str, name: str) -> np.ndarray:
    with open(path, "rb") as fh:
        return json_bytes(fh.read(), name)


def json_bytes(data: bytes, name: str) -> np.ndarray:
    """A .json file's bytes as an array (of numbers or class names)."""
    import json  # here: only .json inputs need it

    try:
        value = json.loads(data.decode("utf-8-sig"), parse_float=json_float)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(name, f"not valid JSON ({exc})") from None
    if isinstance(value, list) and value and isinstance(value[0], dict):
        raise InputError(
            name,
            "holds a JSON array of records; expected JSON Lines (one record per line)",
            hint="pandas writes them with to_json(path, orient='records', lines=True)",
        )
    if not is_literal(value):
        raise InputError(name, "expected a JSON array of numbers or class names")
    return literal_array(name, value)


def window_rows(data: ArrayInput, start: int, stop: int) -> ArrayInput:
    """Rows ``[start, stop)`` of an array's first axis, as if the file held just those
    (clipped to the rows there are): a memory map is mapped again at the window's offset, a
    lazy array stays lazy, an array in memory is sliced."""
    array = data.array
    if array.ndim == 0:
        raise InputError(data.name, "holds a single value; a row window needs rows")
    stop = min(stop, array.shape[0])
    start = min(start, stop)
    rows: object
    if isinstance(array, LazyArray):
        rows = array.window(start, stop)
    elif isinstance(array, np.memmap) and array.filename and array.flags.c_contiguous:
        step = array.itemsize * math.prod(array.shape[1:])
        shape = (stop - start,) + array.shape[1:]
        if stop > start and step:
            offset = array.offset + start * step
            rows = np.memmap(array.filename, array.dtype, "r", offset=offset, shape=shape)
        else:
            rows = np.zeros(shape, array.dtype)
    else:
        rows = array[start:stop]
    return replace(data, array=cast(np.ndarray, rows))
