"""Input-kind detection, validation and the diagnostics users must not miss.

The rules that the library functions share (finite values, class indices, target ranges,
weights, option ranges) live in :mod:`cece.losses.validate`, with their wording; this module
adds the file names, the CLI's hints and the streaming statistics.

Detection (CONTRACT §2): predictions are *probabilities* when every value is in [0, 1] and,
for ``categorical``, every row sums to 1 within 1e-3; *log-probabilities* when every value is
≤ 0 and every row's log-sum-exp is 0 within 1e-3; *logits* otherwise. Evidence accumulates block
by block: a kind once ruled out stays ruled out, so streaming gives the whole-file answer.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import field

import numpy as np

from cece import _native as kernels
from cece.checks.targets import (
    RowSums,
    binary_targets,
    dense_targets,
    index_targets,
    name_targets,
    parse_label,
)
from cece.errors import InputError, StrictError, stderr_prefix
from cece.losses import validate
from cece.losses.domain import logit_values
from cece.losses.terms import degenerate_denominator
from cece.losses.validate import (
    check_finite,
    check_range,
    class_weights,
    sample_weights,
    weights_vector,
)
from cece.structs import struct

__all__ = [
    "ALL_IGNORED",
    "DENOMINATOR",
    "ROUNDED_SUM_TOL",
    "ROW_SUM_TOL",
    "Decided",
    "Diagnostics",
    "KindDetector",
    "RowSums",
    "all_ignored",
    "binary_targets",
    "check_explicit_kind",
    "check_finite",
    "check_range",
    "class_weights",
    "denominator_warning",
    "dense_targets",
    "index_targets",
    "logit_values",
    "name_targets",
    "of_sums",
    "parse_label",
    "sample_weights",
    "sums_warnings",
    "weights_vector",
]

ROW_SUM_TOL = 1e-3  # detection tolerance (CONTRACT §2)
# Rows in [0, 1] summing to 1 within this, but not all within ROW_SUM_TOL, are probabilities
# as a writer rounded them (pandas' float_format="%.2f" of 10 classes is off by up to 0.05)
# as much as logits: --from auto refuses them, naming --from.
ROUNDED_SUM_TOL = 0.1
ALL_IGNORED = "every sample is ignored; the mean loss is nan"  # the warning, said once


def all_ignored(reduction: str) -> str:
    """The warning of a run whose every sample is ignored, in the terms of its reduction
    (PyTorch: the mean nan, the sum 0, each loss 0)."""
    if reduction == "sum":
        return "every sample is ignored; the summed loss is 0"
    if reduction == "none":
        return "every sample is ignored; each sample's loss is 0, their mean nan"
    return ALL_IGNORED


DENOMINATOR = "the weights of the counted samples sum to "  # how denominator_warning begins


def denominator_warning(count: int, weight_sum: float, mean: float) -> tuple[str, str] | None:
    """(warning, hint) when the mean's denominator is 0 or overflowed (the library raises
    the same :func:`~cece.losses.terms.degenerate_denominator`), else None: said of a whole
    run's sums (a shard's own sums may be 0 where the merged ones are not)."""
    problem = degenerate_denominator(count, weight_sum)
    if problem is None:
        return None
    hint = (
        "--reduction sum gives the weighted sum"
        if weight_sum == 0
        else "scale the weights down: the mean does not change"
    )
    return f"{problem}; the mean loss is {mean}", hint


def of_sums(warning: str) -> bool:
    """Said of a run's sums (all ignored, weights summing to 0): a shard's is not the union's."""
    return warning.startswith(("every sample is ignored", DENOMINATOR))


def sums_warnings(count: int, ignored: int, weight_sum: float, mean: float, reduction: str):
    """[(warning, hint)] of a whole run's sums (one run, shards, merged JSON summaries)."""
    found: list[tuple[str, str | None]] = (
        [(all_ignored(reduction), None)] if count == 0 and ignored else []
    )
    zero = denominator_warning(count, weight_sum, mean) if reduction == "mean" else None
    return found + ([zero] if zero else [])


# -- diagnostics ------------------------------------------------------------------------------------


