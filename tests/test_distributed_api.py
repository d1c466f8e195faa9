"""cece.distributed: the per-shard function and the fold, as another engine would use them."""

from __future__ import annotations

import json
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from test_sharded import write_shards

from cece import distributed
from cece.errors import InputError, OptionError

from conftest import run_cece


def test_parts_computed_anywhere_combine_into_the_clis_document(tmp_path):
    preds, labels = write_shards(tmp_path, [70, 5, 40], classes=4)
    job = distributed.job("categorical", kind="logits", weight=(1.0, 2.0, 0.5, 1.0), worst=3)
    shards = distributed.shards(preds, labels)
    assert [s.index for s in shards] == [0, 1, 2] and [s.rows for s in shards] == [70, 5, 40]
    with ProcessPoolExecutor(2) as pool:  # parts cross a process boundary, as on Ray or Spark
        parts = list(pool.map(distributed.compute_shard, [job] * 3, shards))
    names = {"preds": preds, "labels": labels}
    doc = distributed.combine(job, parts[::-1], names=names)  # any order: in shard order
    cli = run_cece(
        "categorical",
        preds,
        labels,
        "--from",
        "logits",
        "-w",
        "1,2,0.5,1",
        "--worst",
        "3",
        "-f",
        "json",
    )
    expected = json.loads(cli.out)
    assert doc["stats"] == expected["stats"] and doc["summary"] == expected["summary"]
    assert doc["options"] == expected["options"]
    assert (doc["input"]["preds"], doc["input"]["labels"]) == (preds, labels)
    assert doc["worst"] == expected["worst"]
    assert doc["input"]["engine"] == {"name": "custom", "tasks": 3}


def test_a_part_is_picklable_and_its_error_is_data(tmp_path):
    preds, labels = write_shards(tmp_path, [6, 6])
    bad = np.load(tmp_path / "preds-1.npy")
    bad[2, 0] = np.inf
    np.save(tmp_path / "preds-1.npy", bad)
    job = distributed.job("categorical")
    parts = [distributed.compute_shard(job, s) for s in distributed.shards(preds, labels)]
    part = pickle.loads(pickle.dumps(parts[1]))
    assert isinstance(part.error, InputError) and part.result is None
    with pytest.raises(
        InputError, match=r"preds-1.npy: row 2, column 0: .*\(row 8 of all shards\)"
    ):
        distributed.combine(job, parts)


def test_one_file_is_one_shard_and_unknown_commands_are_refused(tmp_path):
    write_shards(tmp_path, [9])
    shards = distributed.shards(str(tmp_path / "preds-0.npy"), str(tmp_path / "labels-0.npy"))
    assert len(shards) == 1 and shards[0].rows == 9
    with pytest.raises(OptionError, match="no command 'softmax'"):
        distributed.job("softmax")
