"""Rows of an input from its header alone: what a sharded run knows before it reads any data.

A shard's row count gives progress and global row numbers before the data is read. Each format
stores it in a header or footer: the shape in a ``.npy`` header (numpy ``lib/format.py``:
magic, header length, a Python-literal dict) and in each ``.npz`` member's; the tensor's shape
in a ``.safetensors`` JSON header (huggingface/safetensors ``README.md`` "Format"); the row
count in Parquet's footer (``FileMetaData.num_rows``) and in each record batch's metadata of an
Arrow IPC file or stream. Rows are the first axis (a ``(B, T, V)`` dump has B). Text formats
(CSV, TSV, JSON Lines) have no such count: ``None``, as for ``.pt`` files (reading their
shapes would need unpickling).

Nothing here reads an array's data: a 100 MB ``.npy`` costs one read of its first bytes. URLs
(``s3://...``) are opened through fsspec (imported only then) and read by range.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import BinaryIO

from cece.errors import InputError

KEYED = (".npz", ".safetensors", ".pt", ".pth")  # suffixes whose argument may end in :member
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://|::")


def is_url(arg: str) -> bool:
    """``s3://b/x.npy``, ``memory://x``, ``simplecache::s3://...``: read through fsspec."""
    return bool(_URL.search(arg)) and not Path(arg).exists()


def split_member(arg: str) -> tuple[str, str | None]:
    """``dump.npz:logits`` → (``dump.npz``, ``logits``); other arguments come back whole."""
    base, sep, member = arg.rpartition(":")
    if sep and member and "/" not in member and base.lower().endswith(KEYED):
        return base, member
    return arg, None


def fsspec_for(url: str):  # -> (fsspec filesystem, its path)
    """The filesystem and path of a URL, or the one line that says which extra is missing."""
    from importlib import import_module

    try:
        core = import_module("fsspec.core")  # (by name: fsspec has no type information)
    except ImportError:
        extra = "s3" if url.startswith("s3") else "gcs" if url.startswith(("gs", "gcs")) else None
        raise InputError(
            url, f"reading URLs needs fsspec: pip install 'cece[{extra or 'dask'}]'"
        ) from None
    try:
        return core.url_to_fs(url)
    except ImportError as exc:  # the protocol's own package (s3fs, gcsfs) is missing
        raise InputError(url, f"reading this URL needs a package fsspec lacks ({exc})") from None
    except ValueError as exc:  # an unknown protocol
        raise InputError(url, f"not a URL fsspec can read ({exc})") from None


def is_zarr(path: str) -> bool:
    """A Zarr store: a local directory with Zarr metadata, or a URL named ``*.zarr``."""
    if is_url(path):
        return path.rstrip("/").endswith(".zarr")
    from cece.io.zarrs import local_kind

    return local_kind(path) is not None


def rows_of(path: str) -> int | None:
    """Rows (the first axis) from the header of ``path`` (``file.npz:key`` and
    ``file.safetensors:name`` name a member), or None for formats without a row count."""
    from cece.io.formats import format_of

    base, member = split_member(path)
    if is_zarr(base):
        from cece.io.window import rows_of_zarr

        return rows_of_zarr(path)
    fmt, compression = format_of(base)
    if is_url(base):
        fs, inner = fsspec_for(base)
        try:
            size = int(fs.size(inner))
            opened = fs.open(inner, "rb")
        except OSError as exc:
            raise InputError(path, f"cannot read: {exc}") from None
        with opened as fh:
            return None if compression else _rows(fh, size, fmt, path, member)
    file = Path(base)
    if not file.is_file():
        raise InputError(
            path, "is a directory; expected a file" if file.is_dir() else "no such file"
        )
    try:
        if compression:
            if fmt != "npy":
                return None
            from cece.io.compression import opener

            with opener(base, compression)() as stream:
                return _npy_rows(stream, None, path)  # type: ignore[arg-type]
        with open(file, "rb") as fh:
            return _rows(fh, file.stat().st_size, fmt, path, member)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None


def _rows(fh: BinaryIO, size: int, fmt: str, name: str, member: str | None) -> int | None:
    """Rows of an opened file whose name says ``fmt`` (or "sniff"), checked against its first
    bytes with the reader's own words (:func:`cece.io.readers.load`), so that a bad shard's
    line is the one a run over that file alone would print."""
    from cece.io.compression import COMPRESSIONS
    from cece.io.readers import SUFFIX

    magic = _magic(fh, size)
    if magic in COMPRESSIONS.values():
        return None  # compressed data under a plain name: the reader decompresses it
    if fmt == "sniff":
        fmt = magic or ""
    elif fmt in HEADED and magic != fmt and (fmt, magic) != ("feather", "arrowstream"):
        if magic is None:
            raise InputError(name, f"not a .{fmt} file (its first bytes are not {fmt}'s)")
        raise InputError(
            name,
            f"named like .{SUFFIX.get(fmt, fmt)} but holds {magic} data",
            hint=f"rename it to end in .{SUFFIX.get(magic, magic)}",
        )
    if fmt == "npy":
        return _npy_rows(fh, size, name)
    if fmt == "npz":
        return _npz_rows(fh, name, member)
    if fmt == "safetensors":
        return _safetensors_rows(fh, size, name, member)
    if fmt in ("parquet", "feather", "arrowstream"):
        return _arrow_rows(fh, fmt, name)
    return None  # text, JSON, .pt: no row count without reading


