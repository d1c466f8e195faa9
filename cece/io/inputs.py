"""Predictions: the PREDS argument opened, its columns and class axis chosen.

This is where the arguments' files meet: columns are chosen (``--pred-cols``, ``--label-col``),
the class axis is moved last and the other axes flattened into samples in C order
(``--class-axis``), and the helpers that pick columns of a table. Labels and sample weights are opened by
:mod:`cece.io.labels`; the sources are read together by :mod:`cece.io.blocks`.
"""

from __future__ import annotations

from dataclasses import field, replace
from typing import TYPE_CHECKING

import numpy as np

from cece.errors import InputError, OptionError
from cece.io import arrays, bfloat16, readers, tables
from cece.io.arrays import ArrayInput
from cece.io.blocks import Source
from cece.io.colspecs import one_role, parse_cols
from cece.io.columns import (
    LABEL_NAMES,
    numeric_column,
    score_columns,
    shell_word,
    text_column,
)
from cece.io.lazy import WINDOW
from cece.io.records import label_candidates, label_field, pred_columns, unused_mask
from cece.losses import domain, validate
from cece.structs import struct

if TYPE_CHECKING:
    from cece.io.arrow import ArrowTable
    from cece.io.jsonl import JsonlTable
    from cece.io.text import TextTable


@struct
class Predictions:
    """PREDS as opened: what is known of them before the blocks are read, and the blocks."""

    name: str
    shape: tuple[int, ...] | None  # as stored, when known before reading
    n_classes: int
    classes: list[str] | None
    dtype: np.dtype
    source: Source
    sample_shape: tuple[int, ...] | None = None
    class_axis: int = -1
    facts: dict = field(default_factory=dict)  # what JSON "input" says of the stored values
    notes: list[str] = field(default_factory=list)  # and the notes that say it
    chosen: bool = False  # the score columns were named (--pred-cols), not inferred


def open_predictions(
    arg: str,
    *,
    class_axis: int = -1,
    pred_cols: str | None = None,
    label_col: str | None = None,
    weight_col: str | None = None,
    rescale_col: str | None = None,
    ids_col: str | None = None,
    mask_col: str | None = None,
    classes: list[str] | None = None,
    stdin_format: str = "csv",
    binary: bool = False,
    dtype: str = "auto",
    kind: str = "auto",
    header: bool | None = None,
    dtype_option: str = "--dtype",
) -> Predictions:
    """Open PREDS; ``label_col``/``weight_col``/``mask_col`` name columns of the same table.

    ``binary``: a 1-D array is N samples of one column (not one sample of C classes), and an
    array of higher rank is one sample per entry of its first axis. ``dtype`` (``--dtype``)
    and ``kind`` (``--from``) decide whether integer arrays may be read (:mod:`.bfloat16`);
    ``dtype_option`` names the option that set ``dtype`` (``--q-dtype`` for Q of ``cece kl``).
    """
    data = open_input(arg, stdin_format, header)
    if isinstance(data, ArrayInput):
        data = bfloat16.decide(data, dtype, kind, dtype_option)
        for option, col in (
            ("--sample-weight", weight_col),
            ("--rescale", rescale_col),
            ("--sequence-ids", ids_col),
            ("--mask", mask_col),
        ):
            if col is not None:
                raise OptionError(
                    f"{option} {col!r}: no such file, and {data.name} "
                    "is an array without named columns"
                )
        original = data.array
        _check_not_empty(original, data.name)
        _check_window(original, data.name, binary, class_axis)
        if binary:
            data = replace(data, array=as_columns(data.array))
            class_axis = -1
        preds = _array_predictions(data, class_axis, pred_cols, label_col)
        preds.shape = original.shape
        if preds.class_axis % max(1, original.ndim) == max(1, original.ndim) - 1 or binary:
            assert isinstance(preds.source.data, ArrayInput)  # from _array_predictions
            width = preds.source.data.array.shape[-1]
            preds.source.file_rows = arrays.NpyRows.of(original, width, (width,))
        if data.bfloat16:
            preds.source.decode = bfloat16.to_float32
            preds.dtype = np.dtype(np.float32)
        preds.facts, preds.notes = bfloat16.facts(data)
    elif tables.is_jsonl(data) or (tables.is_arrow(data) and data.records):
        if not tables.is_arrow(data):
            bfloat16.check_text(data.name, dtype, dtype_option)
        preds = _record_predictions(
            data, pred_cols, label_col, weight_col, rescale_col, ids_col, mask_col
        )
    else:
        if not tables.is_arrow(data):
            bfloat16.check_text(data.name, dtype, dtype_option)
        preds = _table_predictions(
            data, pred_cols, label_col, weight_col, rescale_col, ids_col, mask_col
        )
    if tables.is_arrow(data):
        _typed_scores(data, preds, dtype, kind, dtype_option)
    preds.chosen = pred_cols is not None
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
) -> ArrayInput | TextTable | ArrowTable | JsonlTable:
    """An argument opened; ``header`` (``--header``/``--no-header``) decides text first rows."""
    data = readers.load(readers.resolve(arg), stdin_format=stdin_format)
    if header is not None and tables.is_text(data):
        flag = "--header" if header else "--no-header"
        data.set_header(header, f"first row read as {'a header' if header else 'data'} ({flag})")
    return data


