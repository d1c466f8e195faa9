"""Labels, binary targets and sample weights, opened against the predictions they go with.

Labels are classified (class indices, class names, dense rows) and their shape checked against
PREDS; a label column of the PREDS table (``--label-col``) is found or suggested.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING

import numpy as np

from cece.errors import CeceError, InputError, OptionError
from cece.io import arrays, bfloat16, meaning, pairing, tables
from cece.io.arrays import ArrayInput
from cece.io.blocks import Source
from cece.io.colspecs import parse_cols
from cece.io.columns import (
    LABEL_NAMES,
    index_columns,
    numeric_column,
    shell_word,
    text_column,
)
from cece.io.inputs import Predictions, as_columns, label_like, open_input
from cece.io.layout import Inference
from cece.io.records import label_field
from cece.io.targetcols import by_name, in_table, not_dense_targets
from cece.structs import struct

if TYPE_CHECKING:
    from cece.io.arrow import ArrowTable
    from cece.io.jsonl import JsonlTable
    from cece.io.text import TextTable

SHIFTED = "labels one shorter than each sequence: shifted for a causal LM? --shift scores them"


@struct
class Labels:
    """LABELS as opened: their form (class indices, class names or dense rows) and blocks."""

    name: str
    form: str  # "index" | "name" | "dense"
    source: Source
    inferred: list[Inference] = field(default_factory=list)  # e.g. a size-1 axis squeezed


def open_labels(
    arg: str | None,
    preds: Predictions,
    *,
    label_col: str | None = None,
    stdin_format: str = "csv",
    header: bool | None = None,
) -> Labels:
    if arg is None:
        if "labels" not in preds.source.parts and _records(preds.source.data):
            assert tables.is_jsonl(preds.source.data) or tables.is_arrow(preds.source.data)
            return _record_labels(preds.source.data, preds, None, preds.source)
        if "labels" not in preds.source.parts:
            raise CeceError(
                "no labels: pass a LABELS file or name the label column with --label-col",
                hint=_label_col_hint(preds),
            )
        cols = preds.source.parts["labels"] or [0]
        if len(cols) > 1:  # a list per record, or target columns: dense targets
            preds.source.parts["labels"] = in_table(preds, cols)
            return Labels(preds.name, "dense", preds.source)
        meaning.empty_label(preds.source.data, cols[0])
        form = "name" if "labels" in preds.source.text_parts else "index"
        return Labels(preds.name, form, preds.source)
    _check_label_like(preds, arg)
    data = open_input(arg, stdin_format, header)
    meaning.no_columns(data, label_col)
    if isinstance(data, ArrayInput):
        return _array_labels(bfloat16.numbers(data), preds)
    if tables.is_jsonl(data) or (tables.is_arrow(data) and data.records):
        return _record_labels(data, preds, label_col, Source(data.name, data))
    return _table_labels(data, preds, label_col)


def _records(data: object) -> bool:
    """A record table (JSON Lines, or an Arrow table with list columns)."""
    return tables.is_jsonl(data) or (tables.is_arrow(data) and data.records)


def _record_labels(
    table: JsonlTable | ArrowTable,
    preds: Predictions,
    label_col: str | None,
    source: Source,
    *,
    binary: bool = False,
) -> Labels:
    """Labels from a field of records: class indices, class names, or a list per record
    (dense targets; binary: one target per prediction column)."""
    f = label_field(table, label_col)
    source.parts["labels"] = table.add(f)
    width = f.width or 1
    if binary:
        if f.kind == "text":
            raise InputError(
                table.name, f"field {f.path!r} holds text; binary targets are numbers in [0, 1]"
            )
        meaning.target_width(width, preds.n_classes, table.name, preds)
        return Labels(table.name, "binary", source)
    if f.kind == "text":
        source.text_parts.add("labels")
        return Labels(table.name, "name", source)
    if f.width is None:
        return Labels(table.name, "index", source)
    if width != preds.n_classes:
        raise InputError(
            table.name,
            f"field {f.path!r} holds {width} values per record; expected one class index, "
            f"or {preds.n_classes} (one target per class of {preds.name})",
        )
    return Labels(table.name, "dense", source)


def _array_labels(data: ArrayInput, preds: Predictions) -> Labels:
    arr, name = data.array, data.name
    samples = preds.sample_shape
    n = int(np.prod(samples)) if samples is not None else None
    text = arr.dtype.kind in "US"
    if not text and arr.dtype.kind not in "iufb":
        raise InputError(name, f"holds {arr.dtype} values; expected class indices or targets")
    squeezed = None
    if arr.ndim == 0 or (samples is not None and arr.shape == samples):
        vec = arr.reshape(-1)
    elif arr.ndim >= 2 and arr.shape[-1] == 1 and arr.shape[:-1] == (samples or arr.shape[:1]):
        # Keras' sparse labels (N, 1), a language model's (B, T, 1): one label per sample
        vec, squeezed = arr.reshape(-1), arr.shape
    elif arr.ndim == 1 and (n is None or len(arr) == n):
        vec = arr
    elif (
        not text
        and preds.shape is not None
        and arr.ndim > 2
        and arr.shape == tuple(preds.shape)
        and preds.class_axis % arr.ndim != arr.ndim - 1
    ):
        # Dense targets have the predictions' shape, class axis included (PyTorch's (N, C, d…)
        # soft targets): moved last as the predictions are, even where a spatial size equals C.
        dense = np.ascontiguousarray(np.moveaxis(arr, preds.class_axis, -1)).reshape(
            -1, preds.n_classes
        )
        source = Source(name, ArrayInput(name, dense), {"labels": None}, rows=len(dense))
        return Labels(name, "dense", source)
    elif not text and samples is not None and arr.shape == samples + (preds.n_classes,):
        dense = arr.reshape(-1, preds.n_classes)
        source = Source(
            name,
            ArrayInput(name, dense),
            {"labels": None},
            rows=len(dense),
            file_rows=arrays.NpyRows.of(arr, preds.n_classes, (preds.n_classes,)),
        )
        return Labels(name, "dense", source, meaning.class_axis_fits(arr.shape, preds, name))
    elif (
        not text and preds.shape is not None and len(preds.shape) == 1 and arr.shape == preds.shape
    ):
        source = Source(name, ArrayInput(name, arr[None, :]), {"labels": None}, rows=1)
        return Labels(name, "dense", source)  # one sample, one dense target row
    elif not text and samples is None and arr.ndim == 2 and arr.shape[1] == preds.n_classes:
        return Labels(
            name,
            "dense",
            Source(
                name,
                data,
                {"labels": None},
                rows=len(arr),
                file_rows=arrays.NpyRows.of(arr, preds.n_classes, (preds.n_classes,)),
            ),
        )
    else:
        raise _shape_mismatch(name, arr.shape, preds)
    source = Source(
        name,
        ArrayInput(name, vec),
        {"labels": None},
        rows=len(vec),
        file_rows=arrays.NpyRows.of(arr, 1, ()),
    )
    labels = Labels(name, "name" if text else "index", source)
    labels.inferred += [] if text else meaning.class_axis_fits(arr.shape, preds, name)
    if squeezed is not None:
        why = f"labels of shape {squeezed}: the trailing axis of size 1 squeezed, one per sample"
        labels.inferred.append(Inference(name, "labels", why))
    return labels


def _table_labels(
    table: TextTable | ArrowTable, preds: Predictions, label_col: str | None
) -> Labels:
    name = table.name
    if label_col is not None:
        cols = parse_cols(label_col, table.header, table.ncols, name, "--label-col")[:1]
    else:
        skipped = index_columns(table, list(range(table.ncols)))
        table.inferred.extend(skipped.values())
        cols = [c for c in range(table.ncols) if c not in skipped]
    if len(cols) == preds.n_classes and len(cols) > 1:
        not_dense_targets(table, cols, preds.classes, preds.name)  # label,weight: not targets
        source = Source(name, table, {"labels": by_name(table, cols, preds.classes, preds.name)})
        pairing.check(preds, source)
        return Labels(name, "dense", source)
    if len(cols) != 1:
        raise InputError(
            name,
            f"{len(cols)} columns; expected 1 (class indices or names) or "
            f"{preds.n_classes} (one target column per class)",
            hint=meaning.columns_hint(table, cols, preds),
        )
    source = Source(name, table, {"labels": cols})
    meaning.empty_label(table, cols[0])
    numeric = numeric_column(table, cols[0])
    if tables.is_text(table) and table.header and table.ncols == 1 and header_free(table):
        first = table.header[0]
        # A lone column of class names has no header unless its first cell is not a class.
        if not numeric and preds.classes and first in preds.classes:
            table.header_is_data = True
    if not numeric:
        source.text_parts.add("labels")
    pairing.check(preds, source)  # both tables name their rows: the names agree
    return Labels(name, "index" if numeric else "name", source)


def _check_label_like(preds: Predictions, arg: str) -> None:
    """With a LABELS argument, a PREDS column named like labels is not a class score."""
    col = label_like(preds)
    if col is not None and "labels" not in preds.source.parts:
        raise InputError(
            preds.name,
            f"column {col!r} looks like labels, not class scores (labels come from {arg})",
            hint="choose the score columns with --pred-cols",
        )


def header_free(table: TextTable) -> bool:
    """The header was not stated by --header or decided from evidence."""
    return not any(i.what in ("header", "no header") for i in table.inferred)


def _shape_mismatch(name: str, shape: tuple, preds: Predictions) -> InputError:
    samples = preds.sample_shape
    want = f"shape {samples} (one label per sample)" if samples else "one label per row"
    shifted = samples is not None and len(samples) == 2 and shape == (samples[0], samples[1] - 1)
    return InputError(
        name,
        f"labels have shape {shape}; expected {want} or {samples or '(N,)'} "
        f"+ ({preds.n_classes},) for dense targets (predictions: "
        f"{preds.shape or 'a table'} in {preds.name})",
        hint=SHIFTED if shifted else _class_axis_hint(shape, preds),
    )


def _class_axis_hint(shape: tuple, preds: Predictions) -> str | None:
    """``--class-axis 1`` where the labels' shape is the predictions' without that axis: a
    segmentation dump (N, C, H, W) with masks (N, H, W), PyTorch's layout (classes on axis 1)."""
    full = preds.shape
    if full is None or len(full) < 2 or len(shape) != len(full) - 1:
        return None
    current = preds.class_axis % len(full)
    axes = [a for a in range(len(full)) if a != current and full[:a] + full[a + 1 :] == shape]
    if len(axes) != 1:
        return None
    a = axes[0]
    return f"the labels fit {preds.name} with its classes on axis {a}: pass --class-axis {a}"


