"""The loss as a function of the predicted probability (``cece curve``; seed 001's figure).

Binary: for target y, ``L(p) = −(y·log p + (1 − y)·log(1 − p))`` with p the predicted
probability of the positive class. Its minimum is at p = y, where it equals the target's
entropy H(y): zero only for hard targets (seed 003's autoencoder, which can never reach 0).

Categorical: the loss depends only on the probability p given to the true class, ``−log p``,
whatever the other classes get. A soft target t on that class (1 − t on the others, which share
1 − p) gives ``−t·log p − (1 − t)·log(1 − p)`` at best, the binary curve again. With C classes
the uniform guess p = 1/C costs log C: the level a model must beat to have learned anything.
"""

from __future__ import annotations

import math
from dataclasses import field

import numpy as np

from cece.errors import OptionError
from cece.options import BASES, SCALES
from cece.structs import struct


@struct
class Curve:
    target: float
    p: np.ndarray
    loss: np.ndarray  # in the unit asked for
    minimum: tuple[float, float]  # (p, loss) at the minimum


@struct
class Figure:
    """What a curve plot shows, the same for the terminal, an image and JSON/CSV."""

    binary: bool
    unit: str
    curves: list[Curve]
    classes: int | None = None
    levels: list[tuple[float, str]] = field(default_factory=list)  # horizontal reference lines

    @property
    def title(self) -> str:
        kind = "binary" if self.binary else "categorical"
        return f"{kind} cross-entropy as a function of the predicted probability"

    @property
    def x_label(self) -> str:
        return (
            "p, the predicted probability of the positive class"
            if self.binary
            else "p, the predicted probability of the true class"
        )

    @property
    def y_label(self) -> str:
        return f"loss ({self.unit})"

    @property
    def y_top(self) -> float:
        """Where to cut the y axis: the loss at p = 0.01 for the hardest target, at least 1."""
        worst = max(float(loss_at(np.array([0.01, 0.99]), c.target).max()) for c in self.curves)
        scale = SCALES[self.unit]
        return max([worst / scale, 1.0 / scale] + [v for v, _ in self.levels])

    def label(self, c: Curve) -> str:
        return f"{'y' if self.binary else 't'} = {c.target:g}"


def loss_at(p: np.ndarray, y: float) -> np.ndarray:
    """−(y·log p + (1 − y)·log(1 − p)) in nats, with 0·log 0 = 0 (so finite at p = y ∈ {0, 1})."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(y > 0, y * np.log(p), 0.0)
        neg = np.where(y < 1, (1 - y) * np.log1p(-p), 0.0)
    return -(pos + neg) + 0.0  # no −0.0


def figure(
    targets: list[float],
    *,
    binary: bool,
    base: str = "e",
    points: int = 201,
    classes: int | None = None,
    even: bool = False,
) -> Figure:
    """The curves for each target: at ``points`` evenly spaced p in [0, 1] (``even``: the
    values for -f csv/json, infinite at an end where the target is not), or, for drawing, at
    points in (0, 1) packed towards the ends, where the curves are steep."""
    if points < 3 or points > 100_000:
        raise OptionError(f"--points must be between 3 and 100000, not {points}")
    for y in targets:
        if not 0 <= y <= 1 or math.isnan(y):
            raise OptionError(f"--target {y:g} is outside [0, 1]; it is the target probability")
    if classes is not None and classes < 2:
        raise OptionError(f"--classes must be ≥ 2, not {classes}")
    scale, unit = BASES[base]
    # p = 0 and 1 would be infinite for most targets: sample the open interval, denser at ends
    if even:
        p = np.linspace(0.0, 1.0, points)
    else:
        u = np.linspace(0.0, 1.0, points)
        p = np.clip(0.5 - 0.5 * np.cos(np.pi * u), 1e-4, 1 - 1e-4)
        p = np.unique(np.concatenate([p, np.linspace(1e-4, 1 - 1e-4, points)]))
    curves = []
    for y in targets:
        loss = loss_at(p, y) / scale
        h = float(loss_at(np.array([y]), y)[0] / scale) if 0 < y < 1 else 0.0
        curves.append(Curve(y, p, loss, (y, h)))
    fig = Figure(binary, unit, curves, classes)
    if classes:
        fig.levels.append(
            (
                math.log(classes) / scale,
                f"uniform guess over {classes} classes: "
                f"log {classes} = {math.log(classes) / scale:.4g} {unit}",
            )
        )
    return fig
