"""Compressed inputs: .gz, .bz2, .xz and .zst streams, opened lazily, errors named."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from cece.errors import CeceError, InputError

COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}


class ByteStream(Protocol):
    """What inputs are read from: a file, a BytesIO, a decompressing stream, a :class:`Guarded`."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> None: ...


def opener(path: Path, compression: str | None) -> Callable[[], ByteStream]:
    """A function that opens the (decompressed) byte stream, read-only, as often as needed."""
    if compression is None:
        return lambda: open(path, "rb")
    if compression == "gzip":
        import gzip

        return lambda: Guarded(gzip.open(path, "rb"), path.name, "gzip")
    if compression == "bz2":
        import bz2

        return lambda: Guarded(bz2.open(path, "rb"), path.name, "bz2")
    if compression == "xz":
        import lzma

        return lambda: Guarded(lzma.open(path, "rb"), path.name, "xz")
    try:
        import zstandard
    except ImportError:
        raise InputError(
            str(path), "reading .zst needs the zstandard package", hint="pip install 'cece[zstd]'"
        ) from None
    return lambda: Guarded(zstandard.open(path, "rb"), path.name, "zstd")


class Guarded(io.RawIOBase):
    """Wraps a decompressing stream so that corrupt or truncated data is an InputError."""

    def __init__(self, stream: ByteStream, name: str, kind: str) -> None:
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
