"""What each command does once its options are parsed: engine → renderer → exit code.

Kept apart from :mod:`cece.cli` so that every command can be called from Python and tested
without Typer. What only some runs use (shards, baselines, merges, tables) is imported where
it is used (start-up)."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from cece.checks import Diagnostics
from cece.cli.state import RUN, resume_collector
from cece.engine import pipeline as engine
from cece.engine.task import Records, Task
from cece.engine.uncertainty import check_confidence
from cece.errors import CeceError, ExitCode, OptionError, stderr_prefix
from cece.io import arrays, factors, readers
from cece.io.window import whole_rows
from cece.options import EngineOptions, LossOptions, OutputOptions
from cece.report import documents, numbers, progress, records
from cece.report.output import open_output


def options_from(loss: dict, **extra) -> LossOptions:
    """The loss options shared by the loss commands, from the CLI's parsed values."""
    return LossOptions(
        kind=loss["kind"],
        reduction=loss["reduction"],
        base=loss["base"],
        label_smoothing=loss["label_smoothing"],
        sample_weight=loss["sample_weight"],
        rescale=loss.get("rescale"),
        focal_gamma=loss["focal_gamma"],
        focal_alpha=loss["focal_alpha"],
        eps=loss["eps"],
        pred_cols=loss["pred_cols"],
        label_col=loss["label_col"],
        stdin_format=loss["stdin_format"],
        dtype=loss.get("dtype", "auto"),
        header=loss.get("header"),
        **extra,
    )


def output_from(out: dict) -> OutputOptions:
    """The output and CI options, from the CLI's parsed values."""
    return OutputOptions(**out)


def run_categorical(
    preds: str, labels: str | None, *, loss: dict, out: dict, engine: dict | None = None
) -> int:
    """``cece categorical``; returns the exit code (0, or 1 when a check failed)."""
    from cece.engine.categorical import Categorical

    opts = categorical_options(loss)
    return run(Categorical, preds, labels, opts, output_from(out), EngineOptions(**engine or {}))


def categorical_options(loss: dict) -> LossOptions:
    """``cece categorical``'s loss options (and ``cece compare``'s), from the parsed values."""
    return options_from(
        loss,
        weight=None if _file(loss["weight"]) else parse_numbers(loss["weight"], "--weight"),
        ignore_index=loss["ignore_index"],
        renormalize=loss["renormalize"],
        classes=parse_names(loss["classes"]),
        classes_file=_file(loss["classes"]),
        class_axis=loss["class_axis"],
        labels_as=loss.get("labels_as"),
        weight_file=_file(loss["weight"]),
        shift=loss.get("shift", False),
        mask=loss.get("mask"),
        temperature=loss.get("temperature"),
        top_k=loss.get("top_k"),
        per_sequence=loss.get("per_sequence", False),
        sequence_ids=loss.get("sequence_ids"),
        bytes=loss.get("bytes"),
        words=loss.get("words"),
    )


def run_binary(
    preds: str, labels: str | None, *, loss: dict, out: dict, engine: dict | None = None
) -> int:
    """``cece binary``; returns the exit code (0, or 1 when a check failed)."""
    from cece.engine.binary import Binary

    opts = binary_options(loss)
    return run(Binary, preds, labels, opts, output_from(out), EngineOptions(**engine or {}))


def binary_options(loss: dict) -> LossOptions:
    """``cece binary``'s loss options (and ``cece compare --binary``'s), from the parsed values."""
    spec = loss["pos_weight"]  # a file is read by the task, which knows the shapes it takes
    pw = None if spec is None or _file(spec) else factors.load(spec, "--pos-weight")
    return options_from(
        loss,
        pos_weight=None if pw is None else tuple(pw.ravel().tolist()),
        pos_weight_shape=None if pw is None else pw.shape,
        elementwise=loss.get("elementwise", False),
        threshold=loss["threshold"],
        weight_file=_file(loss["pos_weight"]),
        positive=loss.get("positive"),
    )


def run_measure(
    command: str, p: str, q: str | None, *, loss: dict, out: dict, engine: dict | None = None
) -> int:
    """``cece entropy`` and ``cece kl``; returns the exit code."""
    from cece.engine import measures

    measures.check_kind(loss["kind"])
    measures.check_kind(loss.get("q_kind"), "--q-from")
    given = ("kind", "reduction", "base", "renormalize", "pred_cols", "class_axis", "stdin_format")
    optional = ("q_kind", "header", "sample_weight", "rescale", "temperature")
    values: dict[str, Any] = {k: loss[k] for k in given} | {k: loss.get(k) for k in optional}
    opts = LossOptions(
        **values,
        dtype=loss.get("dtype", "auto"),
        elementwise=loss.get("elementwise", False),
        q_dtype=loss.get("q_dtype", "auto") if command == "kl" else None,
    )
    task_class = measures.KL if command == "kl" else measures.Entropy
    return run(task_class, p, q, opts, output_from(out), EngineOptions(**engine or {}))


