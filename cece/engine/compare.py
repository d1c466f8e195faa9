"""``cece compare``: one loss on two prediction files over the same labels, paired per sample.

Two tasks of the same command (categorical or binary, the same options but for each file's
``--from``) open BASELINE and CANDIDATE with the same labels; their sources are read together
in aligned row blocks (:func:`cece.io.blocks.aligned_blocks`), each block goes through both
tasks' :class:`~cece.engine.pipeline.Pass` (checks, per-sample terms, the usual summary), and
the per-sample terms meet here: Δᵢ = ℓᵢ(candidate) − ℓᵢ(baseline), positive when the candidate
is worse. Memory stays bounded by the block size; only ``--bootstrap`` keeps Δ per sample
(8 bytes a counted sample; 16 with weights, whose shares are resampled with it).

The mean difference of two weighted means over the same denominators is
Δ = Σ(aᵢᶜ − aᵢᵇ) / Σbᵢ (aᵢ a sample's weighted loss, bᵢ its share of the denominator), a ratio
mean whose standard error is the ratio estimator's (:mod:`cece.engine.uncertainty`); unweighted
it is the mean of Δᵢ with s/√n, and the p-value that of ``scipy.stats.ttest_rel``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import field, fields

import numpy as np

from cece import _native as kernels
from cece.engine import detection, pipeline
from cece.engine.pipeline import Pass
from cece.engine.result import Result
from cece.engine.task import Records, Task
from cece.engine.uncertainty import RatioMoments, check_confidence, interval, t_test_p_value
from cece.errors import CeceError, InputError, OptionError
from cece.io import blocks, pairing
from cece.losses.terms import Terms
from cece.parallel import settle, shared_pool
from cece.structs import struct

SIDES = ("baseline", "candidate")
BOOTSTRAP_CHUNK = 1 << 22  # resampled indices drawn at a time (32 MB)


@struct
class Paired:
    """The paired aggregates: Δ's ratio moments and the per-sample counts (mergeable)."""

    moments: RatioMoments = field(default_factory=RatioMoments)
    sides: tuple[RatioMoments, RatioMoments] = field(
        default_factory=lambda: (RatioMoments(), RatioMoments())
    )  # each model's mean, over the same samples
    better: int = 0  # Δᵢ < 0: the candidate's loss is lower
    worse: int = 0
    tied: int = 0
    only_baseline_right: int = 0
    only_candidate_right: int = 0

    def merge(self, other: Paired) -> None:
        self.moments.merge(other.moments)
        for mine, theirs in zip(self.sides, other.sides):
            mine.merge(theirs)
        for f in fields(self)[2:]:
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@struct
class Comparison:
    """What ``cece compare`` computed: both runs, the paired aggregates, the bootstrap."""

    baseline: Result
    candidate: Result
    paired: Paired
    confidence: float
    bootstrap: dict | None = None  # resamples, seed, interval

    @property
    def delta(self) -> dict:
        """JSON ``delta``: Δ, its standard error, interval and p-value, and the counts."""
        m, n = self.paired.moments, self.paired.moments.n
        low, high = interval(m.mean, m.stderr, n, self.confidence)
        out: dict = {
            "mean": m.mean,
            "stderr": m.stderr,
            "ci": [low, high],
            "confidence": self.confidence,
            "p_value": t_test_p_value(m.mean, m.stderr, n),
            "count": n,
            **{f.name: getattr(self.paired, f.name) for f in fields(self.paired)[2:]},
        }
        if self.bootstrap is not None:
            out["bootstrap_ci"] = self.bootstrap["interval"]
            out["bootstrap"] = {k: v for k, v in self.bootstrap.items() if k != "interval"}
        return out


def mismatch(what: str, hint: str | None = None) -> CeceError:
    return CeceError(f"the files do not pair: {what}", hint=hint)


def check_pairable(base: Task, cand: Task) -> None:
    """Same class count and, where both files name them, the same classes in the same order."""
    b, c = base.preds.name, cand.preds.name
    if base.n_columns != cand.n_columns:
        what = "classes" if base.command == "categorical" else "columns"
        raise mismatch(
            f"{b} has {base.n_columns} {what}, {c} has {cand.n_columns}",
            hint="both models must score the same classes, in the same order",
        )
    if base.classes and cand.classes and list(base.classes) != list(cand.classes):
        raise mismatch(
            f"{b} names its classes {','.join(base.classes)}, {c} {','.join(cand.classes)}",
            hint="both models must score the same classes, in the same order",
        )
    pairing.check(base.preds, cand.preds.source)  # both name their rows: the same, in order


