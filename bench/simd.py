"""The kernels' two instruction sets side by side, in-process, one core, best of N.

    python bench/simd.py                    # every softmax and binary case of bench/kern.py
    python bench/simd.py --only LM --repeat 20

The float16/bfloat16/float32 softmax kernels are built for AVX2 (8 floats a vector) and
AVX-512 (16; cece/_native/softmax_f.h, isa.h). For each softmax case of bench/kern.py (the
block sizes the engine hands a core), this calls the kernel on this thread with each set this
CPU runs (``_fast.simd(name)``), alternating them round by round so that both see the same
machine, and prints the best CPU time of this thread (time.thread_time) as values/s per
core, the floor measured in the same rounds (``block.sum(dtype=float64)``, numpy's float64 sum
of the same bytes: the floor process's work), each set's time over the floor, and AVX-512's
speed-up over AVX2; then the peak RSS of this process. float64 blocks run the AVX2 kernels on
both (the same figure twice, a check on the noise). The binary cases: BCE from logits in one
column, float32 at 8 double lanes under AVX-512 (4 under AVX2); float64 on AVX2 either way.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from kern import BFLOAT16, cases

import cece._native as kernels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", metavar="TEXT")
    args = parser.parse_args()
    if not kernels.FAST:
        raise SystemExit(f"the compiled kernels do not run here: {kernels.numpy_because()}")
    fast = kernels._fast
    start = fast.simd()
    isas = ["avx2"]
    try:
        fast.simd("avx512")
        isas.append("avx512")
    except ValueError:
        pass
    print(f"instruction sets: {', '.join(isas)}; best of {args.repeat}, alternated")
    print(
        f"{'case':26} {'floor Mval/s':>12}"
        + "".join(f" {s + ' Mval/s':>14} {'t/floor':>8}" for s in isas)
        + f" {'speed-up':>9}"
    )
    try:
        for name, (what, x, y) in cases().items():
            if what not in ("softmax", "softmax T", "bce") or (args.only and args.only not in name):
                continue
            n, c = x.shape
            nll, cor, pred = np.empty(n), np.empty(n, np.uint8), np.empty(n, np.int64)
            right, stats = np.empty(n), np.empty(4)
            t = 2.0 if what == "softmax T" else 1.0
            y64 = y.astype(np.int64)
            plain = x.view(np.uint16) if x.dtype == BFLOAT16 else x
            best = {s: float("inf") for s in [*isas, "floor"]}
            for _ in range(args.repeat):
                for s in isas:
                    fast.simd(s)
                    t0 = time.thread_time()
                    if what == "bce":
                        fast.bce_logits(x, c, y, None, 0.0, nll, right, stats)
                    else:
                        fast.softmax_index(x, c, y64, nll, cor, pred, t)
                    best[s] = min(best[s], time.thread_time() - t0)
                t0 = time.thread_time()
                plain.sum(dtype=np.float64)
                best["floor"] = min(best["floor"], time.thread_time() - t0)
            rate = {s: x.size / sec / 1e6 for s, sec in best.items()}
            row = f"{name:26} {rate['floor']:12.0f}"
            row += "".join(f" {rate[s]:14.0f} {best[s] / best['floor']:8.2f}" for s in isas)
            row += f" {best['avx2'] / best[isas[-1]]:9.2f}"
            print(row)
    finally:
        fast.simd(start)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
