"""Streaming statistics of the numbers ``cece inspect`` reads (:class:`Values`)."""

from __future__ import annotations

import math
from dataclasses import field

import numpy as np

from cece.checks import ROW_SUM_TOL, KindDetector
from cece.structs import struct

DISTINCT_CAP = 1000  # distinct label values tracked, at most


@struct
class Values:
    """Streaming statistics of a numeric block sequence (N × C)."""

    count: int = 0
    rows: int = 0
    lo: float = math.inf
    hi: float = -math.inf
    total: float = 0.0
    nan: int = 0
    posinf: int = 0
    neginf: int = 0
    first_bad: tuple[int, int, float] | None = None  # row, column, value
    integers: bool = True
    distinct: set = field(default_factory=set)
    sums: list[float] = field(default_factory=lambda: [math.inf, -math.inf, 0.0, 0])  # min max Σ n
    rows_sum_to_one: int = 0
    one_hot: bool = True
    detector: KindDetector = field(default_factory=KindDetector)
    detector_open: KindDetector = field(
        default_factory=lambda: KindDetector(rows_sum_to_one=False, kinds=("probs",))
    )

    def update(self, block: np.ndarray, start: int) -> None:
        block = np.asarray(block)
        if block.dtype != np.float64:
            block = block.astype(np.float64)
        n, c = block.shape
        self.rows += n
        self.count += block.size
        finite = np.isfinite(block)
        if not finite.all():
            nan = np.isnan(block)
            self.nan += int(nan.sum())
            self.posinf += int((block == np.inf).sum())
            self.neginf += int((block == -np.inf).sum())
            if self.first_bad is None:
                r, col = (int(v) for v in np.argwhere(~finite)[0])
                self.first_bad = (start + r, col, float(block[r, col]))
            # NaN and +inf rows say nothing; -inf is a masked logit (or log 0): its row stays,
            # the row's finite values give the range, and -inf tells the detector "not probs"
            keep = finite.any(axis=1) & ~(np.isnan(block) | (block == np.inf)).any(axis=1)
            block, finite = block[keep], finite[keep]
            if not len(block):
                return
        whole = finite.all(axis=1)
        vals = block if whole.all() else block[finite]
        self.lo = min(self.lo, float(vals.min()))
        self.hi = max(self.hi, float(vals.max()))
        self.total += float(vals.sum())
        if self.integers:
            self.integers = bool(np.all(vals == np.round(vals)))
            if self.integers and len(self.distinct) <= DISTINCT_CAP:
                self.distinct.update(np.unique(vals).tolist())
        if c > 1:
            rows = block if whole.all() else block[whole]
            s = rows.sum(axis=1)
            if len(s):
                self.sums[0] = min(self.sums[0], float(s.min()))
                self.sums[1] = max(self.sums[1], float(s.max()))
                self.sums[2] += float(s.sum())
                self.sums[3] += len(s)
                self.rows_sum_to_one += int(np.count_nonzero(np.abs(s - 1) <= ROW_SUM_TOL))
            if self.one_hot:
                self.one_hot = bool(
                    whole.all() and np.all((block == 0) | (block == 1)) and np.all(s == 1)
                )
        self.detector.update(block, start)
        self.detector_open.update(block, start)

    @property
    def finite_count(self) -> int:
        return self.count - self.nan - self.posinf - self.neginf


def names_summary(values: list) -> dict:
    distinct = sorted(set(map(str, values)))
    return {
        "form": "class names",
        "distinct": len(distinct),
        "values": distinct[:20] + (["…"] if len(distinct) > 20 else []),
    }


def index_labels(v: Values) -> dict:
    if v.integers and v.finite_count and v.lo >= 0:
        distinct = sorted(int(x) for x in v.distinct)
        return {
            "form": "class indices",
            "distinct": len(distinct),
            "min": int(v.lo),
            "max": int(v.hi),
            "values": distinct[:20] + (["…"] if len(distinct) > 20 else []),
        }
    return {"form": "numbers", "min": v.lo, "max": v.hi}
