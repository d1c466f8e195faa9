"""The worker pool (cece/parallel.py): results in order, a worker's exception re-raised in the
thread that asks with its own type, Ctrl-C while waiting, cancelled jobs never run, bounded
work in flight; and a run that starts it imports neither concurrent.futures nor logging."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import numpy as np
import pytest

import cece.io.blocks
from cece import parallel
from cece.parallel import Pool, in_order, settle, shared_pool

from conftest import imported_modules, run_cece


def test_results_come_back_in_submission_order():
    pool = Pool(3, "test")
    jobs = [pool.submit(lambda i: (time.sleep(0.002 * (i % 3)), i)[1], i) for i in range(40)]
    assert [job.result() for job in jobs] == list(range(40))


def test_a_workers_exception_is_raised_in_the_caller_with_its_type():
    class Odd(ValueError):
        pass

    def fail(i):
        raise Odd(f"block {i}")

    pool = Pool(2, "test")
    job = pool.submit(fail, 7)
    with pytest.raises(Odd, match="block 7") as info:
        job.result()
    assert any(entry.name == "fail" for entry in info.traceback)  # the worker's frame kept
    assert pool.submit(lambda: 5).result() == 5  # the worker survived


def test_cancelled_jobs_never_run_and_settle_waits_for_running_ones():
    pool = Pool(1, "test")
    gate, ran = threading.Event(), []

    def blocked():
        gate.wait(5)
        time.sleep(0.05)
        ran.append("first")

    first = pool.submit(blocked)
    rest = [pool.submit(ran.append, i) for i in range(5)]
    while first._claim.acquire(blocking=False):  # until the worker has taken it
        first._claim.release()
        time.sleep(0.001)
    threading.Timer(0.05, gate.set).start()
    settle([first, *rest])
    assert ran == ["first"]  # settled: the running one finished, the queued ones never ran
    time.sleep(0.05)
    assert ran == ["first"]


def test_ctrl_c_interrupts_the_wait_for_a_result():
    pool = Pool(1, "test")
    main = threading.main_thread().ident
    if main != threading.get_ident() or signal.getsignal(signal.SIGINT) is not (
        signal.default_int_handler
    ):
        pytest.skip("Ctrl-C reaches the main thread, through Python's own SIGINT handler")

    def slow():
        time.sleep(0.1)  # the caller is waiting by now (a signal just before would be lost)
        signal.pthread_kill(main, signal.SIGINT)
        time.sleep(1.0)
        return "late"

    job = pool.submit(slow)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        job.result()
    assert time.perf_counter() - start < 0.9  # raised while the job still ran
    assert job.result() == "late"


def test_in_order_keeps_order_and_bounds_blocks_in_flight():
    live, most, lock = [0], [0], threading.Lock()

    def parse(start, raw):
        with lock:
            live[0] += 1
            most[0] = max(most[0], live[0])
        time.sleep(0.001)
        with lock:
            live[0] -= 1
        return start, raw * 2

    produced = []

    def raw_blocks():
        for i in range(30):
            produced.append(i)
            yield i, i

    out = []
    for start, value in in_order(raw_blocks(), parse, threads=2):
        assert len(produced) - len(out) <= 3  # at most threads + 1 read ahead
        out.append((start, value))
    assert out == [(i, 2 * i) for i in range(30)]
    assert most[0] <= 2


def test_in_order_stopped_early_leaves_nothing_running():
    ran = []

    def parse(start, raw):
        time.sleep(0.01)
        ran.append(start)
        return start

    blocks = in_order(((i, None) for i in range(50)), parse, threads=2)
    assert next(blocks) == 0
    blocks.close()  # settles: jobs not started never run, running ones are waited for
    count = len(ran)
    time.sleep(0.05)
    assert len(ran) == count <= 4


def test_a_pool_is_shared_and_a_forked_child_gets_its_own():
    assert shared_pool(2, "test-shared") is shared_pool(2, "test-shared")
    assert shared_pool(2, "test-shared") is not shared_pool(2, "test-other")
    assert parallel._POOLS  # cleared in a forked child (os.register_at_fork)


@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_an_error_in_a_later_block_names_its_row(write, monkeypatch, threads):
    monkeypatch.setenv("CECE_THREADS", threads)
    monkeypatch.setattr(cece.io.blocks, "ROWS", 1000)  # 20 blocks
    x = np.random.default_rng(3).standard_normal(20_000).astype(np.float32)
    x[13_457] = np.nan
    y = (x > 0).astype(np.float32)
    line = run_cece("binary", write("x.npy", x), write("y.npy", y), "--from", "logits").error_line()
    assert line.endswith("x.npy: row 13457, column 0: found nan value; expected a finite number"), (
        line
    )


def test_many_blocks_give_the_same_bits_on_any_thread_count(write, monkeypatch):
    monkeypatch.setattr(cece.io.blocks, "ROWS", 997)
    rng = np.random.default_rng(11)
    px = write("x.npy", rng.standard_normal((30_000, 5)).astype(np.float32))
    py = write("y.npy", rng.integers(0, 5, 30_000))
    outs = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("CECE_THREADS", threads)
        outs.append(json.loads(run_cece("categorical", px, py, "-f", "json").out)["stats"])
    assert outs[0] == outs[1] == outs[2]


def _no_futures(modules: set[str]) -> None:
    assert "numpy" in modules  # the check sees imports at all
    assert not {m for m in modules if m.split(".")[0] in ("concurrent", "logging")}


def test_a_multi_block_npy_run_imports_neither_concurrent_futures_nor_logging(tmp_path):
    rows = 3 * cece.io.blocks.ROWS  # three blocks: the pool starts at the second
    x = np.random.default_rng(5).standard_normal(rows).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", (x > 0).astype(np.float32))
    env = {**os.environ, "CECE_THREADS": "2"}
    _no_futures(
        imported_modules(
            "-m", "cece", "binary", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "-q", env=env
        )
    )


def test_a_csv_run_parsed_in_threads_imports_neither(tmp_path):
    rng = np.random.default_rng(6)
    np.savetxt(tmp_path / "x.csv", rng.standard_normal((40_000, 4)), delimiter=",", fmt="%.6f")
    np.savetxt(tmp_path / "y.csv", rng.integers(0, 4, 40_000), fmt="%d")
    assert (tmp_path / "x.csv").stat().st_size > (1 << 20)  # parsed by the threads
    env = {**os.environ, "CECE_THREADS": "2"}
    _no_futures(
        imported_modules(
            "-m",
            "cece",
            "categorical",
            str(tmp_path / "x.csv"),
            str(tmp_path / "y.csv"),
            "-q",
            env=env,
        )
    )


def test_a_multi_block_compare_run_imports_neither(tmp_path):
    rows = 3 * cece.io.blocks.ROWS
    rng = np.random.default_rng(7)
    x = rng.standard_normal((rows, 3)).astype(np.float32)
    np.save(tmp_path / "a.npy", x)
    np.save(tmp_path / "b.npy", x + rng.standard_normal((rows, 3)).astype(np.float32) * 0.1)
    np.save(tmp_path / "y.npy", rng.integers(0, 3, rows))
    env = {**os.environ, "CECE_THREADS": "2"}
    paths = [str(tmp_path / name) for name in ("a.npy", "b.npy", "y.npy")]
    _no_futures(imported_modules("-m", "cece", "compare", *paths, "-q", env=env))
