"""What differs between the loss commands: inputs, target checks, the loss, fields, warnings.

Each command is an :class:`engine.Task`; the engine runs the shared block loop. The checks
that catch the classic confusions live here, where the command knows what its inputs mean.
"""

from __future__ import annotations

import math

import numpy as np

from cece import checks

from cece.io import blocks, inputs

from cece import _native as kernels
from cece.checks import KindDetector, RowSums
from cece.engine.pipeline import Options, Records, Task
from cece.errors import CeceError, InputError, OptionError
from cece.losses.terms import Terms, default_eps
from cece.engine.reduce import Summary
from cece.losses.sigmoid import binary_terms
from cece.losses.softmax import categorical_terms


def _check_common(opts: Options) -> None:
    checks.check_range(opts.eps, 0.0, 0.5, "--eps", high_open=True)
    checks.check_range(opts.label_smoothing, 0.0, 1.0, "--label-smoothing")
    checks.check_range(opts.focal_gamma, 0.0, math.inf, "--focal-gamma")
    checks.check_range(opts.focal_alpha, 0.0, math.inf, "--focal-alpha")
    if opts.base not in ("e", "2", "10"):
        raise OptionError(f"--base must be e, 2 or 10; got {opts.base!r}")


def _weight_source(opts: Options, preds: inputs.Predictions) -> list[blocks.Source]:
    if opts.sample_weight is None or "weights" in preds.source.parts:
        return []
    return [inputs.open_sample_weights(opts.sample_weight, preds, stdin_format=opts.stdin_format)]


def _weight_col(opts: Options) -> str | None:
    spec = opts.sample_weight
    return spec if spec is not None and inputs.is_column_spec(spec) else None


def _sample_weights(task: Task, block: dict, start: int) -> np.ndarray | None:
    sw = block.get("weights")
    if sw is None:
        return None
    name = next(s.name for s in task.sources if "weights" in s.parts)
    if name.startswith("literal"):  # an option's value: no file, no rows to name
        return checks.weights_vector(sw, "sample weights", "--sample-weight")
    return checks.sample_weights(sw, start, name)


def _clip_warning(task: Task, summary: Summary, eps: float | None) -> None:
    if summary.clipped_low or summary.clipped_high:
        parts = [f"{summary.clipped_low} below eps"] if summary.clipped_low else []
        parts += [f"{summary.clipped_high} above 1 − eps"] if summary.clipped_high else []
        task.diag.warn(f"{task.preds.name}: clipped target-class probabilities into "
                       f"[eps, 1 − eps] (eps = {eps:.3g}): {' and '.join(parts)}",
                       hint="--eps sets the clip; --eps 0 turns it off")


