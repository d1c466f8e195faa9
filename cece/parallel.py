"""Threads: how many compute, a small pool of them, and an ordered map over blocks.

numpy and the compiled kernels release the GIL, so blocks run on every core in threads; results
are taken in input order, so a run's bits do not depend on the thread count.

The pool is a few daemon threads over a queue (not ``concurrent.futures``, whose import brings
``logging`` and costs a run more than its thread starts do): a job's result, or the exception it
raised (re-raised in the thread that asks, with its own type and traceback), is waited for on a
lock, so Ctrl-C interrupts the wait as it interrupts any lock. The callers bound what is in
flight (a few blocks a worker) and settle every job before they return (:func:`settle`).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from queue import SimpleQueue
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def worker_threads() -> int:
    """Threads that compute (and parse) blocks: the cores, or ``CECE_THREADS``."""
    try:
        return max(1, int(os.environ.get("CECE_THREADS", "") or (os.cpu_count() or 1)))
    except ValueError:
        return 1


class Job(Generic[T]):
    """One call handed to a :class:`Pool`: its result once done, or its exception."""

    __slots__ = ("_args", "_claim", "_done", "_error", "_fn", "_value")

    def __init__(self, fn: Callable[..., T], args: tuple) -> None:
        self._fn: Callable[..., T] | None = fn
        self._args = args
        self._value: T | None = None
        self._error: BaseException | None = None
        self._claim = threading.Lock()  # taken by whoever decides first: a worker, or cancel()
        self._done = threading.Lock()
        self._done.acquire()  # released when the job has run (or will never run)

    def run(self) -> None:
        """In a worker: the call, unless it was cancelled first."""
        if self._claim.acquire(blocking=False):
            fn, args = self._fn, self._args
            assert fn is not None
            try:
                self._value = fn(*args)
            except BaseException as error:  # handed to the thread that asks for the result
                self._error = error
        self._fn, self._args = None, ()  # nothing of the call is kept
        self._done.release()

    def cancel(self) -> bool:
        """True if the job had not started: it never will (and :meth:`result` is not to be
        asked); False if it ran or is running."""
        return self._claim.acquire(blocking=False)

    def wait(self) -> None:
        """Until the job has run (or was cancelled); an interruptible wait (Ctrl-C)."""
        self._done.acquire()
        self._done.release()

    def result(self) -> T:
        """The call's value, waited for; its exception, raised here."""
        self.wait()
        error = self._error
        if error is not None:
            self._error = None  # no cycle through the traceback's frames
            try:
                raise error
            finally:
                error = None
        return self._value  # type: ignore[return-value]


class Pool:
    """``threads`` daemon threads running jobs in the order they were submitted."""

    def __init__(self, threads: int, name: str = "cece") -> None:
        self.queue: SimpleQueue[Job | None] = SimpleQueue()
        self.threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self.threads:
            thread.start()

    def _work(self) -> None:
        get = self.queue.get
        while (job := get()) is not None:
            job.run()
            del job  # the finished job (and its value) belongs to the caller alone

    def submit(self, fn: Callable[..., T], *args: Any) -> Job[T]:
        job = Job(fn, args)
        self.queue.put(job)
        return job


def settle(jobs: Iterable[Job]) -> None:
    """After an error or an early stop: jobs not yet started never will; those that are
    running are waited for (no block outlives its pass, none writes into a freed buffer)."""
    running = [job for job in list(jobs) if not job.cancel()]
    for job in running:
        job.wait()


_POOLS: dict[tuple[str, int], Pool] = {}


def shared_pool(threads: int, name: str = "cece") -> Pool:
    """One pool of ``threads`` threads per ``name`` for the process, kept between passes: a run
    over many shards starts its threads once (a thread's start costs milliseconds on a busy
    machine). A forked child starts its own (the parent's threads are not in it)."""
    pool = _POOLS.get((name, threads))
    if pool is None:
        pool = _POOLS[name, threads] = Pool(threads, name)
    return pool


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_POOLS.clear)


def in_order(
    raw_blocks: Iterable[tuple[int, Any]], parse: Callable[..., T], *args: Any, threads: int
) -> Iterator[T]:
    """``parse(start, raw, *args)`` for each ``(start, raw)`` block, by ``threads`` threads
    (a pool of their own, apart from the compute workers), yielded in input order; at most
    ``threads + 1`` blocks are in flight."""
    if threads <= 1:
        for start, raw in raw_blocks:
            yield parse(start, raw, *args)
        return
    pool = shared_pool(threads, "cece-parse")
    pending: deque[Job[T]] = deque()
    try:
        for start, raw in raw_blocks:
            pending.append(pool.submit(parse, start, raw, *args))
            if len(pending) > threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        settle(pending)
