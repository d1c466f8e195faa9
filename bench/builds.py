"""Two builds of the compiled kernels, A/B in one process, on the .npy files of bench/run.py.

    python bench/builds.py A.so B.so --data DIR                  # DIR: bench/run.py --keep DIR
    python bench/builds.py A.so B.so --data DIR --only binary --simd avx2 --rounds 15

A.so and B.so are two copies of cece/_native/_fast*.so (say the build of main and that of a
branch: ``pip install .`` in two environments, or copy the file after each build). Both are
loaded into this process and their kernel runs over the whole file, block by block as the
engine hands them to a core (2^18 rows, the file memory-mapped afresh each time, so each pass
reads it from the page cache as a run does), one thread, alternating A, B, A, B, ... round by
round so that both see the same machine. The floor is measured in the same rounds: numpy's
float64 sum of the same blocks of the same map (the floor process's work). Printed: each
build's median and best CPU seconds of this thread, the ratio to the floor, the A/B ratio
taken pair by pair (median and spread: a wide spread says the machine was noisy), and the peak
RSS of this process. The builds must agree to the bit on what they computed (checked).
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import mmap
import resource
import statistics
import time
from pathlib import Path

import numpy as np

ROWS = 1 << 18
CASES = {
    "binary 1e7 f32": ("bce", "b1.npy", "b1_y.npy"),
    "categorical 1e7×10 f32": ("softmax", "c10.npy", "c10_y.npy"),
}


def load(path: str):
    """A build of ``cece._native._fast`` from its file (each path its own module)."""
    loader = importlib.machinery.ExtensionFileLoader("_fast", path)
    spec = importlib.util.spec_from_file_location("_fast", path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def blocks(path: Path):
    """(first row, block) of a C-ordered float32 .npy file, a fresh map each call."""
    header = np.load(path, mmap_mode="r")
    n, width = header.shape[0], int(np.prod(header.shape[1:], dtype=np.int64))
    offset = header.offset
    del header
    with open(path, "rb") as fh:
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    for start in range(0, n, ROWS):
        k = min(ROWS, n - start)
        yield (
            start,
            np.frombuffer(
                mapped, np.float32, count=k * width, offset=offset + 4 * width * start
            ).reshape(k, width),
        )


def one_pass(kernel, what: str, preds: Path, labels: np.ndarray) -> tuple[float, list]:
    """CPU seconds of this thread for one pass of ``kernel`` (None: the floor) over the file,
    and a digest of its outputs."""
    out = np.empty(ROWS)
    right, stats = np.empty(ROWS), np.empty(4)
    cor, pred = np.empty(ROWS, np.uint8), np.empty(ROWS, np.int64)
    digest = []
    t0 = time.thread_time()
    for start, x in blocks(preds):
        k, c = x.shape
        y = labels[start : start + k]
        if kernel is None:
            digest.append(x.sum(dtype=np.float64))
        elif what == "bce":
            kernel.bce_logits(x, 1, y.reshape(-1, 1), None, 0.0, out[:k], right[:k], stats)
            digest.append(out[:k].sum())
        else:
            kernel.softmax_index(x, c, y, out[:k], cor[:k], pred[:k], 1.0)
            digest.append(out[:k].sum())
    return time.thread_time() - t0, digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a", metavar="A.so")
    parser.add_argument("b", metavar="B.so")
    parser.add_argument("--data", required=True, help="the DIR of bench/run.py --keep DIR")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--only", metavar="TEXT")
    parser.add_argument("--simd", choices=["avx512", "avx2"], help="both builds at this set")
    args = parser.parse_args()
    builds = {"A": load(args.a), "B": load(args.b)}
    for kernel in builds.values():
        if args.simd:
            kernel.simd(args.simd)
    sets = {k: m.simd() for k, m in builds.items()}
    print(f"A = {args.a} ({sets['A']}); B = {args.b} ({sets['B']}); {args.rounds} rounds")
    print(
        f"{'case':24} {'floor s':>8} {'A s':>7} {'A/floor':>8} {'B s':>7} {'B/floor':>8}"
        f" {'A/B med':>8} {'A/B min':>8} {'A/B max':>8}"
    )
    data = Path(args.data)
    for name, (what, preds, labels) in CASES.items():
        if args.only and args.only not in name:
            continue
        y = np.load(data / labels)
        y = y.astype(np.float32) if what == "bce" else y.astype(np.int64)
        cpu: dict[str, list[float]] = {"A": [], "B": [], "floor": []}
        digests = {}
        for _ in range(args.rounds):
            for key in ("A", "B", "floor"):
                sec, digests[key] = one_pass(builds.get(key), what, data / preds, y)
                cpu[key].append(sec)
        assert digests["A"] == digests["B"], "the two builds computed different numbers"
        med = {k: statistics.median(v) for k, v in cpu.items()}
        pairs = sorted(a / b for a, b in zip(cpu["A"], cpu["B"]))
        print(
            f"{name:24} {med['floor']:8.3f} {med['A']:7.3f} {med['A'] / med['floor']:8.2f}"
            f" {med['B']:7.3f} {med['B'] / med['floor']:8.2f} {statistics.median(pairs):8.3f}"
            f" {pairs[0]:8.3f} {pairs[-1]:8.3f}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
