"""The text parser's output buffers are reused only once no array refers to them (cece/io/reuse.py).

A reused buffer still read by an earlier block would change that block's numbers: every test
here keeps blocks, or views of them, alive while later blocks are parsed, and checks every
value against float() of the text (or the same data read from .npy).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import cece._native as kernels
from cece.io import reuse, text
from cece.io.compression import opener

from conftest import run_cece

pytestmark = pytest.mark.skipif(kernels.PARSER is None, reason="the parser is not built here")


def test_a_buffer_in_use_is_not_handed_out():
    pool = reuse.Buffers(3, keep=4)
    a = pool.take(10, 0)
    view = a[2:5, 1]  # a view of a view: its base is the buffer itself
    pool.give(a)
    del a
    b = pool.take(10, 0)
    assert not np.shares_memory(b, view)
    pool.give(b)
    del b
    del view  # now nothing refers to the first buffer, nor to the second
    c = pool.take(10, 0)
    d = pool.take(10, 0)
    assert len({c.__array_interface__["data"][0], d.__array_interface__["data"][0]}) == 2
    e = pool.take(10, 0)  # both are out: a new one
    assert not np.shares_memory(e, c) and not np.shares_memory(e, d)


def test_too_small_or_too_many():
    pool = reuse.Buffers(2, keep=1)
    small = pool.take(4, 0)
    pool.give(small)
    del small
    assert len(pool.take(100, 0)) == 100  # the unused small one is dropped, not returned
    x, y = pool.take(5, 7), pool.take(5, 0)
    assert len(x) == 7 and len(y) == 5
    pool.give(x)
    pool.give(y)
    assert len(pool._pool) == 1  # keep


def _csv(tmp_path, rows=30_000, cols=5, seed=16):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((rows, cols)).astype(np.float32)
    path = tmp_path / "logits.csv"
    path.write_text("\n".join(",".join(f"{v:.7g}" for v in r) for r in values) + "\n")
    want = np.array([[float(f"{v:.7g}") for v in r] for r in values])
    return path, want


def _table(path):
    table = text.TextTable(path.name, opener(path, None), fmt="csv", size=path.stat().st_size)
    assert not table.small
    return table


@pytest.mark.parametrize("keep", ["blocks", "views", "nothing"])
def test_blocks_kept_or_dropped(tmp_path, monkeypatch, keep):
    """64 KiB blocks parsed on threads: blocks kept whole, views of one column kept, or
    nothing kept (then the buffers go round); every value is float()'s."""
    monkeypatch.setattr(text, "BLOCK", 1 << 16)
    path, want = _csv(tmp_path)
    table = _table(path)
    held, pointers, row = [], set(), 0
    for block in table.blocks(list(range(5)), []):
        f = block.floats
        pointers.add(f.__array_interface__["data"][0])
        if keep == "blocks":
            held.append(f)
        elif keep == "views":
            held.append(f[:, 3])
        else:
            assert f.tobytes() == want[row : row + len(f)].tobytes()
        row += len(f)
    assert row == len(want) and table.parsers == {"compiled"}
    if keep == "blocks":
        assert np.concatenate(held).tobytes() == want.tobytes()
    elif keep == "views":
        assert np.concatenate(held).tobytes() == want[:, 3].copy().tobytes()
    else:
        assert len(pointers) <= table._buffers.keep  # reused: not one buffer a block
    if keep != "nothing":
        assert len(pointers) > table._buffers.keep  # none handed out while held


def test_a_run_agrees_with_the_same_numbers_from_npy(tmp_path, monkeypatch):
    """The whole pipeline on a CSV cut in 64 KiB blocks (blocks computed on threads while
    later ones are parsed) gives the per-sample losses of the same float64 values in .npy."""
    monkeypatch.setattr(text, "BLOCK", 1 << 16)
    path, want = _csv(tmp_path, rows=40_000, cols=6, seed=17)
    labels = np.random.default_rng(3).integers(0, 6, len(want))
    np.savetxt(tmp_path / "y.csv", labels, fmt="%d")
    np.save(tmp_path / "x.npy", want)
    runs = [
        run_cece("categorical", src, tmp_path / "y.csv", "--reduction", "none", "-f", "json")
        for src in (path, tmp_path / "x.npy")
    ]
    assert [r.code for r in runs] == [0, 0], runs[0].err
    a, b = (json.loads(r.out)["samples"] for r in runs)
    assert len(a) == len(want)
    assert [s["loss"] for s in a] == [s["loss"] for s in b]
