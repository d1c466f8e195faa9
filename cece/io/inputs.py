"""Predictions, labels and sample weights as aligned row blocks.

This is where the arguments' files meet: columns are chosen (``--pred-cols``, ``--label-col``),
the class axis is moved last and the other axes flattened into samples in C order
(``--class-axis``), and labels are classified (indices, names, dense rows). The sources are then
read together by :mod:`cece.io.blocks`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cece.io import arrays, readers
from cece.errors import CeceError, InputError, OptionError
from cece.io.arrays import ArrayInput
from cece.io.arrow import ArrowTable
from cece.io.blocks import Source
from cece.io.text import TextTable, looks_like_number, parse_number

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


@dataclass
class Labels:
    name: str
    form: str  # "index" | "name" | "dense"
    source: Source


def open_predictions(arg: str, *, class_axis: int = -1, pred_cols: str | None = None,
                     label_col: str | None = None, weight_col: str | None = None,
                     classes: list[str] | None = None, stdin_format: str = "csv",
                     binary: bool = False) -> Predictions:
    """Open PREDS; ``label_col``/``weight_col`` name columns of the same table.

    ``binary``: a 1-D array is N samples of one column (not one sample of C classes), and an
    array of higher rank is one sample per entry of its first axis.
    """
    data = readers.load(readers.resolve(arg), stdin_format=stdin_format)
    if isinstance(data, ArrayInput):
        if weight_col is not None:
            raise OptionError(f"--sample-weight {weight_col!r}: no such file, and {data.name} "
                              "is an array without named columns")
        original = data.array
        _check_not_empty(original, data.name)
        if binary:
            data = ArrayInput(data.name, _as_columns(data.array))
            class_axis = -1
        preds = _array_predictions(data, class_axis, pred_cols, label_col)
        preds.shape = original.shape
        if preds.class_axis % max(1, original.ndim) == max(1, original.ndim) - 1 or binary:
            width = preds.source.data.array.shape[-1]
            preds.source.file_rows = arrays.NpyRows.of(original, width, (width,))
    else:
        preds = _table_predictions(data, pred_cols, label_col, weight_col)
    if classes is not None:
        if len(classes) != preds.n_classes:
            raise OptionError(f"--classes names {len(classes)} classes, but {preds.name} has "
                              f"{preds.n_classes} prediction columns")
        preds.classes = classes
    return preds


def _check_not_empty(arr: np.ndarray, name: str) -> None:
    if arr.size or arr.ndim == 0:
        return
    shape = tuple(arr.shape)
    if arr.ndim == 1 or 0 in shape[:-1]:
        raise InputError(name, f"no samples: shape {shape}; expected at least one row")
    raise InputError(name, f"no prediction columns: shape {shape}")


def _as_columns(arr: np.ndarray) -> np.ndarray:
    """Binary layout: (N,) → (N, 1); (N, d1, d2, ...) → (N, d1·d2·...); a scalar → (1, 1)."""
    if arr.ndim == 0:
        return arr.reshape(1, 1)
    if arr.ndim == 1:
        return arr[:, None]
    return arr.reshape(arr.shape[0], -1) if arr.ndim > 2 else arr


def _array_predictions(data: ArrayInput, class_axis: int, pred_cols: str | None,
                       label_col: str | None) -> Predictions:
    arr, name = data.array, data.name
    if arr.dtype.kind not in "iufb":
        raise InputError(name, f"holds {arr.dtype} values; expected numbers")
    shape = arr.shape
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr[None, :]  # a single sample: one row of class scores
    if not -arr.ndim <= class_axis < arr.ndim:
        raise OptionError(f"--class-axis {class_axis} is out of range for {name} with "
                          f"{arr.ndim} dimensions (shape {shape})")
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
    return Predictions(name, shape, len(cols), None, arr.dtype, source,
                       sample_shape=arr.shape[:-1], class_axis=class_axis)


def _table_predictions(table: TextTable | ArrowTable, pred_cols: str | None,
                       label_col: str | None, weight_col: str | None) -> Predictions:
    name, header = table.name, table.header
    skip: set[int] = set()
    if header and header[0] in ("", "Unnamed: 0") and pred_cols is None:
        skip.add(0)  # a row-index column, as DataFrame.to_csv writes it
    source = Source(name, table)
    if label_col is not None:
        labels = parse_cols(label_col, header, table.ncols, name, "--label-col")
        source.parts["labels"] = labels
        if len(labels) == 1 and not _numeric_column(table, labels[0]):
            source.text_parts.add("labels")
        skip.update(labels)
    if weight_col is not None:
        weight = parse_cols(weight_col, header, table.ncols, name, "--sample-weight")[0]
        source.parts["weights"] = [weight]
        skip.add(weight)
    if pred_cols is not None:
        cols = parse_cols(pred_cols, header, table.ncols, name, "--pred-cols")
    else:
        cols = [c for c in range(table.ncols) if c not in skip]
        if not cols and 0 in skip:
            raise InputError(name, "no columns left: column 0, without a name, is taken for a "
                             "row index")
    for c in cols:
        if text_column(table, c):
            col = header[c] if header else c
            raise InputError(name, f"column {col!r} holds text, not prediction scores",
                             hint="choose columns with --pred-cols, or pass --label-col "
                             f"{_shell_word(col, c)}")
    if header:
        seen: dict[str, int] = {}
        for c in cols:
            if header[c] in seen:
                raise InputError(name, f"class name {header[c]!r} appears twice in the header "
                                 f"(columns {seen[header[c]]} and {c})",
                                 line=getattr(table, "header_line", None))
            seen[header[c]] = c
    source.parts["preds"] = cols
    classes = [header[c] for c in cols] if header else None
    return Predictions(name, None, len(cols), classes, np.dtype(np.float64), source)


def _sampled(table: TextTable | ArrowTable, col: int) -> list[str]:
    """The first data cells of a column (text tables; typed tables are checked when read)."""
    if isinstance(table, ArrowTable):
        return []
    rows = table.sample_rows + ([table.first_fields] if table.header is None else [])
    return [r[col] for r in rows if col < len(r)]


def _numeric_column(table: TextTable | ArrowTable, col: int) -> bool:
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
    return (bool(values) and all(parse_number(v) is None for v in values)
            and not all(looks_like_number(v) for v in values))


def _shell_word(name: object, index: int) -> str:
    """A column name as a shell word for a hint (its index when the name is unprintable)."""
    import shlex

    text = str(name)
    return shlex.quote(text) if text and text.isprintable() else str(index)


def parse_cols(spec: str, header: list[str] | None, ncols: int, name: str,
               option: str) -> list[int]:
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
            raise OptionError(f"{option} {spec!r}: {name} has no column {item!r} "
                              f"({ncols} columns{known})")
    if not cols:
        raise OptionError(f"{option} {spec!r} selects no columns")
    if len(set(cols)) != len(cols):
        twice = next(c for i, c in enumerate(cols) if c in cols[:i])
        shown = header[twice] if header else twice
        raise OptionError(f"{option} {spec!r}: column {shown!r} is selected twice")
    return cols


def open_labels(arg: str | None, preds: Predictions, *, label_col: str | None = None,
                stdin_format: str = "csv") -> Labels:
    if arg is None:
        if "labels" not in preds.source.parts:
            raise CeceError("no labels: pass a LABELS file or name the label column with "
                            "--label-col", hint=_label_col_hint(preds))
        form = "name" if "labels" in preds.source.text_parts else "index"
        return Labels(preds.name, form, preds.source)
    data = readers.load(readers.resolve(arg), stdin_format=stdin_format)
    if isinstance(data, ArrayInput):
        return _array_labels(data, preds)
    return _table_labels(data, preds, label_col)


def _array_labels(data: ArrayInput, preds: Predictions) -> Labels:
    arr, name = data.array, data.name
    samples = preds.sample_shape
    n = int(np.prod(samples)) if samples is not None else None
    text = arr.dtype.kind in "US"
    if not text and arr.dtype.kind not in "iufb":
        raise InputError(name, f"holds {arr.dtype} values; expected class indices or targets")
    if arr.ndim == 0 or (samples is not None and arr.shape == samples):
        vec = arr.reshape(-1)
    elif arr.ndim == 2 and arr.shape[1] == 1:
        vec = arr[:, 0]
    elif arr.ndim == 1 and (n is None or len(arr) == n):
        vec = arr
    elif not text and samples is not None and arr.shape == samples + (preds.n_classes,):
        dense = arr.reshape(-1, preds.n_classes)
        source = Source(name, ArrayInput(name, dense), {"labels": None}, rows=len(dense),
                        file_rows=arrays.NpyRows.of(arr, preds.n_classes, (preds.n_classes,)))
        return Labels(name, "dense", source)
    elif not text and preds.shape is not None and len(preds.shape) == 1 and arr.shape == preds.shape:
        source = Source(name, ArrayInput(name, arr[None, :]), {"labels": None}, rows=1)
        return Labels(name, "dense", source)  # one sample, one dense target row
    elif not text and samples is None and arr.ndim == 2 and arr.shape[1] == preds.n_classes:
        return Labels(name, "dense", Source(
            name, data, {"labels": None}, rows=len(arr),
            file_rows=arrays.NpyRows.of(arr, preds.n_classes, (preds.n_classes,))))
    else:
        raise _shape_mismatch(name, arr.shape, preds)
    source = Source(name, ArrayInput(name, vec), {"labels": None}, rows=len(vec),
                    file_rows=arrays.NpyRows.of(arr, 1, ()))
    return Labels(name, "name" if text else "index", source)


def _table_labels(table: TextTable | ArrowTable, preds: Predictions,
                  label_col: str | None) -> Labels:
    name = table.name
    if label_col is not None:
        cols = parse_cols(label_col, table.header, table.ncols, name, "--label-col")[:1]
    elif table.ncols == 1:
        cols = [0]
    elif table.ncols == preds.n_classes:
        source = Source(name, table, {"labels": list(range(table.ncols))})
        return Labels(name, "dense", source)
    else:
        raise InputError(name, f"{table.ncols} columns; expected 1 (class indices or names) or "
                         f"{preds.n_classes} (one target column per class)",
                         hint="pick the label column with --label-col")
    source = Source(name, table, {"labels": cols})
    numeric = _numeric_column(table, cols[0])
    if isinstance(table, TextTable) and table.header and table.ncols == 1:
        first = table.header[0]
        # A lone column of class names has no header unless its first cell is not a class.
        if not numeric and preds.classes and first in preds.classes:
            table.header_is_data = True
    if not numeric:
        source.text_parts.add("labels")
    return Labels(name, "index" if numeric else "name", source)


def _shape_mismatch(name: str, shape: tuple, preds: Predictions) -> InputError:
    samples = preds.sample_shape
    want = f"shape {samples} (one label per sample)" if samples else "one label per row"
    return InputError(name, f"labels have shape {shape}; expected {want} or {samples or '(N,)'} "
                      f"+ ({preds.n_classes},) for dense targets (predictions: "
                      f"{preds.shape or 'a table'} in {preds.name})")


def _label_col_hint(preds: Predictions) -> str | None:
    if preds.classes:
        for c in preds.classes:
            if c.strip().lower() in LABEL_NAMES:
                return f"{preds.name} has a column {c!r}: pass --label-col {_shell_word(c, 0)}"
    return None


def open_sample_weights(spec: str, preds: Predictions, *, stdin_format: str = "csv"
                        ) -> Source | None:
    """``--sample-weight FILE|COL``: a separate source, or None when it is a PREDS column."""
    if "weights" in preds.source.parts:
        return None
    data = readers.load(readers.resolve(spec), stdin_format=stdin_format)
    if isinstance(data, ArrayInput):
        arr = data.array
        if arr.dtype.kind not in "iufb":
            raise InputError(data.name, f"holds {arr.dtype} values; expected sample weights")
        vec = arr.reshape(-1) if arr.ndim != 2 or arr.shape[1] == 1 else None
        if vec is None:
            raise InputError(data.name, f"sample weights have shape {arr.shape}; expected one "
                             "weight per sample")
        return Source(data.name, ArrayInput(data.name, vec), {"weights": None}, rows=len(vec),
                      file_rows=arrays.NpyRows.of(arr, 1, ()))
    if data.ncols != 1:
        raise InputError(data.name, f"{data.ncols} columns; expected 1 column of sample weights")
    return Source(data.name, data, {"weights": [0]})


def is_column_spec(spec: str) -> bool:
    """True when --sample-weight names no file and no JSON list: a PREDS column then."""
    if spec == "-" or readers.exists(spec) or readers.looks_like_path(spec):
        return False
    try:
        readers.resolve(spec)
    except CeceError:
        return True
    return spec.strip().lstrip("-").isdigit()  # a bare integer is a column index


def open_binary_targets(arg: str | None, preds: Predictions, *, label_col: str | None = None,
                        stdin_format: str = "csv") -> Labels:
    """Targets for binary cross-entropy: numbers of the predictions' shape, (N, K)."""
    k = preds.n_classes
    if arg is None:
        if "labels" not in preds.source.parts:
            raise CeceError("no targets: pass a LABELS file or name the target column(s) with "
                            "--label-col", hint=_label_col_hint(preds))
        if "labels" in preds.source.text_parts:
            raise InputError(preds.name, "the target column holds text; binary targets are "
                             "numbers in [0, 1]")
        _check_width(len(preds.source.parts["labels"]), k, preds.name, preds)
        return Labels(preds.name, "binary", preds.source)
    data = readers.load(readers.resolve(arg), stdin_format=stdin_format)
    if isinstance(data, ArrayInput):
        arr = data.array
        if arr.dtype.kind not in "iufb":
            raise InputError(data.name, f"holds {arr.dtype} values; binary targets are numbers "
                             "in [0, 1]")
        cols = _target_columns(arr, preds)
        if cols is None:
            want = preds.shape if preds.shape is not None else f"(N, {k})"
            raise InputError(data.name, f"targets have shape {arr.shape}; expected the "
                             f"predictions' shape {want} (from {preds.name})")
        return Labels(data.name, "binary",
                      Source(data.name, ArrayInput(data.name, cols), {"labels": None},
                             rows=len(cols), file_rows=arrays.NpyRows.of(arr, k, (k,))))
    if label_col is not None:
        cols = parse_cols(label_col, data.header, data.ncols, data.name, "--label-col")
    else:
        cols = list(range(data.ncols))
    _check_width(len(cols), k, data.name, preds)
    for c in cols:
        if text_column(data, c):
            raise InputError(data.name, f"column {c} holds text; binary targets are numbers "
                             "in [0, 1]")
    return Labels(data.name, "binary", Source(data.name, data, {"labels": cols}))


def _target_columns(arr: np.ndarray, preds: Predictions) -> np.ndarray | None:
    """Targets as (N, K) when their shape fits the predictions', else None."""
    n, k = preds.source.rows, preds.n_classes
    if preds.shape is not None and arr.shape == preds.shape:
        return _as_columns(arr)
    if arr.ndim <= 1 and k == 1 and (n is None or arr.size == n):
        return arr.reshape(-1, 1)
    if arr.ndim == 1 and n == 1 and arr.size == k:
        return arr[None, :]  # one sample of K labels
    if arr.ndim >= 2 and (n is None or arr.shape[0] == n) and arr[0].size == k:
        return arr.reshape(arr.shape[0], k)
    return None


def _check_width(width: int, k: int, name: str, preds: Predictions) -> None:
    if width != k:
        raise InputError(name, f"{width} target column(s); expected {k}, one per prediction "
                         f"column of {preds.name}")
