"""Rows of PREDS and LABELS are paired by position; where both tables name their rows, the
names must agree.

``pd.DataFrame(p, index=ids).to_csv("p.csv")`` and ``y.sample(frac=1).to_csv("y.csv")`` carry
which sample each row is (a column ``id``/``image_id``..., or pandas' row index); pairing such
files by position after a shuffle or a sort scores each prediction against another sample's
label: a wrong number. Checked on the first rows of both tables (a shuffle or a sort shows
there), then on every row: two tables concatenated from shards in different orders agree on
their first rows only. The rest costs one more read of each name column, paid only where both
tables name their rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from cece.errors import InputError
from cece.io import tables
from cece.io.blocks import Source
from cece.io.columns import index_columns
from cece.io.inputs import Predictions
from cece.io.layout import INDEX_NAMES, OTHER_ROLES

if TYPE_CHECKING:
    from cece.io.arrow import ArrowTable
    from cece.io.text import TextTable

HEAD = 20  # the rows compared: a text table's sampled rows
_ID_NAMES = tuple(n for n in OTHER_ROLES["an id"] if n not in INDEX_NAMES)


def check(preds: Predictions, source: Source) -> None:
    """LABELS (``source``) opened against PREDS: their rows paired by position are the same
    samples where both tables say which (:func:`check_pairing`)."""
    if tables.is_text(preds.source.data) or tables.is_arrow(preds.source.data):
        used = {c for cols in preds.source.parts.values() for c in cols or []}
        mine = {c for cols in source.parts.values() for c in cols or []}
        check_pairing(preds.source.data, used, source.data, mine)


def check_pairing(
    preds: TextTable | ArrowTable, preds_cols: set[int], labels: object, label_cols: set[int]
) -> None:
    """Refuse when PREDS and a separate LABELS table both name their rows and the first
    rows' names differ: an id column on both sides (``id``, ``image_id``, ``sample_id``...),
    or pandas' row index on both sides where neither is the plain 0, 1, 2... (a RangeIndex
    says nothing of which sample a row is: ``pd.DataFrame(model.predict_proba(X_test))``)."""
    if not (tables.is_text(labels) or tables.is_arrow(labels)) or labels is preds:
        return
    if getattr(labels, "records", False) or getattr(preds, "records", False):
        return
    ours, theirs = _id_column(preds, preds_cols), _id_column(labels, label_cols)
    if ours is not None and theirs is not None:
        _compare(preds, ours, labels, theirs, plain_ok=False)
        return
    ours, theirs = _index_column(preds, preds_cols), _index_column(labels, label_cols)
    if ours is not None and theirs is not None:
        _compare(preds, ours, labels, theirs, plain_ok=True)


def _id_column(table: TextTable | ArrowTable, used: set[int]) -> int | None:
    header = table.header
    if not header or table.header_is_data:
        return None
    return next(
        (c for c, n in enumerate(header) if c not in used and n.strip().lower() in _ID_NAMES),
        None,
    )


def _index_column(table: TextTable | ArrowTable, used: set[int]) -> int | None:
    if not table.header or table.header_is_data:
        return None
    found = index_columns(table, [c for c in range(table.ncols) if c not in used])
    return next(iter(found), None)


def _head(table: TextTable | ArrowTable, col: int) -> list[str]:
    if tables.is_arrow(table):
        return [_key(v) for v in table.head_cells(col, HEAD)]
    rows = ([table.first_fields] if table.header is None else []) + table.sample_rows
    return [_key(r[col]) for r in rows[:HEAD] if col < len(r)]


def _key(value: object) -> str:
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text  # 7, 7.0 and int 7 alike


def _compare(
    preds: TextTable | ArrowTable,
    pc: int,
    labels: TextTable | ArrowTable,
    lc: int,
    *,
    plain_ok: bool,
) -> None:
    ours, theirs = _head(preds, pc), _head(labels, lc)
    n = min(len(ours), len(theirs))
    ours, theirs = ours[:n], theirs[:n]
    plain = [str(i) for i in range(n)]
    if plain_ok and (ours == plain or theirs == plain):
        return  # a RangeIndex on one side: positions, as scikit-learn pairs them
    if ours != theirs:
        row = next(i for i in range(n) if ours[i] != theirs[i])
        _refuse(preds, pc, labels, lc, row, ours[row], theirs[row], plain_ok)
    found = _first_difference(preds, pc, labels, lc)
    if found is not None:
        _refuse(preds, pc, labels, lc, *found, plain_ok)


def _names(table: TextTable | ArrowTable, col: int, numeric: bool) -> Iterator[np.ndarray]:
    """The column's cells block by block: as numbers where the names are (the compiled
    parser's speed: pandas' row index, integer ids), else as text."""
    for block in table.blocks([col], []) if numeric else table.blocks([], [col]):
        yield block.floats[:, 0] if numeric else block.texts[0]


def _numeric(names: list[str]) -> bool:
    """Names that are integers below 2^53 (exact as float64: 7, 7.0 and int 7 alike)."""
    return all(n.lstrip("-").isdigit() and len(n) < 16 for n in names)


def _first_difference(
    preds: TextTable | ArrowTable, pc: int, labels: TextTable | ArrowTable, lc: int
) -> tuple[int, str, str] | None:
    """(row, PREDS' name, LABELS' name) of the first row whose names differ, reading both
    name columns whole, in step; None if they agree (a row count that differs is the
    engine's error). Integer names are read as numbers; a cell that is not one then sends
    the comparison to the text of the names."""
    if _numeric(_head(preds, pc) + _head(labels, lc)):
        try:
            return _first_difference_of(_names(preds, pc, True), _names(labels, lc, True))
        except InputError:  # a name further down is not a number
            pass
    return _first_difference_of(_names(preds, pc, False), _names(labels, lc, False))


def _first_difference_of(
    mine: Iterator[np.ndarray], theirs: Iterator[np.ndarray]
) -> tuple[int, str, str] | None:
    empty = np.empty(0, dtype=object)
    a = b = empty
    row = 0
    while True:
        a = a if len(a) else next(mine, empty)
        b = b if len(b) else next(theirs, empty)
        if not len(a) or not len(b):  # one ended (the other's extra rows: the engine says)
            return None
        n = min(len(a), len(b))
        for i in np.flatnonzero(a[:n] != b[:n]):  # then as _key reads them: 7, 7.0 and 7 alike
            if _key(a[i]) != _key(b[i]):
                return row + int(i), _key(a[i]), _key(b[i])
        a, b, row = a[n:], b[n:], row + n


def _refuse(
    preds: TextTable | ArrowTable,
    pc: int,
    labels: TextTable | ArrowTable,
    lc: int,
    row: int,
    ours: str,
    theirs: str,
    plain_ok: bool,
) -> NoReturn:
    assert preds.header is not None and labels.header is not None
    what = "row index" if plain_ok else "id"
    raise InputError(
        labels.name,
        f"row {row} has {what} {theirs!r} (column {labels.header[lc]!r}) where {preds.name} "
        f"has {ours!r} (column {preds.header[pc]!r}): the files list the samples in "
        "different orders, and rows are paired by position",
        hint=f"write both files in one order (sorted by {what}), or the columns beside the "
        "predictions in one table (--label-col, --sample-weight COL)",
    )
