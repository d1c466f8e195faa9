"""JSON Lines records (.jsonl, .ndjson; compressed too): one JSON object per sample, in blocks.

Evaluation harnesses write one record per sample, e.g. ``{"id": 7, "logits": [..], "label": 3}``
(also ``pandas.DataFrame.to_json(orient="records", lines=True)`` and cece's own ``-f jsonl``).
Fields are named by path (``outputs.logits`` for nested objects); a list-valued field gives one
column per entry, so the table the rest of cece sees has *virtual* columns: :meth:`add` turns a
field into columns, :meth:`blocks` reads those columns block by block (bounded memory).

Values: JSON numbers (parsed by :func:`json.loads`, i.e. Python's correctly rounded
``float()``); ``true``/``false`` as 1/0; strings only in a label field (class names). Anything
else (null, NaN, a string among scores, a list of another length) is an error naming the line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from cece.errors import InputError, OptionError, describe
from cece.io.compression import ByteStream
from cece.io.fields import json_float
from cece.io.records import Field
from cece.io.text import ParsedBlock

CECE_RECORDS = ("index", "loss")  # the first fields of cece's own -f jsonl records
BLOCK = 8 << 20  # bytes of text per block


class JsonlTable:
    """JSON Lines read in blocks of whole lines; columns are added per field with :meth:`add`."""

    def __init__(self, name: str, open_stream: Callable[[], ByteStream]) -> None:
        self.name = name
        self._open = open_stream
        self.header_is_data = False
        self.parsers: set[str] = set()
        self.notes: list[str] = []
        self.what = "field"
        self.layout: dict = {"file": name, "format": "jsonl"}
        first, self.first_line = self._peek()
        self.fields: dict[str, Field] = {}
        _describe(first, (), self.fields)
        self.cece_records = list(first)[:2] == list(CECE_RECORDS)
        self.columns: list[tuple[Field, int | None]] = []  # virtual column → (field, entry)
        self.header: list[str] | None = []
        self.ncols = 0

    def _peek(self) -> tuple[dict, int]:
        with self._open() as stream:
            data = stream.read(1 << 16)
            while b"\n" not in data.lstrip() and (more := stream.read(1 << 16)):
                data += more
        data = data.lstrip(b"\xef\xbb\xbf")
        for line_no, raw in enumerate(data.split(b"\n"), 1):
            if raw.strip():
                return self._record(raw, line_no), line_no
        raise InputError(self.name, "empty file; expected JSON records, one per line")

    def _record(self, raw: bytes | str, line_no: int) -> dict:
        try:
            rec = json.loads(raw, parse_float=json_float)
        except ValueError as exc:
            msg = getattr(exc, "msg", str(exc))
            raise InputError(self.name, f"not valid JSON ({msg})", line=line_no) from None
        if not isinstance(rec, dict):
            raise InputError(
                self.name,
                f"found a JSON {_kind(rec)}; expected one JSON object (a record) per line",
                line=line_no,
            )
        return rec

    # -- fields → columns -----------------------------------------------------------------------

    def field(self, path: str, option: str) -> Field:
        """The field a user named, or an error listing the fields there are."""
        found = self.fields.get(path)
        if found is None:
            known = ", ".join(p for p, f in self.fields.items() if f.kind != "object")
            raise OptionError(
                f"{option} {path!r}: the records of {self.name} have no field {path!r} "
                f"(line {self.first_line} has {known})"
            )
        if found.kind == "object":
            inner = ", ".join(p for p in self.fields if p.startswith(path + "."))
            raise OptionError(
                f"{option} {path!r}: field {path!r} of {self.name} is an object; "
                f"name one of its fields ({inner})"
            )
        if found.kind == "nested":
            raise InputError(
                self.name,
                f"field {path!r} holds a list of lists; expected a number or a list of "
                "numbers per record (one record per sample)",
                line=self.first_line,
            )
        return found

    def add(self, f: Field) -> list[int]:
        """Virtual columns for a field: one for a scalar, one per entry for a list."""
        first = self.ncols
        if f.width is None:
            self.columns.append((f, None))
            assert self.header is not None
            self.header.append(f.path)
        else:
            self.columns += [(f, j) for j in range(f.width)]
            assert self.header is not None
            self.header += [f"{f.path}[{j}]" for j in range(f.width)]
        self.ncols = len(self.columns)
        return list(range(first, self.ncols))

    def dtype_of(self, cols: list[int]) -> np.dtype:
        return np.dtype(np.float64)  # JSON numbers are doubles

    def line_of(self, row: int) -> int | None:
        return None

    def is_numeric(self, col: int) -> bool:
        return self.columns[col][0].kind != "text"

    # -- blocks ---------------------------------------------------------------------------------

    def _raw_blocks(self) -> Iterator[tuple[int, list[str]]]:
        """(line number of the first line, lines), whole lines only."""
        line_no = 1
        with self._open() as stream:
            rest = b""
            first = True
            while True:
                more = stream.read(BLOCK)
                data = rest + more
                if first:
                    data, first = data.lstrip(b"\xef\xbb\xbf"), False
                if not more:
                    if data:
                        yield line_no, self._decode(data, line_no).split("\n")
                    return
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest = data
                    continue
                lines = self._decode(data[:cut], line_no).split("\n")
                rest = data[cut + 1 :]
                yield line_no, lines
                line_no += len(lines)

    def _decode(self, data: bytes, line_no: int) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                self.name,
                f"byte 0x{data[exc.start]:02x} is not UTF-8",
                line=line_no + data.count(b"\n", 0, exc.start),
            ) from None

    def blocks(self, float_cols: list[int], text_cols: list[int]) -> Iterator[ParsedBlock]:
        """The chosen columns, block by block; every value checked, errors name the line."""
        self.parsers.add("json")
        row = 0
        for line_no, lines in self._raw_blocks():
            numbers = [line_no + i for i, line in enumerate(lines) if line.strip()]
            kept = [line for line in lines if line.strip()]
            if not kept:
                continue
            try:
                records = json.loads("[" + ",".join(kept) + "]", parse_float=json_float)
                bad = next((i for i, r in enumerate(records) if not isinstance(r, dict)), None)
            except ValueError:
                records, bad = None, 0
            if records is None or bad is not None:
                records = [self._record(line, n) for line, n in zip(kept, numbers)]
            floats = self._floats(records, numbers, float_cols)
            texts = [self._texts(records, numbers, self.columns[c][0]) for c in text_cols]
            yield ParsedBlock(row, floats, texts)
            row += len(records)
        if row == 0:
            raise InputError(self.name, "no records")

    def _floats(self, records: list, numbers: list[int], cols: list[int]) -> np.ndarray:
        picked = [self.columns[c] for c in cols]
        f = picked[0][0] if picked else None
        if f is not None and f.width is not None and picked == [(f, j) for j in range(f.width)]:
            return self._values(records, numbers, f)  # one list field, whole and in order
        out = np.empty((len(records), len(cols)))
        done: dict[str, np.ndarray] = {}
        for k, (g, j) in enumerate(picked):
            if g.path not in done:
                done[g.path] = self._values(records, numbers, g)
            out[:, k] = done[g.path] if j is None else done[g.path][:, j]
        return out

    def _get(self, rec: dict, f: Field, line_no: int) -> object:
        value: object = rec
        for key in f.keys:
            if not isinstance(value, dict) or key not in value:
                raise InputError(self.name, f"the record has no field {f.path!r}", line=line_no)
            value = value[key]
        return value

    def _values(self, records: list, numbers: list[int], f: Field) -> np.ndarray:
        values = [self._get(r, f, n) for r, n in zip(records, numbers)]
        try:
            arr = np.array(values)
        except ValueError:
            arr = np.empty(0, dtype=object)
        want = (len(values),) if f.width is None else (len(values), f.width)
        if arr.shape != want or arr.dtype.kind not in "biuf":
            for value, n in zip(values, numbers):
                self._check(value, f, n)
            raise InputError(self.name, f"field {f.path!r} holds values that are not numbers")
        arr = arr.astype(np.float64)
        flat = arr.reshape(len(values), -1)
        if not np.isfinite(arr).all() and (np.isnan(flat) | (flat == np.inf)).any():
            # -inf (JSON's -Infinity) is a number: a masked logit; the checks decide where
            bad = int(np.flatnonzero((np.isnan(flat) | (flat == np.inf)).any(axis=1))[0])
            raise InputError(
                self.name,
                f"field {f.path!r}: found a non-finite value; expected finite numbers",
                line=numbers[bad],
                hint="remove or impute the non-finite values first",
            )
        return arr

    def _check(self, value: object, f: Field, line_no: int) -> None:
        """Raise the error that names what is wrong with one record's value."""
        where: dict[str, Any] = {"line": line_no}
        if f.width is None:
            if isinstance(value, list):
                raise InputError(
                    self.name,
                    f"field {f.path!r} holds a list; expected a number like line {self.first_line}",
                    **where,
                )
            if not _is_number(value):
                raise InputError(
                    self.name,
                    f"field {f.path!r}: expected a number, found {_found(value)}",
                    **where,
                )
            return
        if not isinstance(value, list):
            raise InputError(
                self.name,
                f"field {f.path!r} holds {_found(value)}; expected a list of {f.width} numbers",
                **where,
            )
        if len(value) != f.width:
            raise InputError(
                self.name,
                f"field {f.path!r} holds {len(value)} values; expected {f.width} "
                f"like line {self.first_line}",
                **where,
            )
        for j, v in enumerate(value):
            if not _is_number(v):
                raise InputError(
                    self.name,
                    f"field {f.path!r}, entry {j}: expected a number, found {_found(v)}",
                    **where,
                )

    def _texts(self, records: list, numbers: list[int], f: Field) -> np.ndarray:
        out = []
        for r, n in zip(records, numbers):
            value = self._get(r, f, n)
            if not isinstance(value, str) or not value:
                raise InputError(
                    self.name,
                    f"field {f.path!r}: expected a class name like line {self.first_line}, "
                    f"found {_found(value)}",
                    line=n,
                )
            out.append(value)
        return np.array(out, dtype=object)


def _describe(rec: dict, prefix: tuple[str, ...], out: dict[str, Field]) -> None:
    for key, value in rec.items():
        keys = (*prefix, str(key))
        path = ".".join(keys)
        if isinstance(value, dict):
            out[path] = Field(path, keys, "object")
            _describe(value, keys, out)
        elif isinstance(value, list):
            if value and all(_is_number(v) for v in value):
                ints = all(isinstance(v, int) for v in value)
                out[path] = Field(path, keys, "integer" if ints else "number", len(value))
            else:
                kind = "nested" if value and isinstance(value[0], list) else "other"
                out[path] = Field(path, keys, kind, len(value))
        elif isinstance(value, bool):
            out[path] = Field(path, keys, "bool")
        elif isinstance(value, int):
            out[path] = Field(path, keys, "integer")
        elif isinstance(value, float):
            out[path] = Field(path, keys, "number")
        elif isinstance(value, str):
            out[path] = Field(path, keys, "text")
        else:
            out[path] = Field(path, keys, "null")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float))  # bool is an int: true/false read as 1/0


def _kind(value: object) -> str:
    return {list: "array", str: "string", bool: "boolean"}.get(type(value), "number")


def _found(value: object) -> str:
    return "null" if value is None else describe(value)
