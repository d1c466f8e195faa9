"""The hooks a command fills in for the engine: :class:`Task`, and what the loss tasks share.

A task says which inputs it opens, how it checks and computes a block, which per-sample fields
it reports and which warnings need the whole input; :mod:`cece.engine.pipeline` runs the block
loop they all share.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cece import _native as kernels
from cece import checks
from cece.checks import Diagnostics, KindDetector
from cece.engine.reduce import Summary
from cece.errors import InputError, OptionError
from cece.io import blocks, evidence, factors, inputs, weights
from cece.io.layout import Inference
from cece.losses.broadcast import Rows, element_factors, fitting_shape
from cece.losses.terms import Terms, default_eps
from cece.options import Keep, LossOptions

Records = dict[str, np.ndarray]
ClassCounts = np.ndarray | tuple[np.ndarray, np.ndarray]  # dense, or (classes, sums)


class Task:
    """One loss command: its inputs, checks and loss. Subclasses fill in the hooks."""

    command = ""
    squash = "softmax"  # what turns logits into probabilities, for messages
    noun = "predictions"  # what PREDS is called in messages
    neg_inf_logits = False  # −inf logits are classes of probability 0 (categorical, binary)
    accuracy = True  # the arg-max can be right or wrong (not for entropy and KL)
    perplexity = True  # base^mean means something (not for KL)
    elements = 1  # per-sample records per input row (--elementwise: K)
    sequence_labels: Any = None  # categorical --shift/--mask: errors placed in the (B, T) file
    reduces = True  # the command has --reduction (compare has not): hints may name it

    def __init__(self, opts: LossOptions, diag: Diagnostics, keep: Keep | None = None) -> None:
        self.opts, self.diag = opts, diag
        self.keep = keep if keep is not None else Keep()
        self.preds: inputs.Predictions
        self.sources: list[blocks.Source] = []
        self.n_columns = 0  # classes (categorical) or labels per sample (binary)
        self.classes: list[str] | None = None
        self.soft = False
        self.inferred: list[Inference] = []  # layout decisions: notes and JSON input.inferred

    def open(self, preds_arg: str, labels_arg: str | None) -> None:
        raise NotImplementedError

    def locate(self, error: InputError) -> InputError:
        """An error at a sample row, placed where the user finds it: a text file's line, or
        the row and column of a --shift/--mask labels array (the sample is a position)."""
        placed = self.sequence_labels.place(error) if self.sequence_labels else error
        return blocks.editor_line(placed, self.sources)

    def detector(self) -> KindDetector:
        return KindDetector(renormalize=self.opts.renormalize)

    def pick_labels(self, block: dict, kind: str) -> np.ndarray | None:
        """The block's labels, where the look at it can take the loss's picks in its own pass
        (categorical class indices read as they are, the kind in use probabilities or
        log-probabilities); None by default."""
        return None

    def verify(self, kind: str, p: np.ndarray, start: int) -> None:
        """Checks of the values under an explicit (or decided) kind."""

    def check_values(self, kind: str | None, p: np.ndarray, start: int) -> None:
        """Finite predictions; where the task takes them (``neg_inf_logits``), −inf logits and
        log-probabilities too: classes of probability 0 (``kind`` None: not decided yet)."""
        if self.neg_inf_logits and kind != "probs":
            softmax = self.squash == "softmax"  # a row of −inf only has no softmax (not σ)
            neg_inf = checks.logit_values(p, start, self.preds.name, softmax=softmax)
            if neg_inf and kind is None:
                checks.neg_inf_evidence(p, start, self.preds.name)
        else:
            checks.check_finite(p, start, self.preds.name)

    def fused(self, kind: str) -> bool:
        """Whether blocks go to a fused kernel, which also checks that they are finite."""
        return False

    def record_target(self, target: np.ndarray) -> np.ndarray:
        """The targets as a record writes them (the rows recorded only); as read by default."""
        return target

    def range_in_pass(self, kind: str) -> bool:
        """Whether the block's pass keeps the extrema of the values it reads (``Terms.extent``),
        so that the checks of their range (:meth:`check_values`, :meth:`verify`) and a
        worker's look need no pass of their own; False by default."""
        return False

    def compiled_pass(self, kind: str, p: np.ndarray) -> bool:
        """Whether this block's per-row pass runs compiled (JSON ``environment.kernels``):
        a fused kernel, by default, where the kernels take the block's dtype."""
        return self.fused(kind) and kernels.compiled(p)

    def terms(self, start: int, p: np.ndarray, block: dict, kind: str) -> Terms:
        raise NotImplementedError

    def records(self, rec: Records, t: Terms, rows, scale: float) -> None:
        """Add the task's own per-sample fields of ``rows`` (a slice or indices) to ``rec``."""

    def fields(self) -> list[str]:
        raise NotImplementedError

    def finish(self, kind: str, detector: KindDetector | None, summary: Summary) -> None:
        """Warnings that need the whole input."""

    def sequence_sums(self) -> Any:
        """A fresh per-sequence accumulator for one pass (``--per-sequence``), or None."""
        return None

    def sequence_report(self, sums: Any, summary: Summary) -> tuple[list[dict] | None, dict]:
        """The ``sequences`` rows (or None) and the ``stats`` keys they add."""
        return None, {}

    def undecided(self, detector: KindDetector) -> None:
        """Refuse, before anything is computed or streamed, values whose kind --from auto
        cannot decide and where the readings give different losses (categorical)."""

    def eps(self, kind: str) -> float | None:
        """The probability clip in force (None for logits)."""
        if kind != "probs":
            return None
        return default_eps(self.preds.dtype) if self.opts.eps is None else self.opts.eps

    def describe(self, kind: str, detected: bool, rows: int) -> dict:
        raise NotImplementedError

    def options_dict(self, kind: str) -> dict:
        raise NotImplementedError

    def record_axes(self) -> tuple[list[str], tuple[int, ...]] | None:
        """Names and sizes of the sample axes a record's ``index`` unravels into, for N-D
        inputs (``sequence``, ``position`` for (B, T) labels; ``axis0``… for more axes);
        None for a plain list of samples."""
        shape = getattr(getattr(self, "preds", None), "sample_shape", None)
        if shape is None or len(shape) < 2 or self.elements != 1:
            return None
        names = ["sequence", "position"] if len(shape) == 2 else record_axis_names(len(shape))
        return names, tuple(int(n) for n in shape)

    def per_class_rows(self, counts: np.ndarray) -> list[dict]:
        return class_rows(counts, self.classes)

    def class_counts(self, t: Terms, loss: np.ndarray, scale: float) -> ClassCounts | None:
        """(3, n_columns): count, loss sum and correct count by true class, or None.

        A block much shorter than the vocabulary (16 rows of 256k logits) gives its sums for
        the classes it holds only, as ``(classes, (3, len(classes)))``: no vocabulary-sized
        arrays per block.
        """
        if t.target is None:
            return None
        valid = t.valid
        cls = t.target[valid].astype(np.intp)
        n = self.n_columns
        present = None
        if n > 4 * len(cls):
            present, cls = np.unique(cls, return_inverse=True)
            n = len(present)
        sums = np.stack(
            [
                np.bincount(cls, minlength=n),
                np.bincount(cls, weights=loss[valid], minlength=n),
                np.bincount(cls, weights=t.correct[valid], minlength=n),
            ]
        )
        return sums if present is None else (present, sums)


