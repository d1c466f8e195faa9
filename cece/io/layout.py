"""Layout inference: is a numeric first row a header, which columns are not class scores.

pandas writes column labels as they are: ``pd.DataFrame(p).to_csv(index=False)`` starts with
the line ``0,1,...,9`` and ``pd.Series(y).to_csv(index=False)`` with ``0``; with ``index=True``
(its default) the row labels come first under an empty name, ``reset_index()`` names them
``index`` (``level_0`` the second time), and ``to_parquet`` keeps a non-default index as a column
``__index_level_0__`` (or under its name), listed in the file's ``pandas`` metadata
(``index_columns``). The rules here read those layouts from evidence; each decision comes
with the words that state it (a ``cece: note:`` line and JSON ``input.inferred``), and where
the evidence is not conclusive the callers refuse, naming the option that decides.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_INT = re.compile(r"[+-]?\d+")
_INTEGRAL_FLOAT = re.compile(r"\d+\.0")  # how pandas writes a float column label: 1.0
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)")

INDEX_NAMES = ("", "index", "level_0", "unnamed: 0", "__index_level_0__")
ID_NAMES = ("id", "idx", "sample_id", "row_id", "sample", "row")
NOT_SCORES = (
    "y_pred",
    "pred",
    "preds",
    "prediction",
    "predicted",
    "pred_label",
    "predicted_label",
    "predicted_class",
    "y_hat",
    "yhat",
)
HEADER_HINT = "--header reads the first rows of text inputs as headers, --no-header as data"


@dataclass
class Inference:
    """One thing cece decided about an input's layout, and why."""

    file: str
    what: str  # "header" | "no header" | "skipped column" | "labels"
    detail: str

    def note(self) -> str:
        return f"{self.file}: {self.detail}"

    def to_dict(self) -> dict:
        return {"file": self.file, "what": self.what, "detail": self.detail}


def int_token(text: str) -> bool:
    """A cell written as an integer (``3``, ``-1``), as pandas writes integer labels."""
    return bool(_INT.fullmatch(text.strip()))


def decimal(text: str) -> bool:
    """A number written with a point or an exponent (``0.0``, ``1e-3``), or True/False."""
    text = text.strip()
    return text.lower() in ("true", "false") or bool(_DECIMAL.fullmatch(text))


def drops_point(rows: list[list[str]]) -> bool:
    """The writer writes whole floats without a point (``%g``: ``np.savetxt(fmt="%g")``,
    ``to_csv(float_format="%g")``, R's ``write.csv``): a column holds cells written as integers
    beside cells written with a point or an exponent. pandas' default and ``%.18e`` never do."""
    width = max((len(r) for r in rows), default=0)
    for c in range(width):
        cells = [r[c].strip() for r in rows if c < len(r)]
        if any(int_token(v) for v in cells) and any(
            decimal(v) and v.lower() not in ("true", "false") for v in cells
        ):
            return True
    return False


def integer_role(values: list[int], k: int) -> bool:
    """Integers that may be a row index (a run ``n, n+1, ...``) or class labels of ``k``
    classes (all in ``0..k``): not evidence of scores, whatever the writer."""
    run = len(values) > 1 and all(b - a == 1 for a, b in itertools.pairwise(values))
    return run or all(0 <= v <= k for v in values)


def shown(fields: list[str], most: int = 6) -> str:
    cells = [f.strip() for f in fields]
    return ",".join(cells if len(cells) <= most else [*cells[: most - 1], "…", cells[-1]])


def numeric_header(first: list[str], below: list[list[str]]) -> tuple[str, str]:
    """A first row of numbers: ``("header" | "data" | "ambiguous", why)``.

    A header candidate is a row of integer cells: ``0..C-1`` or ``1..C`` (pandas' default
    column labels, or integer class names), ``0`` alone in a one-column file, or any
    increasing integers (``classes_`` are sorted). It is a header when the cells below are
    written differently: a column whose first cell is an integer and whose cells below are
    never integers (pandas writes floats as ``0.0``, never ``0``). A candidate of the first
    kinds without that evidence (integers below too) is ``ambiguous``: the row counts of the
    other inputs decide, or ``--header``/``--no-header``.
    """
    cells = [f.strip() for f in first]
    if len(cells) > 1 and all(_INTEGRAL_FLOAT.fullmatch(f) for f in cells):
        # pd.DataFrame(p, columns=clf.classes_) with a float y writes 0.0,1.0,2.0: a header
        # as likely as a row of logits, so the other inputs' row counts decide
        values_f = [float(f) for f in cells]
        if values_f in (
            [float(i) for i in range(len(cells))],
            [float(i + 1) for i in range(len(cells))],
        ):
            return "ambiguous", shown(cells)
    if not cells or not all(int_token(f) for f in cells):
        return "data", ""
    values = [int(f) for f in cells]
    n = len(values)
    sequence = values == list(range(n)) or (n > 1 and values == list(range(1, n + 1)))
    increasing = n > 1 and all(a < b for a, b in itertools.pairwise(values))
    written_apart = [
        c for c in range(n) if below and all(c < len(row) and decimal(row[c]) for row in below)
    ]
    row = shown(cells)
    if drops_point(below) and (sequence or increasing):
        return "ambiguous", row  # integers above: a %g writer's data as much as a header
    if sequence and written_apart and len(written_apart) < n:
        return "ambiguous", row  # a column of integers below too: a %g writer's data as well
    if written_apart and (sequence or (increasing and len(written_apart) == n)):
        why = (
            "pandas' default column names"
            if values == list(range(n))
            else "integer class names, as pandas writes them"
        )
        return "header", (
            f"first row {row} read as a header ({why}: integers above cells written as decimals)"
        )
    if values == list(range(n)):  # pandas' own default labels (1..C over integers: data)
        return "ambiguous", row
    return "data", ""


def index_column(name: str, cells: list[str], position: int) -> str | None:
    """Why a named column is a row index (pandas' to_csv or reset_index), or None.

    Conclusive: an empty name or ``Unnamed: 0`` in the first column, or a column named
    ``index``/``level_0``, whose cells are integers.
    """
    low = name.strip().lower()
    if low in ("", "unnamed: 0") and position != 0:
        return None
    if low not in INDEX_NAMES or not cells or not all(int_token(c) for c in cells):
        return None
    if low in ("", "unnamed: 0"):
        return "an unnamed first column of integers: the row index DataFrame.to_csv writes"
    return f"a column {name!r} of integers: the row index reset_index() writes"


def not_scores(name: str, integer: bool, *, text: bool = False) -> str | None:
    """Why a named column of integers (or of text: class names, string ids) is not class
    scores (an id or predicted class), or None."""
    low = name.strip().lower()
    if not (integer or text):
        return None
    what = "text" if text else "integers"
    if low in ID_NAMES:
        return f"column {name!r} holds {'text' if text else 'integer'} ids, not class scores"
    if low in NOT_SCORES:
        return f"column {name!r} holds predicted classes ({what}), not class scores"
    return None
