"""The compiled plain-text parser (cece/_native/parse.c) gives Python's float() to the bit.

Three paths meet here: Clinger's fast path (short numbers), Eisel-Lemire (np.savetxt's %.18e,
repr, 17-digit dumps; its table cece/_native/pow5.h is checked against its generator) and
strtod (more than 19 significant digits whose truncation matters). Every case compares the
parser's float64 bits with float() of the same text; values float() overflows to inf must be
refused (-1: "not plain", the careful parser then names the line and column).
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cece._native as kernels
from cece._native import gen_pow5

pytestmark = pytest.mark.skipif(kernels.PARSER is None, reason="the parser is not built here")

DATA = Path(__file__).parent / "data" / "parse"


def parse(texts: list[str], delimiter: str = ",", ncols: int = 1) -> tuple[int, np.ndarray]:
    """(rows parsed or -1, the values) of numbers one a line (or ncols a line)."""
    rows = [delimiter.join(texts[i : i + ncols]) for i in range(0, len(texts), ncols)]
    out = np.full((len(rows), ncols), np.nan)
    got = kernels.PARSER.parse_plain(("\n".join(rows) + "\n").encode(), ncols, delimiter, out)
    return got, out.ravel()


def assert_as_float(texts: list[str]) -> None:
    """Each text parses alone to float()'s bits, or to -1 where float() overflows; all the
    finite ones together parse in one block to the same bits."""
    finite = [t for t in texts if math.isfinite(float(t))]
    for t in texts:
        got, out = parse([t])
        if t not in finite:
            assert got == -1, t
            continue
        assert got == 1, t
        assert out[0].tobytes() == np.float64(float(t)).tobytes(), (t, out[0].hex(), float(t).hex())
    if finite:
        got, out = parse(finite)
        want = np.array([float(t) for t in finite])
        assert got == len(finite)
        assert (out.view(np.uint64) == want.view(np.uint64)).all()


def test_pow5_table_is_what_its_generator_writes():
    assert gen_pow5.HEADER.read_text() == gen_pow5.render()


def test_pow5_table_by_definition():
    """5**q's leading 128 bits for q >= 0; for q < 0 within one unit of 2**B / 5**-q."""
    for q in (-342, -300, -28, -27, -1, 0, 1, 27, 28, 200, 308):
        c = gen_pow5.power_of_five_128(q)
        assert 1 << 127 <= c < 1 << 128
        if q >= 0:
            exact = 5**q
            shift = exact.bit_length() - 128
            assert c == (exact >> shift if shift >= 0 else exact << -shift)
        else:
            p, n = 5**-q, (c * 5**-q).bit_length()
            assert any(abs(c * p - (1 << b)) <= p for b in (n - 1, n))


def doubles() -> st.SearchStrategy[float]:
    return st.floats(allow_nan=False, allow_infinity=False) | st.builds(
        lambda bits: struct.unpack("<d", struct.pack("<Q", bits))[0],
        st.integers(0, (0x7FF << 52) - 1),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(doubles(), min_size=1, max_size=40), st.booleans())
def test_printed_doubles(values, negate):
    values = [-v if negate else v for v in values]
    texts = [f % v for v in values for f in ("%.17g", "%.18e", "%.16e", "%r", "%.7g", "%.25e")]
    assert_as_float(texts)
    for t, v in zip(texts[::6], values):  # and %.17g round-trips
        assert float(t) == v


DIGITS = st.text("0123456789", min_size=1, max_size=30)


@st.composite
def digit_strings(draw) -> str:
    digits = draw(DIGITS)
    point = draw(st.integers(-1, len(digits)))
    mantissa = digits if point < 0 else digits[:point] + "." + digits[point:]
    if mantissa == ".":
        mantissa = "0."
    exponent = draw(st.integers(-360, 330) | st.integers(-9999, 9999))
    sign = draw(st.sampled_from(["", "-", "+"]))
    return f"{sign}{mantissa}e{exponent}" if draw(st.booleans()) else f"{sign}{mantissa}"


@settings(max_examples=400, deadline=None)
@given(st.lists(digit_strings(), min_size=1, max_size=30))
def test_digit_strings(texts):
    assert_as_float(texts)


@st.composite
def midpoints(draw) -> str:
    """A tie between two neighbouring doubles written out exactly (round half to even), or a
    digit away from it: the cases a truncated product gets wrong."""
    from decimal import Decimal, localcontext

    x = abs(draw(doubles()))
    if x == 1.7976931348623157e308:
        x = math.nextafter(x, 0)
    y = math.nextafter(x, math.inf)
    with localcontext() as ctx:
        ctx.prec = 1200
        mid = (Decimal(x) + Decimal(y)) / 2
        nudge = draw(st.sampled_from([0, 1, -1]))
        text = format(mid, "e")
        if nudge:
            digits = draw(st.integers(17, 40))
            text = format(mid + nudge * mid.scaleb(-digits), f".{digits + 2}e")
    return text


@settings(max_examples=300, deadline=None)
@given(st.lists(midpoints(), min_size=1, max_size=10))
def test_midpoints(texts):
    assert_as_float(texts)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(2**49, 2**66), min_size=1, max_size=20), st.booleans())
