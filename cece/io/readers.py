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
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from cece.errors import CeceError, InputError
from cece.io import safetensors, torchfile
from cece.io.arrays import (
    ArrayInput,
    is_literal,
    json_file,
    literal_array,
    npy_from_bytes,
    npy_mmap,
    npz,
)
from cece.io.arrow import ArrowTable
from cece.io.compression import COMPRESSIONS, Guarded, opener
from cece.io.jsonl import JsonlTable, looks_like_jsonl, one_object
from cece.io.text import TextTable

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "txt",
    ".npy": "npy",
    ".npz": "npz",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".feather": "feather",
    ".arrow": "feather",
    ".json": "json",
    ".safetensors": "safetensors",
    ".pt": "torch",
    ".pth": "torch",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonlines": "jsonl",
}
KEYED = ("npz", "safetensors", "torch")  # formats whose argument may end in :key
SUFFIX = {"torch": "pt"}  # a format's usual suffix, where it is not the format's name


MAGIC = [
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x93NUMPY", "npy"),
    (b"PK\x03\x04", "npz"),
    (b"PAR1", "parquet"),
    (b"ARROW1", "feather"),
    (torchfile.LEGACY_MAGIC, "torch"),
    (b"\xff\xff\xff\xff", "arrowstream"),  # an Arrow IPC stream (continuation marker)
]


STDIN_FORMATS = ("csv", "tsv", "npy")


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
    if sep and key and exists(base) and _keyed(Path(base)):
        return Spec(arg, arg, "path", Path(base), key=key)
    try:
        value = json.loads(arg)
    except ValueError:
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


def load(
    spec: Spec, *, stdin_format: str = "csv"
) -> ArrayInput | TextTable | ArrowTable | JsonlTable:
    """Open what ``spec`` names; arrays are read (NPY memory-mapped), tables only peeked at."""
    if spec.origin == "literal":
        return ArrayInput(spec.name, literal_array(spec.name, spec.literal))
    if spec.origin == "stdin":
        data = _read_stdin()
        if stdin_format == "npy":
            return ArrayInput(spec.name, npy_from_bytes(data, spec.name), stored=True)
        return _table_from_bytes(spec.name, data, stdin_format)
    assert spec.path is not None
    path, name = spec.path, spec.name
    if path.is_dir() and (path / "state.json").is_file():  # datasets.save_to_disk
        return ArrowTable.open_saved(path, name)
    _check_readable(path, name)
    if not stat.S_ISREG(path.stat().st_mode):  # a pipe such as <(zcat x.csv.gz): read it once
        return _table_from_bytes(name, path.read_bytes(), "txt")
    fmt, compression = _format_of(path)
    magic = _sniff_magic(path)
    if compression is None and magic in COMPRESSIONS.values():
        compression = magic  # compressed data under a plain name: read it anyway
    elif compression is not None and magic != compression:
        raise InputError(
            name,
            f"not a {compression} file (its first bytes are not {compression}'s)",
            hint="rename it without the compression suffix if it is plain text",
        )
    binary = ("npy", "npz", "parquet", "feather", *KEYED[1:])
    if magic == "arrowstream" and fmt in ("feather", "sniff"):
        fmt = "arrowstream"  # .arrow from datasets.save_to_disk: a stream, not a file
    if fmt == "sniff":
        fmt = magic if magic in binary else "txt"
    elif compression is None and magic not in (None, fmt) and magic not in COMPRESSIONS.values():
        raise InputError(
            name,
            f"named like .{SUFFIX.get(fmt, fmt)} but holds {magic} data",
            hint=f"rename it to end in .{SUFFIX.get(magic, magic)}",
        )
    elif compression is None and magic is None and fmt in binary:
        raise InputError(name, f"not a .{fmt} file (its first bytes are not {fmt}'s)")
    if spec.key is not None and fmt not in KEYED:
        raise InputError(
            name, f"':{spec.key}' selects an array in .npz, .safetensors or .pt files only"
        )
    if fmt in KEYED[1:]:
        if compression:
            raise InputError(name, f"a compressed .{SUFFIX.get(fmt, fmt)} file; decompress it")
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
        return ArrowTable.open(path, name, fmt)
    if fmt in ("json", "csv", "tsv", "txt"):
        with opener(path, compression)() as stream:
            if looks_like_jsonl(stream.read(1 << 16)):  # records, whatever the name says
                fmt = "jsonl"
        if fmt == "jsonl":
            with opener(path, compression)() as stream:
                if one_object(stream):
                    raise _one_object(name)
    if fmt == "jsonl":
        return JsonlTable(name, opener(path, compression))
    if fmt == "json":
        return ArrayInput(name, json_file(path, name))
    size = None if compression else path.stat().st_size
    return TextTable(name, opener(path, compression), fmt=fmt, size=size)


def exists(path: str | Path) -> bool:
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def looks_like_path(arg: str) -> bool:
    """A name with a directory part or a known extension: a missing file, not a literal."""
    return "/" in arg or os.sep in arg or Path(arg).suffix.lower() in {*FORMATS, *COMPRESSIONS}


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


def _keyed(path: Path) -> bool:
    """A file whose members ``:key`` names: by its name, or by its bytes (``model.bin``)."""
    if _format_of(path)[0] in KEYED:
        return True
    try:
        return path.is_file() and _sniff_magic(path) in KEYED
    except OSError:
        return False


def _sniff_magic(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(16)
    magic = next((fmt for magic, fmt in MAGIC if head.startswith(magic)), None)
    if magic == "npz" and torchfile.is_archive(path):
        return "torch"  # torch.save writes a zip too; its data.pkl member tells it apart
    if magic is None and safetensors.looks_like(head, path.stat().st_size):
        return "safetensors"
    return magic


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
        return JsonlTable(name, lambda: io.BytesIO(data))
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
