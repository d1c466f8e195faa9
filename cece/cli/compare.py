"""``cece compare BASELINE CANDIDATE [LABELS]``: two models' losses, paired per sample.

Its loss and input options are those of ``cece categorical`` (default) and ``cece binary``
(``--binary``), taken from those commands' own signatures, so the three never drift apart; an
option of the other command is refused. Numpy and rich are imported in
:mod:`cece.cli.run_compare`, not here (start-up).
"""

import inspect
import math
import os
from enum import Enum
from typing import Annotated, get_args

import typer

from cece.cli import loss
from cece.cli.app import command
from cece.cli.choices import Kind
from cece.cli.params import (
    CI,
    IN,
    LOSS,
    ConfidenceOpt,
    LabelsArg,
    examples,
    help_text,
)

# the loss commands' parameters that compare declares itself, or does not take
OWN = {"preds", "labels", "kind", "reduction", "rows", "worst", "per_class", "hist", "samples"}
OWN |= {"baseline", "tolerance"}
OWN |= {"per_sequence", "sequence_ids", "n_bytes", "n_words"}  # statistics of one model's sequences
OWN |= {"engine", "scheduler", "workers"}  # one file a model, on this machine
STATS = "Statistics"
OUTPUT = ("fmt", "quiet", "output", "fail_above", "strict")

BaselineArg = Annotated[
    str,
    typer.Argument(
        metavar="BASELINE", help="The reference model's predictions (as PREDS).", show_default=False
    ),
]
CandidateArg = Annotated[
    str,
    typer.Argument(
        metavar="CANDIDATE", help="The new model's predictions (as PREDS).", show_default=False
    ),
]
BinaryOpt = Annotated[
    bool,
    typer.Option(
        "--binary",
        help="Sigmoid cross-entropy (cece binary's loss and options).",
        rich_help_panel=LOSS,
    ),
]
FromBothOpt = Annotated[
    Kind,
    typer.Option(
        "--from",
        help="What both files hold (auto: decided for each file, stated).",
        rich_help_panel=IN,
    ),
]
BaselineFromOpt = Annotated[
    Kind | None,
    typer.Option(
        "--baseline-from",
        help="What BASELINE holds (overrides --from).",
        show_default=False,
        rich_help_panel=IN,
    ),
]
CandidateFromOpt = Annotated[
    Kind | None,
    typer.Option(
        "--candidate-from",
        help="What CANDIDATE holds (overrides --from).",
        show_default=False,
        rich_help_panel=IN,
    ),
]
BootstrapOpt = Annotated[
    int | None,
    typer.Option(
        "--bootstrap",
        metavar="N",
        help="Add a paired percentile bootstrap interval of N resamples.",
        show_default=False,
        rich_help_panel=STATS,
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed",
        metavar="S",
        help="The bootstrap's seed (numpy default_rng; 0).",
        show_default=False,
        rich_help_panel=STATS,
    ),
]
FailIfWorseOpt = Annotated[
    bool,
    typer.Option(
        "--fail-if-worse",
        metavar="[MARGIN]",
        help="Exit 1 when the candidate is worse beyond noise: the interval's lower bound "
        "of the difference is above MARGIN (or --margin M; default 0).",
        rich_help_panel=CI,
    ),
]
MarginOpt = Annotated[
    float | None,
    typer.Option(
        "--margin",
        metavar="M",
        help="The difference --fail-if-worse tolerates (in the loss's unit; default 0).",
        show_default=False,
        rich_help_panel=CI,
    ),
]


def _own_parameters() -> list[inspect.Parameter]:
    P = inspect.Parameter
    own = [
        ("baseline_preds", BaselineArg, P.empty),
        ("candidate_preds", CandidateArg, P.empty),
        ("labels", LabelsArg, None),
        ("binary", BinaryOpt, False),
        ("kind", FromBothOpt, Kind.auto),
        ("baseline_from", BaselineFromOpt, None),
        ("candidate_from", CandidateFromOpt, None),
        ("confidence", ConfidenceOpt, 0.95),
        ("bootstrap", BootstrapOpt, None),
        ("seed", SeedOpt, None),
        ("fail_if_worse", FailIfWorseOpt, False),
        ("margin", MarginOpt, None),
    ]
    return [P(n, P.POSITIONAL_OR_KEYWORD, annotation=a, default=d) for n, a, d in own]


