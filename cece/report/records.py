"""Per-sample records for machines: JSONL and CSV streams, and ``-q``'s bare numbers."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import TextIO

import numpy as np

from cece.engine.result import Result
from cece.engine.task import Records
from cece.report.documents import FIELD_ORDER, NULLABLE, POSITIONS, document, header
from cece.report.numbers import number, plain


class RecordWriter:
    """Writes per-sample records as JSONL or CSV, block by block, as they are computed.

    A line is filled in from a template (``{"index":%d,"loss":%r,...}``): ~10× faster than a
    dict and ``json.dumps`` per record. Blocks with inf/nan fall back to ``json.dumps``, which
    spells them as the strings JSON needs.
    """

    def __init__(self, out: TextIO, fmt: str) -> None:
        self.out, self.fmt = out, fmt
        self.fields: list[str] | None = None
        self._csv = csv.writer(out, lineterminator="\n") if fmt == "csv" else None

    CHUNK = 1 << 15  # records formatted at a time: the strings of a block stay small

    def __call__(self, records: Records) -> None:
        n = len(records["loss"])
        for i in range(0, n, self.CHUNK):
            self._write({k: v[i : i + self.CHUNK] for k, v in records.items()})

    def _write(self, records: Records) -> None:
        if self.fields is None:
            self.fields = [f for f in FIELD_ORDER if f in records]
            if self._csv is not None:
                self._csv.writerow(self.fields)
        columns = [self._column(records[f], f in NULLABLE) for f in self.fields]
        if self._csv is not None:
            self._csv.writerows(zip(*columns))
            return
        finite = all(
            np.isfinite(records[f]).all()
            for f in self.fields
            if records[f].dtype.kind == "f" and f not in NULLABLE
        )
        if finite:
            template = "{" + ",".join(f'"{f}":%s' for f in self.fields) + "}\n"
            self.out.write("".join(template % row for row in zip(*columns)))
        else:
            dumps, fields = json.dumps, self.fields
            self.out.writelines(
                dumps(plain(_nulls(dict(zip(fields, row)))), allow_nan=False, separators=(",", ":"))
                + "\n"
                for row in zip(*(records[f].tolist() for f in fields))
            )

    def _column(self, values: np.ndarray, nullable: bool = False) -> list:
        """A column as the strings JSONL/CSV want: repr for floats, names quoted for JSON;
        None (and nan in a nullable field) as null, or an empty CSV cell."""
        kind = values.dtype.kind
        null = "" if self._csv is not None else "null"
        if kind == "f":
            out = list(map(repr, (values + 0.0).tolist()))  # + 0.0: no "-0.0"
            if nullable and np.isnan(values).any():
                out = [null if v == "nan" else v for v in out]
            return out
        if kind == "b":
            return ["true" if v else "false" for v in values.tolist()]
        if kind in "iu":
            return values.tolist()
        if self._csv is not None:
            return ["" if v is None else _text(v) for v in values.tolist()]
        return [
            null if v is None else json.dumps(v if v in (True, False) else str(v))
            for v in values.tolist()
        ]


class JsonSamples:
    """``-f json --samples``: the document's ``samples`` written as they are computed, one
    record a line, then the rest of the document once the run is done — so memory stays
    bounded however many samples there are. ``samples`` comes right after the header keys,
    before ``input`` (JSON objects are unordered; every key is as in the buffered document).
    """

    def __init__(self, out: TextIO, command: str, fields: Callable[[], list[str]]) -> None:
        self.out, self.command, self.started = out, command, False
        self.fields, self.applies = fields, set[str]()  # the fields the buffered document has
        self._buffer = io.StringIO()
        self._lines = RecordWriter(self._buffer, "jsonl")

    def __call__(self, records: Records) -> None:
        if not self.started:  # the task knows its fields once the first block is read
            self.applies = {*self.fields(), *POSITIONS}
        records = {k: v for k, v in records.items() if k in self.applies}
        n, chunk = len(records["loss"]), RecordWriter.CHUNK
        for i in range(0, n, chunk):
            self._buffer.seek(0)
            self._buffer.truncate()
            self._lines({k: v[i : i + chunk] for k, v in records.items()})
            text = self._buffer.getvalue()
            self.out.write(("," if self.started else self._opening()) + "\n    ")
            self.out.write(text[:-1].replace("\n", ",\n    "))
            self.started = True

    def _opening(self) -> str:
        head = json.dumps(header(self.command), indent=2)[:-2]  # without "\n}"
        return head + ',\n  "samples": ['

    def finish(self, result: Result) -> None:
        """The rest of the document, after the last record."""
        if not self.started:
            self.out.write(self._opening())
        doc = document(result)
        for key in header(result.command):
            doc.pop(key)
        doc.pop("samples", None)
        rest = json.dumps(plain(doc), indent=2, allow_nan=False)
        self.out.write("\n  ],\n" + rest[2:] + "\n")


def _text(value: object) -> str:
    """A CSV cell of an object column: true/false as the boolean columns write them."""
    return "true" if value is True else "false" if value is False else str(value)


def _nulls(record: dict) -> dict:
    """nan in a nullable field → None (JSON null)."""
    return {k: None if k in NULLABLE and v != v else v for k, v in record.items()}


def quiet(result: Result, out: TextIO) -> None:
    """-q: the reduced value alone; with --reduction none, one loss per line."""
    if result.loss is not None:
        out.write(number(result.loss) + "\n")
    else:
        for rec in result.samples or []:
            out.write(number(rec["loss"]) + "\n")
