"""Row windows (cece/io/window.py): inside ``only_rows(a, b)`` every array input holds rows
[a, b) of its first axis, so a window's per-sample losses are the slice [a, b) of the whole
run's, with the labels (and sample weights) cut the same way; tables refuse a window; the
planning helpers (chunk_ranges, rows_of_url, rows_of_zarr) read headers only."""

from __future__ import annotations

import gzip
import itertools
import json
import math

import numpy as np
import pytest

from cece.io import blocks, remote, window, zarrs
from cece.io.window import chunk_ranges, only_rows, rows_of_url, whole_rows

from conftest import run_cece

RNG = np.random.default_rng(2115)
N, C = 1500, 6
LOGITS = RNG.normal(size=(N, C)).astype(np.float32)
LABELS = RNG.integers(0, C, N)
LM = RNG.normal(size=(30, 9, 5)).astype(np.float32)
LM_LABELS = RNG.integers(0, 5, size=(30, 9))
WINDOWS = [(0, 400), (400, 1100), (1100, 1500), (1450, 9000), (0, 1500)]


def records(*args: str) -> list[dict]:
    run = run_cece(*args, "-f", "jsonl")
    assert run.code == 0, run.err
    return [json.loads(line) for line in run.out.splitlines()]


def check_windows(args: list[str], samples: int = 1, windows=WINDOWS) -> None:
    """Each window's records are the whole run's rows [a·s, b·s) (s samples a first-axis
    row): the same loss bits and the same targets."""
    whole = records(*args)
    for a, b in windows:
        with only_rows(a, b):
            part = records(*args)
        want = whole[a * samples : b * samples]
        assert [r["loss"] for r in part] == [r["loss"] for r in want], (a, b)
        for key in ("target", "weight"):
            if key in whole[0]:
                assert [r[key] for r in part] == [r[key] for r in want], (a, b, key)


def _safetensors(path, tensors):
    from test_remote import safetensors_bytes

    path.write_bytes(safetensors_bytes(tensors))


@pytest.mark.parametrize(
    "form", ["npy", "npy Fortran", "npy.gz", "npz", "safetensors", "npy bfloat16 bits", "pt"]
)
def test_local_arrays_in_a_window(tmp_path, form):
    p, labels = tmp_path / "p", str(tmp_path / "l.npy")
    np.save(labels, LABELS)
    extra: list[str] = []
    if form == "npy":
        np.save(f"{p}.npy", LOGITS)
        preds = f"{p}.npy"
    elif form == "npy Fortran":
        np.save(f"{p}.npy", np.asfortranarray(LOGITS))
        preds = f"{p}.npy"
    elif form == "npy.gz":
        np.save(f"{p}.npy", LOGITS)
        (tmp_path / "p.npy.gz").write_bytes(gzip.compress((tmp_path / "p.npy").read_bytes()))
        preds = f"{p}.npy.gz"
    elif form == "npz":
        np.savez(f"{p}.npz", logits=LOGITS, labels=LABELS)
        preds, labels = f"{p}.npz:logits", f"{p}.npz:labels"
    elif form == "safetensors":
        _safetensors(tmp_path / "m.safetensors", {"x": ("F32", LOGITS), "y": ("I64", LABELS)})
        preds, labels = f"{tmp_path}/m.safetensors:x", f"{tmp_path}/m.safetensors:y"
    elif form == "pt":
        torch = pytest.importorskip("torch")
        torch.save({"x": torch.from_numpy(LOGITS), "y": torch.from_numpy(LABELS)}, f"{p}.pt")
        preds, labels = f"{p}.pt:x", f"{p}.pt:y"
    else:
        np.save(f"{p}.npy", (LOGITS.view(np.uint32) >> 16).astype(np.uint16))
        preds, extra = f"{p}.npy", ["--dtype", "bfloat16"]
    check_windows(["categorical", preds, labels, *extra])


