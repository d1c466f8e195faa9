"""Fuzzing: random bytes, CSV-like text and .npy files thrown at every computing command.

Whatever the input, ``cece categorical|binary|kl|entropy`` must either compute (exit 0, a JSON
document whose loss is a number ≥ 0 — or, for kl, slightly below 0 or with a warning when
P's rows do not sum to 1 — or one of the documented strings "inf"/"nan") or refuse
(exit 2, nothing on standard output, one ``cece: error:`` line and at most one hint) — never a
traceback, never exit 1 or 3, never a file written, and within the Hypothesis deadline.

The inputs: (a) arbitrary bytes under various file names, as predictions and as labels;
(b) CSV-like text — random cells (numbers of every form, blanks, quotes, separators, 'nan',
words, unicode), random headers, BOMs, CRLF, comments, blank lines — both wholly random and as
valid tables with a few mutations, through both text parsers; (c) .npy files with random dtypes,
shapes, orders and versions, truncated or padded, with random header bytes flipped.

``CECE_FUZZ_EXAMPLES`` sets the examples per test (default 150, a few seconds each; CI runs are
derandomized so they are repeatable). For a long run:
``CECE_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py -p no:cacheprovider``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cece.io.text

from conftest import run_cece

EXAMPLES = int(os.environ.get("CECE_FUZZ_EXAMPLES", "150"))
LONG = "CECE_FUZZ_EXAMPLES" in os.environ
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=2000,  # ms per example
    derandomize=not LONG,  # CI: the same examples every run; long runs explore
    database=None,  # write nothing into the work tree
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    print_blob=True,
)
HANG = 30  # seconds: an example running this long is a hang, whatever the deadline says
COMMANDS = ("categorical", "binary", "kl", "entropy")


class Hang(BaseException):
    """Raised by the alarm; a BaseException so that cece's exit-3 handler does not catch it."""


