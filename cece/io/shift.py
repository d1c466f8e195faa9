"""Labels of a causal language model: ``--shift`` and ``--mask`` (and N-D sample weights).

A causal LM's logits at position t predict token t+1, so Hugging Face scores them as

    F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)

(transformers ``loss/loss_utils.py``: ``ForCausalLMLoss`` pads ``labels`` with ``ignore_index``
at the end and scores ``shift_labels = labels[..., 1:]``). cece keeps the logits as they are
stored, (B, T, V), read in blocks, and gives every flattened position (b, t) the label of
(b, t+1); the last position of each sequence gets the ignore value, so it is not scored (nor
counted) and the mean divides by the scored tokens, as PyTorch's. The labels, a mask and
sample weights are 8 bytes a token, held in memory; the logits stream, so a sequence may
straddle blocks.

``--mask``: an attention mask with the labels' shape, 0 = not scored, applied after the shift as
``labels[mask == 0] = -100`` before HF's shift does (``mask[:, 1:]`` beside ``labels[:, 1:]``).
``--mask COL``: a column of the table that holds the labels (a flat token dump, one row per
position, labels already shifted), named as ``--sample-weight COL`` names one
(:func:`cece.io.weights.is_column_spec`: a spec that names no file and no JSON list).
"""

from __future__ import annotations

import threading
from dataclasses import field

import numpy as np

from cece.errors import InputError, OptionError
from cece.io import bfloat16, meaning, tables, weights
from cece.io.arrays import ArrayInput
from cece.io.blocks import Source
from cece.io.colspecs import one_role, parse_cols
from cece.io.inputs import Predictions, open_input
from cece.io.labels import Labels
from cece.io.layout import Inference
from cece.losses import sequences
from cece.options import LossOptions
from cece.structs import struct

IGNORE = -100  # PyTorch's default ignore_index, with which HF pads labels


@struct
class SequenceLabels:
    """The labels as scored: one per flattened position, the ignore value where not scored."""

    labels: Labels
    weights: Source | None = None
    facts: dict = field(default_factory=dict)  # JSON input.shift / input.mask
    ignore_index: int = IGNORE
    notes: list[str] = field(default_factory=list)
    grid: tuple[int, int] | None = None  # a (B, T) file: positions T, the label's offset
    preds_name: str = ""  # the logits' file, whose errors at unscored positions are said so

    def place(self, error: InputError) -> InputError:
        """An error at sample ``b·T + t`` (a position of the logits) placed in the (B, T)
        labels file: row b, column t + 1 of labels shifted here, t of labels given shifted.
        In the logits, the flat row's sequence and position are said, and whether it is
        scored (padding often holds NaN logits no loss reads)."""
        if self.grid is None or error.row is None:
            return error
        b, t = divmod(error.row, self.grid[0])
        if error.source == self.labels.name:
            return InputError(
                error.source, error.detail, row=b, column=t + self.grid[1], hint=error.hint
            )
        if error.source != self.preds_name:  # a weight file's row: as it was
            return error
        labels = self.labels.source.data.array  # type: ignore[union-attr]
        if error.row >= len(labels) or labels[error.row] != self.ignore_index:
            return error
        detail = f"{error.detail} (sequence {b}, position {t}: not scored, its label ignored)"
        hint = "a position not scored still needs finite logits: write 0 there"
        return InputError(error.source, detail, row=error.row, column=error.column, hint=hint)

    def unlabelled(self, rec: dict) -> None:
        """--shift: each sequence's last position has no label. Its record says -100 (what
        Hugging Face pads with), not the ignore value, which may be a real token."""
        if self.facts.get("shift") and "position" in rec and "target" in rec:
            last = rec["position"] == self.facts["shift"]["positions"] - 1
            rec["target"] = np.where(last, IGNORE, rec["target"])


def mask_column(opts: LossOptions) -> str | None:
    """``--mask COL``: the column it names (of the table holding the labels), or None."""
    if opts.mask is None or not weights.is_column_spec(opts.mask):
        return None
    if opts.shift:
        raise OptionError(
            f"--mask {opts.mask!r}: no such file; --shift takes a mask array with the labels' "
            "shape (.npy, .safetensors, .pt)",
            hint="a mask column of a token table goes with labels already shifted, without --shift",
        )
    return opts.mask


