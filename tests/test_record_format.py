"""The compiled record formatter (cece/_native/records.c) against Python's own text.

Floats: ``float_repr`` (Ryu's shortest digits, laid out as repr) equals ``repr`` byte for byte
over random float64 bit patterns (every exponent, subnormals), integer-valued floats, short
decimals (``0.1 + 0.2``), and the layout's boundaries (1e16 and 1e-4, where repr switches
between positional and exponent notation). Whole outputs: the records ``RecordWriter`` and
``JsonSamples`` write through the formatter equal those of the Python path (``FORMAT = None``)
byte for byte, for JSONL, CSV and ``-f json --samples``, with names (escapes, non-ASCII,
quotes, commas), nulls, inf/nan, -0.0, booleans and float32 columns; and so does the CLI.
"""

from __future__ import annotations

import io
import json
import math
import struct

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cece._native import PARSER
from cece.report import records

FORMAT = getattr(PARSER, "format_records", None)
pytestmark = pytest.mark.skipif(FORMAT is None, reason="the extension was not built")

BOUNDARIES = [
    1e16,
    9999999999999998.0,
    1e-4,
    9.999999999999999e-05,
    0.1 + 0.2,
    5e-324,
    2.2250738585072014e-308,
    2.225073858507201e-308,
    1.7976931348623157e308,
    2.0**53,
    2.0**53 + 2,
    2.0**63,
    123456789012345680.0,
    1e22,
    1e23,
    0.3,
    2.0 / 3.0,
    100.0,
]


def _bits(b: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def _near(x: float) -> list[float]:
    return [math.nextafter(x, -math.inf), x, math.nextafter(x, math.inf)]


finite_bits = st.integers(0, 2**64 - 1).map(_bits).filter(math.isfinite)
short_decimals = st.builds(
    lambda m, k: m / 10.0**k, st.integers(-(10**9), 10**9), st.integers(0, 30)
)
integers = st.integers(-(2**70), 2**70).map(float)
boundaries = st.sampled_from([y for x in BOUNDARIES for y in _near(x) if math.isfinite(y)])
any_finite = st.one_of(
    finite_bits,
    short_decimals,
    integers,
    boundaries,
    st.floats(allow_nan=False, allow_infinity=False),
)


@settings(max_examples=3000, deadline=None)
@given(any_finite)
@example(-0.0)
@example(0.0)
def test_float_repr_is_repr(x):
    x = x + 0.0  # as the records write it: no "-0.0"
    assert PARSER.float_repr(x) == repr(x)


def test_float_repr_bulk():
    """10⁶ random bit patterns (all exponents, both signs) through format_records."""
    rng = np.random.default_rng(16)
    x = rng.integers(0, 2**64, 10**6, dtype=np.uint64, endpoint=False).view(np.float64)
    x = x[np.isfinite(x)] + 0.0
    x = np.concatenate(
        [x, np.array([y for b in BOUNDARIES for y in _near(b) if math.isfinite(y)]), -x[:1000]]
    )
    text = FORMAT([b""], [x], "f", b"\n", True).decode()
    assert text.split("\n")[:-1] == list(map(repr, x.tolist()))


def _python(monkeypatch):
    monkeypatch.setattr(records, "FORMAT", None)


def _written(fmt: str, blocks: list[dict], compiled: bool) -> str:
    with pytest.MonkeyPatch.context() as m:
        if not compiled:
            _python(m)
        out = io.StringIO()
        if fmt == "json":
            writer = records.JsonSamples(out, "categorical", lambda: list(blocks[0]))
        else:
            writer = records.RecordWriter(out, fmt)
        for b in blocks:
            writer(b)
        return out.getvalue()


NAMES = [
    "cat",
    "dog",
    "pig",
    'say "hi"',
    "a,b",
    "line\nbreak",
    "tab\t\\",
    "été",
    "😀",
    "\x7f\x01",
    "",
]
float_values = st.one_of(
    any_finite, st.sampled_from([math.inf, -math.inf, math.nan, -0.0, 0.0, 1e300])
)

float32_values = st.one_of(
    st.floats(width=32), st.sampled_from([math.inf, -math.inf, math.nan, -0.0, 1e-45])
)


@st.composite
def blocks(draw):
    """Record blocks as the tasks make them: an index, floats (some nullable), ints, names,
    booleans; a few blocks, each a few records."""
    n_blocks = draw(st.integers(1, 3))
    fields = ["index", "loss", "target", "target_class", "p_target", "ignored", "weight"]
    if draw(st.booleans()):
        fields.remove("target_class")
    if draw(st.booleans()):
        fields.remove("ignored")
    out, start = [], 0
    for _ in range(n_blocks):
        n = draw(st.integers(1, 6))
        names = draw(st.lists(st.sampled_from([*NAMES, None]), min_size=n, max_size=n))
        rec = {
            "index": np.arange(start, start + n),
            "loss": np.array(draw(st.lists(float_values, min_size=n, max_size=n))),
            "target": np.array(
                draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n))
            ),
            "target_class": np.array(names, dtype=object),
            "p_target": np.array(draw(st.lists(float_values, min_size=n, max_size=n))),
            "ignored": np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
            "weight": np.array(
                draw(st.lists(float32_values, min_size=n, max_size=n)), dtype=np.float32
            ),
        }
        out.append({k: rec[k] for k in fields})
        start += n
    return out


@settings(max_examples=300, deadline=None)
@given(blocks(), st.sampled_from(["jsonl", "csv", "json"]))
def test_outputs_equal_the_python_path(blocks_, fmt):
    compiled = _written(fmt, blocks_, True)
    assert compiled == _written(fmt, blocks_, False)


