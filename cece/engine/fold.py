"""Parts folded into one result, in shard order (whichever engine computed them).

Sums merge as ``cece merge`` merges documents (:meth:`Summary.merge`, in shard order); the
first rows and the worst K get indexes among all shards, plus the shard they come from; the
median and the histogram come from :mod:`cece.engine.select`, over the losses where they are.
"""

from __future__ import annotations

from pathlib import Path

from cece.engine import select, sequences
from cece.engine.reduce import Summary, Worst
from cece.engine.result import Result
from cece.engine.shards import FIRST_AXES, Part
from cece.engine.task import class_rows
from cece.errors import InputError
from cece.options import SCALES, Keep

SHARD_FIELDS = ["shard", "shard_index"]


def fold(
    parts: list[Part],
    keep: Keep,
    ask: select.Ask,
    *,
    names: dict[str, str | None],
    engine: dict,
) -> Result:
    """One result from the parts; ``ask`` answers requests about their losses, ``names``
    the pattern each input was given as, ``engine`` what computed them (JSON
    ``input.engine``)."""
    first = parts[0]
    _one_computation(parts)
    total, worst = Summary(), Worst(keep.worst)
    head: list[dict] = []
    samples: list[dict] | None = [] if keep.every else None
    per_class = None
    shards, prints = [], []
    index = row = axis0 = 0
    for part in parts:
        result = part.result
        assert result is not None  # failed parts are errors before the fold
        total.merge(result.summary)

        def moved(rec: dict, part: Part = part, index: int = index, row: int = row, axis0=axis0):
            return _moved(rec, part, index, row, axis0)

        head.extend(moved(r) for r in result.head[: max(0, keep.head - len(head))])
        worst.offer([(loss, i - index, moved(rec)) for loss, i, rec in part.worst])  # i: −index
        if samples is not None and result.samples:
            samples.extend(moved(r) for r in result.samples)
        if part.per_class is not None:
            per_class = part.per_class if per_class is None else per_class + part.per_class
        shards.append(
            {"preds": part.shard.preds, "labels": part.shard.labels, "rows": part.rows}
            | {"first_row": row}
            | ({"window": list(part.shard.window)} if part.shard.window else {})
            | ({"files": part.shard.extra} if part.shard.extra else {})
        )
        prints.append(part.fingerprint)  # one fingerprint a shard, as a merge's
        index, row, axis0 = index + part.indexes, row + part.rows, axis0 + part.axis0
    r0 = first.result
    assert r0 is not None
    listed, sequence_stats, sequence_facts = _sequences(parts, total, r0.unit)
    return Result(
        command=r0.command,
        input=_input(parts, r0.input, names, row)
        | sequence_facts
        | {"shards": shards, "engine": engine, "fingerprints": prints},
        options=r0.options | {k: v for k, v in names.items() if k in r0.options},
        unit=r0.unit,
        reduction=r0.reduction,
        summary=total,
        median=(
            select.median(ask, total.count, [p.digits for p in parts])
            if keep.losses
            else float("nan")
        ),
        histogram=(
            select.histogram(ask, [p.spread for p in parts], total.count) if keep.hist else None
        ),
        fields=r0.fields + (SHARD_FIELDS if keep.head or keep.worst else []),
        head=head,
        worst=worst.records(),
        samples=samples,
        per_class=None if per_class is None else class_rows(per_class, r0.classes),
        warnings=list(dict.fromkeys(w for p in parts if p.result for w in p.result.warnings)),
        classes=r0.classes,
        rows=row,
        has_accuracy=r0.has_accuracy,
        has_perplexity=r0.has_perplexity,
        ran=_ran(parts),
        sequences=listed,
        sequence_stats=sequence_stats,
    )


