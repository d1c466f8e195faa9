"""The engine's workers drop a computed block's pages (cece.io.arrays.release_block): only
whole pages inside the block's views, only of the read-only maps NpyRows opened, and the
values read afterwards are the file's (the pages come back from the page cache)."""

from __future__ import annotations

import mmap

import numpy as np
import pytest

from cece.io import arrays
from cece.io.arrays import NpyRows, release_block

from conftest import run_cece

PAGE = mmap.PAGESIZE


class Recording(mmap.mmap):
    """An anonymous map that records what is dropped from it."""

    def __new__(cls, size: int):
        self = super().__new__(cls, -1, size)
        self.dropped: list[tuple[int, int]] = []
        return self

    def madvise(self, option, start=0, length=None):  # type: ignore[override]
        self.dropped.append((start, length))
        return super().madvise(option, start, length)


@pytest.fixture
def recording():
    m = Recording(16 * PAGE)
    arrays._READ_MAPS.add(m)
    yield m
    arrays._READ_MAPS.discard(m)


def test_whole_pages_inside_the_view_only(recording):
    x = np.frombuffer(recording, np.uint8)
    release_block([x[100 : 3 * PAGE + 5]])  # pages 1 and 2 lie wholly inside
    release_block([x[PAGE + 1 : 2 * PAGE + 10]])  # no whole page
    release_block([x[4 * PAGE : 6 * PAGE]])  # exactly two pages
    assert recording.dropped == [(PAGE, 2 * PAGE), (4 * PAGE, 2 * PAGE)]


def test_the_span_of_strided_views(recording):
    rows = np.frombuffer(recording, np.float32).reshape(-1, 64)  # 256 bytes a row
    column = rows[16:64, 5]  # rows 16..63: bytes 4096 + 20 up to 16384 - 232
    release_block([column])
    assert recording.dropped == [(2 * PAGE, PAGE)]  # pages 1 and 3 only partly
    recording.dropped.clear()
    release_block([rows[63:15:-1, 5]])  # the same rows backwards
    assert recording.dropped == [(2 * PAGE, PAGE)]
    recording.dropped.clear()
    release_block([rows[16:64]])  # whole rows: pages 1 to 3
    assert recording.dropped == [(PAGE, 3 * PAGE)]


def test_other_arrays_are_left_alone(tmp_path):
    plain = np.arange(10 * PAGE, dtype=np.uint8)
    other = mmap.mmap(-1, 8 * PAGE)
    other[:] = b"\1" * (8 * PAGE)
    np.save(tmp_path / "x.npy", np.arange(4 * PAGE, dtype=np.float64))
    numpys = np.load(tmp_path / "x.npy", mmap_mode="r")  # numpy's own map, not NpyRows'
    release_block([plain, np.frombuffer(other, np.uint8), numpys, plain[:0]])
    assert plain.sum() == np.arange(10 * PAGE, dtype=np.uint8).sum()
    assert other[:] == b"\1" * (8 * PAGE)  # an anonymous map would have been zeroed
    assert float(numpys[-1]) == 4 * PAGE - 1


def _rss_file_kb() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("RssFile:"))


@pytest.mark.skipif(not hasattr(mmap, "MADV_DONTNEED"), reason="no madvise here")
def test_a_block_read_again_after_its_release(tmp_path):
    data = np.random.default_rng(0).normal(size=(1 << 16, 64)).astype(np.float32)  # 16 MiB
    np.save(tmp_path / "x.npy", data)
    reader = NpyRows.of(np.load(tmp_path / "x.npy", mmap_mode="r"), 64, (64,))
    assert isinstance(reader, NpyRows)
    block = next(reader.blocks(1 << 16))
    before = _rss_file_kb()
    assert float(block.sum(dtype=np.float64)) == float(data.sum(dtype=np.float64))  # touched
    touched = _rss_file_kb()
    release_block([block])
    dropped = _rss_file_kb()
    assert touched - before > 12_000 and touched - dropped > 12_000  # KiB: the 16 MiB
    np.testing.assert_array_equal(block, data)  # faulted in again from the page cache


def test_the_engine_drops_each_block_it_computed(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300_000, 10)).astype(np.float32)  # two blocks
    y = rng.integers(0, 10, 300_000)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    seen: list[list[int]] = []
    real = arrays.release_block
    monkeypatch.setattr(
        arrays, "release_block", lambda a: seen.append([len(v) for v in a]) or real(a)
    )
    run = run_cece("categorical", tmp_path / "x.npy", tmp_path / "y.npy", "-q")
    assert run.code == 0, run.err
    assert sorted(seen) == [[300_000 - (1 << 18)] * 2, [1 << 18] * 2]  # preds and labels
    x64 = x.astype(np.float64)
    m = x64.max(axis=1)
    nll = m + np.log(np.exp(x64 - m[:, None]).sum(axis=1)) - x64[np.arange(len(y)), y]
    assert float(run.out) == pytest.approx(float(nll.mean()), rel=1e-9)
