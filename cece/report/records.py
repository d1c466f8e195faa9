"""Per-sample records for machines: JSONL and CSV streams, and ``-q``'s bare numbers."""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Callable
from typing import IO, TextIO

import numpy as np

from cece import _native
from cece.engine.result import Result
from cece.engine.task import Records
from cece.report.documents import FIELD_ORDER, NULLABLE, POSITIONS, document, header
from cece.report.numbers import number, plain

FORMAT = getattr(_native.PARSER, "format_records", None)  # cece/_native/records.c, or None


class RecordWriter:
    """Writes per-sample records as JSONL or CSV, block by block, as they are computed.

    Where the extension was built (any CPU: plain C, as the parser), a chunk of records is
    formatted in C into one bytes object (cece/_native/records.c: floats as repr writes them,
    shortest round-trip digits by Ryu) and written to the byte stream under the text one.
    Otherwise, or where the C formatter declines a chunk (an object it does not know, a CSV cell
    the csv module would quote), Python writes the same text: a line filled in from a template
    (``{"index":%d,"loss":%r,...}``), ~10× faster than a dict and ``json.dumps`` per record;
    blocks with inf/nan fall back to ``json.dumps``, which spells them as the strings JSON
    needs. ``sep`` ends each record (``-f json --samples`` joins them with ``",\n    "``).
    """

    def __init__(self, out: TextIO, fmt: str, sep: str = "\n") -> None:
        self.out, self.fmt, self.sep = out, fmt, sep
        self.fields: list[str] | None = None
        self.csv = fmt == "csv"
        self._bytes = _byte_stream(out)

    CHUNK = 1 << 15  # records formatted at a time: the strings of a block stay small

    def __call__(self, records: Records) -> None:
        n = len(records["loss"])
        for i in range(0, n, self.CHUNK):
            self.write(self.chunk({k: v[i : i + self.CHUNK] for k, v in records.items()}))

    def write(self, text: bytes | str) -> None:
        """Text to the stream: bytes straight to the byte stream under it where there is one."""
        if isinstance(text, str):
            self.out.write(text)
        elif self._bytes is not None:
            self.out.flush()  # what the text layer holds goes first
            self._bytes.write(text)
        else:
            self.out.write(text.decode("utf-8"))

    def chunk(self, records: Records) -> bytes | str:
        """One chunk's records as text, each ended by ``sep`` (a CSV header before the first)."""
        head = ""
        if self.fields is None:
            self.fields = [f for f in FIELD_ORDER if f in records]
            if self.csv:
                head = ",".join(self.fields) + self.sep  # plain names: nothing to quote
        text = self._compiled(records)
        if text is not None:
            return head.encode() + text if head else text
        return head + self._python(records)

    def _compiled(self, records: Records) -> bytes | None:
        """The chunk formatted in C, or None (no extension, or a column it does not take)."""
        if FORMAT is None:
            return None
        assert self.fields is not None
        columns: list = []
        kinds = ""
        for f in self.fields:
            values = records[f]
            kind = values.dtype.kind
            if kind == "f":
                columns.append(np.ascontiguousarray(values, dtype=np.float64))
                kinds += "n" if f in NULLABLE else "f"
            elif kind == "b":
                columns.append(np.ascontiguousarray(values).view(np.uint8))
                kinds += "b"
            elif kind == "i" or (kind == "u" and values.dtype.itemsize < 8):
                columns.append(np.ascontiguousarray(values, dtype=np.int64))
                kinds += "i"
            elif kind in "OU":
                columns.append(values.tolist())
                kinds += "o"
            else:
                return None
        if self.csv:
            prefixes = [b"", *[b","] * (len(self.fields) - 1)]
            suffix = self.sep.encode()
        else:
            prefixes = [
                f'{"{" if i == 0 else ","}"{f}":'.encode() for i, f in enumerate(self.fields)
            ]
            suffix = ("}" + self.sep).encode()
        return FORMAT(prefixes, columns, kinds, suffix, self.csv)

    def _python(self, records: Records) -> str:
        """The chunk formatted by Python: the same text as the C formatter's."""
        import csv  # here, as json below: a -q run writes no records
        import json

        assert self.fields is not None
        columns = [self._column(records[f], f in NULLABLE) for f in self.fields]
        if self.csv:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator=self.sep).writerows(zip(*columns))
            return buffer.getvalue()
        finite = all(  # nan in a nullable field is null; any other inf/nan a JSON string
            (~np.isinf(records[f]) if f in NULLABLE else np.isfinite(records[f])).all()
            for f in self.fields
            if records[f].dtype.kind == "f"
        )
        if finite:
            template = "{" + ",".join(f'"{f}":%s' for f in self.fields) + "}" + self.sep
            return "".join(template % row for row in zip(*columns))
        dumps, fields, sep = json.dumps, self.fields, self.sep
        return "".join(
            dumps(plain(_nulls(dict(zip(fields, row)))), allow_nan=False, separators=(",", ":"))
            + sep
            for row in zip(*(records[f].tolist() for f in fields))
        )

    def _column(self, values: np.ndarray, nullable: bool = False) -> list:
        """A column as the strings JSONL/CSV want: repr for floats, names quoted for JSON;
        None (and nan in a nullable field) as null, or an empty CSV cell."""
        kind = values.dtype.kind
        null = "" if self.csv else "null"
        if kind == "f":
            out = list(map(repr, (values + 0.0).tolist()))  # + 0.0: no "-0.0"
            if nullable and np.isnan(values).any():
                out = [null if v == "nan" else v for v in out]
            return out
        if kind == "b":
            return ["true" if v else "false" for v in values.tolist()]
        if kind in "iu":
            return values.tolist()
        if self.csv:
            return ["" if v is None else csv_text(v) for v in values.tolist()]
        import json

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

    SEP = ",\n    "  # between two records of ``samples``

    def __init__(self, out: TextIO, command: str, fields: Callable[[], list[str]]) -> None:
        self.out, self.command, self.started = out, command, False
        self.fields, self.applies = fields, set[str]()  # the fields the buffered document has
        self._lines = RecordWriter(out, "jsonl", sep=self.SEP)

    def __call__(self, records: Records) -> None:
        if not self.started:  # the task knows its fields once the first block is read
            self.applies = {*self.fields(), *POSITIONS}
        records = {k: v for k, v in records.items() if k in self.applies}
        n, chunk = len(records["loss"]), RecordWriter.CHUNK
        for i in range(0, n, chunk):
            text = self._lines.chunk({k: v[i : i + chunk] for k, v in records.items()})
            self.out.write(("," if self.started else self._opening()) + "\n    ")
            self._lines.write(text[: -len(self.SEP)])
            self.started = True

    def _opening(self) -> str:
        import json

        head = json.dumps(header(self.command), indent=2)[:-2]  # without "\n}"
        return head + ',\n  "samples": ['

    def finish(self, result: Result) -> None:
        """The rest of the document, after the last record."""
        import json

        if not self.started:
            self.out.write(self._opening())
        doc = document(result)
        for key in header(result.command):
            doc.pop(key)
        doc.pop("samples", None)
        rest = json.dumps(plain(doc), indent=2, allow_nan=False)
        self.out.write("\n  ],\n" + rest[2:] + "\n")


def _byte_stream(out: TextIO) -> IO[bytes] | None:
    """The byte stream under a UTF-8 text stream that writes "\\n" as it is, or None."""
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if buffer is None or not isinstance(encoding, str) or os.linesep != "\n":
        return None
    try:
        return buffer if codecs.lookup(encoding).name == "utf-8" else None
    except LookupError:
        return None


def csv_text(value: object) -> str:
    """A CSV cell of an object column: true/false as the boolean columns write them."""
    return "true" if value is True else "false" if value is False else str(value)


def _nulls(record: dict) -> dict:
    """nan in a nullable field → None (JSON null)."""
    return {k: None if k in NULLABLE and v != v else v for k, v in record.items()}


def quiet(result: Result, out: TextIO) -> None:
    """-q: the reduced value alone; with --reduction none, one loss per line (a merge of such
    shards has no losses left, only their sums: their mean, as a baseline reads it)."""
    if result.loss is not None:
        out.write(number(result.loss) + "\n")
    elif result.command == "merge":
        out.write(number(result.summary.mean) + "\n")
    else:
        for rec in result.samples or []:
            out.write(number(rec["loss"]) + "\n")
