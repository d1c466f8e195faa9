"""A run over shards, from start to result: the engine chosen, the kind decided over every
shard, the parts folded in shard order (:mod:`cece.engine.shards`, :mod:`cece.engine.fold`).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from pathlib import Path

from cece.checks import Diagnostics, of_sums, sums_warnings
from cece.engine import fold, shards
from cece.engine.result import Result
from cece.engine.shards import PER_ROW
from cece.engine.task import Records, Task
from cece.errors import OptionError
from cece.io import shards as io_shards
from cece.io.shards import Shard
from cece.options import EngineOptions, LossOptions
from cece.parallel import worker_threads

SHARD_BYTES = 256 << 20  # a task's input at least (Dask's scheduling costs ~4 ms a task)


def resolve(
    preds: str, labels: str | None, opts: LossOptions, engine: EngineOptions
) -> list[Shard] | None:
    """The shards PREDS and LABELS (and the per-row options' files) name; None for one file
    on the local engine (the single-file pipeline); one shard for one file on Dask."""
    extra = {k: getattr(opts, k) for k in PER_ROW}
    found = io_shards.resolve(preds, labels, extra)
    if found is None and engine.engine == "dask":
        found = [Shard(0, preds, labels, {}, (), io_shards.rows_of(preds))]
    if found is None:
        return None
    found = _without_empty(found)
    found = found if opts.sequence_ids else windows(found)  # ids' runs must not be cut
    if engine.engine == "dask":
        for shard in found:
            for name in (shard.preds, shard.labels, *shard.extra.values()):
                if name is not None and name.startswith("memory://"):
                    raise OptionError(
                        f"{name}: memory:// files live in this process's memory, which the "
                        "Dask workers do not share",
                        hint="write them to a file system the workers read (file://, s3://)",
                    )
    if "-" in (preds, labels):
        raise OptionError("standard input ('-') is one file; shards are files or URLs")
    for flag, given in (("--bytes", opts.bytes), ("--words", opts.words)):
        if given is not None and not io_shards.is_sharded(given):
            raise OptionError(
                f"{flag} {given}: one count for all shards; give each shard its own counts",
                hint=f"a pattern of files that pair with PREDS ({flag} 'counts-*.txt')",
            )
    return found


def _without_empty(found: list[Shard]) -> list[Shard]:
    """Shards whose files hold no rows (headers say 0) add nothing to the dump: left out, as
    one file of all shards would not see them (all empty: the single-file error stands)."""
    empty = [
        s
        for s in found
        if s.rows == 0
        and all(io_shards.rows_of(f) == 0 for f in [s.labels, *s.extra.values()] if f)
    ]
    if not empty or len(empty) == len(found):
        return found
    kept = [s for s in found if s not in empty]
    return [dataclasses.replace(s, index=i) for i, s in enumerate(kept)]


def windows(found: list[Shard]) -> list[Shard]:
    """Big array shards cut into row windows of about ``SHARD_BYTES`` (``CECE_SHARD_BYTES``),
    on block or Zarr chunk boundaries, each a task: the same cut on every engine, so the
    engines fold the same parts. Tables, and shards whose other files are tables, stay whole."""
    from cece.io import window

    target = int(os.environ.get("CECE_SHARD_BYTES", "") or SHARD_BYTES)
    out: list[Shard] = []
    for shard in found:
        ranges = window.chunk_ranges(shard.preds, target)
        files = [shard.labels, *shard.extra.values()]
        if (
            ranges is None
            or len(ranges) < 2
            or any(f is not None and window.layout(f) is None for f in files)
        ):
            out.append(dataclasses.replace(shard, index=len(out)))
            continue
        for start, stop in ranges:
            out.append(
                dataclasses.replace(shard, index=len(out), rows=stop - start, window=(start, stop))
            )
    return out


def names(preds: str, labels: str | None, opts: LossOptions) -> dict[str, str | None]:
    """How the inputs were given (patterns, lists): the names the result shows."""
    given = {k: getattr(opts, k) for k in PER_ROW if getattr(opts, k) is not None}
    return {"preds": preds, "labels": labels, "p": preds, "q": labels, **given}


def run(
    task: Task,
    parts_of: list[Shard],
    engine: EngineOptions,
    *,
    names: dict[str, str | None],
    on_records: Callable[[Records], None] | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Result:
    """The shards' result; notes and warnings go to the task's diagnostics (printed once, by
    the caller). The task runs the first shard on the local engine (its fields are then
    known to the record writers)."""
    task_class, opts, keep, diag = type(task), task.opts, task.keep, task.diag
    if engine.engine == "dask":
        if on_records is not None or keep.every:
            raise OptionError(
                "--engine dask writes the summary (the table, -f json, -q); per-sample "
                "records (-f jsonl/csv, --samples, -r none) need the local engine",
                hint="leave out --engine dask to stream the shards' records in shard order",
            )
        from cece.engine.dask_engine import Cluster

        with Cluster(engine, diag.note) as cluster:
            parts, merged = cluster.run(task_class, opts, keep, parts_of, on_progress=on_progress)
            result = fold.fold(parts, keep, cluster.ask, names=names, engine=cluster.facts())
            _say(parts, merged, diag, names, task_class, result)
            return result
    parts, merged = shards.run_local(
        task_class,
        opts,
        keep,
        parts_of,
        on_records=on_records,
        on_progress=on_progress,
        task=task,
    )
    facts = {"name": "local", "threads": worker_threads(), "tasks": len(parts)}
    result = fold.fold(parts, keep, shards.ask_local(parts), names=names, engine=facts)
    _say(parts, merged, diag, names, task_class, result)
    return result


def _say(
    parts, merged, diag: Diagnostics, names: dict, task_class: type[Task], result: Result
) -> None:
    """The shards' notes and warnings once each, and the kind decided once for all. The
    shards ran without --strict: their warnings are raised here (as errors with --strict),
    except one that a shard says of itself alone (every sample of a shard ignored): said of
    all shards, or not at all."""
    seen = set()
    for part in parts:  # a note said of every shard alike (but its name and counts): once
        for note in part.notes:
            alike = re.sub(r"\d+", "#", note.replace(Path(part.shard.preds).name, "*"))
            if part.shard.labels:
                alike = alike.replace(Path(part.shard.labels).name, "*")
            if alike not in seen:
                seen.add(alike)
                diag.note(note)
    if merged is not None:
        pattern = str(names.get("preds") or parts[0].shard.preds)
        diag.note(shards.kind_note(parts, merged, pattern, task_class.noun))

    # said of the union's sums again, not of a shard's (checks.sums_warnings, as cece merge)
    result.warnings = [w for w in result.warnings if not of_sums(w)]
    s = result.summary
    said = sums_warnings(s.count, s.ignored, s.weight_sum, s.mean, result.reduction)
    for part in parts:
        for warning in part.result.warnings if part.result else []:
            if not of_sums(warning):
                diag.warn(warning, hint=part.hints.get(warning))
    for warning, hint in said:
        result.warnings.append(warning)
        diag.warn(warning, hint=hint)
