"""The command line: Typer commands that parse options, run the engine and render.

``main()`` is the one place where errors become exit codes (CONTRACT §6): a CeceError or a
usage error prints ``cece: error: ...`` (+ at most one hint) and exits 2; a failed check exits 1;
Ctrl-C exits 130; anything else is a bug: one line asking for a report, exit 3, and the
traceback only with ``--debug`` or ``CECE_DEBUG=1``.

Start-up matters: this module imports only Typer and the standard library; numpy, pandas and
rich are imported inside the commands that need them.
"""


import contextlib
import os
import signal
import sys
import warnings
from enum import Enum
from typing import Annotated, Optional

import typer

from cece import __version__
from cece.errors import CeceError, ExitCode, stderr_prefix

app = typer.Typer(
    name="cece",
    help="Cross-entropy from files: exact, explained, and safe in pipelines and CI.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    rich_markup_mode=None,  # plain help: rich's formatter would double `cece --help`'s start-up
)


class Kind(str, Enum):
    auto = "auto"
    logits = "logits"
    probs = "probs"
    log_probs = "log-probs"


class BinaryKind(str, Enum):
    auto = "auto"
    logits = "logits"
    probs = "probs"


class Reduction(str, Enum):
    mean = "mean"
    sum = "sum"
    none = "none"


class Base(str, Enum):
    e = "e"
    two = "2"
    ten = "10"


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class StdinFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    npy = "npy"


IN = "Input"
LOSS = "Loss"
OUT = "Output"
CI = "Checks (CI)"

PredsArg = Annotated[str, typer.Argument(
    metavar="PREDS", help="Predictions: .csv/.tsv/.txt[.gz|.bz2|.xz|.zst], .npy, .npz[:key], "
    ".parquet, .feather, '-' for stdin, or a JSON literal.", show_default=False)]
LabelsArg = Annotated[Optional[str], typer.Argument(
    metavar="[LABELS]", help="Labels: class indices, class names, or dense target rows "
    "(omit with --label-col).", show_default=False)]
FromOpt = Annotated[Kind, typer.Option(
    "--from", help="What PREDS holds; auto decides from the values and says so.",
    rich_help_panel=IN)]
PredColsOpt = Annotated[Optional[str], typer.Option(
    "--pred-cols", metavar="SPEC", help="Prediction columns: names, 0-based indices, ranges "
    "like 2:12 (half-open).", rich_help_panel=IN)]
LabelColOpt = Annotated[Optional[str], typer.Option(
    "--label-col", metavar="COL", help="Label column (name or index); without LABELS it is "
    "taken from the PREDS table.", rich_help_panel=IN)]
ClassesOpt = Annotated[Optional[str], typer.Option(
    "--classes", metavar="A,B,C", help="Class names, in column order.", rich_help_panel=IN)]
ClassAxisOpt = Annotated[int, typer.Option(
    "--class-axis", help="The class axis of arrays with more than two dimensions.",
    rich_help_panel=IN)]
StdinOpt = Annotated[StdinFormat, typer.Option(
    "--stdin-format", help="Format of '-' (standard input).", rich_help_panel=IN)]
ReductionOpt = Annotated[Reduction, typer.Option(
    "--reduction", "-r", help="mean (PyTorch's weighted mean), sum, or none (per sample).",
    rich_help_panel=LOSS)]
BaseOpt = Annotated[Base, typer.Option(
    "--base", "-b", help="Log base: e (nats), 2 (bits), 10 (hartleys).", rich_help_panel=LOSS)]
SampleWeightOpt = Annotated[Optional[str], typer.Option(
    "--sample-weight", metavar="FILE|COL", help="Per-sample weights: a file, a literal, or a "
    "PREDS column; mean = Σwℓ/Σw.", rich_help_panel=LOSS)]
SmoothingOpt = Annotated[float, typer.Option(
    "--label-smoothing", metavar="EPS", help="Label smoothing ε in [0, 1].",
    rich_help_panel=LOSS)]
