"""The direct path (cece/cli/direct.py): a plain loss command line is read without Typer, into
exactly the values Typer gives; anything else is left to Typer, which errs or runs as before.

The oracle is Typer itself: each command line is also parsed by Typer, with the command's body
(cece.cli.invoke) replaced by a recorder of the values it is handed.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cece.cli import direct, entry, invoke, snapshot
from cece.cli.direct_spec import COMMANDS

from conftest import ROOT, imported_modules, run_cece


def test_the_table_is_what_the_signatures_say():
    """cece/cli/direct_spec.py is generated from the Typer commands: a changed option changes
    the table (regenerate with `python -m cece.cli.snapshot`)."""
    written = (ROOT / "cece" / "cli" / "direct_spec.py").read_text(encoding="utf-8")
    assert written == snapshot.source()
    for table in COMMANDS.values():  # and it holds the commands' parameters
        assert len(table["options"]) > 20 and len(table["params"]) > 20
        assert set(table["params"]) == {a[0] for a in table["arguments"]} | {
            param for param, _ in table["options"].values()
        }


def test_the_table_check_can_fail(monkeypatch):
    monkeypatch.setattr(snapshot, "DIRECT", ("binary",))
    written = (ROOT / "cece" / "cli" / "direct_spec.py").read_text(encoding="utf-8")
    assert written != snapshot.source()


class Recorded(Exception):
    """Raised by the recorder in place of the command's body: the values it was handed."""

    def __init__(self, values: dict) -> None:
        super().__init__("recorded")
        self.values = dict(values)


def _record(values: dict) -> int:
    raise Recorded(values)


def typers_values(args: list[str], monkeypatch) -> dict | None:
    """The values Typer hands the command's body, or None where Typer refuses the line."""
    for name in COMMANDS:
        monkeypatch.setattr(invoke, name, _record)
    try:
        entry.by_typer(list(args))
    except Recorded as got:
        return got.values
    except Exception as exc:  # Click's usage errors, typer.Exit (--help), a CeceError
        assert type(exc).__name__ != "AssertionError"
        return None
    return None  # --help and the like: printed, nothing run


def same(a: dict, b: dict) -> bool:
    """Equal values of equal types, NaN equal to NaN."""
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if type(x) is not type(y):
            return False
        if isinstance(x, float) and math.isnan(x) and math.isnan(y):
            continue
        if x != y:
            return False
    return True


PLAIN = [
    ["binary", "scores.npy", "targets.npy", "--from", "logits", "--pos-weight", "3", "-f", "json"],
    ["categorical", "dump.npy", "tokens.npy", "-q", "--fail-above", "2.9"],
    ["categorical", "preds.csv", "labels.csv"],
    ["categorical", "eval.csv", "--label-col", "label", "--per-class", "--worst", "5"],
    ["categorical", "logits.npy", "ids.npy", "--shift", "--mask", "attention_mask.npy"],
    ["categorical", "p.csv", "l.csv", "--reduction=sum", "-b", "2", "--no-header", "-w", "1,2"],
    ["binary", "-", "t.csv", "--stdin-format", "npy", "--eps", "0", "--threshold", "0.25"],
    ["binary", "0.7", "1", "--label-smoothing", "0.1", "--focal-gamma", "2", "--header"],
    ["categorical", "p.npy", "y.npy", "--rows", "-5", "--confidence", "0.99", "--top-k", "3"],
    ["categorical", "p.npy", "y.npy", "--temperature", "nan", "--ignore-index", "-100"],
    ["binary", "p.npy", "--pred-cols", "--from", "--label-col", "y"],  # Click takes the next word
    ["entropy", "p.csv", "-b", "2", "-r", "none", "-q"],
    ["kl", "p.npy", "q.npy", "--from", "logits", "--q-from=probs", "--q-dtype", "bfloat16"],
    ["kl", "p.csv", "q.csv", "--elementwise", "--temperature", "2", "-f", "jsonl"],
]


