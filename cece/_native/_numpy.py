"""The numpy versions of cece's compiled kernels: the same functions, with the same signatures
and results to float64 rounding, as ``cece/_native/_fast.c`` (typed in ``_fast.pyi``).

:mod:`cece._native` chooses between the two, once; nothing else imports this module for its
kernels. It also holds the numpy building blocks the losses use on every path (``lse_parts``,
``take``, ``argmax_correct``).

numpy reduces long contiguous runs quickly and short rows slowly (the row maxima of a
65,536 × 10 block take 2.8 ms with ``x.max(axis=1)`` but 0.5 ms as column maxima of the
transposed block, copy included, on the 2-core AVX2 machines cece is built on), so blocks with
few classes are transposed once and reduced along axis 0.
"""

from __future__ import annotations

import math

import numpy as np

from cece._native.buffers import arange, output, scratch

SMALL_C = 64  # up to this many classes, work on the transposed block
BFLOAT16 = np.dtype("V2")  # how cece holds bfloat16 bits (numpy has no bfloat16 type)


def bfloat16_to_float32(bits: np.ndarray) -> np.ndarray:
    """bfloat16 bit patterns (any 2-byte dtype, any layout) → float32, exactly: bfloat16 is the
    top half of a float32, so ``float32_bits = bf16_bits << 16`` (NaN and inf included)."""
    wide = np.ascontiguousarray(bits).view(np.uint16).astype(np.uint32)
    wide <<= 16
    return wide.view(np.float32)


def as_float64(x: np.ndarray) -> np.ndarray:
    """Logits of any dtype the kernels take (bfloat16 bits included) as float64, exactly."""
    x = np.asarray(x)
    if x.dtype == BFLOAT16:
        x = bfloat16_to_float32(x)
    with np.errstate(invalid="ignore"):  # signalling NaN patterns: quiet NaNs (rows counted)
        return x.astype(np.float64, copy=False)


def _exact_float(x: np.ndarray) -> np.ndarray:
    """Logits as float32 or float64, exactly: float16 and bfloat16 widened to float32 (numpy's
    float16 loops are slow), float32 and float64 as they are. lse_parts widens to float64 in
    its own pass, and maxima, arg-maxima, x_y and finiteness are the same in either type."""
    x = np.asarray(x)
    if x.dtype == BFLOAT16:
        return bfloat16_to_float32(x)
    if x.dtype == np.float16:
        with np.errstate(invalid="ignore"):
            return x.astype(np.float32)
    return x if x.dtype in (np.float32, np.float64) else as_float64(x)


