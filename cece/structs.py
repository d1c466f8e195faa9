"""cece's plain data classes: :func:`struct`, a dataclass whose methods are not compiled at import.

``@dataclass`` writes each class's ``__init__``, ``__repr__`` and (frozen) ``__setattr__`` as
source text and compiles it when the module is imported: for the ~30 classes a loss run
imports, ~55 M instructions, a third of cece's start-up beyond numpy (callgrind). ``@struct``
makes the same class with ``dataclasses.dataclass(init=False, repr=False, eq=False)`` (fields,
defaults, ``dataclasses.fields``/``replace``/``asdict`` as before) and gives it methods shared
by every struct, which read the fields' table instead of being compiled per class:

* ``__init__``: the fields in order, positionally or by name; a default or a
  ``field(default_factory=...)`` where one is not given; a ``TypeError`` for a missing, unknown
  or twice-given argument, as a dataclass's;
* ``__repr__``: ``Name(field=value, ...)``, as a dataclass's;
* ``frozen=True``: assigning or deleting a field raises ``dataclasses.FrozenInstanceError``.

A class compared by value (``eq``, ``hash``: ``RatioMoments``, the shard descriptions of
``cece/io/shards.py`` and ``cece/distributed.py``) stays ``@dataclass``. Type checkers read ``@struct``
as a dataclass (PEP 681, ``dataclass_transform``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")
_MISSING: Any = dataclasses.MISSING


@overload
def struct(cls: type[T], /) -> type[T]: ...


@overload
def struct(*, frozen: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def struct(cls: Any = None, /, *, frozen: bool = False) -> Any:
    """``@struct`` or ``@struct(frozen=True)`` on a class body of annotated fields."""

    def make(c: type[T]) -> type[T]:
        c = dataclasses.dataclass(c, init=False, repr=False, eq=False, match_args=False)
        _methods(c, frozen)
        return c

    return make if cls is None else make(cls)


def _methods(cls: type, frozen: bool) -> None:
    fields = tuple(dataclasses.fields(cls))
    names = tuple(f.name for f in fields)
    known = frozenset(names)
    where = f"{cls.__qualname__}.__init__()"
    put = object.__setattr__ if frozen else setattr  # as a dataclass's __init__ assigns

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(
                f"{where} takes {len(names) + 1} positional arguments but {len(args) + 1} "
                "were given"
            )
        for name in kwargs:
            if name not in known:
                raise TypeError(f"{where} got an unexpected keyword argument {name!r}")
        for i, f in enumerate(fields):
            if i < len(args):
                if f.name in kwargs:
                    raise TypeError(f"{where} got multiple values for argument {f.name!r}")
                value = args[i]
            elif f.name in kwargs:
                value = kwargs[f.name]
            elif f.default is not _MISSING:
                value = f.default
            elif f.default_factory is not _MISSING:
                value = f.default_factory()  # type: ignore[operator]
            else:
                raise TypeError(f"{where} missing 1 required positional argument: {f.name!r}")
            put(self, f.name, value)

    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields if f.repr)
        return f"{type(self).__qualname__}({shown})"

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __repr__.__qualname__ = f"{cls.__qualname__}.__repr__"
    methods: dict[str, Callable[..., Any]] = {"__init__": __init__, "__repr__": __repr__}
    if frozen:

        def __setattr__(self: Any, name: str, value: Any) -> None:
            if type(self) is cls or name in known:
                raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
            object.__setattr__(self, name, value)

        def __delattr__(self: Any, name: str) -> None:
            if type(self) is cls or name in known:
                raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
            object.__delattr__(self, name)

        methods.update(__setattr__=__setattr__, __delattr__=__delattr__)
    for name, method in methods.items():  # on the class, as dataclass sets them
        setattr(cls, name, method)
