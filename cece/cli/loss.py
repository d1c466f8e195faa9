"""The loss commands: ``cece categorical`` and ``cece binary`` (then :mod:`cece.cli.merge`).

Each parses its options and calls :mod:`cece.cli.run`; numpy, pandas and rich are imported
there, not here (start-up).
"""

from typing import Annotated

import typer

from cece.cli import invoke
from cece.cli.app import command
from cece.cli.choices import (
    Base,
    BinaryKind,
    DType,
    Engine,
    Format,
    Kind,
    LabelsAs,
    Reduction,
    StdinFormat,
)
from cece.cli.engine_params import (
    EngineOpt,
    SchedulerOpt,
    WorkersOpt,
)
from cece.cli.params import (
    IN,
    LOSS,
    AlphaOpt,
    BaselineOpt,
    BaseOpt,
    ClassAxisOpt,
    ClassesOpt,
    ConfidenceOpt,
    DTypeOpt,
    ElementwiseOpt,
    EpsOpt,
    FailAboveOpt,
    FormatOpt,
    FromOpt,
    GammaOpt,
    HeaderOpt,
    HistOpt,
    LabelColOpt,
    LabelsArg,
    MaskOpt,
    OutputOpt,
    PerClassOpt,
    PredColsOpt,
    PredsArg,
    QuietOpt,
    ReductionOpt,
    RescaleOpt,
    RowsOpt,
    SamplesOpt,
    SampleWeightOpt,
    ShiftOpt,
    SmoothingOpt,
    StdinOpt,
    StrictOpt,
    TemperatureOpt,
    ToleranceOpt,
    TopKOpt,
    WorstOpt,
    examples,
    help_text,
)
from cece.cli.sequence_params import BytesOpt, PerSequenceOpt, SequenceIdsOpt, WordsOpt


@command(
    short_help="Softmax (multi-class) cross-entropy, as PyTorch computes it.",
    help=help_text(
        "Softmax (multi-class) cross-entropy, a.k.a. log loss / NLL, as PyTorch computes it.",
        """Labels may be class indices, class names (through the PREDS header or --classes),
        or dense rows (one-hot or soft targets). Values match
        torch.nn.functional.cross_entropy for --weight, --ignore-index and
        --label-smoothing, including its weighted mean.""",
    ),
    epilog=examples(
        "cece categorical sample_data/catdogpig_logits.csv sample_data/catdogpig_labels.csv",
        "cece categorical '[[1,2,3],[2,4,6]]' '[0,2]' -f json",
        "cece categorical probs.csv onehot.csv --from probs --renormalize -q",
        "cece categorical eval.csv --label-col label --per-class --worst 5",
        "cece categorical logits.npy input_ids.npy --shift --mask attention_mask.npy",
    ),
)
def categorical(
    preds: PredsArg,
    labels: LabelsArg = None,
    kind: FromOpt = Kind.auto,
    reduction: ReductionOpt = Reduction.mean,
    base: BaseOpt = Base.e,
    weight: Annotated[
        str | None,
        typer.Option(
            "--weight",
            "-w",
            metavar="W1,W2,..",
            help="Class weights, one per class (PyTorch weight=).",
            rich_help_panel=LOSS,
        ),
    ] = None,
    ignore_index: Annotated[
        int | None,
        typer.Option(
            "--ignore-index",
            metavar="I",
            help="Skip samples with this label (PyTorch ignore_index).",
            rich_help_panel=LOSS,
        ),
    ] = None,
    shift: ShiftOpt = False,
    mask: MaskOpt = None,
    label_smoothing: SmoothingOpt = 0.0,
    sample_weight: SampleWeightOpt = None,
    rescale: RescaleOpt = None,
    focal_gamma: GammaOpt = None,
    focal_alpha: AlphaOpt = None,
    temperature: TemperatureOpt = None,
    top_k: TopKOpt = None,
    per_sequence: PerSequenceOpt = False,
    sequence_ids: SequenceIdsOpt = None,
    n_bytes: BytesOpt = None,
    n_words: WordsOpt = None,
    eps: EpsOpt = None,
    renormalize: Annotated[
        bool,
        typer.Option(
            "--renormalize",
            help="Divide probability rows by their sum first (Keras).",
            rich_help_panel=LOSS,
        ),
    ] = False,
    pred_cols: PredColsOpt = None,
    label_col: LabelColOpt = None,
    classes: ClassesOpt = None,
    labels_as: Annotated[
        LabelsAs | None,
        typer.Option(
            "--labels-as",
            help="Integer labels are column indices (PyTorch) or class names matched "
            "against the PREDS header or --classes (scikit-learn's labels=); default: "
            "inferred where only one reading fits.",
            show_default=False,
            rich_help_panel=IN,
        ),
    ] = None,
    class_axis: ClassAxisOpt = -1,
    header: HeaderOpt = None,
    stdin_format: StdinOpt = StdinFormat.csv,
    dtype: DTypeOpt = DType.auto,
    fmt: FormatOpt = Format.table,
    quiet: QuietOpt = False,
    rows: RowsOpt = "20",
    worst: WorstOpt = None,
    per_class: PerClassOpt = False,
    hist: HistOpt = False,
    samples: SamplesOpt = False,
    output: OutputOpt = None,
    fail_above: FailAboveOpt = None,
    baseline: BaselineOpt = None,
    tolerance: ToleranceOpt = None,
    strict: StrictOpt = False,
    confidence: ConfidenceOpt = 0.95,
    engine: EngineOpt = Engine.local,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
) -> None:
    _exit(invoke.categorical(locals()))  # the parameters, by name (cece.cli.invoke)


