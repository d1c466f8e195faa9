"""Per-sample record output (``-f jsonl`` / ``-f csv``) against floors measured in the same run.

    python bench/records.py                      # 10⁷ records of 10 classes (issue 16)
    python bench/records.py --n 1000000 --runs 3
    python bench/records.py --keep /work/bench-data/recs-bench   # reuse the generated data
    python bench/records.py --baseline /path/to/other/checkout   # A/B: that tree's cece too

Whole processes (start-up, reading, computing, writing to /dev/null), ``--runs`` times each,
median wall and CPU seconds (user + system, GNU time), records/s (N / wall), the CPU seconds
over ``-q`` (what the records cost), the wall time's ratio to ``-q``'s, and peak RSS:

* ``cece -q``: the same computation writing one number: the floor of the records' runs; the
  difference is what writing N records costs;
* ``cece -f jsonl`` / ``-f csv``: to /dev/null, and ``-f jsonl -o FILE`` (a real file);
* with ``--baseline DIR``: the same commands with ``PYTHONPATH=DIR`` (another checkout).

Then in-process rates, best of ``--runs``, of writing the same records (index, loss, target,
predicted, p_target) already in memory: cece's writer (the compiled formatter and the Python
path), and where installed orjson (a dict a record, ``orjson.dumps``) and polars
(``write_ndjson`` / ``write_csv`` of a DataFrame of the columns): what a fast library costs to
write the same text. Each line gives records/s and the ratio to cece's compiled writer.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TIME = shutil.which("time", path="/usr/bin:/bin") or "/usr/bin/time"


def run(cmd: list[str], runs: int, env: dict, cwd: Path) -> tuple[float, float, float]:
    """(median wall s, median CPU s, peak RSS MB) of ``runs`` executions (GNU time's figures:
    a child forked from here would report this process's own footprint in ``ru_maxrss``)."""
    walls, cpus, peak = [], [], 0.0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(
            [TIME, "-f", "%U %S %M", *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,  # not a checkout: `python -m` would import the cece of the current folder
        )
        walls.append(time.perf_counter() - start)
        err = proc.stderr.decode().strip().splitlines()
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n" + "\n".join(err))
        user, system, rss = err[-1].split()
        cpus.append(float(user) + float(system))
        peak = max(peak, int(rss) / 1024)
    return statistics.median(walls), statistics.median(cpus), peak


def make_data(root: Path, n: int, classes: int) -> tuple[str, str]:
    """Seeded float32 logits (n, classes) and int64 labels, generated once."""
    x, y = root / f"recs-x-{n}x{classes}.npy", root / f"recs-y-{n}.npy"
    if not x.exists() or not y.exists():
        rng = np.random.default_rng(16)
        np.save(x, rng.standard_normal((n, classes), dtype=np.float32) * 2)
        np.save(y, rng.integers(0, classes, n))
    return str(x), str(y)


def best(fn, runs: int) -> float:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return min(out)


def in_memory(n: int, runs: int) -> list[tuple[str, float]]:
    """(writer, records/s) for the same records in memory, written to a discarding stream."""
    rng = np.random.default_rng(16)
    loss = rng.exponential(2.3, n)
    rec = {
        "index": np.arange(n),
        "loss": loss,
        "target": rng.integers(0, 10, n),
        "predicted": rng.integers(0, 10, n),
        "p_target": np.exp(-loss),
    }
    from cece.report import records

    rates = []
    for fmt in ("jsonl", "csv"):
        if records.FORMAT is not None:
            go = partial(_write, records, rec, fmt, n, True)
            rates.append((f"cece {fmt} (compiled)", n / best(go, runs)))
        small = max(n // 10, 1)  # the Python path is slow: a tenth of the records
        go = partial(_write, records, rec, fmt, small, False)
        rates.append((f"cece {fmt} (Python path)", small / best(go, runs)))
    try:
        import orjson

        def with_orjson():
            fields = list(rec)
            cols = [rec[f].tolist() for f in fields]
            with open(os.devnull, "wb") as out:
                out.write(b"".join(orjson.dumps(dict(zip(fields, r))) + b"\n" for r in zip(*cols)))

        rates.append(("orjson jsonl (a dict a record)", n / best(with_orjson, runs)))
    except ImportError:
        pass
    try:
        import polars as pl

        frame = pl.DataFrame(rec)
        for fmt, write in (("jsonl", frame.write_ndjson), ("csv", frame.write_csv)):
            rates.append((f"polars {fmt}", n / best(lambda w=write: w(io.BytesIO()), runs)))
    except ImportError:
        pass
    return rates


def _write(records, rec: dict, fmt: str, n: int, compiled: bool) -> None:
    """The first n records through cece's writer (compiled, or the Python path)."""
    saved = records.FORMAT
    records.FORMAT = saved if compiled else None
    try:
        with open(os.devnull, "w", encoding="utf-8", newline="") as out:
            records.RecordWriter(out, fmt)({k: v[:n] for k, v in rec.items()})
    finally:
        records.FORMAT = saved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000_000, help="records (rows)")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", help="generate the data here, and keep it")
    ap.add_argument("--baseline", help="another checkout's root, run as PYTHONPATH=DIR")
    args = ap.parse_args()
    tmp = None
    if args.keep:
        root = Path(args.keep)
        root.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="cece-recs-")
        root = Path(tmp.name)
    try:
        x, y = make_data(root, args.n, args.classes)
        trees = [("cece", str(HERE.parent))]
        if args.baseline:
            trees.append(("baseline", args.baseline))
        print(f"{args.n:,} records of {args.classes} classes; load {os.getloadavg()[0]:.2f}")
        print(
            f"{'command':<34}{'wall s':>8}{'CPU s':>8}{'M rec/s':>9}{'ΔCPU':>7}{'× -q':>7}"
            f"{'RSS MB':>8}"
        )
        out_file = root / "recs-out.jsonl"
        for label, tree in trees:
            env = {**os.environ, "PYTHONPATH": tree}
            base = [sys.executable, "-m", "cece", "categorical", x, y, "--from", "logits"]
            floor = floor_cpu = None
            for name, extra in (
                ("-q", ["-q"]),
                ("-f jsonl", ["-f", "jsonl"]),
                ("-f csv", ["-f", "csv"]),
                ("-f jsonl -o FILE", ["-f", "jsonl", "-o", str(out_file)]),
            ):
                wall, cpu, rss = run([*base, *extra], args.runs, env, root)
                floor, floor_cpu = floor or wall, floor_cpu or cpu
                rate = "" if name == "-q" else f"{args.n / wall / 1e6:.2f}"
                extra_cpu = f"{cpu - floor_cpu:.2f}"
                print(
                    f"{label + ' ' + name:<34}{wall:>8.2f}{cpu:>8.2f}{rate:>9}"
                    f"{extra_cpu:>7}{wall / floor:>7.2f}{rss:>8.0f}"
                )
            out_file.unlink(missing_ok=True)
        print(f"\nin memory, best of {args.runs}")
        rates = in_memory(min(args.n, 2_000_000), args.runs)
        ref = rates[0][1]
        for name, rate in rates:
            print(f"{name:<34}{rate / 1e6:>8.2f} M rec/s{rate / ref:>7.2f}× cece compiled jsonl")
        print(f"load {os.getloadavg()[0]:.2f}")
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
