"""Types of the compiled extension (cece/_native/_fast.c, parse.c, simd.h).

cece/_native/_numpy.py has the same functions with the same signatures; cece/_native/__init__.py
chooses between the two. Arrays are C-ordered buffers; outputs are written in place.
"""

from typing import Any, TypeAlias

import numpy as np

_Buffer: TypeAlias = np.ndarray[Any, Any] | bytes | bytearray | memoryview

def available() -> bool:
    """Whether this CPU runs the kernels (x86-64 with AVX2, FMA and F16C)."""

def simd(name: str = ..., /) -> str:
    """The softmax kernels' instruction set: "avx512", "avx2" or "none" (kernels unavailable);
    simd("avx2") / simd("avx512") switches (ValueError where this CPU does not run it)."""

def softmax_index(
    x: np.ndarray,
    c: int,
    y: np.ndarray,
    nll: np.ndarray,
    correct: np.ndarray,
    predicted: np.ndarray | None,
    temperature: float = 1.0,
    extrema: np.ndarray | None = None,
    /,
) -> int:
    """(n, c) float16/32/64 or bfloat16 (|V2 bits) logits and (n,) int64 labels into nll
    (float64), correct (uint8) and predicted (int64; None: not stored), the logits divided by
    ``temperature`` inside the pass; ``extrema`` (2 float64): (min, max) of nll where no row is
    bad (inf, -inf for none). Returns the count of rows holding NaN or ±inf, -1 when out of memory, or
    -2 - i when row i's label is outside 0..c-1 (labels checked 4096 rows at a time before
    their rows are read: no row from i's 4096 on is read). RuntimeError where
    available() is false; ValueError for a temperature that is not finite and > 0."""

def bce_logits(
    x: np.ndarray,
    k: int,
    y: np.ndarray,
    pos_weight: np.ndarray | None,
    threshold_logit: float,
    loss: np.ndarray,
    correct: np.ndarray,
    stats: np.ndarray | None = None,
    /,
) -> tuple[int, int]:
    """(n, k) float16/32/64 or bfloat16 (|V2 bits) logits and float32/64 targets into per-row loss sums and right counts (float64).
    Returns (rows holding NaN or ±inf, any soft target). ``stats`` (4 float64), when given:
    the first row whose target is outside [0, 1] or NaN (-1: none), and for k = 1 the sum of
    ``correct``, the minimum and the maximum of ``loss``. RuntimeError where available() is
    false."""

def neg_log_clip(v: np.ndarray, out: np.ndarray, eps: float, ext: np.ndarray, /) -> None:
    """-log clip(v, eps, 1 - eps) of float64 values into out (no clip at eps = 0; 0 <= eps <
    1/2, else ValueError, as for bad shapes or dtypes); ext (4 float64): the (min, max) of v
    (a zero as +0.0) and of out, NaN both where one is NaN. RuntimeError where available()
    is false."""

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
    /,
) -> tuple[int, int]:
    """(n, k) float16/32/64 or bfloat16 probabilities and float32/64 targets into per-row loss
    sums and right counts (float64), p clipped to [eps, 1 - eps] (0 <= eps < 1/2). Returns
    (elements the clip moved, any soft target); ``stats`` (6 float64) as bce_logits fills it,
    then for k = 1 the (min, max) of p (NaN both where one is NaN; a zero as +0.0). ValueError
    on bad shapes, dtypes or eps; RuntimeError where available() is false."""

def index_pick(x: np.ndarray, c: int, y: np.ndarray, xy: np.ndarray, correct: np.ndarray, /) -> int:
    """(n, c) float16/32/64 or bfloat16 (|V2 bits) probabilities or log-probabilities and (n,)
    int64 labels: each row's value at its label into xy (float64), whether the label is the
    row's first maximum into correct (uint8; a row holding NaN: 0). Returns 0, -1 when out of
    memory, or -2 - i when row i's label is outside 0..c-1 (nothing computed). RuntimeError where available() is
    false."""

def row_sums(
    x: np.ndarray,
    c: int,
    out: np.ndarray,
    ext: np.ndarray,
    y: np.ndarray | None = None,
    xy: np.ndarray | None = None,
    correct: np.ndarray | None = None,
    /,
) -> int:
    """Each row's sum of (n, c) float16/32/64 or bfloat16 values into out (float64), added in
    order from 0; ext (2 float64): the values' (min, max), NaN and NaN where any is NaN (inf,
    -inf for none). With y, xy and correct: index_pick's outputs too, in the same pass; returns
    0, or -2 - i when row i's label is outside 0..c-1 (the sums and extrema done, nothing
    picked). RuntimeError where available() is false; MemoryError."""

def loss_moments(loss: np.ndarray, spread: bool = True, /) -> tuple[float, float]:
    """(sum, sum of squared deviations from sum / n) of float64 losses, by numpy's pairwise
    summation (the same to the bit); ``spread`` false: the sum alone, and NaN. Any CPU."""

def off_one(sums: np.ndarray, tol: float, /) -> tuple[float, int, int]:
    """(max |s - 1| over float64 row sums, NaN left out, 0.0 for none; the first index where
    |s - 1| > tol, -1 for none; how many). Any CPU."""

def exp_log(x: np.ndarray, e: np.ndarray, lg: np.ndarray, /) -> None:
    """exp and log of float64 values (the tests hold them to libm). RuntimeError where
    available() is false."""

def parse_plain(text: _Buffer, ncols: int, delimiter: str, out: np.ndarray, /) -> int:
    """Plain numeric text into float64 rows of ``out``: the row count, or -1 when the text is
    anything but plain numbers. Any CPU."""

def count_byte(text: _Buffer, byte: str, /) -> int:
    """Occurrences of a byte, with the GIL released. Any CPU."""

def format_records(
    prefixes: list[bytes], columns: list[Any], kinds: str, suffix: bytes, csv: bool, /
) -> bytes | None:
    """Records as JSONL or CSV text, one a row: prefixes[j] before column j's value, suffix
    after the last (cece/_native/records.c says how each kind is written). None where the
    formatter declines the block (the caller writes it with Python). Any CPU."""

def float_repr(x: float, /) -> str:
    """repr() of a finite float, as format_records writes it (for tests). Any CPU."""
