"""An option's array of factors (``--rescale FILE|LIST``, ``--pos-weight``, ``--weight``), read
whole with its shape: a ``.npy``/``.npz``/``.safetensors`` array as stored, a text table as rows ×
columns (one column: a vector), or an inline literal: ``2``, ``1,2,3`` or nested JSON
``[[1], [2]]``. How the shape meets the elements is :func:`cece.losses.broadcast.element_factors`.

A table is read with the labels' layout rules (:mod:`cece.io.layout`): pandas' index column
is skipped (:func:`value_columns`, shared with ``--sample-weight`` and ``--sequence-ids``), and a
first row that may be pandas' header or data (``pd.Series([2, 3]).to_csv(index=False)`` writes
``0``, ``2``, ``3``) is settled by the shapes the option takes here (``fits``): the one reading
that fits is taken and stated; when both fit, cece refuses, naming ``--header``/``--no-header``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from cece.errors import CeceError, InputError
from cece.io import bfloat16, readers, tables
from cece.io.arrays import ArrayInput
from cece.io.columns import index_columns
from cece.io.layout import HEADER_HINT, SCORE_PREFIXES, Inference, bare_names, int_token
from cece.io.window import whole_rows

if TYPE_CHECKING:
    from cece.io.text import TextTable

# The shape a reading's values would have for the option: a phrase ("one per row (2)"), or
# None when it takes no such shape.
Fits = Callable[[np.ndarray], str | None]


def is_column(text: str) -> bool:
    """``--rescale COL``: no file, and not numbers (``2``, ``1,2,3``, ``[[1], [2]]``): a
    column (or record field) of the PREDS table, one factor per row. A bare number is a
    factor, never a column index."""
    if text == "-" or readers.exists(text) or readers.looks_like_path(text):
        return False
    try:
        load(text, "--rescale")
    except CeceError:
        return True
    return False


def load(text: str, option: str) -> np.ndarray:
    """The factors ``text`` names or spells, as float64 with their shape (see :func:`read`)."""
    return read(text, option)[0]


def read(
    text: str,
    option: str,
    fits: Fits | None = None,
    *,
    header: bool | None = None,
    stdin_format: str = "csv",
    classes: list[str] | None = None,
) -> tuple[np.ndarray, list[Inference]]:
    """The factors ``text`` names or spells, as float64 with their shape, and what was inferred
    about the file's layout (a note each). A file is read whole, also inside a row window:
    factors may be per column, which a window must not cut."""
    if readers.exists(text):
        with whole_rows():
            data = readers.load(readers.resolve(text), stdin_format=stdin_format)
        if isinstance(data, ArrayInput):
            arr = bfloat16.numbers(data).array
            if arr.dtype.kind not in "iufb":
                raise InputError(data.name, f"holds {arr.dtype} values; expected numbers")
            return np.asarray(arr, dtype=np.float64), []
        if not hasattr(data, "ncols"):
            raise InputError(data.name, f"expected an array or a table of numbers for {option}")
        return table_values(data, option, fits, header=header, classes=classes)
    return _literal(text, option), []


def table_values(
    data,
    option: str,
    fits: Fits | None,
    *,
    header: bool | None = None,
    classes: list[str] | None = None,
) -> tuple[np.ndarray, list[Inference]]:
    """A table's values (one column: a vector; more: rows × columns) read with the labels'
    layout rules, columns named as the ``classes`` of PREDS taken by name, and what was
    inferred."""
    if header is not None and tables.is_text(data):
        flag = "--header" if header else "--no-header"
        data.set_header(header, f"first row read as {'a header' if header else 'data'} ({flag})")
    if tables.is_text(data) and data.pending is not None:
        _settle_header(data, option, fits)
    cols = value_columns(data)
    values = _values(data, _by_class_name(data, cols, classes, option))
    if values.ndim == 1 and classes:
        values = _by_row_name(data, cols, values, classes, option)
    return values, list(getattr(data, "inferred", []))


def _by_class_name(data, cols: list[int], classes: list[str] | None, option: str) -> list[int]:
    """Columns whose header names the classes (prediction columns) of PREDS in another order
    are taken by name, in PREDS' order, with a note: ``pd.DataFrame([w], columns=names)``
    written in a sorted or a dict's order never gives a class another's weight (as targets,
    :func:`cece.io.targetcols.by_name`). Names of some classes among other names: refused."""
    header = getattr(data, "header", None)
    if not header or not classes or len(cols) < 2 or getattr(data, "header_is_data", False):
        return cols
    order = _name_order(data, [header[c] for c in cols], classes, option, "columns")
    return cols if order is None else [cols[i] for i in order]


def _by_row_name(
    data, cols: list[int], values: np.ndarray, classes: list[str], option: str
) -> np.ndarray:
    """A column of values whose rows are named (the index ``pd.Series(w, index=names)
    .to_csv()`` writes, or Parquet's) as the classes of PREDS in another order: taken by name,
    as a header's names are (:func:`_by_class_name`); integer row names are positions."""
    index = [c for c in range(data.ncols) if c not in cols]
    if len(index) != 1 or len(values) < 2:
        return values
    names = [str(v) for b in data.blocks([], index) for v in b.texts[0]]
    if len(names) != len(values) or all(int_token(n.strip()) for n in names):
        return values
    order = _name_order(data, names, classes, option, "rows")
    return values if order is None else values[order]


def _name_order(
    data, given: list[str], classes: list[str], option: str, what: str
) -> list[int] | None:
    """Where each class of PREDS is among ``given`` names (of columns or rows), when they are
    the classes in another order (a note says so); None to read them by position (the same
    order, no class among them, or pandas' default names 0..K-1); names of some classes among
    other names: refused."""
    names, plain = [n.strip() for n in given], [c.strip() for c in classes]
    bare = bare_names(classes, SCORE_PREFIXES)  # p_cat, p_dog are the classes cat, dog
    wanted = bare if set(names) & set(bare) and not set(names) & set(plain) else plain
    if names == wanted or not set(names) & set(wanted):
        return None
    if sorted(names) == sorted(wanted) and len(set(names)) == len(names):
        said = (
            f"{option}: {what} taken by name in the order of the classes "
            f"({', '.join(plain)}), not by position ({', '.join(names)})"
        )
        data.inferred.append(Inference(data.name, what, said))
        return [names.index(k) for k in wanted]
    if all(int_token(n) for n in names):  # pandas' default header 0..K-1: positions
        return None
    raise InputError(
        data.name,
        f"{what} {', '.join(names)} name some of the classes of PREDS ({', '.join(plain)}) "
        f"but are not those classes: which value of {option} goes with which class is not "
        "guessed",
        hint=f"name the {what} as the classes of PREDS, or write {option}'s values in "
        f"their order without {'a header' if what == 'columns' else 'row names'}",
    )


def value_columns(data) -> list[int]:
    """A table's columns of values: all but pandas' row index (``to_csv``'s unnamed first
    column of integers, ``reset_index()``'s ``index``, Parquet's ``__index_level_0__``), each
    skipped column stated in ``data.inferred``. The one rule for every FILE option's table."""
    cols = list(range(data.ncols))
    if tables.is_text(data) or tables.is_arrow(data):
        skipped = index_columns(data, cols)
        data.inferred.extend(skipped.values())
        cols = [c for c in cols if c not in skipped]
    return cols


def _values(data, cols: list[int]) -> np.ndarray:
    if not cols:
        raise InputError(data.name, "no columns of numbers")
    parts = [b.floats for b in data.blocks(cols, [])]
    table = np.concatenate(parts) if parts else np.empty((0, len(cols)))
    table = table.reshape(-1, len(cols))
    return table[:, 0] if len(cols) == 1 else table


def _settle_header(table: TextTable, option: str, fits: Fits | None) -> None:
    """A first row that is pandas' header as much as data (``0`` above integers): the reading
    whose values take a shape the option takes here decides; both, or none known: refuse."""
    first = table.pending
    readings: dict[bool, tuple[int, str | None]] = {}
    for header in (True, False):
        table.set_header(header)
        skipped = index_columns(table, list(range(table.ncols))) if header else {}
        values = _values(table, [c for c in range(table.ncols) if c not in skipped])
        readings[header] = (values.size, fits(values) if fits is not None else "")
    (n_h, as_header), (n_d, as_data) = readings[True], readings[False]
    if as_header is not None and as_data is not None:
        shapes = f" ({n_h} values {as_header}, or {n_d} values {as_data})" if fits else ""
        raise InputError(
            table.name,
            f"is the first row ({first}) a header, as pandas writes one, or data? Both "
            f"readings fit {option}{shapes}, and they give different factors",
            hint=HEADER_HINT,
        )
    if as_header is not None:
        why = (
            f"first row {first} read as a header (as pandas writes one): its {n_h} values "
            f"are {as_header} for {option}; as data, {n_d} values fit no shape it takes here"
        )
        table.set_header(True, why)
    elif as_data is not None:
        why = (
            f"first row {first} read as data: its {n_d} values are {as_data} for {option}; "
            f"as a header, {n_h} values fit no shape it takes here"
        )
        table.set_header(False, why)
    else:  # neither: the values as written, and the option's own check says what it takes
        table.set_header(False)


def _literal(text: str, option: str) -> np.ndarray:
    import json  # here: only an option given as a JSON literal needs it

    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if value is None:
        try:
            value = [float(v) for v in text.strip().replace(",", " ").split()]
        except ValueError:
            raise CeceError(f"{option} {text!r}: expected numbers like 1,2,3 or a file") from None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CeceError(
            f"{option} {text!r}: expected numbers like 1,2,3, rows of the same length "
            "like [[1, 2], [3, 4]], or a file"
        ) from None
    return arr
