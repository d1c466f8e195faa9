"""The one switch between cece's compiled kernels and their numpy versions.

``_fast`` (cece/_native/_fast.c, parse.c, simd.h; typed in ``_fast.pyi``) and ``_numpy``
(cece/_native/_numpy.py) expose the same functions with the same signatures; this module
decides once, at import, which one computes, and every caller goes through it:

* the compiled kernels when the extension was built and this CPU runs them (x86-64 with AVX2,
  FMA and F16C); they fuse a block's work into one pass per row, in double precision, with the
  GIL released, so blocks run on all cores; they read float16, bfloat16 (``|V2`` bits, see
  ``BFLOAT16``), float32 and float64 blocks as they are (no widened copy), and divide logits by
  a temperature inside that pass (``scales``);
* the softmax kernels of 16/32-bit logits, and BCE of float32 logits in one column, in AVX-512
  (16 floats, 8 doubles a vector) where the CPU has F/BW/VL/DQ, else AVX2; ``CECE_SIMD=avx2``
  keeps AVX2 (``simd()`` names the one that runs);
* numpy otherwise, or when ``CECE_NO_FAST=1``; the numpy path computes in float64 too: both
  agree to float64 rounding on float64 inputs, and within the kernels' contract (1.1e-7
  relative) on 16/32-bit logits, which the kernels compute in float32 lanes;
* ``CECE_REQUIRE_FAST=1`` makes importing this module fail (ImportError) when the extension
  was not built or this CPU cannot run it, instead of falling back: CI sets it, so a broken
  build cannot pass as the numpy path. ``CECE_NO_FAST=1`` still picks numpy after the check.

The plain-CSV parser (``PARSER``) is plain C: it is used wherever the extension was built.
``FAST`` can be monkeypatched (tests run each loss on both paths).
"""

from __future__ import annotations

import os

import numpy as np

from cece._native import _numpy
from cece._native._numpy import SMALL_C, argmax_correct, lse_parts, take
from cece._native.buffers import (
    arange,
    ones,
    output,
    picks_kept,
    recall_picks,
    remember_picks,
    reuse_outputs,
    scratch,
)
from cece._native.widen import BFLOAT16, as_float64, bfloat16_to_float32, exact_float
from cece.errors import label_error

__all__ = [
    "AVAILABLE",
    "BFLOAT16",
    "FAST",
    "PARSER",
    "SMALL_C",
    "arange",
    "argmax_correct",
    "as_float64",
    "bce_logits",
    "bfloat16_to_float32",
    "compiled",
    "describe",
    "exact_float",
    "index_pick",
    "kernels_line",
    "loss_moments",
    "lse_parts",
    "numpy_because",
    "off_one",
    "ones",
    "output",
    "picks_kept",
    "predicted_rows",
    "reuse_outputs",
    "row_stats",
    "row_sums",
    "scales",
    "scratch",
    "simd",
    "softmax_index",
    "take",
]

UNAVAILABLE = "cece's compiled kernels are not available on this CPU"


def _load():
    """(the compiled module or None, why the kernels cannot be used or None)."""
    try:
        from cece._native import _fast
    except ImportError as exc:  # no C compiler at install time, or a non-x86 CPU
        return None, f"were not built ({exc})"
    if not _fast.available():
        return _fast, "are not available on this CPU (they need x86-64 with AVX2, FMA and F16C)"
    return _fast, None


_fast, _WHY_NOT = _load()
if _WHY_NOT and os.environ.get("CECE_REQUIRE_FAST", "") not in ("", "0"):
    raise ImportError(
        f"CECE_REQUIRE_FAST=1, but cece's compiled kernels {_WHY_NOT}; reinstall "
        "with a C compiler (pip install -v shows the build) on an AVX2 CPU, or "
        "unset CECE_REQUIRE_FAST to compute with numpy"
    )

AVAILABLE = _WHY_NOT is None  # built, and this CPU runs them (whatever CECE_NO_FAST says)
BUILT = _fast is not None  # the extension was compiled (on a CPU the kernels skip, too)
FAST = AVAILABLE and os.environ.get("CECE_NO_FAST", "") in ("", "0")
PARSER = _fast  # the compiled plain-CSV parser (any CPU), or None where nothing was built


_KERNEL_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64), BFLOAT16)

