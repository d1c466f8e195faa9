"""Which fields of a record table are the predictions, the labels and the sample weights.

A record table (:class:`cece.io.jsonl.JsonlTable`; Arrow tables with list columns) names its
fields; ``--pred-cols FIELD[,FIELD..]`` and ``--label-col FIELD`` choose them. Without them,
cece infers only what the records say without doubt, and says so (a note, and JSON
``input.layout``): the predictions are the one field holding a list of (non-integer) numbers,
the labels the one field named like a label (``label``, ``target``, ``y``, ...). Anything less
certain is refused with the option that decides.
"""

from __future__ import annotations

from typing import Protocol

from cece.errors import InputError, OptionError
from cece.structs import struct

LABEL_FIELDS = (
    "label",
    "labels",
    "label_id",
    "label_ids",
    "target",
    "targets",
    "y",
    "y_true",
    "gold",
    "truth",
)


@struct(frozen=True)
class Field:
    """A field of the first record: its path, its kind and, for a list, its length."""

    path: str
    keys: tuple[str, ...]
    kind: str  # "number" | "integer" | "bool" | "text" | "object" | "null" | "nested"
    width: int | None = None  # a list of numbers: its length

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "integer", "bool")


class RecordTable(Protocol):
    name: str
    fields: dict[str, Field]
    notes: list[str]
    layout: dict
    cece_records: bool
    what: str  # "field" (JSON records) or "column" (Arrow tables), for messages

    def field(self, path: str, option: str) -> Field: ...

    def add(self, f: Field) -> list[int]: ...


def pred_columns(
    table: RecordTable, spec: str | None, exclude: set[str]
) -> tuple[list[int], list[str] | None]:
    """The prediction columns (``--pred-cols`` or inferred) and their class names, if any."""
    if spec is None:
        chosen = [_infer_preds(table, exclude)]
    else:
        chosen = [_pred_field(table, item.strip(), spec) for item in spec.split(",")]
        if len({f.path for f in chosen}) != len(chosen):
            raise OptionError(f"--pred-cols {spec!r} names a field twice")
    cols = [c for f in chosen for c in table.add(f)]
    table.layout["preds"] = [f.path for f in chosen] if len(chosen) > 1 else chosen[0].path
    table.layout["preds_inferred"] = spec is None
    classes = [f.path for f in chosen] if all(f.width is None for f in chosen) else None
    return cols, classes


def _pred_field(table: RecordTable, path: str, spec: str) -> Field:
    f = table.field(path, "--pred-cols")
    if not f.numeric:
        what = "text" if f.kind == "text" else "values that are not numbers"
        raise InputError(
            table.name,
            f"{table.what} {path!r} holds {what}, not prediction scores (--pred-cols {spec!r})",
            hint=None
            if f.kind == "text"
            else "a record is one sample: a number or a list of numbers; sequences "
            "(B, T, V) go in an array file (.npy, .safetensors), or one record a token",
        )
    return f