def _grab(t: Terms, scale: float) -> dict:
    """What pairing needs of one side's terms (copies: the kernels reuse their buffers)."""
    n = len(t.loss)
    return {
        "loss": np.array(t.loss, np.float64) / scale,
        "numerator": np.array(t.numerator, np.float64) / scale,
        "weight": None if t.weight is kernels.ones(n) else np.array(t.weight, np.float64),
        "valid": np.array(t.valid, bool),
        "right": np.asarray(t.correct) >= 1 if t.correct.dtype != bool else t.correct.copy(),
        "target": None if t.target is None else np.array(t.target),
    }


def _first_difference(x: np.ndarray | None, y: np.ndarray | None) -> int | None:
    """The first position where two per-sample arrays differ (None: they agree)."""
    if x is None or y is None:
        return None if x is None and y is None else 0
    if x.shape != y.shape:
        return 0
    same = (x == y) | ((x != x) & (y != y)) if x.dtype.kind == "f" else x == y
    bad = np.flatnonzero(~np.asarray(same).reshape(len(x), -1).all(axis=1))
    return int(bad[0]) if len(bad) else None


def pair(start: int, b: dict, c: dict, names: tuple[str, str]) -> tuple[Paired, dict]:
    """One block's paired aggregates and its per-sample Δ (of the samples that count)."""
    if (b["weight"] is None) != (c["weight"] is None):  # one kernel's ones, the other's array
        ones = np.ones(len(b["loss"]))
        b = {**b, "weight": ones if b["weight"] is None else b["weight"]}
        c = {**c, "weight": ones if c["weight"] is None else c["weight"]}
    for key, what in (("valid", "ignored"), ("target", "label"), ("weight", "weight")):
        row = _first_difference(b[key], c[key])
        if row is not None:
            raise mismatch(
                f"sample {start + row} has a different {what} under {names[0]} and {names[1]}",
                hint="compare scores both files against the same labels and weights",
            )
    valid = b["valid"]
    every = bool(valid.all())
    delta = c["loss"] - b["loss"]
    d = c["numerator"] - b["numerator"]
    w = b["weight"]
    if not every:
        d, w = d[valid], None if w is None else w[valid]
    counted = delta if every else delta[valid]
    rb, rc = (b["right"], c["right"]) if every else (b["right"][valid], c["right"][valid])
    a = [side["numerator"] if every else side["numerator"][valid] for side in (b, c)]
    if w is not None and not (weighed := (w != 0) | (a[0] != 0) | (a[1] != 0)).all():
        # a sample of weight 0 is no sample, unless either run gives it a loss (a class
        # weight of 0 under --label-smoothing): one rule for Δ and both runs, so their n agree
        d, w, a = d[weighed], w[weighed], [side[weighed] for side in a]
    out = Paired(
        RatioMoments.of(d, w, chosen=True),
        (RatioMoments.of(a[0], w, chosen=True), RatioMoments.of(a[1], w, chosen=True)),
        better=int(np.count_nonzero(counted < 0)),
        worse=int(np.count_nonzero(counted > 0)),
        tied=int(np.count_nonzero(counted == 0)),
        only_baseline_right=int(np.count_nonzero(rb & ~rc)),
        only_candidate_right=int(np.count_nonzero(rc & ~rb)),
    )
    return out, {"delta": delta, "d": d, "w": w, "valid": valid}


