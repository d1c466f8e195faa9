"""What each command does once its options are parsed: engine → renderer → exit code.

Kept apart from :mod:`cece.cli` so that the CLI module stays free of numpy and rich (start-up
time) and so that every command can be called from Python and tested without Typer.
"""

from __future__ import annotations

import json
import math
import sys
import numpy as np

from cece.engine import pipeline as engine

from cece.io import arrays, readers

from cece.report import documents, numbers, progress, records, tables
from cece.report import tools as views

from cece.engine.binary import Binary
from cece.engine.categorical import Categorical
from cece.engine.task import Records, Task
from cece.options import BASES, Options

from cece.engine import documents as summaries
from cece.checks import Diagnostics
from cece.errors import CeceError, ExitCode, OptionError, stderr_prefix
from cece.report.output import open_output


def _options(loss: dict, **extra) -> Options:
    """Options shared by the loss commands, from the CLI's parsed values."""
    return Options(
        kind=loss["kind"], reduction=loss["reduction"], base=loss["base"],
        label_smoothing=loss["label_smoothing"], sample_weight=loss["sample_weight"],
        focal_gamma=loss["focal_gamma"], focal_alpha=loss["focal_alpha"], eps=loss["eps"],
        pred_cols=loss["pred_cols"], label_col=loss["label_col"],
        stdin_format=loss["stdin_format"], **extra)


def run_categorical(preds: str, labels: str | None, *, loss: dict, out: dict) -> int:
    """``cece categorical``; returns the exit code (0, or 1 when a check failed)."""
    opts = _options(loss, weight=parse_numbers(loss["weight"], "--weight"),
                    ignore_index=loss["ignore_index"], renormalize=loss["renormalize"],
                    classes=parse_names(loss["classes"]), class_axis=loss["class_axis"],
                    weight_file=_file(loss["weight"]))
    return run(Categorical, preds, labels, opts, out)


def run_binary(preds: str, labels: str | None, *, loss: dict, out: dict) -> int:
    """``cece binary``; returns the exit code (0, or 1 when a check failed)."""
    opts = _options(loss, pos_weight=parse_numbers(loss["pos_weight"], "--pos-weight"),
                    threshold=loss["threshold"], weight_file=_file(loss["pos_weight"]))
    return run(Binary, preds, labels, opts, out)


def run_measure(command: str, p: str, q: str | None, *, loss: dict, out: dict) -> int:
    """``cece entropy`` and ``cece kl``; returns the exit code."""
    from cece.engine import measures

    measures.check_kind(loss["kind"])
    measures.check_kind(loss.get("q_kind"), "--q-from")
    opts = Options(kind=loss["kind"], q_kind=loss.get("q_kind"),
                          reduction=loss["reduction"], base=loss["base"],
                          renormalize=loss["renormalize"], pred_cols=loss["pred_cols"],
                          class_axis=loss["class_axis"], stdin_format=loss["stdin_format"])
    return run(measures.KL if command == "kl" else measures.Entropy, p, q, opts, out)


def run(task_class: type[Task], preds: str, labels: str | None, opts: Options,
        out: dict) -> int:
    """Compute, render in the chosen format, then apply the CI checks."""
    fmt, quiet = out["fmt"], out["quiet"]
    if [preds, labels, opts.sample_weight].count("-") > 1:
        raise OptionError("only one input can come from standard input ('-')")
    _check_output_options(out, task_class.command)
    opts.head = _rows(out["rows"])
    opts.worst = out["worst"] or 0
    opts.per_class = out["per_class"]
    opts.hist = out.get("hist", False)
    if opts.hist and (quiet or fmt in ("jsonl", "csv")):
        raise OptionError("--hist draws under the tables (or adds \"histogram\" to -f json); "
                          "it does not go with -q, -f jsonl or -f csv")
    streaming = quiet and opts.reduction == "none" or (not quiet and fmt in ("jsonl", "csv"))
    opts.keep_all = not streaming and (out["samples"] or opts.reduction == "none" and fmt == "json")
    if streaming:  # records go out as computed; nothing per sample is kept
        opts.head, opts.keep_losses = 0, False
    elif quiet or fmt == "json" and not out["samples"]:
        opts.head = 0  # no per-sample table to fill
    if quiet and opts.reduction != "none":
        opts.keep_losses = False  # -q prints the reduced value: no median to compute
    diag = Diagnostics(strict=out["strict"], quiet_notes=quiet)
    with open_output(out["output"], [preds, labels, opts.sample_weight]) as stream:
        writer = None
        if quiet and opts.reduction == "none":
            writer = _loss_lines(stream)
        elif streaming:
            writer = records.RecordWriter(stream, fmt)
        with progress.Progress() as bar:
            result = engine.run(task_class(opts, diag), preds, labels, on_records=writer,
                                on_progress=bar.update)
        diag.flush()
        if writer is None:  # else the records went out as they were computed
            _render(result, stream, fmt, quiet, bool(opts.worst))
    return gate(result, out)


