"""``--per-sequence``, ``--bytes`` and ``--words``: the loss by sequence (document), and the
loss normalised by the text as lm-eval-harness does (:mod:`cece.losses.sequences`).

Each block's rows are cut into runs of one sequence (in the worker that computed the block);
the runs' sums — scored tokens, Σ s·ℓ, Σ weight, Σ ℓ — are folded in block order, a run that
continues across a block boundary joined to its start. What the run keeps is one small
accumulator per sequence, never one per token. A sequence's loss is the weighted mean within
it, ``Σ s·ℓ / Σ weight``: the pooled mean's definition, so that with equal weights the pooled
mean is ``Σ tokens·loss / Σ tokens``.
"""

from __future__ import annotations

import math
from dataclasses import field

import numpy as np

from cece.engine.reduce import Summary
from cece.errors import OptionError
from cece.io import sequences as ids
from cece.io import weights
from cece.io.blocks import Source
from cece.io.inputs import Predictions
from cece.io.layout import Inference
from cece.losses import sequences
from cece.losses.terms import Terms
from cece.options import LossOptions
from cece.structs import struct


@struct
class Setup:
    """Where the sequences are and what the text counts are, settled when the inputs open."""

    by: str  # "axis0": the first axis of N-D labels; "ids": runs of --sequence-ids
    per_sequence: bool
    inner: int = 1  # axis0: rows a sequence (the product of the other label axes)
    name: str = ""  # ids: the file or column, for messages
    spec: str = ""  # ids: --sequence-ids as given (JSON input.sequences.ids)
    count: int | None = None  # sequences, when known before the run
    source: Source | None = None  # ids: a file read beside PREDS
    counts: list[ids.Counts] = field(default_factory=list)  # --bytes, --words
    inferred: list[Inference] = field(default_factory=list)  # the files' layouts, stated

    def sums(self) -> Sums | None:
        """A fresh accumulator for one pass (only --per-sequence needs one)."""
        return Sums(self) if self.per_sequence else None

    def note(self) -> str | None:
        """What --per-sequence takes for a sequence, to state."""
        if not self.per_sequence:
            return None
        if self.by == "ids":
            return (
                f"--per-sequence: a sequence is a run of equal consecutive ids of "
                f"--sequence-ids {self.spec}"
            )
        count = "" if self.count is None else f"{self.count} sequences, "
        return (
            f"--per-sequence: a sequence is a row of the labels' first axis ({count}"
            f"{self.inner} positions each); its tokens are the positions that count"
        )

    def facts(self) -> dict:
        """JSON ``input.sequences`` (and ``input.bytes`` / ``input.words``)."""
        out: dict = {}
        if self.per_sequence:
            out["sequences"] = {
                "by": "first label axis" if self.by == "axis0" else "sequence ids",
                **({"ids": self.spec} if self.by == "ids" else {}),
            }
        for c in self.counts:
            out[c.option[2:]] = c.to_json()
        return out


def setup(
    opts: LossOptions, preds: Predictions, ids_column: bool, labels_form: str
) -> Setup | None:
    """The sequences the options ask for, or None; every refusal before anything is read."""
    per, spec = opts.per_sequence, opts.sequence_ids
    if not per and spec is None and opts.bytes is None and opts.words is None:
        return None
    if spec is not None and not per:
        raise OptionError("--sequence-ids says where sequences start; it goes with --per-sequence")
    if spec is not None and opts.shift:
        raise OptionError(
            "--sequence-ids does not go with --shift: the sequences are the labels' first axis",
            hint="drop --sequence-ids (--per-sequence then reports each row of the labels)",
        )
    _check_normalisable(opts, labels_form)
    samples = tuple(preds.sample_shape or ())
    if spec is not None:
        found = Setup("ids", per, name=f"{preds.name}: column {spec!r}", spec=spec)
        if not ids_column:
            found.source, found.count, found.inferred = ids.open_ids(spec, preds, opts.stdin_format)
            found.name = found.source.name
    elif len(samples) >= 2:
        inner = int(np.prod(samples[1:]))
        found = Setup("axis0", per, inner=inner, count=samples[0])
    else:
        found = Setup("axis0", per, inner=1)  # no sequences: refused below if any is asked for
    for option, spec_ in (("--bytes", opts.bytes), ("--words", opts.words)):
        c = ids.open_counts(spec_, option, opts.stdin_format, found.count)
        found.counts += [c] if c is not None else []
        found.inferred += c.inferred if c is not None else []
    per_counts = any(c.per_sequence is not None for c in found.counts)
    if spec is None and len(samples) < 2 and (per or per_counts):
        raise OptionError(
            f"{'--per-sequence' if per else 'one count per sequence'} needs sequences: "
            f"labels with a sequence axis ((batch, tokens) for (batch, tokens, vocab) "
            f"logits), or --sequence-ids FILE|COL for a flat dump; {preds.name} "
            + (f"has shape {preds.shape}" if preds.shape else "is a table of rows"),
            hint="--sequence-ids FILE|COL: one id per row, each sequence's rows together",
        )
    return found


