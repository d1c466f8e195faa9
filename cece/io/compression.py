"""Compressed inputs: .gz, .bz2, .xz and .zst streams, opened lazily, errors named."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from types import TracebackType
from typing import BinaryIO, Protocol, Self, cast

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


def opener(path: str, compression: str | None) -> Callable[[], ByteStream]:
    """A function that opens the (decompressed) byte stream, read-only, as often as needed."""
    if compression is None:
        return lambda: open(path, "rb")
    name = os.path.basename(path)  # a file's (a directory is refused before)
    if compression == "gzip":
        import gzip

        return lambda: Guarded(gzip.open(path, "rb"), name, "gzip")
    if compression == "bz2":
        import bz2

        return lambda: Guarded(bz2.open(path, "rb"), name, "bz2")
    if compression == "xz":
        import lzma

        return lambda: Guarded(lzma.open(path, "rb"), name, "xz")
    try:
        import zstandard
    except ImportError:
        raise InputError(
            str(path), "reading .zst needs the zstandard package", hint="pip install 'cece[zstd]'"
        ) from None
    return lambda: Guarded(zstandard.open(path, "rb"), name, "zstd")


def stream_opener(
    open_raw: Callable[[], ByteStream], name: str, compression: str | None
) -> Callable[[], ByteStream]:
    """As :func:`opener`, over a file object that ``open_raw`` opens (a remote file)."""
    if compression is None:
        return open_raw
    if compression == "zstd":
        try:
            import zstandard
        except ImportError:
            raise InputError(
                name, "reading .zst needs the zstandard package", hint="pip install 'cece[zstd]'"
            ) from None

    def opened() -> ByteStream:
        raw = cast(BinaryIO, open_raw())
        stream: ByteStream
        if compression == "gzip":
            import gzip

            stream = gzip.GzipFile(fileobj=raw, mode="rb")
        elif compression == "bz2":
            import bz2

            stream = bz2.BZ2File(raw)
        elif compression == "xz":
            import lzma

            stream = lzma.LZMAFile(raw)  # noqa: SIM115
        else:
            stream = zstandard.open(raw, "rb")
        return Guarded(stream, name, compression, raw=raw)

    return opened


class Guarded(io.RawIOBase):
    """Wraps a decompressing stream so that corrupt or truncated data is an InputError
    (``raw``: the file under it, closed with it)."""

    def __init__(
        self, stream: ByteStream, name: str, kind: str, raw: ByteStream | None = None
    ) -> None:
        self._s, self._name, self._kind, self._raw = stream, name, kind, raw

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
        if self._raw is not None:
            self._raw.close()
        super().close()
