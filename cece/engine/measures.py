"""``cece entropy`` and ``cece kl`` as tasks of the shared engine (row-wise H(P), KL(P‖Q)).

Each row is a distribution (or logits, softmax-ed). Values are in the chosen base; the per-row
"loss" of the engine is H(P) or KL(P‖Q), so reductions, tables, JSON, gates and merges are the
same as for the losses. KL rows also carry H(P) and the cross-entropy H(P, Q) = H(P) + KL.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from cece import _native as kernels
from cece import checks
from cece.checks import KindDetector, RowSums
from cece.engine.reduce import Summary
from cece.engine.task import (
    Records,
    Task,
    layout_json,
    rescale_column,
    sample_factors,
    sample_rescale,
    sample_weights,
    state_layout,
    weight_column,
    weight_sources,
)
from cece.errors import InputError, OptionError
from cece.io import blocks, inputs, pairing
from cece.io.colspecs import position_spec
from cece.io.layout import int_token
from cece.losses import divergence, temperature
from cece.losses.terms import Terms, default_eps, weigh


def _rows_warning(task: Task, name: str, sums: RowSums, kind: str) -> None:
    if sums.count:
        row, total = sums.first  # type: ignore[misc]
        message = (
            f"{name}: {sums.count} row(s) do not sum to 1 (row {row} sums to "
            f"{total:.9g}{' in probability' if kind == 'log-probs' else ''})"
        )
        if task.opts.renormalize:  # asked for (counts, as scipy.stats.entropy takes them)
            task.diag.note(f"{message}; renormalized (--renormalize)")
            return
        task.diag.warn(
            f"{message}; used as given",
            hint="--renormalize divides each row by its sum first (as scipy.stats.entropy does)",
        )


class Entropy(Task):
    """``cece entropy P``: H(P) of each row."""

    command = "entropy"
    noun = "P"
    accuracy = False
    neg_inf_logits = True  # a masked class (−inf logit or log-probability): probability 0

    def open(self, preds_arg: str, labels_arg: str | None) -> None:
        temperature.check_temperature(self.opts.temperature)
        self.open_p(preds_arg)
        self.settle()

    def soften(
        self, x: np.ndarray, kind: str, start: int, name: str, buffer: str = "p"
    ) -> np.ndarray:
        """--temperature T: softmax(x / T) (logits only), as distillation code writes it."""
        if self.opts.temperature is None:
            return x
        temperature.temperature_kind(kind, name)
        return temperature.soften(x, self.opts.temperature, start, name, buffer)

    def settle(self) -> None:
        """Headers settled across the inputs (and stated); the class names they give."""
        state_layout(self)
        o = self.opts
        self.rescale = None if o.rescale is None else sample_factors(self, o.rescale)
        inputs.refresh_classes(self.preds, None)
        self.classes = self.preds.classes

    def open_p(self, preds_arg: str) -> None:
        o = self.opts
        self.preds = inputs.open_predictions(
            preds_arg,
            class_axis=o.class_axis,
            pred_cols=o.pred_cols,
            stdin_format=o.stdin_format,
            header=o.header,
            dtype=o.dtype,
            kind=o.kind,
            weight_col=weight_column(o),
            rescale_col=rescale_column(o),
        )
        self.n_columns, self.classes = self.preds.n_classes, self.preds.classes
        self.elements = self.n_columns if o.elementwise else 1
        self.sources = [self.preds.source, *weight_sources(o, self.preds)]
        self.sums = RowSums(tol=math.sqrt(default_eps(self.preds.dtype)))

    def verify(self, kind: str, p: np.ndarray, start: int) -> None:
        checks.check_explicit_kind(
            kind, p, start, self.preds.name, self.sums, renormalize=self.opts.renormalize
        )

    def terms(self, start: int, p: np.ndarray, block: dict, kind: str) -> Terms:
        p = self.soften(p, kind, start, self.preds.name)
        if self.opts.elementwise:
            h = divergence.entropy_terms(p, kind, renormalize=self.opts.renormalize)
            return self.weighted(h.reshape(-1), block, start, elements=h.shape[1])
        h = divergence.row_entropy(p, kind, renormalize=self.opts.renormalize)
        return self.weighted(h, block, start)

    def weighted(self, v: np.ndarray, block: dict, start: int, elements: int = 1, **more) -> Terms:
        """Terms of per-row (or, with ``elements``, per-element) values; with
        ``--sample-weight`` the mean is Σ sᵢvᵢ / Σ sᵢ (each element weighs its row's s)."""
        n = len(v)
        s = sample_weights(self, block, start)
        if s is not None and elements > 1:
            s = np.repeat(s, elements)
        if (r := sample_rescale(self, block, start, n // elements)) is not None:
            v = weigh(np.repeat(r, elements) if elements > 1 else r, v)
        return Terms(
            loss=v,
            numerator=v if s is None else weigh(s, v),
            weight=kernels.ones(n) if s is None else s,
            valid=kernels.ones(n, bool),
            correct=np.zeros(n, bool),
            sample_weight=s,
            **more,
        )

    def records(self, rec: Records, t: Terms, rows, scale: float) -> None:
        if self.opts.elementwise:
            rec["row"], rec["column"] = divmod(rec["index"], self.n_columns)
        if t.sample_weight is not None:
            rec["weight"] = t.sample_weight[rows]

    def fields(self) -> list[str]:
        out = ["index", "row", "column", "loss"] if self.opts.elementwise else ["index", "loss"]
        return out + (["weight"] if self.opts.sample_weight is not None else [])

    def class_counts(self, t: Terms, loss: np.ndarray, scale: float) -> None:
        return None

    def finish(self, kind: str, detector: KindDetector | None, summary: Summary) -> None:
        if self.rescale is not None:
            self.rescale.finish()
        if kind in ("probs", "log-probs"):
            _rows_warning(self, self.preds.name, self.sums, kind)

    def describe(self, kind: str, detected: bool, rows: int) -> dict:
        p = self.preds
        return {
            "p": p.name,
            "kind": kind,
            "kind_detected": detected,
            "rows": rows,
            "shape": list(p.shape) if p.shape is not None else [rows, p.n_classes],
            "classes": self.classes,
            **layout_json(self),
        }

    def options_dict(self, kind: str) -> dict:
        keys = (
            "from",
            "reduction",
            "base",
            "renormalize",
            "sample_weight",
            "rescale",
            "elementwise",
            "temperature",
        )
        if self.command != "kl":
            return self.opts.to_json(keys)
        return self.opts.to_json((*keys, "q_from"), q_from=self.opts.q_kind or self.opts.kind)


class KL(Entropy):
    """``cece kl P Q``: KL(P‖Q) of each pair of rows, with H(P) and H(P, Q)."""

    command = "kl"
    perplexity = False

    def open(self, preds_arg: str, labels_arg: str | None) -> None:
        temperature.check_temperature(self.opts.temperature)
        self.open_p(preds_arg)
        assert labels_arg is not None  # Q, a required argument of cece kl
        o = self.opts
        q = inputs.open_predictions(
            labels_arg,
            class_axis=o.class_axis,
            pred_cols=o.pred_cols,
            stdin_format=o.stdin_format,
            header=o.header,
            dtype=o.q_dtype or "auto",  # --dtype is P's (README: "bfloat16")
            kind=o.q_kind or o.kind,
            dtype_option="--q-dtype",
        )
        if q.n_classes != self.n_columns or (
            q.sample_shape is not None
            and self.preds.sample_shape is not None
            and q.sample_shape != self.preds.sample_shape
        ):
            raise InputError(
                q.name,
                f"shape {q.shape or f'(N, {q.n_classes})'} does not match "
                f"P's {self.preds.shape or f'(N, {self.n_columns})'} "
                f"({self.preds.name})",
                hint="P and Q need the same rows and columns",
            )
        p = self.preds
        pairing.check(p, q.source)  # both tables name their rows: the names agree
        q.source.parts = {"q" if k == "preds" else k: v for k, v in q.source.parts.items()}
        self.q = q
        self.preds.notes.extend(q.notes)  # Q's bfloat16 (--q-dtype), stated with P's
        self.sources.append(q.source)
        self.settle()
        inputs.refresh_classes(q, None, "q")  # Q's first row settled as a header or data
        self._same_columns(self.preds.classes, q.classes, q)
        self.q_sums = RowSums(tol=math.sqrt(default_eps(q.dtype)))
        self.q_note: str | None = None
        self.lock = threading.Lock()
        self.infinite: list = [0, None]  # rows with KL = inf, and the first of them
        q_kind = o.q_kind or o.kind
        self.q_kind = q_kind if q_kind != "auto" else self._detect_q()

    def _same_columns(
        self, mine: list[str] | None, theirs: list[str] | None, q: inputs.Predictions
    ) -> None:
        """P's and Q's columns are compared by position: headers naming them differently are
        refused, unless --pred-cols chose the columns (names from both, or positions) or one
        header is pandas' default 0..C-1, which names nothing (then stated). A header of
        0..C-1 reordered (``df[[2, 0, 1]]``) names its columns: beside a file without names it
        is refused too."""
        if self.opts.pred_cols or (mine and theirs and list(mine) == list(theirs)):
            return
        if not mine or not theirs:
            named, other = (q, self.preds) if theirs else (self.preds, q)
            header = list(theirs or mine or [])
            default = [str(i) for i in range(len(header))]
            if header != default and sorted(header) == sorted(default):
                raise InputError(
                    named.name,
                    f"names its columns {','.join(header)} (pandas' default names, reordered); "
                    f"{other.name} has no names to pair them with",
                    hint=f"--pred-cols 0:{len(header)} pairs them as they stand",
                )
            return
        default = [str(i) for i in range(len(mine))]
        reordered = sorted(mine) == sorted(theirs)  # df[[2, 0, 1]]: 0..C-1 names its columns
        if default in (list(mine), list(theirs)) and not reordered:
            self.preds.notes.append(
                f"{q.name}: columns paired with P's ({self.preds.name}) by position; one "
                "header is pandas' default 0..C-1"
            )
            return
        names = ",".join(f"name:{c}" if int_token(c) else c for c in mine)
        hint = f"--pred-cols {names} takes the named columns from both, in that order"
        at = self.preds.source.parts.get("preds"), q.source.parts.get("preds")
        if at[0] == at[1]:  # the same positions in both files: offered as they stand
            spec = position_spec(at[0]) if at[0] else f"0:{len(mine)}"
            hint += f"; --pred-cols {spec} pairs them as they stand"
        raise InputError(
            q.name,
            f"names its columns {','.join(theirs)}, P ({self.preds.name}) {','.join(mine)}: "
            "rows are compared column by column",
            hint=hint,
        )

    def _check_q(self, q: np.ndarray, start: int, kind: str | None) -> None:
        """Q's values as P's are checked (``check_values``): finite, or −inf where a logit or
        a log-probability may be (a class of probability 0)."""
        if kind == "probs":
            checks.check_finite(q, start, self.q.name)
        elif checks.logit_values(q, start, self.q.name, softmax=True) and kind is None:
            checks.neg_inf_evidence(q, start, self.q.name)

    def _detect_q(self) -> str:
        rows = blocks.rows_per_block(self.n_columns, self.q.dtype.itemsize)
        first = next(blocks.source_blocks(self.q.source, rows))["q"]
        self._check_q(first, 0, None)
        detector = KindDetector(renormalize=self.opts.renormalize)
        detector.update(first, 0)
        self.q_note = (
            f"{self.q.name}: treating Q as {detector.kind} ({detector.reason()}); "
            "--from sets the kind"
        )
        return detector.kind

    def terms(self, start: int, p: np.ndarray, block: dict, kind: str) -> Terms:
        q = block["q"]
        self._check_q(q, start, self.q_kind)
        checks.check_explicit_kind(
            self.q_kind, q, start, self.q.name, self.q_sums, renormalize=self.opts.renormalize
        )
        p, q = (
            self.soften(p, kind, start, self.preds.name),
            self.soften(q, self.q_kind, start, self.q.name, "q"),
        )
        if self.opts.elementwise:  # PyTorch's kl_div(log q, p, reduction="none")
            e = divergence.element_kl(p, q, kind, self.q_kind, renormalize=self.opts.renormalize)
            self.count_infinite(np.isinf(e).any(axis=1), start)
            return self.weighted(e.reshape(-1), block, start, elements=e.shape[1])
        kl = divergence.row_kl(p, q, kind, self.q_kind, renormalize=self.opts.renormalize)
        h = divergence.row_entropy(p, kind, renormalize=self.opts.renormalize)
        self.count_infinite(np.isinf(kl), start)
        return self.weighted(kl, block, start, entropy=h, kl=kl)

    def count_infinite(self, rows: np.ndarray, start: int) -> None:
        """Rows whose KL is infinite, for the warning."""
        infinite = np.flatnonzero(rows)
        if len(infinite):
            with self.lock:
                first = start + int(infinite[0])
                self.infinite[0] += len(infinite)
                self.infinite[1] = min(
                    first, self.infinite[1] if self.infinite[1] is not None else first
                )

    def records(self, rec: Records, t: Terms, rows, scale: float) -> None:
        super().records(rec, t, rows, scale)
        if t.entropy is not None and t.kl is not None:  # per row, not --elementwise
            rec["entropy"] = t.entropy[rows] / scale
            rec["cross_entropy"] = (t.entropy[rows] + t.kl[rows]) / scale

    def fields(self) -> list[str]:
        if self.opts.elementwise:
            return super().fields()
        return ["index", "loss", "entropy", "cross_entropy"] + super().fields()[2:]

    def finish(self, kind: str, detector: KindDetector | None, summary: Summary) -> None:
        super().finish(kind, detector, summary)
        if self.q_note:
            self.diag.note(self.q_note)  # after P's
        if self.q_kind in ("probs", "log-probs"):
            _rows_warning(self, self.q.name, self.q_sums, self.q_kind)
        count, first = self.infinite
        if count:
            self.diag.warn(
                f"KL is infinite in {count} row(s) (first: row {first}), where Q "
                f"({self.q.name}) gives probability 0 to a class P does not"
            )

    def describe(self, kind: str, detected: bool, rows: int) -> dict:
        out = super().describe(kind, detected, rows)
        out.update(
            {
                "q": self.q.name,
                "q_kind": self.q_kind,
                "q_kind_detected": (self.opts.q_kind or self.opts.kind) == "auto",
                **{f"q_{k}": v for k, v in self.q.facts.items()},
            }
        )
        return out


def check_kind(kind: str | None, option: str = "--from") -> None:
    if kind is not None and kind not in ("auto", "probs", "logits", "log-probs"):
        raise OptionError(f"{option} must be auto, probs, logits or log-probs; got {kind!r}")
