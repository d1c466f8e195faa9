"""``cece inspect``'s report: what a file holds (:class:`Report`) and what :func:`classify`
makes of it: its kind, why, and the command to run on it."""

from __future__ import annotations

import shlex
from dataclasses import field

from cece.checks import ROUNDED_SUM_TOL, ROW_SUM_TOL
from cece.structs import struct
from cece.tools.inspect_stats import Values


@struct
class Report:
    name: str
    format: str
    shape: list[int]
    dtype: str
    rows: int
    columns: int
    header: list[str] | None = None
    label_column: str | None = None
    text_columns: list[str] = field(default_factory=list)
    values: Values | None = None
    labels: dict | None = None  # a text label column: distinct names
    kind: str = ""
    why: str = ""
    suggestion: str = ""
    notes: list[str] = field(default_factory=list)
    select: str = ""  # record tables: the --pred-cols the loss commands need
    multi_label: bool = False  # record tables: a list of 0/1 targets, several 1s a row
    no_scores: bool = False  # every column left is named as something else (a weight, an id)

    def to_dict(self) -> dict:
        v = self.values
        out = {
            "file": self.name,
            "format": self.format,
            "shape": self.shape,
            "dtype": self.dtype,
            "rows": self.rows,
            "columns": self.columns,
            "header": self.header,
            "label_column": self.label_column,
            "text_columns": self.text_columns or None,
        }
        if v is not None:
            out["values"] = {
                "min": v.lo if v.finite_count else None,
                "max": v.hi if v.finite_count else None,
                "mean": v.total / v.finite_count if v.finite_count else None,
                "nan": v.nan,
                "inf": v.posinf,
                "-inf": v.neginf,
                "first_non_finite": None
                if v.first_bad is None
                else {"row": v.first_bad[0], "column": v.first_bad[1], "value": v.first_bad[2]},
                "integers": v.integers and bool(v.finite_count),
            }
            if self.columns > 1 and v.sums[3]:
                out["row_sums"] = {
                    "min": v.sums[0],
                    "max": v.sums[1],
                    "mean": v.sums[2] / v.sums[3],
                    "rows_summing_to_1": v.rows_sum_to_one,
                    "tolerance": ROW_SUM_TOL,
                }
        if self.labels is not None:
            out["labels"] = self.labels
        out.update(
            {"kind": self.kind, "why": self.why, "suggestion": self.suggestion, "notes": self.notes}
        )
        return out


