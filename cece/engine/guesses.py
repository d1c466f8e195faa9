"""What a run's inputs look like when they are not what the command expects: a one-column
PREDS (swapped arguments, or binary scores), 0/1 predictions against probability targets
(swapped arguments), a 1-D PREDS beside a target row, values in [0, 1] that the detection read
as logits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cece.checks import Diagnostics, KindDetector
from cece.errors import CeceError, InputError
from cece.io import bfloat16, blocks, inputs
from cece.io.blocks import Source
from cece.options import LossOptions

if TYPE_CHECKING:
    from cece.engine.task import Task


def one_column_hint(preds_arg: str, labels_arg: str | None, opts: LossOptions) -> str:
    """A one-column PREDS beside a LABELS table of class columns: the arguments are swapped,
    and ``cece binary`` would be the wrong advice."""
    if labels_arg is not None and labels_arg != "-":
        try:
            other = inputs.open_predictions(labels_arg, stdin_format=opts.stdin_format)
        except CeceError:
            other = None
        table = other is not None and (other.shape is None or len(other.shape) >= 2)
        if other is not None and table and other.n_classes >= 2:
            return (
                f"{other.name} has {other.n_classes} columns: the arguments look swapped; "
                "predictions come first: cece categorical PREDS LABELS"
            )
    if opts.kind == "log-probs":  # the target's log-probability alone (a per-token log)
        return "one log-probability a sample (the target's) is its loss negated; cece needs every class's"
    return "for one column of scores or probabilities use cece binary"


def zeros_ones(p: np.ndarray, kind: str) -> bool:
    """Probabilities (``kind``) that are all exactly 0 or 1: labels, rather, given as PREDS?"""
    if kind != "probs":
        return False
    v = bfloat16.values(p)
    return bool(np.all((v == 0) | (v == 1)))


def swapped(task: Task, labels: str, kind: str, hard: bool, soft: bool, usage: str) -> None:
    """Predictions all exactly 0 or 1 (``hard``: :func:`zeros_ones` of every block) against
    targets (file ``labels``) with values strictly between (``soft``): most likely LABELS given as PREDS and
    predicted probabilities as targets, a wrong number. Under --from auto it is refused;
    --from probs says the 0/1 values are meant (a warning then). ``usage``: the command's
    arguments, in order."""
    if not (kind == "probs" and hard and soft):
        return
    message = (
        f"{task.preds.name} holds only 0s and 1s and {labels} probabilities in "
        f"(0, 1): the arguments look swapped (predictions come first: cece {task.command} "
        f"{usage})"
    )
    if task.opts.kind == "auto":
        raise CeceError(message, hint="pass --from probs to score 0/1 predictions as given")
    task.diag.warn(message)


def one_distribution(raw: np.ndarray, preds_name: str, name: str) -> None:
    """A 1-D PREDS beside a 1-D target row is one sample only if that row is a distribution;
    ``[0,1,1,0,1]`` is rather one 0/1 label per score (scikit-learn's binary ``log_loss``)."""
    total = float(raw.sum())
    if raw.shape[0] == 1 and abs(total - 1) > 1e-6:
        raise InputError(
            name,
            f"1-D predictions ({preds_name}) with a target row summing to {total:.9g}: "
            "one sample with these targets, or one 0/1 label per score?",
            hint="for one score and one label per sample use cece binary; for one sample "
            "pass a target row that sums to 1, or a class index",
        )


def undecided(detector: KindDetector, preds_name: str, sources: list[Source]) -> None:
    """e.g. to_csv(float_format="%.3f") of predict_proba: as probabilities (scikit-learn)
    or as logits (PyTorch) the loss differs, and the values do not say which: refused."""
    if not detector.ambiguous:
        return
    row, total = detector.bad_sum  # type: ignore[misc]
    raise blocks.editor_line(
        InputError(
            preds_name,
            f"values lie in [0, 1] but the row sums to {total:.6g}, not 1: "
            "probabilities (rounded, or not normalized) or logits?",
            row=row,
            hint="--from probs uses them as probabilities (as scikit-learn's log_loss), "
            "--from logits applies softmax (as PyTorch's cross_entropy)",
        ),
        sources,
    )


def logits_in_unit_range(detector: KindDetector, preds_name: str, diag: Diagnostics) -> None:
    """Values in [0, 1] read as logits because rows are far from summing to 1 (all-zero
    logits, sigmoid outputs): said, with the option that decides."""
    if detector.bad_sum and detector.lo >= 0 and detector.hi <= 1:
        diag.warn(
            f"{preds_name}: {detector.reason()}, so they were treated as logits",
            hint="if they are probabilities, pass --from probs",
        )
