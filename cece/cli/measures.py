"""The commands that measure distributions: ``cece entropy`` and ``cece kl``.

Registered like the loss commands (:mod:`cece.cli.loss`); each parses its options and calls
:mod:`cece.cli.run`.
"""

from typing import Annotated

import typer

from cece.cli import invoke
from cece.cli.app import command
from cece.cli.choices import Base, DType, Engine, Format, Kind, Reduction, StdinFormat
from cece.cli.engine_params import (
    EngineOpt,
    SchedulerOpt,
    WorkersOpt,
)
from cece.cli.params import (
    IN,
    LOSS,
    BaselineOpt,
    BaseOpt,
    ClassAxisOpt,
    ConfidenceOpt,
    DTypeOpt,
    ElementwiseOpt,
    FailAboveOpt,
    FormatOpt,
    HeaderOpt,
    HistOpt,
    MeasureRescaleOpt,
    OutputOpt,
    PredColsOpt,
    QuietOpt,
    ReductionOpt,
    RowsOpt,
    SamplesOpt,
    SampleWeightOpt,
    StdinOpt,
    StrictOpt,
    TemperatureOpt,
    ToleranceOpt,
    WorstOpt,
    examples,
    help_text,
)

DistArg = Annotated[
    str,
    typer.Argument(
        metavar="P",
        help="Rows of distributions: a table or array (or logits: --from logits).",
        show_default=False,
    ),
]
RenormalizeOpt = Annotated[
    bool,
    typer.Option(
        "--renormalize",
        help="Divide each row by its sum first (as scipy.stats.entropy does).",
        rich_help_panel=LOSS,
    ),
]
MeasureFromOpt = Annotated[
    Kind,
    typer.Option(
        "--from",
        help="What the rows are; auto decides from the values and says so.",
        rich_help_panel=IN,
    ),
]


@command(
    short_help="Shannon entropy H(P) of each row.",
    help=help_text(
        "Shannon entropy H(P) of each row: −Σ p·log p (0·log 0 = 0).",
        """As scipy.stats.entropy(p, base=…, axis=1). The table adds the mean, sum and
               spread over rows, and the perplexity base^H.""",
    ),
    epilog=examples(
        "cece entropy sample_data/soft_targets.csv",
        "cece entropy '[[0.5, 0.5], [0.9, 0.1]]' -b 2 -r none -q",
    ),
)
def entropy(
    p: DistArg,
    kind: MeasureFromOpt = Kind.auto,
    reduction: ReductionOpt = Reduction.mean,
    base: BaseOpt = Base.e,
    renormalize: RenormalizeOpt = False,
    sample_weight: SampleWeightOpt = None,
    rescale: MeasureRescaleOpt = None,
    elementwise: ElementwiseOpt = False,
    temperature: TemperatureOpt = None,
    pred_cols: PredColsOpt = None,
    class_axis: ClassAxisOpt = -1,
    header: HeaderOpt = None,
    stdin_format: StdinOpt = StdinFormat.csv,
    dtype: DTypeOpt = DType.auto,
    fmt: FormatOpt = Format.table,
    quiet: QuietOpt = False,
    rows: RowsOpt = "20",
    worst: WorstOpt = None,
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
    _exit(invoke.entropy(locals()))  # the parameters, by name (cece.cli.invoke)


@command(
    short_help="KL divergence KL(P‖Q) of each pair of rows.",
    help=help_text(
        "Kullback–Leibler divergence KL(P‖Q) of each pair of rows: Σ p·log(p/q).",
        """As the row sums of scipy.special.rel_entr(p, q): infinite where Q gives
               probability 0 to a class P does not. Rows also carry H(P) and the
               cross-entropy H(P, Q) = H(P) + KL(P‖Q).""",
    ),
    epilog=examples(
        "cece kl sample_data/soft_targets.csv sample_data/soft_probs.csv",
        "cece kl sample_data/soft_targets.csv sample_data/soft_logits.csv --q-from logits",
        "cece kl teacher_logits.npy student_logits.npy --from logits -q",
        "cece kl '[[0.5, 0.5]]' '[[0.9, 0.1]]' --elementwise -r none -q",
    ),
)
def kl(
    p: DistArg,
    q: Annotated[
        str,
        typer.Argument(
            metavar="Q",
            help="Rows of the distributions compared with P (same shape).",
            show_default=False,
        ),
    ],
    kind: MeasureFromOpt = Kind.auto,
    q_kind: Annotated[
        Kind | None,
        typer.Option(
            "--q-from",
            help="What the rows of Q are, when not what --from says (e.g. probability "
            "targets P against logits Q).",
            rich_help_panel=IN,
            show_default=False,
        ),
    ] = None,
    reduction: ReductionOpt = Reduction.mean,
    base: BaseOpt = Base.e,
    renormalize: RenormalizeOpt = False,
    sample_weight: SampleWeightOpt = None,
    rescale: MeasureRescaleOpt = None,
    elementwise: ElementwiseOpt = False,
    temperature: TemperatureOpt = None,
    pred_cols: PredColsOpt = None,
    class_axis: ClassAxisOpt = -1,
    header: HeaderOpt = None,
    stdin_format: StdinOpt = StdinFormat.csv,
    dtype: DTypeOpt = DType.auto,
    q_dtype: Annotated[
        DType,
        typer.Option(
            "--q-dtype",
            help="What Q's 16-bit arrays hold (--dtype is P's): bfloat16 reads uint16/int16 "
            "bit dumps and |V2 arrays as bfloat16; auto refuses them.",
            rich_help_panel=IN,
        ),
    ] = DType.auto,
    fmt: FormatOpt = Format.table,
    quiet: QuietOpt = False,
    rows: RowsOpt = "20",
    worst: WorstOpt = None,
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
    _exit(invoke.kl(locals()))  # the parameters, by name (cece.cli.invoke)


def _exit(code: int) -> None:
    if code:
        raise typer.Exit(code)