def bootstrap_interval(
    d: np.ndarray, w: np.ndarray | None, resamples: int, seed: int, confidence: float
) -> tuple[float, float]:
    """The paired percentile bootstrap of Δ = Σdᵢ / Σwᵢ (Σ over the resample; w None: a plain
    mean). Resample r takes n samples with replacement, the r-th row of
    ``numpy.random.default_rng(seed).integers(0, n, size=(resamples, n))`` (drawn in chunks of
    rows, the same stream); the interval is ``numpy.percentile`` (linear) of the resampled Δ
    at 100·(1 ∓ confidence)/2. ``d`` and ``w`` hold the samples that count (:func:`pair`
    leaves out those of weight 0 and no loss: resampled, they made resamples of Σwᵢ = 0 and
    the interval nan)."""
    n = len(d)
    if n == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    stats = np.empty(resamples)
    per = max(1, BOOTSTRAP_CHUNK // n)
    for r in range(0, resamples, per):
        idx = rng.integers(0, n, size=(min(per, resamples - r), n))
        top = d[idx].sum(axis=1)
        stats[r : r + len(idx)] = top / (n if w is None else w[idx].sum(axis=1))
    with np.errstate(invalid="ignore"):
        low, high = np.percentile(stats, [50 * (1 - confidence), 50 * (1 + confidence)])
    return float(low), float(high)


def check_bootstrap(resamples: int | None, seed: int | None) -> None:
    if resamples is not None and resamples < 1:
        raise OptionError(f"--bootstrap must be ≥ 1 resample; got {resamples}")
    if seed is not None and resamples is None:
        raise OptionError("--seed goes with --bootstrap N")
    if seed is not None and seed < 0:
        raise OptionError(f"--seed must be ≥ 0; got {seed}")


def compare(
    tasks: tuple[Task, Task],
    args: tuple[str, str],
    labels_arg: str | None,
    *,
    confidence: float = 0.95,
    resamples: int | None = None,
    seed: int | None = None,
    on_pairs: Callable[[Records], None] | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Comparison:
    """Open both files with the same labels, then one paired pass (two if auto-detection of
    either file revises its verdict before anything was streamed)."""
    check_confidence(confidence)
    check_bootstrap(resamples, seed)
    for task, arg in zip(tasks, args):
        task.open(arg, labels_arg)
    check_pairable(*tasks)
    for task in tasks:
        for note in [*task.preds.notes, *pipeline.layout_notes(task)]:
            task.diag.note(note)
    detectors = [t.detector() if t.opts.kind == "auto" else None for t in tasks]
    noted: list[str | None] = [None] * len(tasks)  # each task's kind its last pass noted
    for _ in range(3):
        run = _PairedPass(tasks, on_pairs, on_progress, keep_delta=resamples is not None)
        for one, kind in zip(run.passes, noted):
            one.noted = kind  # a kind noted again is not repeated; a changed one, revised
        try:
            run.go(detectors)
            break
        except pipeline.KindChanged:
            noted = [one.kind or kind for one, kind in zip(run.passes, noted)]
            continue
        except InputError as error:
            located = blocks.editor_line(error, [s for t in tasks for s in t.sources])
            if located is error:
                raise
            raise located from None
    results = [p.result(d) for p, d in zip(run.passes, detectors)]
    boot = None
    if resamples is not None:
        d, w = run.kept()
        chosen = 0 if seed is None else seed
        boot = {
            "interval": list(bootstrap_interval(d, w, resamples, chosen, confidence)),
            "resamples": resamples,
            "seed": chosen,
            "unit": "sample",
            "method": "percentile (numpy linear)",
        }
    return Comparison(results[0], results[1], run.paired, confidence, boot)


class _PairedPass:
    """One pass over both files under one prediction kind each."""

    def __init__(self, tasks, on_pairs, on_progress, *, keep_delta: bool) -> None:
        self.tasks = tasks
        self.grabs: dict[tuple[int, int], dict] = {}
        self.passes = [
            Pass(t, None, on_progress if i == 0 else None, self._hook(i))
            for i, t in enumerate(tasks)
        ]
        self.on_pairs = on_pairs
        self.paired = Paired()
        self.keep_delta = keep_delta
        self.d: list[np.ndarray] = []
        self.w: list[np.ndarray] = []
        self.names = (tasks[0].preds.name, tasks[1].preds.name)

    def _hook(self, side: int):
        scale = self.tasks[side].opts.scale

        def grab(start: int, p: np.ndarray, block: dict, t: Terms, kind: str) -> None:
            self.grabs[side, start] = _grab(t, scale)

        return grab

    def go(self, detectors: list) -> None:
        spies = [p.begin(d) for p, d in zip(self.passes, detectors)]
        rows = min(
            blocks.rows_per_block(t.preds.n_classes, t.preds.dtype.itemsize) for t in self.tasks
        )
        workers = pipeline.threads()
        pool = shared_pool(workers) if workers > 1 else None
        pending: deque = deque()
        try:
            for start, parts in paired_blocks(self.tasks, rows):
                for p, d, spy, part in zip(self.passes, detectors, spies, parts):
                    detection.detect(p, d, spy, part["preds"], start)
                kinds = [p.kind for p in self.passes]
                if pool is None:
                    self._fold(start, self._compute(start, parts, kinds))
                    continue
                pending.append((start, pool.submit(self._compute, start, parts, kinds)))
                while len(pending) > workers:
                    first, job = pending.popleft()
                    self._fold(first, job.result())
            while pending:
                first, job = pending.popleft()
                self._fold(first, job.result())
        finally:  # an error: what is queued is not computed, what runs is waited for
            settle(job for _, job in pending)
        for p, spy in zip(self.passes, spies):
            p.end(spy)

    def _compute(self, start: int, parts: list[dict], kinds: list) -> tuple:
        done = [p.compute(start, b["preds"], b, k) for p, b, k in zip(self.passes, parts, kinds)]
        b, c = self.grabs.pop((0, start)), self.grabs.pop((1, start))
        paired, per_sample = pair(start, b, c, self.names)
        if self.on_pairs is not None:
            per_sample["records"] = _records(start, b, c, per_sample["delta"], self.tasks[0])
        return done, paired, per_sample

    def _fold(self, start: int, computed: tuple) -> None:
        done, paired, per_sample = computed
        for p, one in zip(self.passes, done):
            p.fold(start, one)
        self.paired.merge(paired)
        if self.keep_delta:
            self.d.append(per_sample["d"])
            if per_sample["w"] is not None:
                self.w.append(per_sample["w"])
        if self.on_pairs is not None:
            for p in self.passes:
                p.streamed = True  # a revised kind is now an error, not a second pass
            self.on_pairs(per_sample["records"])

    def kept(self) -> tuple[np.ndarray, np.ndarray | None]:
        d = np.concatenate(self.d) if self.d else np.empty(0)
        return d, (np.concatenate(self.w) if self.w else None)


def paired_blocks(tasks: tuple[Task, Task], rows: int):
    """Each task's aligned blocks, cut to the same row ranges: (first row, [block, block])."""
    names = [t.preds.name for t in tasks]
    known = [t.preds.source.rows for t in tasks]
    if None not in known and known[0] != known[1]:
        raise _row_mismatch(names, known)  # type: ignore[arg-type]
    streams = [blocks.aligned_blocks(t.sources, rows) for t in tasks]
    pending: list[dict | None] = [None, None]
    start = 0
    while True:
        for i, stream in enumerate(streams):
            if pending[i] is None or not _rows(pending[i]):
                pending[i] = next(stream, (0, None))[1]
        if pending[0] is None and pending[1] is None:
            return
        if pending[0] is None or pending[1] is None:
            rest = [
                start + _rows(p) + sum(_rows(b) for _, b in s) for p, s in zip(pending, streams)
            ]
            raise _row_mismatch(names, rest)
        n = min(_rows(pending[0]), _rows(pending[1]))
        yield start, [{k: v[:n] for k, v in p.items()} for p in pending]  # type: ignore[union-attr]
        pending = [{k: v[n:] for k, v in p.items()} for p in pending]  # type: ignore[union-attr]
        start += n


def _rows(block: dict | None) -> int:
    return 0 if block is None else len(block["preds"])


def _row_mismatch(names: list[str], counts: list[int]) -> CeceError:
    return mismatch(
        f"row counts differ: {names[0]} has {counts[0]} rows, {names[1]} has {counts[1]}",
        hint="both files need one row per sample, in the order of the labels",
    )


def _records(start: int, b: dict, c: dict, delta: np.ndarray, task: Task) -> Records:
    """Per-sample records: index (N-D: sequence, position), target, both losses, Δ."""
    n = len(delta)
    valid = b["valid"]
    rec: Records = {"index": start * task.elements + np.arange(n)}
    if (axes := task.record_axes()) is not None:
        rec.update(zip(axes[0], np.unravel_index(rec["index"], axes[1])))
    ignore = task.opts.ignore_index
    if b["target"] is not None:  # an ignored sample's label as given (-100), or its class
        rec["target"] = task.record_target(b["target"])
        if ignore is not None:
            named: int = (getattr(task, "label_map", None) or {}).get(ignore, ignore)
            rec["target"] = np.where(valid, b["target"], named)
    rec["baseline"], rec["candidate"], rec["delta"] = b["loss"], c["loss"], delta
    if ignore is not None:
        rec["ignored"] = ~valid
        for key in ("baseline", "candidate", "delta"):
            rec[key] = np.where(valid, rec[key], np.nan)
    return rec