def classify(r: Report, arg: str) -> None:
    """Decide what the file holds, why, and what to run on it."""
    f = shlex.quote(arg) + r.select
    v = r.values
    if v is None or not v.finite_count:
        if r.labels is not None:
            r.kind = "labels (class names)"
            r.why = f"text values, {r.labels['distinct']} distinct"
            r.suggestion = f"cece categorical PREDS {f}  (the header of PREDS names the classes)"
        else:
            r.kind = "nothing numeric"
            r.why = "every value is NaN or infinite" if v is not None else "no numeric columns"
            r.suggestion = "—"
        return
    if v.neginf and not (v.nan or v.posinf):  # masked logits: classes of probability 0
        r.notes.append(
            f"{v.neginf} -inf value(s): as logits, classes of probability 0 (categorical, "
            "binary, entropy, kl); an error anywhere else"
        )
    elif v.nan or v.posinf or v.neginf:
        row, col, value = v.first_bad  # type: ignore[misc]
        r.notes.append(
            f"{v.nan + v.posinf + v.neginf} non-finite value(s), first {value} at "
            f"row {row}, column {col}: the loss commands stop there (exit 2)"
        )
    c = r.columns
    label_hint = ""
    if r.label_column is not None:
        label_hint = f" --label-col {shlex.quote(r.label_column)}"
    labels = "" if label_hint else " LABELS"
    distinct = sorted(v.distinct)
    if r.no_scores:  # the loss commands refuse these columns as scores (the notes say why)
        r.why = "no column of scores: the notes say what the other columns are"
        r.kind, r.suggestion = "no scores", "—"
        if label_hint:  # labels beside weights: LABELS of predictions held elsewhere
            r.kind, r.why = "labels", f"column {r.label_column!r}; {r.why}"
            r.suggestion = f"cece categorical PREDS {f}{label_hint}  (0/1: or cece binary)"
        return
    if c == 1:
        if v.integers and label_hint:  # label,weight: the labels are the label column's
            r.kind, r.why = "labels", f"column {r.label_column!r}, beside a column of integers"
            r.suggestion = f"cece categorical PREDS {f}{label_hint}  (0/1: or cece binary)"
        elif v.integers and set(distinct) <= {0.0, 1.0}:
            r.kind, r.why = "labels (0/1)", "one column of 0s and 1s"
            r.suggestion = (
                f"cece binary PREDS {f}  (as targets; or as class indices: "
                f"cece categorical PREDS {f})"
            )
        elif v.integers and v.lo >= 0:
            r.kind = "labels (class indices)"
            r.why = f"one column of integers {int(v.lo)}..{int(v.hi)} ({len(distinct)} distinct)"
            r.suggestion = f"cece categorical PREDS {f}"
        elif v.lo >= 0 and v.hi <= 1:
            r.kind, r.why = "probabilities (binary)", "one column, all values in [0, 1]"
            r.suggestion = f"cece binary {f}{label_hint or ' LABELS'}"
        else:
            r.kind = "logits (binary)"
            r.why = f"one column, values range over [{v.lo:.6g}, {v.hi:.6g}]"
            r.suggestion = f"cece binary {f}{label_hint or ' LABELS'}"
        return
    if v.one_hot:
        r.kind, r.why = "one-hot targets", f"every row is {c} values of 0/1 with a single 1"
        r.suggestion = f"cece categorical PREDS {f}  (dense targets)"
        return
    stored = r.format == "array (NumPy)" and r.dtype.startswith(("int", "uint"))
    if stored and (v.lo < 0 or v.hi > 1) and len(r.shape) == 2:
        r.kind = "labels or token ids, a row a sequence"  # an LM's (B, T): not scores
        why = " (-100: Hugging Face's ignored positions)" if v.lo == -100 else ""
        r.why = f"an array of whole numbers {int(v.lo)}..{int(v.hi)}{why}"
        r.suggestion = f"cece categorical LOGITS {f} --shift  (LOGITS of shape (B, T, V))"
        r.notes.append("labels already shifted (B, T - 1), or given with --mask: no --shift")
        return
    kind = v.detector.kind
    if len(r.shape) == 3 and kind != "probs":  # (B, T, V): a causal LM's logits
        r.notes.append(
            f"a causal LM's logits against its input ids: cece categorical {f} IDS --shift"
        )
    if kind == "probs":
        r.kind, r.why = "probabilities", v.detector.reason()
        r.suggestion = f"cece categorical {f}{label_hint}{labels}"
        r.notes.append(
            f"as soft targets: cece categorical PREDS {f}; as distributions: cece entropy {f}"
        )
    elif kind == "log-probs":
        r.kind, r.why = "log-probabilities", v.detector.reason()
        r.suggestion = f"cece categorical {f} --from log-probs{label_hint}{labels}"
    elif v.detector_open.kind == "probs":
        r.kind = "independent probabilities (multi-label)"
        r.why = (
            f"all values lie in [0, 1], but {v.rows - v.rows_sum_to_one} of {v.rows} rows "
            f"do not sum to 1"
        )
        r.suggestion = f"cece binary {f}{label_hint or ' TARGETS'}"
        r.notes.append(
            f"if these are probabilities of one distribution per row: "
            f"cece categorical {f}{labels} --renormalize"
        )
        if v.integers:
            r.kind, r.why = "multi-label targets (0/1)", "values are 0 and 1, several 1s a row"
            r.suggestion = f"cece binary PREDS {f}"
        elif v.sums[0] >= 1 - ROUNDED_SUM_TOL and v.sums[1] <= 1 + ROUNDED_SUM_TOL:
            # to_csv(float_format="%.3f") of predict_proba: categorical needs --from to say so
            r.kind = f"probabilities (rounded: rows sum to 1 within {ROUNDED_SUM_TOL:g})"
            r.suggestion = f"cece categorical {f} --from probs{label_hint}{labels}"
            r.notes[-1] = f"for independent sigmoid outputs: cece binary {f}{labels}"
    else:
        r.kind, r.why = "logits", v.detector.reason()
        r.suggestion = f"cece categorical {f}{label_hint}{labels}"
        r.notes.append(f"for independent sigmoid outputs: cece binary {f}{labels}")