@command(
    short_help="Sigmoid (binary) cross-entropy: binary, multi-label, soft.",
    help=help_text(
        "Sigmoid (binary) cross-entropy, element-wise: binary, multi-label and soft targets.",
        """PREDS is one column (binary) or N×K (multi-label, each column its own sigmoid);
        targets have the same shape, hard (0/1) or soft (in [0, 1]). A sample's loss is the
        mean over its K columns; --reduction mean averages all elements, sum adds them (as
        PyTorch's binary_cross_entropy[_with_logits]). For soft targets cece also reports the
        targets' entropy (the least loss any prediction can reach) and the KL excess.""",
    ),
    epilog=examples(
        "cece binary 0.7 0.6",
        "cece binary sample_data/seed004_logits.csv sample_data/seed004_labels.csv --pos-weight 3",
        "cece binary scores.npy targets.npy --from logits -f json",
        "cece binary probs.csv targets.csv --label-smoothing 0.1 --focal-gamma 2",
    ),
)
def binary(
    preds: PredsArg,
    labels: LabelsArg = None,
    kind: Annotated[
        BinaryKind,
        typer.Option(
            "--from",
            help="What PREDS holds; auto: probabilities when every value is in [0, 1].",
            rich_help_panel=IN,
        ),
    ] = BinaryKind.auto,
    reduction: ReductionOpt = Reduction.mean,
    base: BaseOpt = Base.e,
    pos_weight: Annotated[
        str | None,
        typer.Option(
            "--pos-weight",
            metavar="W|W1,W2,..",
            help="Weight of the positive term: one value, one per column or one per element "
            "(a file or [[...], ...]; PyTorch pos_weight=).",
            rich_help_panel=LOSS,
        ),
    ] = None,
    label_smoothing: Annotated[
        float,
        typer.Option(
            "--label-smoothing",
            metavar="EPS",
            help="Targets become y(1-ε) + ε/2 (Keras).",
            rich_help_panel=LOSS,
        ),
    ] = 0.0,
    sample_weight: SampleWeightOpt = None,
    rescale: RescaleOpt = None,
    elementwise: ElementwiseOpt = False,
    focal_gamma: GammaOpt = None,
    focal_alpha: Annotated[
        float | None,
        typer.Option(
            "--focal-alpha",
            metavar="A",
            help="Focal class balance: α for positives, 1-α for "
            "negatives (Keras apply_class_balancing).",
            rich_help_panel=LOSS,
        ),
    ] = None,
    eps: EpsOpt = None,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold",
            help="Probability above which a prediction counts as positive (accuracy).",
            rich_help_panel=LOSS,
        ),
    ] = 0.5,
    pred_cols: PredColsOpt = None,
    label_col: LabelColOpt = None,
    positive: Annotated[
        str | None,
        typer.Option(
            "--positive",
            metavar="LABEL",
            help="The label of the positive class (malignant, 1 of -1/+1); any other label "
            "is the negative one.",
            rich_help_panel=IN,
        ),
    ] = None,
    header: HeaderOpt = None,
    stdin_format: StdinOpt = StdinFormat.csv,
    dtype: DTypeOpt = DType.auto,
    fmt: FormatOpt = Format.table,
    quiet: QuietOpt = False,
    rows: RowsOpt = "20",
    worst: WorstOpt = None,
    per_class: PerClassOpt = False,
    hist: HistOpt = False,
    samples: SamplesOpt = False,
    output: OutputOpt = None,
    fail_above: FailAboveOpt = None,
    baseline: BaselineOpt = None,
    tolerance: ToleranceOpt = None,
    strict: StrictOpt = False,
    confidence: ConfidenceOpt = 0.95,
    engine: EngineOpt = Engine.local,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
) -> None:
    _exit(invoke.binary(locals()))  # the parameters, by name (cece.cli.invoke)


def _exit(code: int) -> None:
    if code:
        raise typer.Exit(code)


from cece.cli import merge  # noqa: E402, F401  (cece merge, listed after the loss commands)