def test_a_memory_map_window_maps_just_its_rows(tmp_path):
    from cece.io import readers

    np.save(tmp_path / "p.npy", LOGITS)
    with only_rows(100, 250):
        data = readers.load(readers.resolve(str(tmp_path / "p.npy")))
    assert isinstance(data.array, np.memmap) and data.array.shape == (150, C)
    assert data.array.offset == 128 + 100 * C * 4
    np.testing.assert_array_equal(data.array, LOGITS[100:250])


def test_language_model_dumps_window_whole_sequences(tmp_path):
    np.save(tmp_path / "p.npy", LM)
    np.save(tmp_path / "l.npy", LM_LABELS)
    args = ["categorical", str(tmp_path / "p.npy"), str(tmp_path / "l.npy")]
    check_windows(args, samples=9, windows=[(0, 7), (7, 30), (29, 40)])


def test_binary_with_sample_weights_stays_aligned(tmp_path):
    probs = RNG.uniform(0.02, 0.98, size=(N, 3))
    np.save(tmp_path / "p.npy", probs)
    np.save(tmp_path / "t.npy", RNG.integers(0, 2, size=(N, 3)).astype(np.float64))
    np.save(tmp_path / "w.npy", RNG.uniform(0.5, 2.0, N))
    args = ["binary", *(str(tmp_path / f) for f in ("p.npy", "t.npy")), "--sample-weight"]
    check_windows([*args, str(tmp_path / "w.npy")])


def test_class_weights_are_never_windowed(tmp_path):
    """--weight FILE and --pos-weight FILE hold one number a class: read whole in a window."""
    np.save(tmp_path / "p.npy", LOGITS)
    np.save(tmp_path / "l.npy", LABELS)
    np.save(tmp_path / "cw.npy", RNG.uniform(0.5, 2.0, C))
    args = ["categorical", str(tmp_path / "p.npy"), str(tmp_path / "l.npy")]
    check_windows([*args, "--weight", str(tmp_path / "cw.npy")], windows=[(0, 3), (3, 700)])
    probs = RNG.uniform(0.02, 0.98, size=(N, 3))
    np.save(tmp_path / "bp.npy", probs)
    np.save(tmp_path / "bt.npy", RNG.integers(0, 2, size=(N, 3)).astype(np.float64))
    np.save(tmp_path / "pw.npy", np.array([0.5, 2.0, 3.0]))
    np.save(tmp_path / "rs.npy", np.array([[1.5, 0.5, 2.0]]))
    args = ["binary", str(tmp_path / "bp.npy"), str(tmp_path / "bt.npy")]
    args += ["--pos-weight", str(tmp_path / "pw.npy"), "--rescale", str(tmp_path / "rs.npy")]
    check_windows(args, windows=[(0, 3), (3, 900)])


@pytest.mark.parametrize("whole", [True, False])
def test_remote_npy_in_a_window_reads_only_its_rows(tmp_path, monkeypatch, whole):
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    root = "/cece-window"
    for name, arr in (("p.npy", LOGITS), ("l.npy", LABELS)):
        np.save(tmp_path / name, arr)
        fs.pipe_file(f"{root}/{name}", (tmp_path / name).read_bytes())
    if not whole:
        monkeypatch.setattr(remote, "WHOLE", 0)
    check_windows(["categorical", f"memory://{root}/p.npy", f"memory://{root}/l.npy"])
    if whole:
        return
    asked = []
    cls = type(fs)
    original = cls.cat_file

    def cat_file(self, path, start=None, end=None, **kw):
        asked.append((path, start, end))
        return original(self, path, start=start, end=end, **kw)

    monkeypatch.setattr(cls, "cat_file", cat_file)
    with only_rows(1000, 1200):
        records("categorical", f"memory://{root}/p.npy", f"memory://{root}/l.npy")
    rows = [(s, e) for p, s, e in asked if p.endswith("p.npy") and s >= 128]
    assert rows and min(s for s, _ in rows) == 128 + 1000 * C * 4
    assert max(e for _, e in rows) == 128 + 1200 * C * 4
    fs.rm(root, recursive=True)


