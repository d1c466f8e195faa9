"""Output buffers of the text parser, reused once no array refers to them.

A parsed block of a large CSV is a fresh float64 array of ~13 MB; fresh pages come from the
kernel zeroed, a page fault each, and at 1 GB of text that zeroing and faulting is about a
twentieth of the run's CPU. A table keeps the buffers it parsed into and hands one out again
when nothing refers to it any more: every numpy view of a buffer holds a reference to it
(numpy collapses a view's ``base`` to the array that owns the memory), so a buffer whose
reference count is what an unreferenced array's is has no reader left, in any thread.

The count an unreferenced array has is measured once, by the same code path that tests a
buffer (interpreters may borrow references on their stack; views never do). Where reference
counts are not exact -- a build without the GIL -- buffers are never reused.
"""

from __future__ import annotations

import sys

import numpy as np


def _refs(buf: np.ndarray) -> int:
    return sys.getrefcount(buf)


def _count_of_unreferenced() -> int:
    buf = np.empty(1)  # held by this local alone, as a buffer taken from the pool is
    return _refs(buf)


_EXACT = getattr(sys, "_is_gil_enabled", lambda: True)()
_UNUSED = _count_of_unreferenced()


class Buffers:
    """At most ``keep`` float64 buffers of ``ncols`` columns, handed out again when unused."""

    def __init__(self, ncols: int, keep: int) -> None:
        self.ncols = ncols
        self.keep = keep if _EXACT else 0
        self._pool: list[np.ndarray] = []

    def take(self, rows: int, least: int) -> np.ndarray:
        """A (≥ rows, ncols) buffer: an unused one, or a new one of max(rows, least) rows.
        Buffers are taken out of the pool while tested (list.pop is atomic), so two threads
        never test, and take, the same one."""
        pool = self._pool
        for _ in range(len(pool)):
            try:
                buf = pool.pop(0)
            except IndexError:
                break
            if _refs(buf) > _UNUSED:  # a block still refers to it
                pool.append(buf)
                continue
            if len(buf) >= rows:
                return buf
            # unused but too small (a block longer than the usual): dropped
        return np.empty((max(rows, least), self.ncols))

    def give(self, buf: np.ndarray) -> None:
        """Keep ``buf`` for later blocks (it stays in use while a view of it lives)."""
        if len(self._pool) < self.keep:
            self._pool.append(buf)