def run(
    task_class: type[Task],
    preds: str,
    labels: str | None,
    opts: LossOptions,
    out: OutputOptions,
    engine_opts: EngineOptions | None = None,
) -> int:
    """Compute, render in the chosen format, then apply the CI checks."""
    engine_opts = engine_opts or EngineOptions()
    engine_opts.check()
    shards = _shards(preds, labels, opts, engine_opts)
    inputs = [preds, labels, opts.sample_weight, opts.mask, opts.sequence_ids, opts.bytes]
    if [*inputs, opts.words].count("-") > 1:
        raise OptionError("only one input can come from standard input ('-')")
    baseline = _check_output_options(out, task_class.command)
    if out.streaming and not opts.per_sequence and (opts.bytes or opts.words):
        raise OptionError(
            f"{'--bytes' if opts.bytes else '--words'} adds statistics (the table, -f json); "
            "-f jsonl/csv write one record a token",
            hint="--per-sequence writes one record a sequence, with its count",
        )
    if baseline is not None:  # what can be told before the run (the rest after it)
        from cece.engine import provenance

        given = opts.to_json(tuple(provenance.DEFINITION))
        keys = provenance.known_before_run(given)
        keys = tuple(k for k in keys if k != "weight") if opts.weight_file else keys  # read later
        provenance.check_baseline_definition(str(out.baseline), baseline, given, keys)
    keep = out.keep(opts.reduction)
    diag = Diagnostics(strict=out.strict, quiet_notes=RUN.notes_hidden(out.quiet))
    task = task_class(opts, diag, keep)
    resume_collector()  # start-up is over: what the run creates from here is collected
    with open_output(out.output, [preds, labels, *opts.files(), out.baseline]) as stream:
        writer = None
        if out.quiet and opts.reduction == "none":
            writer = _loss_lines(stream)
        elif out.streaming and not opts.per_sequence:  # --per-sequence: a record a sequence
            writer = records.RecordWriter(stream, out.fmt)
        elif out.json_samples(opts.reduction):
            writer = records.JsonSamples(stream, task.command, task.fields)
        with progress.Progress() as bar:
            if shards is None:
                result = engine.run(task, preds, labels, on_records=writer, on_progress=bar.update)
            else:
                from cece.engine import sharded as sharding

                result = sharding.run(
                    task,
                    shards,
                    engine_opts,
                    names=sharding.names(preds, labels, opts),
                    on_records=writer,
                    on_progress=bar.update,
                )
        diag.flush()
        result.options["confidence"] = out.confidence  # of stats.ci (cece.report.uncertainty)
        if shards is None:
            if out.fmt == "json":  # only the JSON document has it (start-up: no OpenSSL)
                from cece.engine import provenance

                files = [*inputs, opts.words, opts.rescale]
                result.input["fingerprint"] = provenance.fingerprint(files, result.rows)
            result.input["class_count"] = task.preds.n_classes  # binary: its K columns
        if baseline is not None:
            from cece.engine import provenance

            provenance.check_baseline_definition(str(out.baseline), baseline, result.options)
        say_environment(result)
        if not out.quiet:
            _say_numpy_kernels(result)
        if isinstance(writer, records.JsonSamples):
            writer.finish(result)
        elif writer is None:  # else the records went out as they were computed
            _render(result, stream, out)
    return gate(result, out, baseline)


def _shards(
    preds: str, labels: str | None, opts: LossOptions, engine_opts: EngineOptions
) -> list | None:
    """The shards of the run (:func:`cece.engine.sharded.resolve`), or None for one file on
    the local engine. The sharded engine is imported only when the run is on Dask or an
    argument or option could name many files (start-up); :func:`could_be_sharded` says which
    cannot."""
    values = [preds, labels, *vars(opts).values()]
    if engine_opts.engine != "dask" and not any(map(could_be_sharded, values)):
        return None
    from cece.engine import sharded as sharding

    return sharding.resolve(preds, labels, opts, engine_opts)


def could_be_sharded(value: object) -> bool:
    """False for a value :func:`cece.io.shards.is_sharded` says is no pattern or list, with
    none of its work: not text, text that neither starts with ``@`` nor holds a glob character
    (``*?[``), or JSON (``[0,2,1]``). True may be either."""
    if not isinstance(value, str) or not (value.startswith("@") or any(c in value for c in "*?[")):
        return False
    import json

    try:
        json.loads(value)
    except ValueError:
        return True
    return False


def say_environment(result: engine.Result | None = None) -> None:
    """``-v``: where the result comes from, on stderr (as JSON ``environment`` records it)."""
    if not RUN.verbose:
        return
    env = documents.environment(None if result is None else result.ran)
    print(f"{stderr_prefix('note')} {documents.environment_line(env)}", file=sys.stderr)


SLOW_VALUES = 1 << 22  # a run this large says when the compiled kernels could not be used


def _say_numpy_kernels(result: engine.Result) -> None:
    """A note when a large run computed with numpy because the compiled kernels were not
    built or cannot run on this CPU (not when CECE_NO_FAST=1 asked for numpy)."""
    from cece import _native

    values = result.rows * int(result.input.get("class_count") or 1)
    if _native.AVAILABLE or values < SLOW_VALUES:
        return
    why = f"{_native.numpy_because()} (cece --version says what computes)"
    note = f"computed with numpy, slower than the compiled kernels: {why}"
    print(f"{stderr_prefix('note')} {note}", file=sys.stderr)


