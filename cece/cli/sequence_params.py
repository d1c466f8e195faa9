"""The options of ``cece categorical`` for language-model evaluation by sequence:
``--per-sequence``, ``--sequence-ids``, ``--bytes``, ``--words`` (their aliases, as in
:mod:`cece.cli.params`)."""

from typing import Annotated

import typer

from cece.cli.params import LOSS, OUT

PerSequenceOpt = Annotated[
    bool,
    typer.Option(
        "--per-sequence",
        help="Each sequence's token count, mean loss and perplexity (sequences: the labels' "
        "first axis, or --sequence-ids); -f jsonl/csv then write one record a sequence.",
        rich_help_panel=OUT,
    ),
]
SequenceIdsOpt = Annotated[
    str | None,
    typer.Option(
        "--sequence-ids",
        metavar="FILE|COL",
        help="A flat dump's sequences: one integer id a row (a file or a PREDS column), "
        "each sequence's rows together.",
        rich_help_panel=LOSS,
    ),
]
BytesOpt = Annotated[
    str | None,
    typer.Option(
        "--bytes",
        metavar="N|FILE",
        help="UTF-8 bytes of the text scored: a total or one count a sequence; adds "
        "bits_per_byte and byte_perplexity (lm-eval-harness).",
        rich_help_panel=LOSS,
    ),
]
WordsOpt = Annotated[
    str | None,
    typer.Option(
        "--words",
        metavar="N|FILE",
        help="Words of the text scored: a total or one count a sequence; adds "
        "word_perplexity (lm-eval-harness).",
        rich_help_panel=LOSS,
    ),
]
