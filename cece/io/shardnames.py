"""What shard names say: natural order, complete ``-NNNNN-of-MMMMM`` sets, and the patterns a
shell expanded (for the error that says to quote them). Names only: nothing is read here."""

from __future__ import annotations

import os
import re

from cece.errors import InputError

_DIGITS = re.compile(r"([0-9]+)")
_OF = re.compile(r"-([0-9]+)-of-([0-9]+)(?![0-9])")


def natural_key(text: str) -> tuple:
    """Sort key of natural order: runs of digits compare as numbers (``p-2`` < ``p-10``),
    ties (``p-01`` and ``p-1``) by the text itself."""
    parts = _DIGITS.split(text)  # text, digits, text, ...: each position holds one type
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), text


def complete_sets(arg: str, paths: list[str]) -> None:
    """Every ``-NNNNN-of-MMMMM`` set among the matches is whole, with one M across it.

    A set is the files whose names differ only in NNNNN; Hugging Face counts from 0
    (``datasets``: ``train-00000-of-00064``) or from 1 (``transformers`` checkpoints:
    ``model-00001-of-00003``), and the set's members say which."""
    sets: dict[tuple[str, str], dict[int, tuple[int, str]]] = {}
    for path in paths:
        found = list(_OF.finditer(path))
        if not found or "/" in path[found[-1].end() :]:
            continue
        match = found[-1]
        name = (
            path[: match.start(1)],
            path[match.end(1) :].split("-of-", 1)[1].lstrip("0123456789"),
        )
        sets.setdefault(name, {})[int(match.group(1))] = (int(match.group(2)), path)
    for members in sets.values():
        totals = sorted({total for total, _ in members.values()})
        if len(totals) > 1:
            one, two = (next(p for t, p in members.values() if t == n) for n in totals[:2])
            raise InputError(
                arg,
                f"{one} and {two} name sets of different sizes ({totals[0]} and {totals[1]} "
                "shards)",
            )
        total = totals[0]
        base = 0 if 0 in members or total not in members else 1
        wanted = range(base, base + total)
        some = min(members.items())[1][1]

        def named(i: int, path: str = some) -> str:
            match = list(_OF.finditer(path))[-1]
            return f"{path[: match.start(1)]}{i:0{len(match.group(1))}d}{path[match.end(1) :]}"

        stray = sorted(set(members) - set(wanted))
        if stray:
            raise InputError(
                arg,
                f"{members[stray[0]][1]}: shard index {stray[0]} is out of range for a set of "
                f"{total} ({named(base)} .. {named(base + total - 1)})",
            )
        missing = [i for i in wanted if i not in members]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise InputError(
                arg,
                f"{named(missing[0])} is missing{more}: the pattern matched {len(members)} of "
                f"{total} shards",
            )


def one_set(paths: list[str]) -> list[str]:
    """Files among ``paths`` that are shards of one ``-NNNNN-of-MMMMM`` set (two or more), or
    ``[]``: two shards of a set given where one file goes came from a shell's expansion."""
    sets: dict[tuple[str, str], list[str]] = {}
    for path in paths:
        found = list(_OF.finditer(path))
        if found:
            match = found[-1]
            sets.setdefault((path[: match.start(1)], path[match.end(1) :]), []).append(path)
    return next((files for files in sets.values() if len(set(files)) > 1), [])


def patterns_of(files: list[str]) -> list[str]:
    """Patterns that the files a shell expanded came from, in order of first appearance:
    files that differ only in runs of digits share one (the varying runs become ``*``); the
    rest, by directory and suffix, a common prefix and suffix around ``*``."""
    from cece.io.formats import suffixes_of  # PurePath's rule, without pathlib (start-up)

    groups: dict[tuple, list[list[str]]] = {}
    for path in files:
        parts = _DIGITS.split(path)
        groups.setdefault(tuple(parts[0::2]), []).append(parts)
    out: dict[str, str] = {}  # each file → the pattern it belongs to
    singles: dict[tuple[str, str], list[str]] = {}
    for members in groups.values():
        first = members[0]
        varies = {i for i in range(1, len(first), 2) if len({m[i] for m in members}) > 1}
        pattern = "".join("*" if i in varies else p for i, p in enumerate(first))
        for parts in members:
            out["".join(parts)] = pattern
        if len(members) == 1:
            where = (os.path.dirname(pattern), "".join(suffixes_of(pattern)))
            singles.setdefault(where, []).append(pattern)
    for paths in singles.values():
        if len(paths) > 1:  # names that differ in more than digits: a common prefix and suffix
            head = os.path.commonprefix(paths)  # noqa: RUF071  (characters, not path parts)
            rests = [p[len(head) :][::-1] for p in paths]
            tail = os.path.commonprefix(rests)[::-1]  # noqa: RUF071
            if not os.path.basename(head):
                continue  # nothing in common but the folder: separate files, left as they are
            for path in paths:
                out[path] = f"{head}*{tail}"
    return list(dict.fromkeys(out.values()))
