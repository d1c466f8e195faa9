"""The pipeline behind a loss command: read → check → compute per sample → reduce.

Inputs are read in aligned row blocks (:mod:`cece.io.blocks`); each block is checked, turned
into per-sample terms and folded into mergeable aggregates (:mod:`cece.engine.reduce`). What
differs between commands is a :class:`~cece.engine.task.Task`; this module is the loop they
share. Results come back as a :class:`Result`; records can be streamed as they are computed.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import field
from typing import Any

import numpy as np

from cece import _native as kernels
from cece.checks import KindDetector
from cece.engine import detection
from cece.engine.detection import KindChanged
from cece.engine.reduce import LossLog, Summary, Worst, block_moments, histogram
from cece.engine.result import Result
from cece.engine.task import ClassCounts, Records, Task, weights_warning
from cece.errors import CeceError, InputError
from cece.io import arrays, bfloat16, blocks
from cece.losses.terms import Terms
from cece.parallel import settle, shared_pool, worker_threads
from cece.structs import struct


@struct
class _Done:
    """What the run keeps of a computed block."""

    summary: Summary
    n: int
    class_counts: ClassCounts | None = None
    head: list[dict] = field(default_factory=list)
    worst: list = field(default_factory=list)
    every: Records | None = None
    sequences: Any = None  # the block's runs of one sequence (--per-sequence)
    detected: KindDetector | None = None  # the worker's look at the block (detection.py)


threads = worker_threads  # threads for blocks (numpy and the kernels release the GIL)


def run(
    task: Task,
    preds_arg: str,
    labels_arg: str | None,
    on_records: Callable[[Records], None] | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    on_terms: Callable[[int, np.ndarray, dict, Terms, str], None] | None = None,
) -> Result:
    """Open the inputs, then one pass (two if auto-detection must revise its verdict).

    Hooks: ``on_records(records)`` gets every block's per-sample records, in order (streamed
    output); ``on_progress(rows_done, rows_total)`` after each block; ``on_terms(start, preds,
    block, terms, kind)`` every block's raw inputs and per-sample terms, from the worker thread
    that computed them (``cece explain`` keeps one row; copy what you keep, the kernels reuse
    their buffers).
    """
    loop, detector = passes(task, preds_arg, labels_arg, on_records, on_progress, on_terms)
    return loop.result(detector)


def passes(
    task: Task,
    preds_arg: str,
    labels_arg: str | None,
    on_records: Callable[[Records], None] | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    on_terms: Callable[[int, np.ndarray, dict, Terms, str], None] | None = None,
    *,
    detector: KindDetector | None = None,
    announce: bool = True,
) -> tuple[Pass, KindDetector | None]:
    """:func:`run` up to its last pass, which is returned with the detector that decided the
    kind (a shard's run keeps the pass: :mod:`cece.engine.shards`). ``detector``: a kind
    decided over several shards (``--from auto``); ``announce``: note the kind decided."""
    task.open(preds_arg, labels_arg)
    for note in [*task.preds.notes, *layout_notes(task)]:  # what the readers found out
        task.diag.note(note)
    if detector is None and task.opts.kind == "auto":
        detector = task.detector()
    noted = None  # the kind a pass gave up, which it noted: the next pass revises the note
    for _ in range(3):
        loop = Pass(task, on_records, on_progress, on_terms)
        loop.announce, loop.noted = announce, noted
        try:
            loop.go(detector)
            break
        except KindChanged:
            noted = loop.kind
        except InputError as error:  # a text file's sample row → the line an editor shows
            located = task.locate(error)
            if located is error:
                raise
            located.sample = error.row  # the sample row, for a shard's row among all shards
            raise located from None
    return loop, detector


def layout_notes(task: Task) -> list[str]:
    """What the readers inferred about the inputs' layout (record fields), to state."""
    return [n for src in task.sources for n in getattr(src.data, "notes", ())]


def layouts(task: Task) -> list[dict]:
    """The inputs' layouts as read (JSON ``input.layout``), for record tables."""
    return [read for src in task.sources if (read := getattr(src.data, "layout", None))]


class Pass:
    """One pass over the inputs under one prediction kind."""

    def __init__(
        self,
        task: Task,
        on_records,
        on_progress: Callable[[int, int | None], None] | None = None,
        on_terms: Callable[[int, np.ndarray, dict, Terms, str], None] | None = None,
    ) -> None:
        self.task, self.opts, self.on_records = task, task.opts, on_records
        self.on_progress, self.on_terms = on_progress, on_terms
        rows = sum(src.rows or 0 for src in task.sources[:1]) * task.elements or None
        self.summary, self.worst = Summary(), Worst(task.keep.worst)
        self.log = LossLog(rows if task.keep.losses else None)
        self.head: list[dict] = []
        self.samples: list[dict] | None = [] if task.keep.every else None
        self.scale = task.opts.scale
        self.per_class = np.zeros((3, task.n_columns))
        self.rows = 0
        self.kind: str | None = task.opts.kind  # None until auto-detection decides
        self.streamed = False
        self.kernels: set[str] = set()
        self.axes = task.record_axes()
        self.sequences = task.sequence_sums()  # per-sequence sums, or None
        self.announce = True  # note the kind --from auto decided
        self.noted: str | None = None  # the kind an earlier pass noted (a new pass's note)
        self.watching: tuple[KindDetector | None, KindDetector | None] = (None, None)

    def go(self, detector: KindDetector | None) -> None:
        """Blocks are checked and computed by ``threads()`` workers and folded in order, so
        the result is the same, to the bit, as a one-thread run."""
        task, preds = self.task, self.task.preds
        # bfloat16 blocks arrive as stored (2 bytes a value) but are sized as float32 ones:
        # half float16's rows, so the first block, decoded for kind detection, stays small
        rows = blocks.rows_per_block(preds.n_classes, preds.dtype.itemsize)
        spy = self.begin(detector)
        self.watching = (detector, spy)
        workers = threads()
        pool = None
        held = None  # the first block: computed here if it is the only one (no pool to start)
        pending: deque = deque()
        try:
            for start, block in blocks.aligned_blocks(task.sources, rows):
                p = block["preds"]
                watch = spy if detector is None else detector
                later = start > 0 and watch is not None and not watch.settled
                if not later:  # else the worker looks, and the fold learns it
                    detection.detect(self, detector, spy, p, start)
                assert self.kind is not None  # decided by detect on the first block
                if workers <= 1:
                    self.fold(start, self.compute(start, p, block, self.kind, later))
                    continue
                if pool is None:
                    if held is None:
                        held = (start, p, block)
                        continue
                    pool = shared_pool(workers)  # a second block: both go to the workers
                    pending.append((held[0], pool.submit(self.compute, *held, self.kind)))
                    held = None
                job = pool.submit(self.compute, start, p, block, self.kind, later)
                pending.append((start, job))
                while len(pending) > workers:
                    first, job = pending.popleft()
                    self.fold(first, job.result())
            if held is not None:
                assert self.kind is not None
                self.fold(held[0], self.compute(*held, self.kind))
            while pending:
                first, job = pending.popleft()
                self.fold(first, job.result())
        finally:  # an error: what is queued is not computed, what runs is waited for
            settle(job for _, job in pending)
        self.end(spy)

    def begin(self, detector: KindDetector | None) -> KindDetector | None:
        """Before the first block: the kind undecided under auto; returns the spy that
        watches --from logits for probabilities (or None)."""
        self.kind = None if detector is not None else self.kind
        return self.task.detector() if self.kind == "logits" else None

    def end(self, spy: KindDetector | None) -> None:
        """After the last block: probabilities fed as logits, said."""
        task = self.task
        if spy is not None and spy.kind == "probs":
            task.diag.warn(
                f"{task.preds.name} looks like probabilities ({spy.reason()}), but "
                f"--from logits applies {task.squash} to them again",
                hint="use --from probs (or auto)",
            )

    def compute(
        self, start: int, p: np.ndarray, block: dict, kind: str, look: bool = False
    ) -> _Done:
        """Compute and reduce one block (in a worker thread when there are several). All the
        run keeps of it is extracted here (summary, per-class counts, losses for the median,
        head and worst-K rows, streamed records): no per-block array leaves this call, so the
        kernels may write into reused buffers, and the block's pages are dropped after it."""
        kernels.reuse_outputs(True)
        try:
            local = t = None  # ``look``: the block's detection, here (detection.py)
            check = self.watching[0] is not None  # --from auto: values checked as looked at
            if look:
                local, t = detection.worker_look(self, start, p, block, kind, check=check)
                if detection.rules_out(local, kind):  # the fold changes the kind: no compute
                    return _Done(Summary(), 0, detected=local)
            checked = local is not None and check and local.verifies(kind, p)
            if t is None:
                t = self.terms(start, p, block, kind, checked)
            if self.on_terms is not None:
                self.on_terms(start, bfloat16.values(p), block, t, kind)
            done = self._reduce(start, t)
            if self.sequences is not None:
                done.sequences = self.sequences.block(start, t, block)
            done.detected = local
            return done
        finally:
            kernels.reuse_outputs(False)
            arrays.release_block(block.values())  # while its pages' tables are in cache

    def terms(
        self, start: int, p: np.ndarray, block: dict, kind: str, checked: bool = False
    ) -> Terms:
        """A block's terms, its values checked. ``checked``: the block's detection found them
        finite and of ``kind`` (:meth:`KindDetector.verifies`): they are not read again; where
        the pass keeps their extrema (``Task.range_in_pass``), those are the check."""
        fused = self.task.fused(kind)  # the fused kernels check finiteness themselves
        if not fused:  # the fused kernels read bfloat16 bits as they are; others need values
            p = bfloat16.values(p)
        self.kernels.add("compiled" if self.task.compiled_pass(kind, p) else "numpy")
        after = not checked and self.task.range_in_pass(kind)  # checked by the pass's extrema
        if not fused and not checked and not after:
            self.task.check_values(kind, p, start)
        if not checked and not after:
            self.task.verify(kind, p, start)
        try:
            t = self.task.terms(start, p, block, kind)
        except CeceError:  # a bad target: the predictions' own errors first, as checked before
            if after:
                self._check_range(kind, p, start)
            raise
        if not t.finite and fused:
            self.task.check_values(kind, bfloat16.values(p), start)  # raises, naming the place
        if after and not (t.extent is not None and t.extent[0] >= 0 and t.extent[1] <= 1):
            self._check_range(kind, p, start)  # raises, naming the place (NaN fails both)
        return t

    def _check_range(self, kind: str, p: np.ndarray, start: int) -> None:
        self.task.check_values(kind, p, start)
        self.task.verify(kind, p, start)

    def _reduce(self, start: int, t: Terms) -> _Done:
        keep, valid, scale = self.task.keep, t.valid, self.scale
        n = len(t.loss)
        first = start * self.task.elements  # --elementwise: records are elements, not rows
        loss = (
            t.loss
            if scale == 1.0
            else np.divide(t.loss, scale, out=kernels.output("scaled", n, np.float64))
        )
        every = valid is kernels.ones(n, bool) or bool(valid.all())
        counted = loss if every else loss[valid]
        weights = t.weight
        # what one pass gave: Σ numerator is Σ loss; a fused kernel's Σ correct, (min, max)
        once = every and scale == 1.0 and t.numerator is t.loss
        summary = Summary.of(
            counted,
            spread=keep.spread,
            weighted_sum=None if once else float(t.numerator.sum()) / scale,
            weight_sum=float(n if weights is kernels.ones(n) else weights.sum()),
            ignored=0 if every else int((~valid).sum()),
            correct=t.correct_sum
            if t.correct_sum is not None
            else float(np.count_nonzero(t.correct) if t.correct.dtype == bool else t.correct.sum()),
            top_k_correct=0 if t.top_k is None else int(np.count_nonzero(t.top_k)),
            entropy=None if t.entropy is None else t.entropy[valid] / scale,
            kl=None if t.kl is None else t.kl[valid] / scale,
            clipped_low=t.clipped_low,
            clipped_high=t.clipped_high,
            moments=block_moments(t, None if every else valid, scale),
            extrema=None
            if t.extrema is None or not every
            else (t.extrema if scale == 1.0 else (t.extrema[0] / scale, t.extrema[1] / scale)),
        )
        if keep.losses:
            self.log.put(first, loss, None if every else valid)
        done = _Done(summary, n // self.task.elements)
        if keep.per_class:
            done.class_counts = self.task.class_counts(t, loss, scale)

        def records(rows) -> Records:  # copies: the kernels' buffers are reused
            rec: Records = {"index": first + kernels.arange(n)[rows], "loss": loss[rows]}
            if self.axes is not None:  # N-D inputs: where the sample sits, one index per axis
                names, shape = self.axes
                rec.update(zip(names, np.unravel_index(rec["index"], shape)))
            self.task.records(rec, t, rows, scale)
            return {k: np.array(v) for k, v in rec.items()}

        if first < keep.head:
            done.head = _rows(records(slice(0, keep.head - first)))
        done.worst = Worst.candidates(loss, valid, records, keep.worst)
        if self.samples is not None or self.on_records is not None:
            done.every = records(slice(None))
        return done

    def fold(self, start: int, done: _Done) -> None:
        """Fold one reduced block into the run, in block order (main thread)."""
        if done.detected is not None:  # first: the kind may change before anything is kept
            detection.detect(self, *self.watching, None, start, local=done.detected)
        self.summary.merge(done.summary)
        if done.sequences is not None:
            self.sequences.fold(done.sequences)
        if isinstance(done.class_counts, tuple):  # the classes a short block holds
            present, sums = done.class_counts
            self.per_class[:, present] += sums
        elif done.class_counts is not None:
            self.per_class += done.class_counts
        self.head.extend(done.head[: max(0, self.task.keep.head - len(self.head))])
        self.worst.offer(done.worst)
        if done.every is not None:
            if self.samples is not None:
                self.samples.extend(_rows(done.every))
            if self.on_records is not None:
                self.streamed = True
                self.on_records(done.every)
        self.rows = start + done.n
        if self.on_progress is not None:
            self.on_progress(self.rows, self.task.preds.source.rows)

    def result(self, detector: KindDetector | None, *, median: bool = True) -> Result:
        """The pass's result; ``median``: False where shards are folded (by their losses)."""
        task, opts = self.task, self.opts
        assert self.kind is not None  # every input has a first block (empty ones are errors)
        task.finish(self.kind, detector, self.summary)
        weights_warning(task, self.summary)
        sequences, sequence_stats = task.sequence_report(self.sequences, self.summary)
        described = task.describe(self.kind, detector is not None, self.rows)
        if read := layouts(task):
            described["layout"] = read
        return Result(
            command=task.command,
            input={**described, **task.preds.facts},
            options=task.options_dict(self.kind),
            unit=opts.unit,
            reduction=opts.reduction,
            summary=self.summary,
            median=self.log.median() if median else math.nan,
            histogram=self._histogram() if median else None,
            fields=_with_axes(task.fields(), self.axes),
            head=self.head,
            worst=self.worst.records(),
            samples=self.samples,
            per_class=task.per_class_rows(self.per_class) if task.keep.per_class else None,
            warnings=list(task.diag.warnings),
            classes=task.classes,
            rows=self.rows,
            has_accuracy=task.accuracy,
            has_perplexity=task.perplexity,
            ran=self._ran(),
            sequences=sequences,
            sequence_stats=sequence_stats,
        )

    def _ran(self) -> dict:
        """The kernels and text parsers that computed this pass (``+``-joined where several)."""
        parsers = set().union(*(getattr(s.data, "parsers", set()) for s in self.task.sources))
        return {
            "kernels": "+".join(sorted(self.kernels)) or None,
            "parser": "+".join(sorted(parsers)) or None,
        }

    def _histogram(self) -> dict | None:
        return histogram(self.log.all()) if self.task.keep.hist else None


def _with_axes(fields: list[str], axes: tuple[list[str], tuple] | None) -> list[str]:
    """Record fields with the position fields of N-D inputs after ``index``."""
    return fields if axes is None else fields[:1] + axes[0] + fields[1:]


def _rows(records: Records) -> list[dict]:
    """Records as dicts of Python scalars."""
    cols = {k: v.tolist() for k, v in records.items()}
    return [dict(zip(cols, row)) for row in zip(*cols.values())]
