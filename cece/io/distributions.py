"""Probabilities beside other columns: the evidence that a candidate is not a class score.

A column kept beside a model's probabilities (a weight ``w``, a count) whose name says
nothing would be read as one more class, changing the kind read and the loss. Its values say
it: without it every sampled row of the other candidates is a distribution, with it none is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cece.io import tables
from cece.io.fields import parse_number

if TYPE_CHECKING:
    from cece.io.arrow import ArrowTable
    from cece.io.text import TextTable


def outside_distribution(table: TextTable | ArrowTable, left: list[int]) -> list[int]:
    """The one or two candidate columns without which every sampled row of the others is a
    distribution (probabilities summing to 1, or log-probabilities whose exponentials do)
    while with them it is not: an extra column (a weight ``w``, a count) beside a model's
    probabilities, which would otherwise change the kind read and the loss. The evidence
    must be unique: where two different sets would do, nothing is said."""
    rows = _value_rows(table, left) if len(left) >= 3 else None
    if rows is None or _distributions(rows):
        return []
    for k in (1, 2):
        hits = _without(rows, k) if len(left) - k >= 2 else []
        if len(hits) == 1:
            return [left[i] for i in hits[0]]
        if hits:
            return []
    return []


def _without(rows: np.ndarray, k: int) -> list[tuple[int, ...]]:
    """The sets of ``k`` columns (1 or 2) without which every row is a distribution, as
    :func:`_distributions` reads the rest, in O(columns^k) vector steps: the rest's sum is the
    whole row's less the dropped columns', and every column out of range must be dropped
    (a 1000-column file took hours, each set's rows copied and summed anew)."""
    n, found = rows.shape[1], []
    for bounded, log in ((_in_unit(rows), False), ((rows <= 0).all(axis=0), True)):
        out = np.flatnonzero(~bounded)
        if len(out) > k:
            continue
        # the columns out of range must be dropped: they count for nothing in the rest's sum
        # (a count of 85 beside log-probabilities: e^85 would swamp the sum it is taken from)
        v = np.where(bounded, np.exp(np.minimum(rows, 0)) if log else rows, 0.0)
        rest = v.sum(axis=1, keepdims=True) - v  # the row's sum without each column
        sets: list[tuple[int, ...]] = []
        if k == 1:
            sets = [(int(i),) for i in np.flatnonzero((np.abs(rest - 1) <= 1e-3).all(axis=0))]
        else:
            for i in range(n - 1):
                ok = (np.abs(rest[:, i + 1 :] - v[:, [i]] - 1) <= 1e-3).all(axis=0)
                sets += [(i, i + 1 + int(j)) for j in np.flatnonzero(ok)]
        found += [d for d in sets if set(out.tolist()) <= set(d)]
    return found


def _in_unit(rows: np.ndarray) -> np.ndarray:
    return np.asarray(((rows >= 0) & (rows <= 1)).all(axis=0))


def _distributions(rows: np.ndarray) -> bool:
    """Every row sums to 1 as probabilities, or as log-probabilities' exponentials (to the
    digits a writer keeps: 1e-3, the rule :func:`_zero_one` uses)."""
    if ((rows >= 0) & (rows <= 1)).all():
        return bool((np.abs(rows.sum(axis=1) - 1) <= 1e-3).all())
    if (rows <= 0).all():
        return bool((np.abs(np.exp(rows).sum(axis=1) - 1) <= 1e-3).all())
    return False


def _value_rows(table: TextTable | ArrowTable, cols: list[int]) -> np.ndarray | None:
    """The first rows of ``cols`` as numbers: at least two, every value finite, else None."""
    if tables.is_arrow(table):
        values = table.head_values(cols)
    else:
        rows = ([table.first_fields] if table.header is None else []) + table.sample_rows
        cells = [[parse_number(r[c]) if c < len(r) else None for c in cols] for r in rows]
        if any(v is None for row in cells for v in row):
            return None
        values = np.array(cells, dtype=np.float64).reshape(len(cells), len(cols))
    if values is None or len(values) < 2 or not np.isfinite(values).all():
        return None
    return values
