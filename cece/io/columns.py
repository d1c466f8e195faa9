"""The columns of a table: which hold numbers, text, an index, scores; ``--pred-cols`` specs.

The evidence the layout rules weigh (:mod:`cece.io.layout`), read from a table's first rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cece.errors import InputError
from cece.io import tables
from cece.io.colspecs import position_spec
from cece.io.distributions import outside_distribution
from cece.io.fields import looks_like_number, parse_number
from cece.io.layout import (
    Inference,
    compact,
    decimal,
    drops_point,
    index_column,
    int_token,
    integer_role,
    not_scores,
    other_role,
    pattern_breakers,
)

if TYPE_CHECKING:
    from cece.io.arrow import ArrowTable
    from cece.io.text import TextTable

LABEL_NAMES = ("label", "labels", "target", "targets", "y", "y_true", "class", "truth")


def index_columns(table: TextTable | ArrowTable, cols: list[int]) -> dict[int, Inference]:
    """The row-index columns among ``cols``: pandas' metadata says so (Parquet, Feather), or
    the name and integer cells do (``index_column``), or an unnamed first column of text
    (a string index: row names); an unnamed first column of other numbers is refused."""
    header, name = table.header, table.name
    found: dict[int, Inference] = {}
    if not header:
        return found
    meta = table.pandas_index() if tables.is_arrow(table) else []
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
        elif c == 0 and header[0].strip().lower() in ("", "unnamed: 0") and text_column(table, 0):
            said = "an unnamed first column of text: the row names DataFrame.to_csv writes"
            found[c] = Inference(name, "skipped column", f"{said}, skipped")
        elif c == 0 and header[0].strip().lower() in ("", "unnamed: 0"):
            raise InputError(
                name,
                "column 0 has no name but does not hold integers: a row index or scores?",
                hint="choose the columns with --pred-cols (or --label-col)",
            )
    return found


def score_columns(table: TextTable | ArrowTable, cols: list[int]) -> list[int]:
    """The columns of class scores among ``cols`` (no --pred-cols): index columns, integer ids
    and predicted classes are skipped with a note; a column that holds True/False, is named as
    something else (a loss, a confidence, a weight...), or breaks the name pattern of the
    others, any other column of integers among columns of decimals, or a column named like
    labels, is refused, naming --pred-cols. The columns taken are stated in a note whenever
    the table has others."""
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
    _refuse_foreign(table, left, foreign_columns(table, left))
    suspects = integer_suspects(table, left)
    if suspects:
        col = header[suspects[0]] if header else suspects[0]
        raise InputError(
            name,
            f"column {col!r} holds integers among decimal scores: an index, id or label "
            "column is not a class score",
            hint=_pred_cols_hint(table, _without_outside(table, left, suspects)),
        )
    _refuse_outside(table, left)
    if len(left) < table.ncols:
        shown = compact([header[c] for c in left]) if header else compact([str(c) for c in left])
        what = f"class scores: column{'s' if len(left) > 1 else ''} {shown} ({len(left)})"
        table.inferred.append(Inference(name, "scores", f"{what}; --pred-cols chooses others"))
    return left


def integer_suspects(table: TextTable | ArrowTable, left: list[int]) -> list[int]:
    """Columns of integers among columns a writer filled with decimals (pandas writes 1.0,
    never 1): an index, id or label column. A text column of 0s and 1s may be a %g writer's
    exact probabilities where the table shows one (:func:`_zero_one`), and integers among a
    %g writer's decimals are scores where they are neither an index nor labels."""
    ints = [c for c in left if _integer_column(table, c)]
    decimals = [c for c in left if c not in ints and _decimal_column(table, c)]
    suspects = [
        c
        for c in ints
        if tables.is_arrow(table)
        or not (_zero_one(table, c, left) or _written_g(table, c, len(left) - 1))
    ]
    # one decimal column beside one of integers (``prob, group`` once ``label`` is taken) is
    # as telling as more: pandas writes a float 1 as 1.0, so the integers are no float scores
    among = len(decimals) >= 1 and len(ints) <= len(decimals)
    return suspects if among and len(ints) + len(decimals) == len(left) else []


def _without_outside(table: TextTable | ArrowTable, left: list[int], out: list[int]) -> list[int]:
    """``left`` without ``out`` and without the columns outside the distribution the rest
    form: what a hint offers."""
    rest = [c for c in left if c not in out]
    return [c for c in rest if c not in outside_columns(table, rest)]


