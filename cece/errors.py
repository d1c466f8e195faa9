"""Errors a user can act on, and the exit codes they map to.

Every problem with the input or the options is a :class:`CeceError`: one line that names the
file, where in it (line/row, column), what was found and what was expected, plus at most one
hint. ``cece.cli.main`` is the one place that turns them into ``cece: error: ...`` and exit 2.

``CeceError`` is a ``ValueError``: the library functions (``cece.categorical_cross_entropy``
and the others) raise the same errors, with the same wording, and callers that catch
``ValueError`` catch them. Every error survives pickling (a worker process can hand one back):
it is rebuilt from its message and attributes, not by calling ``__init__`` again.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes (CONTRACT §6)."""

    OK = 0
    CHECK_FAILED = 1  # computed, and --fail-above / --baseline failed
    INPUT_ERROR = 2  # usage or input error: nothing computed
    INTERNAL_ERROR = 3  # a bug in cece
    ENGINE_FAILED = 4  # the distributed engine failed: scheduler unreachable, workers lost
    INTERRUPTED = 130


class CeceError(ValueError):
    """A usage or input error: a one-line message and an optional hint."""

    exit_code = ExitCode.INPUT_ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = " ".join(message.split("\n"))
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # BaseException's default calls cls(*self.args), which fails for subclasses whose
        # __init__ takes other arguments (InputError(source, message, ...)); rebuild instead
        # from args and the instance's attributes (message, hint, source, ...).
        return _rebuild, (type(self), self.args), self.__dict__.copy()


class InputError(CeceError):
    """Something wrong inside an input: names the source and the place in it.

    ``line`` is a 1-based line of a text file (as an editor shows it); ``row`` a 0-based
    sample index (as cece's own output numbers samples); ``column`` a name or 0-based index.
    """

    sample: int | None = None  # a text file's error placed at its line: the sample's row

    def __init__(
        self,
        source: str,
        message: str,
        *,
        line: int | None = None,
        row: int | None = None,
        column: int | str | None = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.detail, self.line, self.row, self.column = message, line, row, column
        super().__init__(
            f"{where(source, line=line, row=row, column=column)}: {message}", hint=hint
        )

    def at_line(
        self, line: int, column: int | str | None = None, names: list[str] | None = None
    ) -> InputError:
        """The same error placed at a text file's line (as an editor numbers it) instead of
        at a sample row: what the reader of a CSV file needs to find the spot. ``column``:
        the file's column, named from ``names`` (the header) as the parsers do (``2 ('dog')``)."""
        if isinstance(column, int) and names:
            column = column_label(column, names)
        return InputError(self.source, self.detail, line=line, column=column, hint=self.hint)


class OptionError(CeceError):
    """An option value that cannot be used (out of range, wrong length, conflicting)."""


class EngineError(CeceError):
    """The distributed engine failed (scheduler unreachable, a task that keeps killing its
    workers, workers running another cece or numpy): nothing computed, exit 4."""

    exit_code = ExitCode.ENGINE_FAILED


class StrictError(CeceError):
    """A warning turned into an error by --strict."""


def _rebuild(cls: type[CeceError], args: tuple) -> CeceError:
    """The unpickled error, before pickle restores its attributes (``CeceError.__reduce__``)."""
    error = cls.__new__(cls)
    error.args = args
    return error


def where(
    source: str,
    *,
    line: int | None = None,
    row: int | None = None,
    column: int | str | None = None,
) -> str:
    """``preds.csv: line 4, column 2 ('dog')`` — the place an input problem sits."""
    parts = []
    if line is not None:
        parts.append(f"line {line}")
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column}")
    return f"{source}: " + ", ".join(parts) if parts else source


def column_label(index: int, names: list[str] | None) -> str:
    """``2 ('dog')`` when the column has a name, else ``2`` (0-based, like --pred-cols)."""
    if names and index < len(names):
        return f"{index} ({names[index]!r})"
    return str(index)


def describe(value: object, limit: int = 40) -> str:
    """A short, quoted rendering of a found value for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def stderr_prefix(kind: str) -> str:
    """``cece: error:`` — red (warnings yellow) exactly when the tables would be coloured.

    rich's rule (≥ 14), read for stderr: ``TTY_COMPATIBLE=1``/``0`` says whether it is a
    terminal, else a non-empty ``FORCE_COLOR`` (any value, "0" too: force-color.org) makes it
    one, else ``isatty()``; then no colour for ``TERM=dumb``/``unknown`` or a non-empty
    ``NO_COLOR``. rich itself is not imported here (start-up).
    """
    import os
    import sys

    text = f"cece: {kind}:"
    colour = {"error": "31", "warning": "33", "check failed": "31"}.get(kind)
    env = os.environ
    if env.get("TTY_COMPATIBLE") in ("0", "1") and not _rich_13():  # rich 14 added it
        terminal = env["TTY_COMPATIBLE"] == "1"
    elif "FORCE_COLOR" in env:
        terminal = env["FORCE_COLOR"] != "" or _rich_13()
    else:
        try:
            terminal = sys.stderr is not None and sys.stderr.isatty()
        except ValueError:  # closed
            terminal = False
    if (
        not colour
        or not terminal
        or (env.get("NO_COLOR", "") != "" or ("NO_COLOR" in env and _rich_13()))
        or env.get("TERM", "").lower() in ("dumb", "unknown")
    ):
        return text
    return f"\x1b[1;{colour}m{text}\x1b[0m"


EMPTY_LABEL_HINT = (
    "pandas writes a missing label (NaN, None) as an empty cell: drop those rows, or write "
    "a label such as -100 and pass --ignore-index -100"
)


def label_error(
    label: float, row: int, name: str, n_classes: int, *, ignore_option: str = "ignore_index={}"
) -> InputError:
    """``label 5 is out of range for 3 classes (expected 0..2)``, with a hint where one helps.

    The one wording of an out-of-range label: the library's checks, the CLI's and the compiled
    kernels' own bounds check (:mod:`cece._native`) all raise this.
    """
    hint = None
    if label < 0 and label == int(label):
        hint = f"to skip samples labelled {int(label)}, pass {ignore_option.format(int(label))}"
    elif label == n_classes:
        hint = "labels count from 0; if yours start at 1, subtract 1"
    shown = str(int(label)) if isinstance(label, int) or abs(label) < 2.0**63 else f"{label:g}"
    return InputError(
        name,
        f"label {shown} is out of range for {n_classes} classes (expected 0..{n_classes - 1})",
        row=row,
        hint=hint,
    )


def _rich_13() -> bool:
    """rich before 14 counts an empty FORCE_COLOR / NO_COLOR as set (asked only then)."""
    from importlib.metadata import version

    return int(version("rich").split(".")[0]) < 14
