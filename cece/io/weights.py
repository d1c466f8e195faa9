"""Sample weights (``--sample-weight FILE|COL``): a file of one weight per sample, or a column
of the PREDS table."""

from __future__ import annotations

from cece.errors import CeceError, InputError
from cece.io import arrays, bfloat16, factors, pairing, readers
from cece.io.arrays import ArrayInput
from cece.io.blocks import Source
from cece.io.inputs import Predictions


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
    cols = factors.value_columns(data)  # pandas' index column skipped, as for labels
    if len(cols) != 1:
        raise InputError(data.name, f"{len(cols)} columns; expected 1 column of sample weights")
    source = Source(data.name, data, {"weights": cols})
    pairing.check(preds, source)  # both tables name their rows: the names agree
    return source


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