def ids_column(opts: LossOptions) -> str | None:
    """``--sequence-ids COL``: the PREDS column it names, or None (a file, or not given)."""
    spec = opts.sequence_ids
    return spec if spec is not None and weights.is_column_spec(spec) else None


def _check_normalisable(opts: LossOptions, labels_form: str) -> None:
    """--bytes / --words divide the summed negative log-likelihood by the text's size: a loss
    that weights, rescales, smooths or modulates the tokens is no log-likelihood; refused."""
    if opts.bytes is None and opts.words is None:
        return
    option = "--bytes" if opts.bytes is not None else "--words"
    changed = [
        name
        for name, on in (
            ("--weight", opts.weight is not None),
            ("--sample-weight", opts.sample_weight is not None),
            ("--rescale", opts.rescale is not None),
            ("--label-smoothing", opts.label_smoothing > 0),
            ("--focal-gamma", opts.focal_gamma is not None),
            ("--focal-alpha", opts.focal_alpha is not None),
        )
        if on
    ]
    if labels_form == "dense":
        changed.append("dense (soft or one-hot) targets")
    if changed:
        raise OptionError(
            f"{option} divides the summed log-likelihood of the scored tokens by the text's "
            f"size; with {changed[0]} the loss is not that log-likelihood",
            hint="--mask (0 = not scored) and --ignore-index leave tokens out without "
            "weighting them",
        )


@struct
class _Runs:
    """One block's runs of one sequence: first row, key, tokens, Σ s·ℓ, Σ weight, Σ ℓ."""

    rows: np.ndarray
    keys: np.ndarray
    sums: np.ndarray  # (4, runs)


