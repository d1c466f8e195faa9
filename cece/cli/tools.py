"""The commands that explain cross-entropy: entropy, kl, explain, curve, inspect.

Registered on the same Typer app as the loss commands (:mod:`cece.cli.loss`); like them, each
command only parses its options and calls :mod:`cece.cli.run`.
"""


from enum import Enum
from typing import Annotated

import typer

from cece.cli.app import command
from cece.cli.params import (
    IN,
    LOSS,
    OUT,
    Base,
    BaselineOpt,
    BaseOpt,
    ClassAxisOpt,
    ClassesOpt,
    EpsOpt,
    FailAboveOpt,
    Format,
    FormatOpt,
    FromOpt,
    HistOpt,
    Kind,
    LabelColOpt,
    LabelsArg,
    OutputOpt,
    PredColsOpt,
    PredsArg,
    QuietOpt,
    Reduction,
    ReductionOpt,
    RowsOpt,
    SamplesOpt,
    SampleWeightOpt,
    SmoothingOpt,
    StdinFormat,
    StdinOpt,
    StrictOpt,
    ToleranceOpt,
    WorstOpt,
    examples,
    help_text,
    output_options,
)


class ExplainFormat(str, Enum):
    table = "table"
    json = "json"

DistArg = Annotated[str, typer.Argument(
    metavar="P", help="Rows of distributions: a table or array (or logits: --from logits).",
    show_default=False)]
RenormalizeOpt = Annotated[bool, typer.Option(
    "--renormalize", help="Divide each row by its sum first (as scipy.stats.entropy does).",
    rich_help_panel=LOSS)]
MeasureFromOpt = Annotated[Kind, typer.Option(
    "--from", help="What the rows are; auto decides from the values and says so.",
    rich_help_panel=IN)]


def _measure(command: str, p: str, q: str | None, kind: Kind, reduction: Reduction, base: Base,
             renormalize: bool, pred_cols, class_axis: int, stdin_format: StdinFormat,
             out: dict, q_kind: Kind | None = None) -> None:
    from cece.cli import run as commands

    code = commands.run_measure(
        command, p, q, out=out,
        loss={"kind": kind.value, "q_kind": q_kind.value if q_kind else None,
              "reduction": reduction.value, "base": base.value,
              "renormalize": renormalize, "pred_cols": pred_cols, "class_axis": class_axis,
              "stdin_format": stdin_format.value})
    if code:
        raise typer.Exit(code)


@command(
    short_help="Shannon entropy H(P) of each row.",
    help=help_text("Shannon entropy H(P) of each row: −Σ p·log p (0·log 0 = 0).",
               """As scipy.stats.entropy(p, base=…, axis=1). The table adds the mean, sum and
               spread over rows, and the perplexity base^H."""),
    epilog=examples("cece entropy sample_data/soft_targets.csv",
                     "cece entropy '[[0.5, 0.5], [0.9, 0.1]]' -b 2 -r none -q"),
)
def entropy(
    p: DistArg,
    kind: MeasureFromOpt = Kind.auto,
    reduction: ReductionOpt = Reduction.mean,
    base: BaseOpt = Base.e,
    renormalize: RenormalizeOpt = False,
    pred_cols: PredColsOpt = None,
    class_axis: ClassAxisOpt = -1,
    stdin_format: StdinOpt = StdinFormat.csv,
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
) -> None:
    _measure("entropy", p, None, kind, reduction, base, renormalize, pred_cols, class_axis,
             stdin_format, output_options(fmt, quiet, rows, worst, False, samples, output,
                                          fail_above, baseline, tolerance, strict, hist))


@command(
    short_help="KL divergence KL(P‖Q) of each pair of rows.",
    help=help_text("Kullback–Leibler divergence KL(P‖Q) of each pair of rows: Σ p·log(p/q).",
               """As the row sums of scipy.special.rel_entr(p, q): infinite where Q gives
               probability 0 to a class P does not. Rows also carry H(P) and the
               cross-entropy H(P, Q) = H(P) + KL(P‖Q)."""),
    epilog=examples("cece kl sample_data/soft_targets.csv sample_data/soft_probs.csv",
                     "cece kl sample_data/soft_targets.csv sample_data/soft_logits.csv "
                     "--q-from logits",
                     "cece kl teacher_logits.npy student_logits.npy --from logits -q"),
)
def kl(
    p: DistArg,
    q: Annotated[str, typer.Argument(metavar="Q", help="Rows of the distributions compared "
                                     "with P (same shape).", show_default=False)],
    kind: MeasureFromOpt = Kind.auto,
    q_kind: Annotated[Kind | None, typer.Option(
        "--q-from", help="What the rows of Q are, when not what --from says (e.g. probability "
        "targets P against logits Q).", rich_help_panel=IN, show_default=False)] = None,
    reduction: ReductionOpt = Reduction.mean,
    base: BaseOpt = Base.e,
    renormalize: RenormalizeOpt = False,
    pred_cols: PredColsOpt = None,
    class_axis: ClassAxisOpt = -1,
    stdin_format: StdinOpt = StdinFormat.csv,
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
) -> None:
    _measure("kl", p, q, kind, reduction, base, renormalize, pred_cols, class_axis,
             stdin_format, output_options(fmt, quiet, rows, worst, False, samples, output,
                                          fail_above, baseline, tolerance, strict, hist), q_kind)


