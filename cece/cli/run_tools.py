"""What the tool commands do once parsed: ``cece explain``, ``cece curve``, ``cece inspect``.

Like :mod:`cece.cli.run`, no Typer here: each function reads, computes and renders, and returns
the exit code.
"""

from __future__ import annotations

import sys

import numpy as np

from cece.checks import Diagnostics
from cece.cli.run import options_from, parse_names, parse_numbers, say_environment
from cece.engine import pipeline as engine
from cece.engine.binary import Binary
from cece.engine.categorical import Categorical
from cece.errors import ExitCode, OptionError
from cece.losses.terms import Terms
from cece.options import BASES, Keep
from cece.report import tools as views
from cece.report.numbers import num
from cece.report.output import open_output

# -- cece explain -----------------------------------------------------------------------------------


def run_explain(
    preds: str,
    labels: str | None,
    *,
    loss_type: str | None,
    row: int,
    digits: int,
    loss: dict,
    out: dict,
) -> int:
    """``cece explain``: one sample step by step, then the reduction over all of them."""
    if row < 0:
        raise OptionError(f"--row must be ≥ 0, not {row}")
    if not 1 <= digits <= 12:
        raise OptionError(f"--digits must be between 1 and 12, not {digits}")
    binary = _explain_binary(loss_type, preds, labels, loss)
    if binary:
        if loss["kind"] == "log-probs":
            raise OptionError(
                "binary cross-entropy takes logits or probabilities (--from auto|logits|probs)"
            )
        for option, value in (
            ("--weight", loss["weight"]),
            ("--ignore-index", loss["ignore_index"]),
            ("--renormalize", loss["renormalize"]),
            ("--shift", loss["shift"]),
            ("--mask", loss["mask"]),
        ):
            if value:
                raise OptionError(f"{option} applies to categorical cross-entropy, not binary")
        pw = loss["pos_weight"]  # a file is read by the task, which knows the shapes it takes
        opts = options_from(
            loss,
            pos_weight=None if _file(pw) else parse_numbers(pw, "--pos-weight"),
            weight_file=_file(pw),
        )
    else:
        if loss["pos_weight"] is not None:
            raise OptionError(
                "--pos-weight applies to binary cross-entropy; for categorical "
                "class weights use --weight"
            )
        opts = options_from(
            loss,
            weight=None if _file(loss["weight"]) else parse_numbers(loss["weight"], "--weight"),
            weight_file=_file(loss["weight"]),
            ignore_index=loss["ignore_index"],
            renormalize=loss["renormalize"],
            classes=parse_names(loss["classes"]),
            classes_file=_file(loss["classes"]),
            class_axis=loss["class_axis"],
            shift=loss["shift"],
            mask=loss["mask"],
        )
    task = (Binary if binary else Categorical)(
        opts, diag := Diagnostics(strict=out["strict"]), Keep(head=6, losses=False)
    )
    capture = _Capture(row)
    result = engine.run(task, preds, labels, on_terms=capture)
    if capture.found is None:
        raise OptionError(
            f"--row {row} is out of range: {task.preds.name} has {result.rows} "
            f"sample{'s' if result.rows != 1 else ''} (rows 0..{result.rows - 1})"
        )
    ex = _explanation(task, capture.found, result, binary, digits)
    diag.flush()
    say_environment(result)
    place = _place(task, row)
    with open_output(out["output"], [preds, labels, *opts.files()]) as stream:
        if out["fmt"] == "json":
            views.write_explanation_json(ex, result, row, stream, place)
        else:
            views.explanation(ex, result, row, stream, place)
    return ExitCode.OK


def _place(task, row: int) -> dict[str, int]:
    """Where row ``row`` sits in N-D inputs, as the records say it (``sequence`` and
    ``position`` of a language model's (B, T) labels); empty for a plain list of samples."""
    axes = task.record_axes()
    if axes is None:
        return {}
    names, shape = axes
    return {n: int(i) for n, i in zip(names, np.unravel_index(row, shape))}


def _file(text: str | None) -> str | None:
    from cece.io import readers

    return text if text is not None and readers.exists(text) else None


def _explain_binary(loss_type: str | None, preds: str, labels: str | None, loss: dict) -> bool:
    """--binary / --categorical, or from the width of PREDS: one column means binary."""
    if loss_type is not None:
        return loss_type == "binary"
    if preds == "-":
        return False
    from cece.io import inputs

    p = inputs.open_predictions(
        preds,
        class_axis=loss["class_axis"],
        pred_cols=loss["pred_cols"],
        label_col=loss["label_col"] if labels is None else None,
        stdin_format=loss["stdin_format"],
        dtype=loss.get("dtype", "auto"),
        kind=loss["kind"],
    )
    return p.n_classes == 1


