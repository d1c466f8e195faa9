"""Parquet, Feather and Arrow IPC tables through pyarrow (``cece[parquet]``), in row batches.

Tables of scalar columns are read as any table. A table with a list column (``list<float>``,
``large_list``, ``fixed_size_list``: how Hugging Face ``datasets`` stores logits) is a *record
table* (:mod:`cece.io.records`): its columns are fields, a list field gives one virtual column
per entry, and ``--pred-cols logits`` / ``--label-col label`` choose them.

Arrow IPC comes in two layouts (pyarrow ``ipc.new_file`` vs ``ipc.new_stream``; the Arrow
columnar format spec, "IPC Streaming Format" and "IPC File Format"): the file starts with the
magic ``ARROW1`` (Feather v2 is this file), the stream with the continuation marker
``0xFFFFFFFF``; ``datasets.Dataset.save_to_disk`` writes ``data-00000-of-00001.arrow`` as a
stream (datasets ``arrow_writer.py``: ``pa.RecordBatchStreamWriter``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from cece.errors import InputError, OptionError
from cece.io import arrowschema as schema
from cece.io.records import Field
from cece.io.text import ParsedBlock
from cece.losses import domain


class ArrowTable:
    """A Parquet, Feather or Arrow IPC table read through pyarrow, in row batches."""

    def __init__(self, name: str, table: object) -> None:
        self.name = name
        self._table = table = schema.plain(table)
        self.header: list[str] | None = [str(c) for c in table.column_names]  # type: ignore[attr-defined]
        self.ncols = len(self.header)
        self.header_is_data = False
        self.fields = schema.fields(table)
        self.records = any(f.width is not None or f.kind == "ragged" for f in self.fields.values())
        self.cece_records = False
        self.notes: list[str] = []
        self.what = "column"
        self.layout: dict = {}
        self.columns: list[tuple[Field, int | None]] = []
        if self.records:  # virtual columns, added per field
            self.header, self.ncols = [], 0
            self.layout = {"file": name, "format": "arrow"}
        self.inferred: list = []  # layout decisions (cece.io.layout.Inference), stated by tasks
        self.bits: set[str] = set()  # columns (fields) of bfloat16 bits (--dtype bfloat16)

    @classmethod
    def open(cls, path: str | BinaryIO, name: str, fmt: str) -> ArrowTable:
        """The table in a file (a path, or an open remote file read through it)."""
        try:
            import pyarrow as pa
            import pyarrow.feather as feather
            import pyarrow.ipc as ipc
            import pyarrow.parquet as parquet
        except ImportError:
            raise needs_pyarrow(name, fmt) from None
        try:
            if fmt == "parquet":
                table = parquet.read_table(path)
            elif fmt == "arrowstream" and not isinstance(path, str | os.PathLike):
                table = ipc.open_stream(path).read_all()
            elif fmt == "arrowstream":
                with pa.OSFile(str(path)) as source:  # read, not mapped: closed after
                    table = ipc.open_stream(source).read_all()
            else:
                table = feather.read_table(path)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
            what = "Arrow IPC stream" if fmt == "arrowstream" else f".{fmt} file"
            raise InputError(name, f"not a readable {what} ({exc})") from None
        return cls(name, table)

    @classmethod
    def open_saved(cls, folder: str, name: str) -> ArrowTable:
        """A folder written by ``datasets.Dataset.save_to_disk``: ``state.json`` lists its
        shards (``_data_files``), each an Arrow IPC stream; read in order, as one table."""
        import json

        try:
            files = [
                f["filename"]
                for f in json.loads(_read_text(os.path.join(folder, "state.json")))["_data_files"]
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(name, f"state.json does not list the data files ({exc})") from None
        tables = [
            cls.open(os.path.join(folder, f), f"{name}/{f}", "arrowstream")._table for f in files
        ]
        if not tables:
            raise InputError(name, "state.json lists no data files")
        import pyarrow as pa  # there: cls.open read the shards

        try:
            table = pa.concat_tables(tables)
        except Exception as exc:  # pyarrow.ArrowInvalid: schemas differ
            raise InputError(name, f"the data files do not make one table ({exc})") from None
        return cls(name, table)

    def line_of(self, row: int) -> int | None:
        return None

    def is_numeric(self, col: int) -> bool:
        import pyarrow.types as types

        if self.records:
            return self.columns[col][0].kind != "text"
        kind = self._table.schema.field(col).type  # type: ignore[attr-defined]
        return types.is_integer(kind) or types.is_floating(kind) or types.is_boolean(kind)

    def head_values(self, cols: list[int], rows: int = 20) -> np.ndarray | None:
        """The first ``rows`` rows of numeric ``cols`` as float64 (None: a column is not
        numbers, or the table holds records)."""
        if self.records or not all(self.is_numeric(c) for c in cols):
            return None
        head = self._table.slice(0, rows)  # type: ignore[attr-defined]
        return np.column_stack(
            [np.asarray(self._column(head, c), dtype=np.float64) for c in cols]
        ).reshape(-1, len(cols))

    @property
    def rows(self) -> int:
        return int(self._table.num_rows)  # type: ignore[attr-defined]

    def head_cells(self, col: int, n: int) -> list[object]:
        """The first ``n`` values of a column, as Python objects."""
        return self._table.column(col).slice(0, n).to_pylist()  # type: ignore[attr-defined]

    def is_integer(self, col: int) -> bool:
        import pyarrow.types as types

        return bool(types.is_integer(self._table.schema.field(col).type))  # type: ignore[attr-defined]

    def is_boolean(self, col: int) -> bool:
        import pyarrow.types as types

        return bool(types.is_boolean(self._table.schema.field(col).type))  # type: ignore[attr-defined]

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

    def stored_dtype(self, col: int) -> np.dtype:
        """The NumPy dtype a column's (or a list column's) values are stored as."""
        name = self.columns[col][0].path if self.records else self._table.column_names[col]  # type: ignore[attr-defined]
        kind = self._table.schema.field(name).type  # type: ignore[attr-defined]
        kind = kind.value_type if schema.is_list(kind) else kind
        try:
            return np.dtype(kind.to_pandas_dtype())
        except (NotImplementedError, TypeError):
            return np.dtype(object)

    def read_bits(self, cols: list[int], option: str = "--dtype") -> str:
        """``--dtype bfloat16``: the columns ``cols`` hold bfloat16 bits (uint16/int16), read
        exactly as float32; returns their stored dtype. Other columns: an error."""
        from cece.io.bfloat16 import BIT_KINDS

        kinds = {self.stored_dtype(c) for c in cols}
        if not kinds <= set(BIT_KINDS):
            shown = ", ".join(sorted(str(k) for k in kinds))
            raise OptionError(
                f"{option} bfloat16 reads 16-bit bit patterns (uint16 or int16 columns); "
                f"{self.name} holds {shown} values"
            )
        for c in cols:
            self.bits.add(self.columns[c][0].path if self.records else self._table.column_names[c])  # type: ignore[attr-defined]
        return str(kinds.pop()) if len(kinds) == 1 else "int16"

    # -- record tables ---------------------------------------------------------------------------

    def field(self, path: str, option: str) -> Field:
        found = self.fields.get(path)
        if found is None:
            raise OptionError(
                f"{option} {path!r}: {self.name} has no column {path!r} "
                f"(columns are {', '.join(self.fields)})"
            )
        if found.kind == "ragged":
            row, n, first, width = _ragged(self._table.column(path))  # type: ignore[attr-defined]
            raise InputError(
                self.name,
                f"column {path!r} holds lists of different lengths ({n} value(s); row "
                f"{first} holds {width}); expected one length (one score per class)",
                row=row,
            )
        return found

    def add(self, f: Field) -> list[int]:
        first = self.ncols
        assert self.header is not None
        if f.width is None:
            self.columns.append((f, None))
            self.header.append(f.path)
        else:
            self.columns += [(f, j) for j in range(f.width)]
            self.header += [f"{f.path}[{j}]" for j in range(f.width)]
        self.ncols = len(self.columns)
        return list(range(first, self.ncols))

    def dtype_of(self, cols: list[int]) -> np.dtype:
        """The predictions' dtype (its eps clips probabilities, as scikit-learn's does)."""
        if not self.records:  # scalar columns: as pandas reads them (float32 stays float32)
            found = [self.stored_dtype(c) for c in cols]
            if any(c in self.bits for c in self._table.column_names):  # type: ignore[attr-defined]
                return np.dtype(np.float32)
            if not found or any(d.kind != "f" for d in found):
                return np.dtype(np.float64)
            return np.dtype(np.result_type(*found))
        dtypes = self._dtypes
        kinds = {dtypes.get(self.columns[c][0].path, np.dtype(np.float64)) for c in cols}
        return np.dtype(np.result_type(*kinds)) if kinds else np.dtype(np.float64)

    @property
    def _dtypes(self) -> dict[str, np.dtype]:
        import pyarrow.types as types

        out = {}
        for f in self._table.schema:  # type: ignore[attr-defined]
            kind = f.type.value_type if schema.is_list(f.type) else f.type
            if f.name in self.bits:
                out[f.name] = np.dtype(np.float32)
            elif types.is_floating(kind):
                out[f.name] = np.dtype(kind.to_pandas_dtype())
        return out

    # -- blocks ----------------------------------------------------------------------------------

    def blocks(self, float_cols: list[int], text_cols: list[int]) -> Iterator[ParsedBlock]:
        start = 0
        for batch in self._table.to_batches(max_chunksize=1 << 16):  # type: ignore[attr-defined]
            if self.records:
                yield self._record_block(start, batch, float_cols, text_cols)
                start += batch.num_rows
                continue
            columns = [self._column(batch, c, start) for c in float_cols]
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
            texts = [self._texts(batch.column(c), start, self.header[c]) for c in text_cols]  # type: ignore[index]
            yield ParsedBlock(start, floats, texts)
            start += batch.num_rows

    def _column(self, batch: object, c: int, start: int = 0) -> np.ndarray:
        values = batch.column(c).to_numpy(zero_copy_only=False)  # type: ignore[attr-defined]
        column = self._table.column_names[c]  # type: ignore[attr-defined]
        if column in self.bits:
            from cece.io.bfloat16 import to_float32

            return to_float32(values)
        domain.exact_in_float64(values, self.name, start, column)  # int64 beyond 2^53
        return values

    def _record_block(
        self, start: int, batch: object, float_cols: list[int], text_cols: list[int]
    ) -> ParsedBlock:
        picked = [self.columns[c] for c in float_cols]
        done: dict[str, np.ndarray] = {}
        for f, _ in picked:
            if f.path not in done:
                done[f.path] = self._values(start, batch, f)
        rows = batch.num_rows  # type: ignore[attr-defined]
        head = picked[0][0] if picked else None
        if (
            head is not None
            and head.width is not None
            and picked == [(head, j) for j in range(head.width)]
        ):
            floats = done[head.path]  # one list column, whole and in order
        else:
            dtype = {v.dtype for v in done.values()}
            floats = np.empty((rows, len(picked)), dtype=dtype.pop() if len(dtype) == 1 else None)
            for k, (g, j) in enumerate(picked):
                floats[:, k] = done[g.path] if j is None else done[g.path][:, j]
        paths = [self.columns[c][0].path for c in text_cols]
        texts = [self._texts(batch.column(p), start, p) for p in paths]  # type: ignore[attr-defined]
        return ParsedBlock(start, floats, texts)

    def _texts(self, col: object, start: int, path: str) -> np.ndarray:
        """A text column's values (class names, ids); a null is named, never read as 'None'."""
        if col.null_count:  # type: ignore[attr-defined]
            raise InputError(
                self.name, f"column {path!r} has null values", row=start + _first_null(col)
            )
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)  # type: ignore[attr-defined]

    def _values(self, start: int, batch: object, f: Field) -> np.ndarray:
        col = batch.column(f.path)  # type: ignore[attr-defined]
        if col.null_count:
            at = start + _first_null(col)
            raise InputError(self.name, f"column {f.path!r} has null values", row=at)
        if f.width is None:
            values = col.to_numpy(zero_copy_only=False)
        else:
            flat = col.flatten()
            if flat.null_count:
                import pyarrow.compute as pc

                at = start + pc.list_parent_indices(col)[_first_null(flat)].as_py()
                raise InputError(self.name, f"column {f.path!r} has null entries", row=at)
            values = flat.to_numpy(zero_copy_only=False).reshape(len(col), f.width)
        if f.path in self.bits:
            from cece.io.bfloat16 import to_float32

            return to_float32(values).reshape(values.shape)
        if values.dtype.kind not in "iufb":
            raise InputError(
                self.name, f"column {f.path!r} holds {values.dtype} values; expected numbers"
            )
        if values.dtype.kind in "iub" or values.dtype.itemsize < 4:
            domain.exact_in_float64(values, self.name, start, f.path)  # int64 beyond 2^53
            return values.astype(np.float64 if values.dtype.kind != "f" else np.float32)
        return values


def _first_null(col: object) -> int:
    """The position of a column's first null."""
    import pyarrow.compute as pc

    return int(pc.index(col.is_null(), True).as_py())  # type: ignore[attr-defined]


def _ragged(col: object) -> tuple[int, int, int, int]:
    """(row, its length, the first row, its length) of a list column's first row whose length
    is not the first row's (null rows, which have none, left out)."""
    import pyarrow.compute as pc

    lengths = pc.list_value_length(col).to_numpy(zero_copy_only=False).astype(float)
    rows = np.flatnonzero(~np.isnan(lengths))
    first, row = int(rows[0]), int(rows[lengths[rows] != lengths[rows[0]]][0])
    return row, int(lengths[row]), first, int(lengths[first])


def needs_pyarrow(name: str, fmt: str) -> InputError:
    """The one line for a Parquet/Feather/Arrow input without pyarrow installed."""
    what = "Arrow IPC streams" if fmt == "arrowstream" else f".{fmt} files"
    return InputError(name, f"reading {what} needs pyarrow", hint="pip install 'cece[parquet]'")


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()