def _moved(rec: dict, part: Part, index: int, row: int, axis0: int) -> dict:
    """A shard's record, its indexes among all shards', and where it is in its shard."""
    out = dict(rec)
    out["index"] = rec["index"] + index
    for axis in FIRST_AXES:
        if axis in out:
            out[axis] = rec[axis] + axis0
    if "row" in out:  # --elementwise: the element's row
        out["row"] = rec["row"] + row
    out["shard"] = (
        Path(part.shard.preds).name if "://" not in part.shard.preds else part.shard.preds
    )
    start = part.shard.window[0] if part.shard.window else 0  # a window's rows: the file's
    out["shard_index"] = rec["index"] + start * (part.indexes // max(part.rows, 1))
    return out


def _sequences(parts: list[Part], total: Summary, unit: str) -> tuple:
    """--per-sequence, --bytes, --words over shards: the shards' sequences listed in shard
    order (a row of the first label axis numbered among all shards'; --sequence-ids as given,
    an id in two shards refused), the statistics recomputed as ``cece merge`` does."""
    docs, paths, before = [], [], 0
    for part in parts:
        result = part.result
        assert result is not None
        rows = result.sequences
        if rows is not None and result.input.get("sequences", {}).get("by") != "sequence ids":
            rows = [{**r, "sequence": r["sequence"] + before} for r in rows]
        before += len(result.sequences or [])
        docs.append({"sequences": rows, "input": result.input})
        paths.append(part.shard.preds)
    listed, stats, facts = sequences.merge(docs, paths, total, SCALES[unit])
    if listed is not None:
        for row in listed:
            row["shard"] = Path(row["shard"]).name if "://" not in row["shard"] else row["shard"]
    return listed, stats, facts


def _input(parts: list[Part], facts: dict, names: dict[str, str | None], rows: int) -> dict:
    """The first shard's ``input``, for all shards: names as given, rows and shape summed."""
    out = dict(facts)
    for key in ("preds", "labels", "p", "q"):
        if key in out and names.get(key) is not None:
            out[key] = names[key]
    out["rows"] = rows
    shape = out.get("shape")
    if isinstance(shape, list) and shape:
        out["shape"] = [
            sum(p.result.input["shape"][0] for p in parts if p.result),
            *shape[1:],
        ]
    out["class_count"] = parts[0].class_count
    out.pop("fingerprint", None)
    for key, counts in (("shift", ("sequences", "dropped")), ("mask", ("masked",))):
        if isinstance(out.get(key), dict):  # the shards' counts, added
            out[key] = dict(out[key]) | {
                c: sum(int(p.result.input[key].get(c, 0)) for p in parts if p.result)
                for c in counts
                if c in out[key]
            }
            if key == "mask" and names.get("mask") is not None and "file" in out[key]:
                out[key]["file"] = names["mask"]
    return out


# what each shard decided for itself that must agree, and the option that decides it
AGREE = {
    "target": "--labels-as (integer labels) or the LABELS files (hard and soft targets)",
    "q_kind": "--q-from",
    "labels_as": "--labels-as",
}
FILES = {"sample_weight", "mask", "sequence_ids", "bytes", "words", "rescale"}  # per shard


def _one_computation(parts: list[Part]) -> None:
    """Shards with other classes, other options in force (a default eps of another dtype),
    or targets read another way are not one computation: refused, naming what decides."""
    first = parts[0]
    assert first.result is not None
    for part in parts[1:]:
        assert part.result is not None
        for key, option in AGREE.items():
            mine, theirs = first.result.input.get(key), part.result.input.get(key)
            if mine != theirs:
                raise InputError(
                    part.shard.preds,
                    f"its {key.replace('_', ' ')} is {theirs}, but {first.shard.preds}'s "
                    f"{mine}; shards must be one computation",
                    hint=f"say it for all shards: {option}",
                )
        readings = {_labels_read(p) for p in (first, part)}
        if len(readings) > 1:
            raise InputError(
                part.shard.labels or part.shard.preds,
                f"its integer labels were read as {_labels_read(part)}, but "
                f"{first.shard.labels or first.shard.preds}'s as {_labels_read(first)}; shards "
                "must be one computation",
                hint="--labels-as index (column indices) or --labels-as name (class names)",
            )
        for key, value in part.result.options.items():
            if key not in FILES and first.result.options.get(key) != value:
                raise InputError(
                    part.shard.preds,
                    f"was computed with {key} = {value!r}, but {first.shard.preds} with "
                    f"{first.result.options.get(key)!r}; shards must be one computation",
                    hint=f"give --{key.replace('_', '-')} for all shards"
                    if key == "eps"
                    else "give the shards the same dtype and options",
                )
        if part.class_count != first.class_count:
            raise InputError(
                part.shard.preds,
                f"has {part.class_count} prediction columns, but {first.shard.preds} "
                f"{first.class_count}; shards must be one computation",
            )
        if part.result.classes != first.result.classes:
            raise InputError(
                part.shard.preds,
                f"names its classes {_names(part.result.classes)}, but {first.shard.preds} "
                f"{_names(first.result.classes)}; shards must be one computation",
            )


def _labels_read(part: Part) -> str:
    """How a shard's integer labels were read, where its own values decided it."""
    assert part.result is not None
    for inferred in part.result.input.get("inferred", []):
        if inferred.get("what") == "labels" and "read as the class names" in inferred.get(
            "detail", ""
        ):
            return "class names"
    return "column indices"


def _names(classes: list[str] | None) -> str:
    if not classes:
        return "by index"
    shown = ", ".join(classes[:4]) + (", …" if len(classes) > 4 else "")
    return f"[{shown}]"


def _ran(parts: list[Part]) -> dict:
    """The kernels and parsers that computed any shard (``+``-joined)."""
    out = {}
    for key in ("kernels", "parser"):
        used = {v for p in parts if p.result for v in (p.result.ran.get(key) or "").split("+")}
        out[key] = "+".join(sorted(used - {""})) or None
    return out