class _Capture:
    """The raw inputs and computed loss of one row, kept as the engine passes its block."""

    def __init__(self, row: int) -> None:
        self.row = row
        self.found: tuple | None = None

    def __call__(self, start: int, p: np.ndarray, block: dict, t: Terms, kind: str) -> None:
        r = self.row - start
        if 0 <= r < len(p):  # copies: the kernels reuse their buffers
            sw = None if t.sample_weight is None else float(t.sample_weight[r])
            self.found = (
                np.array(p[r]),
                {k: np.array(v[r : r + 1]) for k, v in block.items()},
                float(t.loss[r]),
                bool(t.valid[r]),
                sw,
                kind,
                start + r,
            )


def _explanation(task, found: tuple, result: engine.Result, binary: bool, digits: int):
    from cece.tools import explain, explain_binary

    x, block, engine_loss, valid, sw, kind, row = found
    o = task.opts
    eps = task.eps(kind)
    if binary:
        y = task.targets(row, block["labels"])[0]
        ex = explain_binary.binary(
            x,
            y,
            kind=kind,
            pos_weight=task.pos_weight,
            label_smoothing=o.label_smoothing,
            sample_weight=sw,
            eps=eps,
            digits=digits,
        )
    else:
        target = task.targets(row, block["labels"])[0]
        if not valid and o.ignore_index is not None:  # the label as written, not its column
            target = o.ignore_index
        ex = explain.categorical(
            x,
            target,
            kind=kind,
            weight=task.weight,
            label_smoothing=o.label_smoothing,
            sample_weight=sw,
            eps=eps,
            renormalize=o.renormalize,
            ignored=not valid,
            classes=task.classes,
            digits=digits,
            ignored_by=_ignored_by(o),
        )
    if o.focal_gamma is not None or o.focal_alpha is not None:
        ex.notes.append(
            "the focal terms (--focal-gamma/--focal-alpha) are not drawn out here; "
            "the steps show the cross-entropy they modulate"
        )
    else:
        expected = engine_loss * (1.0 if sw is None else sw)
        if not np.isclose(ex.nats, expected, rtol=1e-9, atol=1e-12, equal_nan=True):
            ex.notes.append(
                f"cece's stable computation of this sample gives {num(expected, 10)} nats"
            )
    unit = BASES[o.base][1]
    explain.in_base(ex, o.base, digits)
    if result.rows > 1:
        s = result.summary
        explain.reduction_step(
            ex,
            [r["loss"] for r in result.head],
            s.count + s.ignored,
            s.weighted_sum,
            s.weight_sum,
            o.reduction,
            _mean_of(task, s),
            unit,
            digits,
            columns=task.k if binary else 1,
        )
    return ex


def _ignored_by(o) -> str:
    """What makes a label the ignore value: --ignore-index, and the positions --shift and
    --mask leave unscored."""
    made = [f for f, on in (("--shift", o.shift), ("--mask", o.mask)) if on]
    if not made:
        return "the --ignore-index label"
    return f"not scored ({', '.join(made)}: the ignore value here)"


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


def run_curve(
    binary: bool,
    targets: list[float] | None,
    *,
    classes: int | None,
    base: str,
    points: int,
    width: int | None,
    height: int,
    fmt: str,
    output: str | None,
) -> int:
    """``cece curve``: the terminal plot, the points, or an image file."""
    import shutil

    from cece.tools import curve

    targets = targets or ([1.0, 0.0] if binary else [1.0])
    fig = curve.figure(
        targets, binary=binary, base=base, points=points, classes=classes, even=fmt != "table"
    )
    if output is not None and output.lower().endswith(IMAGE_SUFFIXES):
        if fmt != "table":
            raise OptionError(f"--output {output} writes an image; -f {fmt} writes text")
        from cece.report import image

        draw = image.drawer(output)  # matplotlib, or one line saying how to get it
        with open_output(output, [], binary=True) as stream:  # atomically, as every -o
            draw(fig, stream)
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


def run_inspect(
    file: str, *, class_axis: int, stdin_format: str, fmt: str, output: str | None
) -> int:
    from cece.tools.inspect import inspect

    report = inspect(file, class_axis=class_axis, stdin_format=stdin_format)
    with open_output(output, [file]) as stream:
        if fmt == "json":
            views.write_inspect_json(report, stream)
        else:
            views.inspect_report(report, stream)
    return ExitCode.OK
