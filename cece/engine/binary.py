"""``cece binary`` as a task: sigmoid cross-entropy, element-wise (binary, multi-label, soft).

As PyTorch's ``binary_cross_entropy[_with_logits]``; warns where a softmax output or a
[P(class 0), P(class 1)] pair is fed to a sigmoid loss.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from cece import _native as kernels
from cece import checks
from cece.checks import KindDetector, RowSums
from cece.engine import guesses
from cece.engine.reduce import Summary
from cece.engine.task import (
    Records,
    Task,
    check_common,
    clip_warning,
    column_factors,
    factor_fits,
    layout_json,
    read_factors,
    rescale_column,
    sample_weights,
    state_layout,
    weight_column,
    weight_sources,
)
from cece.errors import InputError, OptionError
from cece.io import evidence, inputs, labels
from cece.io.labels import POSITIVE_HINT
from cece.losses import sigmoid
from cece.losses.broadcast import Rows, element_factors
from cece.losses.sigmoid import binary_terms
from cece.losses.terms import Terms
from cece.losses.validate import pos_weights


class Binary(Task):
    """``cece binary``: sigmoid cross-entropy (``binary_cross_entropy[_with_logits]``)."""

    command = "binary"
    squash = "the sigmoid"
    neg_inf_logits = True

    def open(self, preds_arg: str, labels_arg: str | None) -> None:
        opts = self.opts
        check_common(opts)
        checks.check_range(opts.threshold, 0.0, 1.0, "--threshold")
        checks.check_range(opts.focal_alpha, 0.0, 1.0, "--focal-alpha")  # α and 1 − α ≥ 0
        if opts.kind == "log-probs":
            raise OptionError(
                "binary cross-entropy takes logits or probabilities (--from auto|logits|probs)"
            )
        self.preds = preds = inputs.open_predictions(
            preds_arg,
            pred_cols=opts.pred_cols,
            label_col=opts.label_col if labels_arg is None else None,
            weight_col=weight_column(opts),
            rescale_col=rescale_column(opts),
            stdin_format=opts.stdin_format,
            binary=True,
            dtype=opts.dtype,
            kind=opts.kind,
            header=opts.header,
        )
        self.labels = labels.open_binary_targets(
            labels_arg,
            preds,
            label_col=opts.label_col if labels_arg is not None else None,
            stdin_format=opts.stdin_format,
            header=opts.header,
            positive=opts.positive,
        )
        self.k = k = preds.n_classes
        self.elements = k if opts.elementwise else 1
        self.n_columns = 2 if k == 1 else k
        self.classes = ["0", "1"] if k == 1 else preds.classes
        self.sources = [preds.source]
        if self.labels.source is not preds.source:
            self.sources.append(self.labels.source)
        self.sources += weight_sources(opts, preds)
        evidence.settle_headers(self.sources)
        state_layout(self)
        self.pos_rows: Rows | None = None  # --pos-weight per row or element
        self.pos_weight = self._pos_weight()
        self.rescale = (  # None also for a PREDS column (column_factors)
            None
            if opts.rescale is None or "rescale" in preds.source.parts
            else _factors(
                read_factors(self, opts.rescale, "--rescale", factor_fits(self, k, "--rescale")),
                self,
            )
        )
        self.negatives: set = set()  # labels other than --positive (at most one)
        self.lock = threading.Lock()
        self.row_sums = RowSums(tol=checks.ROW_SUM_TOL)  # rows of K ≥ 2 probabilities ≠ 1
        self.rows_seen = 0
        self.one_hot = k == 2  # two columns with [1, 0] / [0, 1] targets?
        self.hard_preds = True  # every prediction exactly 0 or 1 (labels given as PREDS?)

    def _pos_weight(self) -> np.ndarray | float | None:
        opts = self.opts
        if opts.pos_weight is None and opts.weight_file is None:
            return None
        shape: tuple[int, ...] | None = opts.pos_weight_shape
        if opts.weight_file is not None:  # a file: read with the shapes --pos-weight takes
            arr = read_factors(self, opts.weight_file, "--pos-weight", self._pos_fits)
            w, shape = arr.ravel(), arr.shape
        else:
            w = np.asarray(opts.pos_weight, dtype=np.float64)
        rank = len(self.preds.shape or ())  # > 2: broadcast against the array, as PyTorch
        if shape is not None and (len(shape) > 1 or (rank > 2 and len(w) not in (1, self.k))):
            self.pos_rows = _factors(w.reshape(shape), self, "--pos-weight")
            return None
        if len(w) not in (1, self.k):
            where = (
                f"--pos-weight {self.opts.weight_file}:"
                if self.opts.weight_file
                else "--pos-weight has"
            )
            raise OptionError(f"{where} {len(w)} values; expected 1 or one per column ({self.k})")
        return pos_weights(w, "--pos-weight", self.k)  # any finite numbers, as PyTorch

    def _pos_fits(self, values: np.ndarray) -> str | None:
        """--pos-weight's shapes: one value, one per column (K,), or (N, 1) / (N, K) rows."""
        if values.ndim <= 1:
            k = self.k
            return (
                "one value"
                if values.size == 1
                else f"one per column ({k})"
                if values.size == k
                else None
            )
        return factor_fits(self, self.k, "--pos-weight")(values)

    def detector(self) -> KindDetector:
        return KindDetector(rows_sum_to_one=False, kinds=("probs",))

    def fused(self, kind: str) -> bool:
        return kind == "logits" and self._one_pass(kind)

    def record_target(self, target: np.ndarray) -> np.ndarray:  # a number, whatever was read
        return target.astype(np.float64)

    def range_in_pass(self, kind: str) -> bool:  # one column: the probabilities' pass
        return kind == "probs" and self.k == 1 and self._one_pass(kind)

    def compiled_pass(self, kind: str, p: np.ndarray) -> bool:  # + the probabilities' pass
        return self._one_pass(kind) and kernels.compiled(p)

    def _one_pass(self, kind: str) -> bool:
        o = self.opts
        if o.rescale is not None or self.pos_rows is not None or o.elementwise:
            return False
        return sigmoid.one_pass(
            kind,
            focal_gamma=o.focal_gamma,
            focal_alpha=o.focal_alpha,
            per_column=self.keep.per_class and self.k > 1,
            eps=self.eps(kind) or 0.0,
        )

    def verify(self, kind: str, p: np.ndarray, start: int) -> None:
        if kind == "probs":
            sums = self.row_sums if self.k >= 2 else None  # rows of K >= 2 summing to 1: said
            checks.check_explicit_kind(kind, p, start, self.preds.name, sums, log_probs=False)
            with self.row_sums.lock:
                self.rows_seen += len(p)

    def positive(self, start: int, raw: np.ndarray) -> np.ndarray:
        """``--positive LABEL``: 1 where the label is LABEL, 0 where it is the other one."""
        pos, name = self.opts.positive, self.labels.name
        assert pos is not None  # called only with --positive
        values = np.asarray(raw).reshape(-1)
        if values.dtype.kind == "S":  # byte strings (h5py's labels): the names they spell
            values = np.char.decode(values, "utf-8", "replace")
        if values.dtype.kind in "iufb":
            number = checks.parse_label(pos)
            if number is None:
                raise InputError(name, f"labels are numbers; --positive {pos!r} is not one")
            hit = values == number
        else:
            hit = np.array([str(v).strip() == pos for v in values.tolist()], dtype=bool)
        others = set(np.unique(values[~hit]).tolist())
        with self.lock:
            self.negatives |= others
            if len(self.negatives) > 1:
                a, b = sorted(map(str, self.negatives))[:2]
                raise InputError(
                    name,
                    f"labels {a!r} and {b!r} both differ from --positive {pos!r}; binary "
                    "labels have two values",
                    hint=POSITIVE_HINT,
                )
        return hit.astype(np.float64).reshape(-1, 1)

    def targets(self, start: int, raw: np.ndarray) -> np.ndarray:
        """The block's targets as (N, K), not yet checked (:meth:`check_targets`)."""
        if self.opts.positive is not None:
            raw = self.positive(start, raw)
        y = raw.reshape(len(raw), -1)
        if self.one_hot and not np.all(
            ((y[:, 0] == 1) & (y[:, 1] == 0)) | ((y[:, 0] == 0) & (y[:, 1] == 1))
        ):
            self.one_hot = False
        return y

    def check_targets(self, start: int, y: np.ndarray) -> None:
        """Targets finite and in [0, 1]: the fused kernel checks them in its pass and calls
        this only to name the place; the other paths call it first."""
        checks.binary_targets(y, start, self.labels.name, minus_one=POSITIVE_HINT)

    def terms(self, start: int, p: np.ndarray, block: dict, kind: str) -> Terms:
        o = self.opts
        n = len(p)
        pw = self.pos_weight if self.pos_rows is None else self.pos_rows.block(start, n)
        t = binary_terms(
            p,
            self.targets(start, block["labels"]),
            kind=kind,
            pos_weight=pw,
            rescale=self.rescale.block(start, n)
            if self.rescale is not None
            else column_factors(self, block, start)
            if "rescale" in block
            else None,
            elementwise=o.elementwise,
            label_smoothing=o.label_smoothing,
            sample_weight=sample_weights(self, block, start),
            focal_gamma=o.focal_gamma,
            focal_alpha=o.focal_alpha,
            eps=self.eps(kind),  # the dtype's own, as the report states
            threshold=o.threshold,
            per_column=self.keep.per_class and self.k > 1,
            check_targets=lambda y: self.check_targets(start, y),
        )
        if not self.soft and t.entropy is not None:  # smoothing alone does not make them soft
            raw = block["labels"]
            self.soft = not o.label_smoothing or bool(np.any((raw > 0) & (raw < 1)))
        if self.hard_preds and not guesses.zeros_ones(p, kind):
            self.hard_preds = False
        return t

    def records(self, rec: Records, t: Terms, rows, scale: float) -> None:
        if self.opts.elementwise and self.k > 1:
            rec["row"], rec["column"] = divmod(rec["index"], self.k)
        if self.k == 1 or self.opts.elementwise:
            assert t.target is not None and t.details is not None  # set for one column
            rec["target"] = self.record_target(t.target[rows])
            rec.update(t.details(rows))
        else:
            rec["accuracy"] = t.correct[rows]
        if t.entropy is not None:
            assert t.kl is not None  # set with entropy
            rec["entropy"], rec["kl"] = t.entropy[rows] / scale, t.kl[rows] / scale
        if t.sample_weight is not None:
            rec["weight"] = t.sample_weight[rows]

    def fields(self) -> list[str]:
        out = ["index", "loss"]
        if self.opts.elementwise and self.k > 1:
            out += ["row", "column"]
        if self.k == 1 or self.opts.elementwise:
            out += ["target", "p", "predicted", "p_target"]
        else:
            out.append("accuracy")
        if self.soft or self.opts.label_smoothing > 0:
            out += ["entropy", "kl"]
        if self.opts.sample_weight is not None:
            out.append("weight")
        return out

    def class_counts(self, t: Terms, loss: np.ndarray, scale: float) -> np.ndarray | None:
        if self.k > 1:
            return None if t.columns is None else t.columns / [[1.0], [scale], [1.0]]
        assert t.target is not None  # set for one column
        cls = (t.target >= 0.5).astype(np.intp)
        return np.stack(
            [
                np.bincount(cls, minlength=2),
                np.bincount(cls, weights=loss, minlength=2),
                np.bincount(cls, weights=t.correct, minlength=2),
            ]
        )

    def finish(self, kind: str, detector: KindDetector | None, summary: Summary) -> None:
        diag, name = self.diag, self.preds.name
        for rows in (self.rescale, self.pos_rows):
            if rows is not None:
                rows.finish()
        guesses.swapped(self, self.labels.name, kind, self.hard_preds, self.soft, "PREDS TARGETS")
        clip_warning(self, summary, self.eps(kind))
        rows_sum_to_one = (
            kind == "probs" and self.k >= 2 and self.rows_seen and self.row_sums.count == 0
        )
        if rows_sum_to_one and self.k == 2 and self.one_hot:
            diag.warn(
                f"{name}: two probability columns that sum to 1, with one-hot targets, "
                "look like [P(class 0), P(class 1)]; binary cross-entropy scores each "
                "column as its own sigmoid, counting every sample twice",
                hint="use cece categorical for one two-class distribution per row, or "
                "give cece binary only the P(class 1) column",
            )
        elif rows_sum_to_one:
            diag.warn(
                f"{name}: every row of {self.k} probabilities sums to 1, like softmax "
                "output; binary cross-entropy treats each column as an independent "
                "sigmoid probability",
                hint="for one distribution per row use cece categorical; for "
                "independent labels the model needs sigmoid outputs",
            )

    def describe(self, kind: str, detected: bool, rows: int) -> dict:
        preds = self.preds
        shape = list(preds.shape) if preds.shape is not None else [rows, self.k]
        return {
            "preds": preds.name,
            "labels": self.labels.name,
            "kind": kind,
            "kind_detected": detected,
            "target": "soft" if self.soft else "hard",
            "shape": shape,
            "columns": self.k,
            "classes": preds.classes,
            "rows": rows,
            **({"positive": self.opts.positive} if self.opts.positive is not None else {}),
            **layout_json(self),
        }

    def options_dict(self, kind: str) -> dict:
        pw = self.pos_weight
        return self.opts.to_json(
            (
                "from",
                "reduction",
                "base",
                "eps",
                "pos_weight",
                "label_smoothing",
                "sample_weight",
                "focal_gamma",
                "focal_alpha",
                "threshold",
                "rescale",
                "elementwise",
            ),
            eps=self.eps(kind),
            pos_weight=pw.tolist()
            if isinstance(pw, np.ndarray)
            else self.pos_rows.factors.tolist()
            if self.pos_rows is not None
            else pw,
        )


def _factors(values: np.ndarray, task: Binary, option: str = "--rescale") -> Rows:
    """--rescale / per-element --pos-weight against the (N, K) elements, sliced per block.
    Against an array of rank > 2 (N, d1, d2, ...: one sample per entry of the first axis, its
    elements flattened), factors that broadcast against the array's own shape (PyTorch's rule,
    e.g. (d2,) or (1, d1, d2)) are broadcast first."""
    shape = task.preds.shape
    if shape is not None and len(shape) > 2 and values.ndim >= 1:
        with contextlib.suppress(ValueError):  # if not, the (N, K) rules decide
            values = np.broadcast_to(values, shape).reshape(shape[0], -1)
    rows = task.preds.source.rows
    arr = element_factors(values, task.k, rows, option)
    k = task.k
    unsure = rows is None and np.ndim(values) == 1 and k > 1 and len(values) == k
    return Rows(arr, option, per_column_of=k if unsure else 0)