def _render(result: engine.Result, stream, fmt: str, quiet: bool, worst: bool) -> None:
    if quiet:
        records.quiet(result, stream)
    elif fmt == "json":
        documents.write_json(result, stream)
    else:
        width = None if stream.isatty() else 100
        tables.console(stream, width=width).print(tables.tables(result, worst=worst))


def run_merge(paths: list[str], out: dict) -> int:
    """``cece merge``: the union of shard summaries."""
    if out["fmt"] in ("jsonl", "csv"):
        raise OptionError("cece merge writes a summary: use -f table or -f json")
    result = summaries.merge(paths)
    _check_output_options(out, result.input.get("command"))
    with open_output(out["output"], paths) as stream:
        _render(result, stream, out["fmt"], out["quiet"], False)
    return gate(result, out)


def _check_output_options(out: dict, command: str | None) -> None:
    """Options that can be wrong, checked before anything is computed or printed."""
    worst, limit = out.get("worst"), out.get("fail_above")
    if worst is not None and worst < 0:
        raise OptionError(f"--worst must be ≥ 0, not {worst}")
    if limit is not None and math.isnan(limit):
        raise OptionError(f"--fail-above must be a number; got {limit}")
    if out.get("baseline") is not None:
        out["baseline_doc"] = summaries.open_baseline(out["baseline"], command,
                                                      out.get("tolerance"))
    elif out.get("tolerance") is not None:
        raise OptionError("--tolerance goes with --baseline FILE.json")


def gate(result: engine.Result, out: dict) -> int:
    """--fail-above and --baseline: exit 1, with one line on stderr each, when a check fails.

    A nan loss fails every check.
    """
    failures = []
    value = result.loss if result.loss is not None else result.summary.mean
    limit = out.get("fail_above")
    if limit is not None and not value <= limit:
        failures.append(f"loss {numbers.number(value)} {result.unit} > {limit:g} (--fail-above)")
    if out.get("baseline") is not None:
        reason = summaries.check_baseline(result, out["baseline"], out.get("tolerance") or "0",
                                          out.get("baseline_doc"))
        if reason:
            failures.append(reason)
    elif out.get("tolerance") is not None:
        raise OptionError("--tolerance goes with --baseline FILE.json")
    for failure in failures:
        print(f"{stderr_prefix('check failed')} {failure}", file=sys.stderr)
    return ExitCode.CHECK_FAILED if failures else ExitCode.OK


def _loss_lines(stream):
    def write(records: Records) -> None:
        stream.writelines(numbers.number(v) + "\n" for v in records["loss"].tolist())
    return write


def _rows(text: str) -> int:
    if text.strip().lower() == "all":
        return sys.maxsize
    try:
        rows = int(text)
    except ValueError:
        raise OptionError(f"--rows must be a number or 'all', not {text!r}") from None
    if rows < 0:
        raise OptionError(f"--rows must be ≥ 0, not {rows}")
    return rows


def parse_numbers(text: str | None, option: str) -> list[float] | None:
    """``1,2,3``, ``[1, 2, 3]``, ``1 2 3``, or a file holding one number per row."""
    if text is None:
        return None
    if readers.exists(text):
        data = readers.load(readers.resolve(text))
        if isinstance(data, arrays.ArrayInput):
            return np.asarray(data.array, dtype=np.float64).ravel().tolist()
        blocks = list(data.blocks(list(range(data.ncols)), []))
        return np.concatenate([b.floats for b in blocks]).ravel().tolist()
    stripped = text.strip().strip("[]")
    try:
        return [float(v) for v in stripped.replace(",", " ").split()]
    except ValueError:
        try:
            value = json.loads(text)
            return [float(v) for v in (value if isinstance(value, list) else [value])]
        except (ValueError, TypeError):
            raise CeceError(f"{option} {text!r}: expected numbers like 1,2,3 or a file") from None