# The temperatures the fused softmax kernels divide by inside their pass, on both paths: with
# 16/32-bit logits (|x| < 3.4e38) 1/T splits into two normal floats and (x - m) / T cannot
# overflow float64 between these bounds; float64 logits divided by T >= 1 cannot overflow.
# Beyond them the caller divides first (cece.losses.temperature.soften names an overflow).
TEMPERATURE_RANGE = (1e-30, 1e30)


def compiled(x: np.ndarray) -> bool:
    """Whether the compiled kernels take this block (float16/32/64 or bfloat16, C order)."""
    return FAST and x.dtype in _KERNEL_DTYPES and x.flags.c_contiguous


def scales(x: np.ndarray, temperature: float) -> bool:
    """Whether ``softmax_index`` divides these logits by ``temperature`` itself (in its pass,
    no copy), compiled or numpy: the same rule on both paths."""
    if temperature == 1:
        return True
    if x.dtype == np.float64:
        return temperature >= 1
    lo, hi = TEMPERATURE_RANGE
    return x.dtype in _KERNEL_DTYPES and lo <= temperature <= hi


def numpy_because() -> str | None:
    """Why the loss kernels are numpy's here, or None when the compiled ones run."""
    if FAST:
        return None
    if AVAILABLE:
        return "CECE_NO_FAST=1 is set"
    return f"cece's compiled kernels {_WHY_NOT}"


def simd() -> str | None:
    """The instruction set of the compiled softmax kernels that run: "AVX-512" where the CPU
    has it (F, BW, VL, DQ) unless ``CECE_SIMD=avx2``, else "AVX2"; None when numpy computes."""
    if not FAST or _fast is None:
        return None
    return "AVX-512" if _fast.simd() == "avx512" else "AVX2"


def kernels_line() -> str:
    """``cece --version``'s and ``-v``'s words on what computes here."""
    parser = "compiled" if PARSER is not None else "pandas/Python (not built)"
    if FAST:
        wide = "AVX-512, " if simd() == "AVX-512" else ""
        return f"kernels compiled (x86-64 {wide}AVX2, FMA, F16C) · text parser {parser}"
    return (
        f"kernels numpy, slower than the compiled ones: {numpy_because()}"
        + (
            ""
            if AVAILABLE or BUILT  # built for a CPU the kernels skip: no reinstall helps
            else "; reinstall with a C compiler (pip install -v cece shows the build)"
        )
        + f" · text parser {parser}"
    )


def describe() -> dict[str, str]:
    """What computes here, for the JSON ``environment`` record and bug reports."""
    return {
        "kernels": f"compiled ({simd()})" if FAST else "numpy",
        "csv_parser": "compiled" if PARSER is not None else "python/pandas",
    }


def softmax_index(
    x: np.ndarray,
    y: np.ndarray,
    temperature: float = 1.0,
    extrema: np.ndarray | None = None,
    *,
    predicted: bool = True,
    fresh: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, bool]:
    """(nll, correct, predicted, finite) of (n, c) logits against class indices, in one pass;
    the logits are ``x / temperature`` where :func:`scales` says so (else ValueError).
    ``extrema`` (2 float64): receives (min, max) of nll, kept in the pass (where finite).
    ``predicted=False``: the arg-max is not stored (None): :func:`predicted_rows` gives it
    for the rows asked, to the bit. ``fresh``: outputs of their own even in a worker (whose
    reused buffers hold its block's).

    Both versions check every label (0 ≤ y < c) before reading its row; the first bad one is
    reported as the library reports it (``label 7 is out of range for 3 classes ...``), and
    its row never read (the compiled one checks 4096 rows at a time, just before it reads
    them; numpy checks them all first).
    """
    n, c = x.shape
    kernels = _fast if compiled(x) else _numpy

    def new(name: str, dtype) -> np.ndarray:
        return np.empty(n, dtype) if fresh else output(name, n, dtype)

    nll, correct = new("nll", np.float64), new("correct", np.bool_)
    top = new("predicted", np.int64) if predicted else None
    y64 = np.ascontiguousarray(y, dtype=np.int64)  # a column of a table is a strided view
    if not scales(x, temperature):
        raise ValueError(f"the kernels do not divide {x.dtype} logits by {temperature!r}")
    code = kernels.softmax_index(x, c, y64, nll, correct.view(np.uint8), top, temperature, extrema)
    if code == -1:
        raise MemoryError("cece: the compiled kernel could not allocate its work buffer")
    if code <= -2:
        raise label_error(int(y64[-2 - code]), -2 - code, "targets", c)
    return nll, correct, top, code == 0