class Categorical(Task):
    """``cece categorical``: softmax cross-entropy (PyTorch's ``cross_entropy``)."""

    command = "categorical"

    def open(self, preds_arg: str, labels_arg: str | None) -> None:
        opts = self.opts
        _check_common(opts)
        self.preds = preds = inputs.open_predictions(
            preds_arg, class_axis=opts.class_axis, pred_cols=opts.pred_cols,
            label_col=opts.label_col if labels_arg is None else None,
            weight_col=_weight_col(opts), classes=opts.classes, stdin_format=opts.stdin_format)
        if preds.n_classes < 2:
            raise CeceError(f"{preds.name}: {preds.n_classes} prediction column; categorical "
                            "cross-entropy needs 2 or more classes",
                            hint="for one column of scores or probabilities use cece binary")
        if labels_arg is None and len(preds.source.parts.get("labels", [0])) > 1:
            raise OptionError("--label-col names one column for categorical labels")
        self.labels = inputs.open_labels(labels_arg, preds, label_col=opts.label_col,
                                         stdin_format=opts.stdin_format)
        self.n_columns, self.classes = preds.n_classes, preds.classes
        self.weight = self._class_weights()
        if self.labels.form == "dense" and opts.ignore_index is not None:
            raise OptionError("--ignore-index applies to class-index labels, not to dense "
                              f"targets ({self.labels.name} has one target column per class)")
        self.sources = [preds.source]
        if self.labels.source is not preds.source:
            self.sources.append(self.labels.source)
        self.sources += _weight_source(opts, preds)
        self.pred_sums = RowSums(tol=math.sqrt(default_eps(preds.dtype)))  # scikit-learn
        self.target_sums = RowSums(tol=1e-6)
        self.soft = opts.label_smoothing > 0
        self.names = None if self.classes is None else np.asarray(self.classes, dtype=object)

    def _class_weights(self) -> np.ndarray | None:
        if self.opts.weight is None:
            return None
        w = checks.weights_vector(np.asarray(self.opts.weight), "class weights", "--weight")
        if len(w) != self.n_columns:
            where = f"--weight {self.opts.weight_file}:" if self.opts.weight_file else \
                "--weight has"
            raise OptionError(f"{where} {len(w)} values; expected one per class "
                              f"({self.n_columns})")
        return w

    def verify(self, kind: str, p: np.ndarray, start: int) -> None:
        checks.check_explicit_kind(kind, p, start, self.preds.name, self.pred_sums)

    def compiled(self, kind: str, p: np.ndarray) -> bool:
        o = self.opts
        return (kind == "logits" and self.labels.form in ("index", "name")
                and not o.label_smoothing and o.focal_gamma is None and o.focal_alpha is None
                and kernels.compiled(p))

    def _targets(self, start: int, raw: np.ndarray) -> np.ndarray:
        name, n = self.labels.name, self.n_columns
        if self.labels.form == "name":
            return checks.name_targets(raw, start, name, self.classes)
        if self.labels.form == "index":
            return checks.index_targets(raw, start, name, n, self.opts.ignore_index)
        checks.dense_targets(raw, start, name, self.target_sums)
        if not self.soft and not np.all((raw == 0) | (raw == 1)):
            self.soft = True
        return raw

    def terms(self, start: int, p: np.ndarray, block: dict, kind: str) -> Terms:
        o = self.opts
        return categorical_terms(
            p, self._targets(start, block["labels"]), kind=kind, weight=self.weight,
            ignore_index=o.ignore_index, label_smoothing=o.label_smoothing,
            sample_weight=_sample_weights(self, block, start), focal_gamma=o.focal_gamma,
            focal_alpha=o.focal_alpha, eps=o.eps, renormalize=o.renormalize)

    def records(self, rec: Records, t: Terms, rows, scale: float) -> None:
        details = t.details(rows)
        rec["target"] = target = t.target[rows]
        rec["predicted"] = predicted = details["predicted"]
        if self.names is not None:
            rec["target_class"] = self.names[target]
            rec["predicted_class"] = self.names[predicted]
        rec["p_target"] = details["p_target"]
        if t.entropy is not None:
            rec["entropy"], rec["kl"] = t.entropy[rows] / scale, t.kl[rows] / scale
        if self.weight is not None or t.sample_weight is not None:
            rec["weight"] = t.weight[rows]
        if self.opts.ignore_index is not None:
            rec["ignored"] = ~t.valid[rows]

    def form(self) -> str:
        if self.labels.form != "dense":
            return self.labels.form
        return "soft" if self.soft else "one-hot"

    def fields(self) -> list[str]:
        form = self.form()
        out = ["index", "loss", "target", "predicted"]
        if form in ("index", "name", "one-hot"):
            out.append("p_target")
        if form == "soft" or self.opts.label_smoothing > 0:
            out += ["entropy", "kl"]
        if self.names is not None:
            out += ["target_class", "predicted_class"]
        if self.weight is not None or self.opts.sample_weight is not None:
            out.append("weight")
        if self.opts.ignore_index is not None:
            out.append("ignored")
        return out

    def finish(self, kind: str, detector: KindDetector | None, summary: Summary) -> None:
        diag, name, opts = self.diag, self.preds.name, self.opts
        if detector is not None and kind == "logits" and detector.bad_sum \
                and detector.lo >= 0 and detector.hi <= 1:
            diag.warn(f"{name}: {detector.reason()}, so they were treated as logits",
                      hint="if they are probabilities, pass --from probs")
        if kind == "probs" and self.pred_sums.count:
            row, total = self.pred_sums.first  # type: ignore[misc]
            used = "renormalized (--renormalize)" if opts.renormalize else "used as given"
            diag.warn(f"{name}: {self.pred_sums.count} probability row(s) do not sum to 1 "
                      f"(row {row} sums to {total:.9g}); {used}",
                      hint=None if opts.renormalize else
                      "--renormalize divides each row by its sum first (as Keras does)")
        if self.target_sums.count:
            row, total = self.target_sums.first  # type: ignore[misc]
            diag.warn(f"{self.labels.name}: {self.target_sums.count} target row(s) do not sum "
                      f"to 1 (row {row} sums to {total:.9g})")
        _clip_warning(self, summary, self.eps(kind))
        if summary.count == 0 and opts.reduction == "mean":
            diag.warn("every sample is ignored; the mean loss is nan")
        if opts.renormalize and kind == "logits":
            diag.note("--renormalize has no effect on logits (softmax normalizes them)")

    def describe(self, kind: str, detected: bool, rows: int) -> dict:
        preds = self.preds
        shape = list(preds.shape) if preds.shape is not None else [rows, preds.n_classes]
        return {"preds": preds.name, "labels": self.labels.name, "kind": kind,
                "kind_detected": detected, "target": self.form(), "shape": shape,
                "classes": self.classes, "rows": rows}

    def options_dict(self, kind: str) -> dict:
        o = self.opts
        return {"from": o.kind, "reduction": o.reduction, "base": o.base, "eps": self.eps(kind),
                "weight": None if self.weight is None else self.weight.tolist(),
                "ignore_index": o.ignore_index, "label_smoothing": o.label_smoothing,
                "sample_weight": o.sample_weight, "focal_gamma": o.focal_gamma,
                "focal_alpha": o.focal_alpha, "renormalize": o.renormalize}