GammaOpt = Annotated[Optional[float], typer.Option(
    "--focal-gamma", metavar="G", help="Focal loss exponent γ ≥ 0.", rich_help_panel=LOSS)]
AlphaOpt = Annotated[Optional[float], typer.Option(
    "--focal-alpha", metavar="A", help="Focal loss weight α (default 1: none).",
    rich_help_panel=LOSS)]
EpsOpt = Annotated[Optional[float], typer.Option(
    "--eps", help="Clip probabilities to [eps, 1-eps]; default: machine epsilon of the "
    "dtype; 0 = off.", rich_help_panel=LOSS)]
FormatOpt = Annotated[Format, typer.Option(
    "--format", "-f", help="table for people; json, jsonl, csv for machines.",
    rich_help_panel=OUT)]
QuietOpt = Annotated[bool, typer.Option(
    "--quiet", "-q", help="Print only the reduced value.", rich_help_panel=OUT)]
RowsOpt = Annotated[str, typer.Option(
    "--rows", metavar="N|all", help="Per-sample rows to show in the table.",
    rich_help_panel=OUT)]
WorstOpt = Annotated[Optional[int], typer.Option(
    "--worst", metavar="K", help="Show the K highest-loss samples instead of the first rows.",
    rich_help_panel=OUT)]
PerClassOpt = Annotated[bool, typer.Option(
    "--per-class", help="Break the loss down by true class.", rich_help_panel=OUT)]
HistOpt = Annotated[bool, typer.Option(
    "--hist", help="Draw a histogram of the per-sample losses under the tables (JSON: "
    "\"histogram\").", rich_help_panel=OUT)]
SamplesOpt = Annotated[bool, typer.Option(
    "--samples", help="Add per-sample records to JSON output.", rich_help_panel=OUT)]
OutputOpt = Annotated[Optional[str], typer.Option(
    "--output", "-o", metavar="FILE", help="Write results to FILE (atomically).",
    rich_help_panel=OUT)]
FailAboveOpt = Annotated[Optional[float], typer.Option(
    "--fail-above", metavar="X", help="Exit 1 when the loss exceeds X.", rich_help_panel=CI)]
BaselineOpt = Annotated[Optional[str], typer.Option(
    "--baseline", metavar="FILE.json", help="Exit 1 when the loss exceeds this earlier cece "
    "JSON result by more than --tolerance.", rich_help_panel=CI)]
ToleranceOpt = Annotated[Optional[str], typer.Option(
    "--tolerance", metavar="T|T%", help="Allowed increase over --baseline: absolute (0.01) or "
    "relative (2%); default 0.", rich_help_panel=CI)]
StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="Turn warnings into errors (exit 2).", rich_help_panel=CI)]


def _help(*paragraphs: str) -> str:
    """Help text: paragraphs joined by blank lines (rich keeps single line breaks)."""
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _examples(*lines: str) -> str:
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)


def _output(fmt: Format, quiet: bool, rows: str, worst: int | None, per_class: bool,
            samples: bool, output: str | None, fail_above: float | None,
            baseline: str | None, tolerance: str | None, strict: bool,
            hist: bool = False) -> dict:
    """The output and CI options every loss command shares."""
    return dict(fmt=fmt.value, quiet=quiet, rows=rows, worst=worst, per_class=per_class,
                samples=samples, output=output, fail_above=fail_above, baseline=baseline,
                tolerance=tolerance, strict=strict, hist=hist)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cece {__version__}")
        raise typer.Exit()


@app.callback(epilog=_examples(
    "cece categorical preds.csv labels.csv",
    "cece categorical dump.npy tokens.npy -q --fail-above 2.9",
))
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show tracebacks (also CECE_DEBUG=1); allowed anywhere.")] = False,
) -> None:
    """Cross-entropy from files: exact, explained, and safe in pipelines and CI."""


