"""Zarr arrays as array inputs (``cece[zarr]``): a local directory or a URL holding a Zarr array
(v2: ``.zarray``; v3: ``zarr.json`` with ``"node_type": "array"``), or ``store.zarr:name`` for
an array inside a group, as ``file.npz:key`` names an array of an .npz file.

zarr is imported only for a Zarr input. The array is never read whole when it is large: rows
are read in whole chunks along the first axis (a shard, where the array is sharded), the last
span kept, so that blocks that do not fall on chunk boundaries read each chunk once
(:class:`ChunkRows`, behind a :class:`cece.io.lazy.LazyArray`).
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any, cast

import numpy as np

from cece.errors import CeceError, InputError
from cece.io.arrays import ArrayInput
from cece.io.lazy import LazyArray

WHOLE = 1 << 20  # arrays of at most this many bytes are read at once


def kind_of(meta: dict[str, bytes | None]) -> str | None:
    """ "array", "group" or None from a directory's metadata files (name → bytes or None)."""
    if meta.get(".zarray") is not None:
        return "array"
    if meta.get(".zgroup") is not None:
        return "group"
    raw = meta.get("zarr.json")
    if raw is None:
        return None
    import json  # here: readers.py imports this module on every run

    try:
        node = json.loads(raw).get("node_type")
    except (ValueError, AttributeError):
        return None
    return node if node in ("array", "group") else None


META = (".zarray", ".zgroup", "zarr.json")


def local_kind(path: str) -> str | None:
    """What a local directory is: a Zarr "array", a "group", or None."""
    try:
        if not os.path.isdir(path):
            return None
        return kind_of({m: _read(os.path.join(path, m)) for m in META})
    except OSError:
        return None


def _read(path: str) -> bytes | None:
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as fh:
        return fh.read()


def _zarr(name: str) -> Any:
    try:
        import zarr
    except ImportError:
        raise InputError(name, "reading Zarr arrays needs zarr: pip install 'cece[zarr]'") from None
    return zarr


def node(target: str, name: str, key: str | None) -> Any:
    """The Zarr array at ``target`` (a path or URL), or its member ``key``; a group without
    a key, a key that names a group or nothing: one line."""
    zarr = _zarr(name)
    try:
        found = zarr.open(target, mode="r")
    except Exception as exc:  # FileNotFoundError, zarr's own errors, a backend's
        raise InputError(name, f"not a readable Zarr array ({_first_line(exc)})") from None
    where = name
    if key is not None:
        if not hasattr(found, "array_keys"):
            raise InputError(name, f"':{key}' selects an array in a Zarr group; this is an array")
        try:
            found = found[key]
        except KeyError:
            names = ", ".join(sorted(found.array_keys())) or "none"
            raise InputError(name, f"has no array {key!r}; it has {names}") from None
        except Exception as exc:
            raise InputError(name, f"cannot read {key!r} ({_first_line(exc)})") from None
    if hasattr(found, "array_keys"):  # a group
        members = sorted(found.array_keys())
        shown = ", ".join(members[:10]) + (", ..." if len(members) > 10 else "")
        raise InputError(
            where,
            f"is a Zarr group, not an array ({len(members)} arrays: {shown}); say which one"
            if members
            else "is a Zarr group, not an array, and holds no arrays",
            hint=f"use {where}:{members[0]}" if members else None,
        )
    return found


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def chunk_rows(array: Any) -> int:
    """Rows of the first axis in one chunk (one shard, when the array is sharded)."""
    chunks = getattr(array, "shards", None) or array.chunks
    return max(1, int(chunks[0])) if chunks else 1


class ChunkRows:
    """Elements of a Zarr array in C order, read by whole chunks of rows; the last span kept."""

    def __init__(self, array: Any, name: str) -> None:
        self.array, self.name = array, name
        self.rows = int(array.shape[0])
        self.inner = math.prod(int(d) for d in array.shape[1:])
        self.chunk = chunk_rows(array)
        self.span: tuple[int, int, np.ndarray] = (0, 0, np.empty(0, array.dtype))
        self.lock = threading.Lock()  # the kept span is shared by the readers of the array

    def read(self, start: int, stop: int) -> np.ndarray:
        with self.lock:
            return self._read(start, stop)

    def _read(self, start: int, stop: int) -> np.ndarray:
        first, last = start // self.inner, -(-stop // self.inner)
        lo, hi, values = self.span
        if not lo <= first < last <= hi:
            new_lo = first - first % self.chunk
            new_hi = min(self.rows, -(-last // self.chunk) * self.chunk)
            if lo <= first < hi:  # the kept span holds the start: read only the chunks after it
                kept = values[(new_lo - lo) * self.inner :]
                values = np.concatenate([kept, self._rows(hi, new_hi)])
            else:
                values = self._rows(new_lo, new_hi)
            lo, hi = new_lo, new_hi
            self.span = (lo, hi, values)
        return values[start - lo * self.inner : stop - lo * self.inner]

    def _rows(self, lo: int, hi: int) -> np.ndarray:
        """Rows ``[lo, hi)`` (whole chunks), flat."""
        try:
            return np.asarray(self.array[lo:hi]).reshape(-1)
        except CeceError:
            raise
        except Exception as exc:  # a missing or corrupt chunk, the storage
            raise InputError(
                self.name, f"cannot read rows {lo}..{hi - 1} ({_first_line(exc)})"
            ) from None


def open_array(target: str, name: str, key: str | None) -> ArrayInput:
    """A Zarr array as an array input: read at once when small, else lazily by chunks."""
    array = node(target, name, key)
    dtype = np.dtype(array.dtype)
    if dtype.kind not in "iufbUSOT":
        raise InputError(name, f"holds {dtype} values; expected numbers (or class names)")
    shape = tuple(int(d) for d in array.shape)
    if math.prod(shape) * dtype.itemsize <= WHOLE or not shape or dtype.kind in "USOT":
        try:
            values = np.asarray(array[...])
        except Exception as exc:
            raise InputError(name, f"cannot read ({_first_line(exc)})") from None
        if values.dtype.kind in "OT":  # Zarr 3's variable-length strings: class names
            items = values.ravel().tolist()
            if not all(isinstance(v, str) for v in items):
                raise InputError(name, "holds Python objects; expected numbers or class names")
            values = np.array(items, dtype=str).reshape(values.shape)
        return ArrayInput(name, values, stored=True)
    lazy = LazyArray(ChunkRows(array, name), shape, dtype)
    return ArrayInput(name, cast(np.ndarray, lazy), stored=True)


def layout(target: str, name: str, key: str | None) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, rows a chunk) from the metadata alone."""
    array = node(target, name, key)
    return tuple(int(d) for d in array.shape), np.dtype(array.dtype), chunk_rows(array)
