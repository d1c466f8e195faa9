"""Blocks of whole lines (cece/io/lineblocks.py): a mapped file is cut as a read stream is."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cece.io import lineblocks
from cece.io.lineblocks import line_blocks


def count(part) -> int:
    return bytes(part).count(b"\n")


def blocks_of(stream, skip: int, block: int, first: int) -> list[tuple[int, bytes]]:
    return [(row, bytes(part)) for row, part in line_blocks(stream, skip, block, first, count)]


def check(text: bytes, skip: int, block: int, path) -> None:
    path.write_bytes(text)
    with open(path, "rb") as fh:
        assert lineblocks._mapped(fh, 1) is not None or len(text) <= 1
        mapped = blocks_of(fh, skip, block, 1)
    # a stream's first read holds the skipped lines (text.py reads a whole block first)
    stream = io.BufferedReader(io.BytesIO(text))  # type: ignore[arg-type]
    streamed = blocks_of(stream, skip, block, 1 << 20)
    data = text[3:] if text.startswith(lineblocks.BOM) else text
    lines = data.split(b"\n")
    want = b"\n".join(lines[skip:]) if skip < len(lines) else b""
    for got in (mapped, streamed):
        assert b"".join(part for _, part in got) == want
        assert all(part.endswith(b"\n") for _, part in got[:-1])
        rows = 0
        for row, part in got:  # each block's first row is the newlines before it
            assert row == rows
            rows += part.count(b"\n")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text("0123456789.,-e", max_size=30), max_size=40),
    st.booleans(),
    st.booleans(),
    st.integers(0, 3),
    st.integers(1, 64),
)
def test_mapped_equals_streamed(tmp_path_factory, lines, bom, newline_at_end, skip, block):
    text = "\n".join(lines).encode() + (b"\n" if newline_at_end and lines else b"")
    check((lineblocks.BOM if bom else b"") + text, skip, block, tmp_path_factory.mktemp("b") / "t")


def test_long_lines_and_large_files(tmp_path):
    text = b"".join(b"%d,%s\n" % (i, b"7" * (i % 50)) for i in range(20_000))
    check(text, 1, 4096, tmp_path / "a.csv")
    check(text + b"1," + b"2" * 10_000, 0, 100, tmp_path / "b.csv")


def test_old_pages_are_dropped(tmp_path, monkeypatch):
    """Blocks more than LAG behind are advised away (the process keeps a few blocks resident)."""
    calls = []
    real = lineblocks._unmap

    def spy(mm, dropped, upto):
        calls.append((dropped, upto))
        return real(mm, dropped, upto)

    monkeypatch.setattr(lineblocks, "_unmap", spy)
    path = tmp_path / "big.csv"
    path.write_bytes(b"1.5,2.5\n" * 200_000)
    with open(path, "rb") as fh:
        got = list(line_blocks(fh, 0, 8192, 1, count))
    assert sum(count(p) for _, p in got) == 200_000
    assert max(upto for _, upto in calls) > 1_000_000


@pytest.mark.parametrize("size", [0, 10])
def test_small_or_empty_files_are_read(tmp_path, size):
    path = tmp_path / "s.csv"
    path.write_bytes(b"1\n" * (size // 2))
    with open(path, "rb") as fh:
        assert lineblocks._mapped(fh, 1 << 20) is None
        assert b"".join(bytes(p) for _, p in line_blocks(fh, 0, 4, 1 << 20, count)) == b"1\n" * (
            size // 2
        )
