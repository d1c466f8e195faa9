"""What cece sees in a file (``cece inspect``): shape, dtype, values, row sums, kind, advice.

The file is read the way the loss commands read it (same readers, same header rule, same
class axis), block by block, so a 10 GB dump is inspected in bounded memory. Non-finite
values are counted (with the first one's place) instead of stopping the run; detection uses
the loss commands' own rules (:class:`cece.checks.KindDetector`) on the finite rows.
"""

from __future__ import annotations

import shlex

import numpy as np

from cece.errors import InputError
from cece.io import bfloat16, readers
from cece.io.arrays import ArrayInput
from cece.io.arrow import ArrowTable
from cece.io.blocks import ROWS
from cece.io.columns import (
    LABEL_NAMES,
    index_columns,
    pred_cols_spec,
    score_refusals,
    shell_word,
    text_column,
)
from cece.io.jsonl import JsonlTable
from cece.io.text import TextTable
from cece.tools.inspect_records import record_layout
from cece.tools.inspect_report import Report, classify
from cece.tools.inspect_stats import DISTINCT_CAP, Values, index_labels, names_summary


def inspect(arg: str, *, class_axis: int = -1, stdin_format: str = "csv") -> Report:
    data = readers.load(readers.resolve(arg), stdin_format=stdin_format)
    if isinstance(data, JsonlTable) or (isinstance(data, ArrowTable) and data.records):
        report = _records(data)
    else:
        report = _array(data, class_axis) if isinstance(data, ArrayInput) else _table(data)
    classify(report, arg)
    if report.multi_label and report.suggestion.startswith("cece categorical "):
        report.suggestion = "cece binary " + report.suggestion.removeprefix("cece categorical ")
    if isinstance(data, ArrayInput) and data.stored and data.array.dtype in bfloat16.BIT_KINDS:
        # the loss commands refuse 16-bit integers and |V2 without --dtype bfloat16
        if data.bfloat16:
            report.notes.append("bfloat16 values, converted exactly to float32")
        elif data.array.dtype == bfloat16.BF16:
            report.notes.append("|V2 values read as bfloat16 (np.save of ml_dtypes bfloat16)")
            if report.suggestion.startswith("cece "):
                report.suggestion += " --dtype bfloat16"
        else:
            report.notes.append(
                f"{data.array.dtype} values: if they are bfloat16 bits, the loss commands "
                "need --dtype bfloat16 (without it they refuse 16-bit integers)"
            )
    _axis_note(report, arg, class_axis)
    return report


def _axis_note(r: Report, arg: str, class_axis: int) -> None:
    """An array of rank ≥ 3 read with its classes last (language-model logits (B, T, V)) may
    be PyTorch's (N, C, H, W) instead (segmentation): the labels' shape decides, so say both."""
    if len(r.shape) < 3 or class_axis % len(r.shape) != len(r.shape) - 1:
        return
    if r.kind not in ("logits", "probabilities", "log-probabilities"):
        return
    n, c = r.shape[0], r.shape[1]
    r.notes.append(
        f"classes on the last axis ({r.shape[-1]}); if they are on axis 1 ({c}, PyTorch's "
        f"(N, C, ...) layout, labels of shape {(n, *r.shape[2:])}): "
        f"cece categorical {shlex.quote(arg)} LABELS --class-axis 1"
    )