HEADED = ("npy", "npz", "safetensors", "parquet", "feather")


def _magic(fh: BinaryIO, size: int) -> str | None:
    """The format the first bytes say (:data:`cece.io.readers.MAGIC`), as the reader sniffs."""
    from cece.io import torchfile
    from cece.io.readers import MAGIC
    from cece.io.safetensors import looks_like

    head = fh.read(16)
    fh.seek(0)
    magic = next((fmt for m, fmt in MAGIC if head.startswith(m)), None)
    if magic == "npz" and torchfile.is_archive(fh):
        magic = "torch"  # torch.save writes a zip too; its data.pkl member tells it apart
    fh.seek(0)
    if magic is None and looks_like(head, size):
        return "safetensors"
    return magic


def _npy_rows(fh: BinaryIO, size: int | None, name: str) -> int:
    """The first axis of a .npy header; ``size`` (when known) checks the data is all there."""
    from cece.io.arrays import npy_header

    shape, _, dtype = npy_header(fh, name)  # the reader's own checks and words
    if size is not None:
        need, have = math.prod(shape) * dtype.itemsize, size - fh.tell()
        if have < need:
            raise InputError(
                name,
                f"truncated: shape {shape} of {dtype} needs {need} bytes of data, "
                f"the file has {have}",
            )
    return int(shape[0]) if shape else 1


def _npz_rows(fh: BinaryIO, name: str, member: str | None) -> int:
    """The first axis of one member's .npy header (only its first bytes are inflated)."""
    import zipfile

    try:
        archive = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(name, f"not a readable .npz file ({exc})") from None
    with archive:
        keys = [n[:-4] for n in archive.namelist() if n.endswith(".npy")]
        if member is None:
            if len(keys) != 1:
                raise InputError(
                    name,
                    f"holds {len(keys)} arrays ({', '.join(keys)}); say which one",
                    hint=f"use {name}:{keys[0] if keys else 'KEY'}",
                )
            member = keys[0]
        if member not in keys:
            raise InputError(name, f"has no array {member!r}; it has {', '.join(keys) or 'none'}")
        try:
            with archive.open(member + ".npy") as stream:
                return _npy_rows(stream, None, name)  # type: ignore[arg-type]
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(name, f"not a readable .npz file ({exc})") from None


def _safetensors_rows(fh: BinaryIO, size: int, name: str, member: str | None) -> int:
    """The first axis of a tensor in the JSON header (huggingface/safetensors "Format"), read
    and checked by the reader's own functions."""
    from cece.io.safetensors import header_from, tensor

    def read(start: int, stop: int) -> bytes:
        fh.seek(start)
        return fh.read(stop - start)

    entries, start = header_from(read, size, name)
    shape = tensor(entries, start, size, name, member)[2]
    return shape[0] if shape else 1


def _arrow_rows(fh: BinaryIO, fmt: str, name: str) -> int | None:
    """Parquet's footer count; an Arrow IPC file's or stream's batch counts (metadata only)."""
    try:
        import pyarrow.ipc as ipc
        import pyarrow.parquet as parquet
    except ImportError:
        from cece.io.arrow import needs_pyarrow

        raise needs_pyarrow(name, fmt) from None
    if fmt == "parquet":
        try:
            return int(parquet.ParquetFile(fh).metadata.num_rows)
        except Exception as exc:  # pyarrow.ArrowInvalid, OSError, ...
            error = exc
        local = getattr(fh, "name", None)
        if isinstance(local, str):  # the reader's own call, for the reader's own words
            try:
                return int(parquet.read_table(Path(local)).num_rows)
            except Exception as exc:
                error = exc
        raise InputError(name, f"not a readable .parquet file ({error})")
    try:  # an Arrow IPC file (Feather v2): the footer lists the batches
        reader = ipc.open_file(fh)
        if hasattr(reader, "count_rows"):  # pyarrow ≥ 15
            return int(reader.count_rows())
        return sum(
            reader.get_batch(i).num_rows for i in range(reader.num_record_batches)
        )  # pyarrow 14: each batch's length (its message; the data is read lazily)
    except Exception:
        fh.seek(0)
    local = getattr(fh, "name", None)
    if not isinstance(local, str):
        return None  # a remote stream: its batches are counted only by reading them
    try:  # an Arrow IPC stream (datasets' save_to_disk): each batch's message says its rows;
        import pyarrow as pa  # memory-mapped, so the batches' data is not read

        with pa.memory_map(local) as source:
            return sum(batch.num_rows for batch in ipc.open_stream(source))
    except Exception:
        return None  # Feather v1 and the like: the reader says what it makes of the file