def _loss_parameters() -> tuple[list[inspect.Parameter], set[str], set[str]]:
    """The loss and input options of categorical and binary (each once), then the output
    options; with the names only categorical, and only binary, takes."""
    cat = inspect.signature(loss.categorical).parameters
    sig = inspect.signature(loss.binary).parameters
    taken = OWN | {p.name for p in _own_parameters()}
    merged: dict[str, inspect.Parameter] = {}
    for name, param in [*cat.items(), *sig.items()]:  # categorical's wording where both have it
        if name not in taken:
            merged.setdefault(name, param)
    out = [p for n, p in merged.items() if n not in OUTPUT] + [merged[n] for n in OUTPUT]
    return out, set(cat) - set(sig) - taken, set(sig) - set(cat) - taken


LOSS_PARAMETERS, CATEGORICAL_ONLY, BINARY_ONLY = _loss_parameters()
DEFAULTS = {p.name: p.default for p in LOSS_PARAMETERS}


def optional_margin(args: list[str]) -> list[str]:
    """``cece compare ... --fail-if-worse 0.01``: a number right after ``--fail-if-worse`` (or
    ``--fail-if-worse=0.01``) is its margin, passed on as ``--margin`` (Typer has no options
    with an optional value). A token that names a file stays an argument."""
    cut = args.index("--") if "--" in args else len(args)
    command = next((a for a in args[:cut] if not a.startswith("-")), None)
    if command != "compare":
        return args
    out: list[str] = []
    for i, arg in enumerate(args):
        if i < cut and arg.startswith("--fail-if-worse="):
            out += ["--fail-if-worse", "--margin", arg.split("=", 1)[1]]
            continue
        out.append(arg)
        if i < cut and arg == "--fail-if-worse" and i + 1 < cut and _margin(args[i + 1]):
            out.append("--margin")
    return out


def _margin(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and not os.path.exists(text)


def flag(name: str) -> str:
    """The option's spelling (``--weight``) from its declaration."""
    info = get_args(next(p for p in LOSS_PARAMETERS if p.name == name).annotation)[1]
    decls = [info.default] if isinstance(info.default, str) else []
    return next(d for d in [*decls, *(info.param_decls or ())] if d.startswith("--"))


@command(
    short_help="Is the candidate worse? Two models' losses, paired per sample.",
    help=help_text(
        "Compare two models on the same labels: the same loss per sample, paired.",
        """Computes the loss of BASELINE and CANDIDATE (categorical by default, --binary for
        sigmoid; every loss option applies to both) and the per-sample difference
        delta = loss(candidate) - loss(baseline), positive when the candidate is worse: its mean
        (for weighted means, the difference of the two weighted means), standard error,
        confidence interval and paired t-test p-value (scipy.stats.ttest_rel when unweighted),
        how many samples got better, worse or tied, and which samples only one model gets
        right. --fail-if-worse [MARGIN] exits 1 when the interval's lower bound is above
        MARGIN (default 0; also --margin M).""",
    ),
    epilog=examples(
        "cece compare sample_data/catdogpig_logits.csv sample_data/soft_probs.csv "
        "sample_data/catdogpig_labels.csv",
        "cece compare sample_data/catdogpig_logits.npy sample_data/soft_probs.csv "
        "sample_data/catdogpig_labels.npy -f json --bootstrap 2000 --seed 1",
        "cece compare sample_data/catdogpig_logits.csv sample_data/soft_probs.csv "
        "sample_data/catdogpig_labels.csv --fail-if-worse --margin 0.01",
        "cece compare sample_data/pixels_pred.csv sample_data/pixels_softmax.csv "
        "sample_data/pixels_target.csv --binary --candidate-from probs -f csv",
    ),
)
def compare(**values) -> None:
    from cece.cli import run_compare

    binary = values.pop("binary")
    other = CATEGORICAL_ONLY if binary else BINARY_ONLY
    for name in sorted(other, key=list(DEFAULTS).index):
        if values[name] != DEFAULTS[name]:
            command_name = "--binary" if not binary else "categorical (without --binary)"
            run_compare.refuse(f"{flag(name)} applies to cece compare {command_name}")
    plain = {k: v.value if isinstance(v, Enum) else v for k, v in values.items()}
    code = run_compare.run_compare(
        (plain.pop("baseline_preds"), plain.pop("candidate_preds")),
        plain.pop("labels"),
        binary=binary,
        values=plain,
    )
    if code:
        raise typer.Exit(code)


compare.__signature__ = inspect.Signature([*_own_parameters(), *LOSS_PARAMETERS])