@struct
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
    hints: dict[str, str] = field(default_factory=dict)  # warning → its hint
    _lines: list[str] = field(default_factory=list)

    def warn(self, message: str, *, hint: str | None = None) -> None:
        if self.strict:
            raise StrictError(f"{message} (--strict)", hint=hint)
        if message not in self.warnings:
            self.warnings.append(message)
            self._lines.append(f"{stderr_prefix('warning')} {message}")
            if hint:
                self.hints[message] = hint
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

    def __init__(
        self,
        *,
        rows_sum_to_one: bool = True,
        kinds: tuple[str, ...] = ("probs", "log-probs"),
        renormalize: bool = False,
    ) -> None:
        self.rows_sum_to_one = rows_sum_to_one
        # --renormalize divides rows by their sum: any rows of values ≥ 0 are probabilities
        # to be (counts, as scipy.stats.entropy takes them), whatever they sum to
        self.renormalize = renormalize
        self.possible = {k: k in kinds for k in ("probs", "log-probs")}
        self.lo, self.hi = np.inf, -np.inf
        self.bad_sum: tuple[int, float] | None = None  # first row off 1, for the message
        self.max_off = 0.0  # the largest |row sum - 1| while every value is in [0, 1]
        self.finite = True  # the last block seen held no NaN or ±inf

    @property
    def settled(self) -> bool:
        """Only logits remain possible, and the values left [0, 1] (or no row was off 1):
        nothing left to learn, and nothing to pay for. Values in [0, 1] whose rows do not
        sum to 1 keep the range tracked: the whole file decides whether they are ambiguous."""
        if self.possible["probs"] or self.possible["log-probs"]:
            return False
        return not (self.bad_sum is not None and self.lo >= 0 and self.hi <= 1)

    @property
    def ambiguous(self) -> bool:
        """Every value in [0, 1], but rows not summing to 1: rounded or unnormalized
        probabilities (scikit-learn uses them as given) or logits (PyTorch applies softmax)?
        The two readings give different losses, and the values do not decide."""
        return (
            self.kind == "logits"
            and self.bad_sum is not None
            and self.lo >= 0
            and self.hi <= 1
            and self.max_off <= ROUNDED_SUM_TOL
        )

    def update(self, block: np.ndarray, start: int, labels: np.ndarray | None = None) -> None:
        """Learn from ``block`` (rows from ``start``); ``labels``: its class indices, for the
        pass to take the loss's picks as well (:func:`kernels.row_stats`)."""
        if self.settled:
            return
        sums, lo, hi = kernels.row_stats(block, labels)  # one pass over rows of few classes
        self._learn(lo, hi, block, start, sums)

    def saw(self, lo: float, hi: float) -> None:
        """Learn from a block's extrema alone (NaN both where a value is NaN), as the pass that
        computed it kept them (binary probabilities: ``Terms.extent``): what :meth:`update`
        learns where there are no row sums to take and no log-probabilities to rule out."""
        assert not self.rows_sum_to_one and not self.possible["log-probs"]
        if not self.settled:
            self._learn(lo, hi, None, 0, None)

    def _learn(
        self, lo: float, hi: float, block: np.ndarray | None, start: int, sums: np.ndarray | None
    ) -> None:
        self.finite = math.isfinite(lo) and math.isfinite(hi)
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        in_range = self.lo >= 0 and self.hi <= 1
        rows = block is not None and len(block) > 0  # saw(): none, and nothing to sum
        if in_range and self.rows_sum_to_one and not self.renormalize and rows:
            assert block is not None
            sums = kernels.row_sums(block) if sums is None else sums
            most, r, _ = kernels.off_one(sums, ROW_SUM_TOL)
            self.max_off = max(self.max_off, most)
            if r >= 0 and self.bad_sum is None:
                self.bad_sum = (start + r, float(sums[r]))
        if self.possible["probs"]:
            if self.renormalize:
                self.possible["probs"] = self.lo >= 0
            else:
                self.possible["probs"] = in_range and self.bad_sum is None
        if self.possible["log-probs"]:
            ok = hi <= 0
            if ok and self.rows_sum_to_one and block is not None:
                ok = bool(np.all(np.abs(_logsumexp(block)) <= ROW_SUM_TOL))
            self.possible["log-probs"] = ok

    @property
    def kind(self) -> str:
        return next((k for k, ok in self.possible.items() if ok), "logits")

    def verifies(self, kind: str, block: np.ndarray) -> bool:
        """Whether this detector's look at ``block``, which left ``kind`` possible, did what
        :func:`check_explicit_kind` and the finiteness check would: the values in the kind's
        range (NaN and +inf fail it), and each row's sum where that check counts it (rows
        summing to 1 are what leaves the kind possible; rows of one column have none)."""
        if self.renormalize or kind not in ("probs", "log-probs") or not self.possible.get(kind):
            return False
        return self.rows_sum_to_one or block.ndim == 1 or block.shape[-1] == 1

    def reason(self) -> str:
        if self.kind == "probs" and self.renormalize:
            return "all values are ≥ 0, and --renormalize divides each row by its sum"
        if self.kind == "probs":
            tail = " and rows sum to 1" if self.rows_sum_to_one else ""
            return f"all values lie in [0, 1]{tail}"
        if self.kind == "log-probs":
            return "all values are ≤ 0 and each row's log-sum-exp is 0"
        if self.lo >= 0 and self.hi <= 1 and self.bad_sum:
            row, total = self.bad_sum
            return f"values lie in [0, 1] but row {row} sums to {total:.6g}, not 1"
        return f"values range over [{self.lo:.6g}, {self.hi:.6g}]"

    @classmethod
    def merged(cls, parts: list[tuple[KindDetector, int]]) -> KindDetector:
        """What one detector would know after the shards' values, from each shard's own
        detector and the global row of its first row: a kind is possible where it is in
        every shard; the range is the union; the first row off 1 is the earliest."""
        first = parts[0][0]
        out = cls(rows_sum_to_one=first.rows_sum_to_one, renormalize=first.renormalize)
        for detector, offset in parts:
            out.absorb(detector, offset)
        return out

    def absorb(self, later: KindDetector, offset: int = 0) -> None:
        """Learn what ``later`` saw, values that come after this detector's (their rows
        ``offset`` further on): a kind stays possible where both allow it, the range is the
        union, the first row off 1 the earlier one."""
        for kind in self.possible:
            self.possible[kind] = self.possible[kind] and later.possible[kind]
        self.lo, self.hi = min(self.lo, later.lo), max(self.hi, later.hi)
        self.max_off = max(self.max_off, later.max_off)
        if self.bad_sum is None and later.bad_sum is not None:
            self.bad_sum = (later.bad_sum[0] + offset, later.bad_sum[1])


