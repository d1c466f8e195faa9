"""``--engine dask`` on a real LocalCluster of worker processes, inside pytest.

The same bits as the local engine over the same shards (every statistic, the worst K, the
histogram, per-class rows); a bad shard's own error line, exit 2; a worker killed mid-task
retried with the result unchanged; engine failures (a scheduler out of reach, a task that
keeps killing its workers, another cece on the workers) one line and exit 4. Clusters are
closed by the fixtures; cece closes the one it starts for ``--workers``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from test_sharded import write_shards

from conftest import run_cece

distributed = pytest.importorskip("distributed")


def _cluster(**config):
    import dask

    with dask.config.set(config):
        return distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=50,
        )


@pytest.fixture(scope="module")
def scheduler():
    cluster = _cluster()
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def both(*args, scheduler: str) -> tuple[dict, dict]:
    local = run_cece(*args, "-f", "json")
    dask = run_cece(*args, "-f", "json", "--engine", "dask", "--scheduler", scheduler)
    assert local.code == 0, local.err
    assert dask.code == 0, dask.err
    return json.loads(local.out), json.loads(dask.out)


def same_bits(local: dict, dask: dict) -> None:
    for key in ("loss", "stats", "summary", "worst", "histogram", "per_class", "warnings"):
        assert local.get(key) == dask.get(key), key
    shards = [
        {k: s[k] for k in ("preds", "labels", "rows", "first_row")} for s in dask["input"]["shards"]
    ]
    assert shards == [
        {k: s[k] for k in ("preds", "labels", "rows", "first_row")}
        for s in local["input"]["shards"]
    ]


def test_dask_gives_the_local_engines_bits(tmp_path, scheduler):
    preds, labels = write_shards(tmp_path, [500, 33, 1, 260], classes=6)
    local, dask = both(
        "categorical", preds, labels, "--worst", "4", "--hist", "--per-class", scheduler=scheduler
    )
    same_bits(local, dask)
    engine = dask["input"]["engine"]
    assert engine["name"] == "dask" and engine["scheduler"] == scheduler
    assert engine["workers"] == 2 and engine["tasks"] == 4 and engine["retries"] == 0


def test_dask_options_and_commands(tmp_path, scheduler):
    preds, labels = write_shards(tmp_path, [120, 80], classes=5)
    weights = ["--weight", "1,2,3,4,5", "--label-smoothing", "0.1", "--base", "2"]
    same_bits(*both("categorical", preds, labels, *weights, scheduler=scheduler))
    same_bits(*both("entropy", preds, "--from", "logits", scheduler=scheduler))
    rng = np.random.default_rng(5)
    for i in range(3):
        np.save(tmp_path / f"s-{i}.npy", rng.normal(size=(40, 2)))
        np.save(tmp_path / f"t-{i}.npy", (rng.random((40, 2)) > 0.5).astype(float))
    same_bits(
        *both(
            "binary",
            tmp_path / "s-*.npy",
            tmp_path / "t-*.npy",
            "--pos-weight",
            "3",
            "--worst",
            "3",
            scheduler=scheduler,
        )
    )


def test_a_bad_shard_on_dask_is_its_own_line(tmp_path, scheduler):
    preds, labels = write_shards(tmp_path, [10, 20, 5])
    bad = np.load(tmp_path / "labels-2.npy")
    bad[3] = 99
    np.save(tmp_path / "labels-2.npy", bad)
    out = tmp_path / "out.json"
    run = run_cece(
        "categorical", preds, labels, "-o", out, "--engine", "dask", "--scheduler", scheduler
    )
    line = run.error_line()
    assert line == (
        f"cece: error: {tmp_path}/labels-2.npy: row 3: label 99 is out of range for 10 "
        "classes (expected 0..9) (row 33 of all shards)"
    )
    assert not out.exists()


def test_per_sample_records_are_refused_on_dask(tmp_path, scheduler):
    preds, labels = write_shards(tmp_path, [4, 4])
    run = run_cece(
        "categorical", preds, labels, "-f", "jsonl", "--engine", "dask", "--scheduler", scheduler
    )
    assert run.error_line() == (
        "cece: error: --engine dask writes the summary (the table, -f json, -q); per-sample "
        "records (-f jsonl/csv, --samples, -r none) need the local engine"
    )


def test_an_unreachable_scheduler_is_exit_4(tmp_path, monkeypatch):
    preds, labels = write_shards(tmp_path, [4])
    monkeypatch.setenv("CECE_DASK_TIMEOUT", "1")
    run = run_cece(
        "categorical", preds, labels, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"
    )
    assert run.code == 4, run.err
    lines = run.err_lines
    assert lines[0] == (
        "cece: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 1 s (OSError)"
    )
    assert len(lines) == 2 and lines[1].startswith("  hint: check --scheduler")


def test_workers_running_another_cece_are_exit_4(tmp_path, scheduler, monkeypatch):
    from cece.engine import dask_engine

    preds, labels = write_shards(tmp_path, [4])
    real = dask_engine.versions()
    monkeypatch.setattr(dask_engine, "versions", lambda: {**real, "numpy": "0.0.1"})
    run = run_cece("categorical", preds, labels, "--engine", "dask", "--scheduler", scheduler)
    assert run.code == 4, run.err
    assert "runs numpy " + real["numpy"] + " (here 0.0.1)" in run.err_lines[0]
    # the refusal closed its client: one left open reconnected to the closed scheduler for
    # 30 s in this process, jitter drawn from the global random (Hypothesis warned of it in
    # the tests that followed)
    assert [c.status for c in distributed.Client._instances if c.status != "closed"] == []


def test_a_worker_killed_mid_task_changes_nothing(tmp_path, monkeypatch):
    preds, labels = write_shards(tmp_path, [300, 200, 100])
    local = json.loads(run_cece("categorical", preds, labels, "-f", "json", "--hist").out)
    monkeypatch.setenv("CECE_TEST_KILL_WORKER", str(tmp_path / "killed-once"))
    cluster = _cluster()
    try:
        run = run_cece(
            "categorical",
            preds,
            labels,
            "-f",
            "json",
            "--hist",
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
        )
    finally:
        cluster.close()
    assert (tmp_path / "killed-once").exists()  # the hook did kill a worker
    assert run.code == 0, run.err
    dask = json.loads(run.out)
    same_bits(local, dask)
    assert dask["input"]["engine"]["retries"] >= 1


def test_a_task_that_keeps_killing_workers_is_exit_4(tmp_path, monkeypatch):
    preds, labels = write_shards(tmp_path, [30, 20])
    monkeypatch.setenv("CECE_TEST_KILL_WORKER", "always")
    cluster = _cluster(**{"distributed.scheduler.allowed-failures": 1})
    try:
        run = run_cece(
            "categorical",
            preds,
            labels,
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
        )
    finally:
        cluster.close()
    assert run.code == 4, run.err
    assert run.err_lines[0] == (
        f"cece: error: the task of shard {tmp_path}/preds-0.npy kept killing its Dask workers "
        "(out of memory, or a crash): Dask gave up"
    )


def test_a_local_cluster_of_its_own(tmp_path):
    """--workers N without --scheduler: cece starts a LocalCluster, and closes it."""
    preds, labels = write_shards(tmp_path, [50, 50])
    env = {**os.environ, "CECE_DEBUG": "1"}
    args = ["categorical", preds, labels, "-f", "json"]
    run = subprocess.run(
        [sys.executable, "-m", "cece", *args, "--engine", "dask", "--workers", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    local = json.loads(run_cece(*args).out)
    dask = json.loads(run.stdout)
    same_bits(local, dask)
    assert dask["input"]["engine"]["workers"] == 2
    assert "Dask dashboard: http://" in run.stderr


def test_local_runs_and_help_never_import_dask_or_fsspec(tmp_path):
    preds, labels = write_shards(tmp_path, [5, 5])
    probe = (
        "import sys\n"
        "from cece.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dask', 'distributed', 'fsspec', 'zarr', 's3fs'))\n"
        "print(heavy, file=sys.stderr)\n"
    )
    for args in (
        ["--help"],
        ["categorical", "--help"],
        ["categorical", str(tmp_path / "preds-0.npy"), str(tmp_path / "labels-0.npy")],
        ["categorical", preds, labels, "-q"],
    ):
        run = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60
        )
        assert run.stderr.strip().splitlines()[-1] == "[]", (args, run.stderr)


def test_relative_paths_reach_the_workers_and_errors_name_them_as_given(
    tmp_path, scheduler, monkeypatch
):
    """The workers' directory is not this one: files named relative to it are sent as
    absolute paths, and a worker's error line names them as they were typed."""
    write_shards(tmp_path, [12, 7])
    monkeypatch.chdir(tmp_path)
    dask = ("--engine", "dask", "--scheduler", scheduler)
    local, remote = (
        json.loads(run_cece("categorical", "preds-*.npy", "labels-*.npy", "-f", "json", *e).out)
        for e in ((), dask)
    )
    same_bits(local, remote)
    assert remote["input"]["shards"][0]["preds"] == "preds-0.npy"
    for document in (local, remote):  # the same document, names as typed, but the engine
        document["input"].pop("engine")
        document.pop("environment")
    assert local == remote
    bad = np.load("labels-1.npy")
    bad[2] = -3
    np.save("labels-1.npy", bad)
    line = run_cece("categorical", "preds-*.npy", "labels-*.npy", *dask).error_line()
    assert line == (
        "cece: error: labels-1.npy: row 2: label -3 is out of range for 10 classes "
        "(expected 0..9) (row 14 of all shards)"
    )