BinaryFlag = Annotated[bool, typer.Option(
    "--binary", help="Sigmoid (binary) cross-entropy; the default when PREDS has one column.",
    rich_help_panel=LOSS)]
CategoricalFlag = Annotated[bool, typer.Option(
    "--categorical", help="Softmax (categorical) cross-entropy; the default otherwise.",
    rich_help_panel=LOSS)]


def _loss_type(binary: bool, categorical: bool) -> str | None:
    if binary and categorical:
        raise typer.BadParameter("--binary and --categorical exclude each other")
    return "binary" if binary else "categorical" if categorical else None


@command(
    short_help="One sample's loss, step by step, with its numbers.",
    help=help_text("The loss of one sample, step by step, with its numbers.",
               """Categorical: logits → exp → sum → softmax → log → the true class's term →
               negate (dense targets: the dot product −Σ t·log p; label smoothing: the
               smoothed target; class weights: the weighting). Binary: the two terms
               y·log p and (1 − y)·log(1 − p). With several samples, the reduction over all
               of them follows. Which loss: --categorical or --binary; by default binary when
               PREDS has one column, categorical otherwise."""),
    epilog=examples("cece explain '[1,2,3]' 0",
                     "cece explain 0.7 0.6",
                     "cece explain '[1,2,3]' '[0.2,0.3,0.5]' --label-smoothing 0.1",
                     "cece explain sample_data/catdogpig_eval.csv --label-col label --row 1 "
                     "-w 1,2,3",
                     "cece explain sample_data/bce_logits.csv --label-col label --row 1 "
                     "--pos-weight 2 -b 2"),
)
def explain(
    preds: PredsArg,
    labels: LabelsArg = None,
    row: Annotated[int, typer.Option("--row", "-n", metavar="N", help="The sample to explain "
                                     "(0-based).", rich_help_panel=IN)] = 0,
    binary: BinaryFlag = False,
    categorical: CategoricalFlag = False,
    kind: FromOpt = Kind.auto,
    reduction: ReductionOpt = Reduction.mean,
    base: BaseOpt = Base.e,
    weight: Annotated[str | None, typer.Option(
        "--weight", "-w", metavar="W1,W2,..", help="Class weights (categorical).",
        rich_help_panel=LOSS)] = None,
    ignore_index: Annotated[int | None, typer.Option(
        "--ignore-index", metavar="I", help="Skip samples with this label (categorical).",
        rich_help_panel=LOSS)] = None,
    pos_weight: Annotated[str | None, typer.Option(
        "--pos-weight", metavar="W|W1,W2,..", help="Weight of the positive term (binary).",
        rich_help_panel=LOSS)] = None,
    label_smoothing: SmoothingOpt = 0.0,
    sample_weight: SampleWeightOpt = None,
    eps: EpsOpt = None,
    renormalize: Annotated[bool, typer.Option(
        "--renormalize", help="Divide probability rows by their sum first (categorical).",
        rich_help_panel=LOSS)] = False,
    pred_cols: PredColsOpt = None,
    label_col: LabelColOpt = None,
    classes: ClassesOpt = None,
    class_axis: ClassAxisOpt = -1,
    stdin_format: StdinOpt = StdinFormat.csv,
    fmt: Annotated[ExplainFormat, typer.Option(
        "--format", "-f", help="table (steps for people) or json.",
        rich_help_panel=OUT)] = ExplainFormat.table,
    digits: Annotated[int, typer.Option("--digits", help="Decimals shown in the steps.",
                                        rich_help_panel=OUT)] = 4,
    output: OutputOpt = None,
    strict: StrictOpt = False,
) -> None:
    from cece.cli import run_tools

    run_tools.run_explain(
        preds, labels, loss_type=_loss_type(binary, categorical), row=row, digits=digits,
        loss={"kind": kind.value, "reduction": reduction.value, "base": base.value,
              "weight": weight, "ignore_index": ignore_index, "pos_weight": pos_weight,
              "label_smoothing": label_smoothing, "sample_weight": sample_weight,
              "focal_gamma": None, "focal_alpha": None, "eps": eps,
              "renormalize": renormalize, "pred_cols": pred_cols, "label_col": label_col,
              "classes": classes, "class_axis": class_axis,
              "stdin_format": stdin_format.value},
        out={"fmt": fmt.value, "output": output, "strict": strict})


class CurveFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


@command(
    short_help="The loss as a function of the predicted probability (a plot).",
    help=help_text("The loss as a function of the predicted probability, drawn in the terminal.",
               """Categorical (the default): −log p, with p the probability given to the true
               class; --classes C adds the loss of a uniform guess, log C. Binary: for each
               --target y, −(y·log p + (1 − y)·log(1 − p)), lowest at p = y, where it equals the
               target's entropy H(y) (zero only for hard targets). --output FILE.png|svg|pdf
               writes an image (needs matplotlib: pip install 'cece[plot]'); -f csv|json gives
               the points."""),
    epilog=examples("cece curve",
                     "cece curve --binary --target 1 --target 0 --target 0.3",
                     "cece curve --classes 10 -b 2",
                     "cece curve --binary --target 0.3 -f csv --points 11"),
)
def curve(
    binary: Annotated[bool, typer.Option(
        "--binary", help="The sigmoid (binary) loss, one curve per --target.",
        rich_help_panel=LOSS)] = False,
    categorical: Annotated[bool, typer.Option(
        "--categorical", help="The softmax (categorical) loss −log p; the default.",
        rich_help_panel=LOSS)] = False,
    target: Annotated[list[float] | None, typer.Option(
        "--target", "-t", metavar="Y", help="Target probability of the class on the x axis "
        "(repeat for several curves); default 1 (binary: 1 and 0).", rich_help_panel=LOSS,
        show_default=False)] = None,
    classes: Annotated[int | None, typer.Option(
        "--classes", "-c", metavar="C", help="Number of classes: draws the uniform-guess loss "
        "log C.", rich_help_panel=LOSS)] = None,
    base: BaseOpt = Base.e,
    points: Annotated[int, typer.Option("--points", help="Points per curve (csv/json).",
                                        rich_help_panel=OUT)] = 201,
    width: Annotated[int | None, typer.Option(
        "--width", help="Plot width in characters; default: fits the terminal.",
        rich_help_panel=OUT, show_default=False)] = None,
    height: Annotated[int, typer.Option("--height", help="Plot height in lines.",
                                        rich_help_panel=OUT)] = 16,
    fmt: Annotated[CurveFormat, typer.Option(
        "--format", "-f", help="table (the plot), csv or json (the points).",
        rich_help_panel=OUT)] = CurveFormat.table,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="FILE", help="Write there: .png/.svg/.pdf as an image "
        "(matplotlib), anything else as text.", rich_help_panel=OUT)] = None,
) -> None:
    from cece.cli import run_tools

    run_tools.run_curve(_loss_type(binary, categorical) == "binary", target, classes=classes,
                       base=base.value, points=points, width=width, height=height,
                       fmt=fmt.value, output=output)


@command(
    short_help="What cece sees in a file: shape, values, kind, advice.",
    name="inspect",
    help=help_text("What cece sees in a file: shape, dtype, values, row sums, NaN/inf, kind.",
               """Reads the file as the loss commands do (header rule, class axis last), block
               by block, and says what it holds — logits, probabilities, log-probabilities,
               one-hot or soft targets, class indices or names — why, and the command to run
               on it."""),
    epilog=examples("cece inspect sample_data/catdogpig_logits.csv",
                     "cece inspect sample_data/catdogpig_eval.csv",
                     "cece inspect sample_data/pixels_softmax.csv -f json"),
)
def inspect_(
    file: Annotated[str, typer.Argument(metavar="FILE", help="A file as the loss commands "
                                        "take it (or '-', or a literal).", show_default=False)],
    class_axis: ClassAxisOpt = -1,
    stdin_format: StdinOpt = StdinFormat.csv,
    fmt: Annotated[ExplainFormat, typer.Option(
        "--format", "-f", help="table for people, json for machines.",
        rich_help_panel=OUT)] = ExplainFormat.table,
    output: OutputOpt = None,
) -> None:
    from cece.cli import run_tools

    run_tools.run_inspect(file, class_axis=class_axis, stdin_format=stdin_format.value,
                         fmt=fmt.value, output=output)
