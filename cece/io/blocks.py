"""Aligned row blocks: the opened sources read together, at most ``ROWS`` samples at a time.

Every source (predictions, labels, sample weights) yields its rows in blocks; blocks are cut
to the same row ranges so a block of predictions always meets its own labels, and memory does
not grow with the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, cast

import numpy as np

from cece.errors import CeceError, InputError
from cece.io import arrays, tables
from cece.io.arrays import ArrayInput
from cece.io.lazy import RowBlocks
from cece.structs import struct

if TYPE_CHECKING:
    from cece.io.arrow import ArrowTable
    from cece.io.jsonl import JsonlTable
    from cece.io.text import TextTable

ROWS = 1 << 18  # samples per block at most (fewer, larger blocks: less Python per sample)


BLOCK_BYTES = 16 << 20  # and about this many bytes of predictions


@struct
class Source:
    """One opened input and what is taken from it: part name → columns (None: the array)."""

    name: str
    data: ArrayInput | TextTable | ArrowTable | JsonlTable
    parts: dict[str, list[int] | None] = field(default_factory=dict)
    text_parts: set[str] = field(default_factory=set)
    rows: int | None = None

    file_rows: arrays.NpyRows | RowBlocks | None = None  # plain reads of a C-ordered .npy file
    decode: Callable[[np.ndarray], np.ndarray] | None = None  # stored blocks → numbers (bf16)


STORED = "preds"  # the part that stays as stored (bfloat16 bits): the fused kernels read them


def source_blocks(src: Source, rows: int) -> Iterator[dict[str, np.ndarray]]:
    """The source's parts, block by block (each block at most ``rows`` samples).

    A source with ``decode`` (bfloat16 bits) yields its ``preds`` part as stored, a view of
    the file's pages: the fused kernels read the bits themselves, and the engine decodes a
    block only where it computes on values (:func:`cece.io.bfloat16.values`). Other parts
    (a label column of the same array) are decoded."""
    data = src.data
    if isinstance(data, ArrayInput):
        blocks = src.file_rows.blocks(rows) if src.file_rows else _array_rows(data.array, rows)
        decode = src.decode
        for block in blocks:
            got = {
                part: block if cols is None else _take(block, cols, part)
                for part, cols in src.parts.items()
            }
            if decode is not None:
                got = {k: v if k == STORED else decode(v) for k, v in got.items()}
            yield got
        return
    parts = cast(dict[str, list[int]], src.parts)  # a table's parts are columns, never None
    float_cols = sorted({c for p, cs in parts.items() if p not in src.text_parts for c in cs})
    text_cols = sorted({c for p in src.text_parts for c in parts[p]})
    for parsed in data.blocks(float_cols, text_cols):
        out = {}
        for part, cols in parts.items():
            if part in src.text_parts:
                out[part] = parsed.texts[text_cols.index(cols[0])]
            else:
                out[part] = _columns(parsed.floats, [float_cols.index(c) for c in cols])
        if "labels" in out and out["labels"].ndim == 2 and len(parts["labels"]) == 1:
            out["labels"] = out["labels"][:, 0]
        if "weights" in out and out["weights"].ndim == 2:
            out["weights"] = out["weights"][:, 0]
        for start in range(0, len(parsed.floats), rows):
            yield {k: v[start : start + rows] for k, v in out.items()}


def _columns(floats: np.ndarray, idx: list[int]) -> np.ndarray:
    """Some columns of a parsed block, in C order (the kernels' layout); all of them: as is.
    (``floats[:, idx]`` would come back in column order.)"""
    if idx == list(range(floats.shape[1])):
        return floats
    return np.ascontiguousarray(np.take(floats, idx, axis=1))


def _take(block: np.ndarray, cols: list[int], part: str) -> np.ndarray:
    if part in ("labels", "weights") and len(cols) == 1:
        return block[:, cols[0]]
    return block[:, cols]


def _array_rows(arr: np.ndarray, rows: int) -> Iterator[np.ndarray]:
    """Blocks of ≤ rows samples of ``arr`` (class axis last), flattened in C order."""
    if arr.ndim <= 1:
        for i in range(0, len(arr), rows):
            yield np.asarray(arr[i : i + rows])
        return
    width = arr.shape[-1]
    if arr.ndim == 2:
        for i in range(0, len(arr), rows):
            yield np.asarray(arr[i : i + rows])
        return
    inner = int(np.prod(arr.shape[1:-1]))
    if inner <= rows:
        step = max(1, rows // inner)
        for i in range(0, arr.shape[0], step):
            yield np.asarray(arr[i : i + step]).reshape(-1, width)
    else:
        for i in range(arr.shape[0]):
            yield from _array_rows(arr[i], rows)


def rows_per_block(n_classes: int, itemsize: int) -> int:
    return max(1, min(ROWS, BLOCK_BYTES // max(1, n_classes * itemsize)))


def aligned_blocks(sources: list[Source], rows: int) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """Blocks of the same rows from every source, merged: (first row, part → block)."""
    known = [(s.name, s.rows) for s in sources if s.rows is not None]
    if len({n for _, n in known}) > 1:
        raise _row_mismatch(known)
    iters = [source_blocks(s, rows) for s in sources]
    pending: list[dict[str, np.ndarray] | None] = [None] * len(sources)
    start = 0
    while True:
        for i, it in enumerate(iters):
            if (p := pending[i]) is None or _len(p) == 0:
                pending[i] = next(it, None)
        ended = [p is None for p in pending]
        if all(ended):
            return
        if any(ended):
            counts = [(s.name, start + _rest(pending[i], iters[i])) for i, s in enumerate(sources)]
            raise _row_mismatch(counts)
        n = min(_len(p) for p in pending)  # type: ignore[arg-type]
        merged: dict[str, np.ndarray] = {}
        for i, p in enumerate(pending):
            merged.update({k: v[:n] for k, v in p.items()})  # type: ignore[union-attr]
            pending[i] = {k: v[n:] for k, v in p.items()}  # type: ignore[union-attr]
        yield start, merged
        start += n


def editor_line(error: InputError, sources: Sequence[Source]) -> InputError:
    """An error at a sample row of a text table, placed at the line an editor shows instead
    (1-based, counting the header, comments and blank lines before the data): the README's
    promise for text files. Rows of arrays and Arrow tables stay 0-based sample rows."""
    if error.row is None or error.line is not None:
        return error
    for src in sources:
        if src.name == error.source and tables.is_text(src.data):
            return error.at_line(src.data.line_of(error.row), *_file_column(error, src))
    return error


def _file_column(error: InputError, src: Source) -> tuple[int | str | None, list[str] | None]:
    """A block's column index as the file's (when the source gives one part, whose columns
    are known), with the header to name it; else the column as it was."""
    column = error.column
    cols = list(src.parts.values())
    if not isinstance(column, int) or len(cols) != 1 or cols[0] is None:
        return column, None
    if 0 <= column < len(cols[0]):
        return cols[0][column], cast("TextTable", src.data).header
    return column, None


def _len(part: dict[str, np.ndarray]) -> int:
    return len(next(iter(part.values())))


def _rest(pending: dict[str, np.ndarray] | None, it: Iterator) -> int:
    return (0 if pending is None else _len(pending)) + sum(_len(b) for b in it)


def _row_mismatch(counts: Sequence[tuple[str, int | None]]) -> CeceError:
    described = ", ".join(f"{name} has {n} rows" for name, n in counts)
    return CeceError(
        f"row counts differ: {described}",
        hint="every input needs one row per sample, in the same order",
    )
