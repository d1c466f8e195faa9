"""Decisions that need more than one input, or a pass over the labels: whether a numeric
first row is a header (the row counts decide), what integer labels mean when the classes
have integer names (indices or names, as scikit-learn's ``labels=`` reads them), which label
is the positive one (``cece binary --positive``), and class names from a file.
"""

from __future__ import annotations

import itertools

import numpy as np

from cece.errors import InputError, OptionError
from cece.io import tables
from cece.io.blocks import Source, source_blocks
from cece.io.columns import boolean_column
from cece.io.layout import HEADER_HINT, Inference, int_token, integer_name


def settle_headers(sources: list[Source]) -> None:
    """First rows that may be headers or data (pandas' ``0`` above integer labels): the
    inputs' row counts decide when exactly one reading makes them agree; else refuse."""
    unique: dict[int, Source] = {}
    for src in sources:
        unique.setdefault(id(src.data), src)
    _counted_headers(list(unique.values()))
    _numeric_headers(list(unique.values()))
    pending = [s.data for s in unique.values() if getattr(s.data, "pending", None) is not None]
    if not pending:
        return
    fixed = {source_rows(s) for s in unique.values() if getattr(s.data, "pending", None) is None}
    lines = [t.table_lines() for t in pending]  # type: ignore[union-attr]
    fits = [
        bits
        for bits in itertools.product((True, False), repeat=len(pending))
        if len({n - b for n, b in zip(lines, bits)} | fixed) == 1
    ]
    if len(pending) > 1 and len(fits) == 1 and any(fits[0]):
        fits = []  # counts alone, with several inputs undecided, are not evidence enough
    if len(fits) > 1:
        for table in pending:  # a table that does not parse says so first (a ragged row...)
            assert tables.is_text(table)  # only text tables have pending first rows
            for _ in table.blocks(list(range(table.ncols)), []):
                pass
        table = pending[0]
        raise InputError(
            table.name,
            f"is the first row ({table.pending}) a header, as pandas writes one, or data? "  # type: ignore[union-attr]
            "Both readings fit the other inputs' row counts and give different losses",
            hint=HEADER_HINT,
        )
    for table, n, header in zip(pending, lines, fits[0] if fits else [False] * len(pending)):
        assert tables.is_text(table)  # only text tables have pending first rows
        rows = n - header
        if header:
            why = f"first row {table.pending} read as a header (as pandas writes one): {rows} rows"
        else:
            why = f"first row {table.pending} read as data: {rows} rows"
        others = "the other inputs have" if len(unique) > 2 else "the other input has"
        table.set_header(header, f"{why}, as {others}" if fits else None)


def _numeric_headers(sources: list[Source]) -> None:
    """A numeric first row read as pandas' header (``0,1`` above decimals) where only the
    data reading makes the row counts agree: ``np.savetxt`` of a one-hot first row, or a
    pandas file one row short (a truncated dump). The values cannot tell: refused, naming
    ``--header``/``--no-header`` (taken as data, a short file gained a sample and every row
    after it was paired with the next one's label)."""
    for src in sources:
        table = src.data
        if not tables.is_text(table) or not table.numeric_header:
            continue
        others = [s for s in sources if s is not src]
        if not others or any(getattr(s.data, "pending", None) is not None for s in others):
            continue
        counts = {source_rows(s) for s in others}
        n = table.table_lines()
        if counts == {n}:
            first = ",".join(table.first_fields)
            have = "the other inputs have" if len(others) > 1 else "the other input has"
            raise InputError(
                table.name,
                f"is the first row ({first}) pandas' header or a row of data? As a header the "
                f"file has {n - 1} rows, as data {n}, as {have}",
                hint=HEADER_HINT,
            )


def _counted_headers(sources: list[Source]) -> None:
    """A first row of increasing integers read as data above 0/1 cells (``1,2,3``, as
    ``pd.get_dummies(y).astype(int)`` names the classes of labels 1..3) is a header when the
    other inputs' row counts agree with that reading only (a one-hot row holds no 2)."""
    for src in sources:
        table = src.data
        if not tables.is_text(table) or table.header is not None or table.pending:
            continue
        cells = [f.strip() for f in table.first_fields]
        if len(cells) < 2 or not all(int_token(f) for f in cells):
            continue
        if any(int(a) >= int(b) for a, b in itertools.pairwise(cells)):
            continue
        if any(i.what == "no header" for i in table.inferred):  # --no-header
            continue
        below = [f.strip() for row in table.sample_rows for f in row]
        if not below or any(f not in ("0", "1") for f in below):
            continue  # one-hot rows below: a row 1,2,3 is no target row
        others = [s for s in sources if s is not src]
        if not others or any(getattr(s.data, "pending", None) is not None for s in others):
            continue
        n = table.table_lines()
        if {source_rows(s) for s in others} == {n - 1}:
            have = "the other inputs have" if len(others) > 1 else "the other input has"
            why = f"first row {','.join(cells)} read as a header (class names): {n - 1} rows, as {have}"
            table.set_header(True, why)


def source_rows(src: Source) -> int:
    data = src.data
    if tables.is_text(data):
        return data.table_lines() - (data.header is not None and not data.header_is_data)
    if tables.is_arrow(data):
        return data.rows
    assert src.rows is not None  # an array's rows are known when it is opened
    return src.rows


