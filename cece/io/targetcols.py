"""Target columns: which column of a LABELS table goes with which class (or prediction
column) of PREDS.

A LABELS table with one column per class is read as dense targets; its header decides which
column is which class where it names them (``pd.get_dummies`` sorts the names), and a column
that names labels or another role (``label,weight``) says the table is not targets at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cece.errors import InputError, OptionError
from cece.io import tables
from cece.io.columns import LABEL_NAMES, shell_word
from cece.io.layout import (
    SCORE_PREFIXES,
    TARGET_PREFIXES,
    Inference,
    bare_names,
    int_token,
    other_role,
)

if TYPE_CHECKING:
    from cece.io.arrow import ArrowTable
    from cece.io.inputs import Predictions
    from cece.io.text import TextTable


def by_name(
    table: TextTable | ArrowTable, cols: list[int], classes: list[str] | None, preds: str
) -> list[int]:
    """Target columns named as the classes of PREDS in another order are taken by name, in
    the classes' order, with a note (``pd.get_dummies`` sorts the names; a model's columns
    need not be sorted): a position never pairs a target with another class's score. A
    prefix all names share is not the name (``p_toxic, p_spam`` scores, ``y_spam, y_toxic``
    targets: :func:`cece.io.layout.bare_names`)."""
    header = table.header
    if not header or not classes or len(cols) != len(classes) or len(classes) < 2:
        return cols
    if getattr(table, "header_is_data", False):
        return cols
    shown = [header[c].strip() for c in cols]
    names = bare_names(shown, TARGET_PREFIXES)
    wanted = bare_names(classes, SCORE_PREFIXES)
    if names == wanted or sorted(names) != sorted(wanted) or len(set(names)) != len(names):
        return cols
    table.inferred.append(
        Inference(
            table.name,
            "labels",
            f"target columns taken by name in the order of {preds}'s classes "
            f"({', '.join(c.strip() for c in classes)}), not by position ({', '.join(shown)})",
        )
    )
    return [cols[names.index(k)] for k in wanted]


def in_table(preds: Predictions, cols: list[int]) -> list[int]:
    """``--label-col`` naming several columns of PREDS' own table (a list per record, or one
    target column per class): dense targets, one per class, taken by name where named."""
    if len(cols) != preds.n_classes or "labels" in preds.source.text_parts:
        raise OptionError(
            f"--label-col names {len(cols)} columns; categorical labels are one column "
            f"(class indices or names), or one target per class ({preds.n_classes})"
        )
    table = preds.source.data
    if tables.is_text(table) or tables.is_arrow(table):
        return by_name(table, cols, preds.classes, preds.name)
    return cols


def not_dense_targets(
    table: TextTable | ArrowTable,
    cols: list[int],
    classes: list[str] | None,
    preds: str,
    *,
    binary: bool = False,
) -> None:
    """A LABELS table with as many columns as PREDS has classes (``binary``: prediction
    columns) is read as one target column each; a column whose header names no class of PREDS
    and names labels (``label``, ``y``, ``target``...) or another role (``weight``,
    ``sample_weight``, ``loss``, ``id``...: :func:`cece.io.layout.other_role`) says the table
    is a labels table with other columns (``label,weight``): refused, naming --label-col, not
    read as targets (a weight read as soft targets is a wrong number). The one rule for
    ``categorical`` and ``binary``."""
    header = table.header
    if not header or getattr(table, "header_is_data", False):
        return
    names = [header[c].strip() for c in cols]
    known_classes = {c.strip() for c in classes} if classes else set()
    if classes:  # p_toxic, p_spam are the classes toxic, spam; y_toxic, y_spam their targets
        known_classes |= set(bare_names(classes, SCORE_PREFIXES))
    bare = bare_names(names, TARGET_PREFIXES)
    strangers = [
        n for n, b in zip(names, bare) if n not in known_classes and b not in known_classes
    ]
    label = next((n for n in strangers if n.lower() in LABEL_NAMES), None)
    role = next(((n, r) for n in strangers if (r := other_role(n)) is not None), None)
    per = "prediction column" if binary else "class"
    known = f" ({', '.join(classes[:6])}{', …' if len(classes) > 6 else ''})" if classes else ""
    if label is None and role is None:
        if strangers and len(strangers) < len(names) and not all(map(int_token, names)):
            given, classes = set(names) | set(bare), classes or []
            pairs = zip(classes, bare_names(classes, SCORE_PREFIXES))
            missing = [c.strip() for c, b in pairs if c.strip() not in given and b not in given]
            raise InputError(  # spam,obscene against toxic,spam: no position pairs them
                table.name,
                f"columns {', '.join(names)} name some classes of {preds}{known} but not "
                f"{', '.join(missing)}: which target column goes with which {per} is not "
                "guessed",
                hint=f"name the target columns as the {per}s of {preds}",
            )
        return
    if label is not None:
        said = f"{label!r} names labels"
        hint = f"take the labels from one column: --label-col {shell_word(label, 0)}"
    else:
        assert role is not None
        said = f"{role[0]!r} names {role[1]}"
        rest = [n for n in names if n != role[0] and other_role(n) is None]
        hint = (
            f"take the targets from the other columns: --label-col {shell_word(','.join(rest), 0)}"
            if binary and rest
            else f"dense targets are read from a table of the {len(cols)} target columns alone"
        )
    raise InputError(
        table.name,
        f"columns {', '.join(names)} are not the classes of {preds}{known} and {said}: "
        f"not one target column per {per}; --label-col decides",
        hint=hint,
    )