@contextlib.contextmanager
def time_limit(seconds: int):
    def _alarm(signum, frame):
        raise Hang(f"cece ran for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def workdir():
    """A fresh directory as the working directory and TMPDIR; fails if a file appears in it."""
    old_cwd, old_tmp, old_env = os.getcwd(), tempfile.tempdir, os.environ.get("TMPDIR")
    with tempfile.TemporaryDirectory(prefix="cece-fuzz-") as top:
        work, scratch = Path(top, "work"), Path(top, "tmp")
        work.mkdir()
        scratch.mkdir()
        os.chdir(work)
        tempfile.tempdir, os.environ["TMPDIR"] = str(scratch), str(scratch)
        try:
            yield work
            assert not any(scratch.iterdir()), f"files left in TMPDIR: {list(scratch.iterdir())}"
        finally:
            os.chdir(old_cwd)
            tempfile.tempdir = old_tmp
            if old_env is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = old_env


@contextlib.contextmanager
def text_parser(pandas: bool):
    """Small inputs go through pandas too when ``pandas`` (as files over 1 MiB would)."""
    old = cece.io.text.SMALL
    cece.io.text.SMALL = 0 if pandas else old
    try:
        yield
    finally:
        cece.io.text.SMALL = old


def run_checked(args: list[str], work: Path, *, stdin: bytes | None = None, pandas: bool = False):
    """Run cece and assert the outcome is a result or a well-formed input error."""
    before = sorted(p.name for p in work.iterdir())
    with text_parser(pandas), time_limit(HANG):
        run = run_cece(*args, "-f", "json", stdin=stdin)
    shown = f"cece {' '.join(args)}\nexit {run.code}\nstderr: {run.err}\nstdout: {run.out[:500]}"
    assert "Traceback" not in run.err, shown
    assert run.code in (0, 2), shown
    assert sorted(p.name for p in work.iterdir()) == before, "cece wrote a file\n" + shown
    if run.code == 2:
        run.error_line()  # exit 2, empty stdout, one error line, at most one hint
        return run
    assert not any(line.startswith("cece: error") for line in run.err_lines), shown
    doc = json.loads(run.out)
    loss = doc["loss"]
    if doc["reduction"] == "none":
        assert loss is None, shown
        loss = doc["stats"]["mean"]
    assert loss in ("inf", "nan") or isinstance(loss, (int, float)), shown
    if isinstance(loss, (int, float)):
        assert math.isfinite(loss), shown
        if args[0] == "kl" and loss < 0:
            # KL of rows used as given: P rows that do not sum to 1 can give KL < 0; cece warns
            # then, except within the 1e-3 tolerance of --from auto's kind detection.
            assert loss >= -1e-3 or "cece: warning:" in run.err, shown
        else:
            assert loss >= -1e-9, shown
    return run


@pytest.fixture(scope="module", autouse=True)
def fast_cli():
    """Build cece's Click command tree once: Typer rebuilds it on every call (~30 ms, most of an
    example's time). Only the speed changes: main() and the commands run as they are."""
    import typer.main

    built = {}
    original = typer.main.get_command

    def cached(app):
        if id(app) not in built:
            built[id(app)] = (app, original(app))
        return built[id(app)][1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(typer.main, "get_command", cached)
        yield


@pytest.fixture(scope="module", autouse=True)
def warm_imports(fast_cli):
    """Import what cece imports lazily (pandas among it) before any deadline is measured."""
    with workdir() as work:
        Path(work, "w.csv").write_text("0.2,0.8\n0.6,0.4\n")
        for pandas in (False, True):
            run_checked(["categorical", "w.csv", "[1,0]"], work, pandas=pandas)
            run_checked(["binary", "w.csv", "w.csv"], work, pandas=pandas)
            run_checked(["kl", "w.csv", "w.csv"], work, pandas=pandas)


# -- strategies ------------------------------------------------------------------------------

NAMES = st.sampled_from(
    [
        "in.csv",
        "in.tsv",
        "in.txt",
        "in",
        "in.csv.gz",
        "in.npy",
        "in.npz",
        "in.json",
        "in.parquet",
        "in.csv.bz2",
        "in.csv.xz",
    ]
)
WORDS = [
    "",
    " ",
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1e-400",
    "0x10",
    "1_000",
    "1,5",
    "1.000,5",
    "0,5",
    '"0.5"',
    '"',
    "'",
    '""',
    "label",
    "target",
    "cat",
    "dog",
    "y",
    "#",
    "%",
    "20%",
    "é",
    "𝟙",
    "١٢",
    "\u00a0",
    "\u22121",
    "+.5",
    "5.",
    ".",
    "-",
    "+",
    "-0",
    "00",
    "1e",
    "e5",
    "--1",
    "true",
    "None",
    "null",
    "\x00",
    "\ufeff",
    " 1 ",
    "1 2",
    "2.5",
    "-100",
    "999999999999999999999",
]
NUMBER = st.one_of(
    st.integers(-3, 5).map(str),
    st.floats(-50, 50, allow_nan=False).map(lambda x: repr(round(x, 3))),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(0, 1).map(repr),
)
TEXT = st.text(st.characters(codec="utf-8"), max_size=5)  # line breaks of all kinds too
CELL = st.one_of(NUMBER, NUMBER, st.sampled_from(WORDS), TEXT)
SEP = st.sampled_from([",", ",", ";", "\t", " ", ", ", "|"])
EOL = st.sampled_from(["\n", "\n", "\r\n", "\r"])


@st.composite
def random_table(draw) -> str:
    """Wholly random CSV-like text: random cells, widths, separators, line ends, extras."""
    sep, eol = draw(SEP), draw(EOL)
    width = draw(st.integers(1, 5))
    rows = draw(
        st.lists(
            st.lists(CELL, min_size=0, max_size=width + 1).map(sep.join), min_size=0, max_size=8
        )
    )
    if draw(st.booleans()):
        rows.insert(
            0,
            sep.join(
                draw(
                    st.lists(
                        st.sampled_from(["a", "b", "cat", "label", "", "x y", "é", '"q"', "1"]),
                        min_size=1,
                        max_size=width,
                    )
                )
            ),
        )
    text = eol.join(rows) + draw(st.sampled_from(["", eol, eol * 3]))
    if draw(st.booleans()):
        text = "# comment" + eol + text
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


@st.composite
def matrix(draw, rows: int, cols: int, kind: str) -> np.ndarray:
    if kind == "probs":
        raw = draw(st.lists(st.floats(0.001, 1), min_size=rows * cols, max_size=rows * cols))
        arr = np.array(raw).reshape(rows, cols)
        return arr / arr.sum(axis=1, keepdims=True) if cols > 1 else arr
    raw = draw(st.lists(st.floats(-30, 30), min_size=rows * cols, max_size=rows * cols))
    return np.array(raw).reshape(rows, cols)


MUTATIONS = st.sampled_from(
    [
        "cell",
        "drop-cell",
        "add-cell",
        "blank-line",
        "drop-line",
        "dup-line",
        "quote",
        "header",
        "nothing",
    ]
)


def to_csv(arr: np.ndarray, sep: str = ",", header: list[str] | None = None) -> list[str]:
    lines = [sep.join(header)] if header else []
    return lines + [sep.join(repr(float(v)) for v in row) for row in arr]


@st.composite
def mutated(draw, lines: list[str], sep: str) -> str:
    """A valid table (as lines) with up to three random mutations."""
    lines = list(lines)
    for op in draw(st.lists(MUTATIONS, max_size=3)):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        cells = lines[i].split(sep)
        j = draw(st.integers(0, len(cells) - 1))
        if op == "cell":
            cells[j] = draw(CELL)
        elif op == "drop-cell" and len(cells) > 1:
            del cells[j]
        elif op == "add-cell":
            cells.insert(j, draw(CELL))
        elif op == "quote":
            cells[j] = f'"{cells[j]}"'
        elif op == "blank-line":
            lines.insert(i, "")
            continue
        elif op == "drop-line":
            del lines[i]
            continue
        elif op == "dup-line":
            lines.insert(i, lines[i])
            continue
        elif op == "header":
            lines.insert(
                0,
                sep.join(
                    draw(st.sampled_from(["a", "b", "cat", "label", "cat", ""])) for _ in cells
                ),
            )
            continue
        lines[i] = sep.join(cells)
    eol = draw(EOL)
    text = eol.join(lines) + eol
    return text


@st.composite
def near_valid_case(draw) -> tuple[list[str], dict[str, str]]:
    """A command with tables that are valid or nearly so, and a few options."""
    command = draw(st.sampled_from(COMMANDS))
    n, k = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["logits", "probs"]))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(
        st.one_of(
            st.none(),
            st.just([f"c{i}" for i in range(k)]),
            st.just(["cat", "dog", "pig", "cow"][:k]),
        )
    )
    preds = draw(mutated(to_csv(draw(matrix(n, k, kind)), sep, header), sep))
    files = {"p.csv": preds}
    args = [command, "p.csv"]
    if command == "categorical":
        labels = draw(
            st.one_of(
                st.lists(st.integers(-2, k + 1), min_size=n, max_size=n).map(
                    lambda v: [str(x) for x in v]
                ),
                st.lists(
                    st.sampled_from(["cat", "dog", "pig", "cow", "emu"]), min_size=n, max_size=n
                ),
                st.builds(
                    lambda m: [",".join(repr(float(x)) for x in row) for row in m],
                    matrix(n, k, "probs"),
                ),
            )
        )
        files["l.csv"] = draw(mutated(labels, ","))
        args.append("l.csv")
    elif command == "binary":
        targets = draw(
            st.lists(
                st.lists(st.sampled_from([0.0, 1.0, 0.3, 1.5, -0.5]), min_size=k, max_size=k),
                min_size=n,
                max_size=n,
            )
        )
        files["t.csv"] = draw(mutated([",".join(repr(x) for x in row) for row in targets], ","))
        args.append("t.csv")
    elif command == "kl":
        files["q.csv"] = draw(mutated(to_csv(draw(matrix(n, k, "probs")), sep, header), sep))
        args.append("q.csv")
    options = {
        "categorical": [
            ["--from", "probs"],
            ["--from", "log-probs"],
            ["--from", "logits"],
            ["-r", "none"],
            ["-r", "sum"],
            ["--eps", "0"],
            ["--label-smoothing", "0.1"],
            ["--ignore-index", "-1"],
            ["--weight", ",".join(["1"] * k)],
            ["--renormalize"],
            ["--focal-gamma", "2"],
            ["--base", "2"],
            ["--sample-weight", "p.csv"],
            ["--strict"],
            ["--label-col", "0"],
        ],
        "binary": [
            ["--from", "probs"],
            ["--from", "logits"],
            ["-r", "none"],
            ["--eps", "0"],
            ["--pos-weight", "2"],
            ["--label-smoothing", "0.2"],
            ["--focal-gamma", "1"],
            ["--threshold", "0.3"],
            ["--strict"],
            ["--base", "10"],
        ],
        "kl": [
            ["--from", "probs"],
            ["--from", "logits"],
            ["--q-from", "log-probs"],
            ["--renormalize"],
            ["-r", "sum"],
        ],
        "entropy": [["--from", "probs"], ["--from", "logits"], ["--renormalize"], ["-r", "none"]],
    }[command]
    for option in draw(st.lists(st.sampled_from(options), max_size=2, unique_by=tuple)):
        args += option
    return args, files