def _infer_preds(table: RecordTable, exclude: set[str]) -> Field:
    name = table.name
    if table.cece_records:
        hint = "name the field to read as predictions with --pred-cols"
        if "p" in table.fields and "target" in table.fields:
            hint = "cece binary reads them back with --pred-cols p --label-col target"
        raise InputError(
            name,
            "per-sample records written by cece (index, loss, ...): they hold losses, "
            "not predictions",
            hint=hint,
        )
    lists = [
        f
        for f in table.fields.values()
        if f.width is not None and f.numeric and f.path not in exclude
    ]
    # token ids and masks (lists of whole numbers named so) do not compete with scores
    whole = [f.path for f in lists if f.kind == "integer" and _token_field(f.path)]
    if len(whole) < len(lists):
        lists = [f for f in lists if f.path not in whole]
    if len(lists) > 1:
        names = ", ".join(f.path for f in lists)
        raise InputError(
            name,
            f"several {table.what}s hold lists of numbers ({names}); which are the predictions?",
            hint=f"name them with --pred-cols, e.g. --pred-cols {lists[0].path}",
        )
    if not lists:
        ragged = [f.path for f in table.fields.values() if f.kind == "ragged"]
        if ragged and ragged[0] not in exclude:
            table.field(ragged[0], "--pred-cols")  # the list column, refused at its row
        scalars = [  # scores are not whole numbers (an id, a count): they are not offered
            f.path for f in table.fields.values() if f.kind == "number" and f.path not in exclude
        ]
        known = ", ".join(table.fields) or "none"
        raise InputError(
            name,
            f"no {table.what} holds a list of numbers ({table.what}s: {known})",
            hint="name the prediction field(s) with --pred-cols"
            + (f", e.g. --pred-cols {scalars[0]}" if scalars else ""),
        )
    f = lists[0]
    if f.kind == "integer":
        raise InputError(
            name,
            f"{table.what} {f.path!r} holds whole numbers only (ids or labels, not scores?)",
            hint=f"pass --pred-cols {f.path} if they are prediction scores",
        )
    passed = f" but token ids and masks ({', '.join(whole)})" if whole else ""
    table.notes.append(
        f"{name}: predictions from {table.what} {f.path!r} ({f.width} values per "
        f"{'record' if table.what == 'field' else 'row'}), "
        f"the only list of numbers{passed}; --pred-cols names another"
    )
    return f


def _token_field(path: str) -> bool:
    """A field named as a tokenizer's output: input_ids, attention_mask, token_type_ids..."""
    last = path.rsplit(".", 1)[-1].lower()
    return last in ("ids", "tokens", "mask") or last.endswith(("_ids", "_mask", "_tokens"))


def label_candidates(
    table: RecordTable, exclude: frozenset[str] | set[str] = frozenset()
) -> list[Field]:
    """Fields named like a label (``label``, ``target``, ``y``, ...), at any depth."""
    return [
        f
        for f in table.fields.values()
        if f.keys[-1].strip().lower() in LABEL_FIELDS
        and (f.numeric or f.kind == "text")
        and f.path not in exclude
    ]


def label_field(table: RecordTable, spec: str | None, option: str = "--label-col") -> Field:
    """The label field: named, or the one field named like a label (stated in a note)."""
    if spec is not None:
        f = table.field(spec.strip(), option)
        if not (f.numeric or f.kind == "text"):
            raise InputError(
                table.name,
                f"{table.what} {f.path!r} holds values that are neither numbers nor names",
            )
        table.layout.update(labels=f.path, labels_inferred=False)
        return f
    preds = _preds_paths(table)
    found = label_candidates(table, set(preds))
    if not found and not preds:  # a labels file: its one field, whatever its name
        usable = [f for f in table.fields.values() if f.numeric or f.kind == "text"]
        found = usable if len(table.fields) == 1 else []
    if len(found) != 1:
        names = ", ".join(f.path for f in found)
        what = (
            f"several {table.what}s could be labels ({names})"
            if found
            else f"no label {table.what}"
        )
        raise InputError(
            table.name,
            f"{what}; which {table.what} holds the labels?",
            hint="name it with --label-col"
            + (f", e.g. --label-col {found[0].path}" if found else ""),
        )
    f = found[0]
    table.notes.append(
        f"{table.name}: labels from {table.what} {f.path!r}; --label-col names another"
    )
    table.layout.update(labels=f.path, labels_inferred=True)
    return f


MASK_FIELDS = ("attention_mask", "loss_mask", "label_mask", "mask")


def unused_mask(table: RecordTable, used: set[str]) -> None:
    """A token table's mask field that no option takes (``--mask`` leaves out the records
    where it is 0, as a collator's ``labels[mask == 0] = -100``): said, since the padding it
    marks is scored without it."""
    for f in table.fields.values():
        named = f.keys[-1].strip().lower() in MASK_FIELDS
        if named and f.width is None and f.numeric and f.path not in used:
            table.notes.append(
                f"{table.name}: {table.what} {f.path!r} is not used; --mask {f.path} "
                "leaves out the records where it is 0"
            )


def _preds_paths(table: RecordTable) -> list[str]:
    preds = table.layout.get("preds")
    return [] if preds is None else [preds] if isinstance(preds, str) else list(preds)
