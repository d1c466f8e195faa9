"""The numpy versions of cece's compiled kernels: the same functions, with the same signatures
and results to float64 rounding, as ``cece/_native/_fast.c`` (typed in ``_fast.pyi``).

:mod:`cece._native` chooses between the two, once; nothing else imports this module for its
kernels. It also holds the numpy building blocks the losses use on every path (``lse_parts``,
``take``, ``argmax_correct``).

numpy reduces long contiguous runs quickly and short rows slowly (the row maxima of a
65,536 × 10 block take 2.8 ms with ``x.max(axis=1)`` but 0.5 ms as column maxima of the
transposed block, copy included, on the 2-core AVX2 machines cece is built on), so blocks with
few classes are transposed, widened to float64 a chunk at a time (in the core's cache), and
reduced along axis 0. The binary kernels are in ``_numpy_binary.py``; the widening of
bfloat16, float16 and float32 in ``widen.py``.
"""

from __future__ import annotations

import math

import numpy as np

from cece._native._numpy_binary import bce_logits as bce_logits  # the twins, one module
from cece._native._numpy_binary import bce_probs as bce_probs
from cece._native.buffers import arange, output, scratch
from cece._native.widen import as_float64, exact_float

SMALL_C = 64  # up to this many classes, work on the transposed block


