"""The Typer application: its root options, the registry of commands, and how help is laid out.

The commands register here through :func:`command` (in :mod:`cece.cli.loss` and
:mod:`cece.cli.tools`). :func:`build` makes a ``typer.Typer`` holding what one run needs: every
command, only the command being run, or stand-ins that carry the commands' names and help lines
but no options (for the list of commands in ``cece --help``). Only Typer's public API is used:
``typer.Typer(...)``, ``.callback()``, ``.command(cls=...)``; help is laid out by overriding
Click's documented ``collect_usage_pieces`` and ``format_options`` in a ``TyperCommand``.
"""

from collections.abc import Callable
from typing import Annotated

import typer
from typer.core import TyperCommand

from cece import __version__
from cece.cli import coerce, invoke
from cece.cli.params import examples

HELP = "Cross-entropy from files: exact, explained, and safe in pipelines and CI."


class Command:
    """A registered command: its callback and the keyword arguments of ``Typer.command()``."""

    __slots__ = ("callback", "name", "settings")

    def __init__(self, name: str, callback: Callable[..., None], settings: dict) -> None:
        self.name, self.callback, self.settings = name, callback, settings


COMMANDS: dict[str, Command] = {}  # the commands registered so far (see commands())
# Every command, in the order of `cece --help`, and the module that registers it: a run imports
# only its own command's module (start-up), the list of commands all of them.
MODULES = {
    "categorical": "loss",
    "binary": "loss",
    "merge": "merge",
    "compare": "compare",
    "entropy": "measures",
    "kl": "measures",
    "explain": "tools",
    "curve": "tools",
    "inspect": "tools",
}
SHARDED_COMMANDS = ("categorical", "binary", "entropy", "kl", "compare")  # files or shards


def command(name: str | None = None, **settings) -> Callable:
    """Register a command (a decorator taking ``Typer.command()``'s keyword arguments)."""

    def register(callback: Callable[..., None]) -> Callable[..., None]:
        key = name or callback.__name__
        COMMANDS[key] = Command(key, callback, settings)
        return callback

    return register


def commands(names: list[str] | None = None) -> dict[str, Command]:
    """The commands ``names`` (default: all, in the order of ``cece --help``), their modules
    imported on first use."""
    import importlib

    wanted = list(MODULES) if names is None else names
    for name in wanted:
        if name not in COMMANDS:
            importlib.import_module(f"cece.cli.{MODULES[name]}")
    return {name: COMMANDS[name] for name in wanted}


def build(
    names: list[str] | None = None, *, listed: bool = False, completion: bool = False
) -> typer.Typer:
    """A Typer app with the commands ``names`` (default: all) and the root options.

    ``listed``: stand-ins without options, enough to list the commands (Typer need not
    introspect ~150 options). ``completion``: Typer's ``--install-completion`` and
    ``--show-completion`` options (and the completion protocol's shells).
    """
    app = typer.Typer(
        name="cece",
        help=HELP,
        add_completion=completion,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
        rich_markup_mode=None,  # plain help: rich's formatter would double `cece --help`'s start-up
    )
    app.callback(
        epilog=examples(
            "cece categorical preds.csv labels.csv",
            "cece categorical dump.npy tokens.npy -q --fail-above 2.9",
        )
    )(_root)
    for name, entry in commands(names).items():
        callback = _stand_in(entry) if listed else entry.callback
        app.command(name, cls=CeceCommand, **entry.settings)(callback)
    return app


def _stand_in(entry: Command) -> Callable[[], None]:
    def listed() -> None:
        pass

    listed.__name__, listed.__doc__ = entry.callback.__name__, entry.callback.__doc__
    return listed


def _version(value: bool) -> None:
    if value:
        from cece import _native  # numpy: only for --version

        typer.echo(f"cece {__version__}\n{_native.kernels_line()}")
        raise typer.Exit()