@app.command(
    short_help="Softmax (multi-class) cross-entropy, as PyTorch computes it.",
    help=_help(
        "Softmax (multi-class) cross-entropy, a.k.a. log loss / NLL, as PyTorch computes it.",
        """Labels may be class indices, class names (through the PREDS header or --classes),
        or dense rows (one-hot or soft targets). Values match
        torch.nn.functional.cross_entropy for --weight, --ignore-index and
        --label-smoothing, including its weighted mean.""",
    ),
    epilog=_examples(
        "cece categorical sample_data/catdogpig_logits.csv sample_data/catdogpig_labels.csv",
        "cece categorical '[[1,2,3],[2,4,6]]' '[0,2]' -f json",
        "cece categorical probs.csv onehot.csv --from probs --renormalize -q",
        "cece categorical eval.csv --label-col label --per-class --worst 5",
    ),
)
def categorical(
    preds: PredsArg,
    labels: LabelsArg = None,
    kind: FromOpt = Kind.auto,
    reduction: ReductionOpt = Reduction.mean,
    base: BaseOpt = Base.e,
    weight: Annotated[Optional[str], typer.Option(
        "--weight", "-w", metavar="W1,W2,..", help="Class weights, one per class (PyTorch "
        "weight=).", rich_help_panel=LOSS)] = None,
    ignore_index: Annotated[Optional[int], typer.Option(
        "--ignore-index", metavar="I", help="Skip samples with this label (PyTorch "
        "ignore_index).", rich_help_panel=LOSS)] = None,
    label_smoothing: SmoothingOpt = 0.0,
    sample_weight: SampleWeightOpt = None,
    focal_gamma: GammaOpt = None,
    focal_alpha: AlphaOpt = None,
    eps: EpsOpt = None,
    renormalize: Annotated[bool, typer.Option(
        "--renormalize", help="Divide probability rows by their sum first (Keras).",
        rich_help_panel=LOSS)] = False,
    pred_cols: PredColsOpt = None,
    label_col: LabelColOpt = None,
    classes: ClassesOpt = None,
    class_axis: ClassAxisOpt = -1,
    stdin_format: StdinOpt = StdinFormat.csv,
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
) -> None:
    from cece.cli import run as commands

    code = commands.run_categorical(
        preds, labels,
        loss=dict(kind=kind.value, reduction=reduction.value, base=base.value, weight=weight,
                  ignore_index=ignore_index, label_smoothing=label_smoothing,
                  sample_weight=sample_weight, focal_gamma=focal_gamma,
                  focal_alpha=focal_alpha, eps=eps, renormalize=renormalize,
                  pred_cols=pred_cols, label_col=label_col, classes=classes,
                  class_axis=class_axis, stdin_format=stdin_format.value),
        out=_output(fmt, quiet, rows, worst, per_class, samples, output, fail_above, baseline,
                    tolerance, strict, hist),
    )
    if code:
        raise typer.Exit(code)


