"""Option values converted as Click converts them, without Typer 0.29's pydantic (start-up).

Typer 0.29 coerces every parsed value through a pydantic ``TypeAdapter``: the first value a
run parses imports pydantic (~0.1 s) and each option builds an adapter, even an option left
at its default of None. cece's options are of a few plain kinds (str, int, float, bool, an
Enum of choices, lists of them), which Click converted with ``int()``, ``float()`` and a
lookup, and with these error messages. :func:`install` gives the command's parameters that
conversion when Typer would build adapters for them: each parameter's ``process_value``
(Click's documented hook between parsing and the callback) is replaced on the instance for
this run: converted, checked for a missing required value, then the parameter's callback,
as Typer's method does. What it does not cover (the error of a missing required argument, an
annotation of another kind) goes to Typer's own method, unchanged. Typer before
0.29 converts with Click's types, which cost nothing, and is left alone.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import typer

from cece.cli.convert import Convert, Invalid, converter, same


def install(command: Any, ctx: typer.Context, callback: Callable[..., Any]) -> None:
    """Give ``command``'s parameters cece's conversion (Typer ≥ 0.29: where it builds
    pydantic adapters); ``callback`` is the command's function, whose annotations say the
    kinds."""
    params = command.get_params(ctx)
    if not any(hasattr(p, "get_runtime_param") for p in params):  # Click's types: cheap
        return
    hints = typing.get_type_hints(callback)
    for param in params:
        if param.name in hints:
            convert = converter(hints[param.name])
        else:  # Click's own -h/--help flag
            convert = same if getattr(param, "is_flag", False) else None
        if convert is not None:
            param.process_value = _processor(param, convert, param.process_value)


def _processor(param: Any, convert: Convert, typer_own: Callable[..., Any]) -> Callable:
    multiple = param.multiple or param.nargs == -1

    def process_value(ctx: typer.Context, value: Any) -> Any:
        if value is None:
            value = () if multiple else None
        else:
            try:
                value = convert(value)
            except Invalid as exc:
                raise typer.BadParameter(exc.message, ctx=ctx, param=param) from None
        if param.required and param.value_is_missing(value):
            return typer_own(ctx, None)  # Typer's "Missing argument" error
        if param.callback is not None:
            value = param.callback(ctx, param, value)
        return value

    return process_value