def index_pick(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x[i, y[i]] as float64, whether y[i] is row i's first maximum) of (n, c) probabilities
    or log-probabilities, in one pass over each row (compiled where :func:`compiled` takes
    the block, else numpy: the same values). A row holding NaN is never right. A label
    outside 0..c-1 raises the library's error, its row never read."""
    n, c = x.shape
    y64 = np.ascontiguousarray(y, dtype=np.int64)  # a column of a table is a strided view
    if (kept := recall_picks(x, y64)) is not None:  # the block's look took them (row_stats)
        return kept
    kernels = _fast if compiled(x) else _numpy
    xy, correct = np.empty(n), np.empty(n, np.bool_)
    code = kernels.index_pick(x, c, y64, xy, correct.view(np.uint8))
    if code == -1:
        raise MemoryError("cece: the compiled kernel could not allocate its work buffer")
    if code <= -2:
        raise label_error(int(y64[-2 - code]), -2 - code, "targets", c)
    return xy, correct


def row_sums(x: np.ndarray) -> np.ndarray:
    """``x.sum(axis=1, dtype=float64)``: for 2-D blocks of 2 to ``SMALL_C`` columns the values
    of each row added in order (compiled or numpy: the same bits; numpy's own sums of short
    rows are slow), else numpy's ``sum`` on either path (one column: the values)."""
    if x.ndim != 2 or not 1 < x.shape[1] <= SMALL_C:
        return x.sum(axis=1, dtype=np.float64)
    n, c = x.shape
    out = np.empty(n)
    (_fast if compiled(x) else _numpy).row_sums(x, c, out, np.empty(2))
    return out


def row_stats(
    x: np.ndarray, labels: np.ndarray | None = None
) -> tuple[np.ndarray | None, float, float]:
    """(:func:`row_sums`, the minimum, the maximum) of a non-empty block, in one pass for
    2-D blocks of 2 to ``SMALL_C`` columns (the sums None for other blocks: numpy's two
    reductions give the extrema, faster on one column, and the caller sums if it needs to).
    NaN anywhere makes both extrema NaN; a zero extremum is +0.0 on either path.

    ``labels`` (the block's class indices, int64, as the loss will pick them): the pass (either
    path) also takes :func:`index_pick`'s outputs, kept for the ``index_pick`` of the same
    block and labels in the same worker (:func:`remember_picks`), which then reads nothing;
    a label outside 0..c-1 leaves nothing kept (``index_pick`` raises on it as before)."""
    if x.ndim != 2 or not 1 < x.shape[1] <= SMALL_C:
        return None, float(x.min()) + 0.0, float(x.max()) + 0.0
    n, c = x.shape
    out, ext = np.empty(n), np.empty(2)
    kernels = _fast if compiled(x) else _numpy
    if (
        labels is not None
        and labels.dtype == np.int64
        and labels.shape == (n,)
        and (labels.flags.c_contiguous)
    ):
        xy, correct = np.empty(n), np.empty(n, np.bool_)
        if kernels.row_sums(x, c, out, ext, labels, xy, correct.view(np.uint8)) == 0:
            remember_picks(x, labels, (xy, correct))
    else:
        kernels.row_sums(x, c, out, ext)
    return out, float(ext[0]) + 0.0, float(ext[1]) + 0.0


def off_one(sums: np.ndarray, tol: float) -> tuple[float, int, int]:
    """Of probability rows' sums: (the largest |s − 1|, NaN left out, 0.0 for none; the first
    index where |s − 1| > tol, −1 for none; how many), in one pass (compiled or numpy: the
    same results)."""
    if FAST and sums.dtype == np.float64 and sums.flags.c_contiguous:
        return _fast.off_one(sums, tol)
    return _numpy.off_one(sums, tol)


def predicted_rows(x: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """The arg-max of some rows as :func:`softmax_index` stores it: the same kernel on those
    rows (each row's outputs depend on that row alone), into arrays of their own."""
    top = softmax_index(x, y, temperature, fresh=True)[2]
    assert top is not None  # predicted=True
    return top


def bce_logits(
    x: np.ndarray, y: np.ndarray, pos_weight, threshold_logit: float
) -> tuple[np.ndarray, np.ndarray, bool, bool, tuple[int, float, float, float]]:
    """(Σ loss per row, right per row, finite, any soft target, (first row with a target
    outside [0, 1] or NaN or -1, Σ right, min loss, max loss)) of (n, k) logits, one pass; the
    last three are kept for one column only (else 0, inf, -inf)."""
    loss, right, bad, soft, checked = _bce("bce_logits", x, y, pos_weight, threshold_logit)
    return loss, right, bad == 0, soft, checked


def bce_probs(
    x: np.ndarray, y: np.ndarray, pos_weight, threshold: float, eps: float
) -> tuple[np.ndarray, np.ndarray, int, bool, tuple[int, float, float, float], tuple[float, float]]:
    """(Σ loss per row, right per row, elements the clip to [eps, 1 − eps] moved, any soft
    target, (first row with a target outside [0, 1] or NaN or -1, Σ right, min loss, max
    loss), (min, max) of the probabilities) of (n, k) probabilities, one pass, as
    :func:`bce_logits` of logits. The probabilities are not checked: their extrema, kept
    for one column (else inf, -inf; both NaN where one is NaN, a zero as +0.0, as
    :func:`row_stats`), let the caller check their range without a pass of its own."""
    loss, right, hits, soft, checked = _bce("bce_probs", x, y, pos_weight, threshold, eps)
    return loss, right, hits, soft, checked[:4], checked[4:]


def _bce(
    name: str, x: np.ndarray, y: np.ndarray, pos_weight, *args: float
) -> tuple[np.ndarray, np.ndarray, int, bool, tuple]:
    """One call of the BCE kernel ``name`` (compiled where it takes ``x``, else numpy): the
    outputs, the weights per column, the targets as it reads them, the figures it keeps."""
    n, k = x.shape
    loss, right = output("loss", n, np.float64), output("right", n, np.float64)
    w = (
        None
        if pos_weight is None
        else np.ascontiguousarray(np.broadcast_to(np.asarray(pos_weight, dtype=np.float64), (k,)))
    )
    if compiled(x):
        kernels = _fast
        if y.dtype not in (np.float32, np.float64) or not y.flags.c_contiguous:
            y = np.ascontiguousarray(y, dtype=np.float64)
    else:
        kernels = _numpy
    stats = np.empty(6 if name == "bce_probs" else 4)
    count, soft = getattr(kernels, name)(x, k, y, w, *args, loss, right, stats)
    return loss, right, count, bool(soft), (int(stats[0]), *map(float, stats[1:]))


def neg_log_clip(
    v: np.ndarray, eps: float
) -> tuple[np.ndarray, tuple[float, float], tuple[float, float]]:
    """(−log clip(v, eps, 1 − eps) of a float64 vector (0 <= eps < 1/2; no clip at 0), in a
    fresh array; (min, max) of ``v``; (min, max) of the result), in one pass: the compiled
    loop's logarithm is within 2.4e-16 of the exact value (numpy's, libm's, within 1.1e-16),
    ~8× faster than numpy's on AVX2. The extrema are numpy's (NaN both where one is NaN; a
    zero as +0.0; none: inf, -inf)."""
    v = np.ascontiguousarray(v, dtype=np.float64)
    out, ext = np.empty(len(v)), np.empty(4)
    (_fast if FAST and 0 <= eps < 0.5 else _numpy).neg_log_clip(v, out, eps, ext)
    return out, (float(ext[0]), float(ext[1])), (float(ext[2]), float(ext[3]))


def loss_moments(loss: np.ndarray, spread: bool = True) -> tuple[float, float]:
    """(Σ loss, Σ (loss − mean)²) of a block's losses in two passes, numpy's pairwise sums to
    the bit on both paths (the compiled one writes no deviation array); ``spread=False``: the
    first pass alone, the second value NaN."""
    if FAST and loss.dtype == np.float64 and loss.flags.c_contiguous:
        return _fast.loss_moments(loss, spread)
    return _numpy.loss_moments(np.asarray(loss, dtype=np.float64), spread)
