"""The compiled text parser in process: CPU seconds a GB of CSV, against one read of the bytes.

    python bench/parse.py                       # 16 × 10 MiB blocks of each kind, 5 runs
    python bench/parse.py --mib 40 --runs 9     # smaller, more runs
    python bench/parse.py --file c10.csv        # a file of your own (its first --mib × 16 MiB)

Three kinds of 10-column text (fixed seeds): ``short`` (float32 normals written with %.7g:
bench/run.py's CSV), ``probs`` (%.6f of probabilities) and ``long`` (np.savetxt's %.18e: the
Eisel-Lemire path). For each, the best of ``--runs`` passes (thread CPU time, one thread) of
``parse_plain`` over 16 MiB blocks, as cece/io/text.py calls it, against the floor of the
same bytes: ``count_byte`` (the newline count every block gets, a plain read of the text).
Prints MB/s, the ratio to the floor, and the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from cece._native import PARSER

BLOCK = 16 << 20


def text(kind: str, mib: int) -> bytes:
    rng = np.random.default_rng(16)
    rows = mib * (1 << 20) // {"short": 100, "probs": 90, "long": 250}[kind] + 1
    if kind == "short":
        x, fmt = rng.standard_normal((rows, 10)).astype(np.float32), "%.7g"
    elif kind == "probs":
        x = rng.dirichlet(np.ones(10), rows)
        fmt = "%.6f"
    else:
        x, fmt = rng.standard_normal((rows, 10)), "%.18e"
    lines = (",".join(fmt % v for v in row) for row in x)
    return ("\n".join(lines) + "\n").encode()


def blocks(data: bytes) -> list[memoryview]:
    out, pos = [], 0
    while pos < len(data):
        cut = len(data) - 1 if pos + BLOCK >= len(data) else data.rfind(b"\n", pos, pos + BLOCK)
        out.append(memoryview(data)[pos : cut + 1])
        pos = cut + 1
    return out


def best(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.thread_time()
        fn()
        times.append(time.thread_time() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--mib", type=int, default=160, help="MiB of text of each kind")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--file", help="parse this CSV (10 columns, ',') instead")
    args = ap.parse_args()
    if PARSER is None:
        raise SystemExit("the compiled parser is not built here")
    kinds = [args.file] if args.file else ["short", "probs", "long"]
    print(f"{'text':>8}  {'MB':>6}  {'parse MB/s':>10}  {'floor MB/s':>10}  {'× floor':>7}")
    for kind in kinds:
        if args.file:
            with open(args.file, "rb") as fh:
                data = fh.read(args.mib << 20)
            data = data[: data.rfind(b"\n") + 1]
        else:
            data = text(kind, args.mib)
        parts = blocks(data)
        outs = [np.zeros((len(b) // 20 + 1, 10)) for b in parts]  # touched once, as reused

        def parse(parts: list = parts, outs: list = outs) -> None:
            for b, o in zip(parts, outs):
                assert PARSER.parse_plain(b, 10, ",", o) > 0

        def floor(parts: list = parts) -> None:
            for b in parts:
                PARSER.count_byte(b, "\n")

        p, f = best(parse, args.runs), best(floor, args.runs)
        mb = len(data) / 1e6
        name = "file" if args.file else kind
        print(f"{name:>8}  {mb:6.0f}  {mb / p:10.0f}  {mb / f:10.0f}  {p / f:7.1f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
