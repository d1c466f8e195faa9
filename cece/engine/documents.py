"""cece's JSON documents read back: baselines for CI gates, and shard summaries to merge.

Every JSON document cece writes carries ``summary``, the mergeable sums of its run (count,
Σweight, Σweighted loss, Σloss and Σ(loss − mean)², min, max, correct count, …). Merging shard
summaries with :meth:`Summary.merge` (Chan et al.'s pairwise update for the spread) gives the
statistics of the union exactly, to rounding; only the median, which needs every sample, is lost.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from cece.checks import Diagnostics, of_sums, sums_warnings
from cece.engine import sequences
from cece.engine.provenance import DEFINITION, with_option
from cece.engine.reduce import Summary
from cece.engine.result import Result
from cece.errors import CeceError, InputError
from cece.options import SCALES

# options that must agree for shards to be one computation (inputs and kinds may differ)
_SAME = (
    "reduction",
    "base",
    "weight",
    "ignore_index",
    "pos_weight",
    "label_smoothing",
    "focal_gamma",
    "focal_alpha",
    "threshold",
    "eps",
    "renormalize",
    "temperature",
    "top_k",
)


AS_WRITTEN = "use the file as cece wrote it (cece ... -f json -o FILE)"


def load(path: str) -> dict:
    """A JSON document written by cece (``-f json``)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            f"not a JSON document (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start} is not UTF-8)",
            hint="use a file written by cece ... -f json",
        ) from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InputError(
            path, f"not a JSON document ({exc})", hint="use a file written by cece ... -f json"
        ) from None
    if isinstance(doc, dict) and doc.get("command") == "compare":
        raise InputError(
            path,
            "is a cece compare document: two models' losses, not one",
            hint="use a document of the loss command (cece categorical ... -f json) of one model",
        )
    if not isinstance(doc, dict) or "summary" not in doc or "unit" not in doc:
        lacks = "'summary'" if isinstance(doc, dict) and "unit" in doc else "'summary' or 'unit'"
        raise InputError(
            path,
            f"not a cece JSON document (no {lacks})",
            hint="use a file written by cece ... -f json",
        )
    if (why := _damage(doc)) is not None:
        raise InputError(path, f"a damaged cece JSON document ({why})", hint=AS_WRITTEN)
    return doc


def _damage(doc: dict) -> str | None:
    """What makes a document cece could have written unreadable, or None: checked when it is
    read, so that a baseline or a shard never fails (exit 3) once the result is out."""
    if doc["unit"] not in SCALES:
        return f"unit {doc['unit']!r} is not one of {', '.join(SCALES)}"
    try:
        value(doc)
    except (TypeError, ValueError, AttributeError):
        return f"loss {doc.get('loss', doc.get('stats'))!r} is not a number"
    for key, kind in (("options", dict), ("input", dict), ("stats", dict), ("warnings", list)):
        if key in doc and not isinstance(doc[key], kind):
            return f"{key!r} is not a JSON {'object' if kind is dict else 'array'}"
    prints = shard_prints(doc) or []  # a string's characters are no lists either
    if not all(isinstance(p, list) and all(isinstance(f, dict) for f in p) for p in prints):
        return "'input.fingerprint' is not a list of files"
    return None


def loss_command(doc: dict) -> str | None:
    """The loss a document measured: its command, or for a merge its shards' command."""
    if doc.get("command") == "merge":
        return doc.get("input", {}).get("command")
    return doc.get("command")


def value(doc: dict) -> float:
    """The document's loss: its reduced value, or the mean for ``--reduction none``."""
    loss = doc.get("loss")
    if loss is None:
        loss = doc.get("stats", {}).get("mean")
    return float(loss) if loss is not None else math.nan


def in_unit(loss: float, unit: str, target_unit: str) -> float:
    """Convert a loss between nats, bits and hartleys."""
    return loss * SCALES[unit] / SCALES[target_unit]


def parse_tolerance(text: str) -> tuple[float, bool]:
    """``0.01`` (absolute) or ``2%`` (relative) → (value, is_relative)."""
    relative = text.strip().endswith("%")
    try:
        tol = float(text.strip().rstrip("%"))
    except ValueError:
        raise CeceError(
            f"--tolerance {text!r}: expected a number like 0.01 or a percentage like 2%"
        ) from None
    if not tol >= 0:
        raise CeceError(f"--tolerance must be ≥ 0; got {text}")
    return tol, relative


def open_baseline(path: str, command: str | None, tolerance: str | None) -> dict:
    """Read and check a baseline before anything is computed (so a bad one prints nothing)."""
    doc = load(path)
    if command is not None and loss_command(doc) != command:
        raise InputError(path, f"is a baseline for '{loss_command(doc)}', not '{command}'")
    parse_tolerance(tolerance or "0")
    return doc


