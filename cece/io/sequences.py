"""Sequences of a language-model dump: ``--sequence-ids FILE|COL``, ``--bytes``, ``--words``.

Sequences are the first axis of N-D labels ((B, T) for (B, T, V) logits), or, for a flat dump
of tokens (one row a token), the runs of ``--sequence-ids``: one integer id a row, a sequence
being a run of equal consecutive ids. An id that comes back after another id is refused: the
same document continued, or a new one that reuses the id? cece does not guess.

``--bytes`` / ``--words``: a whole number (the total), or one count a sequence (a file, or a
JSON list), in the order of the sequences.
"""

from __future__ import annotations

from dataclasses import field

import numpy as np

from cece.errors import InputError, OptionError
from cece.io import bfloat16, factors, readers
from cece.io.arrays import ArrayInput
from cece.io.blocks import Source
from cece.io.evidence import source_rows
from cece.io.inputs import Predictions
from cece.io.layout import Inference
from cece.losses import sequences
from cece.structs import struct

PART = "sequence_ids"  # the blocks' part that holds the ids (a file, or a PREDS column)


@struct
class Counts:
    """``--bytes`` / ``--words`` as given: the total, and the counts a sequence (or None)."""

    option: str
    spec: str
    total: int
    per_sequence: np.ndarray | None = None
    inferred: list[Inference] = field(default_factory=list)  # the file's layout, stated

    def to_json(self) -> dict:
        return {
            "total": self.total,
            "per_sequence": self.per_sequence is not None,
            "source": self.spec,
        }


def vector(
    spec: str, stdin_format: str, what: str, option: str, fits: factors.Fits | None
) -> tuple[str, np.ndarray, list[Inference]]:
    """A file (or literal) of one number a row, read whole: an array's values in C order, or
    a table's one column, read with the labels' layout rules (:func:`cece.io.factors.
    table_values`: a pandas index column skipped, a header ``0`` settled by ``fits``); and
    what was inferred about its layout."""
    data = readers.load(readers.resolve(spec), stdin_format=stdin_format)
    if isinstance(data, ArrayInput):
        return data.name, np.asarray(bfloat16.numbers(data).array), []
    arr, inferred = factors.table_values(data, option, fits)
    if arr.ndim != 1:
        raise InputError(data.name, f"{arr.shape[1]} columns; expected 1 column of {what}")
    return data.name, arr, inferred


def open_ids(
    spec: str, preds: Predictions, stdin_format: str
) -> tuple[Source, int, list[Inference]]:
    """``--sequence-ids FILE``: the ids, checked whole (integers; each sequence's rows
    contiguous) before anything is computed, as a source read beside PREDS; the number
    of sequences; and what was inferred about the file's layout."""

    def fits(values: np.ndarray) -> str | None:
        n = source_rows(preds.source)
        return f"one per sample ({n})" if values.ndim == 1 and len(values) == n else None

    name, arr, inferred = vector(spec, stdin_format, "sequence ids", "--sequence-ids", fits)
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
    return source, len(starts), inferred


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

    def fits(values: np.ndarray) -> str | None:
        one = values.ndim == 1 and len(values) == n_sequences
        return f"one per sequence ({n_sequences})" if one else None

    name, arr, inferred = vector(
        spec, stdin_format, f"{option[2:]} counts", option, None if n_sequences is None else fits
    )
    if arr.ndim == 0:
        return Counts(option, spec, int(sequences.counts(arr, option)[0]))
    per = sequences.counts(arr, f"{option} {name}")
    found = Counts(option, spec, int(per.sum()), per, inferred)
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
