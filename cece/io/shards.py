"""Sharded inputs (placeholder until the resolver lands): patterns → shards in natural order."""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field

from cece.errors import InputError


@dataclass(frozen=True)
class Shard:
    index: int
    preds: str
    labels: str | None
    extra: dict[str, str] = field(default_factory=dict)
    key: tuple[str, ...] = ()
    rows: int | None = None


def is_sharded(arg: str | None) -> bool:
    import json
    import os

    if arg is None or os.path.exists(arg):
        return False
    try:
        json.loads(arg)
        return False
    except ValueError:
        pass
    return arg.startswith("@") or any(c in arg for c in "*?[")


def natural_key(text: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))


def _expand(arg: str) -> dict[tuple[str, ...], str]:
    files = sorted(glob.glob(arg), key=natural_key)
    if not files:
        raise InputError(arg, "no file matches the pattern")
    rx = re.compile("^" + re.escape(arg).replace(r"\*", "(.*)").replace(r"\?", "(.)") + "$")
    out = {}
    for f in files:
        m = rx.match(f)
        out[m.groups() if m else (f,)] = f
    return out


def resolve(preds: str, labels: str | None, extra: dict[str, str | None]) -> list[Shard] | None:
    if not is_sharded(preds) and not is_sharded(labels):
        return None
    p = _expand(preds)
    lab = _expand(labels) if labels is not None else None
    return [
        Shard(i, f, None if lab is None else lab[k], {}, k, rows_of(f))
        for i, (k, f) in enumerate(p.items())
    ]


def rows_of(path: str) -> int | None:
    if not path.endswith(".npy"):
        return None
    import numpy as np

    arr = np.load(path, mmap_mode="r", allow_pickle=False)
    return int(arr.shape[0]) if arr.shape else None
