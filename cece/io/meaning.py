"""What labels mean beyond their values: the label space ``--ignore-index`` applies in when
integer labels are class names, True/False labels against classes that are not True/False,
and the class axis when the labels' shape fits more than one axis of the predictions.

Each decision is stated (an :class:`~cece.io.layout.Inference`: a note and JSON
``input.inferred``) or refused with the option that decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cece.errors import EMPTY_LABEL_HINT, InputError, OptionError
from cece.io import tables
from cece.io.arrays import ArrayInput
from cece.io.blocks import Source
from cece.io.columns import boolean_column, pred_cols_spec
from cece.io.layout import Inference

if TYPE_CHECKING:
    from cece.io.inputs import Predictions

SYMMETRY_LIMIT = 1 << 22  # arrays up to this many values are compared under the other axis


def ignore_space(
    ignore_index: int | None, lookup: dict[int, int] | None, classes: list[str], name: str
) -> tuple[int | None, Inference | None]:
    """``--ignore-index I`` when integer labels are class names (``1,2,3``): ``I`` is a label as
    written (README: "skip samples labelled I"), applied once, before the labels become
    column indices. Returns the value ignored rows carry as column indices (outside 0..C-1, so
    no mapped label is ignored a second time) and a note where PyTorch's reading of ``I`` (a
    target index, the column the labels become) would skip other samples."""
    if ignore_index is None or lookup is None:
        return ignore_index, None
    i, c = ignore_index, len(classes)
    inside = 0 <= i < c
    column = lookup.get(i)
    if column == i or (column is None and not inside):
        return (-1 if inside else i), None  # the two readings agree
    written = f"class {classes[column]!r}" if column is not None else f"no class is named {i}"
    torch = (
        f"not those of column {i} (class {classes[i]!r})"
        if inside
        else f"read as a column index it would skip none ({c} classes)"
    )
    why = (
        f"--ignore-index {i} skips the samples labelled {i} as written ({written}); {torch}: "
        "the labels are class names"
    )
    return (-1 if inside else i), Inference(name, "ignore index", why)


def boolean_labels(
    src: Source, classes: list[str] | None, n_classes: int, labels_as: str | None
) -> Inference | None:
    """True/False labels (a NumPy bool array, ``True``/``False`` cells, an Arrow ``bool``
    column) against classes not named True/False: with two classes False is column 0 and True
    column 1 (scikit-learn's order of the classes ``[False, True]``), stated; against more
    classes a boolean names none of them (PyTorch refuses bool targets): refused unless
    ``--labels-as index`` reads them as columns 0 and 1."""
    if classes and sorted(n.strip().lower() for n in classes) == ["false", "true"]:
        return None  # mapped through the names (evidence.boolean_names)
    cols = src.parts.get("labels")
    if labels_as == "index" or not boolean_column(src.data, cols[0] if cols else None):
        return None
    if n_classes > 2:
        raise InputError(
            src.name,
            f"True/False labels against {n_classes} classes: a boolean does not say which "
            "class it is (PyTorch refuses bool targets)",
            hint="write class indices or names; --labels-as index reads False as column 0 "
            "and True as column 1",
        )
    shown = f" ({classes[0]!r}, {classes[1]!r})" if classes else ""
    why = (
        f"True/False labels read as False = column 0, True = column 1{shown}, scikit-learn's "
        "order of the classes [False, True] (--labels-as index says so)"
    )
    return Inference(src.name, "labels", why)


def class_axis_fits(shape: tuple[int, ...], preds: Predictions, labels: str) -> list[Inference]:
    """Labels of shape ``(N, d…)`` (or dense targets of the predictions' shape) against
    predictions ``(N, …, C)`` where another axis has the size C too (``(N, C, d)`` with C == d): classes stay on the last axis (CONTRACT), and
    a note names the other reading (PyTorch's ``(N, C, d…)`` layout is axis 1) where it gives
    another loss. A ``torch.save`` file is refused instead: PyTorch's own layout is axis 1."""
    full, data = preds.shape, preds.source.data
    if full is None or len(full) < 3 or preds.class_axis != -1 or not isinstance(data, ArrayInput):
        return []
    if shape not in (tuple(full[:-1]), tuple(full[:-1]) + (1,), tuple(full)):  # or dense
        return []
    c = full[-1]
    axes = [a for a in range(1, len(full) - 1) if all(n == c for n in full[a:])]
    axes = [a for a in axes if not _same_either_way(data.array, a)]
    if not axes:
        return []
    a = axes[0]
    layout = " (PyTorch's (N, C, ...) layout)" if a == 1 else ""
    if data.torch_saved and a == 1:
        raise InputError(
            preds.name,
            f"classes on axis 1 (PyTorch's (N, C, ...) layout, a torch.save file) or on the "
            f"last axis ({c})? Both fit the labels of {labels} (shape {shape}) and give "
            "different losses",
            hint=f"--class-axis 1 for PyTorch's layout, --class-axis {len(full) - 1} for the "
            "last axis",
        )
    why = (
        f"classes on the last axis ({c}); axis {a} also fits the labels{layout}: "
        f"--class-axis {a} for that reading"
    )
    return [Inference(preds.name, "class axis", why)]


def _same_either_way(arr: np.ndarray, axis: int) -> bool:
    """The array reads the same with its classes on ``axis`` as on the last (symmetric in
    those axes): both readings give the same loss. Large arrays are not compared."""
    if arr.size > SYMMETRY_LIMIT or arr.dtype.kind not in "iufb":
        return False
    return bool(np.array_equal(np.moveaxis(arr, axis, -1), arr, equal_nan=arr.dtype.kind == "f"))


def no_columns(data: object, label_col: str | None) -> None:
    """--label-col names a column of a table: LABELS given as an array has none to pick (the
    option was dropped without a word)."""
    if label_col is not None and isinstance(data, ArrayInput):
        raise OptionError(
            f"--label-col {label_col!r} picks a column of a table; {data.name} is an array "
            f"of shape {tuple(data.array.shape)}, read whole as the labels",
            hint="leave --label-col out for array labels",
        )


def empty_label(table: object, col: int) -> None:
    """A label cell left empty among the first rows of a text table (pandas writes a missing
    label, NaN or None, as an empty cell; ``""`` in a one-column file) is refused at its line,
    before the cell makes the column look like class names. Later ones: the block readers."""
    if not tables.is_text(table):
        return
    rows = table.sample_rows
    if table.header is None or table.header_is_data:
        rows = [table.first_fields, *rows]
    for k, row in enumerate(rows):
        if len(row) == table.ncols and col < len(row) and not row[col].strip():
            raise InputError(
                table.name, "empty label", line=table.data_line + k, hint=EMPTY_LABEL_HINT
            )


def target_width(width: int, k: int, name: str, preds: Predictions) -> None:
    """Binary targets: one column per prediction column. One label column beside the two
    columns of ``predict_proba`` is a two-class problem: categorical, or P(class 1) alone."""
    if width == k:
        return
    hint = None
    if width == 1 and k == 2:
        second = _second_column(preds)
        hint = (
            "two prediction columns and one label (predict_proba?): cece categorical reads "
            f"them as two classes; --pred-cols {second} takes the second alone as P(positive)"
        )
    raise InputError(
        name,
        f"{width} target column(s); expected {k}, one per prediction column of {preds.name}",
        hint=hint,
    )


def _second_column(preds: Predictions) -> str:
    """The --pred-cols value of PREDS' second prediction column: its name, or its position in
    the file (the columns taken, where a table has others; else 1)."""
    cols, table = preds.source.parts.get("preds"), preds.source.data
    if not cols or len(cols) != 2 or not (tables.is_text(table) or tables.is_arrow(table)):
        return "1"
    return pred_cols_spec(table, cols[1:])


def columns_hint(table: object, cols: list[int], preds: Predictions) -> str:
    """A labels table of neither 1 nor C columns: 0/1 columns, fewer than the classes, are
    ``pd.get_dummies`` of the classes that occur (a column per class is missing); a (B, T)
    table beside (B, T, V) predictions is one label per token, which an array carries; else
    a label column is to be picked."""
    n_classes, shape = preds.n_classes, preds.shape
    if tables.is_text(table) and 1 < len(cols) < n_classes:
        cells = [r[c].strip().lower() for r in table.sample_rows for c in cols if c < len(r)]
        if cells and all(v in ("0", "1", "true", "false") for v in cells):
            return (
                f"one-hot columns for {len(cols)} of {n_classes} classes? pd.get_dummies keeps "
                "only the classes that occur: .reindex(columns=classes, fill_value=0)"
            )
    if shape is not None and len(shape) == 3 and len(cols) in (shape[1], shape[1] - 1):
        return (
            f"one label per token of {preds.name} {tuple(shape)}? N-D labels come as an array: "
            "np.save('labels.npy', labels)"
        )
    return "pick the label column with --label-col"