class Decided(KindDetector):
    """A kind decided over every shard (:meth:`KindDetector.merged`), for a shard whose own
    values suggested another: it learns nothing more and reports the shards' reason."""

    def __init__(self, merged: KindDetector) -> None:
        self.__dict__.update(merged.__dict__)
        self.decided = merged.kind

    @property
    def settled(self) -> bool:
        return True

    @property
    def ambiguous(self) -> bool:
        return False

    @property
    def kind(self) -> str:
        return self.decided

    def update(self, block: np.ndarray, start: int, labels: np.ndarray | None = None) -> None:
        return None


def neg_inf_evidence(block: np.ndarray, start: int, name: str) -> None:
    """Under --from auto, −inf among values that are otherwise all in [0, 1]: probabilities
    cannot be −inf, and a −inf logit is read as probability 0 — the values do not say which
    the file holds, so --from decides. (Called for blocks that hold a −inf.)"""
    rest = block[np.isfinite(block)]
    if rest.size and rest.min() >= 0 and rest.max() <= 1:
        r, c = validate.first_true(np.isneginf(block))
        raise InputError(
            name,
            "found -inf among values in [0, 1]: not a probability (as a logit: a class of "
            "probability 0)",
            row=start + r,
            column=c,
            hint="--from logits reads -inf as a class of probability 0; if these are "
            "probabilities, fix the value",
        )


def _logsumexp(block: np.ndarray) -> np.ndarray:
    m = block.max(axis=1, keepdims=True).astype(np.float64)
    return (m + np.log(np.exp(block - m).sum(axis=1, keepdims=True))).ravel()


FROM_LOGITS_HINT = "these look like logits: use --from logits (or auto)"
FROM_LOG_PROBS_HINT = "these look like log-probabilities: use --from log-probs (or auto)"


def check_explicit_kind(
    kind: str,
    block: np.ndarray,
    start: int,
    name: str,
    stats: RowSums | None,
    *,
    log_probs: bool = True,
    renormalize: bool = False,
) -> None:
    """Errors for values impossible under an explicit --from; row sums for the warning.
    With ``renormalize`` probability rows may be counts (values ≥ 0, a positive sum).

    The hint says what the values look like: rows of values ≤ 0 whose log-sum-exp is 0 are
    log-probabilities (``log_softmax`` output), not logits — where the command takes them
    (``log_probs``; binary cross-entropy does not). Probabilities of few classes in [0, 1]
    take one pass (``kernels.row_stats``: the row sums with the extrema). ``stats`` None: no
    row sums (binary cross-entropy of one column, whose rows are single probabilities).
    """
    if kind == "probs" and not renormalize and len(block):
        sums, lo, hi = kernels.row_stats(block)
        if lo >= 0 and hi <= 1:  # NaN fails both: checked elsewhere
            if stats is not None:
                stats.update(kernels.row_sums(block) if sums is None else sums, start)
            return
    hint = FROM_LOGITS_HINT
    if (
        kind == "probs"
        and log_probs
        and len(block)
        and block.shape[-1] > 1
        and block.max() <= 0
        and np.all(np.abs(_logsumexp(block)) <= ROW_SUM_TOL)
    ):
        hint = FROM_LOG_PROBS_HINT
    validate.kind_values(kind, block, start, name, hint=hint, renormalize=renormalize)
    if stats is None:
        return
    if kind == "probs":
        stats.update(kernels.row_sums(block), start)
    elif kind == "log-probs":
        stats.update(np.exp(_logsumexp(block)), start)
