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

from cece.structs import struct

# Patterns as text, compiled by re (and cached there) on first use, not at import: start-up.
_INT = r"[+-]?\d+"
_INTEGRAL_FLOAT = r"\d+\.0"  # how pandas writes a float column label: 1.0
_DECIMAL = r"[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)"

INDEX_NAMES = ("", "index", "level_0", "unnamed: 0", "__index_level_0__")
ID_NAMES = (
    *("id", "idx", "sample_id", "row_id", "sample", "row"),
    *("example_id", "image_id", "uid", "uuid"),
)
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
# Names that say a column of an evaluation dump holds something other than a class score,
# each with what it holds (the one list: score columns chosen without --pred-cols are refused
# when one is so named; see ``other_role``). Compared lower-case, with "-", " " and "." as "_".
OTHER_ROLES = {
    "a loss": ("loss", "losses", "nll", "ce", "xent", "log_loss", "logloss", "ce_loss", "nll_loss"),
    "a confidence": (
        "conf",
        "confidence",
        "max_prob",
        "max_proba",
        "maxprob",
        "max_p",
        "prob_max",
        "top_prob",
        "top1_prob",
        "pred_prob",
        "pred_proba",
        "y_pred_proba_max",
    ),
    "a weight": ("weight", "weights", "sample_weight", "sample_weights", "sw", "w_sample"),
    "a correctness flag": ("correct", "is_correct", "correctness", "hit", "is_hit", "match"),
    "an entropy": ("entropy", "pred_entropy", "ent", "uncertainty"),
    "the label's probability": (
        "p_label",
        "p_true",
        "p_target",
        "p_y",
        "p_correct",
        "p_gold",
        "prob_label",
        "prob_true",
        "prob_target",
        "prob_correct",
        "true_prob",
        "target_prob",
        "label_prob",
        "gold_prob",
    ),
    "a predicted class": (*NOT_SCORES, "argmax", "pred_class", "top1", "top_1", "top_class"),
    "an id": (*ID_NAMES, "key", "index"),
    "a margin": ("margin", "logit_gap"),
    "a run's bookkeeping": (  # an evaluation loop's columns; no word a class would be named
        *("epoch", "epochs", "global_step", "iteration", "learning_rate", "timestamp"),
        *("latency_ms", "runtime", "elapsed", "grad_norm", "kl_div"),
    ),
}
_ROLE_PARTS = (  # a name made of a role word and a qualifier: val_loss, conf_score, weight_1
    ("a loss", r"(.+_)?(loss|nll)(_.+)?"),
    ("a confidence", r"(.+_)?(conf|confidence)(_.+)?"),
    ("a weight", r"(.+_)?(sample_)?weights?(_.+)?"),
    ("an entropy", r"(.+_)?entropy(_.+)?"),
)
HEADER_HINT = "--header reads the first rows of text inputs as headers, --no-header as data"


@struct
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
    return bool(re.fullmatch(_INT, text.strip()))


def integer_name(text: str) -> int | None:
    """The integer a class name spells: ``3``, or ``3.0`` as pandas writes the float column
    labels of ``pd.DataFrame(p, columns=clf.classes_)`` for a float target; else None."""
    t = text.strip()
    return (
        int(t)
        if re.fullmatch(_INT, t)
        else int(t[:-2])
        if re.fullmatch(_INTEGRAL_FLOAT, t)
        else None
    )