@app.command(
    short_help="Sigmoid (binary) cross-entropy: binary, multi-label, soft.",
    help=_help(
        "Sigmoid (binary) cross-entropy, element-wise: binary, multi-label and soft targets.",
        """PREDS is one column (binary) or N×K (multi-label, each column its own sigmoid);
        targets have the same shape, hard (0/1) or soft (in [0, 1]). A sample's loss is the
        mean over its K columns; --reduction mean averages all elements, sum adds them (as
        PyTorch's binary_cross_entropy[_with_logits]). For soft targets cece also reports the
        targets' entropy (the least loss any prediction can reach) and the KL excess.""",
    ),
    epilog=_examples(
        "cece binary 0.7 0.6",
        "cece binary sample_data/seed004_logits.csv sample_data/seed004_labels.csv --pos-weight 3",
        "cece binary scores.npy targets.npy --from logits -f json",
        "cece binary probs.csv targets.csv --label-smoothing 0.1 --focal-gamma 2",
    ),
)
def binary(
    preds: PredsArg,
    labels: LabelsArg = None,
    kind: Annotated[BinaryKind, typer.Option(
        "--from", help="What PREDS holds; auto: probabilities when every value is in [0, 1].",
        rich_help_panel=IN)] = BinaryKind.auto,
    reduction: ReductionOpt = Reduction.mean,
    base: BaseOpt = Base.e,
    pos_weight: Annotated[Optional[str], typer.Option(
        "--pos-weight", metavar="W|W1,W2,..", help="Weight of the positive term: one value, or "
        "one per column (PyTorch pos_weight=).", rich_help_panel=LOSS)] = None,
    label_smoothing: Annotated[float, typer.Option(
        "--label-smoothing", metavar="EPS", help="Targets become y(1-ε) + ε/2 (Keras).",
        rich_help_panel=LOSS)] = 0.0,
    sample_weight: SampleWeightOpt = None,
    focal_gamma: GammaOpt = None,
    focal_alpha: Annotated[Optional[float], typer.Option(
        "--focal-alpha", metavar="A", help="Focal class balance: α for positives, 1-α for "
        "negatives (Keras apply_class_balancing).", rich_help_panel=LOSS)] = None,
    eps: EpsOpt = None,
    threshold: Annotated[float, typer.Option(
        "--threshold", help="Probability above which a prediction counts as positive "
        "(accuracy).", rich_help_panel=LOSS)] = 0.5,
    pred_cols: PredColsOpt = None,
    label_col: LabelColOpt = None,
    stdin_format: StdinOpt = StdinFormat.csv,
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
) -> None:
    from cece.cli import run as commands

    code = commands.run_binary(
        preds, labels,
        loss=dict(kind=kind.value, reduction=reduction.value, base=base.value,
                  pos_weight=pos_weight, label_smoothing=label_smoothing,
                  sample_weight=sample_weight, focal_gamma=focal_gamma,
                  focal_alpha=focal_alpha, eps=eps, threshold=threshold,
                  pred_cols=pred_cols, label_col=label_col, stdin_format=stdin_format.value),
        out=_output(fmt, quiet, rows, worst, per_class, samples, output, fail_above, baseline,
                    tolerance, strict, hist),
    )
    if code:
        raise typer.Exit(code)


@app.command(
    short_help="Combine shard JSON summaries into one exact summary.",
    help=_help(
        "Combine the JSON summaries of shards into the summary of their union, exactly.",
        """Each input is a document written by cece ... -f json (or by cece merge). Count,
        sum, mean, std, min, max, accuracy and perplexity of the union are exact, from the
        mergeable sums every document carries; the median needs every sample and is not
        kept. Shards must be the same loss with the same options.""",
    ),
    epilog=_examples(
        "cece merge shard-0.json shard-1.json shard-2.json",
        "cece merge shards/*.json -f json -o all.json",
        "cece merge shards/*.json -q --baseline baseline.json --tolerance 1%",
    ),
)
def merge(
    summaries: Annotated[list[str], typer.Argument(
        metavar="SUMMARY.json...", help="JSON documents written by cece -f json.",
        show_default=False)],
    fmt: FormatOpt = Format.table,
    quiet: QuietOpt = False,
    output: OutputOpt = None,
    fail_above: FailAboveOpt = None,
    baseline: BaselineOpt = None,
    tolerance: ToleranceOpt = None,
) -> None:
    from cece.cli import run as commands

    code = commands.run_merge(summaries, _output(fmt, quiet, "0", None, False, False, output,
                                                 fail_above, baseline, tolerance, False))
    if code:
        raise typer.Exit(code)


from cece.cli import tools as cli_tools

# -- the one place errors become exit codes --------------------------------------------------------

