"""``cece inspect`` of record tables: JSON Lines, and Arrow tables with list columns.

The fields are chosen with the readers' own rules (:mod:`cece.io.records`): the one list of
numbers is the predictions, the one field named like a label the labels. Where the readers
would infer the same, the suggestion still names them (``--pred-cols``, ``--label-col``), so
that the command does not depend on the inference; where they would refuse (several lists, no
list), the first candidate is named and the others listed in a note.
"""

from __future__ import annotations

import shlex
from dataclasses import field

from cece.errors import CeceError
from cece.io.arrow import ArrowTable
from cece.io.jsonl import JsonlTable
from cece.io.records import Field, label_candidates, label_field
from cece.structs import struct


@struct
class RecordLayout:
    """The fields a loss command would read, as options, and what they are."""

    preds: list[Field]
    label: Field | None
    select: str  # the option that names the predictions: " --pred-cols logits"
    notes: list[str] = field(default_factory=list)


def record_layout(table: JsonlTable | ArrowTable) -> RecordLayout:
    fields = [f for f in table.fields.values() if f.kind not in ("object", "nested", "null")]
    notes: list[str] = []
    lists = [f for f in fields if f.width is not None and f.numeric]
    scores = [f for f in lists if f.kind != "integer"] or lists
    if table.cece_records:
        notes.append("per-sample records written by cece: they hold losses, not predictions")
    if scores:
        preds = scores[:1]
        if len(scores) > 1:
            others = ", ".join(f.path for f in scores[1:])
            notes.append(f"other lists of numbers ({others}): --pred-cols chooses")
        if preds[0].kind == "integer":
            notes.append(f"{preds[0].path!r} holds whole numbers: ids or labels, not scores?")
    else:
        labels = {f.path for f in label_candidates(table)}
        preds = [
            f
            for f in fields
            if f.width is None and f.kind in ("number", "bool") and f.path not in labels
        ]
    label = _label(table, {f.path for f in preds})
    if label is None and not preds:
        usable = [f for f in fields if f.numeric or f.kind == "text"]
        label = usable[0] if len(usable) == 1 else None  # a labels file: its one field
    select = ""
    if preds:
        select += " --pred-cols " + shlex.quote(",".join(f.path for f in preds))
    return RecordLayout(preds, label, select, notes)


def _label(table: JsonlTable | ArrowTable, preds: set[str]) -> Field | None:
    found = label_candidates(table, preds)
    if len(found) != 1:
        return None
    try:  # the readers' own rule (it also records the choice in the table's layout)
        return label_field(table, found[0].path)
    except CeceError:
        return None
