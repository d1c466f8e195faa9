"""PyTorch's values at the edges the review found (findings 11 and 13), stored for
``tests/test_denominators.py`` and ``tests/test_pos_weight_domain.py``.

Run in an environment with torch (not needed by the suite)::

    python tests/data/degenerate/generate.py

* ``pos_weight`` of 0 and below: ``torch.nn.functional.binary_cross_entropy_with_logits(x, y,
  pos_weight=w)`` takes any value (aten/src/ATen/native/Loss.cpp,
  ``binary_cross_entropy_with_logits``: ``log_weight = (pos_weight - 1) * target + 1``, no
  check of its sign), one value, one per column (K,) or one per element (N, K);
* class weights whose sum over the targets is 0: ``torch.nn.functional.cross_entropy(x, y,
  weight=w)`` divides by Σ w[y] = 0: ``nan`` (all 0) or ``±inf`` (negative ones that cancel);
  cece gives the same numbers with a warning.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent


def number(v: float) -> float | str:
    return v if math.isfinite(v) else str(v)  # JSON has no inf or nan


def main() -> None:
    x = [[0.5, -1.0, 2.0], [1.5, 0.2, -0.3], [-2.0, 0.1, 0.7]]
    y = [[1, 0, 1], [0, 1, 1], [1, 1, 0]]
    X, Y = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    pos = []
    for w in (0.0, -1.0, [0.0, 1.0, 2.0], [-0.5, 2.0, 0.0], [[1, 0, 2], [0, -1, 1], [3, 1, 0]]):
        value = F.binary_cross_entropy_with_logits(
            X, Y, pos_weight=torch.tensor(w, dtype=torch.float64)
        ).item()
        pos.append({"pos_weight": w, "loss": value})
    cx = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]
    classes = []
    for w, labels in (([0.0, 0.0, 0.0], [0, 2]), ([-1.0, 1.0, 0.0], [0, 1])):
        value = F.cross_entropy(
            torch.tensor(cx, dtype=torch.float64),
            torch.tensor(labels),
            weight=torch.tensor(w, dtype=torch.float64),
        ).item()
        classes.append({"weight": w, "labels": labels, "loss": number(value)})
    meta = {
        "generator": "tests/data/degenerate/generate.py",
        "python": sys.version.split()[0],
        "torch": torch.__version__,
    }
    doc = {
        "meta": meta,
        "binary": {"preds": x, "targets": y, "cases": pos},
        "categorical": {"preds": cx, "cases": classes},
    }
    (HERE / "torch_values.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
