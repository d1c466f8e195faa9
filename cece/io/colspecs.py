"""Column specs (``--pred-cols``, ``--label-col``, ``--sample-weight COL``, ``--mask COL``...):
which columns a spec names, stated where positions chose them, and one role a column.

Positions count every column of the file as written, a row-index column cece skips included
(as ``pd.read_csv(f).iloc[:, k]`` and ``cut -f`` count); an integer that is a header name and
the position of another column is refused (``name:3`` is the name, ``3:4`` the position).
"""

from __future__ import annotations

from cece.errors import InputError, OptionError
from cece.io.layout import Inference, compact, int_token


def position_spec(cols: list[int]) -> str:
    """Column positions as ``--pred-cols`` ranges (``0:3,4:5``), never bare integers, which
    a header of integer names would read as names."""
    runs: list[list[int]] = []
    for c in cols:
        if runs and c == runs[-1][1]:
            runs[-1][1] = c + 1
        else:
            runs.append([c, c + 1])
    return ",".join(f"{lo}:{hi}" for lo, hi in runs)


def parse_cols(
    spec: str,
    header: list[str] | None,
    ncols: int,
    name: str,
    option: str,
    said: list | None = None,
) -> list[int]:
    """``a,b``, ``0,3``, ``2:12`` (half-open, like Python) or a mix → 0-based column indices.

    Positions count every column of the file, a row-index column cece skips included (as
    ``pd.read_csv(f).iloc[:, 2:12]`` and ``cut -f`` count). A name is a header name; an
    integer is a position unless the header has it as a name, and an integer that names one
    column and is the position of another is refused: ``name:3`` is the column named ``3``,
    ``3:4`` the one at position 3. Where positions chose columns of a table with a header, an
    :class:`~cece.io.layout.Inference` naming them is appended to ``said``."""
    cols: list[int] = []
    by_position = False
    for item in (part.strip() for part in spec.split(",")):
        if header and item.startswith("name:") and item[5:] in header:
            cols.append(header.index(item[5:]))
        elif header and item in header and not int_token(item):
            cols.append(header.index(item))
        elif header and item in header:
            cols.append(_integer_name(item, header, spec, name, option))
            by_position |= cols[-1] == int(item) % ncols
        elif ":" in item and not item.startswith("name:"):
            lo, _, hi = item.partition(":")
            try:
                cols.extend(range(ncols)[slice(int(lo) if lo else None, int(hi) if hi else None)])
            except ValueError:
                raise OptionError(f"{option} {spec!r}: {item!r} is not a range like 2:12") from None
            by_position = True
        elif item.lstrip("-").isdigit() and -ncols <= int(item) < ncols:
            cols.append(int(item) % ncols)
            by_position = True
        else:
            known = f"; columns are {', '.join(header)}" if header else ""
            raise OptionError(
                f"{option} {spec!r}: {name} has no column {item!r} ({ncols} columns{known})"
            )
    if not cols:
        raise OptionError(f"{option} {spec!r} selects no columns")
    if len(set(cols)) != len(cols):
        twice = next(c for i, c in enumerate(cols) if c in cols[:i])
        shown = header[twice] if header else twice
        raise OptionError(f"{option} {spec!r}: column {shown!r} is selected twice")
    if said is not None and header and by_position:
        said.append(Inference(name, "columns", _taken(spec, cols, header, option)))
    return cols


def _integer_name(item: str, header: list[str], spec: str, name: str, option: str) -> int:
    """An integer that is a header name: that column, unless it is also the position of
    another column (then refused: which one is meant is not guessed)."""
    named = header.index(item)
    at = int(item)
    if not -len(header) <= at < len(header) or at % len(header) == named:
        return named
    raise OptionError(
        f"{option} {spec!r}: {name} has a column named {item!r} (position {named}) and "
        f"column {header[at]!r} at position {item}; which one is not guessed",
        hint=f"{option} name:{item} takes the column named {item}, {option} {at}:{at + 1} the "
        f"column at position {item}",
    )


def _taken(spec: str, cols: list[int], header: list[str], option: str) -> str:
    """``--sample-weight 1: column 'b' (position 1)``; positions count an index column."""
    names = repr(header[cols[0]]) if len(cols) == 1 else compact([header[c] for c in cols])
    where = (
        f"position {cols[0]}"
        if len(cols) == 1
        else f"positions {cols[0]}..{cols[-1]}"
        if cols == list(range(cols[0], cols[-1] + 1))
        else "positions " + ", ".join(map(str, cols))
    )
    text = f"{option} {spec}: column{'s' if len(cols) > 1 else ''} {names!s} ({where})"
    if header[0].strip().lower() in ("", "unnamed: 0"):
        text += "; positions count the unnamed index column 0"
    return text


def one_role(
    roles: dict[int, str],
    cols: list[int],
    option: str,
    header: list[str] | None,
    name: str,
    spec: str = "",
) -> None:
    """Claim ``cols`` for ``option`` in ``roles`` (column → option); a column that another
    option already holds is refused, naming both (a score that is also the label, the label
    used as weights...)."""
    for c in cols:
        if c in roles and roles[c] != option:
            col = repr(header[c]) if header else str(c)
            index = header is not None and header[0].strip().lower() in ("", "unnamed: 0")
            index = index and any(ch.isdigit() for ch in spec)  # positions were counted
            raise InputError(
                name,
                f"column {col} is named by both {roles[c]} and {option}: a column holds one "
                "role (scores, labels, weights, mask...)",
                hint=f"positions count every column of {name}, its unnamed index column 0 included"
                if index
                else None,
            )
        roles[c] = option
