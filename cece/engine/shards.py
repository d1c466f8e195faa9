"""Sharded runs: one computation over many files, whatever engine computes the shards.

A shard runs the single-file pipeline (:func:`compute`, the per-shard entry point that
:mod:`cece.distributed` makes public) and comes back as a :class:`Part`: the shard's own
result (mergeable sums, warnings, first records), its per-class sums, its worst-K
candidates, and the losses that the median and ``--hist`` need. The parts fold in shard order
(:mod:`cece.engine.fold`), so the local engine and Dask give the same bits over the same
shards — and the same sums as ``cece merge`` of the shards' own documents.

``--from auto`` is decided over every shard (:func:`decide`): a shard whose values alone
suggest another kind is computed again under the kind the shards decide together.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable
from dataclasses import field
from typing import Any

import numpy as np

from cece.checks import Decided, Diagnostics, KindDetector
from cece.engine import pipeline, provenance, select
from cece.engine.result import Result
from cece.engine.task import Records, Task
from cece.errors import CeceError, InputError
from cece.io import window
from cece.io.shards import Shard
from cece.options import Keep, LossOptions
from cece.structs import struct

# the per-row options whose files pair with the shards (Shard.extra)
PER_ROW = ("sample_weight", "mask", "sequence_ids", "bytes", "words", "rescale")
FIRST_AXES = ("sequence", "axis0")  # N-D records: the field of the first sample axis


@struct
class Part:
    """The mergeable record of one shard's run (``error``: why it has none)."""

    shard: Shard
    result: Result | None = None  # the shard's own result, without median or histogram
    kind: str | None = None
    detector: KindDetector | None = None  # what decided the kind (--from auto)
    class_count: int = 0
    per_class: np.ndarray | None = None  # (3, classes): count, loss sum, correct
    worst: list = field(default_factory=list)  # Worst heap items, with the shard's indexes
    indexes: int = 0  # record indexes the shard spans (rows × elements)
    axes: list[str] | None = None  # N-D records: the names of their position fields
    axis0: int = 0  # the first sample axis' length (the sequences of a (B, T) shard)
    keys: np.ndarray | None = None  # every loss that counts, as select.keys_of keys
    digits: tuple | None = None  # the keys' first 16-bit digits and counts (the median's)
    spread: tuple[float, float, int] = (math.inf, -math.inf, 0)  # finite min, max, infinities
    fingerprint: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    hints: dict[str, str] = field(default_factory=dict)  # the warnings' hints
    error: CeceError | None = None

    @property
    def rows(self) -> int:
        return 0 if self.result is None else self.result.rows

    def without_losses(self) -> Part:
        """The part as sent to the engine's client: everything but the losses."""
        return dataclasses.replace(self, keys=None)