@struct
class MaskColumn:
    """``--mask COL`` applied block by block: labels where the mask is 0 become the ignore
    value (as a data collator's ``labels[mask == 0] = -100``); the 0s are counted (blocks may
    be read by several threads: the count is locked)."""

    table: str
    column: str
    ignore_index: int
    notes: list[str] = field(default_factory=list)
    masked: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def apply(self, block: dict, start: int) -> np.ndarray:
        """A block's labels, the ignore value where its mask is 0."""
        labels = block["labels"]
        m = np.asarray(block["mask"]).reshape(len(labels))
        keep = sequences.mask_values(m, self.table, start=start, column=self.column)
        with self.lock:
            self.masked += int(len(keep) - np.count_nonzero(keep))
        return np.where(keep, labels, self.ignore_index)

    def facts(self) -> dict:
        return {"mask": {"file": self.table, "column": self.column, "masked": self.masked}}


def open_mask_column(column: str | None, labels: Labels, opts: LossOptions) -> MaskColumn | None:
    """``--mask COL`` on the table that holds the labels: PREDS (``--label-col``, a record
    field; the column was taken there by ``open_predictions``) or a LABELS table. Rows whose
    mask is 0 get the ignore value: -100 unless --ignore-index says otherwise."""
    if column is None:
        return None
    src = labels.source
    if "mask" not in src.parts:
        data = src.data
        if isinstance(data, ArrayInput):
            raise OptionError(
                f"--mask {column!r}: no such file, and {src.name} is an array without named "
                "columns",
                hint="a mask column belongs to the table that holds the labels",
            )
        if (tables.is_jsonl(data) or tables.is_arrow(data)) and (
            tables.is_jsonl(data) or data.records
        ):
            f = data.field(column.strip(), "--mask")
            if f.width is not None or not f.numeric:
                raise InputError(data.name, f"field {f.path!r} is not one number per record")
            src.parts["mask"] = data.add(f)
        else:
            taken = parse_cols(column, data.header, data.ncols, data.name, "--mask", data.inferred)
            one_role(dict.fromkeys(src.parts.get("labels") or [], "--label-col"), taken, "--mask",
                     data.header, data.name, column)  # fmt: skip
            src.parts["mask"] = taken[:1]
    if labels.form != "index":
        raise OptionError(
            f"--mask {column!r} needs class-index labels; {labels.name} holds "
            f"{'class names' if labels.form == 'name' else 'dense targets'}"
        )
    ignore = IGNORE if opts.ignore_index is None else opts.ignore_index
    header = getattr(src.data, "header", None)  # JSON input.mask.column: the column's name
    part = src.parts["mask"]
    named = (
        header[part[0]] if isinstance(header, list) and part and not _records(src.data) else None
    )
    return MaskColumn(src.name, named or column, ignore, _ignore_note(f"--mask {column}", opts))


def sequence_labels(
    labels_arg: str | None, preds: Predictions, opts: LossOptions
) -> SequenceLabels | None:
    """The labels under ``--shift`` / ``--mask`` (None without either). Positions not scored
    get the ignore value: PyTorch's default -100 unless --ignore-index says otherwise."""
    if not opts.shift and (opts.mask is None or mask_column(opts) is not None):
        return None
    if opts.shift and opts.rescale is not None:  # per position or per label? not guessed
        raise OptionError(
            "--rescale does not go with --shift",
            hint="--sample-weight takes one weight per label, moved with it by --shift",
        )
    ignore = IGNORE if opts.ignore_index is None else opts.ignore_index
    seq = open_sequence_labels(
        labels_arg,
        preds,
        shift=opts.shift,
        mask=opts.mask,
        sample_weight=opts.sample_weight,
        ignore_index=ignore,
        stdin_format=opts.stdin_format,
    )
    seq.ignore_index = ignore
    seq.notes += _ignore_note("--shift" if opts.shift else "--mask", opts)
    return seq


