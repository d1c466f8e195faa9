"""Per-sample records for machines: JSONL and CSV streams, and ``-q``'s bare numbers."""

from __future__ import annotations

import csv
import json
from typing import TextIO

import numpy as np

from cece.engine.pipeline import Result
from cece.engine.task import Records
from cece.report.documents import FIELD_ORDER
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

    def __call__(self, records: Records) -> None:
        if self.fields is None:
            self.fields = [f for f in FIELD_ORDER if f in records]
            if self._csv is not None:
                self._csv.writerow(self.fields)
        columns = [self._column(records[f]) for f in self.fields]
        if self._csv is not None:
            self._csv.writerows(zip(*columns))
            return
        finite = all(
            np.isfinite(records[f]).all() for f in self.fields if records[f].dtype.kind == "f"
        )
        if finite:
            template = "{" + ",".join(f'"{f}":%s' for f in self.fields) + "}\n"
            self.out.write("".join(template % row for row in zip(*columns)))
        else:
            dumps, fields = json.dumps, self.fields
            self.out.writelines(
                dumps(plain(dict(zip(fields, row))), allow_nan=False, separators=(",", ":")) + "\n"
                for row in zip(*(records[f].tolist() for f in fields))
            )

    def _column(self, values: np.ndarray) -> list:
        """A column as the strings JSONL/CSV want: repr for floats, names quoted for JSON."""
        kind = values.dtype.kind
        if kind == "f":
            return list(map(repr, (values + 0.0).tolist()))  # + 0.0: no "-0.0"
        if kind == "b":
            return ["true" if v else "false" for v in values.tolist()]
        if kind in "iu":
            return values.tolist()
        if self._csv is not None:
            return [str(v) for v in values.tolist()]
        return [json.dumps(str(v)) for v in values.tolist()]


def quiet(result: Result, out: TextIO) -> None:
    """-q: the reduced value alone; with --reduction none, one loss per line."""
    if result.loss is not None:
        out.write(number(result.loss) + "\n")
    else:
        for rec in result.samples or []:
            out.write(number(rec["loss"]) + "\n")
