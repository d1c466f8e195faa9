"""Run the dump sweep through cece and classify every command's outcome.

For each case of a ``cases.json`` (written by make_sweep.py) it runs, in-process through
cece's real entry point and with ``-q``:

* the command a user would type (the case's ``argv``);
* the command ``cece inspect PREDS`` suggests, with LABELS/TARGETS filled in from the case.

and classifies each outcome:

========== ===================================================================
right       exit 0 and the peer's number (within the case's rtol)
refused     exit 2, empty stdout, one ``cece: error:`` line (+ one ``  hint:``)
WRONG       exit 0 with another number (or no number)
TRACEBACK   any other exit code, a traceback, or an error of another shape
========== ===================================================================

    python tests/sweep/drive.py [DIR]     # DIR defaults to tests/data/sweep
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shlex
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUBSET = HERE.parent / "data" / "sweep"
OUTCOMES = ("right", "refused", "WRONG", "TRACEBACK", "other command")


@dataclass
class Outcome:
    case: str
    how: str  # "typed" or "inspect"
    argv: list[str]
    outcome: str
    detail: str


class _Stdin(io.TextIOWrapper):
    def isatty(self) -> bool:
        return False


def run(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """cece.cli.main(argv) in-process, in ``cwd``: (exit code, stdout, stderr)."""
    from cece.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_stdin = os.getcwd(), sys.stdin
    sys.stdin = _Stdin(io.BytesIO(b""))
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main([str(a) for a in argv])
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
            except BaseException as exc:
                code, err = 99, io.StringIO(f"Traceback: {exc!r}")
    finally:
        os.chdir(old_cwd)
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def classify(
    code: int, out: str, err: str, reference: float | None, rtol: float
) -> tuple[str, str]:
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("cece: note:")]
    lines = [ln for ln in lines if not ln.startswith("cece: warning:")]
    if code == 0:
        try:
            value = float(out.strip())
        except ValueError:
            return "WRONG", f"exit 0, output {out.strip()[:60]!r}"
        if reference is not None and (
            value == reference or math.isclose(value, reference, rel_tol=rtol, abs_tol=1e-15)
        ):
            return "right", f"{value!r}"
        return "WRONG", f"cece {value!r} vs peer {reference!r}"
    if code == 2 and out == "" and "Traceback" not in err:
        errs = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("cece: note:")]
        if (
            errs
            and errs[0].startswith("cece: error: ")
            and len(errs) <= 2
            and (len(errs) == 1 or errs[1].startswith("  hint: "))
        ):
            return "refused", errs[0]
    return "TRACEBACK", f"exit {code}: {(err or out).strip().splitlines()[-1:]}"


def inspect_command(case: dict, cwd: Path) -> list[str] | None:
    """The command ``cece inspect`` suggests for the case's PREDS, LABELS filled in."""
    target = case.get("inspect")
    if not target:
        return None
    code, out, err = run(["inspect", target, "-f", "json"], cwd)
    if code != 0:
        # an inspect that fails is an outcome of its own: a clean refusal, or a crash
        return None if classify(code, out, err, None, 0)[0] == "refused" else ["inspect", target]
    doc = json.loads(out)
    suggestion = doc.get("suggestion") or ""
    if not suggestion.startswith("cece "):
        return None
    words = shlex.split(suggestion.split("  (")[0])[1:]
    labels = case.get("labels")
    filled = []
    for w in words:
        if w in ("LABELS", "TARGETS"):
            if not labels:
                return None
            filled.append(labels)
        elif w == "PREDS":
            return None  # a labels file: nothing to run
        else:
            filled.append(w)
    return filled


def drive(directory: Path = SUBSET, *, with_inspect: bool = True) -> list[Outcome]:
    cases = json.loads((directory / "cases.json").read_text())["cases"]
    results = []
    for case in cases:
        argv = [case["command"], *case["argv"], "-q"]
        results.append(_one(case, "typed", argv, directory))
        if with_inspect:
            suggested = inspect_command(case, directory)
            if suggested and suggested[:1] == ["inspect"]:
                results.append(
                    Outcome(case["name"], "inspect", suggested, "TRACEBACK", "cece inspect failed")
                )
            elif suggested and suggested[0] != case["command"]:
                # another loss (categorical for multi-label logits: the LABELS decide)
                results.append(
                    Outcome(
                        case["name"],
                        "inspect",
                        suggested,
                        "other command",
                        "the suggestion names another loss",
                    )
                )
            elif suggested:
                results.append(_one(case, "inspect", [*suggested, "-q"], directory))
    return results


def _one(case: dict, how: str, argv: list[str], cwd: Path) -> Outcome:
    code, out, err = run(argv, cwd)
    outcome, detail = classify(code, out, err, case["reference"], case["rtol"])
    if outcome == "refused" and case["expect"] == "number":
        outcome, detail = "refused", "MUST COMPUTE: " + detail
    return Outcome(case["name"], how, argv, outcome, detail)


def table(results: list[Outcome]) -> str:
    counts = Counter((r.how, r.outcome) for r in results)
    rows = ["| command | " + " | ".join(OUTCOMES) + " |", "| --- |" + " --- |" * len(OUTCOMES)]
    for how in ("typed", "inspect"):
        rows.append(f"| {how} | " + " | ".join(str(counts[how, o]) for o in OUTCOMES) + " |")
    return "\n".join(rows)


def main() -> None:
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else SUBSET
    results = drive(directory)
    for r in results:
        if r.outcome not in ("right", "other command"):
            print(
                f"{r.outcome:9} {r.how:7} {r.case}: cece {shlex.join(r.argv)}\n          {r.detail}"
            )
    print(table(results))


if __name__ == "__main__":
    main()