def test_writer_reads_back(monkeypatch):
    """The compiled text is what it claims: JSON lines and CSV a reader parses to the values."""
    rec = {
        "index": np.arange(3),
        "loss": np.array([0.1 + 0.2, math.inf, -0.0]),
        "target": np.array([0, -100, 2]),
        "target_class": np.array(["été", None, 'a,"b"'], dtype=object),
        "p_target": np.array([0.5, math.nan, 1e-300]),
    }
    out = io.StringIO()
    records.RecordWriter(out, "jsonl")(rec)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0] == {
        "index": 0,
        "loss": 0.30000000000000004,
        "target": 0,
        "target_class": "été",
        "p_target": 0.5,
    }
    assert (
        lines[1]["loss"] == "inf"
        and lines[1]["p_target"] is None
        and lines[1]["target_class"] is None
    )
    assert lines[2]["loss"] == 0.0 and lines[2]["target_class"] == 'a,"b"'
    assert out.getvalue().isascii()
    out = io.StringIO()
    records.RecordWriter(out, "csv")(rec)  # the quoted cell: the chunk goes the Python way
    assert out.getvalue().splitlines()[3] == '2,0.0,2,"a,""b""",1e-300'


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json"])
def test_byte_stream(monkeypatch, encoding, fmt):
    """Bytes go straight to the stream under a UTF-8 text stream; any other encoding gets text:
    the file reads the same either way, mixed with what was written as text before."""
    rec = {
        "index": np.arange(4),
        "loss": np.array([1.5, 2.0, 1e-7, 3e20]),
        "target_class": np.array(["été", "x", None, "y"], dtype=object),
        "p_target": np.array([0.25, math.nan, 1.0, 0.5]),
    }

    def run(compiled: bool) -> bytes:
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding=encoding, newline="", write_through=False)
        with monkeypatch.context() as m:
            if not compiled:
                _python(m)
            out.write("before\n")
            if fmt == "json":
                writer = records.JsonSamples(out, "categorical", lambda: list(rec))
            else:
                writer = records.RecordWriter(out, fmt)
            writer(rec)
            writer(rec)
            out.write("after\n")
        out.flush()
        return raw.getvalue()

    assert (records._byte_stream(io.TextIOWrapper(io.BytesIO(), encoding=encoding)) is None) == (
        encoding != "utf-8"
    )
    assert run(True) == run(False)


def test_declined_objects():
    """An object the formatter does not take (an int among names) leaves the chunk to Python."""
    rec = {
        "index": np.arange(2),
        "loss": np.array([1.0, 2.0]),
        "target_class": np.array(["a", 7], dtype=object),
    }
    for fmt in ("jsonl", "csv"):
        out = io.StringIO()
        records.RecordWriter(out, fmt)(rec)
        assert out.getvalue() == _written(fmt, [rec], False)


def test_large_chunks():
    """More records than one chunk: the same text, in order."""
    n = records.RecordWriter.CHUNK * 2 + 17
    rng = np.random.default_rng(3)
    rec = {
        "index": np.arange(n),
        "loss": rng.exponential(2.0, n),
        "target": rng.integers(0, 10, n),
        "predicted": rng.integers(0, 10, n),
        "p_target": np.where(rng.random(n) < 0.01, np.nan, rng.random(n)),
    }
    for fmt in ("jsonl", "csv", "json"):
        assert _written(fmt, [rec], True) == _written(fmt, [rec], False)


CASES = [
    ["categorical", "sample_data/catdogpig_logits.csv", "sample_data/catdogpig_labels.csv"],
    ["categorical", "[[0,1],[1,0],[0.5,0.5]]", "[0,0,1]", "--from", "probs", "--eps", "0"],  # inf
    ["categorical", "[[1,2,3],[2,4,6],[0,0,0]]", "[0,-100,2]", "--ignore-index", "-100"],  # null
    ["categorical", "[[1,2,3],[2,4,6]]", "[[0.2,0.3,0.5],[0,0,1]]", "--label-smoothing", "0.1"],
    ["categorical", "[[1,2,3],[2,4,6]]", "[0,2]", "--top-k", "2", "--weight", "1,2,3"],
    ["binary", "[[0.1,3],[-2,1e-9],[40,-0.0]]", "[[0,1],[1,1],[0,0]]"],
    ["binary", "[0.1,0.9,1e-20]", "[0,1,1]", "--from", "probs", "--elementwise"],
    [
        "compare",
        "sample_data/catdogpig_logits.csv",
        "sample_data/soft_probs.csv",
        "sample_data/catdogpig_labels.csv",
        "--baseline-from",
        "logits",
        "--candidate-from",
        "probs",
    ],
]


FORMATS = [["-f", "jsonl"], ["-f", "csv"], ["-f", "json", "--samples"]]


@pytest.mark.parametrize(
    "args, fmt",
    [(a, f) for a in CASES for f in FORMATS if not (a[0] == "compare" and "--samples" in f)],
)  # compare has no --samples
def test_cli_equal_the_python_path(cece, monkeypatch, args, fmt):
    compiled = cece(*args, *fmt)
    assert compiled.code == 0, compiled.err
    _python(monkeypatch)
    python = cece(*args, *fmt)
    assert compiled.out == python.out
    if "json" in fmt:
        json.loads(compiled.out)


def test_cli_binary_and_output_file(cece, tmp_path):
    """`binary` records, and -o FILE (a UTF-8 file: the byte path) holding what stdout shows."""
    args = ["binary", "[[0.1,3],[-2,1e-9],[40,-0.0]]", "[[0,1],[1,1],[0,0]]"]
    for fmt in ("jsonl", "csv"):
        shown = cece(*args, "-f", fmt)
        path = tmp_path / f"out.{fmt}"
        assert cece(*args, "-f", fmt, "-o", path).code == 0
        assert path.read_text(encoding="utf-8") == shown.out
