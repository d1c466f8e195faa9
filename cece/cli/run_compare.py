"""What ``cece compare`` does once parsed: two tasks → paired engine → renderer → exit code.

No Typer here (:mod:`cece.cli.compare` parses); every step can be called from Python.
"""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from typing import NoReturn

from cece.checks import Diagnostics
from cece.cli.run import binary_options, categorical_options, say_environment
from cece.cli.state import RUN
from cece.engine import compare as engine
from cece.engine.binary import Binary
from cece.engine.categorical import Categorical
from cece.errors import ExitCode, OptionError, stderr_prefix
from cece.options import Keep, OutputOptions
from cece.report import compare as report
from cece.report import numbers, progress, tables
from cece.report.output import open_output

COMPARE_KEYS = ("baseline_from", "candidate_from", "confidence", "bootstrap", "seed")
GATE_KEYS = ("fail_if_worse", "margin")
OUTPUT_KEYS = ("fmt", "quiet", "output", "fail_above", "strict")


def refuse(message: str, hint: str | None = None) -> NoReturn:
    raise OptionError(message, hint=hint)


def run_compare(args: tuple[str, str], labels: str | None, *, binary: bool, values: dict) -> int:
    """``cece compare``; returns the exit code (0, or 1 when a check failed)."""
    own = {k: values.pop(k) for k in (*COMPARE_KEYS, *GATE_KEYS)}
    out = OutputOptions(**{k: values.pop(k) for k in OUTPUT_KEYS})
    out.check()
    check_inputs(args, labels, values)
    margin = check_gate(own["fail_if_worse"], own["margin"])
    opts = (binary_options if binary else categorical_options)({**values, "reduction": "mean"})
    kinds = [own["baseline_from"] or opts.kind, own["candidate_from"] or opts.kind]
    lines: list[str] = []
    diags = [
        Diagnostics(strict=out.strict, quiet_notes=RUN.notes_hidden(out.quiet), emit=lines.append)
        for _ in args
    ]
    task_class = Binary if binary else Categorical
    keep = Keep(head=0, losses=False)
    tasks = tuple(task_class(replace(opts, kind=k), d, keep) for k, d in zip(kinds, diags))
    for task in tasks:
        task.reduces = False  # the mean, always: a hint naming --reduction is not for compare
    with open_output(out.output, [*args, labels, *opts.files()]) as stream:
        writer = report.PairWriter(stream, out.fmt) if out.streaming else None
        with progress.Progress() as bar:
            comparison = engine.compare(
                tasks,  # type: ignore[arg-type]
                args,
                labels,
                confidence=own["confidence"],
                resamples=own["bootstrap"],
                seed=own["seed"],
                on_pairs=writer,
                on_progress=bar.update,
            )
        for d in diags:
            d.flush()
        for line in dict.fromkeys(lines):  # a note about the shared labels, once
            print(line, file=sys.stderr)
        say_environment(comparison.baseline)
        if writer is None:
            render(comparison, stream, out)
    return gate(comparison, out, margin if own["fail_if_worse"] else None)


def check_inputs(args: tuple[str, str], labels: str | None, values: dict) -> None:
    """Standard input is read once: not for what both files are scored against. One file a
    model, on this machine (the loss commands take shards and Dask, compare does not yet)."""
    from cece.io.shards import is_sharded

    for arg in (*args, labels):
        if is_sharded(arg):
            refuse(
                f"{arg}: cece compare takes one file for each model, not a pattern or @list "
                "of shards",
                hint="concatenate the shards, or compare the shards one pair at a time",
            )
    if [*args].count("-") > 1:
        refuse("only one input can come from standard input ('-')")
    shared = {"LABELS": labels, "--sample-weight": values.get("sample_weight")}
    shared["--mask"] = values.get("mask")
    for name, value in shared.items():
        if value == "-":
            refuse(
                f"cece compare reads {name} once for each file; standard input ('-') can be "
                "read only once",
                hint=f"save {name} to a file",
            )


def check_gate(fail_if_worse: bool, margin: float | None) -> float:
    if margin is not None and not fail_if_worse:
        refuse("--margin goes with --fail-if-worse")
    if margin is not None and not math.isfinite(margin):
        refuse(f"--margin must be a finite number; got {margin}")
    return 0.0 if margin is None else margin


def render(comparison: engine.Comparison, stream, out: OutputOptions) -> None:
    if out.quiet:
        report.quiet(comparison, stream)
    elif out.fmt == "json":
        report.write_json(comparison, stream)
    else:
        width = None if stream.isatty() else 100
        tables.console(stream, width=width).print(report.table(comparison))


def gate(comparison: engine.Comparison, out: OutputOptions, margin: float | None) -> int:
    """--fail-if-worse (the interval's lower bound of Δ above the margin: the bootstrap's
    where --bootstrap asked for one, else the t interval; without an interval, Δ itself) and
    --fail-above (the candidate's loss): exit 1, one line each. A nan fails every check."""
    failures = []
    unit = comparison.candidate.unit
    if margin is not None:
        boot = comparison.bootstrap["interval"] if comparison.bootstrap is not None else None
        low = comparison.delta["ci"][0] if boot is None else boot[0]
        mean = comparison.delta["mean"]
        if math.isnan(low) and not mean <= margin:  # fewer than 2 samples, inf or nan losses
            why = "nan" if math.isnan(mean) else f"above the margin {margin:g}"
            failures.append(
                f"{report.delta_line(comparison, unit)}: no interval, and delta itself is "
                f"{why} (--fail-if-worse)"
            )
        elif low > margin:
            which = (
                "the interval's"
                if boot is None
                else (f"the bootstrap interval [{numbers.sig(boot[0])}, {numbers.sig(boot[1])}]'s")
            )
            failures.append(
                f"the candidate is worse beyond noise: {report.delta_line(comparison, unit)}; "
                f"{which} lower bound is above the margin {margin:g} (--fail-if-worse)"
            )
    loss = comparison.candidate.loss
    if out.fail_above is not None and not (loss is not None and loss <= out.fail_above):
        value = numbers.number(math.nan if loss is None else loss)
        failures.append(f"candidate loss {value} {unit} > {out.fail_above:g} (--fail-above)")
    for failure in failures:
        print(f"{stderr_prefix('check failed')} {failure}", file=sys.stderr)
    return ExitCode.CHECK_FAILED if failures else ExitCode.OK
