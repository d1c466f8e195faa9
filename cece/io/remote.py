"""fsspec URLs as inputs: ``s3://``, ``gs://``, ``file://``, ``memory://``, any scheme fsspec
knows (extras ``cece[s3]``, ``cece[gcs]``; fsspec itself comes with each).

fsspec is imported only when an argument is a URL, so a local run never loads it. A remote
``.npy`` file is never read whole when it is large: its header comes from one range read of
the first bytes (the header length is in the preamble, NumPy's ``format.py``: magic, version,
then a 2-byte (v1) or 4-byte (v2, v3) little-endian length), and its rows from range reads of
whole row blocks (:class:`cece.io.lazy.LazyArray`, the blocks :mod:`cece.io.blocks` asks for).
A ``.safetensors`` tensor the same way (its 8-byte header length, then the JSON header).
Every failure of the storage (missing object, credentials, permission, connection) is one line
naming the URL, never a traceback.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, cast

import numpy as np

from cece.errors import CeceError, InputError
from cece.io import safetensors, torchfile
from cece.io.arrays import ArrayInput, npy_header
from cece.io.lazy import LazyArray

SCHEME = r"^([A-Za-z][A-Za-z0-9+.\-]+)://"
# backend package and cece extra of the schemes cece names (others: fsspec's own message)
BACKENDS = {
    "s3": ("s3fs", "s3"),
    "s3a": ("s3fs", "s3"),
    "gs": ("gcsfs", "gcs"),
    "gcs": ("gcsfs", "gcs"),
}
WHOLE = 1 << 20  # arrays of at most this many bytes are read in one request
PEEK = 1 << 12  # the first read of a .npy file: its header, as a rule whole


def is_url(arg: str) -> bool:
    """``scheme://...`` with a scheme of two or more letters (not a Windows drive)."""
    return re.match(SCHEME, arg) is not None


def scheme(url: str) -> str:
    found = re.match(SCHEME, url)
    return found.group(1).lower() if found else ""


def extra(url: str) -> str:
    """The cece extra that brings what a URL needs: s3, gcs, else dask (fsspec alone)."""
    return BACKENDS.get(scheme(url), ("", "dask"))[1]


def filesystem(url: str, name: str | None = None) -> tuple[Any, str]:
    """(fsspec filesystem, path in it) for ``url``; a missing package is one line."""
    name = name or url
    try:
        import fsspec.core
    except ImportError:
        raise InputError(
            name, f"reading URLs needs fsspec: pip install 'cece[{extra(url)}]'"
        ) from None
    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as exc:
        kind = scheme(url)
        if kind in BACKENDS:
            package, extra_name = BACKENDS[kind]
            raise InputError(
                name, f"reading {kind}:// URLs needs {package}: pip install 'cece[{extra_name}]'"
            ) from None
        raise InputError(name, f"reading {kind}:// URLs needs a package: {exc}") from None
    except ValueError as exc:
        if "not known" in str(exc).lower():
            raise InputError(name, f"fsspec knows no {scheme(url)}:// URLs") from None
        raise failure(name, exc) from None
    except Exception as exc:  # a backend that checks its configuration when made
        raise failure(name, exc) from None


def failure(name: str, exc: BaseException) -> InputError:
    """One line for what the storage raised."""
    if isinstance(exc, FileNotFoundError):
        return InputError(name, "no such file")
    if isinstance(exc, PermissionError):
        return InputError(name, "cannot read: permission denied")
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return InputError(name, f"cannot read: {type(exc).__name__}" + (f": {text}" if text else ""))


@contextmanager
def guarded(name: str) -> Iterator[None]:
    """Storage errors inside become :func:`failure`'s line; cece's own pass through."""
    try:
        yield
    except CeceError:
        raise
    except Exception as exc:
        raise failure(name, exc) from None