def record_axis_names(ndim: int) -> list[str]:
    """Record fields for the positions along ``ndim`` (> 2) sample axes."""
    return [f"axis{i}" for i in range(ndim)]


# -- what the loss tasks share ---------------------------------------------------------------------


def check_common(opts: LossOptions) -> None:
    checks.check_range(opts.eps, 0.0, 0.5, "--eps", high_open=True)
    checks.check_range(opts.label_smoothing, 0.0, 1.0, "--label-smoothing")
    checks.check_range(opts.focal_gamma, 0.0, math.inf, "--focal-gamma", high_open=True)
    checks.check_range(opts.focal_alpha, 0.0, math.inf, "--focal-alpha", high_open=True)
    if opts.base not in ("e", "2", "10"):
        raise OptionError(f"--base must be e, 2 or 10; got {opts.base!r}")


def weight_sources(opts: LossOptions, preds: inputs.Predictions) -> list[blocks.Source]:
    if opts.sample_weight is None or "weights" in preds.source.parts:
        return []
    source = weights.open_sample_weights(opts.sample_weight, preds, stdin_format=opts.stdin_format)
    assert source is not None  # None only for a PREDS column, ruled out above
    return [source]


def weight_column(opts: LossOptions) -> str | None:
    spec = opts.sample_weight
    return spec if spec is not None and weights.is_column_spec(spec) else None


