"""The per-block work the fused softmax kernel took over (issue 16): the labels' range check and
the losses' (min, max), before and after, in one process, one thread.

    python bench/label_extrema.py --data DIR [--rounds 9]   # DIR: bench/run.py --keep DIR

Over c10.npy / c10_y.npy (10⁷×10 float32, class indices) block by block (2^18 rows, as the
engine cuts them), alternated round by round:

- before: ``validate.index_targets`` with its min/max of the labels, the kernel, then
  ``nll.min()`` and ``nll.max()`` (what a block did on main);
- after: ``index_targets(bounds=False)`` and the kernel keeping (min, max) in its pass;
- floor: numpy's float64 sum of the block's logits and of its labels (reading the same bytes).

Prints the thread's CPU seconds a pass over the file (median of the rounds), the ratios to the
floor and after/before (median of the pair-by-pair ratios), and the peak RSS; checks that both
give the same nll bits and the same (min, max).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

import numpy as np

from cece import _native as kernels
from cece.losses.validate import index_targets

ROWS = 1 << 18


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    root = Path(args.data)
    x = np.load(root / "c10.npy", mmap_mode="r")
    y = np.load(root / "c10_y.npy", mmap_mode="r")
    n, c = x.shape
    assert kernels.FAST, "the compiled kernels are off"
    ext = np.empty(2)

    def before() -> list:
        out = []
        for i in range(0, n, ROWS):
            yb = index_targets(np.asarray(y[i : i + ROWS]), i, "y", c, None)
            got, *_ = kernels.softmax_index(np.asarray(x[i : i + ROWS]), yb)
            out.append((float(got.min()), float(got.max())))
        return out

    def after() -> list:
        out = []
        for i in range(0, n, ROWS):
            yb = index_targets(np.asarray(y[i : i + ROWS]), i, "y", c, None, bounds=False)
            kernels.softmax_index(np.asarray(x[i : i + ROWS]), yb, 1.0, ext)
            out.append((float(ext[0]), float(ext[1])))
        return out

    def floor() -> None:
        for i in range(0, n, ROWS):
            np.asarray(x[i : i + ROWS]).sum(dtype=np.float64)
            np.asarray(y[i : i + ROWS]).sum()

    kernels.reuse_outputs(True)  # as in the engine's workers
    assert before() == after(), "the extrema differ"
    times: dict[str, list[float]] = {"before": [], "after": [], "floor": []}
    for _ in range(args.rounds):
        for name, fn in (("before", before), ("after", after), ("floor", floor)):
            t = time.thread_time()
            fn()
            times[name].append(time.thread_time() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    pairs = statistics.median(a / b for a, b in zip(times["after"], times["before"]))
    for k in ("floor", "before", "after"):
        print(f"{k:7s} {med[k]:.4f} s CPU  × floor {med[k] / med['floor']:.2f}")
    print(
        f"after / before (median of pairs): {pairs:.3f}; saved {med['before'] - med['after']:.4f} s"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