def class_names_file(path: str) -> tuple[str, ...]:
    """``--classes FILE``: one name a line (names may hold commas); blank lines at the end."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionError(f"--classes {path}: cannot read ({exc})") from None
    names = [line.strip() for line in text.rstrip().splitlines()]
    if not names or not all(names):
        raise OptionError(f"--classes {path}: expected one class name a line, no blank lines")
    return tuple(names)


def distinct_labels(src: Source) -> np.ndarray | None:
    """The distinct label values of a numeric label source (one pass over its label column),
    or None when they are not all integers."""
    only = Source(src.name, src.data, {"labels": src.parts["labels"]}, set(), src.rows)
    only.file_rows = src.file_rows
    seen: set[float] = set()
    for block in source_blocks(only, 1 << 18):
        values = np.asarray(block["labels"], dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
            return None
        seen.update(np.unique(values).tolist())
    return np.array(sorted(seen), dtype=np.int64)


def integer_names(
    src: Source, classes: list[str], *, ignore_index: int | None, labels_as: str | None, where: str
) -> tuple[dict[int, int] | None, Inference | None]:
    """Integer labels against integer class names (``1,2,3``): ``(value → column, note)`` when
    they are names, ``(None, note)`` when column indices; an error when both fit and differ."""
    c = len(classes)
    if sorted(n.strip().lower() for n in classes) == ["false", "true"]:
        return boolean_names(
            src, classes, ignore_index=ignore_index, labels_as=labels_as, where=where
        )
    numbers = [integer_name(n) for n in classes]  # 1,2,3 or pandas' float labels 1.0,2.0,3.0
    if any(v is None for v in numbers) or numbers == list(range(c)):
        return None, None
    lookup = {v: i for i, v in enumerate(numbers) if v is not None}
    if labels_as == "index":
        return None, None
    if labels_as == "name":
        return lookup, None
    values = distinct_labels(src)
    if values is None:
        return None, None
    present = [int(v) for v in values if ignore_index is None or v != ignore_index]
    as_index = all(0 <= v < c for v in present)
    as_name = all(v in lookup for v in present)
    shown = ", ".join(classes[:6]) + (", …" if c > 6 else "")
    if as_name and as_index and any(lookup[v] != v for v in present) and where == "--classes":
        # names the user typed for the classes: labels are matched against them, as
        # scikit-learn's log_loss(labels=[1, 2, 3]) matches them (a header may be anything)
        why = (
            f"integer labels read as the class names given by --classes ({shown}), as "
            "scikit-learn's labels= reads them; --labels-as index takes them as column indices"
        )
        return lookup, Inference(src.name, "labels", why)
    if as_name and as_index and any(lookup[v] != v for v in present):
        raise InputError(
            src.name,
            f"integer labels ({', '.join(map(str, present[:6]))}) fit both as column indices "
            f"and as the class names of {where} ({shown}), and the two give different losses",
            hint="--labels-as name maps them through the names (scikit-learn's labels=), "
            "--labels-as index takes them as column indices (PyTorch)",
        )
    if as_name and not as_index:
        why = f"integer labels read as the class names of {where} ({shown}), not column indices"
        return lookup, Inference(src.name, "labels", why + " (--labels-as decides)")
    if as_index and not as_name and present:
        why = (
            f"integer labels read as column indices 0..{c - 1}: not all are class names of "
            f"{where} ({shown})"
        )
        return None, Inference(src.name, "labels", why + " (--labels-as decides)")
    return None, None


def boolean_names(
    src: Source, classes: list[str], *, ignore_index: int | None, labels_as: str | None, where: str
) -> tuple[dict[int, int] | None, Inference | None]:
    """Labels against the class names True and False (a header ``True,False`` from
    ``pd.get_dummies`` or ``predict_proba`` of a bool target): True/False labels map through
    the names, never as positions; 0/1 labels are refused where the two readings differ."""
    low = [n.strip().lower() for n in classes]
    lookup = {1: low.index("true"), 0: low.index("false")}
    if lookup == {0: 0, 1: 1} or labels_as == "index":
        return None, None  # False,True: names and positions agree
    if labels_as == "name":
        return lookup, None
    shown = ", ".join(classes)
    cols = src.parts.get("labels")
    col = cols[0] if cols else None
    if boolean_column(src.data, col):
        why = (
            f"True/False labels mapped through the class names of {where} ({shown}): "
            f"True is column {lookup[1]}, False column {lookup[0]}"
        )
        return lookup, Inference(src.name, "labels", why)
    values = distinct_labels(src)
    if values is not None and set(values.tolist()) - {ignore_index} <= {0, 1}:
        raise InputError(
            src.name,
            f"0/1 labels against the class names of {where} ({shown}): 1 as True is column "
            f"{lookup[1]}, 1 as a column index is {classes[1]!r}, and the two give different "
            "losses",
            hint="--labels-as name maps 1 to True and 0 to False, --labels-as index takes "
            "them as column indices",
        )
    return None, None


def map_names(
    values: np.ndarray,
    lookup: dict[int, int],
    start: int,
    name: str,
    ignore_index: int | None,
    ignored_as: int | None = None,
) -> np.ndarray:
    """Integer labels → columns through the class names (the rows' values as floats); a label
    equal to ``ignore_index`` (as written) becomes ``ignored_as`` (meaning.ignore_space)."""
    out = np.empty(len(values), dtype=np.float64)
    for r, v in enumerate(np.asarray(values, dtype=np.float64).tolist()):
        if ignore_index is not None and v == ignore_index:
            out[r] = v if ignored_as is None else ignored_as
        elif v in lookup:
            out[r] = lookup[int(v)]
        else:
            shown = ", ".join(map(str, list(lookup)[:8]))
            raise InputError(
                name, f"label {v:g} is not one of the classes ({shown})", row=start + r
            )
    return out
