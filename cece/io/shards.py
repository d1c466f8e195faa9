"""Sharded inputs: quoted glob patterns and ``@list.txt`` files → the shards of one run.

``cece categorical 'preds-*.npy' 'labels-*.npy'`` names many files with one argument. This
module decides which files, in which order, and which go together; running them is the
engine's. The rules:

* a pattern is an argument with ``*``, ``?`` or ``[...]`` (``**`` crosses directories) that is
  neither an existing file nor a JSON literal (``'[0,2]'``); ``@list.txt`` lists one path a line
  (blank lines and ``#`` comments skipped, paths relative to the current directory);
  directories never match (but Zarr arrays, which are directories), and no match is one
  error line;
* shards are in natural order (``p-2`` before ``p-10``), a list's in the list's order;
* PREDS and LABELS (and per-row options such as ``--sample-weight``) pair by the text each
  wildcard matched (``preds-00003.npy`` with ``labels-00003.npy``), never by position, and every
  shard needs its partner; two lists pair by position and need the same length;
* a set named ``-NNNNN-of-MMMMM`` (Hugging Face's naming, from 0 or from 1) must be complete.

Natural order, ``-of-`` sets and :func:`patterns_of` (files a shell expanded → the patterns they
came from) are in :mod:`cece.io.shardnames`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cece.errors import InputError, OptionError
from cece.io.fields import json_literal
from cece.io.rowcount import fsspec_for, is_url, is_zarr, rows_of, split_member
from cece.io.shardnames import complete_sets, natural_key, patterns_of

__all__ = ["Shard", "is_sharded", "natural_key", "patterns_of", "resolve", "rows_of"]


@dataclass(frozen=True)
class Shard:
    """One shard of a sharded run: its files, its pairing key and its rows (from the header)."""

    index: int  # 0-based position in shard order
    preds: str  # a path or URL, as cece's readers take it
    labels: str | None  # the paired labels file (None when LABELS was not given)
    extra: dict[str, str] = field(default_factory=dict)  # per-row option → its paired file
    key: tuple[str, ...] = ()  # the text the wildcards matched; () for @list pairs
    rows: int | None = None  # rows read from the header (None: the format has no row count)
    window: tuple[int, int] | None = None  # rows [start, stop) of a big file (the engine's)


def is_sharded(arg: str | None) -> bool:
    """A pattern (``*``, ``?``, ``[...]`` and no file of that name) or an ``@list.txt``."""
    if not arg or arg == "-" or _exists(arg):
        return False
    if arg.startswith("@"):
        return len(arg) > 1
    if not _magic(arg):
        return False
    try:
        json_literal(arg)  # '[0,2]', '[[0,-inf]]': an inline literal, not a character class
        return False
    except ValueError:
        return True


def resolve(preds: str, labels: str | None, extra: dict[str, str | None]) -> list[Shard] | None:
    """None when no argument is a pattern or a list (the single-file run, unchanged); else the
    shards, in natural order of PREDS (a list's own order for ``@list``).

    ``extra`` maps per-row options (``sample_weight``, ``mask``, ``sequence_ids``, ``bytes``,
    ``words``) to their values; a pattern or list pairs like LABELS, a value that is not a file
    (a column name, a number) is left to the engine and not in :attr:`Shard.extra`.
    """
    given = {"LABELS": labels, **{_flag(k): v for k, v in extra.items()}}
    if not is_sharded(preds):
        for what, value in given.items():
            if is_sharded(value):
                raise OptionError(
                    f"{value}: {what} names many files but PREDS {preds} is one",
                    hint="give PREDS as a pattern or @list too, quoted: 'preds-*.npy'",
                )
        return None
    main = _expand(preds)
    partners: dict[str, list[str]] = {}
    for what, value in given.items():
        if value is None:
            continue
        if is_sharded(value):
            partners[what] = _pair(main, _expand(value))
        elif what == "LABELS" or _is_file(value):
            raise OptionError(
                f"{value}: one file cannot pair with the {len(main.files)} shards of {preds}",
                hint=f"give {what} as a pattern or @list too, quoted, e.g. '{_like(value)}'",
            )
    names = {_flag(k): k for k in extra}
    return [
        Shard(
            index=i,
            preds=path,
            labels=partners["LABELS"][i] if "LABELS" in partners else None,
            extra={names[w]: files[i] for w, files in partners.items() if w != "LABELS"},
            key=main.keys[i] if main.keys is not None else (),
            rows=rows_of(path),
        )
        for i, path in enumerate(main.files)
    ]


@dataclass(frozen=True)
class _Listing:
    """The files one sharded argument names, with each file's wildcard text (None: a list)."""

    arg: str
    files: list[str]
    keys: list[tuple[str, ...]] | None


def _expand(arg: str) -> _Listing:
    return _read_list(arg) if arg.startswith("@") else _glob(arg)


def _pair(main: _Listing, other: _Listing) -> list[str]:
    """``other``'s files in ``main``'s order: by wildcard text, or by position for two lists."""
    if (main.keys is None) != (other.keys is None):
        listed, pattern = (main, other) if main.keys is None else (other, main)
        raise OptionError(
            f"{other.arg}: cannot pair with {main.arg}: a list pairs by position, "
            f"a pattern by wildcard text",
            hint=f"write {pattern.arg} as a list too, or {listed.arg} as a pattern",
        )
    if main.keys is None or other.keys is None:
        if len(main.files) != len(other.files):
            raise OptionError(
                f"{other.arg} lists {len(other.files)} files and {main.arg} lists "
                f"{len(main.files)}: lists pair line by line, so they need the same length"
            )
        return other.files
    if main.keys and other.keys and len(main.keys[0]) != len(other.keys[0]):
        raise OptionError(
            f"{other.arg} has {len(other.keys[0])} wildcards and {main.arg} has "
            f"{len(main.keys[0])}: shards pair by the text each wildcard matched",
            hint="give both patterns the same wildcards, e.g. 'preds-*.npy' 'labels-*.npy'",
        )
    by_key = dict(zip(other.keys, other.files, strict=True))
    for path, key in zip(main.files, main.keys, strict=True):
        if key not in by_key:
            raise _unpaired(other.arg, path, key, sum(k not in by_key for k in main.keys))
    keys = set(main.keys)
    for path, key in zip(other.files, other.keys, strict=True):
        if key not in keys:
            raise _unpaired(main.arg, path, key, sum(k not in keys for k in other.keys))
    return [by_key[key] for key in main.keys]


def _unpaired(pattern: str, path: str, key: tuple[str, ...], count: int) -> InputError:
    text = ", ".join(repr(k) for k in key)
    more = f"; {count - 1} more unpaired" if count > 1 else ""
    return InputError(pattern, f"no shard pairs with {path} (wildcard text {text}{more})")


# ---------------------------------------------------------------------------------- patterns
def _magic(arg: str) -> bool:
    """Glob characters in the path (an http(s) URL's ``?`` starts its query, not a wildcard)."""
    text = arg.split("?", 1)[0] if arg.startswith(("http://", "https://")) else arg
    return any(c in text for c in "*?[")


def _tokens(pattern: str) -> list[tuple[str, str]]:
    """A glob as (kind, text) tokens: literal text, ``*``, ``**/``, ``?``, ``[...]``."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            deep = j - i > 1
            if deep and j < n and pattern[j] == "/":
                j += 1
            out.append(("deep" if deep else "star", pattern[i:j]))
            i = j
        elif c == "?":
            out.append(("one", c))
            i += 1
        elif c == "[":
            j = i + 1
            j += j < n and pattern[j] == "!"
            j += j < n and pattern[j] == "]"
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:  # no closing bracket: a literal '['
                out.append(("lit", c))
                i += 1
            else:
                out.append(("set", pattern[i : j + 1]))
                i = j + 1
        else:
            out.append(("lit", c))
            i += 1
    return out


def _regex(tokens: list[tuple[str, str]]) -> re.Pattern[str]:
    """A regular expression with one group per wildcard, to recover the text each matched."""
    parts = []
    for kind, text in tokens:
        if kind == "lit":
            parts.append(re.escape(text))
        elif kind == "star":
            parts.append("([^/]*)")
        elif kind == "deep":
            parts.append("((?:.*/)?)" if text.endswith("/") else "(.*)")
        elif kind == "one":
            parts.append("([^/])")
        else:
            body = text[1:-1]
            negate = body.startswith("!")
            body = re.sub(r"([\\\[\]&~|^])", r"\\\1", body[negate:])  # as glob reads them
            parts.append("([" + "^" * negate + body + "])")
    return re.compile("".join(parts), re.S)


def _glob(arg: str) -> _Listing:
    """The files a pattern matches (directories skipped), in natural order, with their keys."""
    pattern, member = split_member(arg)
    tokens = _tokens(pattern)
    if is_url(pattern):
        fs, inner = fsspec_for(pattern)
        try:
            found = fs.glob(inner, detail=True)
        except OSError as exc:
            raise InputError(arg, f"cannot list the files: {exc}") from None
        paths = [
            p
            for p, info in found.items()
            if info.get("type") == "file" or (info.get("type") == "directory" and is_zarr(p))
        ]
        regex = _regex(_tokens(inner))
        pairs = [(_fill(tokens, _key(regex, p)), _key(regex, p)) for p in paths]
    else:
        import glob

        regex = _regex(tokens)
        paths = [p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p) or is_zarr(p)]
        pairs = [(p, _key(regex, p)) for p in paths]
    if not pairs:
        raise InputError(arg, "no file matches the pattern")
    pairs.sort(key=lambda pair: natural_key(pair[0]))
    files = [p if member is None else f"{p}:{member}" for p, _ in pairs]
    complete_sets(arg, [p for p, _ in pairs])
    return _Listing(arg, files, [k for _, k in pairs])


def _key(regex: re.Pattern[str], path: str) -> tuple[str, ...]:
    match = regex.fullmatch(path)
    return match.groups() if match else (path,)  # (a case-insensitive file system's match)


def _fill(tokens: list[tuple[str, str]], key: tuple[str, ...]) -> str:
    """The pattern with each wildcard replaced by its text: a match as the user spelled it."""
    texts = iter(key)
    return "".join(text if kind == "lit" else next(texts, "") for kind, text in tokens)


# -------------------------------------------------------------------------------------- lists
def _read_list(arg: str) -> _Listing:
    """``@list.txt``: one path a line; blank lines and ``#`` comments skipped."""
    try:
        text = Path(arg[1:]).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(arg, f"cannot read the list: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(arg, "cannot read the list: it is not UTF-8 text") from None
    files: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        if item in seen:
            raise InputError(
                arg, f"{item} is listed twice (first on line {seen[item]})", line=number
            )
        if not is_url(item) and not _is_file(item):
            found = "is a directory; expected a file" if os.path.isdir(item) else "no such file"
            raise InputError(arg, f"{item}: {found}", line=number)
        seen[item] = number
        files.append(item)
    if not files:
        raise InputError(
            arg, "lists no files", hint="one path a line; blank lines and # comments are skipped"
        )
    return _Listing(arg, files, None)


def _exists(arg: str) -> bool:
    try:
        return Path(arg).exists()
    except (OSError, ValueError):
        return False


def _is_file(value: str) -> bool:
    """An existing file (``file.npz:key`` too) or a URL: what cannot pair with many shards."""
    try:
        base = split_member(value)[0]
        return is_url(value) or Path(base).is_file() or is_zarr(base)
    except (OSError, ValueError):
        return False


def _flag(name: str) -> str:
    """``sample_weight`` → ``--sample-weight``; ``n_bytes`` (the CLI's parameter) → ``--bytes``."""
    return "--" + name.removeprefix("n_").replace("_", "-")


def _like(path: str) -> str:
    """``labels.npy`` → ``labels-*.npy``: what a pattern for this file could look like."""
    stem, dot, suffix = Path(path).name.partition(".")
    return str(Path(path).with_name(f"{stem}-*{dot}{suffix}"))