def _help(ctx: typer.Context, value: bool) -> None:
    # cece's own --help: Typer 0.29 builds a pydantic adapter for the default (None) of the help
    # option it adds itself, whenever a command runs; this flag's default is False (no adapter).
    if value and not ctx.resilient_parsing:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (also CECE_DEBUG=1); allowed anywhere.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Say on stderr which cece, Python, numpy, kernels and parser computed the run "
            "(also CECE_VERBOSE=1); allowed anywhere.",
        ),
    ] = False,
    show_help: Annotated[
        bool,
        typer.Option(
            "--help",
            "-h",
            callback=_help,
            is_eager=True,
            expose_value=False,
            help="Show this message and exit.",
        ),
    ] = False,
) -> None:
    """Cross-entropy from files: exact, explained, and safe in pipelines and CI."""


class CeceCommand(TyperCommand):
    """A command's help: ``cece X [OPTIONS] PREDS [LABELS]``, then the options by group.

    Typer writes required arguments as ``{PREDS}`` in usage lines (0.28+) and adds the type to
    their names (``PREDS <str>``, 0.29); the options carry their group in ``rich_help_panel``,
    which only Typer's rich formatter shows. Click's plain formatter, fed here, does both
    (``collect_usage_pieces`` and ``format_options`` are Click's documented hooks).
    """

    def format_help_text(self, ctx, formatter) -> None:
        """The description, each paragraph wrapped to the terminal as Click would, but never
        after the hyphen of an option's name (``--label-`` / ``smoothing``)."""
        import textwrap

        if not self.help:
            return
        formatter.write_paragraph()
        with formatter.indentation():
            width = max(formatter.width - formatter.current_indent, 20)
            formatter.write_text(
                "\n\n".join(
                    "\b\n"
                    + textwrap.fill(
                        paragraph, width, break_on_hyphens=False, break_long_words=False
                    )
                    for paragraph in self.help.split("\n\n")
                )
            )

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        """Click's parsing, then: two shards of one ``-NNNNN-of-MMMMM`` set given as two of
        the arguments (``cece categorical preds-*.npy`` over two shards, unquoted: PREDS and
        LABELS both predictions) are refused, not computed into a wrong number."""
        entry = COMMANDS.get(self.name or "")
        if entry is not None:  # Typer 0.29: not pydantic's adapters (start-up)
            coerce.install(self, ctx, entry.callback)
        rest = super().parse_args(ctx, args)
        if self.name in SHARDED_COMMANDS and not ctx.resilient_parsing:
            slots = [p for p in self.get_params(ctx) if p.param_type_name == "argument"]
            given = [(p, ctx.params.get(p.name)) for p in slots]
            given = [(p, v) for p, v in given if isinstance(v, str) and "-of-" in v]
            if len(given) > 1:
                invoke.one_shard_set([(_argument(p).strip("[]"), v) for p, v in given])
        return rest

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        return pieces + [
            _argument(p) for p in self.get_params(ctx) if p.param_type_name == "argument"
        ]

    def format_options(self, ctx, formatter) -> None:
        # Sections as Typer's rich help orders its panels: Arguments, Options (the options
        # without a group: -h/--help), then each group in the order of its first option.
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                sections["Arguments"].append((_argument(param), record[1]))
            else:
                group = getattr(param, "rich_help_panel", None) or "Options"
                sections.setdefault(group, []).append(record)
        options = [
            term for title, rows in sections.items() if title != "Arguments" for term, _ in rows
        ]
        width = min(max(map(len, options), default=0), 30)  # one column for every group
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(
                        rows
                        if title == "Arguments"
                        else [(term.ljust(width), text) for term, text in rows]
                    )


def _argument(param) -> str:
    """``PREDS``, ``[LABELS]``, ``SUMMARY.json...``: an argument as usage lines show it."""
    name = param.metavar or (param.name or "").upper()
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name if param.required else f"[{name}]"
