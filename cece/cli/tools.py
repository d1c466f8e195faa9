"""The commands that explain cross-entropy: ``cece explain``, ``cece curve``, ``cece inspect``.

Registered like the loss commands (:mod:`cece.cli.loss`); each parses its options and calls
:mod:`cece.cli.run_tools`.
"""

from enum import Enum
from typing import Annotated

import typer

from cece.cli.app import command
from cece.cli.choices import Base, DType, Kind, Reduction, StdinFormat
from cece.cli.params import (
    IN,
    LOSS,
    OUT,
    BaseOpt,
    ClassAxisOpt,
    ClassesOpt,
    DTypeOpt,
    EpsOpt,
    FromOpt,
    LabelColOpt,
    LabelsArg,
    MaskOpt,
    OutputOpt,
    PredColsOpt,
    PredsArg,
    ReductionOpt,
    SampleWeightOpt,
    ShiftOpt,
    SmoothingOpt,
    StdinOpt,
    StrictOpt,
    examples,
    help_text,
)


class ExplainFormat(str, Enum):
    table = "table"
    json = "json"


BinaryFlag = Annotated[
    bool,
    typer.Option(
        "--binary",
        help="Sigmoid (binary) cross-entropy; the default when PREDS has one column.",
        rich_help_panel=LOSS,
    ),
]
CategoricalFlag = Annotated[
    bool,
    typer.Option(
        "--categorical",
        help="Softmax (categorical) cross-entropy; the default otherwise.",
        rich_help_panel=LOSS,
    ),
]


def _loss_type(binary: bool, categorical: bool) -> str | None:
    if binary and categorical:
        raise typer.BadParameter("--binary and --categorical exclude each other")
    return "binary" if binary else "categorical" if categorical else None


@command(
    short_help="One sample's loss, step by step, with its numbers.",
    help=help_text(
        "The loss of one sample, step by step, with its numbers.",
        """Categorical: logits → exp → sum → softmax → log → the true class's term →
               negate (dense targets: the dot product −Σ t·log p; label smoothing: the
               smoothed target; class weights: the weighting). Binary: the two terms
               y·log p and (1 − y)·log(1 − p). With several samples, the reduction over all
               of them follows. Which loss: --categorical or --binary; by default binary when
               PREDS has one column, categorical otherwise.""",
    ),
    epilog=examples(
        "cece explain '[1,2,3]' 0",
        "cece explain 0.7 0.6",
        "cece explain '[1,2,3]' '[0.2,0.3,0.5]' --label-smoothing 0.1",
        "cece explain sample_data/catdogpig_eval.csv --label-col label --row 1 -w 1,2,3",
        "cece explain sample_data/bce_logits.csv --label-col label --row 1 --pos-weight 2 -b 2",
    ),
)
def explain(
    preds: PredsArg,
    labels: LabelsArg = None,
    row: Annotated[
        int,
        typer.Option(
            "--row", "-n", metavar="N", help="The sample to explain (0-based).", rich_help_panel=IN
        ),
    ] = 0,
    binary: BinaryFlag = False,
    categorical: CategoricalFlag = False,
    kind: FromOpt = Kind.auto,
    reduction: ReductionOpt = Reduction.mean,
    base: BaseOpt = Base.e,
    weight: Annotated[
        str | None,
        typer.Option(
            "--weight",
            "-w",
            metavar="W1,W2,..",
            help="Class weights (categorical).",
            rich_help_panel=LOSS,
        ),
    ] = None,
    ignore_index: Annotated[
        int | None,
        typer.Option(
            "--ignore-index",
            metavar="I",
            help="Skip samples with this label (categorical).",
            rich_help_panel=LOSS,
        ),
    ] = None,
    pos_weight: Annotated[
        str | None,
        typer.Option(
            "--pos-weight",
            metavar="W|W1,W2,..",
            help="Weight of the positive term (binary).",
            rich_help_panel=LOSS,
        ),
    ] = None,
    label_smoothing: SmoothingOpt = 0.0,
    sample_weight: SampleWeightOpt = None,
    eps: EpsOpt = None,
    renormalize: Annotated[
        bool,
        typer.Option(
            "--renormalize",
            help="Divide probability rows by their sum first (categorical).",
            rich_help_panel=LOSS,
        ),
    ] = False,
    shift: ShiftOpt = False,
    mask: MaskOpt = None,
    pred_cols: PredColsOpt = None,
    label_col: LabelColOpt = None,
    classes: ClassesOpt = None,
    class_axis: ClassAxisOpt = -1,
    stdin_format: StdinOpt = StdinFormat.csv,
    dtype: DTypeOpt = DType.auto,
    fmt: Annotated[
        ExplainFormat,
        typer.Option(
            "--format", "-f", help="table (steps for people) or json.", rich_help_panel=OUT
        ),
    ] = ExplainFormat.table,
    digits: Annotated[
        int, typer.Option("--digits", help="Decimals shown in the steps.", rich_help_panel=OUT)
    ] = 4,
    output: OutputOpt = None,
    strict: StrictOpt = False,
) -> None:
    from cece.cli import run_tools

    run_tools.run_explain(
        preds,
        labels,
        loss_type=_loss_type(binary, categorical),
        row=row,
        digits=digits,
        loss={
            "kind": kind.value,
            "reduction": reduction.value,
            "base": base.value,
            "weight": weight,
            "ignore_index": ignore_index,
            "pos_weight": pos_weight,
            "label_smoothing": label_smoothing,
            "sample_weight": sample_weight,
            "focal_gamma": None,
            "focal_alpha": None,
            "eps": eps,
            "renormalize": renormalize,
            "shift": shift,
            "mask": mask,
            "pred_cols": pred_cols,
            "label_col": label_col,
            "classes": classes,
            "class_axis": class_axis,
            "stdin_format": stdin_format.value,
            "dtype": dtype.value,
        },
        out={"fmt": fmt.value, "output": output, "strict": strict},
    )


class CurveFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


@command(
    short_help="The loss as a function of the predicted probability (a plot).",
    help=help_text(
        "The loss as a function of the predicted probability, drawn in the terminal.",
        """Categorical (the default): −log p, with p the probability given to the true
               class; --classes C adds the loss of a uniform guess, log C. Binary: for each
               --target y, −(y·log p + (1 − y)·log(1 − p)), lowest at p = y, where it equals the
               target's entropy H(y) (zero only for hard targets). --output FILE.png|svg|pdf
               writes an image (needs matplotlib: pip install 'cece[plot]'); -f csv|json gives
               the points.""",
    ),
    epilog=examples(
        "cece curve",
        "cece curve --binary --target 1 --target 0 --target 0.3",
        "cece curve --classes 10 -b 2",
        "cece curve --binary --target 0.3 -f csv --points 11",
    ),
)
def curve(
    binary: Annotated[
        bool,
        typer.Option(
            "--binary",
            help="The sigmoid (binary) loss, one curve per --target.",
            rich_help_panel=LOSS,
        ),
    ] = False,
    categorical: Annotated[
        bool,
        typer.Option(
            "--categorical",
            help="The softmax (categorical) loss −log p; the default.",
            rich_help_panel=LOSS,
        ),
    ] = False,
    target: Annotated[
        list[float] | None,
        typer.Option(
            "--target",
            "-t",
            metavar="Y",
            help="Target probability of the class on the x axis "
            "(repeat for several curves); default 1 (binary: 1 and 0).",
            rich_help_panel=LOSS,
            show_default=False,
        ),
    ] = None,
    classes: Annotated[
        int | None,
        typer.Option(
            "--classes",
            "-c",
            metavar="C",
            help="Number of classes: draws the uniform-guess loss log C.",
            rich_help_panel=LOSS,
        ),
    ] = None,
    base: BaseOpt = Base.e,
    points: Annotated[
        int, typer.Option("--points", help="Points per curve (csv/json).", rich_help_panel=OUT)
    ] = 201,
    width: Annotated[
        int | None,
        typer.Option(
            "--width",
            help="Plot width in characters; default: fits the terminal.",
            rich_help_panel=OUT,
            show_default=False,
        ),
    ] = None,
    height: Annotated[
        int, typer.Option("--height", help="Plot height in lines.", rich_help_panel=OUT)
    ] = 16,
    fmt: Annotated[
        CurveFormat,
        typer.Option(
            "--format",
            "-f",
            help="table (the plot), csv or json (the points).",
            rich_help_panel=OUT,
        ),
    ] = CurveFormat.table,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write there: .png/.svg/.pdf as an image (matplotlib), anything else as text.",
            rich_help_panel=OUT,
        ),
    ] = None,
) -> None:
    from cece.cli import run_tools

    run_tools.run_curve(
        _loss_type(binary, categorical) == "binary",
        target,
        classes=classes,
        base=base.value,
        points=points,
        width=width,
        height=height,
        fmt=fmt.value,
        output=output,
    )


@command(
    short_help="What cece sees in a file: shape, values, kind, advice.",
    name="inspect",
    help=help_text(
        "What cece sees in a file: shape, dtype, values, row sums, NaN/inf, kind.",
        """Reads the file as the loss commands do (header rule, class axis last), block
               by block, and says what it holds — logits, probabilities, log-probabilities,
               one-hot or soft targets, class indices or names — why, and the command to run
               on it.""",
    ),
    epilog=examples(
        "cece inspect sample_data/catdogpig_logits.csv",
        "cece inspect sample_data/catdogpig_eval.csv",
        "cece inspect sample_data/pixels_softmax.csv -f json",
    ),
)
def inspect_(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="A file as the loss commands take it (or '-', or a literal).",
            show_default=False,
        ),
    ],
    class_axis: ClassAxisOpt = -1,
    stdin_format: StdinOpt = StdinFormat.csv,
    fmt: Annotated[
        ExplainFormat,
        typer.Option(
            "--format", "-f", help="table for people, json for machines.", rich_help_panel=OUT
        ),
    ] = ExplainFormat.table,
    output: OutputOpt = None,
) -> None:
    from cece.cli import run_tools

    run_tools.run_inspect(
        file, class_axis=class_axis, stdin_format=stdin_format.value, fmt=fmt.value, output=output
    )
