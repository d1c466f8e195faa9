"""The parameters the commands share: choices, ``Annotated`` option aliases, help helpers.

Typer builds each command's options from its own signature, so the aliases here are what
keeps the commands' options alike (as huggingface_hub's ``cli/_cli_utils.py`` does).
"""

from typing import Annotated

import typer

from cece.cli.choices import Base, DType, Format, Kind, Reduction, StdinFormat

IN = "Input"
LOSS = "Loss"
OUT = "Output"
CI = "Checks (CI)"

PredsArg = Annotated[
    str,
    typer.Argument(
        metavar="PREDS",
        help="Predictions: .csv/.tsv/.txt[.gz|.bz2|.xz|.zst], .npy, .npz[:key], "
        ".parquet, .feather, '-' for stdin, or a JSON literal.",
        show_default=False,
    ),
]
LabelsArg = Annotated[
    str | None,
    typer.Argument(
        metavar="LABELS",
        help="Labels: class indices, class names, or dense target rows (omit with --label-col).",
        show_default=False,
    ),
]
FromOpt = Annotated[
    Kind,
    typer.Option(
        "--from",
        help="What PREDS holds; auto decides from the values and says so.",
        rich_help_panel=IN,
    ),
]
PredColsOpt = Annotated[
    str | None,
    typer.Option(
        "--pred-cols",
        metavar="SPEC",
        help="Prediction columns: names (name:3 for a name 3), 0-based positions counting every "
        "column of the file (an index column too), ranges like 2:12 (half-open).",
        rich_help_panel=IN,
    ),
]
LabelColOpt = Annotated[
    str | None,
    typer.Option(
        "--label-col",
        metavar="COL",
        help="Label column (name or index); without LABELS it is taken from the PREDS table.",
        rich_help_panel=IN,
    ),
]
ClassesOpt = Annotated[
    str | None,
    typer.Option(
        "--classes",
        metavar="A,B,C|FILE",
        help="Class names in column order, or a file of names, one a line.",
        rich_help_panel=IN,
    ),
]
HeaderOpt = Annotated[
    bool | None,
    typer.Option(
        "--header/--no-header",
        help="The first row of text inputs is a header / is data (default: inferred, and stated).",
        show_default=False,
        rich_help_panel=IN,
    ),
]
ClassAxisOpt = Annotated[
    int,
    typer.Option(
        "--class-axis",
        help="The class axis of arrays with more than two dimensions.",
        rich_help_panel=IN,
    ),
]
StdinOpt = Annotated[
    StdinFormat,
    typer.Option("--stdin-format", help="Format of '-' (standard input).", rich_help_panel=IN),
]
DTypeOpt = Annotated[
    DType,
    typer.Option(
        "--dtype",
        help="What 16-bit arrays hold: bfloat16 reads uint16/int16 bit dumps and np.save'd "
        "ml_dtypes arrays (|V2) as bfloat16; auto refuses them.",
        rich_help_panel=IN,
    ),
]
ReductionOpt = Annotated[
    Reduction,
    typer.Option(
        "--reduction",
        "-r",
        help="mean (PyTorch's weighted mean), sum, or none (per sample).",
        rich_help_panel=LOSS,
    ),
]
BaseOpt = Annotated[
    Base,
    typer.Option(
        "--base", "-b", help="Log base: e (nats), 2 (bits), 10 (hartleys).", rich_help_panel=LOSS
    ),
]
SampleWeightOpt = Annotated[
    str | None,
    typer.Option(
        "--sample-weight",
        metavar="FILE|COL",
        help="Per-sample weights: a file, a literal, or a PREDS column; mean = Σwℓ/Σw.",
        rich_help_panel=LOSS,
    ),
]
ShiftOpt = Annotated[
    bool,
    typer.Option(
        "--shift",
        help="Causal language model: position t of each sequence scored against label t+1, "
        "as Hugging Face's loss (logits (B, T, V); labels (B, T), or (B, T-1) already shifted).",
        rich_help_panel=LOSS,
    ),
]
MaskOpt = Annotated[
    str | None,
    typer.Option(
        "--mask",
        metavar="FILE|COL",
        help="Attention mask with the labels' shape: 0 = not scored (applied after --shift, "
        "as Hugging Face), or a 0/1 column of the table that holds the labels.",
        rich_help_panel=LOSS,
    ),
]
RescaleOpt = Annotated[
    str | None,
    typer.Option(
        "--rescale",
        metavar="FILE|COL|LIST",
        help="Factors on each element's (binary) or sample's loss, as PyTorch's weight= and "
        "Keras' sample_weight: one, one per column, one per row (or a PREDS column) or one per "
        "element; the mean still divides by the count.",
        rich_help_panel=LOSS,
    ),
]
MeasureRescaleOpt = Annotated[
    str | None,
    typer.Option(
        "--rescale",
        metavar="FILE|COL|LIST",
        help="Factors on each row's value, as Keras' sample_weight: one, or one per row (or a "
        "P column); the mean still divides by the count (--sample-weight divides by Σw).",
        rich_help_panel=LOSS,
    ),
]
ElementwiseOpt = Annotated[
    bool,
    typer.Option(
        "--elementwise",
        help="One value per element of N×K (with -r none: PyTorch's reduction='none' shape, "
        "flattened), not one per row.",
        rich_help_panel=LOSS,
    ),
]
SmoothingOpt = Annotated[
    float,
    typer.Option(
        "--label-smoothing",
        metavar="EPS",
        help="Label smoothing ε in [0, 1].",
        rich_help_panel=LOSS,
    ),
]
TemperatureOpt = Annotated[
    float | None,
    typer.Option(
        "--temperature",
        metavar="T",
        help="Divide logits by T > 0 before the softmax (distillation); logits only.",
        rich_help_panel=LOSS,
    ),
]
TopKOpt = Annotated[
    int | None,
    typer.Option(
        "--top-k",
        metavar="K",
        help="Also report top-K accuracy (ties as scikit-learn's top_k_accuracy_score).",
        rich_help_panel=LOSS,
    ),
]
GammaOpt = Annotated[
    float | None,
    typer.Option(
        "--focal-gamma", metavar="G", help="Focal loss exponent γ ≥ 0.", rich_help_panel=LOSS
    ),
]
AlphaOpt = Annotated[
    float | None,
    typer.Option(
        "--focal-alpha",
        metavar="A",
        help="Focal loss weight α (default 1: none).",
        rich_help_panel=LOSS,
    ),
]
EpsOpt = Annotated[
    float | None,
    typer.Option(
        "--eps",
        help="Clip probabilities to [eps, 1-eps]; default: machine epsilon of the dtype; 0 = off.",
        rich_help_panel=LOSS,
    ),
]
FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="table for people; json, jsonl, csv for machines.",
        rich_help_panel=OUT,
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the reduced value.", rich_help_panel=OUT)
]
RowsOpt = Annotated[
    str,
    typer.Option(
        "--rows", metavar="N|all", help="Per-sample rows to show in the table.", rich_help_panel=OUT
    ),
]
WorstOpt = Annotated[
    int | None,
    typer.Option(
        "--worst",
        metavar="K",
        help="Show the K highest-loss samples instead of the first rows.",
        rich_help_panel=OUT,
    ),
]
PerClassOpt = Annotated[
    bool,
    typer.Option("--per-class", help="Break the loss down by true class.", rich_help_panel=OUT),
]
HistOpt = Annotated[
    bool,
    typer.Option(
        "--hist",
        help='Draw a histogram of the per-sample losses under the tables (JSON: "histogram").',
        rich_help_panel=OUT,
    ),
]
SamplesOpt = Annotated[
    bool,
    typer.Option("--samples", help="Add per-sample records to JSON output.", rich_help_panel=OUT),
]
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write results to FILE (atomically).",
        rich_help_panel=OUT,
    ),
]
FailAboveOpt = Annotated[
    float | None,
    typer.Option(
        "--fail-above", metavar="X", help="Exit 1 when the loss exceeds X.", rich_help_panel=CI
    ),
]
BaselineOpt = Annotated[
    str | None,
    typer.Option(
        "--baseline",
        metavar="FILE.json",
        help="Exit 1 when the loss exceeds this earlier cece JSON result by more than --tolerance.",
        rich_help_panel=CI,
    ),
]
ToleranceOpt = Annotated[
    str | None,
    typer.Option(
        "--tolerance",
        metavar="T|T%",
        help="Allowed increase over --baseline: absolute (0.01) or relative (2%); default 0.",
        rich_help_panel=CI,
    ),
]
ConfidenceOpt = Annotated[  # stats.ci: mean ± t·stderr, Student's t at n − 1 df
    float,
    typer.Option(
        "--confidence", metavar="C", help="Confidence of the mean's CI.", rich_help_panel=OUT
    ),
]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Turn warnings into errors (exit 2).", rich_help_panel=CI)
]


def help_text(*paragraphs: str) -> str:
    """A command's description: paragraphs joined by blank lines (the help wraps each one)."""
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def examples(*lines: str) -> str:
    """The epilog: runnable examples, one per line, never rewrapped (Click's ``\\b``)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)
