"""Text tables: CSV, TSV and whitespace-separated numbers, plain or compressed, in row blocks.

The stream is cut into blocks of whole lines (a few MiB each). Small inputs are parsed in pure
Python (importing pandas alone costs ~0.4 s); large ones with pandas' C parser, block by block,
so memory stays bounded. Whatever the parser, anything odd in a block (a non-number, a short
row, NaN) is re-read by the Python parser, which is slow but says exactly what is wrong where:
``preds.csv: line 4, column 2 ('dog'): expected a number, found 'abc'``.

Rules: the first line that is not a ``#`` comment is a header when any of its fields is not a
number; blank lines only at the end; a UTF-8 BOM and CRLF line ends are accepted; quoted fields
may not contain line breaks; a header one field short of the rows is R's (or a ragged row).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from cece._native import PARSER as _fast  # the compiled plain-text parser, or None (_native)
from cece.errors import InputError, column_label, describe
from cece.io.compression import ByteStream
from cece.io.fields import (
    BARE_CR,
    check_line_ends,
    comma_table,
    decode,
    is_header,
    needs_python,
    number_hint,
    parse_number,
    r_row_names,
    sniff_delimiter,
)
from cece.io.layout import Inference, numeric_header
from cece.io.lineblocks import line_blocks
from cece.io.reuse import Buffers
from cece.parallel import in_order, worker_threads
from cece.structs import struct

SMALL = 1 << 20  # inputs below this size are parsed without pandas


PLAIN = _fast is not None  # plain numbers go through the compiled parser first


BLOCK = 16 << 20  # bytes of text per block for large inputs


PEEK = 1 << 16


_DELIMITERS = {"csv": ",", "tsv": "\t"}
_LONG_EXPONENT = rb"[eE][+-]?\d{3}|\d{300}"  # what could overflow: 1e400, 10^300
_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", " ": "whitespace"}


@struct
class ParsedBlock:
    """Rows ``start_row ..`` of a table: float columns stacked, text columns as str arrays."""

    start_row: int
    floats: np.ndarray  # (rows, len(float_cols)) float64
    texts: list[np.ndarray]  # one object array per text column
    blank_at: int | None = None  # the first of the blank lines that end this block


class TextTable:
    """A delimited text table read in blocks; ``header`` holds its column names, if any."""

    def __init__(
        self, name: str, open_stream: Callable[[], ByteStream], *, fmt: str, size: int | None
    ) -> None:
        self.name = name
        self._open = open_stream
        self.small = size is not None and size < SMALL
        self.header_is_data = False  # set by callers that know the first row is data
        self.parsers: set[str] = set()  # which parsers read blocks: compiled, python, pandas
        head, self._head_lines = self._peek(fmt)
        self.delimiter = _DELIMITERS.get(fmt) or sniff_delimiter(head[0])
        if fmt == "tsv" and comma_table(head):  # a CSV given as TSV: one text column
            raise InputError(
                name,
                "read as TSV, but its lines have no tab and the same commas",
                line=self._head_lines + 1,
                hint="--stdin-format csv" if name == "<stdin>" else "name the file .csv",
            )
        if self.delimiter in (",", ";") and fmt == "csv" and "," not in head[0]:
            self.delimiter = "\t" if "\t" in head[0] else ";" if ";" in head[0] else ","
        first = self.split(head[0])
        self._first_line_no = self._head_lines + 1
        self.sample_rows = [self.split(line) for line in head[1:]]
        self.inferred: list[Inference] = []  # what was decided about the layout, and why
        if r_row_names(first, self.sample_rows, head[1:]):
            first = ["", *first]  # R's write.table: no header cell over the row names
            said = "the header is one field short of the rows: R's row names, unnamed"
            self.inferred.append(Inference(name, "header", said))
        self.ncols = len(first)
        if self.sample_rows and all(len(r) == len(first) + 1 for r in self.sample_rows):
            raise self._ragged(self._first_line_no + 1, len(self.sample_rows[0]))
        self._buffers = Buffers(self.ncols, keep=2 * worker_threads() + 4)  # parser output
        self.first_fields = first
        self.header: list[str] | None = None
        self.pending: str | None = None  # a first row that may be a header: the other inputs decide
        self.numeric_header = False  # a numeric first row read as pandas' header (0, 1, ...)
        if is_header(first, self.sample_rows):
            self.header = [f.strip() for f in first]
        else:
            verdict, why = numeric_header(first, self.sample_rows)
            if verdict == "header":
                self.header = [f.strip() for f in first]
                self.inferred.append(Inference(name, "header", why))
                self.numeric_header = True
            elif verdict == "ambiguous":
                self.pending = why

    def set_header(self, header: bool, why: str | None = None) -> None:
        """Decide whether the first row is a header (``--header``/``--no-header``, or evidence)."""
        self.pending = None
        self.numeric_header = False
        self.header_is_data = False
        self.header = [f.strip() for f in self.first_fields] if header else None
        self.inferred = [i for i in self.inferred if i.what not in ("header", "no header")]
        if why:
            self.inferred.append(Inference(self.name, "header" if header else "no header", why))

    def table_lines(self) -> int:
        """Lines from the table's first line to its last non-blank one (one pass, no parsing)."""
        newlines, tail = 0, b""
        with self._open() as stream:
            while chunk := stream.read(BLOCK):
                newlines += _count_lines(chunk)
                tail = (tail + chunk)[-PEEK:]
        content = tail.rstrip()
        return newlines - tail[len(content) :].count(b"\n") + 1 - self._head_lines

    # -- opening -------------------------------------------------------------------------------

    def _peek(self, fmt: str) -> tuple[list[str], int]:
        """The first lines of the table (after comments), and how many lines were skipped."""
        with self._open() as stream:
            data = stream.read(PEEK)
            while b"\n" not in data[-PEEK:] and (more := stream.read(PEEK)):
                data += more
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if not data.strip():
            raise InputError(self.name, "empty file; expected a table of numbers")
        text = decode(data[: data.rfind(b"\n") + 1] or data, self.name)
        check_line_ends(data, self.name)
        lines = text.split("\n")
        skipped = 0
        while lines and (not lines[0].strip() or lines[0].lstrip().startswith("#")):
            lines.pop(0)
            skipped += 1
        lines = [line.rstrip("\r") for line in lines if line.strip()]
        if not lines:
            raise InputError(self.name, "no data: only comments or blank lines")
        return lines[:21], skipped

    def split(self, line: str) -> list[str]:
        """Fields of one line."""
        line = line.rstrip("\r\n")
        if self.delimiter == " ":  # runs of blanks; quoted fields as R's write.table quotes
            if '"' not in line:
                return line.split()
            blanks = line.replace("\t", " ").strip()  # tabs are blanks too, as split() has it
            return next(csv.reader([blanks], delimiter=" ", skipinitialspace=True), [""])
        return next(csv.reader([line], delimiter=self.delimiter), [""])

    @property
    def header_line(self) -> int | None:
        """1-based line number of the header, if there is one."""
        return self._first_line_no if self.header is not None else None

    @property
    def data_line(self) -> int:
        """1-based line number of the first data row."""
        return self._first_line_no + (0 if self.header is None or self.header_is_data else 1)

    def line_of(self, row: int) -> int:
        return self.data_line + row

    def _raw_blocks(self) -> Iterator[tuple[int, bytes | memoryview]]:
        """(first data row, bytes of whole lines), from the first data line to the end."""
        with self._open() as stream:
            first = BLOCK if not self.small else SMALL + 1
            yield from line_blocks(stream, self.data_line - 1, BLOCK, first, _count_lines)

    def blocks(self, float_cols: list[int], text_cols: list[int]) -> Iterator[ParsedBlock]:
        """Parse the table block by block, keeping the given columns.

        Large inputs are parsed ahead by a few threads (pandas' C parser releases the GIL:
        two threads parse twice as fast here), and blocks come out in order.
        """
        got_any, blank_at = False, None
        for parsed in in_order(
            self._raw_blocks(),
            self._parse,
            float_cols,
            text_cols,
            threads=1 if self.small else worker_threads(),
        ):
            rows = len(parsed.floats) or any(len(t) for t in parsed.texts)
            if rows and blank_at is not None:  # a blank line, then more data
                raise self._blank_inside(blank_at)
            blank_at = blank_at or parsed.blank_at
            if rows:
                got_any = True
                yield parsed
        if not got_any:
            raise InputError(self.name, "a header but no data rows")

    def _blank_inside(self, line: int) -> InputError:
        """A blank line, then more data; in one column, a missing value (polars' null)."""
        if self.ncols != 1:
            hint = "blank lines are allowed only at the end of a file"
            return InputError(self.name, "empty line inside the table", line=line, hint=hint)
        hint = "drop the rows of missing values (for labels: or write -100, --ignore-index -100)"
        return InputError(
            self.name, "empty line: a missing value (polars' null)?", line=line, hint=hint
        )

    # -- parsers -------------------------------------------------------------------------------

    def _parse(
        self, start: int, raw: bytes | memoryview, float_cols: list[int], text_cols: list[int]
    ) -> ParsedBlock:
        """Plain numbers by the compiled parser; anything else, or any doubt, by the careful
        parsers (pure Python for small inputs, pandas for large), which say what is wrong."""
        if PLAIN and not text_cols and self.delimiter != " ":
            least = 0 if self.small else BLOCK // (2 * self.ncols) + 1
            values = _plain_numbers(raw, self.ncols, self.delimiter, self._buffers, least)
            if values is not None:
                self.parsers.add("compiled")
                if float_cols != list(range(self.ncols)):
                    values = np.ascontiguousarray(values[:, float_cols])
                return ParsedBlock(start, values, [])
        raw = bytes(raw)
        if self.small:
            return self._parse_python(start, raw, float_cols, text_cols)
        return self._parse_pandas(start, raw, float_cols, text_cols)

    def _parse_python(
        self, start: int, raw: bytes, float_cols: list[int], text_cols: list[int]
    ) -> ParsedBlock:
        self.parsers.add("python")
        lines = decode(raw, self.name, line=self.line_of(start)).split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        floats: list[list[float]] = []
        texts: list[list[str]] = [[] for _ in text_cols]
        blank_at = None
        for i, line in enumerate(lines):
            line_no = self.line_of(start + i)
            if not line.strip():
                blank_at = blank_at or line_no
                continue
            if blank_at is not None:
                raise self._blank_inside(blank_at)
            if '"' in line and line.count('"') % 2:
                raise InputError(
                    self.name,
                    "a quoted field is not closed on its line (quoted fields may not span lines)",
                    line=line_no,
                )
            if "\r" in line.rstrip("\r"):
                raise InputError(self.name, BARE_CR, line=line_no)
            fields = self.split(line)
            if len(fields) != self.ncols:
                raise self._ragged(line_no, len(fields))
            floats.append([self._number(fields[c], line_no, c) for c in float_cols])
            for out, c in zip(texts, text_cols):
                out.append(fields[c].strip())
        values = np.array(floats, dtype=np.float64).reshape(len(floats), len(float_cols))
        return ParsedBlock(start, values, [np.array(t, dtype=object) for t in texts], blank_at)

    def _parse_pandas(
        self, start: int, raw: bytes, float_cols: list[int], text_cols: list[int]
    ) -> ParsedBlock:
        try:
            import pandas as pd
        except ImportError:
            raise InputError(
                self.name,
                "reading a large, compressed or piped table that is not "
                "plain numbers needs pandas: pip install pandas",
            ) from None

        if needs_python(raw):  # a bare \r or an unclosed quote: the Python parser says where
            return self._parse_python(start, raw, float_cols, text_cols)
        # Every column is parsed (no usecols): with usecols, pandas silently drops extra
        # fields, where a row with too many fields must be an error. Unused columns: text.
        dtypes: dict = dict.fromkeys(range(self.ncols), str)
        dtypes.update(dict.fromkeys(float_cols, np.float64))
        # Before pandas 3.1 the C parser's default float converter is off by up to 3 ulp on about
        # a third of np.savetxt's %.18e values; "round_trip" parses as float() does. pandas 3.1
        # parses exactly by default and deprecates the argument.
        exact = (
            {"float_precision": "round_trip"}
            if tuple(int(v) for v in pd.__version__.split(".")[:2]) < (3, 1)
            else {}
        )
        try:
            frame = pd.read_csv(
                io.BytesIO(raw),
                header=None,
                names=range(self.ncols),
                dtype=dtypes,
                sep=r"\s+" if self.delimiter == " " else self.delimiter,
                engine="c",
                skip_blank_lines=False,
                keep_default_na=False,
                na_values=[""],
                encoding="utf-8",
                **exact,
            )
            # C order, as the kernels take it (pandas hands back the transposed layout).
            values = (
                np.ascontiguousarray(frame[float_cols].to_numpy(dtype=np.float64))
                if float_cols
                else None
            )
            texts = [frame[c].to_numpy(dtype=object) for c in text_cols]
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
            return self._parse_python(start, raw, float_cols, text_cols)
        if values is None:
            values = np.empty((len(frame), 0))
        # -inf is a number (a logit of probability 0) where the cell spells it; the checks
        # decide where it may stand. An overflow (-1e400) is refused as 1e400 is (_number):
        # only a 3-digit exponent or a 300-digit run can overflow: only such a block is re-read
        bad = np.isnan(values) | (values == np.inf)
        if (values == -np.inf).any() and re.search(_LONG_EXPONENT, raw):
            bad = ~np.isfinite(values)
        if bad.any() or any(pd.isna(t).any() for t in texts):
            return self._parse_python(start, raw, float_cols, text_cols)
        self.parsers.add("pandas")
        return ParsedBlock(start, values, texts)

    # -- messages ------------------------------------------------------------------------------

    def _number(self, text: str, line_no: int, col: int) -> float:
        value = parse_number(text)
        where: dict[str, Any] = {"line": line_no, "column": column_label(col, self.header)}
        if value is None:
            raise InputError(
                self.name,
                f"expected a number, found {describe(text)}",
                hint=number_hint(text, self.delimiter),
                **where,
            )
        spelled = text.strip().lstrip("+-").lower() in ("inf", "infinity")  # not an overflow
        if value != value or value == float("inf") or (value == -float("inf") and not spelled):
            raise InputError(
                self.name,
                f"found {text.strip()}; expected a finite number",
                hint="remove or impute the non-finite values first",
                **where,
            )
        return value

    def _ragged(self, line_no: int, found: int) -> InputError:
        sep = _NAMES[self.delimiter]
        return InputError(
            self.name,
            f"{found} fields, expected {self.ncols} like line {self._first_line_no}",
            line=line_no,
            hint=f"fields are separated by {sep}; every row needs the same count",
        )


def _plain_numbers(
    raw: bytes | memoryview,
    ncols: int,
    delimiter: str,
    buffers: Buffers | None = None,
    least: int = 0,
) -> np.ndarray | None:
    """The block as (rows, ncols) float64 when it is plain numbers, else None
    (cece/_native/parse.c: correctly rounded, the same doubles as Python's float()). A row
    takes at least 2·ncols bytes (a digit and a comma or newline a field), so ``out`` is
    sized without counting lines; its pages past the rows parsed are never touched, so they
    cost no memory. With ``buffers``, those of earlier blocks are reused once unused
    (cece/io/reuse.py); a new one has at least ``least`` rows."""
    rows = len(raw) // (2 * ncols) + 1
    out = buffers.take(rows, least) if buffers is not None else np.empty((rows, ncols))
    got = _fast.parse_plain(raw, ncols, delimiter, out)
    values = out[:got] if got >= 0 else None
    if buffers is not None:
        buffers.give(out)
    return values


def _count_lines(raw: bytes | memoryview) -> int:
    return _fast.count_byte(raw, "\n") if _fast is not None else bytes(raw).count(b"\n")
