"""In-process cost of a loss command beyond start-up: the compute path alone, against the floor.

    python bench/pipeline.py --data DIR           # DIR: the .npy datasets of bench/run.py --keep DIR
    python bench/pipeline.py --data DIR --repeat 9 --only binary

Each case runs ``cece.cli.entry.main([...])`` in this process (imports warmed by a first run,
output discarded), ``--repeat`` times, and keeps the best CPU time of the process (all threads:
time.process_time, steadier than wall time on a shared machine) and the best wall time. The
floor is measured in the same run on the same files: ``np.load(mmap_mode="r")`` of PREDS and
LABELS and ``.sum(dtype=float64)`` of each (the floor process of bench/run.py, which reads the
predictions only, without its start-up). The ratio is cece's best over the floor's best; the
peak RSS is this process's. The files are those of ``bench/run.py --keep DIR`` (b1.npy,
c10.npy and their labels).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import resource
import time
from pathlib import Path

import numpy as np

CASES = {
    "binary 1e7 f32": ("binary", "b1.npy", "b1_y.npy"),
    "categorical 1e7×10 f32": ("categorical", "c10.npy", "c10_y.npy"),
}


def best(fn, repeat: int) -> tuple[float, float]:
    """(best CPU seconds of the process, best wall seconds) of ``repeat`` calls."""
    cpu, wall = [], []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return min(cpu), min(wall)


def cece(args: list[str]) -> None:
    from cece.cli.entry import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        main(args)


def floor(paths: list[Path]) -> None:
    for p in paths:
        np.load(p, mmap_mode="r").sum(dtype=np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="the DIR of bench/run.py --keep DIR")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", metavar="TEXT")
    args = parser.parse_args()
    data = Path(args.data)
    print(f"best of {args.repeat}; CPU = time.process_time (all threads)")
    print(
        f"{'case':24} {'cece CPU':>9} {'floor CPU':>9} {'× floor':>8} {'cece wall':>9} {'floor wall':>10}"
    )
    for name, (command, preds, labels) in CASES.items():
        if args.only and args.only not in name:
            continue
        argv = [command, str(data / preds), str(data / labels), "--from", "logits", "-q"]
        cece(argv)  # imports and the page cache, once
        c_cpu, c_wall = best(lambda argv=argv: cece(argv), args.repeat)
        paths = [data / preds, data / labels]
        f_cpu, f_wall = best(lambda paths=paths: floor(paths), args.repeat)
        print(
            f"{name:24} {c_cpu:9.3f} {f_cpu:9.3f} {c_cpu / f_cpu:8.2f} {c_wall:9.3f} {f_wall:10.3f}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
