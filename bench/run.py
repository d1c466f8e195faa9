"""End-to-end benchmarks of cece against reference processes measured in the same run.

    python bench/run.py                 # the full sizes of issue 6 (needs ~9 GB of disk)
    python bench/run.py --quick         # one tenth of the rows, for a smoke test
    python bench/run.py --torch-python /path/to/python-with-torch
    python bench/run.py --only LM --runs 3    # the language-model dumps alone
    python bench/run.py --only start-up       # cece --help and a 3-row run; --only records:
                                              # -f jsonl / -f csv of 10⁷ records
    python bench/run.py --numpy --only 1e7    # the numpy fallback (CECE_NO_FAST=1)
    (bench/text.py: CSVs against polars', pyarrow's and pandas' own reads; bench/records.py,
    bench/kern.py: the record writer and the kernels in process)

Each command runs as a whole process (python start-up, imports, reading, computing, printing)
``--runs`` times, in turn with the floor of the same data (a process that loads the file and
sums it: one unmeasured warm-up each, then cece, floor, cece, floor, ...); the table gives the
median wall times, the median of the ratios cece/floor taken pair by pair (a drift in the
machine's speed moves it far less than a ratio of medians), the PyTorch script's time where
PyTorch is available, and the peak RSS (``ru_maxrss`` of the process). Datasets are generated with a
fixed seed under a temporary directory (``--keep DIR`` keeps them); ``--only`` generates only
the ones it runs.

faults/GB is the floor's minor page faults per GB of predictions, less those of the floor on a
3-value file (Python's and numpy's own, ~4 000); `-` below 100 MB. It says how the page cache
holds the file, which moves the floor (and cece, less) by ~0.1 s a GB: a file just written (as
this script writes its data) or read through ``read()`` sits in large folios, which a memory
map faults in 2 MiB at a time (~1 000 faults a GB); a file copied with ``cp``, or paged back in
by faults after the kernel dropped it, sits in 4 KiB pages mapped 64 KiB a fault (~16 000 a
GB). Compare figures only at the same state.

The 10⁷ × 10 logits also come as float64 (the same values) and as the float32 probabilities
of a softmax of them (read as probabilities by cece's own detection: no ``--from``), and the
binary logits as the float32 probabilities of their sigmoid and as float64: the kernels of
every input kind.

The LM dump comes in float32, float16 and bfloat16 (the float32 values rounded to nearest
even, saved as uint16 bits and read with ``--dtype bfloat16``, as ``tensor.view(torch.uint16)``
dumps are); after the table, the bfloat16 run is compared with its float16 twin (issue 13:
≤ 1.1×) and with its floor (≤ 2×), and ``--temperature 2`` runs with the run without it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TIME = shutil.which("time", path="/usr/bin:/bin") or "/usr/bin/time"
FLOOR_NPY = (
    "import sys, numpy as np; a = np.load(sys.argv[1], mmap_mode='r'); "
    "print(float(a.sum(dtype=np.float64)))"
)
FLOOR_CSV = (
    "import sys, numpy as np, pandas as pd; "
    "df = pd.read_csv(sys.argv[1], header=None, dtype=np.float32); print(len(df))"
)


def _once(cmd: list[str], env: dict | None = None) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, minor page faults) of one execution of
    ``cmd``.

    Peak RSS, CPU time (user + system) and page faults come from GNU time
    (``/usr/bin/time -f "%U %S %M %R"``): a child forked from this process would report this
    process's own footprint in its ``ru_maxrss``. CPU seconds are the steadier figure on a busy
    machine, where wall time also measures the other processes.
    """
    start = time.perf_counter()
    proc = subprocess.run(
        [TIME, "-f", "%U %S %M %R", *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    wall = time.perf_counter() - start
    err = proc.stderr.decode().strip().splitlines()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}\n" + "\n".join(err))
    user, system, rss, faults = err[-1].split()
    return wall, float(user) + float(system), int(rss) / 1024, int(faults)


def run(cmd: list[str], runs: int, env: dict | None = None) -> tuple[float, float, float]:
    """(median wall seconds, peak RSS in MB, median CPU seconds) of ``runs`` executions of
    ``cmd``."""
    walls, cpus, rss, _ = zip(*(_once(cmd, env) for _ in range(runs)))
    return statistics.median(walls), max(rss), statistics.median(cpus)


def paired(
    a: list[str], b: list[str], runs: int
) -> tuple[tuple[float, float, float, int], tuple[float, float, float, int], float]:
    """``a`` and ``b`` run in turn (one unmeasured warm-up each, then a b a b ...): each one's
    (median wall, peak RSS, median CPU, median minor page faults) and the median of the
    ``runs`` ratios a/b taken pair by pair, which a drift in the machine's speed during the
    run moves far less than a ratio of two medians measured one after the other."""
    _once(a), _once(b)
    pairs = [(_once(a), _once(b)) for _ in range(runs)]
    stats = []
    for side in (0, 1):
        walls, cpus, rss, faults = zip(*(p[side] for p in pairs))
        stats.append(
            (
                statistics.median(walls),
                max(rss),
                statistics.median(cpus),
                int(statistics.median(faults)),
            )
        )
    ratio = statistics.median(x[0] / y[0] for x, y in pairs)
    return stats[1], stats[0], ratio


EXTRA = {  # options a dataset's cece command needs, or measures
    "LM 2e4×50257 bf16": ["--dtype", "bfloat16"],
    "LM 2e4×50257 f32 T=2": ["--temperature", "2"],
    "LM 2e4×50257 bf16 T=2": ["--dtype", "bfloat16", "--temperature", "2"],
}


def bfloat16_bits(x: np.ndarray) -> np.ndarray:
    """float32 → bfloat16 bits (uint16), rounded to nearest even (as torch's .bfloat16())."""
    u = x.view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def make_data(root: Path, scale: float, only: str | None = None) -> dict[str, tuple[str, str]]:
    """Datasets of issues 6 and 13 (rows × scale), generated once, deterministically; with
    ``only``, the datasets whose name has it (and what they are made from)."""
    rng = np.random.default_rng(20261122)
    data = {}
    others = (
        "categorical 1e7×10 f32",
        "categorical 1e7×10 f32 probs",
        "categorical 1e7×10 f64",
        "categorical 1e5×1000 f32",
        "binary 1e7 f32",
        "binary 1e7 f32 probs",
        "binary 1e7 f64",
        "CSV",
    )
    if only == "start-up":  # a 3-row file of its own
        return data
    if only == "records":  # the 10⁷ × 10 dump
        only = "categorical 1e7×10 f32"
    if only and not any(only in name for name in others):  # LM, bf16, T=2, f16: the LM dump
        return _lm_data(root, scale, data)

    def save(name: str, array: np.ndarray) -> str:
        path = root / name
        if not path.exists():
            np.save(path, array)
        return str(path)

    n = int(10_000_000 * scale)
    data["categorical 1e7×10 f32"] = (
        save("c10.npy", rng.standard_normal((n, 10), dtype=np.float32)),
        save("c10_y.npy", rng.integers(0, 10, n)),
    )
    c10, c10_y = data["categorical 1e7×10 f32"]
    data["categorical 1e7×10 f32 probs"] = (_derived(root / "c10p.npy", c10, _softmax), c10_y)
    data["categorical 1e7×10 f64"] = (_derived(root / "c10f64.npy", c10, _widen), c10_y)
    n = int(100_000 * scale)
    data["categorical 1e5×1000 f32"] = (
        save("c1000.npy", rng.standard_normal((n, 1000), dtype=np.float32) * 3),
        save("c1000_y.npy", rng.integers(0, 1000, n)),
    )
    _lm_data(root, scale, data)
    n = int(10_000_000 * scale)
    data["binary 1e7 f32"] = (
        save("b1.npy", rng.standard_normal(n, dtype=np.float32)),
        save("b1_y.npy", rng.integers(0, 2, n).astype(np.float32)),
    )
    b1, b1_y = data["binary 1e7 f32"]
    data["binary 1e7 f32 probs"] = (_derived(root / "b1p.npy", b1, _sigmoid), b1_y)
    data["binary 1e7 f64"] = (_derived(root / "b1f64.npy", b1, _widen), b1_y)
    csv = root / "c10.csv"
    if not csv.exists():
        src = np.load(data["categorical 1e7×10 f32"][0], mmap_mode="r")
        with open(csv, "w") as fh:
            for i in range(0, len(src), 200_000):
                np.savetxt(fh, src[i : i + 200_000], delimiter=",", fmt="%.7g")
        np.savetxt(root / "c10_y.csv", np.load(data["categorical 1e7×10 f32"][1]), fmt="%d")
    data["categorical CSV 1e7×10"] = (str(csv), str(root / "c10_y.csv"))
    return data


def _softmax(x: np.ndarray) -> np.ndarray:
    """Probabilities as a softmax layer writes them: float32 rows summing to 1 (rounded)."""
    e = np.exp(x - x.max(axis=1, keepdims=True), dtype=np.float64)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.float32)