class Remote:
    """One object (or directory) behind a URL: its size, range reads, a file to read."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name = url, name
        self.fs, self.path = filesystem(url, name)
        with guarded(name):
            info = self.fs.info(self.path)
        self.is_dir = info.get("type") == "directory"
        self.size = int(info.get("size") or 0)

    def read(self, start: int, stop: int) -> bytes:
        """Bytes ``[start, stop)`` (fewer at the end of the object)."""
        if stop <= start:
            return b""
        with guarded(self.name):
            return bytes(self.fs.cat_file(self.path, start=start, end=stop))

    def open(self) -> BinaryIO:
        """The object as a file (seekable; reads by ranges), its failures one line."""
        with guarded(self.name):
            return cast(BinaryIO, Stream(self.fs.open(self.path, "rb"), self.name))

    def torch_archive(self) -> bool:
        """A zip file written by ``torch.save`` (not an .npz)."""
        with self.open() as fh:
            return torchfile.is_archive(fh)

    def child(self, name: str) -> bytes | None:
        """A file inside the directory (Zarr metadata), or None when there is none."""
        path = self.path.rstrip("/") + "/" + name
        with guarded(self.name):
            if not self.fs.isfile(path):
                return None
            return bytes(self.fs.cat_file(path))


class Stream(io.RawIOBase):
    """An fsspec file whose failures (mid-read too) are one line naming the URL."""

    def __init__(self, fh: Any, name: str) -> None:
        self._fh, self._name = fh, name

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        with guarded(self._name):
            return bytes(self._fh.read(-1 if size is None else size))

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(memoryview(buffer)))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        with guarded(self._name):
            return bytes(self._fh.readline(-1 if size is None else size))

    def seek(self, offset: int, whence: int = 0) -> int:
        with guarded(self._name):
            return int(self._fh.seek(offset, whence))

    def tell(self) -> int:
        return int(self._fh.tell())

    def close(self) -> None:
        self._fh.close()
        super().close()


class ByteRange:
    """Elements of one dtype stored from byte ``offset`` of a remote object, read by range."""

    def __init__(self, remote: Remote, offset: int, dtype: np.dtype) -> None:
        self.remote, self.offset, self.dtype = remote, offset, dtype

    def read(self, start: int, stop: int) -> np.ndarray:
        size = self.dtype.itemsize
        data = self.remote.read(self.offset + start * size, self.offset + stop * size)
        if len(data) != (stop - start) * size:
            raise InputError(
                self.remote.name,
                f"truncated: the file ended at byte {self.offset + start * size + len(data)}",
            )
        return np.frombuffer(data, self.dtype)


def _array(
    remote: Remote, offset: int, shape: tuple[int, ...], dtype: np.dtype, fortran: bool = False
) -> np.ndarray | LazyArray:
    """The stored array: read now when small (or in Fortran order, whose rows are not byte
    ranges), else a :class:`LazyArray` read by ranges."""
    count = math.prod(shape)
    if count == 0:
        return np.zeros(shape, dtype)
    if count * dtype.itemsize <= WHOLE or (fortran and len(shape) > 1):
        values = ByteRange(remote, offset, dtype).read(0, count)
        return values.reshape(shape, order="F" if fortran else "C")
    return LazyArray(ByteRange(remote, offset, dtype), shape, dtype)


def npy_layout(remote: Remote) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, Fortran order, dtype, data offset) from the header, by range reads only."""
    head = remote.read(0, min(PEEK, remote.size))
    if head[6:7] == b"\x01" and len(head) >= 10:
        total = 10 + int.from_bytes(head[8:10], "little")
    elif len(head) >= 12:
        total = 12 + int.from_bytes(head[8:12], "little")
    else:
        total = len(head)
    if total > len(head):
        head += remote.read(len(head), min(total, (1 << 20) + 12))
    fh = io.BytesIO(head)
    shape, fortran, dtype = npy_header(fh, remote.name)
    offset = fh.tell()
    need = math.prod(shape) * dtype.itemsize
    have = remote.size - offset
    if have < need:
        raise InputError(
            remote.name,
            f"truncated: shape {shape} of {dtype} needs {need} bytes of data, the file has {have}",
        )
    return shape, fortran, dtype, offset


def npy(remote: Remote) -> ArrayInput:
    """A remote .npy file: header by a range read, rows by range reads of row blocks."""
    shape, fortran, dtype, offset = npy_layout(remote)
    array = _array(remote, offset, shape, dtype, fortran)
    return ArrayInput(remote.name, cast(np.ndarray, array), stored=True)


def safetensors_layout(remote: Remote, key: str | None) -> tuple[str, np.dtype, tuple, int]:
    """(dtype code, dtype, shape, data offset) of a tensor, from the header alone."""
    entries, start = safetensors.header_from(remote.read, remote.size, remote.name)
    return safetensors.tensor(entries, start, remote.size, remote.name, key)


def safetensors_array(remote: Remote, key: str | None) -> ArrayInput:
    """A tensor of a remote .safetensors file, read by ranges (BF16 as bfloat16 bits)."""
    code, dtype, shape, offset = safetensors_layout(remote, key)
    array = _array(remote, offset, shape, dtype)
    return ArrayInput(
        remote.name,
        cast(np.ndarray, array),
        stored=True,
        bfloat16=code == "BF16",
        stored_dtype=code,
    )


def read_all(open_stream: Callable[[], Any], name: str) -> bytes:
    with guarded(name), open_stream() as stream:
        return bytes(stream.read())
