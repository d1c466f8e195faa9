"""Input-kind detection, validation and the diagnostics users must not miss.

Detection (CONTRACT §2): predictions are *probabilities* when every value is in [0, 1] and,
for ``categorical``, every row sums to 1 within 1e-3; *log-probabilities* when every value is
≤ 0 and every row's log-sum-exp is 0 within 1e-3; *logits* otherwise. Evidence accumulates block
by block: a kind once ruled out stays ruled out, so streaming gives the whole-file answer.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cece.errors import InputError, OptionError, StrictError, stderr_prefix

ROW_SUM_TOL = 1e-3  # detection tolerance (CONTRACT §2)


# -- diagnostics ------------------------------------------------------------------------------------


@dataclass
class Diagnostics:
    """Collects warnings (stderr and the JSON ``warnings``) and notes (stderr only).

    Nothing is printed until :meth:`flush`, which commands call once the computation has
    succeeded: a run that fails prints its one error line and nothing else.
    """

    strict: bool = False
    quiet_notes: bool = False
    emit: Callable[[str], None] = lambda line: print(line, file=sys.stderr)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _lines: list[str] = field(default_factory=list)

    def warn(self, message: str, *, hint: str | None = None) -> None:
        if self.strict:
            raise StrictError(f"{message} (--strict)", hint=hint)
        if message not in self.warnings:
            self.warnings.append(message)
            self._lines.append(f"{stderr_prefix('warning')} {message}")
            if hint:
                self._lines.append(f"  hint: {hint}")

    def note(self, message: str) -> None:
        self.notes.append(message)
        if not self.quiet_notes:
            self._lines.append(f"cece: note: {message}")

    def flush(self) -> None:
        for line in self._lines:
            self.emit(line)
        self._lines.clear()


# -- prediction kind ------------------------------------------------------------------------------


class KindDetector:
    """Rules out kinds block by block; ``kind`` is the first still possible."""

    def __init__(self, *, rows_sum_to_one: bool = True,
                 kinds: tuple[str, ...] = ("probs", "log-probs")) -> None:
        self.rows_sum_to_one = rows_sum_to_one
        self.possible = {k: k in kinds for k in ("probs", "log-probs")}
        self.lo, self.hi = np.inf, -np.inf
        self.bad_sum: tuple[int, float] | None = None  # first row off 1, for the message

    @property
    def settled(self) -> bool:
        """Only logits remain possible: nothing left to learn, and nothing to pay for."""
        return not (self.possible["probs"] or self.possible["log-probs"])

    def update(self, block: np.ndarray, start: int) -> None:
        if self.settled:
            return
        lo, hi = float(block.min()), float(block.max())
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        if self.possible["probs"]:
            in_range = lo >= 0 and hi <= 1
            if in_range and self.rows_sum_to_one:
                sums = block.sum(axis=1, dtype=np.float64)
                off = np.flatnonzero(np.abs(sums - 1) > ROW_SUM_TOL)
                if off.size:
                    self.bad_sum = self.bad_sum or (start + int(off[0]), float(sums[off[0]]))
                    in_range = False
            self.possible["probs"] = in_range
        if self.possible["log-probs"]:
            ok = hi <= 0
            if ok and self.rows_sum_to_one:
                ok = bool(np.all(np.abs(_logsumexp(block)) <= ROW_SUM_TOL))
            self.possible["log-probs"] = ok

    @property
    def kind(self) -> str:
        return next((k for k, ok in self.possible.items() if ok), "logits")

    def reason(self) -> str:
        if self.kind == "probs":
            tail = " and rows sum to 1" if self.rows_sum_to_one else ""
            return f"all values lie in [0, 1]{tail}"
        if self.kind == "log-probs":
            return "all values are ≤ 0 and each row's log-sum-exp is 0"
        if self.lo >= 0 and self.hi <= 1 and self.bad_sum:
            row, total = self.bad_sum
            return f"values lie in [0, 1] but row {row} sums to {total:.6g}, not 1"
        return f"values range over [{self.lo:.6g}, {self.hi:.6g}]"


def _logsumexp(block: np.ndarray) -> np.ndarray:
    m = block.max(axis=1, keepdims=True).astype(np.float64)
    return (m + np.log(np.exp(block - m).sum(axis=1, keepdims=True))).ravel()


def check_explicit_kind(kind: str, block: np.ndarray, start: int, name: str,
                        stats: RowSums) -> None:
    """Errors for values impossible under an explicit --from; row sums for the warning."""
    if kind == "probs":
        bad = np.argwhere((block < 0) | (block > 1))
        if bad.size:
            r, c = bad[0]
            raise InputError(name, f"{block[r, c]:.6g} is not a probability (expected a value "
                             "in [0, 1])", row=start + int(r), column=int(c),
                             hint="these look like logits: use --from logits (or auto)")
        stats.update(block.sum(axis=1, dtype=np.float64), start)
    elif kind == "log-probs":
        bad = np.argwhere(block > 0)
        if bad.size:
            r, c = bad[0]
            raise InputError(name, f"{block[r, c]:.6g} is not a log-probability (expected a "
                             "value ≤ 0)", row=start + int(r), column=int(c),
                             hint="these look like logits: use --from logits (or auto)")
        stats.update(np.exp(_logsumexp(block)), start)


@dataclass
class RowSums:
    """How many rows of probabilities do not sum to 1 (within ``tol``), and the first.

    Blocks may be checked by several threads at once, in any order: updates are locked and
    ``first`` is the lowest row seen, whatever the order.
    """

    tol: float
    count: int = 0
    first: tuple[int, float] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, sums: np.ndarray, start: int) -> None:
        off = np.flatnonzero(np.abs(sums - 1) > self.tol)
        if off.size:
            found = (start + int(off[0]), float(sums[off[0]]))
            with self.lock:
                self.count += int(off.size)
                if self.first is None or found[0] < self.first[0]:
                    self.first = found


# -- values ---------------------------------------------------------------------------------------


def check_finite(block: np.ndarray, start: int, name: str, what: str = "value") -> None:
    """NaN or ±inf anywhere is an input error naming the first row and column."""
    if block.dtype.kind != "f" or np.isfinite(block).all():
        return
    bad = np.argwhere(~np.isfinite(block.reshape(len(block), -1)))
    r, c = (int(v) for v in bad[0])
    value = block.reshape(len(block), -1)[r, c]
    raise InputError(name, f"found {value} {what}; expected a finite number", row=start + r,
                     column=c if block.ndim > 1 else None,
                     hint="remove or impute non-finite values first")


def index_targets(values: np.ndarray, start: int, name: str, n_classes: int,
                  ignore_index: int | None) -> np.ndarray:
    """Class indices as intp: integral, and in [0, C) unless equal to ignore_index."""
    if values.dtype.kind == "f":
        check_finite(values, start, name, "label")
        frac = np.flatnonzero(values != np.round(values))
        if frac.size:
            r = int(frac[0])
            raise InputError(name, f"expected a class index, found {values[r]:g}",
                             row=start + r, hint="labels must be whole numbers 0..C-1")
    elif values.dtype.kind not in "iub":
        raise InputError(name, f"expected class indices, found {values.dtype} values")
    if values.dtype.kind == "u" and values.dtype.itemsize >= np.dtype(np.intp).itemsize:
        huge = np.flatnonzero(values > n_classes - 1)  # would wrap around as intp
        if huge.size and int(values[huge[0]]) > np.iinfo(np.intp).max:
            r = int(huge[0])
            raise InputError(name, f"label {int(values[r])} is out of range for {n_classes} "
                             f"classes (expected 0..{n_classes - 1})", row=start + r)
    y = values if values.dtype == np.intp else values.astype(np.intp)
    if len(y) and 0 <= y.min() and y.max() < n_classes:
        return y  # the common case, in two fast reductions
    bad = (y < 0) | (y >= n_classes)
    if ignore_index is not None:
        bad &= y != ignore_index
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        hint = None
        if y[r] < 0:
            hint = f"to skip samples labelled {y[r]}, pass --ignore-index {y[r]}"
        elif y[r] == n_classes:
            hint = "labels count from 0; if yours start at 1, subtract 1"
        raise InputError(name, f"label {y[r]} is out of range for {n_classes} classes "
                         f"(expected 0..{n_classes - 1})", row=start + r, hint=hint)
    return y


def name_targets(values: np.ndarray, start: int, name: str, classes: list[str] | None) -> np.ndarray:
    """Class names → indices through the PREDS header or --classes."""
    if not classes:
        raise InputError(name, "labels are class names, but the classes are not named",
                         hint="give PREDS a header row, or pass --classes a,b,c")
    lookup = {c: i for i, c in enumerate(classes)}
    y = np.fromiter((lookup.get(str(v).strip(), -1) for v in values), np.intp, len(values))
    missing = np.flatnonzero(y < 0)
    if missing.size:
        r = int(missing[0])
        shown = ", ".join(classes[:8]) + (", ..." if len(classes) > 8 else "")
        raise InputError(name, f"class {str(values[r])!r} is not one of the classes ({shown})",
                         row=start + r)
    return y


def dense_targets(block: np.ndarray, start: int, name: str, stats: RowSums) -> None:
    """Dense (one-hot or soft) target rows: finite, in [0, 1]; row sums tracked."""
    check_finite(block, start, name, "target")
    bad = np.argwhere((block < 0) | (block > 1))
    if bad.size:
        r, c = (int(v) for v in bad[0])
        raise InputError(name, f"target {block[r, c]:g} is outside [0, 1]", row=start + r,
                         column=c, hint="dense targets are one-hot rows or probability rows")
    stats.update(block.sum(axis=1, dtype=np.float64), start)


def weights_vector(values: np.ndarray, what: str, name: str) -> np.ndarray:
    """Finite, non-negative weights as float64."""
    w = np.asarray(values, dtype=np.float64).ravel()
    if not np.isfinite(w).all():
        raise OptionError(f"{name}: {what} must be finite numbers")
    neg = np.flatnonzero(w < 0)
    if neg.size:
        raise OptionError(f"{name}: {what} must be ≥ 0; found {w[neg[0]]:g} at position "
                          f"{int(neg[0])}")
    return w


def sample_weights(values: np.ndarray, start: int, name: str) -> np.ndarray:
    """Sample weights read from a file or column: finite and ≥ 0, as float64."""
    w = np.asarray(values, dtype=np.float64).ravel()
    check_finite(w, start, name, "sample weight")
    neg = np.flatnonzero(w < 0)
    if neg.size:
        r = int(neg[0])
        raise InputError(name, f"sample weight {w[r]:g} is negative; expected weights ≥ 0",
                         row=start + r)
    return w


def check_range(value: float | None, low: float, high: float, option: str, *,
                high_open: bool = False) -> None:
    if value is None:
        return
    if not (low <= value < high if high_open else low <= value <= high) or value != value:
        bracket = ")" if high_open else "]"
        raise OptionError(f"{option} must be in [{low:g}, {high:g}{bracket}; got {value:g}")