def take(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x[i, y[i]] for every row (a flat gather on C-ordered blocks: 2× faster)."""
    n, c = x.shape
    if x.flags.c_contiguous:
        return x.ravel()[arange(n) * c + y]
    return x[arange(n), y]


def row_max(x: np.ndarray) -> np.ndarray:
    c = x.shape[1]
    if c <= SMALL_C:
        m = x[:, 0].copy()
        for j in range(1, c):
            np.maximum(m, x[:, j], out=m)
        return m
    return x.max(axis=1)


def lse_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m, log_z, s) in float64 for float64 or float32 rows (float32 values are widened
    exactly on the way into the float64 work buffer, with no float64 copy of the block): the
    row maxima, log Σ e^{x − m} and Σ e^{x − m} (≥ 1).

    The maximal terms (e^0 = 1) are left out of the sum and added back as a count, and
    ``log_z = log1p(rest)``: a confident, correct prediction keeps its tiny loss to full
    relative precision.
    """
    n, c = x.shape
    if c <= SMALL_C:
        xt = scratch((c, n), np.float64)
        np.copyto(xt, x.T)
        m = xt.max(axis=0)
        np.subtract(xt, m, out=xt)
        tops = xt == 0
        np.exp(xt, out=xt)
        np.putmask(xt, tops, 0.0)
        rest = np.add.reduce(xt, axis=0) + (np.add.reduce(tops, axis=0) - 1)
    else:
        m = x.max(axis=1).astype(np.float64)
        # x − m in float64 (dtype=): a float32 subtraction would round
        d = np.subtract(x, m[:, None], out=scratch(x.shape, np.float64), dtype=np.float64)
        tops = d == 0
        np.exp(d, out=d)
        np.putmask(d, tops, 0.0)
        rest = d.sum(axis=1) + (tops.sum(axis=1) - 1)
    return m, np.log1p(rest), rest + 1.0


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
    x = _exact_float(x).reshape(len(y), c)
    if temperature != 1:
        x = as_float64(x) / temperature
    with np.errstate(invalid="ignore"):  # rows of −inf only: NaN, counted below
        m, log_z, s = lse_parts(x)
        xy = take(x, y)
        np.add(log_z, m - xy, out=nll)
    right = argmax_correct(x, m, xy, y, maybe_tied=s >= 2.0)
    correct[:] = right
    if predicted is not None:
        predicted[:] = y
        wrong = np.flatnonzero(~right)
        if wrong.size:  # the arg-max only where the label is not it
            predicted[wrong] = np.argmax(x[wrong], axis=1)
    count = 0
    if not np.isfinite(x).all():
        bad = (np.isnan(x) | (x == np.inf)).any(axis=1) | np.isneginf(x).all(axis=1)
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
    x = _exact_float(x).reshape(len(y), c)
    v = take(x, y)
    xy[:] = v
    correct[:] = argmax_correct(x, row_max(x), v, y)
    return 0


def row_sums(x, c: int, out: np.ndarray, ext: np.ndarray, y=None, xy=None, correct=None) -> int:
    """Each row's float64 sum, added in order from 0 (the compiled order: the same bits); ``ext``:
    the (min, max), NaN if any is; with ``y``, :func:`index_pick`'s outputs and code too."""
    code = 0 if y is None else index_pick(x, c, y, xy, correct)
    x = _exact_float(x).reshape(len(out), c)
    ext[:] = (x.min(), x.max()) if x.size else (np.inf, -np.inf)
    out[:] = 0.0
    with np.errstate(invalid="ignore"):  # inf − inf: NaN, as the compiled sum gives
        for j in range(c):
            out += x[:, j]
    return code


def off_one(sums: np.ndarray, tol: float) -> tuple[float, int, int]:
    """(max |s − 1| over float64 row sums, NaN left out and 0.0 for none; the first index
    where |s − 1| > tol, −1 for none; how many): the compiled kernel's results."""
    d = np.abs(np.asarray(sums, dtype=np.float64) - 1.0)
    kept = d[~np.isnan(d)]
    off = np.flatnonzero(d > tol)
    return float(kept.max()) if kept.size else 0.0, int(off[0]) if off.size else -1, off.size


def bce_logits(
    x: np.ndarray,
    k: int,
    y: np.ndarray,
    pos_weight: np.ndarray | None,
    threshold_logit: float,
    loss: np.ndarray,
    correct: np.ndarray,
    stats: np.ndarray | None = None,
) -> tuple[int, int]:
    """Binary cross-entropy of (n, k) logits, each row summed, into ``loss``.

    ``loss_i = Σ_j w_j y_ij softplus(−x_ij) + (1 − y_ij) softplus(x_ij)`` with
    ``softplus(x) = max(x, 0) + log1p(e^{−|x|})``; ``correct_i`` counts the elements on the
    right side of ``threshold_logit``. Returns (rows holding NaN or +inf, any target strictly
    between 0 and 1). ``stats`` (4 float64), when given, receives the first row whose target
    is outside [0, 1] or NaN (−1: none), and for k = 1 the sum of ``correct`` and the minimum
    and maximum of ``loss``.
    """
    n = len(loss)
    x = as_float64(x).reshape(n, k)
    y = np.asarray(y).reshape(n, k).astype(np.float64, copy=False)
    finite = bool(np.isfinite(x).all())
    tail = np.abs(x)  # then log1p(e^{−|x|}), in place: one temporary, not four
    np.negative(tail, out=tail)
    np.exp(tail, out=tail)
    np.log1p(tail, out=tail)
    nlq = np.maximum(x, 0.0)  # −log(1 − σ(x)) = max(x, 0) + log1p(e^{−|x|})
    nlq += tail
    nlp = np.negative(x)  # −log σ(x) = max(−x, 0) + log1p(e^{−|x|})
    np.maximum(nlp, 0.0, out=nlp)
    nlp += tail
    wy = y if pos_weight is None else pos_weight * y
    with np.errstate(invalid="ignore"):
        terms = _xmul(wy, nlp, finite)
        terms += _xmul(1 - y, nlq, finite)
    right = (x > threshold_logit) == (y >= 0.5)
    if k == 1:  # a sum over one column is the column
        np.copyto(loss, terms[:, 0])
        np.copyto(correct, right[:, 0])
    else:
        np.sum(terms, axis=1, dtype=np.float64, out=loss)
        np.sum(right, axis=1, dtype=np.float64, out=correct)
    if stats is not None:
        stats[0] = _first_bad_target(y)
        if k == 1 and n:
            stats[1:] = np.count_nonzero(right), loss.min(), loss.max()
        else:
            stats[1:] = 0.0, np.inf, -np.inf
    # −inf is a logit (σ = 0: 0 on target 0, inf above); NaN and +inf are not
    bad = 0 if finite else int(np.count_nonzero((np.isnan(x) | (x == np.inf)).any(axis=1)))
    return bad, int(bool(np.any((y > 0) & (y < 1))))


def bce_probs(
    p: np.ndarray,
    k: int,
    y: np.ndarray,
    pos_weight: np.ndarray | None,
    threshold: float,
    eps: float,
    loss: np.ndarray,
    correct: np.ndarray,
    stats: np.ndarray,
) -> tuple[int, int]:
    """Binary cross-entropy of (n, k) probabilities, each row summed, into ``loss``:
    ``Σ_j w_j y_ij (−log c_ij) + (1 − y_ij)(−log1p(−c_ij))``, ``c = clip(p, eps, 1 − eps)`` (none
    at ``eps = 0``), 0·inf = 0; ``correct_i`` counts the elements with ``(p > threshold) == (y
    >= 0.5)``. Returns (elements the clip moved, any soft target); ``stats`` as
    :func:`bce_logits` fills it, then the (unchecked) probabilities' (min, max) for one column."""
    n = len(loss)
    x = as_float64(p).reshape(n, k)
    y = np.asarray(y).reshape(n, k).astype(np.float64, copy=False)
    c, hits = x, 0
    if eps > 0:
        hits = int(np.count_nonzero((x < eps) | (x > 1 - eps)))
        c = np.clip(x, eps, 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        nlp, nlq = -np.log(c), -np.log1p(-c)
        wy = y if pos_weight is None else pos_weight * y
        terms = _xmul(wy, nlp) + _xmul(1 - y, nlq)
    right = (x > threshold) == (y >= 0.5)
    if k == 1:
        np.copyto(loss, terms[:, 0])
        np.copyto(correct, right[:, 0])
    else:
        np.sum(terms, axis=1, dtype=np.float64, out=loss)
        np.sum(right, axis=1, dtype=np.float64, out=correct)
    stats[0] = _first_bad_target(y)
    if k == 1 and n:
        stats[1:] = np.count_nonzero(right), loss.min(), loss.max(), x.min() + 0, x.max() + 0
    else:
        stats[1:] = 0.0, np.inf, -np.inf, np.inf, -np.inf
    return hits, int(bool(np.any((y > 0) & (y < 1))))


def neg_log_clip(v: np.ndarray, out: np.ndarray, eps: float, ext: np.ndarray) -> None:
    """−log clip(v, eps, 1 − eps) of float64 values into ``out`` (no clip at eps = 0; −log 1
    is 0, not −0); ``ext``: the (min, max) of ``v`` (a zero as +0.0) and of ``out``."""
    c = np.clip(v, eps, 1 - eps) if eps > 0 else v
    with np.errstate(divide="ignore", invalid="ignore"):
        np.log(c, out=out)
    np.negative(out, out=out)
    out += 0.0
    ext[:] = (v.min() + 0, v.max() + 0, out.min(), out.max()) if len(v) else (np.inf, -np.inf) * 2


def _first_bad_target(y: np.ndarray) -> int:
    """The first row of (n, k) targets holding one outside [0, 1] or NaN, or −1."""
    if not y.size or (y.min() >= 0 and y.max() <= 1):  # NaN fails both comparisons
        return -1
    return int(np.flatnonzero(~((y >= 0) & (y <= 1)).all(axis=1))[0])


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


def _xmul(y: np.ndarray, v: np.ndarray, finite: bool = False) -> np.ndarray:
    """y·v with 0·inf = 0 (``finite``: the logits are finite, so v is too)."""
    out = y * v
    if not finite and not np.isfinite(v).all():
        out[y == 0] = 0
    return out


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