class Binary(Task):
    """``cece binary``: sigmoid cross-entropy (``binary_cross_entropy[_with_logits]``)."""

    command = "binary"
    squash = "the sigmoid"

    def open(self, preds_arg: str, labels_arg: str | None) -> None:
        opts = self.opts
        _check_common(opts)
        checks.check_range(opts.threshold, 0.0, 1.0, "--threshold")
        checks.check_range(opts.focal_alpha, 0.0, 1.0, "--focal-alpha")  # α and 1 − α ≥ 0
        if opts.kind == "log-probs":
            raise OptionError("binary cross-entropy takes logits or probabilities "
                              "(--from auto|logits|probs)")
        self.preds = preds = inputs.open_predictions(
            preds_arg, pred_cols=opts.pred_cols,
            label_col=opts.label_col if labels_arg is None else None,
            weight_col=_weight_col(opts), stdin_format=opts.stdin_format, binary=True)
        self.labels = inputs.open_binary_targets(
            labels_arg, preds, label_col=opts.label_col if labels_arg is not None else None,
            stdin_format=opts.stdin_format)
        self.k = k = preds.n_classes
        self.pos_weight = self._pos_weight()
        self.n_columns = 2 if k == 1 else k
        self.classes = ["0", "1"] if k == 1 else preds.classes
        self.sources = [preds.source]
        if self.labels.source is not preds.source:
            self.sources.append(self.labels.source)
        self.sources += _weight_source(opts, preds)
        self.row_sums = RowSums(tol=checks.ROW_SUM_TOL)  # rows of K ≥ 2 probabilities ≠ 1
        self.rows_seen = 0
        self.one_hot = k == 2  # two columns with [1, 0] / [0, 1] targets?

    def _pos_weight(self) -> np.ndarray | float | None:
        if self.opts.pos_weight is None:
            return None
        w = np.asarray(self.opts.pos_weight, dtype=np.float64)
        if not np.isfinite(w).all() or (w <= 0).any():
            raise OptionError(f"--pos-weight must be > 0; got {', '.join(f'{v:g}' for v in w)}")
        if len(w) not in (1, self.k):
            where = f"--pos-weight {self.opts.weight_file}:" if self.opts.weight_file else \
                "--pos-weight has"
            raise OptionError(f"{where} {len(w)} values; expected 1 or one per column "
                              f"({self.k})")
        return float(w[0]) if len(w) == 1 else w

    def detector(self) -> KindDetector:
        return KindDetector(rows_sum_to_one=False, kinds=("probs",))

    def compiled(self, kind: str, p: np.ndarray) -> bool:
        o = self.opts
        return (kind == "logits" and o.focal_gamma is None and o.focal_alpha is None
                and not (o.per_class and self.k > 1) and kernels.compiled(p))

    def verify(self, kind: str, p: np.ndarray, start: int) -> None:
        if kind == "probs":
            checks.check_explicit_kind(kind, p, start, self.preds.name, self.row_sums)
            with self.row_sums.lock:
                self.rows_seen += len(p)

    def _targets(self, start: int, raw: np.ndarray) -> np.ndarray:
        y = raw.reshape(len(raw), -1)
        name = self.labels.name
        checks.check_finite(y, start, name, "target")
        if len(y) and 0 <= y.min() and y.max() <= 1:  # the common case, in two reductions
            bad = np.empty((0, 2), np.intp)
        else:
            bad = np.argwhere((y < 0) | (y > 1))
        if bad.size:
            r, c = (int(v) for v in bad[0])
            raise InputError(
                name, f"target {y[r, c]:g} is outside [0, 1]", row=start + r,
                column=c if self.k > 1 else None,
                hint="binary targets are 0/1 labels or probabilities in [0, 1]")
        if self.one_hot and not np.all(((y[:, 0] == 1) & (y[:, 1] == 0)) |
                                       ((y[:, 0] == 0) & (y[:, 1] == 1))):
            self.one_hot = False
        return y

    def terms(self, start: int, p: np.ndarray, block: dict, kind: str) -> Terms:
        o = self.opts
        t = binary_terms(
            p, self._targets(start, block["labels"]), kind=kind, pos_weight=self.pos_weight,
            label_smoothing=o.label_smoothing, sample_weight=_sample_weights(self, block, start),
            focal_gamma=o.focal_gamma, focal_alpha=o.focal_alpha, eps=o.eps,
            threshold=o.threshold, per_column=o.per_class and self.k > 1)
        if not self.soft and t.entropy is not None:  # smoothing alone does not make them soft
            raw = block["labels"]
            self.soft = not o.label_smoothing or bool(np.any((raw > 0) & (raw < 1)))
        return t

    def records(self, rec: Records, t: Terms, rows, scale: float) -> None:
        if self.k == 1:
            rec["target"] = t.target[rows]
            rec.update(t.details(rows))
        else:
            rec["accuracy"] = t.correct[rows]
        if t.entropy is not None:
            rec["entropy"], rec["kl"] = t.entropy[rows] / scale, t.kl[rows] / scale
        if t.sample_weight is not None:
            rec["weight"] = t.sample_weight[rows]

    def fields(self) -> list[str]:
        out = ["index", "loss"]
        out += ["target", "p", "predicted", "p_target"] if self.k == 1 else ["accuracy"]
        if self.soft or self.opts.label_smoothing > 0:
            out += ["entropy", "kl"]
        if self.opts.sample_weight is not None:
            out.append("weight")
        return out

    def class_counts(self, t: Terms, loss: np.ndarray, scale: float) -> np.ndarray | None:
        if self.k > 1:
            return None if t.columns is None else t.columns / [[1.0], [scale], [1.0]]
        cls = (t.target >= 0.5).astype(np.intp)
        return np.stack([np.bincount(cls, minlength=2),
                         np.bincount(cls, weights=loss, minlength=2),
                         np.bincount(cls, weights=t.correct, minlength=2)])

    def finish(self, kind: str, detector: KindDetector | None, summary: Summary) -> None:
        diag, name = self.diag, self.preds.name
        _clip_warning(self, summary, self.eps(kind))
        rows_sum_to_one = kind == "probs" and self.k >= 2 and self.rows_seen \
            and self.row_sums.count == 0
        if rows_sum_to_one and self.k == 2 and self.one_hot:
            diag.warn(f"{name}: two probability columns that sum to 1, with one-hot targets, "
                      "look like [P(class 0), P(class 1)]; binary cross-entropy scores each "
                      "column as its own sigmoid, counting every sample twice",
                      hint="use cece categorical for one two-class distribution per row, or "
                      "give cece binary only the P(class 1) column")
        elif rows_sum_to_one:
            diag.warn(f"{name}: every row of {self.k} probabilities sums to 1, like softmax "
                      "output; binary cross-entropy treats each column as an independent "
                      "sigmoid probability",
                      hint="for one distribution per row use cece categorical; for "
                      "independent labels the model needs sigmoid outputs")

    def describe(self, kind: str, detected: bool, rows: int) -> dict:
        preds = self.preds
        shape = list(preds.shape) if preds.shape is not None else [rows, self.k]
        return {"preds": preds.name, "labels": self.labels.name, "kind": kind,
                "kind_detected": detected, "target": "soft" if self.soft else "hard",
                "shape": shape, "columns": self.k, "classes": preds.classes, "rows": rows}

    def options_dict(self, kind: str) -> dict:
        o, pw = self.opts, self.pos_weight
        return {"from": o.kind, "reduction": o.reduction, "base": o.base, "eps": self.eps(kind),
                "pos_weight": pw.tolist() if isinstance(pw, np.ndarray) else pw,
                "label_smoothing": o.label_smoothing, "sample_weight": o.sample_weight,
                "focal_gamma": o.focal_gamma, "focal_alpha": o.focal_alpha,
                "threshold": o.threshold}