def _file(text: str | None) -> str | None:
    return text if text is not None and readers.exists(text) else None


def parse_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",")]
    if len(set(names)) != len(names) or not all(names):
        raise OptionError(f"--classes {text!r}: class names must be distinct and non-empty")
    return names


# -- cece explain -----------------------------------------------------------------------------------


def run_explain(preds: str, labels: str | None, *, loss_type: str | None, row: int, digits: int,
                loss: dict, out: dict) -> int:
    """``cece explain``: one sample step by step, then the reduction over all of them."""
    if row < 0:
        raise OptionError(f"--row must be ≥ 0, not {row}")
    if not 1 <= digits <= 12:
        raise OptionError(f"--digits must be between 1 and 12, not {digits}")
    binary = _explain_binary(loss_type, preds, labels, loss)
    if binary:
        if loss["kind"] == "log-probs":
            raise OptionError("binary cross-entropy takes logits or probabilities "
                              "(--from auto|logits|probs)")
        for option, value in (("--weight", loss["weight"]), ("--ignore-index",
                              loss["ignore_index"]), ("--renormalize", loss["renormalize"])):
            if value:
                raise OptionError(f"{option} applies to categorical cross-entropy, not binary")
        opts = _options(loss, pos_weight=parse_numbers(loss["pos_weight"], "--pos-weight"))
    else:
        if loss["pos_weight"] is not None:
            raise OptionError("--pos-weight applies to binary cross-entropy; for categorical "
                              "class weights use --weight")
        opts = _options(loss, weight=parse_numbers(loss["weight"], "--weight"),
                        ignore_index=loss["ignore_index"], renormalize=loss["renormalize"],
                        classes=parse_names(loss["classes"]), class_axis=loss["class_axis"])
    opts.head, opts.keep_losses = 6, False
    task = _capturing(Binary if binary else Categorical)(
        opts, diag := Diagnostics(strict=out["strict"]))
    task.wanted = row
    result = engine.run(task, preds, labels)
    if task.captured is None:
        raise OptionError(f"--row {row} is out of range: {task.preds.name} has {result.rows} "
                          f"sample{'s' if result.rows != 1 else ''} (rows 0..{result.rows - 1})")
    ex = _explanation(task, result, binary, digits)
    diag.flush()
    with open_output(out["output"], [preds, labels, opts.sample_weight]) as stream:
        if out["fmt"] == "json":
            views.write_explanation_json(ex, result, row, stream)
        else:
            views.explanation(ex, result, row, stream)
    return ExitCode.OK


def _explain_binary(loss_type: str | None, preds: str, labels: str | None, loss: dict) -> bool:
    """--binary / --categorical, or from the width of PREDS: one column means binary."""
    if loss_type is not None:
        return loss_type == "binary"
    if preds == "-":
        return False
    from cece.io import inputs

    p = inputs.open_predictions(preds, class_axis=loss["class_axis"], pred_cols=loss["pred_cols"],
                                label_col=loss["label_col"] if labels is None else None,
                                stdin_format=loss["stdin_format"])
    return p.n_classes == 1


def _capturing(base: type[Task]) -> type[Task]:
    """The task, keeping the raw inputs and the computed loss of one row as the run passes it."""

    class Capturing(base):  # type: ignore[valid-type,misc]
        wanted = 0
        captured: tuple | None = None

        def terms(self, start, p, block, kind):
            t = super().terms(start, p, block, kind)
            r = self.wanted - start
            if 0 <= r < len(p):
                sw = None if t.sample_weight is None else float(t.sample_weight[r])
                self.captured = (np.array(p[r]), {k: np.array(v[r : r + 1])
                                                  for k, v in block.items()},
                                 float(t.loss[r]), bool(t.valid[r]), sw, kind, start + r)
            return t

    Capturing.__name__ = base.__name__
    return Capturing