@pytest.mark.parametrize("args", PLAIN, ids=lambda a: " ".join(a))
def test_plain_command_lines_are_read_directly_into_typers_values(args, monkeypatch):
    parsed = direct.parse(args)
    assert parsed is not None
    name, values = parsed
    assert name == args[0]
    expected = typers_values(args, monkeypatch)
    assert expected is not None and same(values, expected), (values, expected)


LEFT_TO_TYPER = [
    [],
    ["--version"],
    ["--help"],
    ["categorical"],  # PREDS missing
    ["categorical", "--help"],
    ["binary", "p.npy", "-h"],
    ["categorical", "a", "b", "c"],  # one argument too many (the shell's expansion error)
    ["categorical", "p", "--", "-x"],
    ["categorical", "p", "-qf", "json"],  # short options run together
    ["categorical", "p", "-fjson"],
    ["categorical", "p", "--fro", "logits"],  # no abbreviations
    ["categorical", "p", "--from", "logit"],  # not a choice
    ["categorical", "p", "--from"],  # no value
    ["categorical", "p", "--quiet=1"],
    ["categorical", "p", "-q", "-q"],  # twice
    ["categorical", "p", "-r", "sum", "--reduction", "mean"],
    ["categorical", "p", "--top-k", "1.5"],
    ["categorical", "p", "--eps", "x"],
    ["binary", "p", "--per-sequence"],  # categorical's option
    ["binary", "p", "-1"],  # a negative number as an argument: Click's error
    ["compare", "a", "b"],
    ["entropy", "p", "q"],  # one argument too many
    ["kl", "p"],  # Q missing
    ["entropy", "p", "--q-from", "logits"],  # kl's option
    ["--debug", "binary", "p"],  # root options before the command (main() strips --debug)
]


@pytest.mark.parametrize("args", LEFT_TO_TYPER, ids=lambda a: " ".join(a) or "(none)")
def test_other_command_lines_are_left_to_typer(args):
    assert direct.parse(args) is None


def test_shell_completion_is_left_to_typer(monkeypatch):
    monkeypatch.setenv("_CECE_COMPLETE", "complete_bash")
    assert direct.parse(["binary", "p.npy"]) is None


def _options(name: str) -> list[str]:
    return list(COMMANDS[name]["options"])


WORDS = st.sampled_from(
    ["p.npy", "l.csv", "-", "", "x=y", "3", "-1", "0.5", "1e-3", "nan", "-inf", " 2", "1_0",
     "0x10", "abc", "auto", "logits", "probs", "log-probs", "mean", "sum", "none", "e", "2",
     "10", "json", "jsonl", "csv", "table", "tsv", "npy", "bfloat16", "index", "name", "local",
     "dask", "--", "-h", "--help", "-qf", "--fro", "-x", "--version", "--debug", "JSON",
     "Logits", "-0", "1e400", "inf", "--no-header", "=", "a=b=c", "--from="]
) | st.text(alphabet="-=.xe01 ", max_size=4)  # fmt: skip


def _values(kind: str) -> st.SearchStrategy[str]:
    """Words an option of this kind is given: mostly its own, sometimes any."""
    from cece.cli import choices

    if kind == "int":
        own = st.integers(-200, 200).map(str) | st.sampled_from([" 3", "1_0", "+4", "07"])
    elif kind == "float":
        own = st.floats(allow_nan=True).map(repr) | st.sampled_from(["1e-3", "-inf", ".5", "2."])
    elif kind == "str":
        own = WORDS
    else:
        own = st.sampled_from([str(m.value) for m in getattr(choices, kind)])
    return st.one_of(own, own, own, WORDS)