def refresh_classes(
    preds: Predictions, classes: tuple[str, ...] | None, part: str = "preds"
) -> None:
    """Class names once a first row is settled as a header (or as data), unless --classes."""
    table = preds.source.data
    if classes is None and tables.is_text(table):
        cols = preds.source.parts[part] or []
        preds.classes = [table.header[c] for c in cols] if table.header else None


def _check_window(arr: np.ndarray, name: str, binary: bool, class_axis: int) -> None:
    """A row window (:mod:`cece.io.window`) cuts the first axis: refused where that axis
    holds the classes (one sample as a 1-D array, ``--class-axis 0``), not samples."""
    if WINDOW.get() is None or binary:
        return
    if arr.ndim <= 1 or (-arr.ndim <= class_axis < arr.ndim and class_axis % arr.ndim == 0):
        raise InputError(
            name,
            "its first axis holds classes (one sample, or --class-axis 0), which a row window "
            "would cut; windows need samples along the first axis",
        )


def _check_not_empty(arr: np.ndarray, name: str) -> None:
    validate.not_empty(arr, name)  # one rule with the library's


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
    if arr.dtype.kind not in "iufb" and not data.bfloat16:
        raise InputError(name, f"holds {arr.dtype} values; expected numbers")
    domain.exact_in_float64(arr, name)  # int64 beyond 2^53, long doubles: refused
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
    source = Source(name, replace(data, array=arr), rows=int(np.prod(arr.shape[:-1])))
    cols = list(range(arr.shape[-1]))
    if label_col is not None:
        if arr.ndim != 2:
            raise OptionError(f"--label-col needs a 2-D table; {name} has shape {shape}")
        label = parse_cols(label_col, None, arr.shape[1], name, "--label-col")
        source.parts["labels"] = label  # several: one target per class (dense)
        cols = [c for c in cols if c not in label]
    if pred_cols is not None:
        if arr.ndim != 2:
            raise OptionError(f"--pred-cols needs a 2-D table; {name} has shape {shape}")
        cols = parse_cols(pred_cols, None, arr.shape[1], name, "--pred-cols")
        taken = source.parts.get("labels") or []
        one_role(dict.fromkeys(taken, "--label-col"), cols, "--pred-cols", None, name)
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


