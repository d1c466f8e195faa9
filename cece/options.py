"""What a run is asked to do: typed, frozen option objects, built once by the CLI.

* :class:`LossOptions`: what to compute (the loss commands' options, as parsed);
* :class:`OutputOptions`: how to show it and which CI checks to apply;
* :class:`Keep`: what the engine keeps of each sample, derived from the two.

JSON ``options`` are derived from :class:`LossOptions` (:meth:`LossOptions.to_json`), and the
unit table (``--base``: the scale that turns nats into the unit, and its name) lives here,
once.
"""

from __future__ import annotations

import math
import sys

from cece.errors import OptionError
from cece.structs import struct

BASES = {"e": (1.0, "nats"), "2": (math.log(2), "bits"), "10": (math.log(10), "hartleys")}
SCALES = {unit: scale for scale, unit in BASES.values()}  # nats per unit, by the unit's name
JSON_NAMES = {"from": "kind", "q_from": "q_kind"}  # JSON key → attribute, where they differ


@struct(frozen=True)
class LossOptions:
    """Everything a loss run needs besides its input arguments."""

    kind: str = "auto"
    reduction: str = "mean"
    base: str = "e"
    weight: tuple[float, ...] | None = None  # categorical: class weights
    weight_file: str | None = None  # the file --weight / --pos-weight named, for messages
    ignore_index: int | None = None
    pos_weight: tuple[float, ...] | None = None  # binary: positive-class weight(s)
    threshold: float = 0.5  # binary: for accuracy
    label_smoothing: float = 0.0
    sample_weight: str | None = None
    focal_gamma: float | None = None
    focal_alpha: float | None = None
    eps: float | None = None
    renormalize: bool = False
    q_kind: str | None = None  # kl: what Q is (None: as --from)
    pred_cols: str | None = None
    label_col: str | None = None
    classes: tuple[str, ...] | None = None
    classes_file: str | None = None  # the file --classes named (an input: -o never replaces it)
    class_axis: int = -1
    stdin_format: str = "csv"
    dtype: str = "auto"  # --dtype: how PREDS' 16-bit integer/raw arrays are read ("bfloat16")
    q_dtype: str | None = None  # kl --q-dtype: the same for Q (None: not a kl run)
    header: bool | None = None  # --header / --no-header: text inputs' first rows; None: inferred
    labels_as: str | None = None  # categorical --labels-as index|name: integer labels
    positive: str | None = None  # binary --positive LABEL: the label that is the positive class
    pos_weight_shape: tuple[int, ...] | None = None  # binary: --pos-weight's shape as given
    rescale: str | None = None  # --rescale FILE|LIST: factors on each element's/sample's loss
    elementwise: bool = False  # binary/kl: one value per element, not per sample
    shift: bool = False  # categorical --shift: position t scored against label t+1 (causal LM)
    mask: str | None = None  # categorical --mask FILE: 0 = position not scored
    temperature: float | None = None  # --temperature T: logits divided by T (None: not given)
    top_k: int | None = None  # categorical --top-k K: top-k accuracy beside accuracy
    per_sequence: bool = False  # categorical --per-sequence: the loss of each sequence
    sequence_ids: str | None = None  # --sequence-ids FILE|COL: a flat dump's sequences
    bytes: str | None = None  # --bytes N|FILE: bits per byte, byte perplexity (lm-eval)
    words: str | None = None  # --words N|FILE: word perplexity (lm-eval)

    def files(self) -> list[str | None]:
        """The options that may name input files, which ``-o`` never replaces (PREDS, LABELS
        and ``--baseline`` beside them)."""
        return [
            self.sample_weight,
            self.mask,
            self.sequence_ids,
            self.bytes,
            self.words,
            self.weight_file,
            self.rescale,
            self.classes_file,
        ]

    @property
    def scale(self) -> float:
        """Nats per unit of the chosen base."""
        return BASES[self.base][0]

    @property
    def unit(self) -> str:
        return BASES[self.base][1]

    def to_json(self, keys: tuple[str, ...], **in_force: object) -> dict:
        """The JSON ``options`` record: ``keys`` in order, with the values in force (the eps
        actually used, the weights as parsed) where the task knows better than the flags;
        then ``dtype`` (and kl's ``q_dtype``), which every loss command takes."""
        out = {
            k: in_force[k] if k in in_force else _plain(getattr(self, JSON_NAMES.get(k, k)))
            for k in keys
        }
        out.setdefault("dtype", self.dtype)
        if self.q_dtype is not None:
            out.setdefault("q_dtype", self.q_dtype)
        return out


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


