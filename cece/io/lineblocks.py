"""Blocks of whole lines from a byte stream: what cece/io/text.py parses, block by block.

A plain file on disk is memory-mapped and cut in place: its blocks are views of the page
cache, so the text is neither copied by ``read`` nor joined to the previous block's tail, and
no fresh pages are zeroed for it (at 1 GB of CSV those copies cost about a tenth of the run's
CPU). Any other stream (compressed, piped, remote) is read block by block.
"""

from __future__ import annotations

import io
import mmap
import os
import stat
from collections.abc import Callable, Iterator

from cece.io.compression import ByteStream

BOM = b"\xef\xbb\xbf"


def line_blocks(
    stream: ByteStream, skip: int, block: int, first: int, count: Callable[..., int]
) -> Iterator[tuple[int, bytes | memoryview]]:
    """(first data row, whole lines) from ``stream`` after a byte-order mark and ``skip``
    lines; blocks of about ``block`` bytes (the first read: ``first``); ``count`` counts the
    newlines of a block (the rows it holds)."""
    mapped = _mapped(stream, first)
    if mapped is not None:
        yield from _cut(mapped, skip, block, count)
        return
    row = 0
    rest = stream.read(first)
    if rest.startswith(BOM):
        rest = rest[3:]
    while skip:  # comments, blank lines and the header are not data
        cut = rest.find(b"\n")
        if cut < 0:
            rest = b""
            break
        rest, skip = rest[cut + 1 :], skip - 1
    while True:
        more = stream.read(block)
        data = rest + more
        if not more:
            if data:
                yield row, data
            return
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        # A view, not a 16 MiB copy; the parsers copy only when they must.
        part, rest = memoryview(data)[: cut + 1], data[cut + 1 :]
        yield row, part
        row += count(part)


def _mapped(stream: ByteStream, first: int) -> mmap.mmap | None:
    """The file under ``stream`` mapped read-only, when it is a plain file larger than the
    first read; else None (and the stream is untouched)."""
    if not isinstance(stream, io.BufferedReader) or not isinstance(stream.raw, io.FileIO):
        return None
    try:
        if stream.tell() != 0:
            return None
        fd = stream.fileno()
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size <= first:
            return None
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None


def _cut(
    mm: mmap.mmap, skip: int, block: int, count: Callable[..., int]
) -> Iterator[tuple[int, memoryview]]:
    """The line blocks of a mapped file (the same cuts as reading it block by block)."""
    view = memoryview(mm)  # the map is closed when the last view of it is gone
    size = len(mm)
    pos = 3 if mm[:3] == BOM else 0
    while skip and pos < size:
        cut = mm.find(b"\n", pos)
        pos = size if cut < 0 else cut + 1
        skip -= 1
    row, starts, dropped = 0, [pos], 0
    while pos < size:
        end = pos + block
        if end >= size:
            yield row, view[pos:size]
            return
        cut = mm.rfind(b"\n", pos, end)
        if cut < 0:  # a line longer than a block: to its end
            cut = mm.find(b"\n", end)
            if cut < 0:
                yield row, view[pos:size]
                return
        part = view[pos : cut + 1]
        yield row, part
        row += count(part)
        pos = cut + 1
        starts.append(pos)
        dropped = _unmap(mm, dropped, starts[-1 - LAG] if len(starts) > LAG else 0)


# Blocks a parse may still be reading (in_order keeps threads + 1 in flight: 3 on two cores);
# the pages of older ones are dropped from this process's mapping, so its resident size stays
# that of a few blocks, not the file's. Dropping is only a hint: a page read again is mapped
# again, so a parse still reading an older block (more threads) reads the same bytes.
LAG = 4


def _unmap(mm: mmap.mmap, dropped: int, upto: int) -> int:
    """Drop the mapped pages of [dropped, upto) (page-aligned); the new ``dropped``."""
    upto -= upto % mmap.PAGESIZE
    if upto > dropped and hasattr(mmap, "MADV_DONTNEED"):
        try:
            mm.madvise(mmap.MADV_DONTNEED, dropped, upto - dropped)
        except OSError:
            return dropped
        return upto
    return dropped