def sample_weights(task: Task, block: dict, start: int) -> np.ndarray | None:
    sw = block.get("weights")
    if sw is None:
        return None
    name = next(s.name for s in task.sources if "weights" in s.parts)
    if name.startswith("literal"):  # an option's value: no file, no rows to name
        return checks.weights_vector(sw, "sample weights", "--sample-weight")
    return checks.sample_weights(sw, start, name)


def rescale_column(opts: LossOptions) -> str | None:
    """``--rescale COL``: the PREDS column it names, or None (a file or numbers)."""
    spec = opts.rescale
    return spec if spec is not None and factors.is_column(spec) else None


def sample_rescale(task: Task, block: dict, start: int, n: int) -> np.ndarray | None:
    """``--rescale`` of a per-sample loss for this block (Keras' sample_weight: the mean still
    divides by N): one factor per sample, from the option's values or a PREDS column; or None."""
    rows = getattr(task, "rescale", None)
    if rows is not None:
        return rows.block(start, n)[:, 0]
    return column_factors(task, block, start)[:, 0] if "rescale" in block else None


def column_factors(task: Task, block: dict, start: int) -> np.ndarray:
    """``--rescale COL``'s block: one finite factor per row, as an (n, 1) array."""
    r = np.asarray(block["rescale"], dtype=np.float64).reshape(-1)
    checks.check_finite(r, start, task.preds.name, "--rescale factor")
    return r.reshape(-1, 1)


def sample_factors(task: Task, spec: str) -> Rows | None:
    """``--rescale`` of a per-sample loss: one value, one per sample ((N,), (N, 1), or the
    predictions' sample shape, e.g. (B, T) for (B, T, V) logits), sliced per block."""
    preds = task.preds
    if "rescale" in preds.source.parts:
        return None  # a column of PREDS (column_factors)
    arr = read_factors(task, spec, "--rescale", factor_fits(task, 1, "--rescale"))
    samples = preds.sample_shape
    if samples is not None and len(samples) > 1 and arr.shape == samples:
        arr = arr.reshape(-1)
    return Rows(element_factors(arr, 1, preds.source.rows, "--rescale"), "--rescale")


def read_factors(task: Task, spec: str, option: str, fits: factors.Fits) -> np.ndarray:
    """A FILE|LIST option's factors (``--rescale``, ``--pos-weight``, ``--weight``), a table
    read with the labels' layout rules (a pandas index column skipped, a first row ``0``
    settled by the shapes that ``fits``), its layout stated as the inputs' is."""
    arr, found = factors.read(
        spec,
        option,
        fits,
        header=task.opts.header,
        stdin_format=task.opts.stdin_format,
        classes=task.preds.classes,  # columns named as the classes are taken by name
    )
    known = {(i.file, i.what, i.detail) for i in task.inferred}
    for inference in found:
        if (inference.file, inference.what, inference.detail) not in known:
            task.inferred.append(inference)
            task.diag.note(inference.note())
    return arr


def factor_fits(task: Task, columns: int, option: str) -> factors.Fits:
    """Whether factors of a shape meet the (N, ``columns``) elements (the rows counted only
    when a file's first row must be settled)."""

    def fits(values: np.ndarray) -> str | None:
        rows = task.preds.source.rows
        rows = evidence.source_rows(task.preds.source) if rows is None else rows
        return fitting_shape(values.shape, columns, rows, option)

    return fits


def class_weights(task: Task) -> np.ndarray | None:
    """``--weight``: one finite weight per class (negative ones too, as PyTorch allows), as
    typed or from a file (read with the labels' layout rules); None when not given."""
    opts, c = task.opts, task.n_columns
    if opts.weight is None and opts.weight_file is None:
        return None

    def fits(values: np.ndarray) -> str | None:
        one = values.size == c and (values.ndim <= 1 or 1 in values.shape)
        return f"one per class ({c})" if one else None

    values = (
        np.asarray(opts.weight, dtype=np.float64)
        if opts.weight_file is None
        else read_factors(task, opts.weight_file, "--weight", fits).ravel()
    )
    w = checks.class_weights(values, "--weight")
    if len(w) != c:
        where = f"--weight {opts.weight_file}:" if opts.weight_file else "--weight has"
        raise OptionError(f"{where} {len(w)} values; expected one per class ({c})")
    return w