def test_row_windows_of_big_shards_are_tasks_with_the_same_bits(tmp_path, scheduler, monkeypatch):
    pytest.importorskip("zarr")
    from test_shard_windows import _zarr_shards

    preds, labels = _zarr_shards(tmp_path)
    monkeypatch.setenv("CECE_SHARD_BYTES", "10000")
    local, dask = both("categorical", preds, labels, "--worst", "5", "--hist", scheduler=scheduler)
    same_bits(local, dask)
    assert dask["input"]["engine"]["tasks"] == 6
    assert [s["window"] for s in dask["input"]["shards"]] == [
        s["window"] for s in local["input"]["shards"]
    ]


def test_file_urls_on_dask_and_memory_urls_refused(tmp_path, scheduler):
    pytest.importorskip("fsspec")
    preds, labels = write_shards(tmp_path, [30, 12])
    dask = ("--engine", "dask", "--scheduler", scheduler)
    plain = json.loads(run_cece("categorical", preds, labels, "-f", "json").out)
    urls = json.loads(
        run_cece("categorical", f"file://{preds}", f"file://{labels}", "-f", "json", *dask).out
    )
    assert urls["stats"] == plain["stats"] and urls["summary"] == plain["summary"]
    import fsspec

    fs = fsspec.filesystem("memory")
    for i in range(2):
        for kind in ("preds", "labels"):
            fs.pipe(f"/mem-{kind}-{i}.npy", (tmp_path / f"{kind}-{i}.npy").read_bytes())
    line = run_cece(
        "categorical", "memory://mem-preds-*.npy", "memory://mem-labels-*.npy", *dask
    ).error_line()
    assert line == (
        "cece: error: memory://mem-preds-0.npy: memory:// files live in this process's memory, "
        "which the Dask workers do not share"
    )


def test_without_dask_the_engine_is_one_line(tmp_path, monkeypatch):
    preds, labels = write_shards(tmp_path, [4])
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    run = run_cece("categorical", preds, labels, "--engine", "dask")
    assert run.error_line() == "cece: error: --engine dask needs Dask"
    assert run.err_lines[-1] == "  hint: pip install 'cece[dask]'"


def test_scheduler_and_workers_go_with_the_dask_engine(tmp_path):
    preds, labels = write_shards(tmp_path, [4])
    line = run_cece("categorical", preds, labels, "--workers", "2").error_line()
    assert line == "cece: error: --workers goes with --engine dask"
    line = run_cece("categorical", preds, labels, "--engine", "dask", "--workers", "0").error_line()
    assert line == "cece: error: --workers must be ≥ 1, not 0"