def _ignore_note(option: str, opts: LossOptions) -> list[str]:
    """What --shift / --mask imply when --ignore-index is not given: -100, said."""
    if opts.ignore_index is not None:
        return []
    return [
        f"{option}: positions not scored are ignored as label {IGNORE} (PyTorch's default "
        "ignore_index, Hugging Face's padding); --ignore-index sets another"
    ]


def _vocab_middle(given: tuple[int, ...], preds: Predictions, less: tuple[int, ...]) -> str | None:
    """The hint for (B, T) labels beside (B, V, T) logits read with the classes last: the
    labels' last axis is the logits' (less ``less``: under ``--shift``, T - 1 too)."""
    last = (preds.shape or (0,))[-1]
    if len(given) == 2 and preds.class_axis == -1 and any(given[-1] == last - d for d in less):
        return "--class-axis 1 if the logits are (B, V, T)"
    return None


def open_sequence_labels(
    labels_arg: str | None,
    preds: Predictions,
    *,
    shift: bool,
    mask: str | None,
    sample_weight: str | None,
    ignore_index: int,
    stdin_format: str = "csv",
) -> SequenceLabels:
    """``--shift`` and/or ``--mask``: the labels (an array file) shifted and masked."""
    option = "--shift" if shift else "--mask"
    samples = tuple(preds.sample_shape or ())
    if shift and len(samples) != 2:
        raise OptionError(
            f"--shift needs a sequence axis: logits (batch, tokens, vocab) and labels "
            f"(batch, tokens); {preds.name} has shape {preds.shape or 'of a table'}",
            hint="for one sequence save it as (1, tokens, vocab)",
        )
    if labels_arg is None:
        raise OptionError(f"{option} needs a LABELS array file (.npy, .safetensors, .pt)")
    name, arr = _array(labels_arg, stdin_format, f"{option} needs labels in an array file")
    if arr.dtype.kind not in "iuf":
        raise InputError(name, f"holds {arr.dtype} values; {option} needs class indices")
    found: list[Inference] = []
    if arr.ndim == len(samples) + 1 and arr.shape[-1] == 1:  # a language model's (B, T, 1)
        said = f"labels of shape {arr.shape}: the trailing axis of size 1 squeezed"
        found.append(Inference(name, "labels", said))
        arr = arr[..., 0]
    given = arr.shape
    if shift:
        b, t = samples
        if t < 2:
            raise InputError(
                preds.name,
                f"sequences of {t} position under --shift: no position has a next token to score",
            )
        if given == (b, t):
            found.append(_shift_note(name, b, t, "shifted here"))
            if t > 1 and bool(np.all(arr[:, -1] == ignore_index)):  # HF's shift_labels
                said = (
                    f"every sequence's last label is {ignore_index}, as in labels already "
                    "shifted (Hugging Face's shift_labels): if they are, drop --shift, which "
                    "shifts them again"
                )
                found.append(Inference(name, "labels", said))
        elif given == (b, t - 1):
            found.append(_shift_note(name, b, t, "given shifted"))
        else:
            sliced = given == (b, t + 1)  # logits[:, :-1] saved beside the input ids
            raise InputError(
                name,
                f"labels have shape {given}; --shift expects {(b, t)} (the input ids, "
                f"shifted here) or {(b, t - 1)} (already shifted) for {preds.name} "
                f"of shape {preds.shape}",
                hint="logits already sliced (logits[:, :-1])? then labels[:, 1:] without --shift"
                if sliced
                else _vocab_middle(given, preds, (0, 1)),
            )
    elif given != samples and arr.ndim != 1:
        raise InputError(
            name,
            f"labels have shape {given}; --mask expects {samples}",
            hint=_vocab_middle(given, preds, (0,)),
        )
    found += meaning.class_axis_fits(samples, preds, name)  # (N, C, T), C == T: which axis?
    keep = None if mask is None else _mask(mask, given, samples, shift, stdin_format)
    vec = _scored(arr, keep, samples, shift, ignore_index)
    weights = None
    if shift and sample_weight is not None:
        weights = _shifted_weights(sample_weight, given, samples, stdin_format)
    labels = Labels(name, "index", Source(name, ArrayInput(name, vec), {"labels": None}))
    labels.source.rows = len(vec)
    labels.inferred = found
    facts: dict = {}
    if shift:
        facts["shift"] = {
            "sequences": samples[0],
            "positions": samples[1],
            "labels": "given shifted" if given[-1] == samples[1] - 1 else "shifted here",
            "dropped": samples[0],
        }
    if keep is not None:
        facts["mask"] = {"file": mask, "masked": int(np.count_nonzero(~keep))}
    two_d = arr.ndim == len(samples) == 2  # (B, T) or (B, T - 1): row b, column t
    grid = (samples[1], int(shift and given == samples)) if two_d else None
    return SequenceLabels(labels, weights, facts, grid=grid, preds_name=preds.name)


