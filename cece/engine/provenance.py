"""What a document was computed from, and with which definition of the loss.

* Input fingerprints (JSON ``input.fingerprint``): each input file's path, size, modification
  time and the rows read, so that ``cece merge`` can tell a shard given twice;
* the options that define the loss (:data:`DEFINITION`): a ``--baseline`` computed with other
  ones measured another loss and is refused (exit 2, naming the option), as are shards that
  differ in them. A different ``--base`` is not a different loss: baselines convert units.
"""

from __future__ import annotations

import os

import numpy as np

from cece.errors import InputError
from cece.io import readers

# JSON option key → (the flag that sets it, how two values are compared): "value" (equal
# after normalisation), "given" (whether it was given at all: file names differ between runs
# and shards), "mean" (--reduction: none reports the mean, so only sum differs)
DEFINITION: dict[str, tuple[str, str]] = {
    "label_smoothing": ("--label-smoothing", "value"),
    "weight": ("--weight", "value"),
    "sample_weight": ("--sample-weight", "given"),
    "eps": ("--eps", "value"),
    "focal_gamma": ("--focal-gamma", "value"),
    "focal_alpha": ("--focal-alpha", "value"),
    "pos_weight": ("--pos-weight", "value"),
    "shift": ("--shift", "value"),
    "mask": ("--mask", "given"),
    "temperature": ("--temperature", "value"),
    "ignore_index": ("--ignore-index", "value"),
    "renormalize": ("--renormalize", "value"),
    "rescale": ("--rescale", "given"),
    "elementwise": ("--elementwise", "value"),
    "reduction": ("--reduction", "mean"),
}


# What a run records for a defining option it was not given (eps has no such value: the clip
# in force depends on the kind found, and is only compared where both documents record it).
UNSET: dict[str, object] = {
    "label_smoothing": 0,
    "weight": None,
    "sample_weight": None,
    "focal_gamma": None,
    "focal_alpha": None,
    "pos_weight": None,
    "shift": False,
    "mask": None,
    "temperature": None,
    "ignore_index": None,
    "renormalize": False,
    "rescale": None,
    "elementwise": False,
    "reduction": "mean",
}


def known_before_run(options: dict) -> tuple[str, ...]:
    """The defining options a run's flags already settle: not eps (the clip in force depends
    on the kind and dtype found), nor ignore_index under --shift / --mask (they score
    through it)."""
    later = {"eps", "pos_weight"}  # pos_weight: as broadcast against the inputs
    later |= {"ignore_index"} if options.get("shift") or options.get("mask") else set()
    return tuple(k for k in DEFINITION if k not in later)


def _normal(key: str, value: object, how: str) -> object:
    if how == "given":
        return value is not None and value is not False
    if how == "mean":
        return "mean" if value == "none" else value
    if key == "temperature" and value is None:
        return 1.0  # logits / 1
    if key == "eps" and value is None:
        return None
    if isinstance(value, (int, float, list)) and not isinstance(value, bool):
        return tuple(np.ravel(np.asarray(value, dtype=np.float64)).tolist())
    return value


def differing(
    theirs: dict, mine: dict, keys: tuple[str, ...] = tuple(DEFINITION)
) -> tuple[str, object, object] | None:
    """The first defining option whose values differ: (key, theirs, mine). A key the other
    document lacks (written by a cece before the option existed) holds the value a run without
    the option records; a key this command does not have is not compared; eps only where both
    clipped (probabilities)."""
    for key in keys:
        if key not in mine or (key not in theirs and key not in UNSET):
            continue
        theirs = theirs if key in theirs else {**theirs, key: UNSET[key]}
        how = DEFINITION[key][1]
        a, b = _normal(key, theirs[key], how), _normal(key, mine[key], how)
        if key == "eps" and (a is None or b is None):
            continue  # logits: nothing is clipped
        if a != b:
            return key, theirs[key], mine[key]
    return None


def shown(key: str, value: object) -> str:
    """An option's value as a user types it: ``--mask`` given / not given, lists comma-joined."""
    how = DEFINITION[key][1]
    if how == "given":
        return "given" if value else "not given"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ",".join(f"{float(v):g}" for v in np.ravel(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_baseline_definition(path: str, baseline: dict, options: dict, keys=None) -> None:
    """``base.json: the baseline was computed with --label-smoothing 0.1, this run with 0:
    not the same loss`` (an :class:`InputError`, exit 2)."""
    found = differing(baseline.get("options") or {}, options, keys or tuple(DEFINITION))
    if found is None:
        return
    key, theirs, mine = found
    raise InputError(
        path,
        f"the baseline was computed {with_option(key, theirs)}, this run "
        f"{with_option(key, mine)}: not the same loss",
    )


def with_option(key: str, value: object) -> str:
    """``with --temperature 2``, ``without --temperature``, ``with --mask``."""
    flag, how = DEFINITION[key]
    if value is None or value is False:
        return f"without {flag}"
    return f"with {flag}" if how == "given" else f"with {flag} {shown(key, value)}"


_END = 1 << 20


def _ends_digest(path: str, size: int) -> str:
    """SHA-256 of the file's first and last MiB (all of a small file): a file rewritten within
    one tick of the file system's clock (same size and mtime) is still told apart, without
    reading a large file twice."""
    import hashlib  # start-up: OpenSSL is loaded only when a fingerprint is taken

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        digest.update(f.read(_END))
        if size > 2 * _END:
            f.seek(size - _END)
        digest.update(f.read(_END))
    return digest.hexdigest()


def fingerprint(args: list[str | None], rows: int) -> list[dict]:
    """Each input argument as read: a file's absolute path, size in bytes, modification time
    (ns), the rows read ([first, end)) and a digest of its ends; standard input as ``{"stdin": true}``; anything
    else (a JSON literal, a column name, a pattern) as ``{"arg": ...}``."""
    out: list[dict] = []
    for arg in args:
        if arg is None:
            continue
        if arg == "-":
            out.append({"stdin": True})
            continue
        base, sep, member = arg.rpartition(":")
        path, key = (arg, "") if readers.exists(arg) else (base, member) if sep else ("", "")
        if not path or not readers.exists(path) or not os.path.isfile(path):
            out.append({"arg": arg})
            continue
        info = os.stat(path)
        entry: dict[str, object] = {"path": os.path.realpath(path)}  # as Path.resolve()
        entry |= {"key": key} if key else {}
        entry |= {"size": info.st_size, "mtime_ns": info.st_mtime_ns, "rows": [0, rows]}
        entry["digest"] = _ends_digest(path, info.st_size)
        out.append(entry)
    return out
