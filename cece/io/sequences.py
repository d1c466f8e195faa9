"""Sequences of a language-model dump: ``--sequence-ids FILE|COL``, ``--bytes``, ``--words``.

Sequences are the first axis of N-D labels ((B, T) for (B, T, V) logits), or, for a flat dump
of tokens (one row a token), the runs of ``--sequence-ids``: one integer id a row, a sequence
being a run of equal consecutive ids. An id that comes back after another id is refused: the
same document continued, or a new one that reuses the id? cece does not guess.

``--bytes`` / ``--words``: a whole number (the total), or one count a sequence (a file, or a
JSON list), in the order of the sequences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cece.errors import InputError, OptionError
from cece.io import bfloat16, readers
from cece.io.arrays import ArrayInput
from cece.io.arrow import ArrowTable
from cece.io.blocks import ROWS, Source, source_blocks
from cece.io.columns import index_columns
from cece.io.inputs import Predictions
from cece.io.text import TextTable
from cece.losses import sequences

PART = "sequence_ids"  # the blocks' part that holds the ids (a file, or a PREDS column)


@dataclass
class Counts:
    """``--bytes`` / ``--words`` as given: the total, and the counts a sequence (or None)."""

    option: str
    spec: str
    total: int
    per_sequence: np.ndarray | None = None

    def to_json(self) -> dict:
        return {
            "total": self.total,
            "per_sequence": self.per_sequence is not None,
            "source": self.spec,
        }


def vector(spec: str, stdin_format: str, what: str) -> tuple[str, np.ndarray]:
    """A file (or literal) of one number a row, read whole: an array's values in C order, or
    a table's one column (a pandas index column is skipped, as for sample weights)."""
    data = readers.load(readers.resolve(spec), stdin_format=stdin_format)
    if isinstance(data, ArrayInput):
        return data.name, np.asarray(bfloat16.numbers(data).array)
    cols = list(range(data.ncols))
    if isinstance(data, TextTable | ArrowTable):
        skipped = index_columns(data, cols)
        cols = [c for c in cols if c not in skipped]
    if len(cols) != 1:
        raise InputError(data.name, f"{len(cols)} columns; expected 1 column of {what}")
    src = Source(data.name, data, {"v": cols})
    parts = [np.asarray(b["v"]).ravel() for b in source_blocks(src, ROWS)]
    return data.name, np.concatenate(parts) if parts else np.zeros(0)


def open_ids(spec: str, preds: Predictions, stdin_format: str) -> tuple[Source, int]:
    """``--sequence-ids FILE``: the ids, checked whole (integers; each sequence's rows
    contiguous) before anything is computed, as a source read beside PREDS; and the number
    of sequences."""
    name, arr = vector(spec, stdin_format, "sequence ids")
    samples = tuple(preds.sample_shape or ())
    if arr.ndim == 2 and arr.shape[1] == 1 and arr.shape != samples:
        arr = arr[:, 0]
    if arr.ndim != 1 and arr.shape != samples:
        raise InputError(
            name, f"sequence ids have shape {arr.shape}; expected one id per sample (row)"
        )
    ids = sequences.sequence_ids(arr, name)
    starts = sequences.run_starts(ids)
    check_contiguous(ids[starts], starts, name)
    source = Source(name, ArrayInput(name, ids), {PART: None}, rows=len(ids))
    return source, len(starts)


def check_contiguous(keys: np.ndarray, rows: np.ndarray, name: str) -> None:
    """Refuse a sequence id that comes back after other ids (``keys``: each run's id,
    ``rows``: where the run starts)."""
    if len(np.unique(keys)) == len(keys):
        return
    order = np.argsort(keys, kind="stable")
    again = order[1:][keys[order[1:]] == keys[order[:-1]]]  # runs whose id came before
    first = int(again[np.argmin(rows[again])])
    raise InputError(
        name,
        f"sequence id {int(keys[first])} comes back at row {int(rows[first])} after other "
        "ids: a new sequence, or the same one continued?",
        hint="give each sequence its own id, its rows together (sort the dump by id)",
    )


def open_counts(
    spec: str | None, option: str, stdin_format: str, n_sequences: int | None
) -> Counts | None:
    """``--bytes N|FILE`` / ``--words N|FILE``: a total, or one count per sequence (checked
    against the number of sequences when it is known: None until the run has counted them)."""
    if spec is None:
        return None
    name, arr = vector(spec, stdin_format, f"{option[2:]} counts")
    if arr.ndim == 0:
        return Counts(option, spec, int(sequences.counts(arr, option)[0]))
    per = sequences.counts(arr, f"{option} {name}")
    found = Counts(option, spec, int(per.sum()), per)
    if n_sequences is not None:
        check_counts(found, n_sequences)
    return found


def check_counts(counts: Counts, n_sequences: int) -> None:
    """One count per sequence, or refused."""
    per = counts.per_sequence
    if per is not None and len(per) != n_sequences:
        raise OptionError(
            f"{counts.option} {counts.spec}: {len(per)} counts for {n_sequences} sequences; "
            "expected one count per sequence",
            hint=f"a total: pass the number itself ({counts.option} {int(per.sum())})",
        )