_CLICK_ERRORS = tuple(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    cut = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:cut] or os.environ.get("CECE_DEBUG", "") not in ("", "0")
    args = [a for i, a in enumerate(args) if a != "--debug" or i >= cut]
    if not debug:  # numpy's RuntimeWarnings are not for users: cece reports what they mean
        warnings.filterwarnings("ignore", category=RuntimeWarning)
    if argv is None:
        if hasattr(signal, "SIGPIPE"):
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `cece ... | head` ends quietly
        _keep_freed_memory()
        _one_blas_thread()
    try:
        with _only_the_command(args):
            code = app(args=args, prog_name="cece", standalone_mode=False)
        code = code if isinstance(code, int) else 0
        if code == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into a silent Exit(130)
            print("cece: interrupted", file=sys.stderr)
    except CeceError as exc:
        code = _error(exc.message, exc.hint, exc.exit_code, debug)
    except _CLICK_ERRORS as exc:  # usage errors: unknown option, bad value, missing argument
        code = _usage_error(exc, debug)
    except KeyboardInterrupt:
        print("cece: interrupted", file=sys.stderr)
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        code = ExitCode.OK
    except Exception as exc:  # a bug in cece
        if debug:
            raise
        code = _error(f"internal error ({type(exc).__name__}: {exc}); this is a bug in cece, "
                      "please report it with the command you ran", "rerun with --debug for "
                      "the traceback", ExitCode.INTERNAL_ERROR, False)
    sys.exit(int(code))


@contextlib.contextmanager
def _only_the_command(args: list[str]):
    """Build only the command being run: Typer turns every registered command into a Click
    command (~5 ms each, for their ~30 options) before dispatching to one of them."""
    commands = list(app.registered_commands)
    first = next((a for a in args if not a.startswith("-")), None)
    chosen = [c for c in commands if (c.name or c.callback.__name__) == first]
    if chosen:
        app.registered_commands[:] = chosen
    else:  # the list of commands (or a misspelt one): names and help lines only
        app.registered_commands[:] = [_listed(c) for c in commands]
    try:
        yield
    finally:
        app.registered_commands[:] = commands


def _listed(command):
    """A copy of a registered command whose callback takes no options: enough for a list of
    commands, and Typer skips introspecting ~150 options (a third of ``cece --help``)."""
    import copy

    def listed() -> None:
        pass

    listed.__doc__, listed.__name__ = command.callback.__doc__, command.callback.__name__
    shown = copy.copy(command)
    shown.callback = listed
    return shown


def _keep_freed_memory() -> None:
    """Ask glibc to keep freed blocks for reuse instead of returning them to the kernel.

    numpy arrays of a few hundred KiB are otherwise mmap-ed and unmapped block after block:
    each costs page faults, and the memory-map lock it takes stalls the other workers. Measured
    here: a 1e7-logit binary run went from 0.31 to 0.16 s. Best effort (glibc only), and only
    for the command-line process, never when cece is imported as a library.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD: serve blocks < 64 MiB from the heap
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: keep up to 1 GiB of freed heap
    except (OSError, AttributeError):
        pass


def _one_blas_thread() -> None:
    """Keep numpy's BLAS to one thread in the command-line process (before numpy loads).

    cece runs its blocks on every core itself. An OpenBLAS call made from those workers (the
    ``np.dot`` of the spread, the ``@`` of weighted soft targets) otherwise wakes OpenBLAS's own
    pool, whose threads spin after every call and take the cores from the workers: measured
    here, 34 % of a 10⁷ × 10 run's CPU time went to ``blas_thread_server`` and two workers ran
    no faster than one. The user's own setting, if any, wins.
    """
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def _error(message: str, hint: str | None, code: int, debug: bool) -> int:
    if debug:
        import traceback

        traceback.print_exc()
    print(f"{stderr_prefix('error')} {message}", file=sys.stderr)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)
    return code


def _usage_error(exc: Exception, debug: bool) -> int:
    message = exc.format_message()  # type: ignore[attr-defined]
    if type(exc).__name__ == "NoArgsIsHelpError":
        print(message)
        return ExitCode.OK
    message = message.replace("Value error, ", "")
    message = message[0].lower() + message[1:] if message else message
    ctx = getattr(exc, "ctx", None)
    where = f"{ctx.command_path} --help" if ctx is not None else "cece --help"
    return _error(message.rstrip("."), f"see {where}", ExitCode.INPUT_ERROR, debug)
