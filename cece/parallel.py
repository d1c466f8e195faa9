"""Threads: how many compute, and an ordered map over blocks.

numpy and the compiled kernels release the GIL, so blocks run on every core in threads; results
are taken in input order, so a run's bits do not depend on the thread count.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # start-up: concurrent.futures (and logging) only when a pool starts
    from concurrent.futures import ThreadPoolExecutor

T = TypeVar("T")


def worker_threads() -> int:
    """Threads that compute (and parse) blocks: the cores, or ``CECE_THREADS``."""
    try:
        return max(1, int(os.environ.get("CECE_THREADS", "") or (os.cpu_count() or 1)))
    except ValueError:
        return 1


_POOLS: dict[int, ThreadPoolExecutor] = {}


def shared_pool(threads: int) -> ThreadPoolExecutor:
    """One pool of ``threads`` threads for the process, kept between passes: a run over
    many shards starts its threads once (a thread's start costs milliseconds on a busy
    machine)."""
    pool = _POOLS.get(threads)
    if pool is None:
        from concurrent.futures import ThreadPoolExecutor

        pool = _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="cece")
    return pool


def in_order(
    raw_blocks: Iterable[tuple[int, Any]], parse: Callable[..., T], *args: Any, threads: int
) -> Iterator[T]:
    """``parse(start, raw, *args)`` for each ``(start, raw)`` block, by ``threads`` threads,
    yielded in input order; at most ``threads + 1`` blocks are in flight."""
    if threads <= 1:
        for start, raw in raw_blocks:
            yield parse(start, raw, *args)
        return
    from concurrent.futures import ThreadPoolExecutor

    pending: deque = deque()
    with ThreadPoolExecutor(threads) as pool:
        try:
            for start, raw in raw_blocks:
                pending.append(pool.submit(parse, start, raw, *args))
                if len(pending) > threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