@st.composite
def npy_bytes(draw) -> bytes:
    """A .npy file: random dtype, shape, order and version, then cut, padded or corrupted."""
    descr = draw(
        st.sampled_from(
            [
                "<f8",
                "<f4",
                "<f2",
                ">f8",
                "<i8",
                "<i4",
                "|u1",
                "<u8",
                "|b1",
                "|i1",
                "<c16",
                "<U3",
                "|S2",
                "|O",
                "|V8",
                "<M8[D]",
                [("a", "<f8"), ("b", "<i4")],
            ]
        )
    )
    shape = tuple(
        draw(st.lists(st.one_of(st.integers(0, 4), st.sampled_from([-1, 2**62])), max_size=4))
    )
    fortran = draw(st.booleans())
    version = draw(st.sampled_from([(1, 0), (1, 0), (2, 0), (3, 0), (9, 9)]))
    header = f"{{'descr': {descr!r}, 'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    if draw(st.integers(0, 9)) == 0:
        header = draw(
            st.sampled_from(
                [
                    header.replace("'shape'", "'shap'"),
                    "{}",
                    "[1, 2]",
                    header + "junk",
                    "{'descr': '<f8'}",
                    "{'descr': }",
                ]
            )
        )
    size_field = 2 if version == (1, 0) else 4
    pad = 64 - (6 + 2 + size_field + len(header) + 1) % 64
    header_bytes = (header + " " * pad + "\n").encode("latin-1")
    head = (
        b"\x93NUMPY"
        + bytes(version)
        + len(header_bytes).to_bytes(size_field, "little")
        + header_bytes
    )
    try:
        itemsize = 1 if descr == "|O" else np.dtype(descr).itemsize
    except TypeError:
        itemsize = 8
    full = min(max(0, math.prod(shape)) * itemsize, 512)  # huge shapes: a body far too short
    body = draw(
        st.one_of(
            st.builds(
                lambda vals: np.array(vals, dtype=np.float64).tobytes()[:full].ljust(full, b"\0"),
                st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=64),
            ),
            st.binary(min_size=full, max_size=full + 8),
            st.binary(max_size=max(0, full - 1)),
        )
    )
    data = head + body
    if draw(st.integers(0, 4)) == 0 and data:
        at = draw(st.integers(0, min(len(head), len(data)) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    return data


# -- tests -----------------------------------------------------------------------------------


@FUZZ
@given(
    data=st.binary(max_size=400),
    name=NAMES,
    command=st.sampled_from(COMMANDS),
    role=st.sampled_from(["preds", "labels", "stdin"]),
    pandas=st.booleans(),
)
def test_random_bytes(data, name, command, role, pandas):
    with workdir() as work:
        Path(work, name).write_bytes(data)
        Path(work, "ok.csv").write_text("0.2,0.8\n0.6,0.4\n")
        other = {"categorical": "[1,0]", "binary": "ok.csv", "kl": "ok.csv", "entropy": None}
        if role == "labels" and command != "entropy":
            args = [command, "ok.csv", name]
        elif role == "stdin":
            args = [command, "-"] + ([other[command]] if other[command] else [])
        else:
            args = [command, name] + ([other[command]] if other[command] else [])
        run_checked(args, work, stdin=data if role == "stdin" else None, pandas=pandas)


@FUZZ
@given(
    preds=random_table(),
    labels=random_table(),
    command=st.sampled_from(COMMANDS),
    pandas=st.booleans(),
    ext=st.sampled_from([".csv", ".tsv", ".txt", ""]),
)
def test_random_csv_text(preds, labels, command, pandas, ext):
    with workdir() as work:
        Path(work, "p" + ext).write_text(preds, encoding="utf-8")
        Path(work, "l" + ext).write_text(labels, encoding="utf-8")
        args = [command, "p" + ext] + ([] if command == "entropy" else ["l" + ext])
        run_checked(args, work, pandas=pandas)


@FUZZ
@given(case=near_valid_case(), pandas=st.booleans())
def test_nearly_valid_tables(case, pandas):
    args, files = case
    with workdir() as work:
        for name, text in files.items():
            Path(work, name).write_text(text, encoding="utf-8")
        run_checked(args, work, pandas=pandas)


@FUZZ
@given(
    data=npy_bytes(),
    command=st.sampled_from(COMMANDS),
    role=st.sampled_from(["preds", "labels", "stdin"]),
)
def test_random_npy(data, command, role):
    with workdir() as work:
        Path(work, "x.npy").write_bytes(data)
        np.save(work / "ok.npy", np.array([[0.2, 0.8], [0.6, 0.4]]))
        other = {"categorical": "[1,0]", "binary": "ok.npy", "kl": "ok.npy", "entropy": None}
        if role == "labels" and command != "entropy":
            args = [command, "ok.npy", "x.npy"]
            stdin = None
        elif role == "stdin":
            args = [command, "-", "--stdin-format", "npy"]
            args += [other[command]] if other[command] else []
            stdin = data
        else:
            args = [command, "x.npy"] + ([other[command]] if other[command] else [])
            stdin = None
        run_checked(args, work, stdin=stdin)


@FUZZ
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    command=st.sampled_from(COMMANDS),
    axis=st.integers(-5, 4),
    data=st.data(),
)
def test_random_valid_arrays_with_class_axis(shape, command, axis, data):
    """Well-formed arrays of any rank, with labels of matching or mismatching shape."""
    preds = np.array(
        data.draw(
            st.lists(st.floats(-20, 20), min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))
        )
    ).reshape(shape)
    label_shape = data.draw(st.sampled_from([tuple(shape[:-1]), tuple(shape), (shape[0],), (1,)]))
    labels = np.array(
        data.draw(
            st.lists(
                st.integers(0, 3),
                min_size=int(np.prod(label_shape)),
                max_size=int(np.prod(label_shape)),
            )
        )
    ).reshape(label_shape)
    with workdir() as work:
        np.save(work / "x.npy", preds)
        np.save(work / "y.npy", labels if command != "kl" else np.abs(preds))
        args = [command, "x.npy"] + ([] if command == "entropy" else ["y.npy"])
        if command != "binary":
            args += ["--class-axis", str(axis)]
        run_checked(args, work)
