"""What ``cece categorical``, ``binary``, ``entropy`` and ``kl`` do once their options are
parsed, free of Typer: the options grouped as :mod:`cece.cli.run` takes them, and the run's
exit code.

Two parsers hand values here, and only these two: Typer (the commands of :mod:`cece.cli.loss`
and :mod:`cece.cli.measures`, whose signatures declare the options) and the direct path (:mod:`cece.cli.direct`, which
parses the plain command lines by a table drawn from those signatures, without importing
Typer). Each gives ``values``, the parameter names of the command's signature → their
converted values. The option groups every command shares (``output_options``,
``engine_options``) and the check of two shards given as two arguments are here too.
"""

from __future__ import annotations

from typing import Any

from cece.cli.choices import Engine, Format


def categorical(values: dict[str, Any]) -> int:
    """``cece categorical``: its exit code."""
    from cece.cli import run

    v = values
    return run.run_categorical(
        v["preds"],
        v["labels"],
        loss={
            "kind": v["kind"].value,
            "reduction": v["reduction"].value,
            "base": v["base"].value,
            "weight": v["weight"],
            "ignore_index": v["ignore_index"],
            "shift": v["shift"],
            "mask": v["mask"],
            "label_smoothing": v["label_smoothing"],
            "sample_weight": v["sample_weight"],
            "rescale": v["rescale"],
            "focal_gamma": v["focal_gamma"],
            "focal_alpha": v["focal_alpha"],
            "temperature": v["temperature"],
            "top_k": v["top_k"],
            "per_sequence": v["per_sequence"],
            "sequence_ids": v["sequence_ids"],
            "bytes": v["n_bytes"],
            "words": v["n_words"],
            "eps": v["eps"],
            "renormalize": v["renormalize"],
            "pred_cols": v["pred_cols"],
            "label_col": v["label_col"],
            "classes": v["classes"],
            "labels_as": None if v["labels_as"] is None else v["labels_as"].value,
            "class_axis": v["class_axis"],
            "header": v["header"],
            "stdin_format": v["stdin_format"].value,
            "dtype": v["dtype"].value,
        },
        out=_output(v),
        engine=engine_options(v["engine"], v["scheduler"], v["workers"]),
    )


def binary(values: dict[str, Any]) -> int:
    """``cece binary``: its exit code."""
    from cece.cli import run

    v = values
    return run.run_binary(
        v["preds"],
        v["labels"],
        loss={
            "kind": v["kind"].value,
            "reduction": v["reduction"].value,
            "base": v["base"].value,
            "pos_weight": v["pos_weight"],
            "label_smoothing": v["label_smoothing"],
            "sample_weight": v["sample_weight"],
            "rescale": v["rescale"],
            "elementwise": v["elementwise"],
            "focal_gamma": v["focal_gamma"],
            "focal_alpha": v["focal_alpha"],
            "eps": v["eps"],
            "threshold": v["threshold"],
            "pred_cols": v["pred_cols"],
            "label_col": v["label_col"],
            "positive": v["positive"],
            "header": v["header"],
            "stdin_format": v["stdin_format"].value,
            "dtype": v["dtype"].value,
        },
        out=_output(v),
        engine=engine_options(v["engine"], v["scheduler"], v["workers"]),
    )


def entropy(values: dict[str, Any]) -> int:
    """``cece entropy``: its exit code."""
    return _measure("entropy", values)


def kl(values: dict[str, Any]) -> int:
    """``cece kl``: its exit code."""
    return _measure("kl", values)


def _measure(command: str, v: dict[str, Any]) -> int:
    from cece.cli import run

    q_kind, q_dtype = v.get("q_kind"), v.get("q_dtype")
    return run.run_measure(
        command,
        v["p"],
        v.get("q"),
        out=_output(v),
        loss={
            "kind": v["kind"].value,
            "q_kind": q_kind.value if q_kind else None,
            "reduction": v["reduction"].value,
            "base": v["base"].value,
            "renormalize": v["renormalize"],
            "pred_cols": v["pred_cols"],
            "class_axis": v["class_axis"],
            "header": v["header"],
            "stdin_format": v["stdin_format"].value,
            "dtype": v["dtype"].value,
            "sample_weight": v["sample_weight"],
            "elementwise": v["elementwise"],
            "q_dtype": q_dtype.value if q_dtype else "auto",
            "rescale": v["rescale"],
            "temperature": v["temperature"],
        },
        engine=engine_options(v["engine"], v["scheduler"], v["workers"]),
    )


def _output(v: dict[str, Any]) -> dict:
    return output_options(
        v["fmt"],
        v["quiet"],
        v["rows"],
        v["worst"],
        v.get("per_class", False),  # (entropy and kl have no --per-class)
        v["samples"],
        v["output"],
        v["fail_above"],
        v["baseline"],
        v["tolerance"],
        v["strict"],
        v["hist"],
        v["confidence"],
    )


def output_options(
    fmt: Format,
    quiet: bool,
    rows: str,
    worst: int | None,
    per_class: bool,
    samples: bool,
    output: str | None,
    fail_above: float | None,
    baseline: str | None,
    tolerance: str | None,
    strict: bool,
    hist: bool = False,
    confidence: float = 0.95,
) -> dict:
    """The output and CI options every loss command shares."""
    return {
        "fmt": fmt.value,
        "quiet": quiet,
        "rows": rows,
        "worst": worst,
        "per_class": per_class,
        "samples": samples,
        "output": output,
        "fail_above": fail_above,
        "baseline": baseline,
        "tolerance": tolerance,
        "strict": strict,
        "hist": hist,
        "confidence": confidence,
    }


def engine_options(engine: Engine, scheduler: str | None, workers: int | None) -> dict:
    return {"engine": engine.value, "scheduler": scheduler, "workers": workers}


def one_shard_set(given: list[tuple[str, str]]) -> None:
    """Refuse two shards of one ``-NNNNN-of-MMMMM`` set given as two of the arguments
    (``cece categorical preds-*.npy`` over two shards, unquoted: PREDS and LABELS both
    predictions): ``given`` is (the argument's name, its value) for each argument whose
    value has ``-of-``."""
    import os
    import shlex

    from cece.errors import CeceError
    from cece.io.shardnames import one_set, patterns_of

    files = one_set([v for _, v in given if os.path.isfile(v)])
    if files:
        names = [name for name, v in given if v in files[:2]]
        raise CeceError(
            f"{files[0]} and {files[1]}, shards of one set, were given as {names[0]} and "
            f"{names[1]}: the shell expanded an unquoted pattern",
            hint=f"quote the pattern so cece expands it: {shlex.quote(patterns_of(files)[0])}",
        )
