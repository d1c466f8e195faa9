"""cece on any engine: the per-shard function and the fold, for Dask, Ray, Spark or a loop.

``--engine dask`` is built from these; another engine needs only to run :func:`compute_shard`
where the data is and hand the parts back::

    from cece import distributed

    job = distributed.job("categorical", kind="logits", weight=(1.0, 2.0, 1.0))
    shards = distributed.shards("preds-*.npy", "labels-*.npy")
    parts = [distributed.compute_shard(job, s) for s in shards]  # e.g. ray.get([...])
    doc = distributed.combine(job, parts)  # the JSON document `cece categorical -f json` writes

A part is picklable and carries its shard's mergeable sums, first and worst records and the
losses the exact median needs (8 bytes a sample; keep them on the workers and pass ``ask``
to :func:`combine` to answer the median's requests there, as the Dask engine does). An input
error comes back as ``part.error`` (data, not an exception); :func:`combine` raises it, with
the row among all shards. Parts must come in shard order (``part.shard.index``): combine
sorts them. ``--from auto`` is decided over all shards; parts computed under another kind
are computed again, in this process, by :func:`combine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cece.engine import fold as folding
from cece.engine import select
from cece.engine import shards as sharding
from cece.engine.binary import Binary
from cece.engine.categorical import Categorical
from cece.engine.measures import KL, Entropy
from cece.engine.shards import Part, failed, first_rows
from cece.engine.task import Task
from cece.errors import OptionError
from cece.io import shards as io_shards
from cece.io.shards import Shard
from cece.options import Keep, LossOptions

__all__ = ["Job", "Part", "Shard", "combine", "compute_shard", "job", "shards"]

TASKS: dict[str, type[Task]] = {
    "categorical": Categorical,
    "binary": Binary,
    "entropy": Entropy,
    "kl": KL,
}


@dataclass(frozen=True)
class Job:
    """What every shard computes: the command, its loss options, what to keep per sample."""

    command: str
    options: LossOptions = field(default_factory=LossOptions)
    keep: Keep = field(default_factory=lambda: Keep(head=0))

    @property
    def task(self) -> type[Task]:
        return TASKS[self.command]


def job(command: str, *, worst: int = 0, hist: bool = False, **options) -> Job:
    """A job of ``command`` (categorical, binary, entropy, kl) with the loss options' fields
    (:class:`cece.options.LossOptions`: ``kind``, ``reduction``, ``weight``, …)."""
    if command not in TASKS:
        raise OptionError(f"no command {command!r}: one of {', '.join(TASKS)}")
    return Job(command, LossOptions(**options), Keep(head=0, worst=worst, hist=hist))


def shards(preds: str, labels: str | None = None, **per_row: str) -> list[Shard]:
    """The shards a pattern or ``@list.txt`` names (one shard for a single file)."""
    found = io_shards.resolve(preds, labels, dict(per_row))
    if found is None:
        return [Shard(0, preds, labels, dict(per_row), (), io_shards.rows_of(preds))]
    return found


def compute_shard(job: Job, shard: Shard) -> Part:
    """One shard's mergeable record (run it where the data is)."""
    return sharding.compute(job.task, job.options, job.keep, shard)


def combine(
    job: Job,
    parts: list[Part],
    *,
    ask: select.Ask | None = None,
    names: dict[str, str | None] | None = None,
    confidence: float = 0.95,
) -> dict:
    """The JSON document of all shards, from their parts in any order (``ask``: answers the
    median's requests where the parts' losses are held; default: in the parts given;
    ``names``: how the inputs were given, e.g. ``{"preds": "preds-*.npy", "labels":
    "labels-*.npy"}``, for ``input``; ``confidence``: of ``stats.ci``)."""
    from cece.report.documents import document, plain

    parts = sorted(parts, key=lambda p: p.shard.index)
    for part, row in zip(parts, first_rows(parts)):
        if part.error is not None:
            raise failed(part, row)

    def again(odd: list[Part], decided) -> list[Part]:
        return [
            sharding.compute(job.task, job.options, job.keep, p.shard, detector=decided)
            for p in odd
        ]

    kinds = {p.kind for p in parts}
    parts, _ = sharding.decide(parts, again)
    if ask is not None and len(kinds) > 1:
        raise OptionError(
            "the shards suggested different kinds of predictions; with ask, give the kind",
            hint="job(..., kind='logits') (or 'probs', 'log-probs')",
        )
    result = folding.fold(
        parts,
        job.keep,
        ask or sharding.ask_local(parts),
        names=names or {},
        engine={"name": "custom", "tasks": len(parts)},
    )
    result.options["confidence"] = confidence  # of stats.ci, as the CLI's --confidence
    return plain(document(result))