def test_ties_with_few_digits(ints, scientific):
    """Midpoints of doubles above 2**49 have at most 20 digits and end in 5 or are integers:
    Eisel-Lemire's round-to-even branch, and 19-digit truncation."""
    from decimal import Decimal

    texts = []
    for i in ints:
        x = float(i)
        mid = (Decimal(x) + Decimal(math.nextafter(x, math.inf))) / 2
        texts.append(format(mid.normalize(), "e") if scientific else format(mid, "f"))
    assert_as_float(texts)


NAMED = [
    "9007199254740993",  # 2**53 + 1: a tie, to even (2**53)
    "9007199254740995",
    "9007199254740993.0000000000000000001",
    "2.2250738585072011e-308",  # below the smallest normal
    "2.2250738585072012e-308",
    "2.2250738585072014e-308",  # the smallest normal
    "2.225073858507201136e-308",
    "1.7976931348623157e308",  # the largest double
    "1.7976931348623158e308",  # rounds down to it
    "1.7976931348623158079e308",
    "1.7976931348623158080e308",  # and just above: inf, refused
    "1.7976931348623159e308",
    "4.9406564584124654e-324",  # the smallest subnormal
    "2.4703282292062327e-324",  # just below half of it: 0
    "2.4703282292062328e-324",  # just above: the smallest subnormal
    "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991"
    "818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392"
    "290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769"
    "269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374"
    "006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968"
    "951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386"
    "591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995"
    "657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145"
    "437693412532098591327667236328125e-324",  # exactly half of it: a tie, to even (0)
    "4.9406564584124654e-324",
    "1e-400",
    "0.000000000000000000000000000000000000001e-300",
    "1e23",
    "8.98846567431158e307",
    "123456789012345678901234567890",
    "0.1",
    "-0.0",
    "+5",
]


def test_named_cases():
    assert_as_float(NAMED)


def load(name: str) -> list[str]:
    lines = (DATA / name).read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize("name", ["fast_float_cases.txt", "go_cases.txt"])
def test_reference_suites(name):
    cases = load(name)
    assert len(cases) > 90
    assert_as_float(cases)


def test_long_digit_runs():
    """Go's atof_test.go: a tie you see only at the 10 000th digit, and 4000 digits."""
    tie = "1.00000000000000011102230246251565404236316680908203125"
    assert_as_float([tie + "0" * 10000 + "1", tie + "0" * 10000, "2." + "2" * 4000 + "e+1"])


def test_columns_and_signs():
    """Long numbers in columns, with blanks, CRLF, signs; the same bits as float()."""
    values = np.random.default_rng(16).standard_normal(60) * 10.0 ** np.arange(-30, 30)
    texts = [f"{v:.18e}" if i % 2 else repr(float(v)) for i, v in enumerate(values)]
    line = " , ".join(texts[:6])
    got, out = parse(texts, ",", 6)
    assert got == 10
    assert (out == values).all()
    out = np.empty((1, 6))
    assert kernels.PARSER.parse_plain((line + "\r\n").encode(), 6, ",", out) == 1
    assert (out[0] == values[:6]).all()


@pytest.mark.parametrize(
    "text",
    [
        "1e",
        "1e+",
        ".",
        "-",
        "+-1",
        "1.2.3",
        "0x10",
        "1_000",
        "nan",
        "inf",
        "1e400",
        "-1e400",
        "1 2",
    ],
)
def test_not_plain(text):
    """Anything but a plain finite number: -1, the careful parsers report it."""
    got, _ = parse([text])
    assert got == -1


def test_numpy_twin_declines():
    """The numpy twin parses nothing itself: the careful parsers read every block."""
    from cece._native import _numpy

    assert _numpy.parse_plain(b"1.5\n", 1, ",", np.empty((1, 1))) == -1


def test_a_large_file_through_the_text_reader(tmp_path, monkeypatch):
    """A 17-digit CSV over 1 MiB (mapped, cut in 64 KiB blocks, parsed on threads): every
    value is float()'s, and the compiled parser read it."""
    from cece.io import lineblocks, text
    from cece.io.compression import opener

    monkeypatch.setattr(text, "BLOCK", 1 << 16)
    real_cut, mapped = lineblocks._cut, []

    def cut(*args):
        mapped.append(args[2])
        return real_cut(*args)

    monkeypatch.setattr(lineblocks, "_cut", cut)

    rng = np.random.default_rng(1616)
    values = rng.standard_normal((12_000, 5)) * 10.0 ** rng.integers(-300, 300, (12_000, 5))
    path = tmp_path / "long.csv"
    np.savetxt(path, values, delimiter=",")  # %.18e
    table = text.TextTable(path.name, opener(path, None), fmt="csv", size=path.stat().st_size)
    assert not table.small and table.header is None
    got = np.concatenate([b.floats for b in table.blocks(list(range(5)), [])])
    lines = path.read_text().split()
    want = np.array([[float(f) for f in line.split(",")] for line in lines])
    assert got.shape == want.shape == values.shape
    assert (got.view(np.uint64) == want.view(np.uint64)).all()
    assert (got == values).all()  # %.18e round-trips float64
    assert table.parsers == {"compiled"}
    assert mapped == [1 << 16]