class Sums:
    """One pass's per-sequence accumulators."""

    def __init__(self, where: Setup) -> None:
        self.where = where
        self._runs: list[_Runs] = []

    def block(self, start: int, t: Terms, block: dict) -> _Runs:
        """A block's runs (in the worker thread; nothing per token is kept)."""
        n, where = len(t.loss), self.where
        if where.by == "axis0":
            keys = (start + np.arange(n, dtype=np.int64)) // where.inner
        else:
            keys = sequences.sequence_ids(block[ids.PART], where.name, start)
        starts = sequences.run_starts(keys)
        valid = t.valid

        def summed(x: np.ndarray) -> np.ndarray:
            return np.add.reduceat(np.where(valid, x, 0.0), starts)

        sums = np.stack(
            [
                np.add.reduceat(valid.astype(np.float64), starts),
                summed(t.numerator),
                summed(t.weight),
                summed(t.loss),
            ]
        )
        return _Runs(start + starts, keys[starts], sums)

    def fold(self, runs: _Runs) -> None:
        """A block's runs, in block order (main thread)."""
        self._runs.append(runs)

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, sums (4, S)): a run continued across blocks joined to its start; an id
        that comes back after another refused."""
        if not self._runs:
            return np.zeros(0, np.int64), np.zeros((4, 0))
        keys = np.concatenate([r.keys for r in self._runs])
        rows = np.concatenate([r.rows for r in self._runs])
        sums = np.concatenate([r.sums for r in self._runs], axis=1)
        starts = sequences.run_starts(keys)
        keys, rows, sums = keys[starts], rows[starts], np.add.reduceat(sums, starts, axis=1)
        if self.where.by == "ids":
            ids.check_contiguous(keys, rows, self.where.name)
        return keys, sums


def report(where: Setup, sums: Sums | None, summary: Summary, scale: float) -> tuple:
    """(the ``sequences`` rows or None, the ``stats`` keys, notes)."""
    keys, table = sums.table() if sums is not None else (np.zeros(0, np.int64), np.zeros((4, 0)))
    tokens, num, den, nll = table
    for c in where.counts:
        if c.per_sequence is not None and sums is not None:
            ids.check_counts(c, len(keys))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(tokens > 0, num / den, np.nan)  # nats
    counted = tokens > 0
    stats: dict = {}
    notes = []
    if where.per_sequence:
        stats["sequence_mean"] = float(means[counted].mean()) / scale if counted.any() else math.nan
        stats["sequences"] = int(counted.sum())
        stats["sequences_empty"] = int((~counted).sum())
        if stats["sequences_empty"]:
            notes.append(
                f"{stats['sequences_empty']} of {len(keys)} sequences have no scored token "
                "(masked or ignored): their loss is null, and stats.sequence_mean leaves "
                "them out"
            )
    nll_total = summary.loss_sum * scale  # Σ ℓ of the scored tokens, in nats
    for c in where.counts:
        if c.per_sequence is not None and sums is not None and len(c.per_sequence) == len(keys):
            unscored = int(c.per_sequence[~counted].sum())
            if unscored:  # the total is the text given, as lm-eval divides by every document's
                notes.append(
                    f"{c.option}: {unscored:,} of the {c.total:,} {c.option[2:]} belong to "
                    "sequences with no scored token; the total keeps them (their own "
                    f"{'bits_per_byte' if c.option == '--bytes' else 'word_perplexity'} is null)"
                )
        stats.update(_normalised(c.option, nll_total, c.total))
    rows = _rows(where, keys, tokens, means, nll, scale) if where.per_sequence else None
    return rows, stats, notes


def _rows(where: Setup, keys, tokens, means, nll, scale: float) -> list[dict]:
    out = []
    per = {c.option: c.per_sequence for c in where.counts if c.per_sequence is not None}
    for i, (key, n, m) in enumerate(zip(keys.tolist(), tokens.tolist(), means.tolist())):
        empty = n == 0
        row = {
            "sequence": key,
            "tokens": int(n),
            "loss": None if empty else m / scale,
            "perplexity": None if empty else sequences.perplexity(m),
        }
        for option, key in (("--bytes", "bytes"), ("--words", "words")):
            if option in per:
                row[key] = int(per[option][i])
                row.update(_normalised(option, float(nll[i]), 0 if empty else row[key], False))
        out.append(row)
    return out


def _normalised(option: str, nll: float, count: int, stats: bool = True) -> dict:
    """The ``stats`` keys (``stats``) or a sequence row's of ``--bytes`` / ``--words``; where
    no text was scored, nan in ``stats`` (as a mean of nothing) and None in a row."""
    none = math.nan if stats else None
    if option == "--bytes":
        bpb = sequences.bits_per_byte(nll, count) if count else none
        if not stats:
            return {"bits_per_byte": bpb}
        return {
            "bits_per_byte": bpb,
            "byte_perplexity": sequences.normalized_perplexity(nll, count) if count else none,
        }
    return {"word_perplexity": sequences.normalized_perplexity(nll, count) if count else none}


def merge(docs: list[dict], paths: list[str], summary: Summary, unit_scale: float) -> tuple:
    """``cece merge`` of shards run with --per-sequence / --bytes / --words: (the merged
    ``sequences`` rows or None, the ``stats`` keys, the ``input`` keys). Shards hold their
    own sequences: rows are listed shard after shard, each with its ``shard``; a sequence id
    (--sequence-ids) in two shards is refused (one sequence straddling shards, or ids reused:
    either way its per-sequence mean cannot be rebuilt from the shards' means)."""
    has = [d.get("sequences") is not None for d in docs]
    rows: list[dict] | None = None
    stats: dict = {}
    facts: dict = {}
    if any(has):
        if not all(has):
            path = paths[has.index(False)]
            raise OptionError(
                f"{path} has no per-sequence rows, but {paths[has.index(True)]} has: run every "
                "shard with --per-sequence (or none)"
            )
        rows = []
        seen: dict[object, str] = {}
        for path, doc in zip(paths, docs):
            by_ids = doc.get("input", {}).get("sequences", {}).get("by") == "sequence ids"
            for row in doc["sequences"]:
                key = row["sequence"]
                if by_ids and key in seen:
                    raise OptionError(
                        f"sequence id {key} is in both {seen[key]} and {path}: a sequence "
                        "must not straddle shards (nor an id be reused)"
                    )
                seen[key] = path
                rows.append({"shard": path, **row})
        means = [float(r["loss"]) for r in rows if r["tokens"]]
        stats["sequence_mean"] = sum(means) / len(means) if means else math.nan
        stats["sequences"] = len(means)
        stats["sequences_empty"] = len(rows) - len(means)
        facts["sequences"] = docs[0]["input"].get("sequences", {})
    nll = summary.loss_sum * unit_scale  # Σ ℓ of the scored tokens, in nats
    for key in ("bytes", "words"):
        given = [d.get("input", {}).get(key) for d in docs]
        if not any(given):
            continue
        if not all(given):
            path = paths[[bool(g) for g in given].index(False)]
            raise OptionError(f"{path} was computed without --{key}; every shard needs it")
        total = sum(int(g["total"]) for g in given)
        facts[key] = {"total": total, "per_sequence": all(g["per_sequence"] for g in given)}
        stats.update(_normalised(f"--{key}", nll, total))
    return rows, stats, facts
