"""One line or field of text: numbers, delimiters, headers, line ends, encodings.

The rules the text reader applies to what it sees, with the messages that say what is wrong.
"""

from __future__ import annotations

import re

from cece.errors import InputError

_NUMBERISH = r"[+-]?(?=[\d.,' ]*\d)[\d.,' ]+%?|[+-]?\d+(\.\d*)?%"


BOOLEANS = {"true": 1.0, "false": 0.0}  # pandas writes bools as True/False (get_dummies)


def parse_number(text: str) -> float | None:
    """A cell as a float, or None when it is not a plain number (no '1_000', no '0x1');
    ``True``/``False`` (any case) are 1 and 0."""
    text = text.strip()
    if not text or "_" in text:
        return None
    if text[0] in "tTfF" and text.lower() in BOOLEANS:
        return BOOLEANS[text.lower()]
    try:
        return float(text)
    except ValueError:
        return None


def looks_like_number(text: str) -> bool:
    """A cell meant as a number that is not one: '0,5', '1,234.5', '20%', '' (so a column of
    them is reported cell by cell, not taken for a column of text)."""
    text = text.strip()
    return not text or bool(re.fullmatch(_NUMBERISH, text))


def is_header(first: list[str], below: list[list[str]]) -> bool:
    """A first row is a header when it is all text, or text above a column of numbers.

    A row like ``0.1,0.2,cat`` over rows of the same shape is data (a table with a text
    column, e.g. class names), not a header.
    """
    text = [
        parse_number(f) is None
        or (_boolean(f) and any(c < len(row) and not _boolean(row[c]) for row in below))
        for c, f in enumerate(first)
    ]  # True/False above numbers are names (pandas writes bool column names so)
    if all(text):
        return True
    return any(
        is_text and any(c < len(row) and parse_number(row[c]) is not None for row in below)
        for c, is_text in enumerate(text)
    )


def _boolean(text: str) -> bool:
    return text.strip().lower() in BOOLEANS


BARE_CR = "lines end in a bare carriage return (\\r); expected \\n or \\r\\n line ends"


def check_line_ends(data: bytes, name: str) -> None:
    """Classic-Mac line ends (a lone \\r) are refused, naming the first such line."""
    cr = data.find(b"\r")
    while 0 <= cr < len(data) - 1:
        if data[cr + 1 : cr + 2] != b"\n":
            raise InputError(name, BARE_CR, line=data.count(b"\n", 0, cr) + 1)
        cr = data.find(b"\r", cr + 1)


def needs_python(raw: bytes) -> bool:
    """Whether a block holds a lone \\r or a line with an odd number of quotes (pandas would
    take either for a line break inside a field)."""
    if b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n"):
        return True
    if b'"' not in raw:
        return False
    import numpy as np  # here: the shards' listing (cece.io.shards) reads literals without it

    buf = np.frombuffer(raw, np.uint8)
    quotes = np.flatnonzero(buf == 34)
    newlines = np.flatnonzero(buf == 10)
    per_line = np.bincount(np.searchsorted(newlines, quotes), minlength=len(newlines) + 1)
    return bool((per_line % 2).any())