def weights_warning(task: Task, summary: Summary) -> None:
    """The mean's denominator 0 (weights all 0, or negative ones that cancel) or overflowed:
    a warning (JSON ``warnings``; an error under --strict), for every loss command."""
    found = checks.denominator_warning(summary.count, summary.weight_sum, summary.mean)
    if found is not None and task.opts.reduction == "mean":
        hint = found[1] if task.reduces or "--reduction" not in found[1] else None
        task.diag.warn(found[0], hint=hint)


def clip_warning(task: Task, summary: Summary, eps: float | None) -> None:
    """Only clips that move the loss beyond rounding are counted (``losses.terms.clip_moves``):
    a tree model's exact 1.0 on the true class is no reason to warn, a 0.0 on it is."""
    if summary.clipped_low or summary.clipped_high:
        parts = [f"{summary.clipped_low} below eps"] if summary.clipped_low else []
        parts += [f"{summary.clipped_high} above 1 − eps"] if summary.clipped_high else []
        task.diag.warn(
            f"{task.preds.name}: clipping probabilities into [eps, 1 − eps] "
            f"(eps = {eps:.3g}) changed the loss: {' and '.join(parts)}",
            hint="--eps sets the clip; --eps 0 turns it off",
        )


def state_layout(task: Task, *extra: Inference) -> None:
    """What was inferred about the inputs' layout (headers, skipped columns, what labels
    mean), settled across the inputs first: a note each, and JSON ``input.inferred``."""
    evidence.settle_headers(task.sources)
    seen: set[int] = set()
    for src in task.sources:
        if id(src.data) not in seen:
            seen.add(id(src.data))
            task.inferred.extend(getattr(src.data, "inferred", []))
    task.inferred.extend(extra)
    unique = {(i.file, i.what, i.detail): i for i in task.inferred}  # one file given twice
    task.inferred = list(unique.values())
    for inference in task.inferred:
        task.diag.note(inference.note())


def layout_json(task: Task) -> dict:
    """``{"inferred": [...]}`` when anything was inferred, else nothing (keys that do not apply
    are omitted)."""
    return {"inferred": [i.to_dict() for i in task.inferred]} if task.inferred else {}


def ignored_as_given(rec: Records, ignored: np.ndarray, ignore_index: int) -> None:
    """Categorical records: ignored samples carry the label as given (-100) and no probability (null in JSON,
    an empty CSV cell), not class 0's."""
    rec["target"] = np.where(ignored, ignore_index, rec["target"])
    rec["p_target"] = np.where(ignored, np.nan, rec["p_target"])
    if "target_class" in rec:
        rec["target_class"] = np.where(ignored, np.array(None), rec["target_class"])


def ignored_as_class(
    rec: Records, ignored: np.ndarray, column: int, names: np.ndarray | None
) -> None:
    """Ignored samples whose label as written names a class (``--ignore-index 1`` with classes
    ``1,2,3``): the record carries that class's column and name, as every other record does."""
    rec["target"] = np.where(ignored, column, rec["target"])
    if names is not None and "target_class" in rec:
        rec["target_class"] = np.where(ignored, names[column], rec["target_class"])


def class_rows(counts: np.ndarray, names: list[str] | None) -> list[dict]:
    """One row per class that occurs as a (counted) target, in class order, from the (3,
    classes) sums of count, loss and correct: a 256k vocabulary of which a few thousand
    tokens occur lists those few thousand."""
    count, total, correct = counts
    present = np.flatnonzero(count)
    n = count[present]
    keys = [names[c] for c in present.tolist()] if names else list(map(str, present.tolist()))
    return [
        {"class": key, "count": int(k), "mean": m, "accuracy": a}
        for key, k, m, a in zip(
            keys, n.tolist(), (total[present] / n).tolist(), (correct[present] / n).tolist()
        )
    ]