def decimal(text: str) -> bool:
    """A number written with a point or an exponent (``0.0``, ``1e-3``), or True/False."""
    text = text.strip()
    return text.lower() in ("true", "false") or bool(re.fullmatch(_DECIMAL, text))


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
    column labels, or integer class names), ``0`` alone in a one-column file, any
    increasing integers (``classes_`` are sorted) or ``0..C-1`` reordered (``df[[2, 0, 1]]``).
    It is a header when the cells below are written differently: a column whose first cell
    is an integer and whose cells below are never integers (pandas writes floats as ``0.0``,
    never ``0``). A candidate of the first kinds without that evidence (integers below too)
    is ``ambiguous``: the row counts of the other inputs decide, or ``--header``/
    ``--no-header``. Above text row names, after an empty cell, it is a header: a row of
    data would have a name there.
    """
    cells = [f.strip() for f in first]
    if len(cells) > 1 and not cells[0] and below and all(_names_a_row(r) for r in below):
        # DataFrame(p, index=names).to_csv(): the index's empty header cell over text row
        # names, then the column labels (pandas' 0..C-1); a row of data would have a name
        verdict, why = numeric_header(first[1:], [r[1:] for r in below])
        if verdict == "header":
            return verdict, why
        return "header", (
            f"first row {shown(cells)} read as a header (an empty cell over the row names: "
            "pandas' index)"
        )
    if len(cells) > 1 and all(re.fullmatch(_INTEGRAL_FLOAT, f) for f in cells):
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
    reordered = n > 2 and not sequence and sorted(values) == list(range(n))  # df[[2, 0, 1]]
    if written_apart and (sequence or ((increasing or reordered) and len(written_apart) == n)):
        why = (
            "pandas' default column names"
            if values == list(range(n))
            else "pandas' default column names, reordered"
            if reordered
            else "integer class names, as pandas writes them"
        )
        return "header", (
            f"first row {row} read as a header ({why}: integers above cells written as decimals)"
        )
    if values == list(range(n)):  # pandas' own default labels (1..C over integers: data)
        return "ambiguous", row
    return "data", ""


def _names_a_row(row: list[str]) -> bool:
    """A row whose first cell is text: a row name (not a number, True/False or empty)."""
    head = row[0].strip() if row else ""
    return bool(head) and not (int_token(head) or decimal(head) or re.fullmatch(_NUMBERISH, head))


_NUMBERISH = r"(?i)[-+]?(nan|inf|infinity)"


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


def other_role(name: str) -> str | None:
    """What a column holds when its name says it is not a class score (``loss``,
    ``confidence``, ``sample_weight``, ``is_correct``, ``entropy``, ``p_true``, ``pred``,
    ``id``, ...), or None (:data:`OTHER_ROLES`)."""
    low = re.sub(r"[-. ]+", "_", name.strip().lower())
    for what, names in OTHER_ROLES.items():
        if low in names:
            return what
    for what, pattern in _ROLE_PARTS:
        if re.fullmatch(pattern, low):
            return what
    return None


_NUMBERED = r"([A-Za-z][A-Za-z_]*?)[_\-. ]?(\d+)"
_PREFIXED = r"([A-Za-z]+)[_\-. :].+"
SCORE_PREFIXES = (
    *("p", "prob", "probs", "proba", "probability", "logit", "logits", "score", "scores"),
    *("lp", "logp", "logprob", "log_prob", "y_prob", "y_score", "pred"),
)


TARGET_PREFIXES = ("y", "label", "labels", "target", "targets", "true", "gold", "t")


def bare_names(names: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """``names`` without the prefix they all share when it is one of ``prefixes``
    (``p_toxic, p_spam`` → ``toxic, spam`` with :data:`SCORE_PREFIXES`; ``y_toxic, y_spam``
    with :data:`TARGET_PREFIXES`), else as they are."""
    found = [re.fullmatch(_PREFIXED, n.strip()) for n in names]
    heads = {m.group(1).lower() if m else None for m in found}
    if len(names) < 2 or len(heads) != 1 or heads.pop() not in prefixes:
        return [n.strip() for n in names]
    return [n.strip()[len(m.group(1)) + 1 :] for n, m in zip(names, found) if m]


def _pattern_key(name: str) -> tuple[str, str] | None:
    text = name.strip()
    if int_token(text):
        return ("integer", "")
    if m := re.fullmatch(_NUMBERED, text):
        return ("numbered", m.group(1).lower())
    if (m := re.fullmatch(_PREFIXED, text)) and m.group(1).lower() in SCORE_PREFIXES:
        return ("prefixed", m.group(1).lower())
    return None


def pattern_breakers(names: list[str]) -> tuple[list[int], list[int]]:
    """Score columns named to a pattern (``logit_0..logit_3``, ``prob_cat, prob_dog``, the
    integers ``0..C-1`` of pandas' default header) and the columns that break it: ``(members,
    breakers)`` as positions in ``names``; no breakers where no pattern holds two or more."""
    keys = [_pattern_key(n) for n in names]
    counts: dict[tuple[str, str], int] = {}
    for k in keys:
        if k is not None:
            counts[k] = counts.get(k, 0) + 1
    if not counts or max(counts.values()) < 2:
        return [], []
    top = max(counts, key=lambda k: counts[k])
    members = [i for i, k in enumerate(keys) if k == top]
    return members, [i for i, k in enumerate(keys) if k != top]


def compact(names: list[str], most: int = 8) -> str:
    """Column names for a note: ``logit_0..logit_3`` for a numbered run, else a list (its
    ends only when long)."""
    keys = [_pattern_key(n) for n in names]
    if len(names) > 2 and len(set(keys)) == 1 and keys[0] is not None and keys[0][0] != "prefixed":
        digits = [int(re.findall(r"\d+", n)[-1]) for n in names]
        if digits == list(range(digits[0], digits[0] + len(names))):
            return f"{names[0].strip()}..{names[-1].strip()}"
    cells = [n.strip() for n in names]
    return ", ".join(cells if len(cells) <= most else [*cells[: most - 2], "…", cells[-1]])