def _label_col_hint(preds: Predictions) -> str | None:
    if preds.classes:
        for c in preds.classes:
            if c.strip().lower() in LABEL_NAMES:
                return f"{preds.name} has a column {c!r}: pass --label-col {shell_word(c, 0)}"
    return None


def open_binary_targets(
    arg: str | None,
    preds: Predictions,
    *,
    label_col: str | None = None,
    stdin_format: str = "csv",
    header: bool | None = None,
    positive: str | None = None,
) -> Labels:
    """Targets for binary cross-entropy: numbers of the predictions' shape, (N, K); with
    ``positive`` (``--positive LABEL``), one column of labels of which that one is 1."""
    k = preds.n_classes
    if positive is not None and k != 1:
        raise OptionError(f"--positive goes with one column of predictions; {preds.name} has {k}")
    if arg is None:
        if "labels" not in preds.source.parts and _records(preds.source.data):
            assert tables.is_jsonl(preds.source.data) or tables.is_arrow(preds.source.data)
            return _record_labels(preds.source.data, preds, None, preds.source, binary=True)
        if "labels" not in preds.source.parts:
            raise CeceError(
                "no targets: pass a LABELS file or name the target column(s) with --label-col",
                hint=_label_col_hint(preds),
            )
        if "labels" in preds.source.text_parts and positive is None:
            raise InputError(
                preds.name,
                "the target column holds text; binary targets are numbers in [0, 1]",
                hint=POSITIVE_HINT,
            )
        assert preds.source.parts["labels"] is not None  # columns of PREDS (inputs.py)
        meaning.target_width(len(preds.source.parts["labels"]), k, preds.name, preds)
        return Labels(preds.name, "binary", preds.source)
    _check_label_like(preds, arg)
    data = open_input(arg, stdin_format, header)
    meaning.no_columns(data, label_col)
    if tables.is_jsonl(data) or (tables.is_arrow(data) and data.records):
        source = Source(data.name, data)
        return _record_labels(data, preds, label_col, source, binary=True)
    cols: np.ndarray | list[int] | None  # the array's targets, or the table's target columns
    if isinstance(data, ArrayInput):
        arr = bfloat16.numbers(data).array
        if arr.dtype.kind not in "iufb" and not (arr.dtype.kind in "US" and positive):
            raise InputError(
                data.name,
                f"holds {arr.dtype} values; binary targets are numbers in [0, 1]",
                hint=POSITIVE_HINT if arr.dtype.kind in "US" else None,
            )
        cols = _target_columns(arr, preds)
        if cols is None:
            want = preds.shape if preds.shape is not None else f"(N, {k})"
            raise InputError(
                data.name,
                f"targets have shape {arr.shape}; expected the "
                f"predictions' shape {want} (from {preds.name})",
            )
        return Labels(
            data.name,
            "binary",
            Source(
                data.name,
                ArrayInput(data.name, cols),
                {"labels": None},
                rows=len(cols),
                file_rows=None if arr.dtype.kind in "US" else arrays.NpyRows.of(arr, k, (k,)),
            ),
        )
    if positive is not None and tables.is_text(data):
        _first_is_a_label(data, positive)
    if label_col is not None:
        cols = parse_cols(label_col, data.header, data.ncols, data.name, "--label-col")
    else:
        skipped = index_columns(data, list(range(data.ncols)))
        data.inferred.extend(skipped.values())
        cols = [c for c in range(data.ncols) if c not in skipped]
        if len(cols) > 1:  # label,weight: not targets (the rule categorical follows)
            not_dense_targets(data, cols, preds.classes, preds.name, binary=True)
    meaning.target_width(len(cols), k, data.name, preds)
    source = Source(data.name, data, {"labels": by_name(data, cols, preds.classes, preds.name)})
    for c in cols:
        if positive is not None and not numeric_column(data, c):
            source.text_parts.add("labels")
        elif text_column(data, c):
            raise InputError(
                data.name,
                f"column {c} holds text; binary targets are numbers in [0, 1]",
                hint=POSITIVE_HINT,
            )
    pairing.check(preds, source)  # both tables name their rows: the names agree
    return Labels(data.name, "binary", source)


