"""File formats: what a file is, from its name and its first bytes.

A name says a format (``.npy``, ``.parquet``, ...) and a compression (``.gz``, ...); the first
bytes say what the file holds. :func:`decide` reconciles them: data compressed under a plain
name is read anyway, a name that contradicts the bytes is one line with the fix.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from cece.errors import InputError
from cece.io import safetensors, torchfile
from cece.io.compression import COMPRESSIONS, ByteStream

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


def name_of(path: str) -> str:
    """A path's last component, as ``PurePath.name`` gives it (``a/b.npy/`` → ``b.npy``).
    The readers take paths as strings: pathlib costs a run ~15 M instructions of start-up
    (with the ``urllib.parse`` and ``ipaddress`` it imports)."""
    name = os.path.basename(os.path.normpath(path))
    return "" if name == "." else name


def suffix_of(path: str) -> str:
    """``PurePath.suffix``: the last suffix of the name, ``""`` for none (``.bashrc``)."""
    name = name_of(path)
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def suffixes_of(path: str) -> list[str]:
    """``PurePath.suffixes``: ``x.csv.gz`` → ``[".csv", ".gz"]``."""
    name = name_of(path)
    return [] if name.endswith(".") else ["." + s for s in name.lstrip(".").split(".")[1:]]


def format_of(path: str) -> tuple[str, str | None]:
    """(format, compression) from the file name; format "sniff" when the name does not say."""
    suffixes = [s.lower() for s in suffixes_of(path)[-2:]]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    fmt = FORMATS.get(suffixes[-1]) if suffixes else None
    return fmt or "sniff", compression  # "sniff": the name does not say; look at the bytes


def keyed(path: str) -> bool:
    """A file whose members ``:key`` names: by its name, or by its bytes (``model.bin``)."""
    if format_of(path)[0] in KEYED:
        return True
    try:
        return os.path.isfile(path) and sniff_magic(path) in KEYED
    except OSError:
        return False


def sniff_magic(path: str) -> str | None:
    """What a local file's first bytes say it is."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    return magic_of(head, os.stat(path).st_size, lambda: torchfile.is_archive(path))


def magic_of(head: bytes, size: int, archive: Callable[[], bool]) -> str | None:
    """The format a file's first bytes say (``archive``: is its zip a torch.save file?)."""
    magic = next((fmt for magic, fmt in MAGIC if head.startswith(magic)), None)
    if magic == "npz" and archive():
        return "torch"  # torch.save writes a zip too; its data.pkl member tells it apart
    if magic is None and safetensors.looks_like(head, size):
        return "safetensors"
    return magic


def decide(
    name: str, fmt: str, compression: str | None, magic: str | None, key: str | None
) -> tuple[str, str | None]:
    """The format and compression to read a file with, from its name and its first bytes;
    a name that contradicts the bytes, or a key the format has no use for: one line."""
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
    if key is not None and fmt not in KEYED:
        raise InputError(name, f"':{key}' selects an array in .npz, .safetensors or .pt files only")
    if fmt in KEYED[1:] and compression:
        raise InputError(name, f"a compressed .{SUFFIX.get(fmt, fmt)} file; decompress it")
    return fmt, compression


def looks_like_jsonl(head: bytes) -> bool:
    """The first line of ``head`` is a JSON object: records, not a delimited table."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not text.startswith(b"{"):
        return False
    line = text.split(b"\n", 1)[0]
    import json  # here: a run on .npy files never sniffs text

    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def one_object(stream: ByteStream) -> bool:
    """The stream holds a single JSON object (one non-blank line): a JSON document such as
    ``{"probs": [...], "labels": [...]}`` (arrays by name), not records one per sample."""
    lines, current = 0, False  # non-blank lines ended so far; the current line has text
    while chunk := stream.read(1 << 16):
        for i, part in enumerate(chunk.split(b"\n")):
            if i:
                lines, current = lines + current, False
            current = current or bool(part.strip())
        if lines + current > 1:
            return False
    return lines + current <= 1
