"""Sample weights (``--sample-weight FILE|COL``): a file of one weight per sample, or a column
of the PREDS table."""

from __future__ import annotations

from cece.errors import CeceError, InputError
from cece.io import arrays, bfloat16, readers
from cece.io.arrays import ArrayInput
from cece.io.arrow import ArrowTable
from cece.io.blocks import Source
from cece.io.columns import index_columns
from cece.io.inputs import Predictions
from cece.io.text import TextTable


def open_sample_weights(
    spec: str, preds: Predictions, *, stdin_format: str = "csv"
) -> Source | None:
    """``--sample-weight FILE|COL``: a separate source, or None when it is a PREDS column."""
    if "weights" in preds.source.parts:
        return None
    data = readers.load(readers.resolve(spec), stdin_format=stdin_format)
    if isinstance(data, ArrayInput):
        arr = bfloat16.numbers(data).array
        if arr.dtype.kind not in "iufb":
            raise InputError(data.name, f"holds {arr.dtype} values; expected sample weights")
        # one weight a sample: (N,), (N, 1), or the labels' shape ((B, T) for (B, T, V) logits)
        per_label = preds.sample_shape is not None and arr.shape == tuple(preds.sample_shape)
        vec = arr.reshape(-1) if per_label or arr.ndim != 2 or arr.shape[1] == 1 else None
        if vec is None:
            raise InputError(
                data.name, f"sample weights have shape {arr.shape}; expected one weight per sample"
            )
        return Source(
            data.name,
            ArrayInput(data.name, vec),
            {"weights": None},
            rows=len(vec),
            file_rows=arrays.NpyRows.of(arr, 1, ()),
        )
    cols = list(range(data.ncols))
    if isinstance(data, TextTable | ArrowTable):  # pandas' index column, as for labels
        skipped = index_columns(data, cols)
        data.inferred.extend(skipped.values())
        cols = [c for c in cols if c not in skipped]
    if len(cols) != 1:
        raise InputError(data.name, f"{len(cols)} columns; expected 1 column of sample weights")
    return Source(data.name, data, {"weights": cols})


def is_column_spec(spec: str) -> bool:
    """True when --sample-weight (or --mask, --sequence-ids) names no file and no JSON list: a
    column then."""
    if spec == "-" or readers.exists(spec) or readers.looks_like_path(spec):
        return False
    try:
        readers.resolve(spec)
    except CeceError:
        return True
    return spec.strip().lstrip("-").isdigit()  # a bare integer is a column index
