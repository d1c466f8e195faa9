"""The pipeline behind a loss command: read → check → compute per sample → reduce.

Inputs are read in aligned row blocks (:mod:`cece.inputs`); each block is checked
(:mod:`cece.checks`), turned into per-sample terms (:mod:`cece.losses`) and folded into
mergeable aggregates (:mod:`cece.reduce`). What the renderers need comes back as a
:class:`Result`; per-sample records can also be streamed to a callback as they are computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import checks, inputs, losses
from .checks import Diagnostics, KindDetector, RowSums
from .errors import CeceError, OptionError
from .reduce import LossLog, Summary, Worst, reduced

BASES = {"e": (1.0, "nats"), "2": (math.log(2), "bits"), "10": (math.log(10), "hartleys")}
Records = dict[str, np.ndarray]


@dataclass
class Options:
    """Everything a categorical run needs besides its two input arguments."""

    kind: str = "auto"
    reduction: str = "mean"
    base: str = "e"
    weight: list[float] | None = None
    ignore_index: int | None = None
    label_smoothing: float = 0.0
    sample_weight: str | None = None
    focal_gamma: float | None = None
    focal_alpha: float | None = None
    eps: float | None = None
    renormalize: bool = False
    pred_cols: str | None = None
    label_col: str | None = None
    classes: list[str] | None = None
    class_axis: int = -1
    stdin_format: str = "csv"
    head: int = 20  # per-sample records kept from the start
    worst: int = 0  # highest-loss records kept
    keep_all: bool = False  # keep every record (JSON "samples")
    per_class: bool = False


@dataclass
class Result:
    """What a run computed, ready to render."""

    command: str
    input: dict
    options: dict
    unit: str
    reduction: str
    summary: Summary
    median: float
    fields: list[str]  # per-sample record fields that apply
    head: list[dict] = field(default_factory=list)
    worst: list[dict] = field(default_factory=list)
    samples: list[dict] | None = None
    per_class: list[dict] | None = None
    warnings: list[str] = field(default_factory=list)
    classes: list[str] | None = None
    rows: int = 0

    @property
    def loss(self) -> float | None:
        return reduced(self.summary, self.reduction)

    @property
    def perplexity(self) -> float:
        scale = BASES[self.options["base"]][0]
        return math.exp(self.summary.mean * scale) if self.summary.count else math.nan


class _KindChanged(Exception):
    pass


def categorical(preds_arg: str, labels_arg: str | None, opts: Options, diag: Diagnostics,
                on_records: Callable[[Records], None] | None = None) -> Result:
    """Run ``cece categorical``: open, then one pass (two if auto-detection must revise)."""
    _check_options(opts)
    weight_col = (opts.sample_weight if opts.sample_weight is not None
                  and inputs.is_column_spec(opts.sample_weight) else None)
    preds = inputs.open_predictions(
        preds_arg, class_axis=opts.class_axis, pred_cols=opts.pred_cols,
        label_col=opts.label_col if labels_arg is None else None, weight_col=weight_col,
        classes=opts.classes, stdin_format=opts.stdin_format)
    if preds.n_classes < 2:
        raise CeceError(f"{preds.name}: {preds.n_classes} prediction column; categorical "
                        "cross-entropy needs 2 or more classes",
                        hint="for one column of scores or probabilities use cece binary")
    labels = inputs.open_labels(labels_arg, preds, label_col=opts.label_col,
                                stdin_format=opts.stdin_format)
    weight = _class_weights(opts, preds.n_classes)
    if labels.form == "dense" and opts.ignore_index is not None:
        raise OptionError("--ignore-index applies to class-index labels, not to dense targets "
                          f"({labels.name} has one target column per class)")
    sources = [preds.source] + ([labels.source] if labels.source is not preds.source else [])
    if opts.sample_weight is not None and weight_col is None:
        sources.append(inputs.open_sample_weights(opts.sample_weight, preds,
                                                  stdin_format=opts.stdin_format))
    detector = KindDetector() if opts.kind == "auto" else None
    run = _Pass(preds, labels, weight, opts, diag, on_records)
    kind = opts.kind
    for _ in range(3):
        try:
            run.go(sources, kind if detector is None else None, detector)
            break
        except _KindChanged:
            run = _Pass(preds, labels, weight, opts, diag, on_records)
    return run.result(detector)


def _check_options(opts: Options) -> None:
    checks.check_range(opts.eps, 0.0, 0.5, "--eps", high_open=True)
    checks.check_range(opts.label_smoothing, 0.0, 1.0, "--label-smoothing")
    checks.check_range(opts.focal_gamma, 0.0, math.inf, "--focal-gamma")
    checks.check_range(opts.focal_alpha, 0.0, math.inf, "--focal-alpha")
    if opts.base not in BASES:
        raise OptionError(f"--base must be e, 2 or 10; got {opts.base!r}")


def _class_weights(opts: Options, n_classes: int) -> np.ndarray | None:
    if opts.weight is None:
        return None
    w = checks.weights_vector(np.asarray(opts.weight), "class weights", "--weight")
    if len(w) != n_classes:
        raise OptionError(f"--weight has {len(w)} values; expected one per class ({n_classes})")
    return w


class _Pass:
    """One pass over the inputs under one prediction kind."""

    def __init__(self, preds, labels, weight, opts: Options, diag: Diagnostics,
                 on_records) -> None:
        self.preds, self.labels, self.weight, self.opts, self.diag = preds, labels, weight, opts, diag
        self.on_records = on_records
        self.summary, self.log, self.worst = Summary(), LossLog(), Worst(opts.worst)
        self.head: list[dict] = []
        self.samples: list[dict] | None = [] if opts.keep_all else None
        self.scale = BASES[opts.base][0]
        self.pred_sums = RowSums(tol=1.0)
        self.target_sums = RowSums(tol=1e-6)
        self.soft = opts.label_smoothing > 0
        self.per_class = np.zeros((3, preds.n_classes))  # count, loss sum, correct
        self.rows = 0
        self.kind = opts.kind
        self.streamed = False
        self.class_names = None if preds.classes is None else np.asarray(preds.classes, object)

    def go(self, sources, kind: str | None, detector: KindDetector | None) -> None:
        preds = self.preds
        rows = inputs.rows_per_block(preds.n_classes, preds.dtype.itemsize)
        self.pred_sums.tol = math.sqrt(losses.default_eps(preds.dtype))  # scikit-learn's check
        spy = KindDetector() if kind == "logits" else None  # probabilities fed as logits?
        for start, block in inputs.aligned_blocks(sources, rows):
            p = block["preds"]
            checks.check_finite(p, start, preds.name)
            if detector is not None:
                detector.update(p, start)
                if kind is None:
                    kind = self.kind = detector.kind
                    self.diag.note(f"{preds.name}: treating predictions as {kind} "
                                   f"({detector.reason()}); --from sets the kind")
                elif detector.kind != kind:
                    if self.streamed:
                        raise CeceError(f"{preds.name}: rows from {start} on rule out "
                                        f"{kind}, which the first rows suggested",
                                        hint="pass --from logits|probs|log-probs")
                    raise _KindChanged
                if kind != "logits":
                    checks.check_explicit_kind(kind, p, start, preds.name, self.pred_sums)
            else:
                self.kind = kind
                checks.check_explicit_kind(kind, p, start, preds.name, self.pred_sums)
                if spy is not None:
                    spy.update(p, start)
            self._block(start, p, block)
        if spy is not None and spy.kind == "probs":
            self.diag.warn(f"{preds.name} looks like probabilities ({spy.reason()}), but "
                           "--from logits applies softmax to them again",
                           hint="use --from probs (or auto)")

    def _targets(self, start: int, block: dict) -> np.ndarray:
        raw, name, n_classes = block["labels"], self.labels.name, self.preds.n_classes
        if self.labels.form == "name":
            return checks.name_targets(raw, start, name, self.preds.classes)
        if self.labels.form == "index":
            return checks.index_targets(raw, start, name, n_classes, self.opts.ignore_index)
        checks.dense_targets(raw, start, name, self.target_sums)
        if not self.soft and not np.all((raw == 0) | (raw == 1)):
            self.soft = True
        return raw

    def _block(self, start: int, p: np.ndarray, block: dict) -> None:
        opts = self.opts
        y = self._targets(start, block)
        sw = block.get("weights")
        if sw is not None:
            sw = checks.weights_vector(sw, "sample weights", "--sample-weight")
        t = losses.categorical_terms(
            p, y, kind=self.kind, weight=self.weight, ignore_index=opts.ignore_index,
            label_smoothing=opts.label_smoothing, sample_weight=sw,
            focal_gamma=opts.focal_gamma, focal_alpha=opts.focal_alpha, eps=opts.eps,
            renormalize=opts.renormalize)
        loss = t.loss / self.scale
        s = 1.0 if sw is None else sw
        valid = t.valid
        self.summary.add(
            loss[valid], weighted_sum=float(np.sum(s * loss)), weight_sum=float(t.weight.sum()),
            ignored=int((~valid).sum()), correct=int(t.correct.sum()),
            entropy=None if t.entropy is None else t.entropy[valid] / self.scale,
            kl=None if t.kl is None else t.kl[valid] / self.scale)
        self.summary.clipped_low += t.clipped_low
        self.summary.clipped_high += t.clipped_high
        self.log.add(loss[valid])
        if opts.per_class and t.target is not None:
            cls = t.target[valid]
            n = self.preds.n_classes
            self.per_class[0] += np.bincount(cls, minlength=n)
            self.per_class[1] += np.bincount(cls, weights=loss[valid], minlength=n)
            self.per_class[2] += np.bincount(cls, weights=t.correct[valid], minlength=n)
        records = self._records(start, loss, t, sw)
        self.worst.add(records, valid)
        need = opts.head - len(self.head)
        if need > 0:
            self.head.extend(_rows(records, 0, need))
        if self.samples is not None:
            self.samples.extend(_rows(records, 0, len(loss)))
        if self.on_records is not None:
            self.streamed = True
            self.on_records(records)
        self.rows = start + len(loss)

    def _records(self, start: int, loss: np.ndarray, t: losses.Terms, sw) -> Records:
        rec: Records = {"index": np.arange(start, start + len(loss)), "loss": loss}
        if t.target is not None:
            rec["target"] = t.target
        rec["predicted"] = t.predicted
        if self.class_names is not None:
            if t.target is not None:
                rec["target_class"] = self.class_names[t.target]
            rec["predicted_class"] = self.class_names[t.predicted]
        if t.p_target is not None:
            rec["p_target"] = t.p_target
        if t.entropy is not None:
            rec["entropy"], rec["kl"] = t.entropy / self.scale, t.kl / self.scale
        if self.weight is not None or sw is not None:
            rec["weight"] = t.weight
        if self.opts.ignore_index is not None:
            rec["ignored"] = ~t.valid
        return rec

    def result(self, detector: KindDetector | None) -> Result:
        opts, preds, labels, diag = self.opts, self.preds, self.labels, self.diag
        if detector is not None:
            if self.kind == "logits" and detector.bad_sum and detector.lo >= 0 and detector.hi <= 1:
                diag.warn(f"{preds.name}: {detector.reason()}, so they were treated as logits",
                          hint="if they are probabilities, pass --from probs")
        self._final_warnings()
        form = labels.form if labels.form != "dense" else ("soft" if self.soft else "one-hot")
        return Result(
            command="categorical",
            input={"preds": preds.name, "labels": labels.name, "kind": self.kind,
                   "kind_detected": detector is not None, "target": form,
                   "shape": list(preds.shape) if preds.shape is not None else [self.rows, preds.n_classes],
                   "classes": preds.classes, "rows": self.rows},
            options=self._options_dict(), unit=BASES[opts.base][1], reduction=opts.reduction,
            summary=self.summary, median=self.log.median(), fields=self._fields(form),
            head=self.head, worst=self.worst.records(), samples=self.samples,
            per_class=self._per_class() if opts.per_class else None,
            warnings=list(diag.warnings), classes=preds.classes, rows=self.rows)

    def _final_warnings(self) -> None:
        s, diag, name = self.summary, self.diag, self.preds.name
        if self.kind == "probs" and self.pred_sums.count:
            row, total = self.pred_sums.first  # type: ignore[misc]
            used = "renormalized (--renormalize)" if self.opts.renormalize else "used as given"
            diag.warn(f"{name}: {self.pred_sums.count} probability row(s) do not sum to 1 "
                      f"(row {row} sums to {total:.9g}); {used}",
                      hint=None if self.opts.renormalize else
                      "--renormalize divides each row by its sum first (as Keras does)")
        if self.target_sums.count:
            row, total = self.target_sums.first  # type: ignore[misc]
            diag.warn(f"{self.labels.name}: {self.target_sums.count} target row(s) do not sum "
                      f"to 1 (row {row} sums to {total:.9g})")
        if s.clipped_low or s.clipped_high:
            eps = self.options_eps()
            parts = [f"{s.clipped_low} below eps"] if s.clipped_low else []
            parts += [f"{s.clipped_high} above 1 − eps"] if s.clipped_high else []
            diag.warn(f"{name}: clipped target-class probabilities into [eps, 1 − eps] "
                      f"(eps = {eps:.3g}): {' and '.join(parts)}",
                      hint="--eps sets the clip; --eps 0 turns it off")
        if s.count == 0 and self.opts.reduction == "mean":
            diag.warn("every sample is ignored; the mean loss is nan")
        if self.opts.renormalize and self.kind == "logits":
            diag.note("--renormalize has no effect on logits (softmax normalizes them)")

    def options_eps(self) -> float | None:
        if self.kind != "probs":
            return None
        return losses.default_eps(self.preds.dtype) if self.opts.eps is None else self.opts.eps

    def _options_dict(self) -> dict:
        o = self.opts
        return {"from": o.kind, "reduction": o.reduction, "base": o.base,
                "eps": self.options_eps(),
                "weight": None if self.weight is None else self.weight.tolist(),
                "ignore_index": o.ignore_index, "label_smoothing": o.label_smoothing,
                "sample_weight": o.sample_weight, "focal_gamma": o.focal_gamma,
                "focal_alpha": o.focal_alpha, "renormalize": o.renormalize}

    def _fields(self, form: str) -> list[str]:
        out = ["index", "loss"]
        if form in ("index", "name", "one-hot"):
            out += ["target", "predicted", "p_target"]
        else:
            out += ["target", "predicted"]
        if form == "soft" or self.opts.label_smoothing > 0:
            out += ["entropy", "kl"]
        if self.class_names is not None:
            out += ["target_class", "predicted_class"]
        if self.weight is not None or self.opts.sample_weight is not None:
            out.append("weight")
        if self.opts.ignore_index is not None:
            out.append("ignored")
        return out

    def _per_class(self) -> list[dict]:
        count, total, correct = self.per_class
        names = self.preds.classes or [str(i) for i in range(self.preds.n_classes)]
        return [{"class": names[c], "count": int(count[c]),
                 "mean": total[c] / count[c] if count[c] else math.nan,
                 "accuracy": correct[c] / count[c] if count[c] else math.nan}
                for c in range(len(names))]


def _rows(records: Records, start: int, n: int) -> list[dict]:
    """Records [start, start+n) as dicts of Python scalars."""
    stop = min(start + n, len(records["index"]))
    cols = {k: v[start:stop].tolist() for k, v in records.items()}
    return [dict(zip(cols, row)) for row in zip(*cols.values())]
