"""The parser's windowed fast path for short fields (cece/_native/parse.c, short_field).

Fields of the shape [+-] 1-7 digits '.' 1-8 digits are found from a mask of the field ends of
64 bytes and parsed without number(); every other field, and the last ~100 bytes of a block,
go through number(). The fast path only runs where a block has 96 bytes or more past the field,
so every table here is long. Three oracles, each able to fail on its own:

* Python's float() of each field, to the bit;
* which texts are plain numbers, from the grammar number() documents (a regular expression
  here) and float()'s range: a table parses (rows) exactly when all its fields are plain;
* the same rows parsed one at a time: short inputs never reach the fast path, so the general
  path decides them -- both paths must agree on every row, accepted or refused.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import cece._native as kernels

pytestmark = pytest.mark.skipif(kernels.PARSER is None, reason="the parser is not built here")

# [blanks] [+-] digits [. digits] | . digits, [e [+-] digits] [blanks]: parse.c's number()
PLAIN = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"


def is_plain(field: str, delimiter: str) -> bool:
    blanks = " " if delimiter == "\t" else " \t"
    core = field.strip(blanks)
    return re.fullmatch(PLAIN, core) is not None and math.isfinite(float(core))


def parse_table(text: str, ncols: int, delimiter: str) -> tuple[int, np.ndarray]:
    data = text.encode()
    out = np.full((len(data) // (2 * ncols) + 2, ncols), np.nan)
    rows = kernels.PARSER.parse_plain(data, ncols, delimiter, out)
    return rows, out[: max(rows, 0)]


def check_table(
    rows: list[list[str]], ncols: int, delimiter: str, newline: str, last_newline: bool
) -> None:
    lines = [delimiter.join(r) for r in rows]
    if lines[-1] == "" and not last_newline:  # an empty last line is the final newline
        rows, lines, last_newline = rows[:-1], lines[:-1], True
    text = newline.join(lines) + (newline if last_newline else "")
    got, out = parse_table(text, ncols, delimiter)
    plain = all(len(r) == ncols and all(is_plain(f, delimiter) for f in r) for r in rows)
    if not plain:
        assert got == -1, text
    else:
        assert got == len(rows), text
        want = np.array([[float(f) for f in r] for r in rows])
        bad = out.view(np.uint64) != want.view(np.uint64)
        assert not bad.any(), [rows[i][j] for i, j in zip(*np.nonzero(bad))]
    # the general path alone (each row under 96 bytes) decides every row the same way
    for r, line in zip(rows, lines):
        one, vals = parse_table(line + newline, ncols, delimiter)
        row_plain = len(r) == ncols and all(is_plain(f, delimiter) for f in r)
        assert one == (1 if row_plain else -1), line
        if row_plain and plain:
            assert vals[0].tobytes() == np.array([float(f) for f in r]).tobytes()


def short(draw, max_int=9, max_frac=10) -> str:
    sign = draw(st.sampled_from(["", "", "-", "+"]))
    i = draw(st.text("0123456789", min_size=0, max_size=max_int))
    f = draw(st.text("0123456789", min_size=0, max_size=max_frac))
    point = draw(st.sampled_from([".", ".", ".", ""]))
    return f"{sign}{i}{point}{f}"


@st.composite
def fields(draw) -> str:
    """Mostly the fast path's shape and its near misses; some long and subnormal numbers,
    exponents, blanks and words the parser refuses."""
    kind = draw(st.integers(0, 9))
    if kind <= 4:  # [+-] d{0,9} [.] d{0,10}: in and just outside the fast shape
        return short(draw)
    if kind == 5:  # 15 to 19 significant digits, leading zeros, exponents
        digits = draw(st.text("0123456789", min_size=15, max_size=19))
        zeros = "0" * draw(st.integers(0, 3))
        cut = draw(st.integers(0, len(digits)))
        exp = draw(st.sampled_from(["", "e5", "E-3", "e+22", "e-22", "e23", "e-330", "e300"]))
        return f"{draw(st.sampled_from(['', '-']))}{zeros}{digits[:cut]}.{digits[cut:]}{exp}"
    if kind == 6:  # subnormals and the range's ends
        mant = draw(st.integers(1, 10**17))
        exp = draw(st.integers(-345, -300) | st.integers(290, 310))
        return f"{mant}e{exp}"
    if kind == 7:  # printed doubles: %.7g of float32-like values, repr, %.17g
        x = draw(st.floats(allow_nan=False, allow_infinity=False, width=32))
        fmt = draw(st.sampled_from(["%.7g", "%.9g", "%r", "%.17g", "%.6f", "%g"]))
        return fmt % x
    if kind == 8:  # blanks around a short number
        return (
            draw(st.sampled_from([" ", "\t", ""]))
            + short(draw, 3, 8)
            + draw(st.sampled_from([" ", "\t", ""]))
        )
    # words and spellings float() may take but plain text may not
    return draw(
        st.sampled_from(
            ["inf", "-inf", "nan", "NaN", "Infinity", "1e400", "1_0.5", "0x1p3", "1.2.3", "", "-"]
        )
    )


@st.composite
def tables(draw) -> tuple[list[list[str]], int, str, str, bool]:
    ncols = draw(st.integers(1, 5))
    delimiter = draw(st.sampled_from([",", ",", "\t", ";"]))
    nrows = draw(st.integers(8, 40))
    good = draw(st.booleans())  # half the tables: only the fast shape (the common file)
    rows = []
    for _ in range(nrows):
        if good:
            rows.append([short(draw, 3, 8) for _ in range(ncols)])
        else:
            rows.append([draw(fields()) for _ in range(ncols)])
    if not good and draw(st.integers(0, 4)) == 0:  # a row one field short or long
        k = draw(st.integers(0, nrows - 1))
        rows[k] = rows[k][:-1] if draw(st.booleans()) else rows[k] + ["1.5"]
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return rows, ncols, delimiter, newline, draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(tables())
@example(([["-0.7360978", "0.00755098", "1.353598"]] * 20, 3, ",", "\n", True))
@example(([["0.07316641", "-0.0", "+5.5"]] * 20, 3, ",", "\r\n", False))
@example(([["1234567.12345678", "12345678.1", "1.123456789"]] * 20, 3, ",", "\n", True))
@example(([["1.5", "2.5"]] * 9 + [["1.5"]] + [["1.5", "2.5"]] * 9, 2, ",", "\n", True))
def test_tables(case):
    check_table(*case)


def test_float32_logits_like_the_benchmark():
    """%.7g of float32 normals (bench/run.py's CSV), 10 columns: float()'s bits."""
    rng = np.random.default_rng(1616)
    x = np.concatenate(
        [rng.standard_normal((3000, 10)), rng.standard_normal((500, 10)) * 1e-3]
    ).astype(np.float32)
    text = "\n".join(",".join(f"{v:.7g}" for v in r) for r in x) + "\n"
    got, out = parse_table(text, 10, ",")
    want = np.array([[float(f"{v:.7g}") for v in r] for r in x])
    assert got == len(x)
    assert out.tobytes() == want.tobytes()


@pytest.mark.parametrize(
    "bad",
    [
        "1.5,,2.5",
        "1.5,2.5,",
        "1.5;2.5",
        "1.5,2.5\r\r",
        "1.5,2.5\r3.5",
        "1.5,2.5\r1.5,2.5",  # a bare CR between two good rows
        "1.5, 2.5, inf",
        "1.5,2.5 x",
    ],
)
def test_a_bad_row_deep_in_a_long_table(bad):
    """A row the fast path sees after many good ones: the table is refused (-1)."""
    good = "-0.7360978,0.00755098,1.353598\n" * 50
    text = good + bad.replace("2.5", "2.5,0.25") + "\n" + good
    got, _ = parse_table(text, 3, ",")
    assert got == -1


def test_window_boundaries():
    """Fields straddling every offset of the 64-byte windows: one long column of lengths
    that cycle through 3..16 bytes, against float()."""
    texts = []
    for k in range(2000):
        n = 1 + k % 7
        f = 1 + (k // 7) % 8
        texts.append(("-" if k % 3 == 0 else "") + str(k % 10**n).zfill(n) + "." + "7" * f)
    for ncols in (1, 2, 3, 7):
        m = len(texts) // ncols * ncols
        rows = [texts[i : i + ncols] for i in range(0, m, ncols)]
        text = "\n".join(",".join(r) for r in rows) + "\n"
        got, out = parse_table(text, ncols, ",")
        assert got == len(rows)
        want = np.array([[float(t) for t in r] for r in rows])
        assert out.tobytes() == want.tobytes()


def test_count_byte():
    """Newlines of a block (the SSE2 count), against bytes.count, at every alignment and
    across the 255-step flush of the byte counters."""
    rng = np.random.default_rng(7)
    data = bytes(rng.choice(np.frombuffer(b"\n,0123456789", np.uint8), 20000).tolist())
    for start in range(40):
        for stop in (start, start + 1, start + 15, start + 16, start + 17, 4096 + 5, 20000):
            part = memoryview(data)[start:stop]
            assert kernels.PARSER.count_byte(part, "\n") == bytes(part).count(b"\n")
    assert kernels.PARSER.count_byte(b"\n" * 70000, "\n") == 70000
    assert kernels.PARSER.count_byte(b"\xff" * 5000 + b"\n", "\n") == 1


def test_long_rows_then_short_rows():
    """Rows of %.18e send the next 64 rows to the general path, then the window is tried
    again: long, short and alternating stretches, in every order, against float()."""
    rng = np.random.default_rng(64)
    x = rng.standard_normal((700, 4))
    kinds = ["%.18e"] * 100 + ["%.7g"] * 150 + ["%.18e", "%.6f"] * 100 + ["%.17g"] * 70
    kinds += ["%.7g"] * 70 + ["%.7g", "%.7g", "%.18e"] * 70
    lines = [",".join(k % v for v in row) for k, row in zip(kinds, x)]
    text = "\n".join(lines) + "\n"
    got, out = parse_table(text, 4, ",")
    want = np.array([[float(f) for f in line.split(",")] for line in lines])
    assert got == len(lines) == 700
    assert out.tobytes() == want.tobytes()
    bad = text.replace(lines[650], lines[650] + ",1.5")  # a long field after a skip: refused
    assert parse_table(bad, 4, ",")[0] == -1


@pytest.mark.parametrize("rows", [2, 100_000], ids=["small", "pandas-sized"])
def test_an_overflowing_negative_number_is_refused_and_a_spelled_inf_is_a_logit(tmp_path, rows):
    """-1e400 overflows float64 to -inf, which cece takes for a masked logit only where the
    cell spells it (-inf, -Infinity); as 1e400, an overflow is refused at its line."""
    from conftest import run_cece

    body = "".join(f"{i % 7}.5,{i % 5}.25,{i % 3}.0\n" for i in range(rows - 1))
    huge = "-1" + "0" * 330 + ".0"  # overflows without an exponent
    cases = (("-inf", True), ("-Infinity", True), ("-1e400", False), ("-1E+999", False))
    for cell, ok in (*cases, (huge, False)):
        path = tmp_path / "x.csv"
        path.write_text("a,b,c\n" + body + f"1.0,{cell},2.0\n")
        labels = tmp_path / "y.npy"
        np.save(labels, np.zeros(rows, np.int64))
        run = run_cece("categorical", path, labels, "--from", "logits", "-q")
        if ok:
            assert run.code == 0, run.err
        else:
            assert run.code == 2 and run.out == ""
            assert run.error_line() == (
                f"cece: error: {path}: line {rows + 1}, column 1 ('b'): found {cell}; "
                "expected a finite number"
            )
