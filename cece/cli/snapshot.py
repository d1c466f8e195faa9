"""Writes :mod:`cece.cli.direct_spec`, the table the direct path parses by, from the Typer
commands themselves: ``python -m cece.cli.snapshot`` (``tests/test_direct.py`` fails when the
table and the commands' signatures disagree).

For each command of :data:`cece.cli.direct_spec.COMMANDS`: its arguments (name, metavar,
required), each option string → (parameter, the value a flag sets or None for an option that
takes a value), each parameter → (its kind, :func:`cece.cli.convert.kind_name`; its default
from the signature). A parameter of another sort (several values, a callback, an environment
variable, a flag whose value is not True/False, a kind cece does not convert) would make the
command's table impossible: this refuses to write it, and the command stays Typer's alone.
"""

from __future__ import annotations

import enum
import inspect
import json
import typing
from pathlib import Path
from typing import Any

import typer

from cece.cli.app import build, commands
from cece.cli.convert import kind_name

DIRECT = ("categorical", "binary", "entropy", "kl")  # with a direct path (cece.cli.invoke)
HEAD = '''"""The direct path's table of the commands' parameters (:mod:`cece.cli.direct`).

Generated from the Typer commands by ``python -m cece.cli.snapshot``; do not edit.
``tests/test_direct.py`` checks that it is what the commands' signatures say.
"""

from typing import Any

'''


def table(name: str) -> dict[str, Any]:
    """One command's table, read off the Click command Typer builds from its signature."""
    callback = commands([name])[name].callback
    hints = typing.get_type_hints(callback)
    signature = inspect.signature(callback)
    group: Any = typer.main.get_command(build([name]))  # a Click group
    with group.make_context("cece", [name, "-"]) as ctx:
        command = group.get_command(ctx, name)
        assert command is not None
        params = command.get_params(ctx)
    arguments, options, kinds = [], {}, {}
    for param in params:
        if param.name == "help":  # -h/--help: Typer's help; the direct path leaves it to Typer
            continue
        assert param.name is not None
        kind = kind_name(hints[param.name])
        plain = param.nargs == 1 and not param.multiple and not getattr(param, "count", False)
        assert plain and kind is not None, (name, param.name, "not a plain value")
        assert param.callback is None and not param.envvar, (name, param.name, "callback")
        assert param.expose_value, (name, param.name)
        default = signature.parameters[param.name].default
        if default is inspect.Parameter.empty:  # a required argument
            default = None
        kinds[param.name] = (kind, default.value if isinstance(default, enum.Enum) else default)
        if param.param_type_name == "argument":
            arguments.append((param.name, param.metavar or param.name.upper(), param.required))
            continue
        assert not param.required, (name, param.name, "a required option")
        flag = bool(getattr(param, "is_flag", False))
        assert not getattr(param, "_flag_needs_value", False), (name, param.name)
        assert not flag or getattr(param, "flag_value", True) in (None, True), param.name
        for opt in param.opts:
            options[opt] = (param.name, True if flag else None)
        for opt in param.secondary_opts:
            assert flag, (name, param.name)
            options[opt] = (param.name, False)
    return {"arguments": arguments, "options": options, "params": kinds}


def source() -> str:
    """The text of :mod:`cece.cli.direct_spec`."""
    tables = {name: table(name) for name in DIRECT}
    return HEAD + "COMMANDS: dict[str, Any] = " + _literal(tables, "") + "\n"


def _literal(value: Any, pad: str) -> str:
    """``value`` as Python source in the layout ``ruff format`` keeps (one item a line)."""
    if isinstance(value, (dict, list)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        key = isinstance(value, dict)
        inner = "".join(
            f"{pad}    {_literal(k, '') + ': ' if key else ''}{_literal(v, pad + '    ')},\n"
            for k, v in items
        )
        left, right = "{}" if key else "[]"
        return f"{left}\n{inner}{pad}{right}" if inner else left + right
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v, pad) for v in value) + ")"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


if __name__ == "__main__":  # pragma: no cover (run by hand; the test compares source())
    Path(__file__).with_name("direct_spec.py").write_text(source(), encoding="utf-8")
