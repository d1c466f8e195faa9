"""An option's array of factors (``--rescale FILE|LIST``, ``--pos-weight``), read whole with its
shape: a ``.npy``/``.npz``/``.safetensors`` array as stored, a text table as rows × columns
(one column: a vector), or an inline literal: ``2``, ``1,2,3`` or nested JSON ``[[1], [2]]``.
How the shape meets the elements is :func:`cece.losses.broadcast.element_factors`."""

from __future__ import annotations

import json

import numpy as np

from cece.errors import CeceError, InputError
from cece.io import bfloat16, readers
from cece.io.arrays import ArrayInput
from cece.io.window import whole_rows


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
    """The factors ``text`` names or spells, as float64 with their shape (a file read whole,
    also inside a row window: factors may be per column, which a window must not cut)."""
    if readers.exists(text):
        with whole_rows():
            data = readers.load(readers.resolve(text))
        if isinstance(data, ArrayInput):
            arr = bfloat16.numbers(data).array
            if arr.dtype.kind not in "iufb":
                raise InputError(data.name, f"holds {arr.dtype} values; expected numbers")
            return np.asarray(arr, dtype=np.float64)
        if not hasattr(data, "ncols"):
            raise InputError(data.name, f"expected an array or a table of numbers for {option}")
        cols = list(range(data.ncols))
        parts = [b.floats for b in data.blocks(cols, [])]
        table = np.concatenate(parts) if parts else np.empty((0, len(cols)))
        table = table.reshape(-1, len(cols))
        return table[:, 0] if len(cols) == 1 else table
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
