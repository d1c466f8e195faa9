"""The hot loops of the losses: the compiled kernels where available, numpy otherwise.

The compiled kernels (``cece/_native/_fast.c``) fuse a block's work into one pass per row, in double
precision, on all cores; they need an x86-64 CPU with AVX2, FMA and F16C and a C compiler at
install time, and ``CECE_NO_FAST=1`` turns them off. The numpy path computes in float64 too,
so both give the same results to float64 rounding.

numpy reduces long contiguous runs quickly and short rows slowly (the row maxima of a
65,536 × 10 block take 2.8 ms with ``x.max(axis=1)`` but 0.5 ms as column maxima of the
transposed block, copy included, on the 2-core AVX2 machines cece is built on), so the numpy
path transposes blocks with few classes once and reduces along axis 0.
"""

from __future__ import annotations

import os
import threading

import numpy as np

try:  # the compiled kernels (cece/_native/_fast.c), where they could be built and this CPU runs them
    from cece._native import _fast
except ImportError:  # pragma: no cover - depends on the build
    _fast = None

FAST = bool(_fast is not None and _fast.available()
            and os.environ.get("CECE_NO_FAST", "") in ("", "0"))

SMALL_C = 64  # up to this many classes, work on the transposed block
_ARANGE: dict[int, np.ndarray] = {}
_LOCAL = threading.local()


def reuse_outputs(on: bool = True) -> None:
    """In this thread, let kernels write their per-block outputs into reused buffers.

    The engine's workers turn this on: they reduce each block before taking the next, so no
    output outlives its block, and fresh multi-hundred-KiB arrays (mmap, page faults, and the
    process's memory-map lock, which stalls the other workers) are avoided. Library calls
    keep it off and get arrays of their own.
    """
    _LOCAL.reuse = on


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
        rows = _ARANGE[n] = np.arange(n)
        rows.setflags(write=False)
    return rows


_CONST: dict[tuple[int, str], np.ndarray] = {}


def ones(n: int, dtype=np.float64) -> np.ndarray:
    """n ones, cached and read-only (a fresh 0.5 MiB array costs its page faults each block)."""
    key = (n, np.dtype(dtype).str)
    value = _CONST.get(key)
    if value is None:
        value = _CONST[key] = np.ones(n, dtype)
        value.setflags(write=False)
    return value


def take(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x[i, y[i]] for every row (a flat gather on C-ordered blocks: 2× faster)."""
    n, c = x.shape
    if x.flags.c_contiguous:
        return x.ravel()[arange(n) * c + y]
    return x[arange(n), y]


def row_max(x: np.ndarray) -> np.ndarray:
    n, c = x.shape
    if c <= SMALL_C:
        m = x[:, 0].copy()
        for j in range(1, c):
            np.maximum(m, x[:, j], out=m)
        return m
    return x.max(axis=1)


def lse_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m, log_z, s) for float64 rows: the row maxima, log Σ e^{x − m} and Σ e^{x − m} (≥ 1).

    The maximal terms (e^0 = 1) are left out of the sum and added back as a count, and
    ``log_z = log1p(rest)``: a confident, correct prediction keeps its tiny loss to full
    relative precision.
    """
    n, c = x.shape
    if c <= SMALL_C:
        xt = scratch((c, n), x.dtype)
        np.copyto(xt, x.T)
        m = xt.max(axis=0)
        np.subtract(xt, m, out=xt)
        tops = xt == 0
        np.exp(xt, out=xt)
        np.putmask(xt, tops, 0.0)
        rest = np.add.reduce(xt, axis=0) + (np.add.reduce(tops, axis=0) - 1)
    else:
        m = x.max(axis=1)
        d = np.subtract(x, m[:, None], out=scratch(x.shape, x.dtype))
        tops = d == 0
        np.exp(d, out=d)
        np.putmask(d, tops, 0.0)
        rest = d.sum(axis=1) + (tops.sum(axis=1) - 1)
    return m, np.log1p(rest), rest + 1.0


def argmax_correct(x: np.ndarray, m: np.ndarray, xy: np.ndarray, y: np.ndarray,
                   maybe_tied: np.ndarray | None = None) -> np.ndarray:
    """argmax(x[i]) == y[i] for every row, without an arg-max over the block.

    The target is the arg-max when it attains the row maximum and no earlier class ties it;
    ties are rare, so only rows that may have one (``maybe_tied``; default: all that attain
    the maximum) are checked with a real arg-max.
    """
    correct = xy == m
    suspects = correct if maybe_tied is None else correct & maybe_tied
    rows = np.flatnonzero(suspects)
    if rows.size:
        correct[rows] = np.argmax(x[rows], axis=1) == y[rows]
    return correct


def compiled(x: np.ndarray) -> bool:
    """Whether the compiled kernels take this block (float16/32/64, C order)."""
    return FAST and x.dtype in (np.float16, np.float32, np.float64) and x.flags.c_contiguous


def fast_softmax_index(x: np.ndarray, y: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """(nll, correct, predicted, finite) from the compiled kernel: see cece/_native/_fast.c."""
    n, c = x.shape
    nll, correct = output("nll", n, np.float64), output("correct", n, np.bool_)
    predicted = output("predicted", n, np.int64)
    bad = _fast.softmax_index(x, c, y.astype(np.int64, copy=False), nll,
                              correct.view(np.uint8), predicted)
    if bad < 0:
        raise MemoryError("cece: the compiled kernel could not allocate its work buffer")
    return nll, correct, predicted, bad == 0


def fast_bce_logits(x: np.ndarray, y: np.ndarray, pos_weight, threshold_logit: float
                    ) -> tuple[np.ndarray, np.ndarray, bool, bool]:
    """(Σ loss per row, right per row, finite, any soft target) from the compiled kernel."""
    n, k = x.shape
    loss, right = output("loss", n, np.float64), output("right", n, np.float64)
    w = None if pos_weight is None else np.ascontiguousarray(
        np.broadcast_to(np.asarray(pos_weight, dtype=np.float64), (k,)))
    if y.dtype not in (np.float32, np.float64) or not y.flags.c_contiguous:
        y = np.ascontiguousarray(y, dtype=np.float64)
    bad, soft = _fast.bce_logits(x, k, y, w, threshold_logit, loss, right)
    return loss, right, bad == 0, bool(soft)
