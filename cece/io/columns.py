"""The columns of a table: which hold numbers, text, an index, scores; ``--pred-cols`` specs.

The evidence the layout rules weigh (:mod:`cece.io.layout`), read from a table's first rows.
"""

from __future__ import annotations

from cece.errors import InputError, OptionError
from cece.io.arrow import ArrowTable
from cece.io.fields import looks_like_number, parse_number
from cece.io.layout import (
    Inference,
    decimal,
    drops_point,
    index_column,
    int_token,
    integer_role,
    not_scores,
)
from cece.io.text import TextTable

LABEL_NAMES = ("label", "labels", "target", "targets", "y", "y_true", "class", "truth")


def index_columns(table: TextTable | ArrowTable, cols: list[int]) -> dict[int, Inference]:
    """The row-index columns among ``cols``: pandas' metadata says so (Parquet, Feather), or
    the name and integer cells do (``index_column``); an unnamed first column that does not
    hold integers is refused."""
    header, name = table.header, table.name
    found: dict[int, Inference] = {}
    if not header:
        return found
    meta = table.pandas_index() if isinstance(table, ArrowTable) else []
    for c in cols:
        if header[c] in meta or header[c].startswith("__index_level_"):
            said = f"column {header[c]!r} skipped: pandas' metadata names it the row index"
            found[c] = Inference(name, "skipped column", said)
            continue
        why = index_column(header[c], _cells(table, c), c)
        if why:
            found[c] = Inference(name, "skipped column", f"{why}, skipped")
        elif c == 0 and header[0].strip().lower() in ("", "unnamed: 0") and table.ncols == 1:
            raise InputError(
                name, "no columns left: column 0, without a name, is taken for a row index"
            )
        elif c == 0 and header[0].strip().lower() in ("", "unnamed: 0"):
            raise InputError(
                name,
                "column 0 has no name but does not hold integers: a row index or scores?",
                hint="choose the columns with --pred-cols (or --label-col)",
            )
    return found


def score_columns(table: TextTable | ArrowTable, cols: list[int]) -> list[int]:
    """The columns of class scores among ``cols`` (no --pred-cols): index columns, integer ids
    and predicted classes are skipped with a note; any other column of integers among columns
    of decimals, or a column named like labels, is refused, naming --pred-cols."""
    name, header = table.name, table.header
    skipped = index_columns(table, cols)
    integer = {c: _integer_column(table, c) for c in cols if c not in skipped}
    if header:
        for c, is_int in integer.items():
            # a y_pred of class names beside y_true (scikit-learn's predict of string classes)
            why = not_scores(header[c], is_int, text=not is_int and text_column(table, c))
            if why and any(not i for k, i in integer.items() if k != c):
                skipped[c] = Inference(name, "skipped column", f"{why}, skipped")
    table.inferred.extend(skipped.values())
    left = [c for c in cols if c not in skipped]
    if not left:
        raise InputError(name, "no columns left once the row index is skipped")
    ints = [c for c in left if integer[c]]
    decimals = [c for c in left if c not in ints and _decimal_column(table, c)]
    # integers among columns a writer filled with decimals (pandas writes 1.0, never 1); a
    # text column of 0s and 1s may be a %g writer's exact probabilities, so only others
    # (or integers among a %g writer's decimals, where they are neither an index nor labels)
    suspects = [
        c
        for c in ints
        if isinstance(table, ArrowTable)
        or not (_zero_one(table, c) or _written_g(table, c, len(left) - 1))
    ]
    among = len(decimals) >= 2 and len(ints) < len(decimals)
    if suspects and among and len(ints) + len(decimals) == len(left):
        c = suspects[0]
        col = header[c] if header else c
        floats = [header[k] if header else str(k) for k in decimals]
        raise InputError(
            name,
            f"column {col!r} holds integers among decimal scores: an index, id or label "
            "column is not a class score",
            hint=f"choose the score columns with --pred-cols {shell_word(','.join(floats), 0)}"
            if len(floats) <= 12
            else "choose the score columns with --pred-cols (names, indices or ranges like 1:11)",
        )
    return left


def _written_g(table: TextTable, col: int, k: int) -> bool:
    """An integer column that is scores as a ``%g`` writer writes them: the table drops the
    point elsewhere, or the column holds a negative number, and its values are neither a row
    index nor labels of the other ``k`` columns (:func:`cece.io.layout.integer_role`)."""
    rows = ([table.first_fields] if table.header is None else []) + table.sample_rows
    values = [int(r[col]) for r in rows if col < len(r)]  # in file order (an index's run)
    evidence = drops_point(rows) or any(v < 0 for v in values)
    return evidence and not integer_role(values, k)


def _zero_one(table: TextTable, col: int) -> bool:
    return {v.strip() for v in _sampled(table, col)} <= {"0", "1"}


