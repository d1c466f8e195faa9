"""Generate tests/data/records_oracles.json: per-position losses of N-D inputs from PyTorch.

Run by hand when the cases should change (the test suite only reads the stored file):

    pip install torch==2.13.0
    python tests/generate_records_oracles.py

Source of truth: ``torch.nn.functional.cross_entropy(..., reduction="none")`` on the
K-dimensional form (input ``(N, C, d1, ..., dK)``, target ``(N, d1, ..., dK)``), whose output
has the target's shape: the loss at ``[n, d1, ..., dK]`` is the record cece writes with
``sequence``/``position`` (two label axes) or ``axis0``… (more), and ignored positions
(``ignore_index=-100``, Hugging Face's padding label) get 0 there. Documented in
https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html (shapes).
``p_target`` is ``softmax(input, dim=1)`` gathered at the target; ``predicted`` the argmax.
Evaluated in float64 on the stored float32 values.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

OUT = pathlib.Path(__file__).parent / "data" / "records_oracles.json"


def case(rng: np.random.Generator, name: str, shape: tuple[int, ...], classes: int) -> dict:
    """Logits stored as (N, d1, ..., dK, C) (class axis last, as cece reads them by default);
    PyTorch's class axis is 1, so they are moved there for it."""
    x = rng.standard_normal((*shape, classes)).astype(np.float32) * 3
    y = rng.integers(0, classes, shape)
    y[rng.random(shape) < 0.25] = -100  # padding, as Hugging Face marks it
    xt = torch.from_numpy(np.moveaxis(x, -1, 1).astype(np.float64))
    yt = torch.from_numpy(y)
    loss = F.cross_entropy(xt, yt, ignore_index=-100, reduction="none")
    mean = F.cross_entropy(xt, yt, ignore_index=-100)
    p = torch.softmax(xt, dim=1)
    safe = yt.clamp(min=0)
    p_target = p.gather(1, safe.unsqueeze(1)).squeeze(1)
    return {
        "name": name,
        "logits": x.tolist(),
        "labels": y.tolist(),
        "loss": loss.tolist(),
        "mean": float(mean),
        "p_target": torch.where(yt == -100, torch.nan, p_target).tolist(),
        "predicted": p.argmax(dim=1).tolist(),
    }


def main() -> None:
    rng = np.random.default_rng(20261130)
    doc = {
        "generator": "tests/generate_records_oracles.py",
        "versions": {"torch": torch.__version__, "numpy": np.__version__},
        "cases": [
            case(rng, "sequences", (3, 5), 7),
            case(rng, "three_axes", (2, 3, 2), 5),
        ],
    }
    text = json.dumps(doc, indent=1).replace("NaN", "null")
    OUT.write_text(text + "\n")


if __name__ == "__main__":
    main()
