"""The Typer application and its root options (``--version``, ``--debug``).

The commands register on ``app`` in :mod:`cece.cli.loss` and :mod:`cece.cli.tools`;
:mod:`cece.cli.main` runs it.
"""

from typing import Annotated

import typer

from cece import __version__
from cece.cli.params import examples

app = typer.Typer(
    name="cece",
    help="Cross-entropy from files: exact, explained, and safe in pipelines and CI.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    rich_markup_mode=None,  # plain help: rich's formatter would double `cece --help`'s start-up
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cece {__version__}")
        raise typer.Exit()


@app.callback(epilog=examples(
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