def _shift_note(name: str, b: int, t: int, how: str) -> Inference:
    what = (
        "position t scored against label t+1 of its sequence (Hugging Face's causal-LM loss)"
        if how == "shifted here"
        else f"labels of shape {(b, t - 1)} read as already shifted (label t for position t)"
    )
    why = f"--shift: {what}; the last position of each of the {b} sequences is not scored"
    return Inference(name, "labels", why)


def _array(arg: str, stdin_format: str, refusal: str) -> tuple[str, np.ndarray]:
    data = open_input(arg, stdin_format, None)
    if not isinstance(data, ArrayInput):
        raise OptionError(f"{refusal} (.npy, .npz, .safetensors, .pt); {data.name} is a table")
    return data.name, np.asarray(bfloat16.numbers(data).array)


def _mask(spec: str, given: tuple, samples: tuple, shift: bool, stdin_format: str) -> np.ndarray:
    """The mask as booleans (True: scored), aligned with the labels as given (or, beside
    already shifted labels, an attention mask of the inputs' (B, T): shifted the same way)."""
    name, m = _array(spec, stdin_format, "--mask needs an array file")
    shapes = [given] + ([samples] if shift and given != samples else [])
    if m.shape not in shapes and not (len(given) == 1 and m.shape == (given[0],)):
        want = " or ".join(str(s) for s in shapes)
        raise InputError(name, f"mask has shape {m.shape}; expected {want} (the labels')")
    keep = sequences.mask_values(m, name)
    if shift and m.shape == samples and given != samples:
        keep = keep[:, 1:]  # the inputs' attention mask beside labels already shifted
    return keep.reshape(given)


def _scored(
    arr: np.ndarray, keep: np.ndarray | None, samples: tuple, shift: bool, ignore: int
) -> np.ndarray:
    """One label per flattened (b, t) position: label t+1 under --shift (the last position
    of each sequence: ``ignore``), ``ignore`` where the mask is 0."""
    dtype = np.float64 if arr.dtype.kind == "f" else np.int64
    labels = arr.astype(dtype)
    if keep is not None:
        labels = np.where(keep, labels, ignore).astype(dtype)
    if not shift:
        return labels.reshape(-1)
    b, t = samples
    out = np.full((b, t), ignore, dtype=dtype)
    out[:, : t - 1] = labels[:, 1:] if labels.shape[1] == t else labels
    return out.reshape(-1)


def _shifted_weights(spec: str, given: tuple, samples: tuple, stdin_format: str) -> Source:
    """Sample weights with the labels' shape, moved with them (weight t+1 to position t)."""
    name, w = _array(spec, stdin_format, "--sample-weight with --shift needs an array file")
    if w.shape != given:
        raise InputError(
            name, f"sample weights have shape {w.shape}; expected {given} (the labels')"
        )
    b, t = samples
    out = np.ones((b, t), dtype=np.float64)  # the last positions are not scored
    out[:, : t - 1] = w[:, 1:] if w.shape[1] == t else w
    vec = out.reshape(-1)
    return Source(name, ArrayInput(name, vec), {"weights": None}, rows=len(vec))


def _records(data: object) -> bool:
    return tables.is_jsonl(data) or (tables.is_arrow(data) and data.records)