def _first_is_a_label(table: TextTable, positive: str) -> None:
    """A lone column of text labels (``M``, ``B``) has no header when its first cell is the
    --positive label or a value the rows below hold: it is the first sample's label."""
    if table.header and table.ncols == 1 and header_free(table):
        first = table.header[0]
        if first == positive or first in {r[0].strip() for r in table.sample_rows if r}:
            why = f"first row {first!r} read as data: a label, as the rows below (--header decides)"
            table.set_header(False, why)


POSITIVE_HINT = (
    "for labels such as benign/malignant or -1/1 name the positive one: --positive LABEL"
)


def _target_columns(arr: np.ndarray, preds: Predictions) -> np.ndarray | None:
    """Targets as (N, K) when their shape fits the predictions', else None."""
    n, k = preds.source.rows, preds.n_classes
    if preds.shape is not None and arr.shape == preds.shape:
        return as_columns(arr)
    if arr.ndim <= 1 and k == 1 and (n is None or arr.size == n):
        return arr.reshape(-1, 1)
    if arr.ndim == 1 and n == 1 and arr.size == k:
        return arr[None, :]  # one sample of K labels
    if arr.ndim >= 2 and (n is None or arr.shape[0] == n) and arr[0].size == k:
        return arr.reshape(arr.shape[0], k)
    return None