def _decimal_column(table: TextTable | ArrowTable, col: int) -> bool:
    """Every sampled cell is a number written with a point or exponent, or (a %g writer) some
    are and the others are whole numbers (Arrow: a float type)."""
    if isinstance(table, ArrowTable):
        return table.is_numeric(col) and not table.is_integer(col)
    cells = _sampled(table, col)
    if not cells or not any(decimal(v) for v in cells):
        return False
    if all(decimal(v) for v in cells):
        return True
    # a %g writer's column: decimals, and whole numbers written without a point
    rows = table.sample_rows + ([table.first_fields] if table.header is None else [])
    return drops_point(rows) and all(parse_number(v) is not None for v in cells)


def _cells(table: TextTable | ArrowTable, col: int) -> list[str]:
    if isinstance(table, ArrowTable):
        return ["0"] if table.is_integer(col) else []
    return _sampled(table, col)


def _integer_column(table: TextTable | ArrowTable, col: int) -> bool:
    """Every sampled cell is written as an integer (Arrow: an integer type)."""
    if isinstance(table, ArrowTable):
        return table.is_integer(col)
    cells = _sampled(table, col)
    return bool(cells) and all(int_token(v) for v in cells)


def _sampled(table: TextTable | ArrowTable, col: int) -> list[str]:
    """The first data cells of a column (text tables; typed tables are checked when read)."""
    if isinstance(table, ArrowTable):
        return []
    rows = table.sample_rows + ([table.first_fields] if table.header is None else [])
    return [r[col] for r in rows if col < len(r)]


def numeric_column(table: TextTable | ArrowTable, col: int) -> bool:
    """Every sampled cell is a number (a label column of indices, not of class names)."""
    if isinstance(table, ArrowTable):
        return table.is_numeric(col)
    return all(parse_number(v) is not None for v in _sampled(table, col))


def boolean_column(table: object, col: int | None) -> bool:
    """A label column written as booleans: ``True``/``False`` cells (text, any case), an Arrow
    ``bool`` column, a JSON ``true``/``false`` field, or a NumPy bool array."""
    from cece.io.arrays import ArrayInput
    from cece.io.jsonl import JsonlTable

    if isinstance(table, ArrayInput):
        return table.array.dtype.kind == "b"
    if col is None:
        return False
    if isinstance(table, JsonlTable) or (isinstance(table, ArrowTable) and table.records):
        return bool(table.columns[col][0].kind == "bool")
    if isinstance(table, ArrowTable):
        return table.is_boolean(col)
    if isinstance(table, TextTable):
        values = _sampled(table, col)
        return bool(values) and all(v.strip().lower() in ("true", "false") for v in values)
    return False


def text_column(table: TextTable | ArrowTable, col: int) -> bool:
    """No sampled cell is a number (an id or name column); one odd cell is a cell error, and
    so are cells meant as numbers in a form cece does not read ('0,5', '20%', empty)."""
    if isinstance(table, ArrowTable):
        return not table.is_numeric(col)
    values = _sampled(table, col)
    return (
        bool(values)
        and all(parse_number(v) is None for v in values)
        and not all(looks_like_number(v) for v in values)
    )


def shell_word(name: object, index: int) -> str:
    """A column name as a shell word for a hint (its index when the name is unprintable)."""
    import shlex

    text = str(name)
    return shlex.quote(text) if text and text.isprintable() else str(index)


def parse_cols(
    spec: str, header: list[str] | None, ncols: int, name: str, option: str
) -> list[int]:
    """``a,b``, ``0,3``, ``2:12`` (half-open, like Python) or a mix → 0-based column indices."""
    cols: list[int] = []
    for item in (part.strip() for part in spec.split(",")):
        if header and item in header:
            cols.append(header.index(item))
        elif ":" in item:
            lo, _, hi = item.partition(":")
            try:
                cols.extend(range(ncols)[slice(int(lo) if lo else None, int(hi) if hi else None)])
            except ValueError:
                raise OptionError(f"{option} {spec!r}: {item!r} is not a range like 2:12") from None
        elif item.lstrip("-").isdigit() and -ncols <= int(item) < ncols:
            cols.append(int(item) % ncols)
        else:
            known = f"; columns are {', '.join(header)}" if header else ""
            raise OptionError(
                f"{option} {spec!r}: {name} has no column {item!r} ({ncols} columns{known})"
            )
    if not cols:
        raise OptionError(f"{option} {spec!r} selects no columns")
    if len(set(cols)) != len(cols):
        twice = next(c for i, c in enumerate(cols) if c in cols[:i])
        shown = header[twice] if header else twice
        raise OptionError(f"{option} {spec!r}: column {shown!r} is selected twice")
    return cols