def _refuse_foreign(table: TextTable | ArrowTable, left: list[int], why: dict[int, str]) -> None:
    if not why:
        return
    header = table.header
    c = next(iter(why))
    col = header[c] if header else c
    others = [header[k] if header else str(k) for k in why if k != c]
    also = f" (nor {', '.join(map(repr, others[:3]))}{', …' if len(others) > 3 else ''})"
    raise InputError(
        table.name,
        f"column {col!r} {why[c]}: not a class score{also if others else ''}; "
        "--pred-cols chooses the score columns",
        hint=_pred_cols_hint(table, [k for k in left if k not in score_refusals(table, left)])
        if len(why) < len(left)
        else f"--pred-cols {shell_word(pred_cols_spec(table, left), 0)} takes "
        f"{'it' if len(left) == 1 else 'them'} as scores all the same",
    )


def score_refusals(table: TextTable | ArrowTable, cols: list[int]) -> dict[int, str]:
    """The candidate score columns :func:`score_columns` would refuse, and why (for ``cece
    inspect``'s suggestion: the command it suggests is one cece computes)."""
    why = foreign_columns(table, cols)
    left = [c for c in cols if c not in why]
    ints = integer_suspects(table, left)
    if ints:
        return why | dict.fromkeys(ints, "holds integers among decimal scores")
    return why | outside_columns(table, left)


def foreign_columns(table: TextTable | ArrowTable, left: list[int]) -> dict[int, str]:
    """Candidates for class scores that are not, and why: a True/False column, a column
    named as a loss, a confidence, a weight... (:func:`cece.io.layout.other_role`; beside
    other candidates), or one that breaks the name pattern the others share
    (``logit_0..logit_3`` beside ``confidence``). Columns named like labels are left to the
    labels' own rule."""
    header = table.header
    names = [header[c] for c in left] if header else []
    why: dict[int, str] = {}
    for i, c in enumerate(left):
        if boolean_column(table, c):
            why[c] = "holds True/False"
        elif names and (role := other_role(names[i])) is not None:
            why[c] = f"is named as {role}"
    if names:
        members, breakers = pattern_breakers(names)
        for i in breakers:
            if left[i] not in why and names[i].strip().lower() not in LABEL_NAMES:
                why[left[i]] = f"breaks the name pattern of {compact([names[m] for m in members])}"
    return why


def outside_columns(table: TextTable | ArrowTable, left: list[int]) -> dict[int, str]:
    """The candidates :func:`outside_distribution` finds, and why (none while the first row's
    reading, header or data, is still open)."""
    outside = [] if getattr(table, "pending", None) else outside_distribution(table, left)
    rest = [c for c in left if c not in outside]
    return dict.fromkeys(outside, f"lies outside the distribution {_shown(table, rest)} form")


def _shown(table: TextTable | ArrowTable, cols: list[int]) -> str:
    """``column 'w'``, ``column 4``, ``columns a, b, c`` or ``columns 0:4``."""
    header = table.header
    if len(cols) == 1:
        return f"column {header[cols[0]]!r}" if header else f"column {cols[0]}"
    return f"columns {compact([header[k] for k in cols]) if header else position_spec(cols)}"


def _refuse_outside(table: TextTable | ArrowTable, left: list[int]) -> None:
    """Probabilities beside one or two other columns: without them every row sampled is a
    distribution. Evidence, not proof (logits could happen to look so): refused, and both
    readings are named."""
    found = outside_columns(table, left)  # once: it weighs every set of one or two columns
    outside = [c for c in left if c in found]
    if not outside:
        return
    rest = [c for c in left if c not in outside]
    them = _shown(table, outside)
    raise InputError(
        table.name,
        f"without {them} every row sampled of {_shown(table, rest)} is a distribution (sums to "
        f"1): is {'it a class score' if len(outside) == 1 else 'each a class score'}? "
        "--pred-cols decides",
        hint=f"--pred-cols {shell_word(pred_cols_spec(table, rest), 0)} leaves "
        f"{'it' if len(outside) == 1 else 'them'} out, --pred-cols "
        f"{shell_word(pred_cols_spec(table, left), 0)} keeps {'it' if len(outside) == 1 else 'them'}",
    )


