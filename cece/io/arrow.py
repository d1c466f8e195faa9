"""Parquet and Feather tables through pyarrow (``cece[parquet]``), in row batches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from cece.errors import InputError
from cece.io.text import ParsedBlock


class ArrowTable:
    """A Parquet or Feather table read through pyarrow, column by column, in row batches."""

    def __init__(self, name: str, table: object) -> None:
        self.name = name
        self._table = table
        self.header: list[str] | None = [str(c) for c in table.column_names]  # type: ignore[attr-defined]
        self.ncols = len(self.header)
        self.header_is_data = False
        self.inferred: list = []  # layout decisions (cece.io.layout.Inference), stated by tasks

    @classmethod
    def open(cls, path: Path, name: str, fmt: str) -> ArrowTable:
        try:
            import pyarrow.feather as feather
            import pyarrow.parquet as parquet
        except ImportError:
            raise InputError(
                name, f"reading .{fmt} files needs pyarrow", hint="pip install 'cece[parquet]'"
            ) from None
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

    @property
    def rows(self) -> int:
        return int(self._table.num_rows)  # type: ignore[attr-defined]

    def is_integer(self, col: int) -> bool:
        import pyarrow.types as types

        return bool(types.is_integer(self._table.schema.field(col).type))  # type: ignore[attr-defined]

    def pandas_index(self) -> list[str]:
        """The columns pandas' metadata names as the index (``to_parquet`` of a frame whose
        index is not a plain RangeIndex: ``__index_level_0__``, or the index's own name)."""
        import json

        meta = self._table.schema.metadata or {}  # type: ignore[attr-defined]
        try:
            columns = json.loads(meta[b"pandas"]).get("index_columns", [])
        except (KeyError, ValueError, AttributeError):
            return []
        return [c for c in columns if isinstance(c, str)]  # a RangeIndex is a dict, not a column

    def blocks(self, float_cols: list[int], text_cols: list[int]) -> Iterator[ParsedBlock]:
        start = 0
        for batch in self._table.to_batches(max_chunksize=1 << 16):  # type: ignore[attr-defined]
            columns = [batch.column(c).to_numpy(zero_copy_only=False) for c in float_cols]
            kinds = {col.dtype for col in columns}
            dtype = np.float32 if kinds == {np.dtype(np.float32)} else np.float64
            floats = np.empty((batch.num_rows, len(float_cols)), dtype=dtype)
            for j, (c, col) in enumerate(zip(float_cols, columns)):
                if col.dtype.kind not in "iufb":
                    assert self.header is not None  # a pyarrow table always names its columns
                    raise InputError(
                        self.name,
                        f"column {self.header[c]!r} holds {col.dtype} values; expected numbers",
                    )
                floats[:, j] = col
            texts = [
                np.asarray(batch.column(c).to_numpy(zero_copy_only=False), dtype=object)
                for c in text_cols
            ]
            yield ParsedBlock(start, floats, texts)
            start += batch.num_rows
