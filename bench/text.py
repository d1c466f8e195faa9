"""CSV reading: cece end to end against the installed readers' read alone (issue 16).

    python bench/text.py --keep /work/bench-data/parse            # 10⁷ × 10, both files
    python bench/text.py --keep DIR --rows 1000000 --runs 5       # a tenth, for a quick look
    python bench/text.py --keep DIR --only long                   # the 17-digit file alone

Two datasets, generated once with fixed seeds (``--keep DIR`` keeps and reuses them):

* ``short``: ``--rows`` × 10 float32 standard normals written with ``%.7g`` (the recipe of
  bench/run.py's "categorical CSV 10⁷ × 10", ~1 GB at 10⁷ rows) and integer labels;
* ``long``: ``--rows`` × 10 float64 standard normals written by ``np.savetxt``'s default
  ``%.18e`` (19 significant digits: every number misses Clinger's fast path; ~2.5 GB at 10⁷
  rows) and the same labels.

For each, ``cece categorical PREDS LABELS -q`` runs as a whole process (start-up, reading,
the loss, printing) against each installed reader reading PREDS alone: polars
``pl.read_csv(path, has_header=False)``, pyarrow ``pyarrow.csv.read_csv`` and pandas
``read_csv(header=None)`` (``dtype=float32`` on the short file: bench/run.py's floor; on the
long file the exact float64 parse, ``float_precision="round_trip"`` before pandas 3.1). The
commands alternate within each round, ``--runs`` rounds; the table gives medians of wall and
CPU seconds (user + system, GNU time) and the peak RSS, and each cece figure's ratio to the
fastest reader of the same file (targets: short ≤ 0.6× pandas, long ≤ 1.0× the fastest).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TIME = "/usr/bin/time"
CHUNK = 200_000

READERS = {
    "polars": "import sys, polars as pl; print(pl.read_csv(sys.argv[1], has_header=False).height)",
    "pyarrow": (
        "import sys, pyarrow.csv as c; print(c.read_csv(sys.argv[1], "
        "read_options=c.ReadOptions(autogenerate_column_names=True)).num_rows)"
    ),
    "pandas": (
        "import sys, numpy as np, pandas as pd; "
        "print(len(pd.read_csv(sys.argv[1], header=None, dtype=np.float32)))"
    ),
    "pandas exact": (
        "import sys, pandas as pd; v = tuple(int(x) for x in pd.__version__.split('.')[:2]); "
        "kw = {} if v >= (3, 1) else {'float_precision': 'round_trip'}; "
        "print(len(pd.read_csv(sys.argv[1], header=None, **kw)))"
    ),
}
FOR = {"short": ("polars", "pyarrow", "pandas"), "long": ("polars", "pyarrow", "pandas exact")}


def make(root: Path, rows: int, only: str | None) -> dict[str, tuple[Path, Path]]:
    """The datasets (written once; chunks of 200 000 rows, so memory stays small)."""
    labels = root / f"text-y-{rows}.csv"
    if not labels.exists():
        np.savetxt(labels, np.random.default_rng(20261130).integers(0, 10, rows), fmt="%d")
    data = {}
    for name, seed, dtype, fmt in (
        ("short", 20261122, np.float32, "%.7g"),
        ("long", 16, np.float64, "%.18e"),
    ):
        if only and only != name:
            continue
        path = root / f"text-{name}-{rows}.csv"
        if not path.exists():
            rng = np.random.default_rng(seed)
            tmp = path.with_suffix(".part")
            with open(tmp, "w") as fh:
                for i in range(0, rows, CHUNK):
                    block = rng.standard_normal((min(CHUNK, rows - i), 10), dtype=dtype)
                    np.savetxt(fh, block, delimiter=",", fmt=fmt)
            tmp.rename(path)
        data[name] = (path, labels)
    return data


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MB) of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.run(
        [TIME, "-f", "%U %S %M", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    wall = time.perf_counter() - start
    err = proc.stderr.decode().strip().splitlines()
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n" + "\n".join(err))
    user, system, rss = err[-1].split()
    return wall, float(user) + float(system), int(rss) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the data in DIR")
    parser.add_argument("--only", choices=("short", "long"))
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cece-text-"))
    root.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    cece = str(Path(py).parent / "cece")
    installed = {name: importlib.util.find_spec(name.split()[0]) is not None for name in READERS}
    print(f"data in {root}; {args.runs} rounds; medians; load {os.getloadavg()[0]:.2f}\n")
    header = f"{'file':6} {'command':14} {'wall s':>7} {'CPU s':>7} {'RSS MB':>7}"
    print(header + f" {'× fastest (wall)':>17} {'× fastest (CPU)':>16}")
    for name, (preds, labels) in make(root, args.rows, args.only).items():
        cmds = {r: [py, "-c", READERS[r], str(preds)] for r in FOR[name] if installed[r]}
        cmds["cece"] = [cece, "categorical", str(preds), str(labels), "-q"]
        got: dict[str, list[tuple[float, float, float]]] = {c: [] for c in cmds}
        for _ in range(args.runs):  # alternate: each round runs every command once
            for c, cmd in cmds.items():
                got[c].append(measure(cmd))
        med = {
            c: (
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
                max(r[2] for r in runs),
            )
            for c, runs in got.items()
        }
        readers = [c for c in med if c != "cece"]
        fast_wall = min(med[c][0] for c in readers) if readers else float("nan")
        fast_cpu = min(med[c][1] for c in readers) if readers else float("nan")
        for c, (wall, cpu, rss) in med.items():
            print(
                f"{name:6} {c:14} {wall:7.2f} {cpu:7.2f} {rss:7.0f} "
                f"{wall / fast_wall:17.2f} {cpu / fast_cpu:16.2f}"
            )
        pandas = "pandas" if name == "short" else "pandas exact"
        if pandas in med:
            print(
                f"{name:6} cece / {pandas}: {med['cece'][0] / med[pandas][0]:.2f}× wall, "
                f"{med['cece'][1] / med[pandas][1]:.2f}× CPU"
            )
        print(f"{name:6} size {preds.stat().st_size / 1e6:.0f} MB; load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
