"""Input arguments → arrays and tables.

An argument is a path (CSV/TSV/TXT, optionally .gz/.bz2/.xz/.zst; .npy; .npz or
``file.npz:key``; .parquet/.feather), ``-`` for standard input, or an inline JSON literal
(``0.7``, ``'[0,2]'``, ``'[[1,2,3],[2,4,6]]'``) when no such file exists (CONTRACT §2).

Arrays (.npy/.npz/literals) come back as :class:`ArrayInput`, N-dimensional, NPY memory-mapped
and never unpickled; tables (text, Parquet, Feather) as objects with ``header``, ``ncols`` and
``blocks(float_cols, text_cols)`` so that large files are read in row blocks.
"""

from __future__ import annotations

import errno
import io
import json
import math
import mmap
import os
import stat
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from cece.errors import CeceError, InputError
from cece.io.text import ParsedBlock, TextTable

COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}
FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "txt", ".npy": "npy", ".npz": "npz",
           ".parquet": "parquet", ".pq": "parquet", ".feather": "feather", ".arrow": "feather",
           ".json": "json"}
MAGIC = [(b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"),
         (b"\x28\xb5\x2f\xfd", "zstd"), (b"\x93NUMPY", "npy"), (b"PK\x03\x04", "npz"),
         (b"PAR1", "parquet"), (b"ARROW1", "feather")]
STDIN_FORMATS = ("csv", "tsv", "npy")


@dataclass
class ArrayInput:
    """An N-dimensional array from .npy/.npz/a literal (numeric, or str for class names)."""

    name: str
    array: np.ndarray


@dataclass(frozen=True)
class Spec:
    """What an argument refers to, before anything is read."""

    arg: str
    name: str  # how messages refer to it
    origin: str  # "path" | "stdin" | "literal"
    path: Path | None = None
    key: str | None = None  # .npz member
    literal: object = None


def resolve(arg: str) -> Spec:
    """Decide whether ``arg`` is stdin, a path, ``file.npz:key`` or a JSON literal."""
    if arg == "-":
        return Spec(arg, "<stdin>", "stdin")
    path = Path(arg)
    if exists(path):
        return Spec(arg, arg, "path", path)
    base, sep, key = arg.rpartition(":")
    if sep and key and base.lower().endswith(".npz") and exists(base):
        return Spec(arg, arg, "path", Path(base), key=key)
    try:
        value = json.loads(arg)
    except ValueError:
        value = None
    if value is not None and _is_literal(value):
        return Spec(arg, f"literal {arg!r}" if len(arg) <= 30 else "literal", "literal",
                    literal=value)
    path_like = looks_like_path(arg)
    raise CeceError(
        f"{arg}: no such file" + ("" if path_like else " and not a JSON literal"),
        hint=None if path_like else "inline values are JSON, e.g. 0.7 or '[0, 2]'",
    )


def load(spec: Spec, *, stdin_format: str = "csv") -> ArrayInput | TextTable | ArrowTable:
    """Open what ``spec`` names; arrays are read (NPY memory-mapped), tables only peeked at."""
    if spec.origin == "literal":
        return ArrayInput(spec.name, _literal_array(spec))
    if spec.origin == "stdin":
        data = _read_stdin()
        if stdin_format == "npy":
            return ArrayInput(spec.name, _npy_from_bytes(data, spec.name))
        return _table_from_bytes(spec.name, data, stdin_format)
    assert spec.path is not None
    path, name = spec.path, spec.name
    _check_readable(path, name)
    if not stat.S_ISREG(path.stat().st_mode):  # a pipe such as <(zcat x.csv.gz): read it once
        return _table_from_bytes(name, path.read_bytes(), "txt")
    fmt, compression = _format_of(path)
    magic = _sniff_magic(path)
    if compression is None and magic in COMPRESSIONS.values():
        compression = magic  # compressed data under a plain name: read it anyway
    elif compression is not None and magic != compression:
        raise InputError(name, f"not a {compression} file (its first bytes are not {compression}'s)",
                         hint="rename it without the compression suffix if it is plain text")
    if fmt == "sniff":
        fmt = magic if magic in ("npy", "npz", "parquet", "feather") else "txt"
    elif compression is None and magic not in (None, fmt) and magic not in COMPRESSIONS.values():
        raise InputError(name, f"named like .{fmt} but holds {magic} data",
                         hint=f"rename it to end in .{magic}")
    elif compression is None and magic is None and fmt in ("npy", "npz", "parquet", "feather"):
        raise InputError(name, f"not a .{fmt} file (its first bytes are not {fmt}'s)")
    if spec.key is not None and fmt != "npz":
        raise InputError(name, f"':{spec.key}' selects an array in an .npz file only")
    if fmt == "npy":
        if compression:
            return ArrayInput(name, _npy_from_bytes(_opener(path, compression)().read(), name))
        return ArrayInput(name, _npy_mmap(path, name))
    if fmt == "npz":
        return ArrayInput(name, _npz(path, name, spec.key))
    if fmt in ("parquet", "feather"):
        return ArrowTable.open(path, name, fmt)
    if fmt == "json":
        return ArrayInput(name, _json_file(path, name))
    size = None if compression else path.stat().st_size
    return TextTable(name, _opener(path, compression), fmt=fmt, size=size)


# -- arguments and files --------------------------------------------------------------------------


def exists(path: str | Path) -> bool:
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def looks_like_path(arg: str) -> bool:
    """A name with a directory part or a known extension: a missing file, not a literal."""
    return "/" in arg or os.sep in arg or Path(arg).suffix.lower() in {*FORMATS, *COMPRESSIONS}


def _is_literal(value: object) -> bool:
    """JSON numbers, class names, or (nested) lists of them."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, str)):
        return not isinstance(value, str) or bool(value)
    return isinstance(value, list) and bool(value) and all(_is_literal(v) for v in value)


def _check_readable(path: Path, name: str) -> None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise InputError(name, "is a directory; expected a file")
    for test, what in ((stat.S_ISSOCK, "a socket"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            raise InputError(name, f"is {what}; expected a file")
    if not os.access(path, os.R_OK):
        raise InputError(name, "cannot read: permission denied")
    try:  # access(2) asks for the real user, open(2) for the effective one
        os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except OSError as exc:
        reason = "permission denied" if exc.errno == errno.EACCES else exc.strerror
        raise InputError(name, f"cannot read: {reason}") from None


def _format_of(path: Path) -> tuple[str, str | None]:
    """(format, compression) from the file name; format "sniff" when the name does not say."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    fmt = FORMATS.get(suffixes[-1]) if suffixes else None
    return fmt or "sniff", compression  # "sniff": the name does not say; look at the bytes


def _sniff_magic(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(8)
    return next((fmt for magic, fmt in MAGIC if head.startswith(magic)), None)


def _opener(path: Path, compression: str | None) -> Callable[[], BinaryIO]:
    """A function that opens the (decompressed) byte stream, read-only, as often as needed."""
    if compression is None:
        return lambda: open(path, "rb")
    if compression == "gzip":
        import gzip

        return lambda: _guard(gzip.open(path, "rb"), path.name, "gzip")
    if compression == "bz2":
        import bz2

        return lambda: _guard(bz2.open(path, "rb"), path.name, "bz2")
    if compression == "xz":
        import lzma

        return lambda: _guard(lzma.open(path, "rb"), path.name, "xz")
    try:
        import zstandard
    except ImportError:
        raise InputError(str(path), "reading .zst needs the zstandard package",
                         hint="pip install 'cece[zstd]'") from None
    return lambda: _guard(zstandard.open(path, "rb"), path.name, "zstd")


class _guard(io.RawIOBase):
    """Wraps a decompressing stream so that corrupt or truncated data is an InputError."""

    def __init__(self, stream: BinaryIO, name: str, kind: str) -> None:
        self._s, self._name, self._kind = stream, name, kind

    def read(self, size: int = -1) -> bytes:
        try:
            return self._s.read(size)
        except EOFError:
            raise InputError(self._name, f"truncated {self._kind} stream") from None
        except (OSError, ValueError, Exception) as exc:  # zlib.error, lzma.LZMAError, ...
            if isinstance(exc, CeceError):
                raise
            raise InputError(self._name, f"corrupt {self._kind} data: {exc}") from None

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._s.close()
        super().close()


def _read_stdin() -> bytes:
    if sys.stdin is None:
        raise CeceError("<stdin>: no standard input")
    if sys.stdin.isatty():
        print("cece: waiting for standard input (end it with Ctrl-D)...", file=sys.stderr)
    return sys.stdin.buffer.read()


def _table_from_bytes(name: str, data: bytes, fmt: str) -> TextTable | ArrayInput:
    """Standard input or a pipe, read whole: NPY by its magic bytes, else a text table."""
    if data.startswith(b"\x93NUMPY"):
        return ArrayInput(name, _npy_from_bytes(data, name))
    magic = next((fmt for m, fmt in MAGIC if data.startswith(m)), None)
    if magic in ("npz", "parquet", "feather"):
        raise InputError(name, f"holds .{magic} data; standard input takes CSV/TSV text or .npy",
                         hint="pass the file by its name")
    if data.startswith(b"\x1f\x8b"):
        import gzip

        data = _guard(gzip.GzipFile(fileobj=io.BytesIO(data)), name, "gzip").read()
    return TextTable(name, lambda: io.BytesIO(data), fmt=fmt if fmt != "csv" else "txt",
                     size=len(data))


# -- arrays ---------------------------------------------------------------------------------------


def _npy_header(fh: BinaryIO, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    from numpy.lib import format as npy

    try:
        version = npy.read_magic(fh)
        reader = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, fortran, dtype = reader(fh, max_header_size=1 << 20)
    except ValueError as exc:
        raise InputError(name, f"not a valid .npy file ({exc})") from None
    except Exception:  # tokenize.TokenError, SyntaxError, ... from a mangled header
        raise InputError(name, "not a valid .npy file (its header is not a Python literal)") \
            from None
    if any(d < 0 for d in shape):
        raise InputError(name, f"not a valid .npy file (shape {shape} has a negative "
                         "dimension)")
    if math.prod(max(d, 1) for d in shape) * max(dtype.itemsize, 1) > sys.maxsize:
        # numpy refuses such a shape even with a zero dimension ("array is too big").
        raise InputError(name, f"not a valid .npy file (shape {shape} of {dtype} is larger "
                         "than any array can be)")
    if dtype.hasobject:
        raise InputError(name, "holds Python objects (dtype object); cece never unpickles",
                         hint="save a numeric array, e.g. np.save(path, arr.astype(np.float32))")
    return shape, fortran, dtype


def _data_bytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """Bytes of data an array of this shape needs (Python ints: no int64 overflow)."""
    return math.prod(shape) * dtype.itemsize


def _npy_mmap(path: Path, name: str) -> np.ndarray:
    with open(path, "rb") as fh:
        shape, fortran, dtype = _npy_header(fh, name)
        offset = fh.tell()
    need = _data_bytes(shape, dtype)
    have = path.stat().st_size - offset
    if have < need:
        raise InputError(name, f"truncated: shape {shape} of {dtype} needs {need} bytes of "
                         f"data, the file has {have}")
    if need == 0:
        return np.zeros(shape, dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape,
                     order="F" if fortran else "C")


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
    def of(cls, array: np.ndarray, row_length: int, out_shape: tuple[int, ...]) -> NpyRows | None:
        """A reader for the whole of a .npy memory map in C order, else None."""
        if isinstance(array, np.memmap) and isinstance(array.base, mmap.mmap) \
                and array.flags.c_contiguous and array.size:
            return cls(array, row_length, out_shape)
        return None

    def blocks(self, rows: int) -> Iterator[np.ndarray]:
        with open(self.path, "rb") as fh:
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        step = self.row_length * self.dtype.itemsize
        behind: deque[tuple[int, int]] = deque()
        done_from = self.offset  # pages before this were handed back already
        for start in range(0, self.n_rows, rows):
            k = min(rows, self.n_rows - start)
            offset = self.offset + start * step
            yield np.frombuffer(mapped, self.dtype, count=k * self.row_length,
                                offset=offset).reshape((k,) + self.out_shape)
            behind.append((offset, k * step))
            if len(behind) > self.LAG:
                end = sum(behind.popleft())
                # Batched: each release interrupts every CPU running this process (a TLB
                # shootdown), which costs far more than the pages do in a VM.
                if end - done_from >= self.RELEASE:
                    _release(mapped, done_from, end - done_from)
                    done_from = end


def _release(mapped: mmap.mmap, offset: int, length: int) -> None:
    """Drop a read range's pages from this process (they stay in the page cache)."""
    if not hasattr(mmap, "MADV_DONTNEED"):
        return
    page = mmap.PAGESIZE
    lo = offset - offset % page
    hi = offset + length - (offset + length) % page
    if hi > lo:
        mapped.madvise(mmap.MADV_DONTNEED, lo, hi - lo)


def _npy_from_bytes(data: bytes, name: str) -> np.ndarray:
    fh = io.BytesIO(data)
    shape, fortran, dtype = _npy_header(fh, name)
    need = _data_bytes(shape, dtype)
    body = data[fh.tell():]
    if len(body) < need:
        raise InputError(name, f"truncated: shape {shape} of {dtype} needs {need} bytes of "
                         f"data, found {len(body)}")
    array = np.frombuffer(body, dtype=dtype, count=math.prod(shape))
    return array.reshape(shape, order="F" if fortran else "C")


def _npz(path: Path, name: str, key: str | None) -> np.ndarray:
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = list(npz.files)
            if key is None:
                if len(keys) != 1:
                    raise InputError(name, f"holds {len(keys)} arrays ({', '.join(keys)}); "
                                     "say which one", hint=f"use {name}:{keys[0] if keys else 'KEY'}")
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
            raise InputError(name, f"array {key!r} holds Python objects; cece never unpickles")
        raise InputError(name, f"not a readable .npz file ({exc})") from None
    except Exception:  # a mangled member header (tokenize.TokenError, ...)
        raise InputError(name, f"array {key!r} is not a valid .npy member") from None


def _literal_array(spec: Spec) -> np.ndarray:
    try:
        array = np.array(spec.literal)
    except ValueError:
        raise InputError(spec.name, "rows of different lengths",
                         hint="every row of a nested list needs the same length") from None
    if array.dtype.kind not in "iufU":
        raise InputError(spec.name, "mixes numbers and text; expected numbers or class names")
    return array


def _json_file(path: Path, name: str) -> np.ndarray:
    try:
        value = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(name, f"not valid JSON ({exc})") from None
    if not _is_literal(value):
        raise InputError(name, "expected a JSON array of numbers or class names")
    return _literal_array(Spec(name, name, "literal", literal=value))


# -- Parquet / Feather ----------------------------------------------------------------------------


class ArrowTable:
    """A Parquet or Feather table read through pyarrow, column by column, in row batches."""

    def __init__(self, name: str, table: object) -> None:
        self.name = name
        self._table = table
        self.header: list[str] | None = [str(c) for c in table.column_names]  # type: ignore[attr-defined]
        self.ncols = len(self.header)
        self.header_is_data = False

    @classmethod
    def open(cls, path: Path, name: str, fmt: str) -> ArrowTable:
        try:
            import pyarrow.feather as feather
            import pyarrow.parquet as parquet
        except ImportError:
            raise InputError(name, f"reading .{fmt} files needs pyarrow",
                             hint="pip install 'cece[parquet]'") from None
        try:
            table = parquet.read_table(path) if fmt == "parquet" else feather.read_table(path)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
            raise InputError(name, f"not a readable .{fmt} file ({exc})") from None
        return cls(name, table)

    def line_of(self, row: int) -> int | None:
        return None

    def is_numeric(self, col: int) -> bool:
        import pyarrow.types as types

        kind = self._table.schema.field(col).type  # type: ignore[attr-defined]
        return types.is_integer(kind) or types.is_floating(kind) or types.is_boolean(kind)

    def blocks(self, float_cols: list[int], text_cols: list[int]) -> Iterator[ParsedBlock]:
        start = 0
        for batch in self._table.to_batches(max_chunksize=1 << 16):  # type: ignore[attr-defined]
            columns = [batch.column(c).to_numpy(zero_copy_only=False) for c in float_cols]
            kinds = {col.dtype for col in columns}
            dtype = np.float32 if kinds == {np.dtype(np.float32)} else np.float64
            floats = np.empty((batch.num_rows, len(float_cols)), dtype=dtype)
            for j, (c, col) in enumerate(zip(float_cols, columns)):
                if col.dtype.kind not in "iufb":
                    raise InputError(self.name, f"column {self.header[c]!r} holds "
                                     f"{col.dtype} values; expected numbers")
                floats[:, j] = col
            texts = [np.asarray(batch.column(c).to_numpy(zero_copy_only=False), dtype=object)
                     for c in text_cols]
            yield ParsedBlock(start, floats, texts)
            start += batch.num_rows