@pytest.mark.parametrize("lazy", [True, False])
def test_zarr_in_a_window(tmp_path, monkeypatch, lazy):
    pytest.importorskip("zarr")
    from test_zarr_input import _array

    if lazy:
        monkeypatch.setattr(zarrs, "WHOLE", 0)
    _array(str(tmp_path / "p.zarr"), LOGITS, (128, 4))
    np.save(tmp_path / "l.npy", LABELS)
    check_windows(["categorical", str(tmp_path / "p.zarr"), str(tmp_path / "l.npy")])


def test_a_window_on_a_table_is_one_line(tmp_path):
    np.save(tmp_path / "p.npy", LOGITS)
    (tmp_path / "l.csv").write_text("".join(f"{y}\n" for y in LABELS))
    with only_rows(0, 10):
        run = run_cece("categorical", str(tmp_path / "p.npy"), str(tmp_path / "l.csv"))
    assert run.error_line() == (
        f"cece: error: {tmp_path / 'l.csv'}: a row window (rows 0..9) applies to array inputs "
        "only (.npy, .npz, .safetensors, .pt, Zarr); this is a table"
    )


def test_a_window_past_the_end_holds_no_samples(tmp_path):
    np.save(tmp_path / "p.npy", LOGITS)
    np.save(tmp_path / "l.npy", LABELS)
    with only_rows(N + 5, N + 10):
        run = run_cece("categorical", str(tmp_path / "p.npy"), str(tmp_path / "l.npy"))
    assert run.error_line() == (
        f"cece: error: {tmp_path / 'p.npy'}: no samples: shape (0, {C}); expected at least one row"
    )


def test_windows_nest_and_whole_rows_suspends_them():
    from cece.io.lazy import WINDOW

    with only_rows(5, 9):
        assert WINDOW.get() == (5, 9)
        with whole_rows():
            assert WINDOW.get() is None
        with only_rows(1, 2):
            assert WINDOW.get() == (1, 2)
        assert WINDOW.get() == (5, 9)
    assert WINDOW.get() is None
    with pytest.raises(ValueError, match="0 <= start <= stop"), only_rows(3, 2):
        pass


# -- planning: chunk_ranges, rows_of_url ---------------------------------------------------


def _covers(ranges, rows):
    assert ranges[0][0] == 0 and ranges[-1][1] == rows
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))


def test_npy_ranges_fall_on_whole_engine_blocks(tmp_path):
    x = np.zeros((1_000_000, 10), np.float32)
    np.save(tmp_path / "p.npy", x)
    block = blocks.rows_per_block(10, 4)
    ranges = chunk_ranges(str(tmp_path / "p.npy"), 5 << 20)
    _covers(ranges, len(x))
    assert all(a % block == 0 for a, _ in ranges)
    assert all(abs((b - a) * 40 - (5 << 20)) <= block * 40 for a, b in ranges[:-1])
    assert chunk_ranges(str(tmp_path / "p.npy"), 1) == [
        (a, min(a + block, len(x))) for a in range(0, len(x), block)
    ]
    assert chunk_ranges(str(tmp_path / "p.npy"), 1, block_rows=1000)[1] == (1000, 2000)


def test_language_model_ranges_hold_whole_blocks_of_whole_sequences(tmp_path):
    np.save(tmp_path / "p.npy", np.zeros((64, 12, 7), np.float32))
    block = blocks.rows_per_block(7, 4)
    unit = block // math.gcd(block, 12)
    ranges = chunk_ranges(str(tmp_path / "p.npy"), 1)
    assert ranges[0] == (0, min(64, unit))
    assert chunk_ranges(str(tmp_path / "p.npy"), 1, block_rows=8)[:2] == [(0, 2), (2, 4)]


def test_bfloat16_ranges_count_float32_blocks(tmp_path):
    np.save(tmp_path / "p.npy", np.zeros((10, 1000), np.uint16))
    assert chunk_ranges(str(tmp_path / "p.npy"), 1)[0] == (
        0,
        min(10, blocks.rows_per_block(1000, 4)),
    )