def _explanation(task, result: engine.Result, binary: bool, digits: int):
    from cece.tools import explain

    x, block, engine_loss, valid, sw, kind, row = task.captured
    o = task.opts
    eps = task.eps(kind)
    if binary:
        y = task._targets(row, block["labels"])[0]
        ex = explain.binary(x, y, kind=kind, pos_weight=task.pos_weight,
                            label_smoothing=o.label_smoothing, sample_weight=sw, eps=eps,
                            digits=digits)
    else:
        target = task._targets(row, block["labels"])[0]
        ex = explain.categorical(x, target, kind=kind, weight=task.weight,
                                 label_smoothing=o.label_smoothing, sample_weight=sw, eps=eps,
                                 renormalize=o.renormalize, ignored=not valid,
                                 classes=task.classes, digits=digits)
    if o.focal_gamma is not None or o.focal_alpha is not None:
        ex.notes.append("the focal terms (--focal-gamma/--focal-alpha) are not drawn out here; "
                        "the steps show the cross-entropy they modulate")
    else:
        expected = engine_loss * (1.0 if sw is None else sw)
        if not np.isclose(ex.nats, expected, rtol=1e-9, atol=1e-12, equal_nan=True):
            ex.notes.append(f"cece's stable computation of this sample gives "
                            f"{explain.num(expected, 10)} nats")
    unit = BASES[o.base][1]
    explain.in_base(ex, o.base, digits)
    if result.rows > 1:
        s = result.summary
        explain.reduction_step(ex, [r["loss"] for r in result.head], s.count + s.ignored,
                               s.weighted_sum, s.weight_sum, o.reduction,
                               _mean_of(task, s), unit, digits,
                               columns=task.k if binary else 1)
    return ex


def _mean_of(task, s) -> str:
    """What the mean divides by, in words (PyTorch's definitions)."""
    o = task.opts
    if task.command == "categorical" and task.weight is not None and task.labels.form != "dense":
        return "Σ sᵢ·w[yᵢ]" if o.sample_weight else "Σ w[yᵢ]"
    if o.sample_weight:
        return "Σ sᵢ"
    if s.ignored:
        return "(N − ignored)"  # PyTorch: ignored samples leave the denominator too
    return "N"


# -- cece curve -------------------------------------------------------------------------------------

IMAGE_SUFFIXES = (".png", ".svg", ".pdf")


def run_curve(binary: bool, targets: list[float] | None, *, classes: int | None, base: str,
              points: int, width: int | None, height: int, fmt: str,
              output: str | None) -> int:
    """``cece curve``: the terminal plot, the points, or an image file."""
    import os
    import shutil

    from cece.tools import curve

    targets = targets or ([1.0, 0.0] if binary else [1.0])
    fig = curve.figure(targets, binary=binary, base=base, points=points, classes=classes,
                       even=fmt != "table")
    if output is not None and output.lower().endswith(IMAGE_SUFFIXES):
        if fmt != "table":
            raise OptionError(f"--output {output} writes an image; -f {fmt} writes text")
        directory = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(directory):
            raise OptionError(f"--output {output}: no such directory {directory}")
        tmp = os.path.join(directory, f".{os.path.basename(output)}.cece-tmp"
                           f"{os.path.splitext(output)[1]}")
        try:
            curve.save_image(fig, tmp)
            os.replace(tmp, output)  # atomically, as every -o
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        print(f"cece: wrote {output}", file=sys.stderr)
        return ExitCode.OK
    if width is None:
        width = max(30, min(100, shutil.get_terminal_size((80, 24)).columns - 12))
    if not 10 <= width <= 1000 or not 5 <= height <= 200:
        raise OptionError("--width must be 10..1000 and --height 5..200")
    with open_output(output, []) as stream:
        views.write_curve(fig, stream, fmt, width=width, height=height)
    return ExitCode.OK


# -- cece inspect -----------------------------------------------------------------------------------


def run_inspect(file: str, *, class_axis: int, stdin_format: str, fmt: str,
                output: str | None) -> int:
    from cece.tools.inspect import inspect

    report = inspect(file, class_axis=class_axis, stdin_format=stdin_format)
    with open_output(output, [file]) as stream:
        if fmt == "json":
            views.write_inspect_json(report, stream)
        else:
            views.inspect_report(report, stream)
    return ExitCode.OK
