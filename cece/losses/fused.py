"""The fused pass of the categorical loss: logits against class indices, in one pass over each
row (:func:`cece._native.softmax_index`: compiled, or its numpy twin, the same numbers).

:func:`fused` says when :func:`cece.losses.softmax.categorical_terms` takes it (no smoothing,
no focal terms), :func:`index_logits` runs it. The kernel also checks every logit (NaN, +inf,
rows of −inf only) and every label's range, so a block it computes needs no other check.
"""

from __future__ import annotations

import numpy as np

from cece import _native as kernels
from cece.losses.terms import Terms, weigh


def fused(
    kind: str,
    *,
    index_targets: bool,
    label_smoothing: float = 0.0,
    focal_gamma: float | None = None,
    focal_alpha: float | None = None,
) -> bool:
    """Whether :func:`~cece.losses.softmax.categorical_terms` takes the fused pass (logits
    against class indices, no smoothing, no focal terms), which also checks the logits."""
    return (
        index_targets
        and kind == "logits"
        and not label_smoothing
        and focal_gamma is None
        and focal_alpha is None
    )


def index_logits(
    x: np.ndarray,
    targets: np.ndarray,
    weight,
    ignore_index,
    sample_weight,
    temperature: float,
    keep_predicted: bool = True,
) -> Terms:
    """The common case — logits, class indices — in one fused pass (``kernels.softmax_index``:
    compiled or numpy, the same numbers; either refuses a label outside 0..C-1), the logits
    divided by ``temperature`` inside it. Without ``keep_predicted`` the pass writes no
    arg-max (8 bytes a row); the rows shown get theirs from the same kernel (``details``)."""
    y = targets.astype(np.intp, copy=False)
    valid = None if ignore_index is None else y != ignore_index
    if valid is not None:
        y = np.where(valid, y, 0)
    extrema = np.empty(2)
    nll, correct, predicted, finite = kernels.softmax_index(
        x, y, temperature, extrema, predicted=keep_predicted
    )
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    kept = bool(finite and len(y)) and w is None and valid is None  # loss is nll: its (min, max)
    loss = nll if w is None else weigh(w[y], nll)
    denom = kernels.ones(len(y)) if w is None else w[y]
    if valid is not None:
        loss, denom, correct = np.where(valid, loss, 0.0), denom * valid, correct & valid
    s = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if s is not None:
        denom = denom * s

    def details(rows) -> dict[str, np.ndarray]:
        top = (
            predicted[rows]
            if predicted is not None
            else kernels.predicted_rows(np.ascontiguousarray(x[rows]), y[rows], temperature)
        )
        return {"predicted": top, "p_target": np.exp(-nll[rows])}

    return Terms(
        loss=loss,
        numerator=loss if s is None else weigh(s, loss),
        weight=denom,
        valid=kernels.ones(len(y), bool) if valid is None else valid,
        correct=correct,
        target=y,
        sample_weight=s,
        details=details,
        finite=finite,
        extrema=(float(extrema[0]), float(extrema[1])) if kept else None,
    )