def test_safetensors_and_zarr_ranges(tmp_path):
    _safetensors(tmp_path / "m.safetensors", {"x": ("F32", LOGITS), "y": ("I64", LABELS)})
    ranges = chunk_ranges(f"{tmp_path}/m.safetensors:x", 1, block_rows=500)
    assert ranges == [(0, 500), (500, 1000), (1000, 1500)]
    pytest.importorskip("zarr")
    from test_zarr_input import _array

    _array(str(tmp_path / "p.zarr"), LOGITS, (97, 6))
    ranges = chunk_ranges(str(tmp_path / "p.zarr"), 97 * 24 * 3)
    _covers(ranges, N)
    assert all(a % 97 == 0 for a, _ in ranges) and ranges[0] == (0, 291)


def test_tables_have_no_ranges(tmp_path):
    (tmp_path / "p.csv").write_text("1,2\n3,4\n")
    assert chunk_ranges(str(tmp_path / "p.csv"), 1 << 20) is None
    assert chunk_ranges("[[1, 2], [3, 4]]", 1 << 20) is None


def test_rows_from_headers_behind_urls(tmp_path, monkeypatch):
    fsspec = pytest.importorskip("fsspec")
    pa = pytest.importorskip("pyarrow")
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    fs = fsspec.filesystem("memory")
    root = "/cece-rows"
    np.save(tmp_path / "p.npy", LOGITS)
    _safetensors(tmp_path / "m.safetensors", {"x": ("F32", LM), "y": ("I64", LABELS)})
    table = pa.table({"a": np.arange(77.0), "b": np.arange(77)})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=10)
    feather.write_feather(table, tmp_path / "t.feather", chunksize=20)
    (tmp_path / "t.csv").write_text("1,2\n")
    np.savez(tmp_path / "z.npz", a=LOGITS, b=LM)
    for name in ("p.npy", "m.safetensors", "t.parquet", "t.feather", "t.csv", "z.npz"):
        fs.pipe_file(f"{root}/{name}", (tmp_path / name).read_bytes())
    asked = []
    cls = type(fs)
    original = cls.cat_file

    def cat_file(self, path, start=None, end=None, **kw):
        asked.append((path, start, end))
        return original(self, path, start=start, end=end, **kw)

    monkeypatch.setattr(cls, "cat_file", cat_file)
    assert rows_of_url(f"memory://{root}/p.npy") == N
    assert all(e is not None and e <= remote.PEEK for _, _, e in asked)  # the header only
    assert rows_of_url(f"memory://{root}/m.safetensors:x") == LM.shape[0]
    assert rows_of_url(f"memory://{root}/m.safetensors:y") == N
    assert rows_of_url(f"memory://{root}/t.parquet") == 77
    assert rows_of_url(f"memory://{root}/t.feather") == 77
    assert rows_of_url(f"memory://{root}/t.csv") is None
    assert rows_of_url(f"memory://{root}/z.npz:b") == LM.shape[0]
    assert rows_of_url(f"memory://{root}/z.npz:a") == N
    assert rows_of_url(f"memory://{root}/z.npz") is None  # two members: which?
    assert window.chunk_ranges(f"memory://{root}/p.npy", 1, block_rows=600) == [
        (0, 600),
        (600, 1200),
        (1200, 1500),
    ]
    fs.rm(root, recursive=True)


def test_a_window_never_cuts_classes(tmp_path):
    """One sample as a 1-D array, or --class-axis 0: the first axis holds classes."""
    np.save(tmp_path / "one.npy", LOGITS[0])
    np.save(tmp_path / "cf.npy", LOGITS.T.copy())
    np.save(tmp_path / "l.npy", LABELS)
    with only_rows(0, 3):
        run = run_cece("categorical", str(tmp_path / "one.npy"), "[0]")
        assert run.error_line() == (
            f"cece: error: {tmp_path / 'one.npy'}: its first axis holds classes (one sample, or "
            "--class-axis 0), which a row window would cut; windows need samples along the "
            "first axis"
        )
        run = run_cece(
            "categorical", str(tmp_path / "cf.npy"), str(tmp_path / "l.npy"), "--class-axis", "0"
        )
        assert run.error_line() == (
            f"cece: error: {tmp_path / 'cf.npy'}: its first axis holds classes (one sample, or "
            "--class-axis 0), which a row window would cut; windows need samples along the "
            "first axis"
        )
