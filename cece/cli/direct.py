"""The direct path: a plain ``cece categorical``, ``binary``, ``entropy`` or ``kl`` command
line, run without importing Typer (start-up).

Importing Typer and building the command from its signature cost a loss run ~40 ms, a third of
a 10⁷-value binary run. Most command lines are plain: the command first, then arguments and
options spelt out (``--from logits``, ``--from=logits``, ``-q``, ``-f json``). For those,
:func:`parse` reads the values by the table :mod:`cece.cli.direct_spec`, which
:mod:`cece.cli.snapshot` draws from the Typer commands' own signatures (the one place where an
option is declared), converts them as Click does (:mod:`cece.cli.convert`) and hands them to
the same function Typer's command calls (:mod:`cece.cli.invoke`).

It reads a command line or leaves it to Typer: never an error, never a guess. Anything else
goes to Typer, which parses it as it always did (``--help``, ``--``, an unknown option, short
options run together, an option given twice, a value that does not convert, an argument
missing or too many, shell completion). ``tests/test_direct.py`` checks, over generated
command lines, that every one read here gets the values Typer would give.
"""

from __future__ import annotations

import os
from typing import Any

from cece.cli import invoke
from cece.cli.convert import Invalid, by_name
from cece.cli.direct_spec import COMMANDS
from cece.cli.state import COMPLETE_VAR


def parse(args: list[str]) -> tuple[str, dict[str, Any]] | None:
    """(the command, its parameters' values) of a plain command line, else None (Typer's)."""
    if not args or args[0] not in COMMANDS or os.environ.get(COMPLETE_VAR):
        return None
    spec = COMMANDS[args[0]]
    given: dict[str, Any] = {}
    positional: list[str] = []
    rest = args[1:]
    i = 0
    while i < len(rest):
        token = rest[i]
        i += 1
        if token[:1] != "-" or token == "-":  # Click's test: "-" alone is an argument
            positional.append(token)
            continue
        name, eq, explicit = token.partition("=") if token[:2] == "--" else (token, "", "")
        entry = spec["options"].get(name)
        if entry is None or entry[0] in given:  # -h, --, -qf, unknown, twice: Typer's
            return None
        param, flag = entry
        if flag is not None:
            if eq:  # --quiet=x: Click's error
                return None
            given[param] = flag
        elif eq:
            given[param] = explicit
        elif i < len(rest):  # Click takes the next word, whatever it is
            given[param] = rest[i]
            i += 1
        else:  # an option without its value: Click's error
            return None
    slots = spec["arguments"]
    if len(positional) > len(slots) or any(s[2] for s in slots[len(positional) :]):
        return None
    given.update(zip((s[0] for s in slots), positional))
    values: dict[str, Any] = {}
    for param, (kind, default) in spec["params"].items():
        raw = given.get(param, default)
        try:
            values[param] = None if raw is None else by_name(kind)(raw)
        except Invalid:  # Click's message for it
            return None
    return args[0], values


def run(name: str, values: dict[str, Any]) -> int:
    """Run a command parsed by :func:`parse`: its exit code."""
    sharded = [(s[1], values[s[0]]) for s in COMMANDS[name]["arguments"]]
    sharded = [(slot, v) for slot, v in sharded if isinstance(v, str) and "-of-" in v]
    if len(sharded) > 1:  # as CeceCommand.parse_args does on Typer's path
        invoke.one_shard_set(sharded)
    code: int = getattr(invoke, name)(values)
    return code
