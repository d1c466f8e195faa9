"""In-process throughput of the loss kernels (cece/_native), one core, best of N.

    python bench/kern.py                # compiled kernels, every case
    python bench/kern.py --numpy        # the numpy twins (what CECE_NO_FAST=1 runs)
    python bench/kern.py --only LM --repeat 20

Each case calls the kernel on one block of the size the engine hands it (cece/io/blocks.py:
16 MiB of predictions, at most 2^18 rows), in this thread, ``--repeat`` times, and prints the
best CPU time of this thread (time.thread_time: steadier than wall time on a shared machine) as GB/s of predictions read and values/s, next to a floor measured in the same run:
``block.sum(dtype=float64)``'s own GB/s (numpy's float64 sum of the same bytes, the floor
process's work), and the peak RSS of this process. The figures are per core: the engine runs
one block per core.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

import cece._native as kernels
from cece._native import _numpy

BFLOAT16 = kernels.BFLOAT16


def bf16(x: np.ndarray) -> np.ndarray:
    u = x.astype(np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16).view(BFLOAT16)


def cases() -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(16)
    n10 = 1 << 18
    c10 = rng.standard_normal((n10, 10), dtype=np.float32)
    lm = rng.standard_normal((83, 50257), dtype=np.float32) * 3
    b1 = rng.standard_normal((1 << 18, 1), dtype=np.float32)
    p1 = (1 / (1 + np.exp(-b1))).astype(np.float32)  # sigmoid probabilities
    return {
        "softmax 2^18×10 f32": ("softmax", c10, rng.integers(0, 10, n10)),
        "softmax 2^18×10 f16": ("softmax", c10.astype(np.float16), rng.integers(0, 10, n10)),
        "softmax 2^18×10 f64": ("softmax", c10.astype(np.float64), rng.integers(0, 10, n10)),
        "softmax 16384×1000 f32": (
            "softmax",
            rng.standard_normal((16384, 1000), dtype=np.float32) * 3,
            rng.integers(0, 1000, 16384),
        ),
        "LM 83×50257 f32": ("softmax", lm, rng.integers(0, 50257, 83)),
        "LM 83×50257 f16": ("softmax", lm.astype(np.float16), rng.integers(0, 50257, 83)),
        "LM 83×50257 bf16": ("softmax", bf16(lm), rng.integers(0, 50257, 83)),
        "LM 83×50257 f32 T=2": ("softmax T", lm, rng.integers(0, 50257, 83)),
        "binary 2^18 f32": ("bce", b1, rng.integers(0, 2, (1 << 18, 1)).astype(np.float32)),
        "binary 2^18 f64": ("bce", b1.astype(np.float64), rng.integers(0, 2, (1 << 18, 1)) * 1.0),
        "binary 2^18 f32 probs": ("bce probs", p1, (rng.random(p1.shape) < p1).astype(np.float32)),
        "binary 2^18 f64 probs": (
            "bce probs",
            p1.astype(np.float64),
            (rng.random(p1.shape) < p1) * 1.0,
        ),
    }


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.thread_time()
        fn()
        times.append(time.thread_time() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--numpy", action="store_true", help="the numpy twins")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", metavar="TEXT")
    args = parser.parse_args()
    impl = _numpy if args.numpy or not kernels.FAST else kernels._fast
    print(f"kernels: {'numpy' if impl is _numpy else 'compiled'}; best of {args.repeat}")
    print(f"{'case':26} {'GB/s':>7} {'Mval/s':>8} {'floor GB/s':>10} {'× floor':>8}")
    for name, (what, x, y) in cases().items():
        if args.only and args.only not in name:
            continue
        n, c = x.shape
        if what.startswith("softmax"):
            nll, cor, pred = np.empty(n), np.empty(n, np.uint8), np.empty(n, np.int64)
            t = 2.0 if what == "softmax T" else 1.0
            y64 = y.astype(np.int64)

            def call(x=x, c=c, y64=y64, nll=nll, cor=cor, pred=pred, t=t):
                impl.softmax_index(x, c, y64, nll, cor, pred, t)
        elif what == "bce":
            loss, right = np.empty(n), np.empty(n)

            def call(x=x, c=c, y=y, loss=loss, right=right):
                impl.bce_logits(x, c, y, None, 0.0, loss, right)
        else:  # probabilities, clipped by their dtype's eps as cece's default
            loss, right, stats = np.empty(n), np.empty(n), np.empty(6)
            eps = float(np.finfo(x.dtype).eps)

            def call(x=x, c=c, y=y, loss=loss, right=right, stats=stats, eps=eps):
                impl.bce_probs(x, c, y, None, 0.5, eps, loss, right, stats)

        call()
        sec = best(call, args.repeat)
        plain = x.view(np.uint16) if x.dtype == BFLOAT16 else x
        floor = best(lambda plain=plain: plain.sum(dtype=np.float64), args.repeat)
        gbs, fgbs = x.nbytes / sec / 1e9, x.nbytes / floor / 1e9
        print(f"{name:26} {gbs:7.2f} {x.size / sec / 1e6:8.0f} {fgbs:10.2f} {floor / sec:8.2f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
