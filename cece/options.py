"""What a run is asked to do: the options of a loss command, and the units of the result.

One place for the unit table (``--base``): the scale that turns nats into the unit, and its name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BASES = {"e": (1.0, "nats"), "2": (math.log(2), "bits"), "10": (math.log(10), "hartleys")}
SCALES = {unit: scale for scale, unit in BASES.values()}  # nats per unit, by the unit's name


@dataclass
class Options:
    """Everything a loss run needs besides its input arguments."""

    kind: str = "auto"
    reduction: str = "mean"
    base: str = "e"
    weight: list[float] | None = None  # categorical: class weights
    weight_file: str | None = None  # the file --weight / --pos-weight named, for messages
    ignore_index: int | None = None
    pos_weight: list[float] | None = None  # binary: positive-class weight(s)
    threshold: float = 0.5  # binary: for accuracy
    label_smoothing: float = 0.0
    sample_weight: str | None = None
    focal_gamma: float | None = None
    focal_alpha: float | None = None
    eps: float | None = None
    renormalize: bool = False
    q_kind: str | None = None  # kl: what Q is (None: as --from)
    pred_cols: str | None = None
    label_col: str | None = None
    classes: list[str] | None = None
    class_axis: int = -1
    stdin_format: str = "csv"
    head: int = 20  # per-sample records kept from the start
    worst: int = 0  # highest-loss records kept
    keep_all: bool = False  # keep every record (JSON "samples")
    keep_losses: bool = True  # keep per-sample losses (8 bytes each) for the median
    per_class: bool = False
    hist: bool = False  # a histogram of the per-sample losses (needs keep_losses)