def _array(data: ArrayInput, class_axis: int) -> Report:
    arr, name = data.array, data.name
    shape = list(arr.shape)
    fmt = "array (" + ("literal" if name.startswith("literal") else "NumPy") + ")"
    decode = bfloat16.to_float32 if arr.dtype == bfloat16.BF16 else np.asarray
    if arr.dtype.kind in "US":
        flat = arr.reshape(-1)
        report = Report(name, fmt, shape, str(arr.dtype), len(flat), 1)
        report.labels = names_summary(flat.tolist())
        return report
    if arr.dtype.kind not in "iufb" and arr.dtype != bfloat16.BF16:
        from cece.errors import InputError

        raise InputError(name, f"holds {arr.dtype} values; expected numbers")
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr[:, None]
    elif arr.ndim > 2:
        if not -arr.ndim <= class_axis < arr.ndim:
            from cece.errors import OptionError

            raise OptionError(
                f"--class-axis {class_axis} is out of range for {name} with "
                f"{arr.ndim} dimensions (shape {tuple(shape)})"
            )
        arr = np.moveaxis(arr, class_axis, -1).reshape(-1, arr.shape[class_axis])
    n, c = arr.shape
    report = Report(name, fmt, shape, str(data.array.dtype), n, c)
    values = Values()
    step = max(1, min(ROWS, (16 << 20) // max(1, c * arr.itemsize)))
    for start in range(0, n, step):
        values.update(decode(arr[start : start + step]), start)
    report.values = values
    return report


def _table(table) -> Report:
    name, header = table.name, table.header
    fmt = "text table" if isinstance(table, TextTable) else "Arrow table"
    if isinstance(table, TextTable):
        sep = {",": "comma", "\t": "tab", ";": "semicolon", " ": "whitespace"}.get(
            table.delimiter, repr(table.delimiter)
        )
        fmt = f"text table ({sep}-separated{', with a header' if header else ', no header'})"
    text_cols = [c for c in range(table.ncols) if text_column(table, c)]
    label_col = None
    if header:
        for c, h in enumerate(header):
            if h.strip().lower() in LABEL_NAMES:
                label_col = c
                break
    index_note: str | None = None
    try:  # the readers' rule (cece.io.columns): pandas' index columns are not values
        found = index_columns(table, [c for c in range(table.ncols) if c not in text_cols])
    except InputError as exc:
        found, index_note = {}, exc.detail
    skip = set(found)

    def values_columns(label: int | None) -> list[int]:
        return [c for c in range(table.ncols) if c not in (*text_cols, *skip, label)]

    if label_col is not None and not values_columns(label_col) and label_col not in text_cols:
        label_col = None  # a file of labels alone: its one column is the values
    float_cols = values_columns(label_col)
    refused = score_refusals(table, float_cols)  # what the loss commands would refuse
    no_scores = bool(refused) and len(refused) == len(float_cols)
    select = ""
    if refused and len(refused) < len(float_cols):  # all refused: described as they are
        float_cols = [c for c in float_cols if c not in refused]
        select = " --pred-cols " + shell_word(pred_cols_spec(table, float_cols), 0)
    label_numeric = label_col is not None and label_col not in text_cols
    names: list = []
    values, label_values = Values(), Values()
    rows = 0
    for block in table.blocks(float_cols + ([label_col] if label_numeric else []), list(text_cols)):
        f = block.floats
        if float_cols:
            values.update(f[:, : len(float_cols)], block.start_row)
        if label_numeric:
            label_values.update(f[:, -1:], block.start_row)
        if text_cols and len(names) < DISTINCT_CAP * 10:
            names.extend(
                block.texts[text_cols.index(label_col)].tolist()
                if label_col in text_cols
                else block.texts[0].tolist()
            )
        rows += len(f) if f.size or not text_cols else len(block.texts[0])
    report = Report(
        name,
        fmt,
        [rows, table.ncols],
        "float64 (parsed)" if float_cols else "text",
        rows,
        len(float_cols),
        header=header,
    )
    report.values = values if float_cols else None
    report.no_scores = no_scores
    if refused:
        report.select = select
        report.notes += [
            f"column {header[c]!r} {why}: not a class score" for c, why in refused.items()
        ]
    report.notes += [i.detail for i in found.values()] + ([index_note] if index_note else [])
    report.notes += _typed_note(table, float_cols)
    if label_col is not None:
        report.label_column = header[label_col]
    report.text_columns = [header[c] if header else str(c) for c in text_cols if c != label_col]
    if label_numeric:
        report.labels = index_labels(label_values)
    elif text_cols:
        report.labels = names_summary(names)
    return report


def _records(table: JsonlTable | ArrowTable) -> Report:
    """A record table, read through the fields the loss commands would read."""
    lay = record_layout(table)
    pred_cols = [c for f in lay.preds for c in table.add(f)]
    label = lay.label
    if label is not None and label.width not in (None, len(pred_cols)):
        label = None  # a list that is neither one label nor one target per column
    label_cols = table.add(label) if label is not None else []
    text = label is not None and label.kind == "text"
    floats = pred_cols + ([] if text else label_cols)
    values, label_values, rows = Values(), Values(), 0
    names: list[str] = []
    for block in table.blocks(floats, label_cols if text else []):
        rows += len(block.floats) if floats else len(block.texts[0])
        if pred_cols:
            values.update(block.floats[:, : len(pred_cols)], block.start_row)
        if label_cols and not text:
            label_values.update(block.floats[:, len(pred_cols) :], block.start_row)
        elif text and len(names) < DISTINCT_CAP * 10:
            names.extend(block.texts[0].tolist())
    fmt = "JSON Lines records" if isinstance(table, JsonlTable) else "Arrow table (list columns)"
    dtype = str(table.dtype_of(pred_cols)) if pred_cols else "text"
    report = Report(table.name, fmt, [rows, len(pred_cols)], dtype, rows, len(pred_cols))
    report.header = [p for p, f in table.fields.items() if f.kind != "object"]
    report.values = values if pred_cols else None
    report.label_column = None if label is None else label.path
    report.select, report.notes = lay.select, list(lay.notes) + _typed_note(table, pred_cols)
    if label is not None and label.width is not None:  # one target per column
        multi = label_values.integers and not label_values.one_hot
        report.labels = {"form": "multi-label targets" if multi else "dense targets"}
        report.multi_label = multi
    elif label_cols:
        report.labels = names_summary(names) if text else index_labels(label_values)
    if text and any(f.width is not None for f in lay.preds):  # a list names no classes
        report.select += " --classes NAMES"
        report.notes.append(
            "the labels are class names: --classes names the list's classes in order"
        )
    return report


def _typed_note(table: object, cols: list[int]) -> list[str]:
    """Integer-typed Arrow score columns: what the loss commands need to read them."""
    if not isinstance(table, ArrowTable):
        return []
    kinds = {table.stored_dtype(c) for c in cols} - {np.dtype(np.float64)}
    if kinds & set(bfloat16.BIT_KINDS):
        return [
            f"{', '.join(map(str, sorted(map(str, kinds))))} columns: if they are bfloat16 bits, "
            "the loss commands need --dtype bfloat16 (without it they refuse 16-bit integers)"
        ]
    if any(k.kind in "iu" for k in kinds):
        return ["integer columns: the loss commands take them as scores only with --from"]
    return []