@st.composite
def command_lines(draw) -> list[str]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    spec = COMMANDS[name]
    other = [o for n in sorted(COMMANDS) if n != name for o in _options(n)]
    words = [[draw(st.sampled_from(["p.npy", "-", "0.7", "x=y", ""]))]]
    if draw(st.booleans()):
        words.append([draw(st.sampled_from(["l.csv", "1", "[0,1]"]))])
    for _ in range(draw(st.integers(0, 6))):
        option = draw(st.sampled_from(_options(name)) | st.sampled_from(other) | WORDS)
        entry = spec["options"].get(option)
        if entry is None or entry[1] is not None:  # a flag, a word or another's option
            words.append([option] if draw(st.integers(0, 3)) else [f"{option}={draw(WORDS)}"])
            continue
        value = draw(_values(spec["params"][entry[0]][0]))
        if draw(st.booleans()):
            words.append([f"{option}={value}"])
        else:
            words.append([option, value])
    return [name, *(w for group in draw(st.permutations(words)) for w in group)]


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=command_lines())
def test_whatever_the_direct_path_reads_typer_reads_alike(args, monkeypatch):
    """Generated command lines: where the direct path reads one, Typer reads it too, into the
    same values of the same types; the rest Typer decides."""
    parsed = direct.parse(args)
    if parsed is None:
        return
    expected = typers_values(args, monkeypatch)
    assert expected is not None, args
    assert same(parsed[1], expected), (args, parsed[1], expected)


def test_a_direct_run_prints_what_typers_run_prints(monkeypatch, tmp_path):
    """The same files and options through both paths: the same output, byte for byte."""
    rng = np.random.default_rng(7)
    np.save(tmp_path / "p.npy", rng.standard_normal((50, 4)).astype(np.float32))
    np.save(tmp_path / "y.npy", rng.integers(0, 4, 50))
    np.save(tmp_path / "b.npy", rng.standard_normal(50))
    np.save(tmp_path / "t.npy", rng.integers(0, 2, 50).astype(np.float32))
    runs = [
        ["categorical", tmp_path / "p.npy", tmp_path / "y.npy", "-f", "json", "--top-k", "2"],
        ["binary", tmp_path / "b.npy", tmp_path / "t.npy", "--from=logits", "--pos-weight", "3"],
        ["categorical", tmp_path / "p.npy", tmp_path / "y.npy", "--fail-above", "0.1", "-q"],
        ["entropy", tmp_path / "p.npy", "--from", "logits", "-r", "none", "-f", "csv"],
        ["kl", tmp_path / "p.npy", tmp_path / "p.npy", "--from=logits", "-f", "json"],
    ]
    for args in runs:
        assert direct.parse([str(a) for a in args]) is not None
        ours = run_cece(*args)
        monkeypatch.setattr(direct, "parse", lambda args: None)
        typers = run_cece(*args)
        monkeypatch.undo()
        assert (ours.code, ours.out, ours.err) == (typers.code, typers.out, typers.err)


def test_two_shards_given_as_two_arguments_are_refused_on_the_direct_path(tmp_path):
    for i in range(2):
        np.save(tmp_path / f"p-0000{i}-of-00002.npy", np.zeros((2, 3), np.float32))
    args = ["categorical", str(tmp_path / "p-00000-of-00002.npy")]
    args.append(str(tmp_path / "p-00001-of-00002.npy"))
    assert direct.parse(args) is not None
    result = run_cece(*args)
    assert result.code == 2
    assert "shards of one set, were given as PREDS and LABELS" in result.error_line()


def test_a_plain_loss_run_never_imports_typer(tmp_path):
    np.save(tmp_path / "b.npy", np.array([0.5, -1.0], dtype=np.float32))
    np.save(tmp_path / "t.npy", np.array([1.0, 0.0], dtype=np.float32))
    modules = imported_modules("-m", "cece", "binary", str(tmp_path / "b.npy"),
                               str(tmp_path / "t.npy"), "-q", "--from", "logits")  # fmt: skip
    assert "numpy" in modules and "typer" not in modules
    modules = imported_modules("-m", "cece", "binary", str(tmp_path / "b.npy"), "--help")
    assert "typer" in modules  # the check sees Typer's import at all


def test_a_bad_value_still_gets_clicks_words_from_the_console_script(tmp_path):
    cece = Path(sys.executable).parent / "cece"
    proc = subprocess.run(
        [str(cece), "binary", "0.7", "1", "--from", "logit"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == (
        "cece: error: invalid value for '--from': 'logit' is not one of 'auto', 'logits', 'probs'"
    )
