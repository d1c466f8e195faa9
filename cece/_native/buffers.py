"""Per-thread output buffers and cached constants, for the kernels of both paths.

On the 2-core machines cece is built on, each first touch of fresh memory is expensive: a fresh
multi-hundred-KiB array costs page faults and the process's memory-map lock (which stalls the
other workers) about as much as the pass that fills it. Inside the engine's workers, kernels
write into buffers reused from block to block; library calls get arrays of their own.
"""

from __future__ import annotations

import threading

import numpy as np

_ARANGE: dict[int, np.ndarray] = {}
_LOCAL = threading.local()
_MAKING = threading.Lock()  # one thread makes a cached constant; the others wait for it


def reuse_outputs(on: bool = True) -> None:
    """In this thread, let kernels write their per-block outputs into reused buffers.

    The engine's workers turn this on: they reduce each block before taking the next, so no
    output outlives its block, and fresh multi-hundred-KiB arrays (mmap, page faults, and the
    process's memory-map lock, which stalls the other workers) are avoided. Library calls
    keep it off and get arrays of their own.
    """
    _LOCAL.reuse = on
    _LOCAL.picks = None  # a block's picks never outlive its computation (remember_picks)


def _where(a: np.ndarray) -> tuple:
    return (a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str)


def remember_picks(x: np.ndarray, y: np.ndarray, picks: tuple[np.ndarray, np.ndarray]) -> None:
    """Keep the (values at the labels, right flags) a look at block ``x`` took with labels ``y``
    (``row_stats``' fused pass), for the ``index_pick`` of the same block and labels that
    follows in the same worker. Only inside the engine's workers (reused outputs on): there a
    block's memory holds the same values from its look to its reduction, and
    :func:`reuse_outputs`, which brackets each block, forgets them; library calls keep
    nothing."""
    if getattr(_LOCAL, "reuse", False):
        _LOCAL.picks = (_where(x), _where(y), picks)


def recall_picks(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The picks :func:`remember_picks` kept for the same memory of ``x`` and ``y`` (the same
    address, shape, strides and dtype), once; None otherwise."""
    if not picks_kept(x, y):
        return None
    kept, _LOCAL.picks = _LOCAL.picks, None
    return kept[2]


def picks_kept(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether :func:`remember_picks` holds picks for this memory of ``x`` and ``y``: the pass
    that took them found every label in 0..c-1 (``row_sums`` keeps nothing otherwise)."""
    kept = getattr(_LOCAL, "picks", None)
    return kept is not None and kept[0] == _where(x) and kept[1] == _where(y)


def output(name: str, n: int, dtype) -> np.ndarray:
    """An output array of n values: a reused per-thread buffer inside workers, else fresh."""
    if not getattr(_LOCAL, "reuse", False):
        return np.empty(n, dtype)
    dtype = np.dtype(dtype)
    pool = getattr(_LOCAL, "outputs", None)
    if pool is None:
        pool = _LOCAL.outputs = {}
    buf = pool.get(name)
    if buf is None or buf.nbytes < n * dtype.itemsize:
        buf = pool[name] = np.empty(max(n, 1 << 16) * dtype.itemsize, np.uint8)
    return buf[: n * dtype.itemsize].view(dtype)


def scratch(shape: tuple[int, ...], dtype) -> np.ndarray:
    """A per-thread work buffer, reused from block to block: fresh multi-MiB arrays cost as
    much in page faults as the pass that fills them. Never returned to callers."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    buf = getattr(_LOCAL, "buf", None)
    if buf is None or buf.nbytes < size:
        buf = _LOCAL.buf = np.empty(size, np.uint8)
    return buf[:size].view(dtype).reshape(shape)


def arange(n: int) -> np.ndarray:
    """0..n-1, cached (read-only): blocks come in a handful of sizes."""
    rows = _ARANGE.get(n)
    if rows is None:
        with _MAKING:  # two workers meeting a new block size at once: one array, made once
            rows = _ARANGE.get(n)
            if rows is None:
                rows = np.arange(n)
                rows.setflags(write=False)
                _ARANGE[n] = rows
    return rows


_CONST: dict[tuple[int, str], np.ndarray] = {}


def ones(n: int, dtype=np.float64) -> np.ndarray:
    """n ones, cached and read-only (a fresh 0.5 MiB array costs its page faults each block)."""
    key = (n, np.dtype(dtype).str)
    value = _CONST.get(key)
    if value is None:
        # made once, under the lock: two workers meeting a new block size at once get the
        # same array, which the engine tells plain blocks by (``weight is ones(n)``; a second
        # array made a block take the general moments, a different rounding of them), and the
        # second waits for the first's array instead of faulting in a 2 MiB one of its own
        # while the first does (the two first touches at once took up to 7x as long)
        with _MAKING:
            value = _CONST.get(key)
            if value is None:
                value = np.ones(n, dtype)
                value.setflags(write=False)
                _CONST[key] = value
    return value
