"""Zarr arrays as inputs (cece/io/zarrs.py): v2 and v3, chunked unevenly, in a group
(``store.zarr:name``), local and behind URLs: the bits of the .npy run of the same values, read
by whole chunks; one line for a group, a missing member, or zarr not installed."""

from __future__ import annotations

import json
import sys
import uuid

import numpy as np
import pytest

from conftest import run_cece

zarr = pytest.importorskip("zarr")

from cece.io import zarrs  # noqa: E402

RNG = np.random.default_rng(21)
LOGITS = RNG.normal(size=(2003, 9)).astype(np.float32)
LABELS = RNG.integers(0, 9, len(LOGITS))
LM = RNG.normal(size=(23, 17, 6)).astype(np.float32)
LM_LABELS = RNG.integers(0, 6, size=(23, 17))


ZARR2 = int(zarr.__version__.split(".")[0]) < 3  # writes format 2 only (the lowest versions)


def _array(store, values: np.ndarray, chunks: tuple[int, ...], fmt: int = 2):
    """A Zarr array written by zarr 2 or 3 (format 3 needs zarr 3)."""
    if ZARR2:
        if fmt == 3:
            pytest.skip("zarr 2 writes format 2 only")
        z = zarr.open_array(store, mode="w", shape=values.shape, chunks=chunks, dtype=values.dtype)
    else:
        z = zarr.create_array(
            store, shape=values.shape, chunks=chunks, dtype=values.dtype, zarr_format=fmt
        )
    z[...] = values
    return z


def _group(store, fmt: int = 2):
    if ZARR2:
        if fmt == 3:
            pytest.skip("zarr 2 writes format 2 only")
        return zarr.open_group(store, mode="w")
    return zarr.open_group(store, mode="w", zarr_format=fmt)


def _member(group, name: str, values: np.ndarray, chunks: tuple[int, ...] | None = None):
    chunks = chunks or values.shape
    if ZARR2:
        z = group.create(name, shape=values.shape, chunks=chunks, dtype=values.dtype)
    else:
        z = group.create_array(name, shape=values.shape, chunks=chunks, dtype=values.dtype)
    z[...] = values
    return z