def pred_cols_spec(table: TextTable | ArrowTable, cols: list[int]) -> str:
    """``cols`` as a --pred-cols value: names, or positions as ranges where a name is an
    integer (a bare integer that is also a name would be ambiguous)."""
    header = table.header
    if header and not any(int_token(header[k]) for k in cols):
        return ",".join(header[k] for k in cols)
    return position_spec(cols)


def _pred_cols_hint(table: TextTable | ArrowTable, cols: list[int]) -> str:
    cols = [c for c in cols if not text_column(table, c)]  # a caption is no score to offer
    if not cols or len(cols) > 12:
        return "choose the score columns with --pred-cols (names, indices or ranges like 1:11)"
    spec = pred_cols_spec(table, cols)
    return f"choose the score columns with --pred-cols {shell_word(spec, 0)}"


def _written_g(table: TextTable, col: int, k: int) -> bool:
    """An integer column that is scores as a ``%g`` writer writes them: the table drops the
    point elsewhere, or the column holds a negative number, and its values are neither a row
    index nor labels of the other ``k`` columns (:func:`cece.io.layout.integer_role`)."""
    rows = ([table.first_fields] if table.header is None else []) + table.sample_rows
    values = [int(r[col]) for r in rows if col < len(r)]  # in file order (an index's run)
    evidence = drops_point(rows) or any(v < 0 for v in values)
    return evidence and not integer_role(values, k)


def _zero_one(table: TextTable, col: int, left: list[int]) -> bool:
    """A column of 0s and 1s that a %g writer's exact probabilities explain: the table shows
    such a writer (a column mixing whole numbers and decimals), or every sampled row of the
    candidate columns sums to 1 with it. Without that evidence 0s and 1s beside decimals are
    a flag or labels (pandas writes a float 1 as 1.0)."""
    rows = ([table.first_fields] if table.header is None else []) + table.sample_rows
    if not {v.strip() for v in _sampled(table, col)} <= {"0", "1"}:
        return False
    if drops_point(rows):
        return True
    sums = [sum(parse_number(r[c]) or 0.0 for c in left if c < len(r)) for r in rows]
    return bool(sums) and all(abs(t - 1) <= 1e-3 for t in sums)


def _decimal_column(table: TextTable | ArrowTable, col: int) -> bool:
    """Every sampled cell is a number written with a point or exponent, or (a %g writer) some
    are and the others are whole numbers (Arrow: a float type)."""
    if tables.is_arrow(table):
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
    if tables.is_arrow(table):
        return ["0"] if table.is_integer(col) else []
    return _sampled(table, col)


def _integer_column(table: TextTable | ArrowTable, col: int) -> bool:
    """Every sampled cell is written as an integer (Arrow: an integer type)."""
    if tables.is_arrow(table):
        return table.is_integer(col)
    cells = _sampled(table, col)
    return bool(cells) and all(int_token(v) for v in cells)


def _sampled(table: TextTable | ArrowTable, col: int) -> list[str]:
    """The first data cells of a column (text tables; typed tables are checked when read)."""
    if tables.is_arrow(table):
        return []
    rows = table.sample_rows + ([table.first_fields] if table.header is None else [])
    return [r[col] for r in rows if col < len(r)]


def numeric_column(table: TextTable | ArrowTable, col: int) -> bool:
    """Every sampled cell is a number (a label column of indices, not of class names)."""
    if tables.is_arrow(table):
        return table.is_numeric(col)
    return all(parse_number(v) is not None for v in _sampled(table, col))


def boolean_column(table: object, col: int | None) -> bool:
    """A label column written as booleans: ``True``/``False`` cells (text, any case), an Arrow
    ``bool`` column, a JSON ``true``/``false`` field, or a NumPy bool array."""
    from cece.io.arrays import ArrayInput

    if isinstance(table, ArrayInput):
        return table.array.dtype.kind == "b"
    if col is None:
        return False
    if tables.is_jsonl(table) or (tables.is_arrow(table) and table.records):
        return bool(table.columns[col][0].kind == "bool")
    if tables.is_arrow(table):
        return table.is_boolean(col)
    if tables.is_text(table):
        values = _sampled(table, col)
        return bool(values) and all(v.strip().lower() in ("true", "false") for v in values)
    return False


def text_column(table: TextTable | ArrowTable, col: int) -> bool:
    """No sampled cell is a number (an id or name column); one odd cell is a cell error, and
    so are cells meant as numbers in a form cece does not read ('0,5', '20%', empty)."""
    if tables.is_arrow(table):
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
