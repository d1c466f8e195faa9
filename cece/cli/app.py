"""The Typer application: its root options, the registry of commands, and how help is laid out.

The commands register here through :func:`command` (in :mod:`cece.cli.loss` and
:mod:`cece.cli.tools`). :func:`build` makes a ``typer.Typer`` holding what one run needs: every
command, only the command being run, or stand-ins that carry the commands' names and help lines
but no options (for the list of commands in ``cece --help``). Only Typer's public API is used:
``typer.Typer(...)``, ``.callback()``, ``.command()``.
"""

from collections.abc import Callable
from typing import Annotated

import typer

from cece import __version__
from cece.cli.params import examples

HELP = "Cross-entropy from files: exact, explained, and safe in pipelines and CI."


class Command:
    """A registered command: its callback and the keyword arguments of ``Typer.command()``."""

    __slots__ = ("callback", "name", "settings")

    def __init__(self, name: str, callback: Callable[..., None], settings: dict) -> None:
        self.name, self.callback, self.settings = name, callback, settings


COMMANDS: dict[str, Command] = {}  # in registration order: the order of `cece --help`


def command(name: str | None = None, **settings) -> Callable:
    """Register a command (a decorator taking ``Typer.command()``'s keyword arguments)."""

    def register(callback: Callable[..., None]) -> Callable[..., None]:
        key = name or callback.__name__
        COMMANDS[key] = Command(key, callback, settings)
        return callback

    return register


def build(names: list[str] | None = None, *, listed: bool = False) -> typer.Typer:
    """A Typer app with the commands ``names`` (default: all) and the root options.

    ``listed``: stand-ins without options, enough to list the commands (Typer need not
    introspect ~150 options).
    """
    app = typer.Typer(
        name="cece",
        help=HELP,
        add_completion=False,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
        rich_markup_mode=None,  # plain help: rich's formatter would double `cece --help`'s start-up
    )
    app.callback(epilog=examples(
        "cece categorical preds.csv labels.csv",
        "cece categorical dump.npy tokens.npy -q --fail-above 2.9",
    ))(_root)
    for name in COMMANDS if names is None else names:
        entry = COMMANDS[name]
        callback = _stand_in(entry) if listed else entry.callback
        app.command(name, **entry.settings)(callback)
    return app


def _stand_in(entry: Command) -> Callable[[], None]:
    def listed() -> None:
        pass

    listed.__name__, listed.__doc__ = entry.callback.__name__, entry.callback.__doc__
    return listed


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cece {__version__}")
        raise typer.Exit()


def _help(ctx: typer.Context, value: bool) -> None:
    # cece's own --help: Typer 0.29 builds a pydantic adapter for the default (None) of the help
    # option it adds itself, whenever a command runs; this flag's default is False (no adapter).
    if value and not ctx.resilient_parsing:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show tracebacks (also CECE_DEBUG=1); allowed anywhere.")] = False,
    show_help: Annotated[bool, typer.Option(
        "--help", "-h", callback=_help, is_eager=True, expose_value=False,
        help="Show this message and exit.")] = False,
) -> None:
    """Cross-entropy from files: exact, explained, and safe in pipelines and CI."""