def document(*args: str) -> dict:
    run = run_cece(*args, "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    doc.pop("environment", None)
    for key in ("preds", "labels", "fingerprint"):
        doc["input"].pop(key, None)
    return doc


@pytest.fixture(params=["whole", "chunks"])
def reads(request, monkeypatch):
    """Small arrays are read at once; "chunks" makes every array go chunk by chunk."""
    if request.param == "chunks":
        monkeypatch.setattr(zarrs, "WHOLE", 0)
    return request.param


@pytest.mark.parametrize("fmt", [2, 3])
def test_uneven_chunks_give_the_npy_bits(tmp_path, fmt, reads):
    """Chunks of 97 rows (not dividing 2003) and 4 of 9 columns: the .npy run's document."""
    np.save(tmp_path / "p.npy", LOGITS)
    np.save(tmp_path / "l.npy", LABELS)
    _array(str(tmp_path / "p.zarr"), LOGITS, (97, 4), fmt)
    _array(str(tmp_path / "l.zarr"), LABELS, (300,), fmt)
    want = document("categorical", str(tmp_path / "p.npy"), str(tmp_path / "l.npy"))
    assert document("categorical", str(tmp_path / "p.zarr"), str(tmp_path / "l.zarr")) == want
    mixed = document("categorical", str(tmp_path / "p.zarr"), str(tmp_path / "l.npy"))
    assert mixed == want


@pytest.mark.parametrize("fmt", [2, 3])
def test_arrays_of_a_group_by_name(tmp_path, fmt, reads):
    """``store.zarr:logits`` as ``file.npz:logits``; a nested member by its path."""
    np.save(tmp_path / "p.npy", LM)
    np.save(tmp_path / "l.npy", LM_LABELS)
    group = _group(str(tmp_path / "s.zarr"), fmt)
    _member(group, "logits", LM, (5, 17, 6))
    _member(group.create_group("targets"), "labels", LM_LABELS, (4, 5))
    want = document("categorical", str(tmp_path / "p.npy"), str(tmp_path / "l.npy"))
    store = str(tmp_path / "s.zarr")
    assert document("categorical", f"{store}:logits", f"{store}:targets/labels") == want


@pytest.mark.parametrize("scheme", ["memory", "file"])
def test_zarr_behind_a_url(tmp_path, scheme, reads):
    pytest.importorskip("fsspec")
    np.save(tmp_path / "p.npy", LOGITS)
    np.save(tmp_path / "l.npy", LABELS)
    # written through the URL (memory), or as local paths and read through file://
    where = f"memory://cece-zarr-{uuid.uuid4().hex}" if scheme == "memory" else str(tmp_path)
    base = where if scheme == "memory" else f"file://{tmp_path}"
    _array(f"{where}/p.zarr", LOGITS, (211, 9), 2 if ZARR2 else 3)
    _member(_group(f"{where}/g.zarr", 2), "labels", LABELS, (500,))
    want = document("categorical", str(tmp_path / "p.npy"), str(tmp_path / "l.npy"))
    assert document("categorical", f"{base}/p.zarr", f"{base}/g.zarr:labels") == want


def test_each_chunk_is_read_once(tmp_path, monkeypatch):
    """Blocks that straddle chunk boundaries: every read is whole chunks of rows, and each
    chunk is read once (the last span is kept)."""
    monkeypatch.setattr(zarrs, "WHOLE", 0)
    x = RNG.normal(size=(50_000, 40)).astype(np.float32)
    y = RNG.integers(0, 40, len(x))
    _array(str(tmp_path / "p.zarr"), x, (7_001, 40))
    np.save(tmp_path / "p.npy", x)
    np.save(tmp_path / "l.npy", y)
    spans: list[tuple[int, int]] = []
    original = zarrs.ChunkRows._rows

    def rows(self, lo, hi):
        spans.append((lo, hi))
        return original(self, lo, hi)

    monkeypatch.setattr(zarrs.ChunkRows, "_rows", rows)
    monkeypatch.setattr("cece.io.blocks.BLOCK_BYTES", 1 << 20)  # blocks of 6553 rows
    want = document("categorical", str(tmp_path / "p.npy"), str(tmp_path / "l.npy"))
    assert document("categorical", str(tmp_path / "p.zarr"), str(tmp_path / "l.npy")) == want
    assert spans and all(lo % 7_001 == 0 and (hi % 7_001 == 0 or hi == 50_000) for lo, hi in spans)
    chunks = [c for lo, hi in spans for c in range(lo // 7_001, -(-hi // 7_001))]
    assert sorted(chunks) == list(range(8))  # every chunk, once


def test_a_group_without_a_name_is_one_line(tmp_path):
    group = _group(str(tmp_path / "s.zarr"))
    _member(group, "logits", np.zeros((3, 2), "f4"))
    _member(group, "labels", np.zeros(3, "i8"))
    store = str(tmp_path / "s.zarr")
    run = run_cece("categorical", store)
    assert run.error_line() == (
        f"cece: error: {store}: is a Zarr group, not an array (2 arrays: labels, logits); "
        "say which one"
    )
    assert run.err_lines[-1] == f"  hint: use {store}:labels"


def test_a_member_that_is_a_group_or_missing_is_one_line(tmp_path):
    group = _group(str(tmp_path / "s.zarr"))
    _member(group.create_group("sub"), "x", np.zeros((3, 2), "f4"))
    _member(group, "labels", np.zeros(3, "i8"))
    store = str(tmp_path / "s.zarr")
    run = run_cece("categorical", f"{store}:sub")
    assert run.error_line() == (
        f"cece: error: {store}:sub: is a Zarr group, not an array (1 arrays: x); say which one"
    )
    run = run_cece("categorical", f"{store}:nope")
    assert run.error_line() == f"cece: error: {store}:nope: has no array 'nope'; it has labels"


def test_an_array_given_a_name_is_one_line(tmp_path):
    _array(str(tmp_path / "p.zarr"), LOGITS[:10], (5, 9))
    run = run_cece("categorical", f"{tmp_path / 'p.zarr'}:x", "[0]")
    assert run.error_line() == (
        f"cece: error: {tmp_path / 'p.zarr'}:x: ':x' selects an array in a Zarr group; "
        "this is an array"
    )


def test_without_zarr_one_line_names_the_extra(tmp_path, monkeypatch):
    _array(str(tmp_path / "p.zarr"), LOGITS[:10], (5, 9), 2)
    monkeypatch.setitem(sys.modules, "zarr", None)
    run = run_cece("categorical", str(tmp_path / "p.zarr"), "[0]")
    assert run.error_line() == (
        f"cece: error: {tmp_path / 'p.zarr'}: reading Zarr arrays needs zarr: "
        "pip install 'cece[zarr]'"
    )


def test_a_directory_that_is_not_zarr_is_still_refused(tmp_path):
    (tmp_path / "d").mkdir()
    run = run_cece("categorical", str(tmp_path / "d"), "[0]")
    assert run.error_line() == f"cece: error: {tmp_path / 'd'}: is a directory; expected a file"


def test_rows_and_chunks_from_the_metadata(tmp_path):
    from cece.io import window

    _array(str(tmp_path / "p.zarr"), LOGITS, (97, 4), 2)
    assert window.rows_of_zarr(str(tmp_path / "p.zarr")) == len(LOGITS)
    assert zarrs.layout(str(tmp_path / "p.zarr"), "p", None) == (LOGITS.shape, LOGITS.dtype, 97)
    assert window.rows_of_zarr(str(tmp_path)) is None


def test_class_names_in_a_zarr_array(tmp_path):
    names = np.array(["cat", "dog", "pig"])
    labels = names[LABELS[:50] % 3]
    np.save(tmp_path / "p.npy", LOGITS[:50, :3])
    np.save(tmp_path / "l.npy", labels)
    if ZARR2:
        z = zarr.open_array(str(tmp_path / "l.zarr"), mode="w", shape=(50,), dtype=labels.dtype)
    else:
        z = zarr.create_array(str(tmp_path / "l.zarr"), shape=(50,), dtype=str)
    z[...] = labels
    args = ["--classes", "cat,dog,pig"]
    want = document("categorical", str(tmp_path / "p.npy"), str(tmp_path / "l.npy"), *args)
    got = document("categorical", str(tmp_path / "p.npy"), str(tmp_path / "l.zarr"), *args)
    assert got == want