def _render(result: engine.Result, stream, out: OutputOptions) -> None:
    if out.quiet:
        records.quiet(result, stream)
    elif out.fmt in ("jsonl", "csv"):  # --per-sequence: one record a sequence
        from cece.report.sequences import sequence_records

        sequence_records(result.sequences or [], stream, out.fmt)
    elif out.fmt == "json":
        documents.write_json(result, stream)
    else:
        from cece.report import tables

        tables.write(result, stream, worst=bool(out.worst))


def run_merge(paths: list[str], out: dict) -> int:
    """``cece merge``: the union of shard summaries."""
    from cece.engine import documents as summaries
    from cece.engine import provenance

    output = output_from(out)
    if output.fmt in ("jsonl", "csv"):
        raise OptionError("cece merge writes a summary: use -f table or -f json")
    check_confidence(output.confidence)
    result = summaries.merge(paths, diag := Diagnostics())
    result.options["confidence"] = output.confidence
    if not output.quiet:
        _merge_notes(result.input)
    say_environment(result)
    baseline = _check_output_options(output, result.input.get("command"))
    if baseline is not None:
        provenance.check_baseline_definition(str(output.baseline), baseline, result.options)
    diag.flush()  # the union's warnings, once nothing can fail before the output
    with open_output(output.output, [*paths, output.baseline]) as stream:
        _render(result, stream, output)
    return gate(result, output, baseline)


def _merge_notes(facts: dict) -> None:
    """What a merge of older documents cannot do, stated."""
    for key, lacks in (
        ("shards_without_fingerprint", "no input fingerprint: not checked for repeats"),
        ("shards_without_moments", "no moments of the mean: the merge has no stderr or ci"),
    ):
        if without := facts.get(key):
            more = f" and {len(without) - 1} more shard(s)" if len(without) > 1 else ""
            print(
                f"{stderr_prefix('note')} {without[0]}{more}: written by an older cece, {lacks}",
                file=sys.stderr,
            )


def _check_output_options(out: OutputOptions, command: str | None) -> dict | None:
    """Options that can be wrong, checked before anything is computed or printed; returns
    the baseline document, read once."""
    out.check()
    check_confidence(out.confidence)
    if out.baseline is None:
        return None
    from cece.engine import documents as summaries

    return summaries.open_baseline(out.baseline, command, out.tolerance)


def gate(result: engine.Result, out: OutputOptions, baseline: dict | None = None) -> int:
    """--fail-above and --baseline: exit 1, with one line on stderr each, when a check fails.

    A nan loss fails every check.
    """
    failures = []
    value = result.loss if result.loss is not None else result.summary.mean
    limit = out.fail_above
    if limit is not None and not value <= limit:
        failures.append(f"loss {numbers.number(value)} {result.unit} > {limit:g} (--fail-above)")
    if out.baseline is not None:
        from cece.engine import documents as summaries

        reason = summaries.check_baseline(result, out.baseline, out.tolerance or "0", baseline)
        if reason:
            failures.append(reason)
    for failure in failures:
        print(f"{stderr_prefix('check failed')} {failure}", file=sys.stderr)
    return ExitCode.CHECK_FAILED if failures else ExitCode.OK


def _loss_lines(stream):
    def write(records: Records) -> None:
        stream.writelines(numbers.number(v) + "\n" for v in records["loss"].tolist())

    return write


def parse_numbers(text: str | None, option: str) -> tuple[float, ...] | None:
    """``1,2,3``, ``[1, 2, 3]``, ``1 2 3``, or a file holding one number per row."""
    if text is None:
        return None
    if readers.exists(text):
        with whole_rows():  # one number a class: never cut by a row window
            data = readers.load(readers.resolve(text))
        if isinstance(data, arrays.ArrayInput):
            return tuple(np.asarray(data.array, dtype=np.float64).ravel().tolist())
        blocks = list(data.blocks(list(range(data.ncols)), []))
        return tuple(np.concatenate([b.floats for b in blocks]).ravel().tolist())
    stripped = text.strip().strip("[]")
    try:
        return tuple(float(v) for v in stripped.replace(",", " ").split())
    except ValueError:
        import json

        try:
            value = json.loads(text)
            return tuple(float(v) for v in (value if isinstance(value, list) else [value]))
        except (ValueError, TypeError):
            raise CeceError(f"{option} {text!r}: expected numbers like 1,2,3 or a file") from None


def _file(text: str | None) -> str | None:
    return text if text is not None and readers.exists(text) else None


def parse_names(text: str | None) -> tuple[str, ...] | None:
    """``--classes a,b,c`` or ``--classes FILE`` (one a line): distinct, non-empty names."""
    if text is None:
        return None
    if readers.exists(text):
        from cece.io.evidence import class_names_file

        return class_names_file(text)
    names = tuple(n.strip() for n in text.split(","))
    if len(set(names)) != len(names) or not all(names):
        raise OptionError(f"--classes {text!r}: class names must be distinct and non-empty")
    return names
