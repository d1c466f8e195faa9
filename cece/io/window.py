"""Row windows of array inputs, and where to cut an input into windows.

``with only_rows(start, stop):`` makes every array input opened inside it (a local ``.npy``
memory-mapped or read, ``.npz``, ``.safetensors``, ``.pt``, a remote ``.npy``, a Zarr array)
hold only rows ``[start, stop)`` of its first axis, as if the file held just those rows; the
labels and sample weights opened in the same context get the same window, so they stay aligned
with the predictions. The window is clipped to the rows there are (as a slice is). A table
(text, JSON Lines, Parquet, Feather) opened inside a window is one error line: the engine
windows arrays only. Class-wise option files (``--rescale``/``--pos-weight`` factors) are read
whole (:func:`whole_rows`), never windowed.

:func:`chunk_ranges` plans the windows of one input from its header alone: ranges of about
``target_bytes`` each, cut on Zarr chunk boundaries, or for ``.npy`` and ``.safetensors`` on
multiples of the engine's block rows (:func:`cece.io.blocks.rows_per_block`), so a window's
blocks are the blocks a whole run reads. :func:`rows_of_url` and :func:`rows_of_zarr` give
row counts from headers and metadata, without reading data.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, cast

import numpy as np

from cece.errors import OptionError
from cece.io import formats, readers, remote, safetensors, zarrs
from cece.io.arrays import npy_header
from cece.io.bfloat16 import BIT_KINDS
from cece.io.blocks import rows_per_block
from cece.io.lazy import WINDOW

__all__ = ["chunk_ranges", "only_rows", "rows_of_url", "rows_of_zarr", "whole_rows"]


@contextmanager
def only_rows(start: int, stop: int) -> Iterator[None]:
    """Array inputs opened inside hold rows ``[start, stop)`` of their first axis only."""
    if not 0 <= start <= stop:
        raise OptionError(f"a row window needs 0 <= start <= stop; got rows {start}..{stop}")
    token = WINDOW.set((int(start), int(stop)))
    try:
        yield
    finally:
        WINDOW.reset(token)


@contextmanager
def whole_rows() -> Iterator[None]:
    """Inputs opened inside are read whole, even inside :func:`only_rows`."""
    token = WINDOW.set(None)
    try:
        yield
    finally:
        WINDOW.reset(token)


def layout(arg: str) -> tuple[tuple[int, ...], np.dtype, int | None] | None:
    """(shape, dtype, rows a Zarr chunk) of an array input from its header or metadata
    alone; None for a table, standard input, a literal or a ``.pt`` file (whose shape only
    loading it tells). Errors as opening the input would give them."""
    spec = readers.resolve(arg)
    if spec.origin in ("stdin", "literal"):
        return None
    if spec.origin == "url":
        assert spec.url is not None
        found = remote.Remote(spec.url, spec.name)
        if found.is_dir:
            if not zarrs.kind_of({m: found.child(m) for m in zarrs.META}):
                return None
            return zarrs.layout(spec.url, spec.name, spec.key)
        head = found.read(0, 16)
        magic = formats.magic_of(head, found.size, found.torch_archive)
        fmt, compression = formats.decide(
            spec.name, *formats.format_of(found.path), magic, spec.key
        )
        if compression:
            return None
        if fmt == "npy":
            shape, _, dtype, _ = remote.npy_layout(found)
            return shape, dtype, None
        if fmt == "safetensors":
            _, dtype, shape, _ = remote.safetensors_layout(found, spec.key)
            return shape, dtype, None
        return None
    assert spec.path is not None
    path = spec.path
    if zarrs.local_kind(path):
        return zarrs.layout(path, spec.name, spec.key)
    if not os.path.isfile(path):
        return None
    fmt, compression = formats.decide(
        spec.name, *formats.format_of(path), formats.sniff_magic(path), spec.key
    )
    if compression:
        return None
    if fmt == "npy":
        with open(path, "rb") as fh:
            shape, _, dtype = npy_header(fh, spec.name)
        return shape, dtype, None
    if fmt == "safetensors":
        entries, start = safetensors.header(path, spec.name)
        _, dtype, shape, _ = safetensors.tensor(
            entries, start, os.stat(path).st_size, spec.name, spec.key
        )
        return shape, dtype, None
    return None


def rows_of_url(arg: str) -> int | None:
    """Rows (the first axis) of a URL's array or Parquet/Feather table from its header or
    metadata, without reading data; None where the format keeps no count (text)."""
    found = layout(arg)
    if found is not None:
        shape = found[0]
        return shape[0] if shape else 1
    spec = readers.resolve(arg)
    if spec.origin != "url" or spec.url is None:
        return None
    target = remote.Remote(spec.url, spec.name)
    if target.is_dir:
        return None
    fmt, _ = formats.format_of(target.path)
    with remote.guarded(spec.name), target.open() as fh:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(fh).metadata.num_rows)
        if fmt == "npz":
            return _npz_rows(fh, spec.name, spec.key)
        if fmt == "feather":
            import pyarrow.ipc as ipc

            reader = ipc.open_file(fh)
            if hasattr(reader, "count_rows"):  # pyarrow >= 15: from the footer
                return int(reader.count_rows())
            return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
    return None


def _npz_rows(fh: BinaryIO, name: str, key: str | None) -> int | None:
    """Rows of an .npz member from its .npy header (the zip's directory, then the member's
    first bytes)."""
    import zipfile

    with zipfile.ZipFile(fh) as zf:
        members = [n for n in zf.namelist() if n.endswith(".npy")]
        member = f"{key}.npy" if key is not None else members[0] if len(members) == 1 else None
        if member not in members:
            return None
        with zf.open(member) as stream:
            shape = npy_header(cast(BinaryIO, stream), name)[0]
    return shape[0] if shape else 1


def rows_of_zarr(arg: str) -> int | None:
    """Rows (the first axis) of a Zarr array (a directory, a URL, ``store.zarr:name``) from
    its metadata; None when ``arg`` is not a Zarr array."""
    spec = readers.resolve(arg)
    if spec.origin == "url":
        assert spec.url is not None
        found = remote.Remote(spec.url, spec.name)
        if not found.is_dir or not zarrs.kind_of({m: found.child(m) for m in zarrs.META}):
            return None
        shape = zarrs.layout(spec.url, spec.name, spec.key)[0]
    elif spec.path is not None and zarrs.local_kind(spec.path):
        shape = zarrs.layout(str(spec.path), spec.name, spec.key)[0]
    else:
        return None
    return shape[0] if shape else 1


def chunk_ranges(
    arg: str, target_bytes: int, *, block_rows: int | None = None
) -> list[tuple[int, int]] | None:
    """Row ranges ``[(0, b1), (b1, b2), ...]`` of the first axis, about ``target_bytes``
    each, covering the input; None for inputs that are not arrays with a header (tables).

    Zarr: whole chunks (shards) of rows. ``.npy``/``.safetensors``: multiples of the rows
    that make whole engine blocks: ``block_rows`` samples a block (the engine's
    ``rows_per_block(n_classes, itemsize)``; by default the class axis is taken to be the
    last, and 2-byte integer or raw data read as bfloat16, i.e. float32 blocks), divided by
    the samples a first-axis row holds (``T`` of ``(B, T, V)``).
    """
    found = layout(arg)
    if found is None:
        return None
    shape, dtype, chunk = found
    if not shape:
        return [(0, 1)]
    rows = shape[0]
    row_bytes = max(1, math.prod(shape[1:]) * dtype.itemsize)
    if chunk is not None:
        unit = chunk
    else:
        samples = math.prod(shape[1:-1]) if len(shape) > 2 else 1
        if block_rows is None:
            itemsize = 4 if dtype in BIT_KINDS or dtype.kind == "V" else dtype.itemsize
            block_rows = rows_per_block(shape[-1] if len(shape) > 1 else 1, itemsize)
        unit = block_rows // math.gcd(block_rows, max(1, samples))
    step = max(1, round(target_bytes / (unit * row_bytes))) * unit
    return [(start, min(start + step, rows)) for start in range(0, rows, step)] or [(0, 0)]
