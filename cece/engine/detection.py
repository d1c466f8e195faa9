"""Kind detection over a pass's blocks (``--from auto``, and the spy that watches ``--from
logits`` for probabilities).

The main thread looks at the first block before it is computed: its first 2^16 values mostly
settle the kind (logits leave [0, 1]), and nothing else is read for it. Where the values keep
more than one kind possible (probabilities: every block must be seen), each later block is
looked at by the worker that computes it, with a detector of its own, and the
fold absorbs that detector in block order (:meth:`KindDetector.absorb`, the rule
:meth:`KindDetector.merged` applies to shards): the verdict is the one a look in order gives,
and the main thread no longer reads every block first. A worker whose block rules out the kind
in use computes nothing: the fold then changes the kind as the main thread's look would have.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from cece.checks import KindDetector
from cece.engine.task import Task
from cece.errors import CeceError
from cece.io import bfloat16
from cece.losses.terms import Terms

if TYPE_CHECKING:
    from cece.engine.pipeline import Pass


class KindChanged(Exception):
    """Auto-detection revised its verdict before anything was streamed: start a new pass."""


def detect(
    run: Pass,
    detector: KindDetector | None,
    spy: KindDetector | None,
    p: np.ndarray | None,
    start: int,
    local: KindDetector | None = None,
) -> None:
    """A pass's detection at block ``start``, in block order (main thread), while something
    is left to learn: a look at the block ``p`` here, or a worker's look at it (``local``),
    absorbed. Then the verdict: ambiguous values refused before a record is streamed, the
    kind decided on the first block (and noted), or a change of kind (a new pass; an error
    once records have been streamed)."""
    task, watch = run.task, spy if detector is None else detector
    if watch is not None and not watch.settled:
        if local is not None:
            watch.absorb(local)
        elif p is not None:
            look(task, watch, bfloat16.values(p), start, check=detector is not None)
    if detector is None:
        return
    if detector.ambiguous:  # refused before a record is streamed
        task.undecided(detector)
    if run.kind is None:
        run.kind = detector.kind
        if run.announce and run.kind != run.noted:  # an earlier pass's note, revised
            revised = f", not {run.noted} as the first rows suggested" if run.noted else ""
            task.diag.note(
                f"{task.preds.name}: treating {task.noun} as {run.kind}{revised} "
                f"({detector.reason()}); --from sets the kind"
            )
    elif detector.kind != run.kind:
        if run.streamed:
            raise CeceError(
                f"{task.preds.name}: rows from {start} on rule out "
                f"{run.kind}, which the first rows suggested",
                hint="pass --from to say what the predictions are",
            )
        raise KindChanged


def look(
    task: Task,
    watch: KindDetector,
    values: np.ndarray,
    start: int,
    *,
    check: bool,
    labels: np.ndarray | None = None,
) -> None:
    """``watch`` learns from a block's values (the first 2^16 first, where they may settle it);
    ``check``: values the detector's one pass found not finite are checked (the check raises,
    naming the place, or finds −inf logits). ``labels``: the block's class indices, which the
    look at the whole block picks at as well (``Task.pick_labels``)."""
    head = max(1, (1 << 16) // max(1, math.prod(values.shape[1:])))
    for part in (values[:head], values) if len(values) > head else (values,):
        watch.update(part, start, labels if part is values else None)
        if check and not watch.finite:
            task.check_values(None, part, start)
        if watch.settled:
            break


def block_look(
    task: Task, values: np.ndarray, start: int, block: dict, kind: str, *, check: bool
) -> KindDetector:
    """A worker's look at one block: a fresh detector of the task's, having seen it (and,
    where the block is to be computed as ``kind`` probabilities against class indices read
    as they are, having taken the loss's picks: one pass over the block for both,
    ``kernels.row_stats``)."""
    local = task.detector()
    look(task, local, values, start, check=check, labels=task.pick_labels(block, kind))
    return local


def worker_look(
    run: Pass, start: int, p: np.ndarray, block: dict, kind: str, *, check: bool
) -> tuple[KindDetector, Terms | None]:
    """A worker's look at one block, and the block's terms where computing them was the look:
    where the pass keeps the values' extrema (``Task.range_in_pass``: binary probabilities),
    they are what :func:`block_look` would learn, without a pass of its own; the terms are
    the block's if the look leaves ``kind`` possible."""
    task = run.task
    if task.range_in_pass(kind):
        try:
            t = run.terms(start, p, block, kind, checked=check)
        except CeceError:  # a bad target or weight: the values' own look first, as before
            local = block_look(task, bfloat16.values(p), start, block, kind, check=check)
            if rules_out(local, kind):  # the kind changes (the new pass meets the error)
                return local, None
            raise
        if t.extent is not None:
            local = task.detector()
            local.saw(*t.extent)
            if check and not local.finite:
                task.check_values(None, bfloat16.values(p), start)  # raises, naming the place
            return local, t
    return block_look(task, bfloat16.values(p), start, block, kind, check=check), None


def rules_out(local: KindDetector, kind: str) -> bool:
    """Whether a block's look rules out the kind in use (probabilities or log-probabilities;
    nothing rules logits out), so that computing it under that kind is pointless."""
    return kind in local.possible and not local.possible[kind]
