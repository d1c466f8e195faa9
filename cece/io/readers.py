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
import os
import re
import stat
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from cece.errors import CeceError, InputError
from cece.io import formats, remote, safetensors, torchfile, zarrs
from cece.io.arrays import (
    ArrayInput,
    is_literal,
    json_bytes,
    json_file,
    literal_array,
    npy_from_bytes,
    npy_mmap,
    npz,
    window_rows,
)
from cece.io.compression import COMPRESSIONS, Guarded, opener, stream_opener
from cece.io.fields import json_literal
from cece.io.formats import FORMATS, KEYED, MAGIC, SUFFIX, looks_like_jsonl, one_object
from cece.io.lazy import WINDOW
from cece.structs import struct

if TYPE_CHECKING:
    from cece.io.arrow import ArrowTable
    from cece.io.jsonl import JsonlTable
    from cece.io.text import TextTable

    Loaded = ArrayInput | TextTable | ArrowTable | JsonlTable

STDIN_FORMATS = ("csv", "tsv", "npy")


@struct(frozen=True)
class Spec:
    """What an argument refers to, before anything is read."""

    arg: str
    name: str  # how messages refer to it
    origin: str  # "path" | "stdin" | "literal" | "url"
    path: str | None = None  # a local file or directory (a string: no pathlib, start-up)
    key: str | None = None  # .npz member
    literal: object = None
    url: str | None = None  # an fsspec URL (without its :key)


def resolve(arg: str) -> Spec:
    """Decide whether ``arg`` is stdin, a path, ``file.npz:key`` or a JSON literal."""
    if arg == "-":
        return Spec(arg, "<stdin>", "stdin")
    if remote.is_url(arg):
        url, key = url_key(arg)
        return Spec(arg, arg, "url", key=key, url=url)
    if exists(arg):
        return Spec(arg, arg, "path", arg)
    base, sep, key = arg.rpartition(":")
    if sep and key and exists(base) and (formats.keyed(base) or zarrs.local_kind(base)):
        return Spec(arg, arg, "path", base, key=key)
    try:
        value = json_literal(arg)
    except ValueError as exc:
        if "overflows float64" in str(exc):  # a literal, but a number no float holds
            raise InputError(f"literal {arg!r}", str(exc)) from None
        value = None
    if value is not None and is_literal(value):
        return Spec(
            arg, f"literal {arg!r}" if len(arg) <= 30 else "literal", "literal", literal=value
        )
    path_like = looks_like_path(arg)
    raise CeceError(
        f"{arg}: no such file" + ("" if path_like else " and not a JSON literal"),
        hint=None if path_like else "inline values are JSON, e.g. 0.7 or '[0, 2]'",
    )


def url_key(arg: str) -> tuple[str, str | None]:
    """``s3://b/x.safetensors:name`` → the URL and the key; a key only after a name whose
    suffix takes one (.npz, .safetensors, .pt, .pth; .zarr: an array of a group)."""
    head = re.match(remote.SCHEME, arg)
    cut = head.end() if head else 0
    base, sep, key = arg[cut:].rpartition(":")
    suffix = formats.suffix_of(base).lower()
    if sep and key and (FORMATS.get(suffix) in KEYED or suffix == ".zarr"):
        return arg[:cut] + base, key
    return arg, None


def load(spec: Spec, *, stdin_format: str = "csv") -> Loaded:
    """Open what ``spec`` names; arrays are read (NPY memory-mapped or by range reads),
    tables only peeked at. Inside :func:`cece.io.window.only_rows`, an array holds only the
    window's rows."""
    data = _load(spec, stdin_format)
    window = WINDOW.get()
    return data if window is None else _windowed(data, *window)


def _load(spec: Spec, stdin_format: str) -> Loaded:
    if spec.origin == "url":
        return _load_url(spec)
    if spec.origin == "literal":
        return ArrayInput(spec.name, literal_array(spec.name, spec.literal))
    if spec.origin == "stdin":
        data = _read_stdin()
        if stdin_format == "npy":
            return ArrayInput(spec.name, npy_from_bytes(data, spec.name), stored=True)
        return _table_from_bytes(spec.name, data, stdin_format)
    assert spec.path is not None
    path, name = spec.path, spec.name
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "state.json")):
        from cece.io.arrow import ArrowTable

        return ArrowTable.open_saved(path, name)  # datasets.save_to_disk
    if zarrs.local_kind(path):
        return zarrs.open_array(path, name, spec.key)
    _check_readable(path, name)
    if not stat.S_ISREG(os.stat(path).st_mode):  # a pipe such as <(zcat x.csv.gz): read it once
        with open(path, "rb") as fh:
            data = fh.read()
        return _table_from_bytes(name, data, "txt")
    fmt, compression = formats.decide(
        name, *formats.format_of(path), formats.sniff_magic(path), spec.key
    )
    if fmt in KEYED[1:]:
        module = safetensors if fmt == "safetensors" else torchfile
        return module.read(path, name, spec.key)
    if fmt == "npy":
        if compression:
            data = opener(path, compression)().read()
            return ArrayInput(name, npy_from_bytes(data, name), stored=True)
        return ArrayInput(name, npy_mmap(path, name), stored=True)
    if fmt == "npz":
        return ArrayInput(name, npz(path, name, spec.key), stored=True)
    if fmt in ("parquet", "feather", "arrowstream"):
        from cece.io.arrow import ArrowTable

        return ArrowTable.open(path, name, fmt)
    size = None if compression else os.stat(path).st_size
    return _text(name, opener(path, compression), fmt, size, lambda: json_file(path, name))