def take(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x[i, y[i]] for every row (a flat gather on C-ordered blocks: 2× faster)."""
    n, c = x.shape
    if x.flags.c_contiguous:
        return x.ravel()[arange(n) * c + y]
    return x[arange(n), y]


def lse_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m, log_z, tops) for float64 or float32 rows (float32 values are widened exactly on the
    way into the float64 work buffer, with no float64 copy of the block): the row maxima and
    log Σ e^{x − m} in float64, and how many classes attain the maximum (int64; ≥ 2: a tie).

    The maximal terms (e^0 = 1) are left out of the sum (subtracted: 1 − 1 is 0 exactly) and
    added back as a count, and ``log_z = log1p(rest)``: a confident, correct prediction keeps
    its tiny loss to full relative precision. A row holding NaN or +inf, or only −inf, has a
    non-finite maximum. Blocks with few classes go a chunk of rows at a time (``CHUNK``
    values), transposed: each chunk's passes stay in the core's cache.
    """
    n, c = x.shape
    m, log_z, tops = np.empty(n), np.empty(n), np.empty(n, np.int64)
    rows = _chunk_rows(n, c)
    if c > SMALL_C:  # rows as they are, a chunk of rows at a time
        m[:] = x.max(axis=1)  # in x's type, then widened: a float64 out= casts slowly
        work = scratch((rows * c * 9,), np.uint8)
        d = work[: rows * c * 8].view(np.float64).reshape(rows, c)
        top = work[rows * c * 8 :].view(np.bool_).reshape(rows, c)
        for i in range(0, n, rows):
            k = min(rows, n - i)
            part, dk, tk = slice(i, i + k), d[:k], top[:k]
            # x − m in float64 (dtype=): a float32 subtraction would round
            np.subtract(x[part], m[part, None], out=dk, dtype=np.float64)
            np.equal(dk, 0, out=tk)
            _log_z(dk, tk, 1, log_z[part], tops[part])
        return m, log_z, tops
    work = scratch((rows * c * 9,), np.uint8)
    d = work[: rows * c * 8].view(np.float64).reshape(c, rows)
    top = work[rows * c * 8 :].view(np.bool_).reshape(c, rows)
    for i in range(0, n, rows):
        k = min(rows, n - i)
        part, dk, tk = slice(i, i + k), d[:, :k], top[:, :k]
        np.copyto(dk, x[part].T)  # widened exactly, transposed
        _in_order(np.maximum, dk, m[part])
        np.subtract(dk, m[part], out=dk)
        np.equal(dk, 0, out=tk)
        _log_z(dk, tk, 0, log_z[part], tops[part])
    return m, log_z, tops


CHUNK = 1 << 18  # values of a chunk of the passes over few classes: 2.3 MiB of work


def _chunk_rows(n: int, c: int) -> int:
    """Rows of a chunk: ``CHUNK`` values, whose work stays in a core's cache. A chunk's dozen
    numpy calls each hold the GIL while they start: smaller chunks ran slower on two
    threads than on one (8192 × 10 values: 1.1× one thread's speed; 2¹⁸: 1.6-1.8×)."""
    return max(1, min(n, CHUNK // c))


def _in_order(ufunc: np.ufunc, d: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``ufunc`` over the classes (axis 0) of a (c, k) chunk into ``out``, class after class, as
    the compiled kernels add: numpy reduces a chunk of two rows or more so, but a (c, 1) column
    pairwise (a one-row block, or the last row of one), which accumulates here instead."""
    if d.shape[1] > 1:
        return ufunc.reduce(d, axis=0, out=out)
    out[...] = ufunc.accumulate(d, axis=0)[-1]
    return out


def _log_z(d: np.ndarray, top: np.ndarray, axis: int, log_z: np.ndarray, tops: np.ndarray) -> None:
    """log1p(rest) into ``log_z`` and the count of maxima into ``tops``, of x − m in ``d``
    (overwritten), ``top`` where it is 0."""
    np.exp(d, out=d)
    np.subtract(d, top, out=d)  # the maximal terms out: e^0 − 1 = 0
    np.add.reduce(top, axis=axis, out=tops)
    rest = np.add.reduce(d, axis=1) if axis else _in_order(np.add, d, np.empty(d.shape[1]))
    rest += tops - 1
    np.log1p(rest, out=log_z)


def argmax_correct(
    x: np.ndarray,
    m: np.ndarray,
    xy: np.ndarray,
    y: np.ndarray,
    maybe_tied: np.ndarray | None = None,
) -> np.ndarray:
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


# -- the compiled module's functions ----------------------------------------------------------------


def available() -> bool:
    """The numpy versions run everywhere."""
    return True


def simd(name: str | None = None, /) -> str:
    """No instruction set to choose: numpy's own loops run."""
    if name is not None:
        raise ValueError(f"simd: the numpy versions have no {name} kernels")
    return "none"


def _first_bad_label(y: np.ndarray, c: int) -> int:
    """The first row whose label is outside 0..c-1, or -1 (checked before any row is read)."""
    if not len(y) or (y.min() >= 0 and y.max() < c):
        return -1
    return int(np.flatnonzero((y < 0) | (y >= c))[0])


def softmax_index(
    x: np.ndarray,
    c: int,
    y: np.ndarray,
    nll: np.ndarray,
    correct: np.ndarray,
    predicted: np.ndarray | None,
    temperature: float = 1.0,
    extrema: np.ndarray | None = None,
) -> int:
    """Softmax cross-entropy of (n, c) logits against int64 class indices, into the outputs.

    ``x`` is float16, float32, float64 or bfloat16 bits (``|V2``), read exactly into float64;
    with a ``temperature`` T the logits are ``x / T`` (divided in float64, each logit, as
    ``F.cross_entropy(x / T, y)``; the compiled kernel divides inside its pass).
    ``nll = log1p(Σ_{j≠argmax} e^{x_j − m}) + (m − x_y)``; ``predicted`` the first arg-max
    (None: not stored);
    ``correct`` (uint8) whether it is the label. −inf logits are classes of probability 0
    (a −inf on the label gives ``inf``). Returns the number of rows holding NaN or +inf, or
    only −inf (their outputs are NaN, 0, 0), -2 − i when row i's label is outside 0..c-1
    (nothing computed here; the compiled kernel may have computed the rows of the 4096 before
    i's), as the compiled kernel returns. ``extrema`` (2 float64): (min, max) of
    ``nll`` where no row is bad (inf, −inf for no rows).
    """
    if not (0 < temperature < np.inf):
        raise ValueError("softmax_index: the temperature must be finite and > 0")
    row = _first_bad_label(y, c)
    if row >= 0:
        return -2 - row
    x = exact_float(x).reshape(len(y), c)
    if temperature != 1:
        x = as_float64(x) / temperature
    with np.errstate(invalid="ignore"):  # rows of −inf only: NaN, counted below
        m, log_z, tops = lse_parts(x)
        xy = take(x, y)
        np.add(log_z, m - xy, out=nll)
    right = argmax_correct(x, m, xy, y, maybe_tied=tops >= 2)
    correct[:] = right
    if predicted is not None:
        predicted[:] = y
        wrong = np.flatnonzero(~right)
        if wrong.size:  # the arg-max only where the label is not it
            predicted[wrong] = np.argmax(x[wrong], axis=1)
    count = 0
    if not np.isfinite(m).all():  # NaN or +inf in the row, or only −inf (lse_parts)
        bad = ~np.isfinite(m)
        nll[bad], correct[bad] = np.nan, 0
        if predicted is not None:
            predicted[bad] = 0
        count = int(np.count_nonzero(bad))
    if extrema is not None and not count:
        extrema[:] = (nll.min(), nll.max()) if len(nll) else (np.inf, -np.inf)
    return count


def index_pick(x: np.ndarray, c: int, y: np.ndarray, xy: np.ndarray, correct: np.ndarray) -> int:
    """Each row's value at its label (float64, exact) into ``xy``, and whether the label is the
    row's first maximum (a row holding NaN: never) into ``correct`` (uint8). Returns 0, or
    -2 − i when row i's label is outside 0..c-1 (nothing computed), as the compiled kernel."""
    row = _first_bad_label(y, c)
    if row >= 0:
        return -2 - row
    x = exact_float(x).reshape(len(y), c)
    if c <= SMALL_C:
        _small_rows(x, y=y, xy=xy, correct=correct)
        return 0
    v = take(x, y)
    xy[:] = v
    correct[:] = argmax_correct(x, x.max(axis=1), v, y)
    return 0


def row_sums(x, c: int, out: np.ndarray, ext: np.ndarray, y=None, xy=None, correct=None) -> int:
    """Each row's float64 sum, added in order from 0 (the compiled order: the same bits); ``ext``:
    the (min, max), NaN if any is (a zero's sign either, as the compiled pass's: row_stats adds
    +0.0); with ``y``, :func:`index_pick`'s outputs and code too (a
    label outside 0..c-1: the sums and extrema done, nothing picked, as the compiled pass)."""
    bad = -1 if y is None else _first_bad_label(y, c)
    if bad >= 0:
        y = None
    x = exact_float(x).reshape(len(out), c)
    if c <= SMALL_C:
        ext[:] = _small_rows(x, out, y, xy, correct)
        return -2 - bad if bad >= 0 else 0
    if y is not None:
        index_pick(x, c, y, xy, correct)
    ext[:] = (x.min(), x.max()) if x.size else (np.inf, -np.inf)
    out[:] = 0.0
    with np.errstate(invalid="ignore"):  # inf − inf: NaN, as the compiled sum gives
        for j in range(c):
            out += x[:, j]
    return -2 - bad if bad >= 0 else 0


def _small_rows(x: np.ndarray, sums=None, y=None, xy=None, correct=None) -> tuple[float, float]:
    """The one pass of :func:`row_sums` and :func:`index_pick` over rows of few classes, a
    chunk of rows at a time, transposed and widened to float64 in the core's cache: each row's
    sum into ``sums`` (reduced along the classes in order, then + 0.0: the compiled bits) and
    the (min, max) returned; with ``y``, the picks. A row's first maximum is the label where
    its value is the maximum and no other class attains it (rows of tied maxima: an arg-max)."""
    n, c = x.shape
    rows = _chunk_rows(n, c)
    work = scratch((rows * c * 9,), np.uint8)
    d = work[: rows * c * 8].view(np.float64).reshape(c, rows)
    top = work[rows * c * 8 :].view(np.bool_).reshape(c, rows)
    ext = np.empty((2, -(-n // rows)))
    for i in range(0, n, rows):
        k = min(rows, n - i)
        part, dk, tk = slice(i, i + k), d[:, :k], top[:, :k]
        np.copyto(dk, x[part].T)  # widened exactly, transposed
        if sums is not None:
            with np.errstate(invalid="ignore"):  # inf − inf: NaN, as the compiled sum gives
                _in_order(np.add, dk, sums[part])
            ext[:, i // rows] = dk.min(), dk.max()
        if y is not None:
            m = _in_order(np.maximum, dk, np.empty(k))
            np.equal(dk, m, out=tk)
            v = take(x[part], y[part])
            xy[part] = v
            tied = np.add.reduce(tk, axis=0) >= 2
            correct[part] = argmax_correct(x[part], m, v, y[part], maybe_tied=tied)
    if sums is not None:
        sums += 0.0  # a row of -0.0 only: +0.0 (a sum from 0), whatever numpy starts from
    return (ext[0].min(), ext[1].max()) if n else (np.inf, -np.inf)


def off_one(sums: np.ndarray, tol: float) -> tuple[float, int, int]:
    """(max |s − 1| over float64 row sums, NaN left out and 0.0 for none; the first index
    where |s − 1| > tol, −1 for none; how many): the compiled kernel's results."""
    d = np.abs(np.asarray(sums, dtype=np.float64) - 1.0)
    worst = float(np.fmax.reduce(d)) if d.size else 0.0  # fmax: NaN only where all are
    off = d > tol  # NaN: not off
    count = int(np.count_nonzero(off))
    return 0.0 if math.isnan(worst) else worst, int(off.argmax()) if count else -1, count


def neg_log_clip(v: np.ndarray, out: np.ndarray, eps: float, ext: np.ndarray) -> None:
    """−log clip(v, eps, 1 − eps) of float64 values into ``out`` (no clip at eps = 0; −log 1
    is 0, not −0); ``ext``: the (min, max) of ``v`` (a zero as +0.0) and of ``out``."""
    c = np.clip(v, eps, 1 - eps) if eps > 0 else v
    with np.errstate(divide="ignore", invalid="ignore"):
        np.log(c, out=out)
    np.negative(out, out=out)
    out += 0.0
    ext[:] = (v.min() + 0, v.max() + 0, out.min(), out.max()) if len(v) else (np.inf, -np.inf) * 2


def loss_moments(loss: np.ndarray, spread: bool = True) -> tuple[float, float]:
    """(Σ loss, Σ (loss − mean)²) of a block's float64 losses: numpy's pairwise sums, which
    the compiled version repeats to the bit. An inf loss gives (inf, nan); ``spread=False``:
    the sum alone, and NaN."""
    total = float(loss.sum())
    if not len(loss):
        return total, 0.0
    if not spread:
        return total, math.nan
    with np.errstate(invalid="ignore", over="ignore"):  # an inf loss: the spread is nan
        dev = np.subtract(loss, total / len(loss), out=output("deviation", len(loss), np.float64))
        return total, float(np.add.reduce(np.multiply(dev, dev, out=dev)))  # no BLAS


def exp_log(x: np.ndarray, e: np.ndarray, lg: np.ndarray) -> None:
    """exp and log of float64 values, into ``e`` and ``lg``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        np.exp(x, out=e)
        np.log(x, out=lg)


def parse_plain(text: bytes, ncols: int, delimiter: str, out: np.ndarray) -> int:
    """-1: "not handled here", so the careful parsers (cece/io/text.py) read every block."""
    return -1


def count_byte(text: bytes, byte: str) -> int:
    """Occurrences of ``byte`` in ``text``."""
    return bytes(text).count(byte.encode("latin-1"))


def format_records(
    prefixes: list[bytes], columns: list, kinds: str, suffix: bytes, csv: bool
) -> bytes | None:
    """None: "not handled here", so cece/report/records.py writes the records with Python."""
    return None


def float_repr(x: float) -> str:
    """repr() of a float, as the records write it."""
    return repr(float(x))
