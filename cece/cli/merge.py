"""``cece merge``: shard documents combined into the exact summary of their union.

Registered like the loss commands (:mod:`cece.cli.loss`); parses its options and calls
:mod:`cece.cli.run`.
"""

from typing import Annotated

import typer

from cece.cli.app import command
from cece.cli.choices import Format
from cece.cli.invoke import output_options
from cece.cli.params import (
    BaselineOpt,
    ConfidenceOpt,
    FailAboveOpt,
    FormatOpt,
    OutputOpt,
    QuietOpt,
    ToleranceOpt,
    examples,
    help_text,
)


@command(
    short_help="Combine shard JSON summaries into one exact summary.",
    help=help_text(
        "Combine the JSON summaries of shards into the summary of their union, exactly.",
        """Each input is a document written by cece ... -f json (or by cece merge). Count,
        sum, mean, its stderr and CI, std, min, max, accuracy and perplexity of the union are
        exact, from the mergeable sums every document carries; the median is not kept. Shards
        must be the same loss with the same options, each given once (input fingerprints).""",
    ),
    epilog=examples(
        "cece merge shard-0.json shard-1.json shard-2.json",
        "cece merge shards/*.json -f json -o all.json",
        "cece merge shards/*.json -q --baseline baseline.json --tolerance 1%",
    ),
)
def merge(
    summaries: Annotated[
        list[str],
        typer.Argument(
            metavar="SUMMARY.json...",
            help="JSON documents written by cece -f json.",
            show_default=False,
        ),
    ],
    fmt: FormatOpt = Format.table,
    quiet: QuietOpt = False,
    output: OutputOpt = None,
    fail_above: FailAboveOpt = None,
    baseline: BaselineOpt = None,
    tolerance: ToleranceOpt = None,
    confidence: ConfidenceOpt = 0.95,
) -> None:
    from cece.cli import run as commands

    out = output_options(
        fmt, quiet, "0", None, False, False, output, fail_above, baseline, tolerance, False
    )
    code = commands.run_merge(summaries, {**out, "confidence": confidence})
    if code:
        raise typer.Exit(code)