def compute(
    task_class: type[Task],
    opts: LossOptions,
    keep: Keep,
    shard: Shard,
    *,
    strict: bool = False,
    detector: KindDetector | None = None,
    on_records: Callable[[Records], None] | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    task: Task | None = None,
) -> Part:
    """One shard's run, as a mergeable record. An input error comes back as the part's
    ``error`` (data, not an exception: a worker logs no traceback); ``detector``: the kind the
    shards decided together (:func:`decide`); ``task``: an unopened task to run it with (the
    command's own, for the first shard: its fields are then known to the record writers)."""
    diag = Diagnostics(strict=strict, quiet_notes=True)
    extra: dict[str, Any] = dict(shard.extra)  # per-row option files: this shard's
    shard_opts = dataclasses.replace(opts, **extra)
    if task is None:
        task = task_class(shard_opts, diag, keep)
    else:
        task.opts, task.diag = shard_opts, diag
    part = Part(shard)
    rows = contextlib.nullcontext() if shard.window is None else window.only_rows(*shard.window)
    try:
        with rows:
            loop, decided = pipeline.passes(
                task,
                shard.preds,
                shard.labels,
                on_records,
                on_progress,
                detector=detector,
                announce=False,
            )
            part.result = loop.result(decided, median=False)
    except CeceError as error:
        part.error = _in_file(error, shard)
        return part
    part.kind, part.detector = loop.kind, decided
    part.class_count = task.preds.n_classes
    part.per_class = loop.per_class if keep.per_class else None
    part.worst = loop.worst.items()
    part.indexes = loop.rows * task.elements
    axes = task.record_axes()
    part.axes, part.axis0 = (axes[0], axes[1][0]) if axes else (None, loop.rows)
    files = [shard.preds, shard.labels, *shard.extra.values()]
    part.fingerprint = provenance.fingerprint(files, loop.rows)
    if shard.window is not None:  # the rows read of each file
        for entry in part.fingerprint:
            entry.update({"rows": list(shard.window)} if "path" in entry else {})
    part.notes, part.hints = list(diag.notes), dict(diag.hints)
    if keep.losses:
        losses = loop.log.all()
        part.spread = select.spread(losses)
        part.keys = select.keys_of(losses)
        part.digits = select.answer(part.keys, [("digits", 0, 0)])[0]
    return part


def _in_file(error: CeceError, shard: Shard) -> CeceError:
    """An error in a row window, at its row of the file."""
    if shard.window is None or not isinstance(error, InputError) or error.row is None:
        return error
    return InputError(
        error.source,
        error.detail,
        row=error.row + shard.window[0],
        column=error.column,
        hint=error.hint,
    )


def failed(part: Part, first_row: int | None) -> CeceError:
    """A shard's error, as its single-file line plus the row among all shards."""
    error = part.error
    assert error is not None
    sample = error.sample if isinstance(error, InputError) else None
    if isinstance(error, InputError) and error.row is not None and first_row is not None:
        at = error.row if sample is None else sample  # a --shift label's row: its position
        row = at - (part.shard.window[0] if part.shard.window else 0)
        return InputError(
            error.source,
            f"{error.detail} (row {first_row + row} of all shards)",
            row=error.row,
            column=error.column,
            hint=error.hint,
        )
    if isinstance(error, InputError) and sample is not None and first_row is not None:
        return InputError(  # a text file's line, and the sample's row among all shards
            error.source,
            f"{error.detail} (row {first_row + sample} of all shards)",
            line=error.line,
            column=error.column,
            hint=error.hint,
        )
    return error


def merged_detector(parts: list[Part]) -> KindDetector | None:
    """One detector for every shard's values (None: the kind was given)."""
    detectors, offset = [], 0
    for part in parts:
        if part.detector is not None:
            detectors.append((part.detector, offset))
        offset += part.rows
    return KindDetector.merged(detectors) if detectors else None


def decide(
    parts: list[Part], again: Callable[[list[Part], KindDetector], list[Part]]
) -> tuple[list[Part], KindDetector | None]:
    """``--from auto`` over all shards: the kind one detector would decide over their values.
    Parts computed under another kind are computed ``again`` under it (as decided, not as
    an explicit ``--from``: no warning meant for a kind the user gave)."""
    merged = merged_detector(parts)
    if merged is None:
        return parts, None
    odd = [p for p in parts if p.kind != merged.kind]
    if odd:
        redone = {p.shard.index: p for p in again(odd, Decided(merged))}
        parts = [redone.get(p.shard.index, p) for p in parts]
    return parts, merged


def kind_note(parts: list[Part], merged: KindDetector, pattern: str, noun: str) -> str:
    """The note a single file's run makes, once for all shards (and their row windows)."""
    files = len({p.shard.preds for p in parts})
    tasks = f", {len(parts)} tasks" if len(parts) > files else ""
    return (
        f"{pattern} ({files} shard{'s' if files > 1 else ''}{tasks}): treating {noun} as "
        f"{merged.kind} ({merged.reason()}); --from sets the kind"
    )


