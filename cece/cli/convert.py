"""Option values converted from the command line's text as Click converts them: ``int()``,
``float()``, a lookup among an Enum's values, with Click's error messages.

Free of Typer: :mod:`cece.cli.coerce` installs these conversions in Typer's commands, and the
direct path (:mod:`cece.cli.direct`) converts with the same ones without importing Typer.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from typing import Any

Convert = Callable[[Any], Any]
PLAIN = {"str": str, "bool": bool, "int": int, "float": float}


def converter(annotation: Any) -> Convert | None:
    """How a value of this annotation is converted from the command line's text, or None
    when it is of a kind left to Typer."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        return converter(rest[0]) if len(rest) == 1 else None
    if typing.get_origin(annotation) is list and len(args) == 1:
        item = converter(args[0])
        return None if item is None else _many(item)
    if annotation in (bool, str):  # flags are bools, and text is text, as parsed
        return same
    if annotation is int:
        return _number(int, "integer")
    if annotation is float:
        return _number(float, "float")
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _choice(annotation)
    return None


class Invalid(ValueError):
    """A value that is not of the parameter's kind: Click's words, in ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def kind_name(annotation: Any) -> str | None:
    """The name of a plain (not list) annotation's kind, as the direct path's table records
    it: ``str``, ``bool``, ``int``, ``float`` or the name of an Enum of
    :mod:`cece.cli.choices`; None for any other kind."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        return kind_name(rest[0]) if len(rest) == 1 else None
    for name, kind in PLAIN.items():
        if annotation is kind:
            return name
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        from cece.cli import choices

        called = str(getattr(annotation, "__name__", ""))
        if getattr(choices, called, None) is annotation:
            return called
    return None


def by_name(name: str) -> Convert:
    """The conversion of the kind :func:`kind_name` named."""
    if name in PLAIN:
        found = converter(PLAIN[name])
    else:
        from cece.cli import choices

        found = converter(getattr(choices, name))
    assert found is not None, name
    return found


def same(value: Any) -> Any:
    return value


def _number(kind: type, name: str) -> Convert:
    def convert(value: Any) -> Any:
        if isinstance(value, kind) and not isinstance(value, bool):
            return value
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise Invalid(f"{value!r} is not a valid {name}.") from None

    return convert


def _choice(kind: type[enum.Enum]) -> Convert:
    members = {str(m.value): m for m in kind}

    def convert(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        member = members.get(str(value))
        if member is None:
            choices = ", ".join(map(repr, members))
            raise Invalid(f"{value!r} is not one of {choices}.")
        return member

    return convert


def _many(item: Convert) -> Convert:
    def convert(values: Any) -> Any:
        return tuple(item(v) for v in values)

    return convert
