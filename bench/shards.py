"""Sharded dumps: the local engine against --engine dask on a warm two-worker cluster.

    python bench/shards.py               # 8 shards of 3·10⁶ × 10 float32 logits (~1 GB)
    python bench/shards.py --quick       # 8 shards of 3·10⁵ rows
    python bench/shards.py --runs 5 --keep /tmp/shards

The shards (and int64 labels) are generated with a fixed seed under a temporary directory.
A ``LocalCluster`` of two single-threaded worker processes is started once and warmed up by
one run; then each command runs ``--runs`` times as a whole process (python start-up,
imports, reading, computing, ``-f json`` with the median), and the table gives the median wall
time, peak RSS of the cece process (the workers' memory is theirs), and the ratios measured in
this run: dask / local (issue 15's target: ≤ 1.5×) and each against the floor (one process
that loads every shard and sums it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import run  # bench/run.py: median wall, peak RSS, CPU

FLOOR = (
    "import glob, sys, numpy as np; "
    "print(sum(float(np.load(f, mmap_mode='r').sum(dtype=np.float64)) "
    "for f in sorted(glob.glob(sys.argv[1]))))"
)


def generate(where: Path, shards: int, rows: int, classes: int) -> None:
    rng = np.random.default_rng(15)
    for i in range(shards):
        name = f"{i:05d}-of-{shards:05d}.npy"
        if (where / f"preds-{name}").exists():
            continue
        x = rng.standard_normal((rows, classes), dtype=np.float32) * 2
        np.save(where / f"preds-{name}", x)
        np.save(where / f"labels-{name}", rng.integers(0, classes, rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    rows = 300_000 if args.quick else 3_000_000
    where = args.keep or Path(tempfile.mkdtemp(prefix="cece-shards-"))
    where.mkdir(parents=True, exist_ok=True)
    generate(where, args.shards, rows, 10)
    preds, labels = str(where / "preds-*.npy"), str(where / "labels-*.npy")

    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    try:
        cece = [sys.executable, "-m", "cece", "categorical", preds, labels, "-f", "json"]
        dask = [*cece, "--engine", "dask", "--scheduler", cluster.scheduler_address]
        run(dask, 1)  # warm: the workers import cece and numpy, the page cache holds the shards
        floor = run([sys.executable, "-c", FLOOR, preds], args.runs)
        local = run(cece, args.runs)
        remote = run(dask, args.runs)
    finally:
        cluster.close()
    print(f"{args.shards} shards of {rows:,} × 10 float32 ({where}), medians of {args.runs} runs")
    print(f"{'command':<28}{'wall s':>9}{'× floor':>9}{'peak MB':>9}")
    for name, (wall, rss, _cpu) in (
        ("floor (load + sum)", floor),
        ("cece, local engine", local),
        ("cece --engine dask (warm)", remote),
    ):
        print(f"{name:<28}{wall:>9.2f}{wall / floor[0]:>9.2f}{rss:>9.0f}")
    print(json.dumps({"dask_over_local": round(remote[0] / local[0], 3)}))


if __name__ == "__main__":
    main()