def _load_url(spec: Spec) -> Loaded:
    """An fsspec URL: a Zarr directory, or a file read by range reads (arrays, headers) or
    through an fsspec file (tables, text)."""
    assert spec.url is not None
    name = spec.name
    found = remote.Remote(spec.url, name)
    if found.is_dir:
        if zarrs.kind_of({m: found.child(m) for m in zarrs.META}):
            return zarrs.open_array(spec.url, name, spec.key)
        if found.child("state.json") is not None:
            raise InputError(
                name,
                "a datasets.save_to_disk folder is read from a local path only; copy it here first",
            )
        raise InputError(name, "is a directory; expected a file")
    head = found.read(0, 16)
    magic = formats.magic_of(head, found.size, found.torch_archive)
    fmt, compression = formats.decide(name, *formats.format_of(found.path), magic, spec.key)
    with remote.guarded(name):  # what the storage raises while a reader reads: one line
        return _remote_format(found, fmt, compression, spec.key)


def _remote_format(found: remote.Remote, fmt: str, compression: str | None, key: str | None):
    name = found.name
    if fmt == "safetensors":
        return remote.safetensors_array(found, key)
    if fmt == "npy" and not compression:
        return remote.npy(found)
    if fmt in ("torch", "npz", "parquet", "feather", "arrowstream"):
        with found.open() as fh:
            if fmt == "torch":
                return torchfile.read(fh, name, key)
            if fmt == "npz":
                return ArrayInput(name, npz(fh, name, key), stored=True)
            from cece.io.arrow import ArrowTable

            return ArrowTable.open(fh, name, fmt)
    read = stream_opener(found.open, name, compression)
    if fmt == "npy":
        return ArrayInput(name, npy_from_bytes(remote.read_all(read, name), name), stored=True)
    size = None if compression else found.size
    return _text(name, read, fmt, size, lambda: json_bytes(remote.read_all(read, name), name))


def _records(name: str, read: Callable) -> bool:
    """A text file that holds JSON records (one JSON object alone: refused)."""
    with read() as stream:
        if not looks_like_jsonl(stream.read(1 << 16)):
            return False
    with read() as stream:
        if one_object(stream):
            raise _one_object(name)
    return True


def _text(
    name: str, read: Callable, fmt: str, size: int | None, as_json: Callable
) -> TextTable | JsonlTable | ArrayInput:
    """A text file: JSON records (whatever the name says), a .json array, or a table."""
    if fmt in ("json", "csv", "tsv", "txt") and _records(name, read):
        fmt = "jsonl"
    if fmt == "jsonl":
        from cece.io.jsonl import JsonlTable  # each reader imported when a file needs it

        return JsonlTable(name, read)
    if fmt == "json":
        return ArrayInput(name, as_json())
    from cece.io.text import TextTable

    return TextTable(name, read, fmt=fmt, size=size)


def _windowed(data: Loaded, start: int, stop: int) -> ArrayInput:
    if not isinstance(data, ArrayInput):
        raise InputError(
            data.name,
            f"a row window (rows {start}..{stop - 1}) applies to array inputs only "
            "(.npy, .npz, .safetensors, .pt, Zarr); this is a table",
        )
    return window_rows(data, start, stop)


def exists(path: str) -> bool:
    """A file (or directory) by that name; a URL counts as one (whether its object exists,
    opening it says)."""
    return remote.is_url(path) or os.path.exists(path)


def looks_like_path(arg: str) -> bool:
    """A name with a directory part or a known extension: a missing file, not a literal."""
    return (
        "/" in arg or os.sep in arg or formats.suffix_of(arg).lower() in {*FORMATS, *COMPRESSIONS}
    )


def _check_readable(path: str, name: str) -> None:
    try:
        mode = os.stat(path).st_mode
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


def _read_stdin() -> bytes:
    if sys.stdin is None:
        raise CeceError("<stdin>: no standard input")
    if sys.stdin.isatty():
        print("cece: waiting for standard input (end it with Ctrl-D)...", file=sys.stderr)
    return sys.stdin.buffer.read()


def _table_from_bytes(name: str, data: bytes, fmt: str) -> TextTable | ArrayInput | JsonlTable:
    """Standard input or a pipe, read whole: NPY by its magic bytes, else a text table."""
    if data.startswith(b"\x93NUMPY"):
        return ArrayInput(name, npy_from_bytes(data, name), stored=True)
    magic = next((fmt for m, fmt in MAGIC if data.startswith(m)), None)
    if magic == "npz" and torchfile.is_archive(io.BytesIO(data)):
        magic = "torch"
    if magic in ("npz", "parquet", "feather", "arrowstream", "torch"):
        raise InputError(
            name,
            f"holds .{SUFFIX.get(magic, magic)} data; standard input takes CSV/TSV text or .npy",
            hint="pass the file by its name",
        )
    if data.startswith(b"\x1f\x8b"):
        import gzip

        data = Guarded(gzip.GzipFile(fileobj=io.BytesIO(data)), name, "gzip").read()
    if looks_like_jsonl(data[: 1 << 16]):
        if one_object(io.BytesIO(data)):
            raise _one_object(name)
        from cece.io.jsonl import JsonlTable

        return JsonlTable(name, lambda: io.BytesIO(data))
    from cece.io.text import TextTable

    return TextTable(
        name, lambda: io.BytesIO(data), fmt=fmt if fmt != "csv" else "txt", size=len(data)
    )


def _one_object(name: str) -> InputError:
    """One JSON object that is not named as records: arrays by name, whose layout (samples
    or classes?) the file does not say; records need one line per sample."""
    return InputError(
        name,
        "holds one JSON object, not records (one JSON object per line, one line per sample)",
        hint="save arrays as .npy, or name the file .jsonl if it is one sample's record",
    )
