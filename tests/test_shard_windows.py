"""Big shards cut into row windows (one task each), on Zarr chunk and engine block bounds."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_sharded import same_as_one_file

from conftest import run_cece

zarr = pytest.importorskip("zarr")


def _zarr_shards(tmp_path, rows=(1000, 350), chunk=128):
    rng = np.random.default_rng(4)
    xs, ys = [], []
    for i, n in enumerate(rows):
        x = rng.normal(size=(n, 10)).astype(np.float32)
        y = rng.integers(0, 10, n)
        z = zarr.open_array(
            str(tmp_path / f"preds-{i}.zarr"),
            mode="w",
            shape=x.shape,
            chunks=(chunk, 10),
            dtype="f4",
        )
        z[:] = x
        z = zarr.open_array(
            str(tmp_path / f"labels-{i}.zarr"),
            mode="w",
            shape=y.shape,
            chunks=(chunk,),
            dtype="i8",
        )
        z[:] = y
        xs.append(x)
        ys.append(y)
    np.save(tmp_path / "all-p.npy", np.concatenate(xs))
    np.save(tmp_path / "all-l.npy", np.concatenate(ys))
    return str(tmp_path / "preds-*.zarr"), str(tmp_path / "labels-*.zarr")


def test_zarr_shards_in_chunk_windows_are_the_whole_run(tmp_path, monkeypatch):
    preds, labels = _zarr_shards(tmp_path)
    monkeypatch.setenv("CECE_SHARD_BYTES", "10000")  # 250 rows of 40 bytes: two chunks
    run = run_cece("categorical", preds, labels, "-f", "json", "--worst", "3", "--hist")
    assert run.code == 0, run.err
    windowed = json.loads(run.out)
    whole = json.loads(
        run_cece(
            "categorical",
            tmp_path / "all-p.npy",
            tmp_path / "all-l.npy",
            "-f",
            "json",
            "--worst",
            "3",
        ).out
    )
    same_as_one_file(windowed, whole)
    shards = windowed["input"]["shards"]
    assert [s.get("window") for s in shards] == [
        [0, 256],
        [256, 512],
        [512, 768],
        [768, 1000],
        [0, 256],
        [256, 350],
    ]
    assert [s["first_row"] for s in shards] == [0, 256, 512, 768, 1000, 1256]
    assert [(w["index"], w["shard_index"]) for w in windowed["worst"]] == [
        (w["index"], w["index"] - (1000 if w["index"] >= 1000 else 0)) for w in whole["worst"]
    ]
    assert "(2 shards, 6 tasks): treating predictions as logits" in run.err


def test_an_error_in_a_window_names_the_files_row(tmp_path, monkeypatch):
    preds, labels = _zarr_shards(tmp_path)
    monkeypatch.setenv("CECE_SHARD_BYTES", "10000")
    z = zarr.open_array(str(tmp_path / "preds-0.zarr"), mode="r+")
    z[600, 4] = np.nan
    line = run_cece("categorical", preds, labels).error_line()
    assert line.startswith(f"cece: error: {tmp_path}/preds-0.zarr: row 600, column 4: ")
    assert line.endswith("(row 600 of all shards)")


def test_npy_windows_are_whole_engine_blocks(tmp_path, monkeypatch):
    """A 600,000-row float32 .npy cut at multiples of the engine's 262,144-row blocks."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(600_000, 10)).astype(np.float32)
    np.save(tmp_path / "preds-0.npy", x)
    np.save(tmp_path / "labels-0.npy", rng.integers(0, 10, len(x)))
    monkeypatch.setenv("CECE_SHARD_BYTES", str(8 << 20))
    run = run_cece("categorical", tmp_path / "preds-*.npy", tmp_path / "labels-*.npy", "-f", "json")
    assert run.code == 0, run.err
    windowed = json.loads(run.out)
    assert [s["window"] for s in windowed["input"]["shards"]] == [
        [0, 262144],
        [262144, 524288],
        [524288, 600000],
    ]
    whole = json.loads(
        run_cece(
            "categorical", tmp_path / "preds-0.npy", tmp_path / "labels-0.npy", "-f", "json"
        ).out
    )
    same_as_one_file(windowed, whole)