def check_baseline(
    result: Result, path: str, tolerance: str, doc: dict | None = None
) -> str | None:
    """None when the loss is within tolerance of the baseline's, else the reason it is not."""
    doc = doc if doc is not None else load(path)
    mine = result.input.get("command") if result.command == "merge" else result.command
    if loss_command(doc) != mine:
        raise InputError(path, f"is a baseline for '{loss_command(doc)}', not '{mine}'")
    tol, relative = parse_tolerance(tolerance)
    base = in_unit(value(doc), doc["unit"], result.unit)
    loss = result.loss if result.loss is not None else result.summary.mean
    limit = base + abs(base) * tol / 100 if relative else base + tol  # a negative loss too
    if loss <= limit:  # False for nan on either side
        return None
    delta = loss - base
    shown = f"{tol:g}%" if relative else f"{tol:g}"
    change = f" ({100 * delta / abs(base):+.3g}%)" if base and math.isfinite(delta) else ""
    return (
        f"loss {loss:.10g} {result.unit} exceeds the baseline {base:.10g} ({path}) by "
        f"{delta:.3g}{change}, more than the tolerance {shown}"
    )


def _shard(path: str) -> dict:
    """A shard's document, its sums readable (a damaged one is an input error, not exit 3)."""
    doc = load(path)
    try:
        if "count" not in doc["summary"]:  # the rest of the document: load()'s _damage
            raise ValueError("no 'summary.count'")
        Summary.from_dict(doc["summary"]).merge(Summary.from_dict(doc["summary"]))  # its sums
        class_count(doc)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise InputError(
            path,
            f"a damaged cece JSON document ({type(exc).__name__}: {exc})",
            hint=AS_WRITTEN,
        ) from None
    return doc


def merge(paths: list[str], diag: Diagnostics | None = None) -> Result:
    """The union of shard summaries, as a Result the renderers can show. What is said of a
    run's sums (every sample ignored, the weights summing to 0) is said of the union's, in
    its ``warnings`` and to ``diag`` (a shard's own is dropped: its sums are not the union's)."""
    docs = [_shard(p) for p in paths]
    first, name = docs[0], paths[0]
    for doc, path in zip(docs[1:], paths[1:]):
        if loss_command(doc) != loss_command(first) or doc.get("unit") != first.get("unit"):
            raise InputError(
                path,
                f"is a {loss_command(doc)} loss in {doc.get('unit')}, but "
                f"{name} a {loss_command(first)} loss in {first.get('unit')}; "
                "shards must be one computation",
            )
        _same_options(first.get("options", {}), doc.get("options", {}), name, path)
        classes, theirs = class_count(first), class_count(doc)
        if classes is not None and theirs is not None and classes != theirs:
            raise InputError(
                path,
                f"has {theirs} prediction columns, but {name} {classes}; shards must be one "
                "computation",
            )
    _given_once(docs, paths)
    total = Summary()
    for doc in docs:
        total.merge(Summary.from_dict(doc["summary"]))
    options = dict(first.get("options", {}))
    rows, seq_stats, seq_input = sequences.merge(docs, paths, total, SCALES[first["unit"]])
    warnings = [w for doc in docs for w in doc.get("warnings", []) if not of_sums(w)]
    reduction = first.get("reduction", "mean")
    said = sums_warnings(total.count, total.ignored, total.weight_sum, total.mean, reduction)
    for warning, hint in said:
        warnings.append(warning)
        if diag is not None:
            diag.warn(warning, hint=hint)
    return Result(
        command="merge",
        input={
            "command": loss_command(first),
            "shards": paths,
            "rows": sum(int(d.get("input", {}).get("rows", 0) or 0) for d in docs),
            "kind": _common(docs, "kind"),
            "target": _common(docs, "target"),
            **seq_input,
            **_without_moments(docs, paths),
            **_prints(docs, paths),
            **({"class_count": class_count(first)} if class_count(first) is not None else {}),
        },
        options=options,
        unit=first["unit"],
        reduction=first.get("reduction", "mean"),
        summary=total,
        median=math.nan,
        fields=["entropy"] if all("entropy" in d.get("stats", {}) for d in docs) else [],
        per_class=_merge_per_class(docs),
        warnings=list(dict.fromkeys(warnings)),
        rows=0,
        has_accuracy=loss_command(first) in ("categorical", "binary"),
        has_perplexity=loss_command(first) != "kl",
        sequences=rows,
        sequence_stats=seq_stats,
    )


def _same_options(first: dict, doc: dict, name: str, path: str) -> None:
    """Shards computed with other options are another computation."""
    for key in dict.fromkeys((*_SAME, *DEFINITION)):
        a, b = first.get(key), doc.get(key)
        if key in DEFINITION and DEFINITION[key][1] == "given":
            if (a is None) != (b is None):
                flag = DEFINITION[key][0]
                raise InputError(
                    path,
                    f"was computed {'without' if b is None else 'with'} {flag}, but {name} "
                    f"{'with' if b is None else 'without'} it; shards must use the same options",
                )
        elif a != b and (key in _SAME or (key in first and key in doc)):
            theirs, ours = (
                (with_option(key, b), with_option(key, a))
                if key in DEFINITION  # in the command line's words: --weight 1,2, not weight = None
                else (_with(key, b), _with(key, a))
            )
            raise InputError(
                path,
                f"was computed {theirs}, but {name} {ours}; shards must use the same options",
            )


