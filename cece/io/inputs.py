"""Predictions: the PREDS argument opened, its columns and class axis chosen.

This is where the arguments' files meet: columns are chosen (``--pred-cols``, ``--label-col``),
the class axis is moved last and the other axes flattened into samples in C order
(``--class-axis``), and the helpers that pick columns of a table. Labels and sample weights are opened by
:mod:`cece.io.labels`; the sources are read together by :mod:`cece.io.blocks`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cece.errors import InputError, OptionError
from cece.io import arrays, readers
from cece.io.arrays import ArrayInput
from cece.io.arrow import ArrowTable
from cece.io.blocks import Source
from cece.io.fields import looks_like_number, parse_number
from cece.io.layout import Inference, decimal, index_column, int_token, not_scores
from cece.io.text import TextTable

LABEL_NAMES = ("label", "labels", "target", "targets", "y", "y_true", "class", "truth")


@dataclass
class Predictions:
    name: str
    shape: tuple[int, ...] | None  # as stored, when known before reading
    n_classes: int
    classes: list[str] | None
    dtype: np.dtype
    source: Source
    sample_shape: tuple[int, ...] | None = None
    class_axis: int = -1


def open_predictions(
    arg: str,
    *,
    class_axis: int = -1,
    pred_cols: str | None = None,
    label_col: str | None = None,
    weight_col: str | None = None,
    classes: list[str] | None = None,
    stdin_format: str = "csv",
    binary: bool = False,
    header: bool | None = None,
) -> Predictions:
    """Open PREDS; ``label_col``/``weight_col`` name columns of the same table.

    ``binary``: a 1-D array is N samples of one column (not one sample of C classes), and an
    array of higher rank is one sample per entry of its first axis.
    """
    data = open_input(arg, stdin_format, header)
    if isinstance(data, ArrayInput):
        if weight_col is not None:
            raise OptionError(
                f"--sample-weight {weight_col!r}: no such file, and {data.name} "
                "is an array without named columns"
            )
        original = data.array
        _check_not_empty(original, data.name)
        if binary:
            data = ArrayInput(data.name, as_columns(data.array))
            class_axis = -1
        preds = _array_predictions(data, class_axis, pred_cols, label_col)
        preds.shape = original.shape
        if preds.class_axis % max(1, original.ndim) == max(1, original.ndim) - 1 or binary:
            assert isinstance(preds.source.data, ArrayInput)  # from _array_predictions
            width = preds.source.data.array.shape[-1]
            preds.source.file_rows = arrays.NpyRows.of(original, width, (width,))
    else:
        preds = _table_predictions(data, pred_cols, label_col, weight_col)
    if classes is not None:
        if len(classes) != preds.n_classes:
            raise OptionError(
                f"--classes names {len(classes)} classes, but {preds.name} has "
                f"{preds.n_classes} prediction columns"
            )
        preds.classes = classes
    return preds


def open_input(
    arg: str, stdin_format: str, header: bool | None
) -> ArrayInput | TextTable | ArrowTable:
    """An argument opened; ``header`` (``--header``/``--no-header``) decides text first rows."""
    data = readers.load(readers.resolve(arg), stdin_format=stdin_format)
    if header is not None and isinstance(data, TextTable):
        flag = "--header" if header else "--no-header"
        data.set_header(header, f"first row read as {'a header' if header else 'data'} ({flag})")
    return data


def refresh_classes(preds: Predictions, classes: tuple[str, ...] | None) -> None:
    """Class names once a first row is settled as a header (or as data), unless --classes."""
    table = preds.source.data
    if classes is None and isinstance(table, TextTable):
        cols = preds.source.parts["preds"] or []
        preds.classes = [table.header[c] for c in cols] if table.header else None


def _check_not_empty(arr: np.ndarray, name: str) -> None:
    if arr.size or arr.ndim == 0:
        return
    shape = tuple(arr.shape)
    if arr.ndim == 1 or 0 in shape[:-1]:
        raise InputError(name, f"no samples: shape {shape}; expected at least one row")
    raise InputError(name, f"no prediction columns: shape {shape}")


def as_columns(arr: np.ndarray) -> np.ndarray:
    """Binary layout: (N,) → (N, 1); (N, d1, d2, ...) → (N, d1·d2·...); a scalar → (1, 1)."""
    if arr.ndim == 0:
        return arr.reshape(1, 1)
    if arr.ndim == 1:
        return arr[:, None]
    return arr.reshape(arr.shape[0], -1) if arr.ndim > 2 else arr


def _array_predictions(
    data: ArrayInput, class_axis: int, pred_cols: str | None, label_col: str | None
) -> Predictions:
    arr, name = data.array, data.name
    if arr.dtype.kind not in "iufb":
        raise InputError(name, f"holds {arr.dtype} values; expected numbers")
    shape = arr.shape
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr[None, :]  # a single sample: one row of class scores
    if not -arr.ndim <= class_axis < arr.ndim:
        raise OptionError(
            f"--class-axis {class_axis} is out of range for {name} with "
            f"{arr.ndim} dimensions (shape {shape})"
        )
    if class_axis % arr.ndim != arr.ndim - 1:
        arr = np.moveaxis(arr, class_axis, -1)
    source = Source(name, ArrayInput(name, arr), rows=int(np.prod(arr.shape[:-1])))
    cols = list(range(arr.shape[-1]))
    if label_col is not None:
        if arr.ndim != 2:
            raise OptionError(f"--label-col needs a 2-D table; {name} has shape {shape}")
        label = parse_cols(label_col, None, arr.shape[1], name, "--label-col")
        source.parts["labels"] = label[:1]
        cols = [c for c in cols if c != label[0]]
    if pred_cols is not None:
        if arr.ndim != 2:
            raise OptionError(f"--pred-cols needs a 2-D table; {name} has shape {shape}")
        cols = parse_cols(pred_cols, None, arr.shape[1], name, "--pred-cols")
    source.parts["preds"] = None if len(cols) == arr.shape[-1] else cols
    return Predictions(
        name,
        shape,
        len(cols),
        None,
        arr.dtype,
        source,
        sample_shape=arr.shape[:-1],
        class_axis=class_axis,
    )


def _table_predictions(
    table: TextTable | ArrowTable,
    pred_cols: str | None,
    label_col: str | None,
    weight_col: str | None,
) -> Predictions:
    name, header = table.name, table.header
    skip: set[int] = set()
    source = Source(name, table)
    if label_col is not None:
        labels = parse_cols(label_col, header, table.ncols, name, "--label-col")
        source.parts["labels"] = labels
        if len(labels) == 1 and not numeric_column(table, labels[0]):
            source.text_parts.add("labels")
        skip.update(labels)
    if weight_col is not None:
        weight = parse_cols(weight_col, header, table.ncols, name, "--sample-weight")[0]
        source.parts["weights"] = [weight]
        skip.add(weight)
    if pred_cols is not None:
        cols = parse_cols(pred_cols, header, table.ncols, name, "--pred-cols")
    else:
        cols = score_columns(table, [c for c in range(table.ncols) if c not in skip])
    for c in cols:
        if text_column(table, c):
            col = header[c] if header else c
            raise InputError(
                name,
                f"column {col!r} holds text, not prediction scores",
                hint=f"choose columns with --pred-cols, or pass --label-col {shell_word(col, c)}",
            )
    if header:
        seen: dict[str, int] = {}
        for c in cols:
            if header[c] in seen:
                raise InputError(
                    name,
                    f"class name {header[c]!r} appears twice in the header "
                    f"(columns {seen[header[c]]} and {c})",
                    line=getattr(table, "header_line", None),
                )
            seen[header[c]] = c
    source.parts["preds"] = cols
    classes = [header[c] for c in cols] if header else None
    return Predictions(name, None, len(cols), classes, np.dtype(np.float64), source)


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
            why = not_scores(header[c], is_int)
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
    suspects = [c for c in ints if isinstance(table, ArrowTable) or not _zero_one(table, c)]
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


def label_like(preds: Predictions) -> str | None:
    """A PREDS column taken for class scores whose name says labels (with a LABELS file)."""
    for name in preds.classes or []:
        if name.strip().lower() in LABEL_NAMES and preds.source.data is not None:
            return name
    return None


def _zero_one(table: TextTable, col: int) -> bool:
    return {v.strip() for v in _sampled(table, col)} <= {"0", "1"}


def _decimal_column(table: TextTable | ArrowTable, col: int) -> bool:
    """Every sampled cell is a number written with a point or exponent (Arrow: a float type)."""
    if isinstance(table, ArrowTable):
        return table.is_numeric(col) and not table.is_integer(col)
    cells = _sampled(table, col)
    return bool(cells) and all(decimal(v) for v in cells)


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