def _widen(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float64)


def _derived(path: Path, source: str, fn) -> str:
    """``fn`` of the rows of the .npy ``source``, written to ``path`` a slice at a time (the
    same rows: probabilities of the logits, or their float64 twin)."""
    if not path.exists():
        src = np.load(source, mmap_mode="r")
        first = fn(np.asarray(src[:1]))
        out = np.lib.format.open_memmap(path, mode="w+", dtype=first.dtype, shape=src.shape)
        for i in range(0, len(src), 1_000_000):
            out[i : i + 1_000_000] = fn(np.asarray(src[i : i + 1_000_000]))
        out.flush()
        del out, src
    return str(path)


def _lm_data(root: Path, scale: float, data: dict) -> dict[str, tuple[str, str]]:
    """The 2·10⁴ × 50257 LM dump: float32, its float16 and bfloat16 twins, and the labels
    (a seed of their own: the same data whether or not the other datasets are made)."""
    rng = np.random.default_rng(20261130)
    n = max(1, int(20_000 * scale))
    lm = root / "lm32.npy"
    if not lm.exists():  # written in slices: 4 GB never sits in memory at once
        out = np.lib.format.open_memmap(lm, mode="w+", dtype=np.float32, shape=(n, 50257))
        for i in range(0, n, 1000):
            out[i : i + 1000] = rng.standard_normal((min(1000, n - i), 50257), dtype=np.float32) * 3
        out.flush()
        del out
        src = np.load(lm, mmap_mode="r")
        half = np.lib.format.open_memmap(
            root / "lm16.npy", mode="w+", dtype=np.float16, shape=src.shape
        )
        for i in range(0, n, 1000):
            half[i : i + 1000] = src[i : i + 1000]
        half.flush()
        del half, src
    bf16 = root / "lm_bf16.npy"
    if not bf16.exists():  # uint16 bits: cece reads them with --dtype bfloat16
        src = np.load(lm, mmap_mode="r")
        bits = np.lib.format.open_memmap(bf16, mode="w+", dtype=np.uint16, shape=src.shape)
        for i in range(0, n, 1000):
            bits[i : i + 1000] = bfloat16_bits(np.ascontiguousarray(src[i : i + 1000]))
        bits.flush()
        del bits, src
    labels_path = root / "lm_y.npy"
    if not labels_path.exists():
        np.save(labels_path, rng.integers(0, 50257, n))
    labels = str(labels_path)
    data["LM 2e4×50257 f32"] = (str(lm), labels)
    data["LM 2e4×50257 f16"] = (str(root / "lm16.npy"), labels)
    data["LM 2e4×50257 bf16"] = (str(bf16), labels)
    data["LM 2e4×50257 f32 T=2"] = (str(lm), labels)
    data["LM 2e4×50257 bf16 T=2"] = (str(bf16), labels)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one tenth of the rows")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the data in DIR")
    parser.add_argument(
        "--torch-python",
        metavar="PYTHON",
        help="an interpreter with PyTorch for the reference script",
    )
    parser.add_argument("--only", metavar="TEXT", help="only datasets whose name has TEXT")
    parser.add_argument(
        "--numpy",
        action="store_true",
        help="cece on its numpy path (CECE_NO_FAST=1), the fallback's figures",
    )
    args = parser.parse_args()
    if args.numpy:
        os.environ["CECE_NO_FAST"] = "1"  # inherited by every command; only cece reads it
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cece-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    cece = [str(Path(py).parent / "cece")]
    torch_py = args.torch_python or (py if _has_torch(py) else None)
    path = "cece on its numpy path (CECE_NO_FAST=1); " if args.numpy else ""
    print(f"{path}data in {root}; {args.runs} runs each; medians\n")
    try:
        data = make_data(root, 0.1 if args.quick else 1.0, args.only)
        tiny = root / "floor-start.npy"  # the floor's own faults (Python and numpy), subtracted
        np.save(tiny, np.zeros(3, np.float32))
        _print_row.base = statistics.median(
            _once([py, "-c", FLOOR_NPY, str(tiny)])[3] for _ in range(3)
        )
        rows = []
        for name, (preds, labels) in data.items():
            if args.only and args.only not in name:
                continue
            command = "binary" if name.startswith("binary") else "categorical"
            floor, mine, ratio = paired(
                cece + [command, preds, labels, "-q", *EXTRA.get(name, [])],
                [py, "-c", FLOOR_CSV if preds.endswith(".csv") else FLOOR_NPY, preds],
                args.runs,
            )
            torch = None
            if torch_py and preds.endswith(".npy") and "T=" not in name and "probs" not in name:
                torch = run(
                    [torch_py, str(HERE / "torch_script.py"), command, preds, labels], args.runs
                )
            rows.append((name, floor, mine, torch, ratio, Path(preds).stat().st_size / 1e9))
            _print_row(rows[-1])
        _lm_ratios(rows)
        if args.only in (None, "start-up"):
            _startup(py, cece, args.runs, root)
        if args.only in (None, "records"):
            _stream(py, cece, data["categorical 1e7×10 f32"], args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def _has_torch(py: str) -> bool:
    return subprocess.run([py, "-c", "import torch"], capture_output=True).returncode == 0


def _print_row(row) -> None:
    name, (floor, floor_rss, floor_cpu, faults), (mine, rss, cpu, _), torch, ratio, gb = row
    if not hasattr(_print_row, "done"):
        print(
            f"{'dataset':26} {'floor s':>8} {'cece s':>8} {'× floor':>8} "
            f"{'torch s':>8} {'× faster':>9} {'cece RSS MB':>12} {'floor RSS':>10} "
            f"{'floor CPU s':>12} {'cece CPU s':>11} {'faults/GB':>10}"
        )
        _print_row.done = True
    torch_s = f"{torch[0]:8.2f}" if torch else f"{'-':>8}"
    faster = f"{torch[0] / mine:9.1f}" if torch else f"{'-':>9}"
    # below ~100 MB the floor's own faults (a few hundred either way) swamp the file's
    per_gb = f"{(faults - _print_row.base) / gb:.0f}" if gb >= 0.1 else "-"
    print(
        f"{name:26} {floor:8.2f} {mine:8.2f} {ratio:8.2f} {torch_s} {faster} "
        f"{rss:12.0f} {floor_rss:10.0f} {floor_cpu:12.2f} {cpu:11.2f} {per_gb:>10}"
    )


def _lm_ratios(rows) -> None:
    """bfloat16 against its float16 twin and its floor; --temperature against none (issue 13
    item 7; issue 16's kernels targets), from the rows measured in this run."""
    cece = {name: mine[0] for name, _, mine, *_ in rows}
    floor = {name: fl[0] for name, fl, *_ in rows}
    cpu = {name: mine[2] for name, _, mine, *_ in rows}
    f32, f16, bf16 = (f"LM 2e4×50257 {d}" for d in ("f32", "f16", "bf16"))
    lines = []
    if bf16 in cece and f16 in cece:
        lines.append(
            f"bfloat16 / its float16 twin: {cece[bf16]:.2f} s / {cece[f16]:.2f} s = "
            f"{cece[bf16] / cece[f16]:.2f} (target ≤ 1.1); CPU {cpu[bf16]:.2f} s / "
            f"{cpu[f16]:.2f} s = {cpu[bf16] / cpu[f16]:.2f}"
        )
    if bf16 in cece:
        lines.append(
            f"bfloat16 / its floor (same bytes): {cece[bf16]:.2f} s / {floor[bf16]:.2f} s = "
            f"{cece[bf16] / floor[bf16]:.2f} (target ≤ 2)"
        )
    if bf16 in cece and f32 in floor:
        lines.append(
            f"float16 and bfloat16 / the float32 floor: {cece.get(f16, float('nan')):.2f} s, "
            f"{cece[bf16]:.2f} s / {floor[f32]:.2f} s = {cece.get(f16, float('nan')) / floor[f32]:.2f},"
            f" {cece[bf16] / floor[f32]:.2f} (issue 16 target ≤ 0.8)"
        )
    for base in (f32, bf16):
        if f"{base} T=2" in cece and base in cece:
            lines.append(
                f"--temperature 2 on {base[13:]}: {cece[base + ' T=2']:.2f} s / "
                f"{cece[base]:.2f} s without = {cece[base + ' T=2'] / cece[base]:.2f}; CPU "
                f"{cpu[base + ' T=2']:.2f} s / {cpu[base]:.2f} s = "
                f"{cpu[base + ' T=2'] / cpu[base]:.2f}"
            )
    if lines:
        print("\n" + "\n".join(lines))


def _startup(py: str, cece: list[str], runs: int, root: Path) -> None:
    """Start-up (issue 16): ``cece --help`` against ``import typer`` (≤ 1.2×) and a 3-row CSV
    run with the table (≤ 0.25 s), 3× the runs (they are short, and noisy)."""
    runs *= 3
    typer = run([py, "-c", "import typer"], runs)[0]
    bare = run([py, "-c", "pass"], runs)[0]
    helps = run(cece + ["--help"], runs)[0]
    tiny = root / "tiny.csv"
    tiny.write_text("cat,dog,pig\n1,2,3\n2,4,6\n4,1,0\n")
    small = run(cece + ["categorical", str(tiny), "[0,2,1]"], runs)[0]
    quiet = run(cece + ["categorical", str(tiny), "[0,2,1]", "-q"], runs)[0]
    version = subprocess.run(
        [py, "-c", "import typer; print(typer.__version__)"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"\nstart-up (Typer {version}; python -c pass {bare:.3f} s): cece --help {helps:.3f} s "
        f"= {helps / typer:.2f} × python -c 'import typer' ({typer:.3f} s) (target ≤ 1.2); "
        f"a 3-row CSV run: table {small:.3f} s (target ≤ 0.25), -q {quiet:.3f} s"
    )


def _stream(py: str, cece: list[str], data: tuple[str, str], runs: int) -> None:
    """Records out (issue 16): ``-f jsonl`` of every sample, against the ``-q`` run of the
    same data (target: 10⁷ records ≤ 10 s)."""
    preds, labels = data
    quiet = run(cece + ["categorical", preds, labels, "-q"], max(1, runs // 2))[0]
    for fmt in ("jsonl", "csv"):
        seconds, rss, cpu = run(cece + ["categorical", preds, labels, "-f", fmt], max(1, runs // 2))
        rows = len(np.load(labels, mmap_mode="r"))
        rate = rows / max(seconds - quiet, 1e-9) / 1e6
        print(
            f"-f {fmt} of {rows:,} records: {seconds:.2f} s (CPU {cpu:.2f} s), peak RSS "
            f"{rss:.0f} MB; {rate:.2f} M records/s beyond the -q run ({quiet:.2f} s)"
        )


if __name__ == "__main__":
    main()