def _with(key: str, value: object) -> str:
    """``with --top-k 2``, ``without --top-k`` (the options outside the loss's definition)."""
    flag = "--" + key.replace("_", "-")
    return f"without {flag}" if value is None else f"with {flag} {value}"


def class_count(doc: dict) -> int | None:
    """How many classes (columns) a document's predictions had (None: not recorded)."""
    facts = doc.get("input", {})
    if "class_count" in facts:
        return int(facts["class_count"])
    if "columns" in facts:  # binary
        return int(facts["columns"])
    shape = facts.get("shape")
    return int(shape[-1]) if isinstance(shape, list) and len(shape) == 2 else None


def shard_prints(doc: dict) -> list[list[dict]] | None:
    """The input fingerprints of a document's shards (one for a run; None: not recorded)."""
    facts = doc.get("input", {})
    if "fingerprints" in facts:
        return facts["fingerprints"]
    return [facts["fingerprint"]] if "fingerprint" in facts else None


def _given_once(docs: list[dict], paths: list[str]) -> None:
    """A shard given twice (the same file, an identical document, or the same inputs) would
    count its samples twice: refused."""
    seen: dict[str, str] = {}
    inputs: dict[str, str] = {}
    for doc, path in zip(docs, paths):
        key = json.dumps(doc, sort_keys=True)
        real = str(Path(path).resolve())
        for other, same in ((seen.get(real), "the same file as"), (seen.get(key), "identical to")):
            if other is not None:
                raise InputError(path, f"is {same} {other}; a shard given twice counts twice")
        seen[real] = seen[key] = path
        for prints in shard_prints(doc) or []:
            if any("stdin" in p for p in prints):
                continue  # standard input cannot be told apart
            mark = json.dumps(prints, sort_keys=True)
            # the inputs' contents (a copied file has another path and mtime, the same digest)
            held = [[p.get("digest"), p.get("size"), p.get("rows"), p.get("key")] for p in prints]
            content = json.dumps(held) if all(h[0] for h in held) else None
            kin = inputs.get(content) if content else None  # across documents only: a
            twin = inputs.get(mark) or (kin if kin != path else None)  # pattern run's own
            if twin is not None:
                raise InputError(
                    path,
                    f"was computed from the same inputs as {twin} ({_files(prints)}); a shard "
                    "given twice counts twice",
                )
            inputs[mark] = path
            if content:
                inputs[content] = path


def _files(prints: list[dict]) -> str:
    names = [Path(p["path"]).name for p in prints if "path" in p]
    return ", ".join(names) if names else "the same literal values"


def _prints(docs: list[dict], paths: list[str]) -> dict:
    """The merge's ``fingerprints`` (every shard's), and the shards that have none."""
    out: list = []
    without = []
    for doc, path in zip(docs, paths):
        prints = shard_prints(doc)
        if prints is None:
            without.append(path)
        else:
            out.extend(prints)
    return {"fingerprints": out, **({"shards_without_fingerprint": without} if without else {})}


def _without_moments(docs: list[dict], paths: list[str]) -> dict:
    """Shards written before documents kept the moments of the mean (no stderr for the merge)."""
    old = [
        p
        for d, p in zip(docs, paths)
        if "moments" not in d["summary"] and d["summary"].get("count")
    ]
    return {"shards_without_moments": old} if old else {}


def _common(docs: list[dict], key: str) -> str | None:
    values = {d.get("input", {}).get(key) for d in docs}
    return values.pop() if len(values) == 1 else "mixed"


def _merge_per_class(docs: list[dict]) -> list[dict] | None:
    """Per-class rows of every shard combined (counts add; means and accuracies weight)."""
    if not all(isinstance(d.get("per_class"), list) for d in docs):  # [] : none counted
        return None
    rows: dict[str, list[float]] = {}
    for doc in docs:
        for row in doc["per_class"]:
            n = row["count"]
            acc = rows.setdefault(row["class"], [0, 0.0, 0.0])
            if n:
                acc[0] += n
                acc[1] += float(row["mean"]) * n
                acc[2] += float(row["accuracy"]) * n
    return [
        {
            "class": c,
            "count": int(n),
            "mean": s / n if n else math.nan,
            "accuracy": a / n if n else math.nan,
        }
        for c, (n, s, a) in sorted(rows.items(), key=_class_order(docs))
    ]


def _class_order(docs: list[dict]):
    """Shards list the classes that occur in them: merged, in class order (the classes'
    order in ``input.classes``, else by index)."""
    names: list[str] = next(
        (d["input"]["classes"] for d in docs if d.get("input", {}).get("classes")), []
    )
    where = {name: i for i, name in enumerate(names)}

    def key(item: tuple) -> tuple:
        c = item[0]
        if c in where:
            return (0, where[c], "")
        return (1, int(c), "") if c.isdigit() else (2, 0, c)

    return key