def _record_predictions(
    table: JsonlTable | ArrowTable,
    pred_cols: str | None,
    label_col: str | None,
    weight_col: str | None,
    rescale_col: str | None = None,
    ids_col: str | None = None,
    mask_col: str | None = None,
) -> Predictions:
    """PREDS as records: the prediction field(s), and the label, weight, --rescale and --mask
    fields if named."""
    source = Source(table.name, table)
    label = label_field(table, label_col) if label_col is not None else None
    weight = table.field(weight_col.strip(), "--sample-weight") if weight_col else None
    rescale = table.field(rescale_col.strip(), "--rescale") if rescale_col else None
    ids = table.field(ids_col.strip(), "--sequence-ids") if ids_col else None
    mask = table.field(mask_col.strip(), "--mask") if mask_col else None
    for f in (weight, rescale, ids, mask):
        if f is not None and (f.width is not None or not f.numeric):
            raise InputError(table.name, f"field {f.path!r} is not one number per record")
    exclude = {f.path for f in (label, weight, rescale, ids, mask) if f is not None}
    if label is None:
        exclude |= {f.path for f in label_candidates(table)}
    cols, classes = pred_columns(table, pred_cols, exclude)
    preds = table.layout["preds"]
    roles = [("--pred-cols", path) for path in ([preds] if isinstance(preds, str) else preds)]
    options = ("--label-col", "--sample-weight", "--rescale", "--sequence-ids", "--mask")
    roles += [(o, f.path) for o, f in zip(options, (label, weight, rescale, ids, mask)) if f]
    for i, (option, path) in enumerate(roles):  # one role a field, as a column (one_role)
        if (
            first := next((o for o, p in roles[:i] if p == path and o != option), None)
        ) is not None:
            raise InputError(
                table.name,
                f"field {path!r} is named by both {first} and {option}: a field holds one role "
                "(scores, labels, weights, mask...)",
            )
    source.parts["preds"] = cols
    if mask is None:
        unused_mask(table, {p for _, p in roles})
    if label is not None:
        source.parts["labels"] = table.add(label)
        if label.kind == "text":
            source.text_parts.add("labels")
    if weight is not None:
        source.parts["weights"] = table.add(weight)
    if rescale is not None:
        source.parts["rescale"] = table.add(rescale)
    if ids is not None:
        source.parts["sequence_ids"] = table.add(ids)
    if mask is not None:
        source.parts["mask"] = table.add(mask)
    return Predictions(table.name, None, len(cols), classes, table.dtype_of(cols), source)


def _table_predictions(
    table: TextTable | ArrowTable,
    pred_cols: str | None,
    label_col: str | None,
    weight_col: str | None,
    rescale_col: str | None = None,
    ids_col: str | None = None,
    mask_col: str | None = None,
) -> Predictions:
    name, header = table.name, table.header
    roles: dict[int, str] = {}  # column → the option that takes it: one role a column
    source = Source(name, table)
    if label_col is not None:
        labels = parse_cols(label_col, header, table.ncols, name, "--label-col", table.inferred)
        source.parts["labels"] = labels
        if len(labels) == 1 and not numeric_column(table, labels[0]):
            source.text_parts.add("labels")
        one_role(roles, labels, "--label-col", header, name, label_col)
    for spec, part, option in (
        (weight_col, "weights", "--sample-weight"),
        (rescale_col, "rescale", "--rescale"),
        (ids_col, "sequence_ids", "--sequence-ids"),
        (mask_col, "mask", "--mask"),
    ):  # one number a row, read beside the scores and not one of them
        if spec is not None:
            index = parse_cols(spec, header, table.ncols, name, option, table.inferred)[0]
            source.parts[part] = [index]
            one_role(roles, [index], option, header, name, spec)
    skip = set(roles)
    if pred_cols is not None:
        cols = parse_cols(pred_cols, header, table.ncols, name, "--pred-cols", table.inferred)
        one_role(roles, cols, "--pred-cols", header, name, pred_cols)
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
    dtype = table.dtype_of(cols) if tables.is_arrow(table) else np.dtype(np.float64)
    return Predictions(name, None, len(cols), classes, dtype, source)


def _typed_scores(
    table: ArrowTable, preds: Predictions, dtype: str, kind: str, option: str
) -> None:
    """Integer-typed score columns of a Parquet/Arrow table, decided as for a binary array
    (:func:`cece.io.bfloat16.refuse_integers`): bfloat16 bits with --dtype bfloat16, numbers
    with --from, otherwise refused; never computed as integers without being asked."""
    cols = preds.source.parts["preds"] or []
    if dtype == "bfloat16":
        stored = table.read_bits(cols, option)
        preds.dtype = np.dtype(np.float32)
        preds.facts = {"dtype": "bfloat16", "stored_dtype": stored}
        preds.notes = [
            f"{table.name}: bfloat16 values (stored as {stored}), converted exactly to float32"
        ]
        return
    for c in cols:
        if (found := table.stored_dtype(c)).kind in "iu":
            bfloat16.refuse_integers(table.name, found, kind, option)


def label_like(preds: Predictions) -> str | None:
    """A PREDS column taken for class scores whose name says labels (with a LABELS file);
    never one that ``--pred-cols`` named."""
    if preds.chosen:
        return None
    for name in preds.classes or []:
        if name.strip().lower() in LABEL_NAMES and preds.source.data is not None:
            return name
    return None