def first_rows(parts: list[Part]) -> list[int]:
    """The global row of each part's first row."""
    out, row = [], 0
    for part in parts:
        out.append(row)
        row += part.rows
    return out


def ask_local(parts: list[Part]) -> select.Ask:
    """Requests about the losses, answered here (the local engine holds them)."""
    return lambda requests: [select.answer(p.keys, requests) for p in parts]


def run_local(
    task_class: type[Task],
    opts: LossOptions,
    keep: Keep,
    shards: list[Shard],
    *,
    strict: bool = False,
    on_records: Callable[[Records], None] | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    task: Task | None = None,
) -> tuple[list[Part], KindDetector | None]:
    """The shards one after the other, each on every core, as Dask computes them (then the
    kind is decided over all). Records stream in shard order with their global indexes,
    under a kind decided before the first is written (:func:`_kind_ahead`)."""
    known = [s.rows for s in shards if s.rows is not None]
    total = sum(known) if len(known) == len(shards) else None
    ahead = None
    if on_records is not None and opts.kind == "auto" and len(shards) > 1:
        ahead = _kind_ahead(task_class, opts, shards, strict)
    parts: list[Part] = []
    offset = row = 0
    for shard in shards:
        merged = merged_detector(parts) if on_records is not None else None  # streaming
        settled = merged if merged is not None and merged.settled else ahead
        stream = None if on_records is None else _rebased(on_records, offset, parts)
        progress = None if on_progress is None else _moved(on_progress, row, total)
        part = compute(
            task_class,
            opts,
            keep,
            shard,
            strict=strict,
            detector=None if settled is None else Decided(settled),
            on_records=stream,
            on_progress=progress,
            task=task if not parts else None,
        )
        if part.error is not None:
            raise failed(part, row)
        if on_records is not None and parts and part.kind != parts[0].kind:
            raise CeceError(
                f"{shard.preds}: its values rule out {parts[0].kind}, which the shards "
                "before it suggested (and whose records are written)",
                hint="pass --from to say what the predictions are",
            )
        parts.append(part)
        offset, row = offset + part.indexes, row + part.rows

    def again(odd: list[Part], decided: KindDetector) -> list[Part]:
        return [
            compute(task_class, opts, keep, p.shard, strict=strict, detector=decided) for p in odd
        ]

    return decide(parts, again)


def _kind_ahead(
    task_class: type[Task], opts: LossOptions, shards: list[Shard], strict: bool
) -> KindDetector:
    """``--from auto`` before records stream: the shards are read (computing nothing kept)
    until their values rule out every kind but logits (usually within the first shard), or
    to the end; records are then written under that kind only, never under a kind a later
    shard would rule out."""
    seen: list[Part] = []
    row = 0
    bare = Keep(head=0, losses=False)
    for shard in shards:
        part = compute(task_class, opts, bare, shard, strict=strict)
        if part.error is not None:
            raise failed(part, row)
        seen.append(part)
        row += part.rows
        merged = merged_detector(seen)
        if merged is not None and merged.settled:
            return Decided(merged)
    merged = merged_detector(seen)
    assert merged is not None  # --from auto: every part has its detector
    return Decided(merged)


def _rebased(
    on_records: Callable[[Records], None], offset: int, parts: list[Part]
) -> Callable[[Records], None]:
    """A shard's records with indexes among all shards' (and sequences, for N-D records)."""
    sequences = sum(p.axis0 for p in parts)

    def put(records: Records) -> None:
        records = dict(records)
        records["index"] = records["index"] + offset
        for axis in FIRST_AXES:
            if axis in records:
                records[axis] = records[axis] + sequences
        on_records(records)

    return put


def _moved(
    on_progress: Callable[[int, int | None], None], row: int, total: int | None
) -> Callable[[int, int | None], None]:
    return lambda done, _rows: on_progress(row + done, total)