@struct(frozen=True)
class Keep:
    """What the engine keeps of each sample: the first rows, the worst K, every record, the
    losses (8 bytes a sample, for the median and --hist), the per-class counts; ``records``:
    whether any per-sample record is written at all (else the kernels store no arg-max);
    ``spread``: whether Σ (loss − mean)² is needed (the std and the interval; not by ``-q``)."""

    head: int = 20
    worst: int = 0
    every: bool = False
    losses: bool = True
    per_class: bool = False
    hist: bool = False
    records: bool = True
    spread: bool = True


@struct(frozen=True)
class OutputOptions:
    """How results are shown and checked: format, rows, output file, CI gates."""

    fmt: str = "table"
    quiet: bool = False
    rows: str = "20"
    worst: int | None = None
    per_class: bool = False
    samples: bool = False
    output: str | None = None
    fail_above: float | None = None
    baseline: str | None = None
    tolerance: str | None = None
    strict: bool = False
    hist: bool = False
    confidence: float = 0.95  # --confidence: of the mean's interval (JSON options.confidence)

    @property
    def streaming(self) -> bool:
        """Records go out as they are computed (nothing per sample is kept)."""
        return self.fmt in ("jsonl", "csv") and not self.quiet

    def json_samples(self, reduction: str) -> bool:
        """A JSON document with per-sample records: they are streamed into it."""
        return self.fmt == "json" and not self.quiet and (self.samples or reduction == "none")

    def check(self) -> None:
        """Options that can be wrong on their own, checked before anything is read."""
        if self.worst is not None and self.worst < 0:
            raise OptionError(f"--worst must be ≥ 0, not {self.worst}")
        if self.fail_above is not None and math.isnan(self.fail_above):
            raise OptionError(f"--fail-above must be a number; got {self.fail_above}")
        if self.baseline is None and self.tolerance is not None:
            raise OptionError("--tolerance goes with --baseline FILE.json")
        if self.hist and (self.quiet or self.fmt in ("jsonl", "csv")):
            raise OptionError(
                '--hist draws under the tables (or adds "histogram" to -f json); '
                "it does not go with -q, -f jsonl or -f csv"
            )

    def keep(self, reduction: str) -> Keep:
        """What a run must keep per sample to show what these options ask for."""
        streaming = self.streaming or (self.quiet and reduction == "none")
        head = _rows(self.rows)
        if streaming or self.quiet or (self.fmt == "json" and not self.samples):
            head = 0  # no per-sample table to fill
        every = not streaming and (self.samples or (reduction == "none" and self.fmt == "json"))
        every = every and not self.json_samples(reduction)  # streamed by the report
        # the losses feed the median and --hist; -q prints the reduced value alone
        losses = not streaming and not (self.quiet and reduction != "none")
        return Keep(
            head=head,
            worst=self.worst or 0,
            every=every,
            losses=losses,
            per_class=self.per_class,
            hist=self.hist,
            records=bool(head or self.worst or every or streaming or self.json_samples(reduction)),
            spread=not (self.quiet and reduction != "none"),  # -q prints the reduced value alone
        )


def _rows(text: str) -> int:
    if text.strip().lower() == "all":
        return sys.maxsize
    try:
        rows = int(text)
    except ValueError:
        raise OptionError(f"--rows must be a number or 'all', not {text!r}") from None
    if rows < 0:
        raise OptionError(f"--rows must be ≥ 0, not {rows}")
    return rows


@struct(frozen=True)
class EngineOptions:
    """Where a run computes: ``local`` (threads of this process) or ``dask`` (a cluster)."""

    engine: str = "local"
    scheduler: str | None = None  # --scheduler ADDR (else Dask's configuration, else local)
    workers: int | None = None  # --workers N of a local cluster (default: the cores)

    def check(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise OptionError(f"--workers must be ≥ 1, not {self.workers}")
        if self.engine != "dask" and (self.scheduler is not None or self.workers is not None):
            flag = "--scheduler" if self.scheduler is not None else "--workers"
            raise OptionError(f"{flag} goes with --engine dask")
