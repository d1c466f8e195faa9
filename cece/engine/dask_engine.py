"""The Dask engine: one task per shard on a cluster, folded on the client in shard order.

A task runs :func:`cece.engine.shards.compute` on a worker (single-threaded: the cluster's
workers are the parallelism) and keeps the part, losses included, in the worker's memory; the
client gathers each part without its losses, folds them in shard order, and asks the workers
for the digit counts and bins the exact median and ``--hist`` need
(:mod:`cece.engine.select`), so no sample crosses the network.

Input errors travel as data (a part's ``error``): the shard's own line, plus its row among
all shards, and the other tasks are cancelled. A worker lost mid-task is Dask's to retry, and
the result does not change; a scheduler out of reach, a task that keeps killing its workers
and workers running another cece or numpy are :class:`~cece.errors.EngineError` (exit 4).
Dask is imported here only, and only for ``--engine dask``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

from cece.checks import KindDetector
from cece.engine import select
from cece.engine.shards import Part, compute, decide, failed
from cece.engine.task import Task
from cece.errors import CeceError, EngineError, InputError
from cece.io.shards import Shard
from cece.options import EngineOptions, Keep, LossOptions

TIMEOUT = 10.0  # seconds to reach a scheduler; CECE_DASK_TIMEOUT changes it
# the loss options that can name a local file, which the workers read too
FILES = ("sample_weight", "mask", "sequence_ids", "bytes", "words", "rescale")
KILL_HOOK = "CECE_TEST_KILL_WORKER"  # tests: a marker file, or "always"


def versions() -> dict:
    """What must agree between the client and every worker."""
    import numpy as np

    from cece import __version__, _native

    return {"cece": __version__, "numpy": np.__version__, "compiled kernels": bool(_native.FAST)}


def worker_versions() -> dict:
    """:func:`versions`, as a worker finds them."""
    return versions()


def shard_task(
    task_class: type[Task],
    opts: LossOptions,
    keep: Keep,
    shard: Shard,
    strict: bool,
    detector: KindDetector | None,
) -> Part:
    """A shard on a worker: cece single-threaded (the cluster's workers run in parallel)."""
    os.environ["CECE_THREADS"] = "1"
    _kill_hook(shard)
    return compute(task_class, opts, keep, shard, strict=strict, detector=detector)


def without_losses(part: Part) -> Part:
    return part.without_losses()


def answers(part: Part, requests: list[tuple]) -> list:
    return select.answer(part.keys, requests)


def _kill_hook(shard: Shard) -> None:
    """Tests: the first shard's task kills its worker once (a marker file says it did), or
    every time (``always``): what a worker lost mid-task looks like to Dask."""
    marker = os.environ.get(KILL_HOOK)
    if not marker or shard.index != 0:
        return
    if marker != "always":
        if os.path.exists(marker):
            return
        open(marker, "w").close()
    os._exit(1)


class Cluster:
    """A connection to a scheduler (``--scheduler``, else Dask's configuration, else a
    ``LocalCluster`` of ``--workers`` single-threaded worker processes), as a context."""

    def __init__(self, options: EngineOptions, note: Callable[[str], None]) -> None:
        self.options, self.note = options, note
        self.client: Any = None
        self.cluster: Any = None
        self.futures: list[Any] = []
        self.shards: list[Shard] = []
        self.given: dict[str, str] = {}  # absolute path sent to the workers → the name given
        self.tasks = 0

    def __enter__(self) -> Cluster:
        try:
            import dask
            import distributed
        except ImportError:
            raise CeceError("--engine dask needs Dask", hint="pip install 'cece[dask]'") from None
        for name in ("distributed", "distributed.worker", "distributed.nanny", "tornado"):
            logging.getLogger(name).setLevel(logging.CRITICAL)  # errors travel as data
        address = self.options.scheduler or dask.config.get("scheduler-address", None)
        timeout = float(os.environ.get("CECE_DASK_TIMEOUT", "") or TIMEOUT)
        try:
            if address:
                self.client = distributed.Client(address, timeout=timeout)
            else:
                self.cluster = distributed.LocalCluster(
                    n_workers=self.options.workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    silence_logs=logging.CRITICAL,
                )
                self.client = distributed.Client(self.cluster, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            self.__exit__(None, None, None)
            raise EngineError(
                f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
                f"({type(exc).__name__})",
                hint="check --scheduler (or DASK_SCHEDULER_ADDRESS); without either, "
                "cece starts a local cluster",
            ) from None
        self.address = address or self.client.scheduler.address
        try:
            self._same_versions()
        except BaseException:  # __exit__ does not run when __enter__ raises: close here
            self.__exit__(None, None, None)
            raise
        link = getattr(self.client, "dashboard_link", None)
        if link:
            self.note(f"Dask dashboard: {link}")
        return self

    def __exit__(self, *exc: object) -> None:
        for thing in (self.client, self.cluster):
            if thing is not None:
                with contextlib.suppress(Exception):  # a cluster that failed to start
                    thing.close()

    def _same_versions(self) -> None:
        mine = versions()
        try:
            theirs = self.client.run(worker_versions)
        except Exception as exc:
            raise EngineError(
                f"the Dask workers cannot run cece ({type(exc).__name__}: {exc})",
                hint="install the same cece on every worker",
            ) from None
        if not theirs:
            raise EngineError(f"the Dask scheduler at {self.address} has no workers")
        for worker, found in sorted(theirs.items()):
            if found != mine:
                differ = [f"{k} {found[k]} (here {mine[k]})" for k in mine if found[k] != mine[k]]
                raise EngineError(
                    f"Dask worker {worker} runs {', '.join(differ)}; --engine dask needs the "
                    "same cece, numpy and compiled kernels everywhere",
                    hint="install the same versions on the workers as on this machine",
                )
        self.workers = len(theirs)

    def run(
        self,
        task_class: type[Task],
        opts: LossOptions,
        keep: Keep,
        shards: list[Shard],
        *,
        strict: bool = False,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> tuple[list[Part], KindDetector | None]:
        """Every shard as a task; parts gathered as they complete (progress), then the kind
        decided over all of them."""
        known = [s.rows for s in shards if s.rows is not None]
        total = sum(known) if len(known) == len(shards) else None
        self.shards = shards
        self.futures = self._submit(task_class, opts, keep, shards, strict, None)
        parts = self._gather(shards, total, on_progress)

        def again(odd: list[Part], decided: KindDetector) -> list[Part]:
            redo = [p.shard for p in odd]
            futures = self._submit(task_class, opts, keep, redo, strict, decided)
            for shard, future in zip(redo, futures):
                self.futures[shard.index] = future
            return self._gather(redo, None, None, futures)

        return decide(parts, again)

    def _submit(self, task_class, opts, keep, shards, strict, detector) -> list:
        token = uuid.uuid4().hex[:12]
        self.tasks += len(shards)
        opts = dataclasses.replace(opts, **{k: self._path(getattr(opts, k)) for k in FILES})
        return [
            self.client.submit(
                shard_task,
                task_class,
                opts,
                keep,
                self._located(shard),
                strict,
                detector,
                key=f"cece-shard-{shard.index}-{token}",
                pure=False,
            )
            for shard in shards
        ]

    def _gather(self, shards, total, on_progress, futures=None) -> list[Part]:
        from distributed import as_completed

        futures = self.futures if futures is None else futures
        metas = {
            self.client.submit(without_losses, f, pure=False): i for i, f in enumerate(futures)
        }
        parts: dict[int, Part] = {}
        rows = 0
        try:
            for meta in as_completed(list(metas)):
                shard = shards[metas[meta]]
                part = self._given_names(
                    dataclasses.replace(self._result(meta, shard), shard=shard)
                )
                if part.error is not None:
                    self.client.cancel(futures)
                    raise self._as_given(failed(part, _first_row(self.shards, shard.index)))
                parts[metas[meta]] = part
                rows += part.rows
                if on_progress is not None:
                    on_progress(rows, total)
        finally:
            self.client.cancel(list(metas))
        return [parts[i] for i in range(len(shards))]

    def _path(self, arg: str | None) -> str | None:
        """A local file named relative to this directory, named for the workers (whose
        directory is theirs): absolute. URLs, names of columns and numbers stay as given."""
        if arg is None or "://" in arg or os.path.isabs(arg):
            return arg
        base = arg if os.path.exists(arg) else arg.rpartition(":")[0]
        if not base or not os.path.exists(base):
            return arg
        absolute = os.path.abspath(arg)
        self.given[absolute] = arg
        return absolute

    def _located(self, shard: Shard) -> Shard:
        extra = {k: self._path(v) or v for k, v in shard.extra.items()}
        return dataclasses.replace(
            shard,
            preds=self._path(shard.preds) or shard.preds,
            labels=self._path(shard.labels),
            extra=extra,
        )

    def _given_names(self, part: Part) -> Part:
        """A worker's part with the files named as they were given (warnings, notes and
        ``input`` facts: the local engine's document, to the letter)."""
        if not self.given:
            return part
        if part.result is not None:
            result = part.result
            result.input = self._renamed(result.input)
            result.warnings = self._renamed(result.warnings)
        part.notes = self._renamed(part.notes)
        part.hints = self._renamed(part.hints)
        return part

    def _renamed(self, value: Any) -> Any:
        if isinstance(value, str):
            for absolute, arg in sorted(self.given.items(), key=lambda kv: -len(kv[0])):
                value = value.replace(absolute, arg)
            return value
        if isinstance(value, dict):
            return {self._renamed(k): self._renamed(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._renamed(v) for v in value]
        return value

    def _as_given(self, error: CeceError) -> CeceError:
        """A worker's error line with the files named as they were given."""
        for absolute, arg in sorted(self.given.items(), key=lambda kv: -len(kv[0])):
            error.message = error.message.replace(absolute, arg)
            if isinstance(error, InputError):
                error.source = error.source.replace(absolute, arg)
        return error

    def _result(self, meta: Any, shard: Shard) -> Part:
        from distributed.scheduler import KilledWorker

        try:
            return meta.result()
        except KilledWorker:
            raise EngineError(
                f"the task of shard {shard.preds} kept killing its Dask workers (out of "
                "memory, or a crash): Dask gave up",
                hint="give the workers more memory (--workers fewer), or split the shard",
            ) from None

    def ask(self, requests: list[tuple]) -> list[list]:
        """Requests about the losses, answered by the workers that hold them."""
        return self.client.gather(
            self.client.map(answers, self.futures, requests=requests, pure=False)
        )

    def facts(self) -> dict:
        """JSON ``input.engine``."""
        return {
            "name": "dask",
            "scheduler": self.address,
            "workers": self.workers,
            "tasks": self.tasks,
            "retries": self.retries(),
        }

    def retries(self) -> int:
        """Tasks started again after a worker was lost (from the scheduler's story)."""
        try:
            keys = [f.key for f in self.futures]
            story = self.client.story(*keys)
        except Exception:  # an older distributed: not known
            return 0
        starts = sum(1 for event in story if len(event) > 2 and event[2] == "processing")
        return max(0, starts - len(self.futures))


def _first_row(shards: list[Shard], index: int) -> int | None:
    """The global row of a shard's first row, where the headers of the shards before it
    told their rows."""
    before = [s.rows for s in shards if s.index < index]
    return sum(r for r in before if r is not None) if None not in before else None