def json_float(text: str) -> float:
    """A JSON number with a fraction or exponent, as Python reads it (``json.loads``'
    ``parse_float``); one that overflows float64 is refused, as in text tables: ``-1e400``
    would be −inf, a masked logit, where only ``-Infinity`` spells one."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text} overflows float64")
    return value


_BARE = r"(?i)(?<![\w.\"])([-+]?)(inf|infinity|nan)(?![\w\"])"


def json_literal(text: str) -> object:
    """An inline literal as JSON reads it (numbers by :func:`json_float`), with Python's and
    numpy's spellings of the non-finite: ``[[0, -inf]]`` as ``repr`` and ``print(array)``
    write a masked logit, ``nan``, ``inf``, read as JSON's ``-Infinity``, ``NaN``,
    ``Infinity`` (only outside quotes: a literal with a quoted name is JSON as it stands).
    ``ValueError`` when it is not one."""
    import json  # here: a path is the usual argument

    try:
        return json.loads(text, parse_float=json_float)
    except ValueError:
        if '"' in text or not re.search(_BARE, text):
            raise

    def spelled(m: re.Match[str]) -> str:
        if m[2].lower() == "nan":
            return "NaN"
        return "-Infinity" if m[1] == "-" else "Infinity"

    return json.loads(re.sub(_BARE, spelled, text), parse_float=json_float)


def comma_table(lines: list[str]) -> bool:
    """Lines with no tab and the same two commas or more: a comma-separated table (not a
    one-column TSV whose values hold a decimal comma or a comma in a name)."""
    counts = {line.count(",") for line in lines if line.strip()}
    loose = any("\t" in line or ", " in line for line in lines)  # tabs, or names ("Smith, J")
    return not loose and len(counts) == 1 and counts.pop() >= 2


def r_row_names(first: list[str], rows: list[list[str]], lines: list[str]) -> bool:
    """R's ``write.table(df)``: a header of names (``first``) one field short of every sampled
    row, no cell over the row names. The rows are longer by a value at their start, not by a
    trailing delimiter (``1,2,3,``), and that value is quoted (R quotes row names), text, or
    R's default row names ``1, 2, 3, ...`` (``quote=FALSE``): a header short of its *last*
    name, over a first column of other numbers, stays a ragged-row error."""
    if not rows or all(parse_number(f) is not None for f in first):
        return False
    quoted = all(line.lstrip().startswith('"') for line in lines if line.strip())
    texts = all(parse_number(r[0]) is None for r in rows if r)
    counted = [r[0].strip() for r in rows if r] == [str(i + 1) for i in range(len(rows))]
    shape = all(len(r) == len(first) + 1 and r[-1].strip() for r in rows)
    return (quoted or texts or counted) and shape


def sniff_delimiter(line: str) -> str:
    """The delimiter of a table from its first line: tab, comma, semicolon or whitespace."""
    for delim in ("\t", ",", ";"):
        if delim in line:
            return delim
    return " "


def decode(data: bytes, name: str, line: int | None = None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = exc.start
        found = f"byte 0x{data[at]:02x} at offset {at} is not UTF-8"
        hint = "expected CSV/TSV text, .npy, .npz, .parquet or .feather"
        before = data[max(0, at - 200) : at]
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode Text" and the like
            found, hint = "UTF-16 text (its byte-order mark), not UTF-8", _resave("UTF-16", name)
        elif before and all(32 <= b < 127 or b in (9, 10, 13) for b in before):
            found += " (text in Windows-1252 or another 8-bit encoding?)"  # Excel's "CSV"
            hint = _resave("CP1252", name)
        raise InputError(name, f"not a text table: {found}", line=line, hint=hint) from None


def _resave(encoding: str, name: str) -> str:
    return (
        f'save it as UTF-8 (Excel: "CSV UTF-8"), or convert it: iconv -f {encoding} -t UTF-8 '
        f"{name} > utf8.csv"
    )


def number_hint(text: str, delimiter: str) -> str | None:
    text = text.strip()
    if "," in text and text.replace(",", "").replace(".", "").lstrip("+-").isdigit():
        whole, _, frac = text.lstrip("+-").partition(",")
        if (
            text.count(",") == 1
            and "." not in text
            and (delimiter == ";" or whole == "0" or len(frac) != 3)
        ):
            return "this looks like a decimal comma; write numbers with a decimal point"
        return "this looks like a thousands separator; write plain numbers like 1234.5"
    if text.endswith("%"):
        return "write probabilities as numbers in [0, 1]: 0.2, not 20%"
    if "_" in text:
        return "write plain numbers without underscores"
    if not text:
        return "the cell is empty"
    return None
