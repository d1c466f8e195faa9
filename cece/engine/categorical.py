"""``cece categorical`` as a task: softmax cross-entropy (PyTorch's ``cross_entropy``).

Opens PREDS and the labels (indices, names or dense rows), checks each block of targets,
computes the per-sample terms and says what the classic confusions look like.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from cece import _native as kernels
from cece import checks
from cece.checks import KindDetector, RowSums
from cece.engine import guesses, sequences
from cece.engine.reduce import Summary
from cece.engine.task import (
    Records,
    Task,
    check_common,
    class_weights,
    clip_warning,
    ignored_as_class,
    ignored_as_given,
    layout_json,
    rescale_column,
    sample_factors,
    sample_rescale,
    sample_weights,
    state_layout,
    weight_column,
    weight_sources,
)
from cece.errors import CeceError, InputError, OptionError
from cece.io import bfloat16, evidence, inputs, labels, meaning, shift
from cece.io.layout import Inference
from cece.losses import fused, temperature, topk
from cece.losses.softmax import categorical_terms, picks
from cece.losses.terms import Terms, default_eps, weigh


class Categorical(Task):
    """``cece categorical``: softmax cross-entropy (PyTorch's ``cross_entropy``)."""

    command = "categorical"
    neg_inf_logits = True

    def open(self, preds_arg: str, labels_arg: str | None) -> None:
        opts = self.opts
        check_common(opts)
        temperature.check_temperature(opts.temperature)
        topk.check_top_k(opts.top_k)
        mask_col = shift.mask_column(opts)  # --mask COL: a column of the labels' table
        self.preds = preds = inputs.open_predictions(
            preds_arg,
            class_axis=opts.class_axis,
            pred_cols=opts.pred_cols,
            label_col=opts.label_col if labels_arg is None else None,
            weight_col=weight_column(opts),
            rescale_col=rescale_column(opts),
            ids_col=sequences.ids_column(opts),
            mask_col=mask_col if labels_arg is None else None,
            classes=None if opts.classes is None else list(opts.classes),
            stdin_format=opts.stdin_format,
            dtype=opts.dtype,
            kind=opts.kind,
            header=opts.header,
        )
        if preds.n_classes < 2:
            raise CeceError(
                f"{preds.name}: {preds.n_classes} prediction column; categorical "
                "cross-entropy needs 2 or more classes",
                hint=guesses.one_column_hint(preds_arg, labels_arg, opts),
            )
        seq = self._sequence_labels(labels_arg)
        self.labels = (
            seq.labels
            if seq
            else labels.open_labels(
                labels_arg,
                preds,
                label_col=opts.label_col,
                stdin_format=opts.stdin_format,
                header=opts.header,
            )
        )
        self.mask = self._ignoring(shift.open_mask_column(mask_col, self.labels, self.opts))
        self.sources = [preds.source]
        if self.labels.source is not preds.source:
            self.sources.append(self.labels.source)
        self.sources += [seq.weights] if seq and seq.weights else weight_sources(opts, preds)
        has_ids = sequences.ids_column(opts) is not None
        self.seq = sequences.setup(opts, preds, has_ids, self.labels.form)
        self.sources += [self.seq.source] if self.seq and self.seq.source else []
        if self.seq and (note := self.seq.note()):
            self.diag.note(note)
        evidence.settle_headers(self.sources)
        inputs.refresh_classes(preds, opts.classes)
        self.n_columns, self.classes = preds.n_classes, preds.classes
        self.label_map: dict[int, int] | None = None
        self.one_row = False  # 1-D predictions read as one sample (dense targets must sum to 1)
        state_layout(self, *self._layout_checks(), *(self.seq.inferred if self.seq else []))
        self.weight = class_weights(self)
        self.rescale = None if opts.rescale is None else sample_factors(self, opts.rescale)
        if self.labels.form in ("dense", "name") and opts.ignore_index is not None:
            what = {"dense": "dense targets", "name": "class names"}[self.labels.form]
            raise OptionError(  # names: no label is the number I as written (README)
                f"--ignore-index applies to class-index labels, not to {what} ({self.labels.name})"
            )
        self.pred_sums = RowSums(tol=math.sqrt(default_eps(preds.dtype)))  # scikit-learn
        self.target_sums = RowSums(tol=1e-6)
        self.soft = opts.label_smoothing > 0
        self.fractional = False  # dense targets with a value strictly between 0 and 1
        self.hard_preds = True  # every prediction exactly 0 or 1 (labels given as PREDS?)
        self.names = None if self.classes is None else np.asarray(self.classes, dtype=object)

    def _sequence_labels(self, labels_arg: str | None) -> shift.SequenceLabels | None:
        """``--shift`` / ``--mask``: the labels as scored (not scored: the ignore value)."""
        seq = self.sequence_labels = shift.sequence_labels(labels_arg, self.preds, self.opts)
        self.sequence_facts = {} if seq is None else seq.facts
        return self._ignoring(seq)

    def _ignoring(self, found):
        """--shift, --mask FILE|COL: the ignore value they use (stated), for the checks."""
        if found is None:
            return None
        self.opts = replace(self.opts, ignore_index=found.ignore_index)
        for note in found.notes:
            self.diag.note(note)
        return found

    def _layout_checks(self) -> list[Inference]:
        """1-D predictions (one sample, or N binary scores?) and integer labels against
        integer class names (indices, or names as scikit-learn's ``labels=`` reads them)."""
        preds, lab, opts = self.preds, self.labels, self.opts
        found = list(lab.inferred)
        self.ignore_target = opts.ignore_index  # the value ignored rows carry as indices
        literal = preds.name.startswith("literal")  # a typed list is one sample (README)
        if preds.shape is not None and len(preds.shape) == 1 and preds.shape[0] > 1 and not literal:
            one = lab.form in ("index", "name") and evidence.source_rows(lab.source) == 1
            if not one:
                raise InputError(
                    preds.name,
                    f"1-D predictions (shape {preds.shape}) with {lab.name}: one score per "
                    f"sample, or one sample of {preds.shape[0]} classes?",
                    hint="for one score per sample (binary scores, decision_function) use "
                    "cece binary; for one sample of C classes pass a row: '[[...]]'",
                )
            why = f"1-D predictions read as one sample of {preds.shape[0]} classes (one label)"
            found.append(Inference(preds.name, "samples", why))
        if preds.shape is not None and len(preds.shape) == 1 and lab.form == "dense":
            self.one_row = True
        if lab.form == "index" and self.classes:
            where = "--classes" if opts.classes is not None else f"{preds.name}'s header"
            self.label_map, note = evidence.integer_names(
                lab.source,
                self.classes,
                ignore_index=opts.ignore_index,
                labels_as=opts.labels_as,
                where=where,
            )
            found += [note] if note else []
            self.ignore_target, note = meaning.ignore_space(
                opts.ignore_index, self.label_map, self.classes, lab.name
            )
            found += [note] if note else []
        if lab.form == "index" and not self.label_map:
            note = meaning.boolean_labels(lab.source, self.classes, self.n_columns, opts.labels_as)
            found += [note] if note else []
        elif opts.labels_as is not None and lab.form != "index":
            raise OptionError(
                f"--labels-as applies to integer labels; {lab.name} holds {lab.form}s"
            )
        return found

    def verify(self, kind: str, p: np.ndarray, start: int) -> None:
        name, sums, renorm = self.preds.name, self.pred_sums, self.opts.renormalize
        checks.check_explicit_kind(kind, p, start, name, sums, renormalize=renorm)

    def fused(self, kind: str) -> bool:
        o = self.opts
        return fused.fused(
            kind,
            index_targets=self.labels.form in ("index", "name"),
            label_smoothing=o.label_smoothing,
            focal_gamma=o.focal_gamma,
            focal_alpha=o.focal_alpha,
        )

    def pick_labels(self, block: dict, kind: str) -> np.ndarray | None:
        """The block's labels where they reach ``kernels.index_pick`` as read (int64 class
        indices; nothing ignored, masked, mapped or renormalized): Task.pick_labels."""
        raw, plain = block.get("labels"), self.mask is None and self.label_map is None
        plain = plain and self.ignore_target is None and not self.opts.renormalize
        if plain and self.labels.form == "index" and picks(kind, False):
            as_read = isinstance(raw, np.ndarray) and raw.dtype == np.intp and raw.ndim == 1
            return raw if as_read else None
        return None

    def compiled_pass(self, kind: str, p: np.ndarray) -> bool:  # + the probabilities' pass
        pick = self.labels.form in ("index", "name") and picks(kind, self.opts.renormalize)
        return (self.fused(kind) or pick) and kernels.compiled(p)

    def targets(self, start: int, raw: np.ndarray, *, bounds: bool = True) -> np.ndarray:
        """The block's targets, checked (``bounds=False``: class indices' range left to the
        compiled fused kernel, which checks it in its pass)."""
        name, n = self.labels.name, self.n_columns
        if self.labels.form == "name":
            return checks.name_targets(raw, start, name, self.classes)
        if self.labels.form == "index":
            if self.label_map is not None:
                ig, target = self.opts.ignore_index, self.ignore_target
                raw = evidence.map_names(raw, self.label_map, start, name, ig, target)
            return checks.index_targets(raw, start, name, n, self.ignore_target, bounds=bounds)
        checks.dense_targets(raw, start, name, self.target_sums)
        if self.one_row:
            guesses.one_distribution(raw, self.preds.name, name)
        if not self.fractional and not np.all((raw == 0) | (raw == 1)):
            self.soft = self.fractional = True
        return raw

    def terms(self, start: int, p: np.ndarray, block: dict, kind: str) -> Terms:
        o, scores, inside = self.opts, p, 1.0
        if o.temperature is not None:  # F.cross_entropy(logits / T, y)
            temperature.temperature_kind(kind, self.preds.name)
            if self.fused(kind) and kernels.scales(p, o.temperature):
                inside = o.temperature  # divided in the fused kernel's pass: no copy
            else:
                p = temperature.soften(bfloat16.values(p), o.temperature, start, self.preds.name)
        raw = self.mask.apply(block, start) if self.mask else block["labels"]  # mask 0: -100
        if self.hard_preds and (self.labels.form != "dense" or not guesses.zeros_ones(p, kind)):
            self.hard_preds = False  # 0/1 probabilities against dense targets (finish: swapped?)
        # the range checked in a compiled pass (the fused kernel's; the look's that took picks)
        bounds = not ((self.fused(kind) and kernels.compiled(p)) or kernels.picks_kept(p, raw))
        y = self.targets(start, raw, bounds=bounds)
        try:
            t = categorical_terms(
                p,
                y,
                kind=kind,
                weight=self.weight,
                ignore_index=self.ignore_target,
                label_smoothing=o.label_smoothing,
                sample_weight=sample_weights(self, block, start),
                focal_gamma=o.focal_gamma,
                focal_alpha=o.focal_alpha,
                eps=self.eps(kind),  # the dtype's own, as the report states
                renormalize=o.renormalize,
                temperature=inside,
                predicted=self.keep.records,
            )
        except InputError:
            if not bounds:  # the kernel refused a label: worded with its file and row here
                checks.index_targets(y, start, self.labels.name, self.n_columns, self.ignore_target)
            raise
        if (r := sample_rescale(self, block, start, len(p))) is not None:
            t.loss, t.numerator, t.extrema = weigh(r, t.loss), weigh(r, t.numerator), None
        if o.top_k is not None:  # ranks are the same before and after T, softmax or log
            assert t.target is not None  # categorical_terms sets it
            y = np.where(t.valid, t.target, 0)  # ignored rows: any class, masked below
            t.top_k = topk.top_k_correct(scores.reshape(len(t.loss), -1), y, o.top_k) & t.valid
        return t

    def records(self, rec: Records, t: Terms, rows, scale: float) -> None:
        assert t.details is not None and t.target is not None  # categorical_terms sets both
        details = t.details(rows)
        rec["target"] = target = t.target[rows]
        rec["predicted"] = predicted = details["predicted"]
        rec["p_target"] = details["p_target"]
        if self.names is not None:
            rec["target_class"] = self.names[target]
            rec["predicted_class"] = self.names[predicted]
        ignore = self.opts.ignore_index
        if ignore is not None and not t.valid[rows].all():
            ignored_as_given(rec, ~t.valid[rows], ignore)
            if self.label_map and ignore in self.label_map:  # a label that names a class
                ignored_as_class(rec, ~t.valid[rows], self.label_map[ignore], self.names)
            if self.sequence_labels is not None:
                self.sequence_labels.unlabelled(rec)
        if t.entropy is not None:
            assert t.kl is not None  # set with entropy
            rec["entropy"], rec["kl"] = t.entropy[rows] / scale, t.kl[rows] / scale
        if self.weight is not None or t.sample_weight is not None:
            rec["weight"] = t.weight[rows]
        if self.opts.ignore_index is not None:
            rec["ignored"] = ~t.valid[rows]
        rec.update(topk.record_field(t.top_k, t.valid, rows))  # --top-k: in_top_k

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
        out += ["in_top_k"] if self.opts.top_k is not None else []
        return out

    def undecided(self, detector: KindDetector) -> None:
        guesses.undecided(detector, self.preds.name, self.sources)

    def finish(self, kind: str, detector: KindDetector | None, summary: Summary) -> None:
        diag, name, opts = self.diag, self.preds.name, self.opts
        if self.rescale is not None:
            self.rescale.finish()
        if detector is not None and kind == "logits":
            self.undecided(detector)
            guesses.logits_in_unit_range(detector, name, diag)
        if kind == "probs" and self.pred_sums.count:
            row, total = self.pred_sums.first  # type: ignore[misc]
            message = (
                f"{name}: {self.pred_sums.count} probability row(s) do not sum to 1 "
                f"(row {row} sums to {total:.9g})"
            )
            if opts.renormalize:  # asked for: counts are welcome
                diag.note(f"{message}; renormalized (--renormalize)")
            else:
                diag.warn(
                    f"{message}; used as given",
                    hint="--renormalize divides each row by its sum first (as Keras does)",
                )
        if self.target_sums.count:
            row, total = self.target_sums.first  # type: ignore[misc]
            diag.warn(
                f"{self.labels.name}: {self.target_sums.count} target row(s) do not sum "
                f"to 1 (row {row} sums to {total:.9g})"
            )
        guesses.swapped(
            self, self.labels.name, kind, self.hard_preds, self.fractional, "PREDS LABELS"
        )
        clip_warning(self, summary, self.eps(kind))
        if summary.count == 0:
            diag.warn(checks.all_ignored(opts.reduction))
        if opts.top_k is not None and opts.top_k >= self.n_columns:  # scikit-learn warns too
            diag.warn(
                f"--top-k {opts.top_k} with {self.n_columns} classes: every sample is in the "
                "top k (top-k accuracy 1)"
            )
        if opts.renormalize and kind == "logits":
            diag.note("--renormalize has no effect on logits (softmax normalizes them)")

    def sequence_sums(self) -> sequences.Sums | None:
        return self.seq.sums() if self.seq else None

    def sequence_report(self, sums, summary: Summary) -> tuple[list[dict] | None, dict]:
        if self.seq is None:
            return None, {}
        rows, stats, notes = sequences.report(self.seq, sums, summary, self.opts.scale)
        for note in notes:
            self.diag.note(note)
        return rows, stats

    def describe(self, kind: str, detected: bool, rows: int) -> dict:
        preds = self.preds
        shape = list(preds.shape) if preds.shape is not None else [rows, preds.n_classes]
        return {
            "preds": preds.name,
            "labels": self.labels.name,
            "kind": kind,
            "kind_detected": detected,
            "target": self.form(),
            "shape": shape,
            "classes": self.classes,
            "rows": rows,
            **self.sequence_facts,
            **(self.seq.facts() if self.seq else {}),
            **({} if self.mask is None else self.mask.facts()),
            **layout_json(self),
        }

    def options_dict(self, kind: str) -> dict:
        sequence = ("per_sequence", "sequence_ids", "bytes", "words") if self.seq else ()
        return self.opts.to_json(
            (*_OPTIONS, *sequence),
            eps=self.eps(kind),
            weight=None if self.weight is None else self.weight.tolist(),
        )


_OPTIONS = (  # the options a document states (options_dict), in order
    "from", "reduction", "base", "eps", "weight", "ignore_index", "label_smoothing",
    "sample_weight", "focal_gamma", "focal_alpha", "renormalize", "rescale", "shift", "mask",
    "temperature", "top_k"
)  # fmt: skip
