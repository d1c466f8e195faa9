"""Readers and column handling: every format gives the same numbers, headers are recognised,
float32 stays float32, and the pandas parser agrees with the pure-Python one."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma

import numpy as np
import pytest

import cece.io.blocks
import cece.io.inputs
import cece.io.text
from cece.io import arrow, blocks, inputs

import golden as G
from conftest import run_cece

CSV = "cat,dog,pig\n1,2,3\n2,4,6\n"


def loss(*args, stdin=None) -> float:
    run = run_cece("categorical", *args, "-q", stdin=stdin)
    assert run.code == 0, run.err
    return float(run.out)


@pytest.mark.parametrize(
    "name, content",
    [
        ("p.csv", CSV),
        ("p.tsv", CSV.replace(",", "\t")),
        ("p.txt", CSV.replace(",", " ")),
        ("p.txt", "  1   2   3\n  2 4 6\n"),
        ("p.csv", "# written by numpy.savetxt\n# cat dog pig\n1,2,3\n2,4,6\n"),
        ("p.csv", "\ufeffcat,dog,pig\r\n1,2,3\r\n2,4,6\r\n\r\n\n"),
        ("p.csv", '"cat","dog","pig"\n"1","2","3"\n2,4,6\n'),
        ("p.csv", "1;2;3\n2;4;6\n"),
        ("p.csv", ",cat,dog,pig\n0,1,2,3\n1,2,4,6\n"),  # DataFrame.to_csv's index column
        ("p", CSV),
    ],
)
def test_text_tables(name, content, write, parser):
    assert loss(write(name, content), "[0,2]") == pytest.approx(G.A2_MEAN, rel=1e-15)


@pytest.mark.parametrize(
    "suffix, compress", [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)]
)
def test_compressed_text(suffix, compress, write, parser):
    path = write("p.csv" + suffix, compress(CSV.encode()))
    assert loss(path, "[0,2]") == pytest.approx(G.A2_MEAN, rel=1e-15)


def test_zstd(write):
    zstandard = pytest.importorskip("zstandard")
    path = write("p.csv.zst", zstandard.ZstdCompressor().compress(CSV.encode()))
    assert loss(path, "[0,2]") == pytest.approx(G.A2_MEAN, rel=1e-15)


def test_npy_npz_json_and_literals(write, tmp_path):
    np.savez(tmp_path / "d.npz", logits=G.CASE_A_LOGITS, labels=G.CASE_A_LABELS)
    np.savez_compressed(tmp_path / "one.npz", G.CASE_A_LOGITS)
    cases = [
        (write("x.npy", G.CASE_A_LOGITS), write("y.npy", G.CASE_A_LABELS)),
        (f"{tmp_path}/d.npz:logits", f"{tmp_path}/d.npz:labels"),
        (str(tmp_path / "one.npz"), "[0,2]"),
        (write("x.json", "[[1,2,3],[2,4,6]]"), "[0, 2]"),
        ("[[1,2,3],[2,4,6]]", '["cat", "pig"]', "--classes", "cat,dog,pig"),
    ]
    for args in cases:
        assert loss(*args) == pytest.approx(G.A2_MEAN, rel=1e-15), args


def test_parquet_and_feather(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.feather
    import pyarrow.parquet

    table = pa.table(
        {"cat": [1.0, 2.0], "dog": [2.0, 4.0], "pig": [3.0, 6.0], "label": ["cat", "pig"]}
    )
    pyarrow.parquet.write_table(table, tmp_path / "p.parquet")
    pyarrow.feather.write_feather(table, tmp_path / "p.feather")
    for name in ("p.parquet", "p.feather"):
        assert loss(str(tmp_path / name), "--label-col", "label") == pytest.approx(G.A2_MEAN)
    f32 = pa.table({"a": pa.array([1, 2], pa.float32()), "b": pa.array([2, 4], pa.float32())})
    pyarrow.parquet.write_table(f32, tmp_path / "f.parquet")
    block = next(arrow.ArrowTable.open(tmp_path / "f.parquet", "f", "parquet").blocks([0, 1], []))
    assert block.floats.dtype == np.float32


def test_stdin_text_and_npy(tmp_path):
    assert loss("-", "[0,2]", stdin=CSV.encode()) == pytest.approx(G.A2_MEAN, rel=1e-15)
    np.save(tmp_path / "x.npy", G.CASE_A_LOGITS)
    data = (tmp_path / "x.npy").read_bytes()
    assert loss("-", "[0,2]", "--stdin-format", "npy", stdin=data) == pytest.approx(G.A2_MEAN)
    assert loss("-", "[0,2]", stdin=data) == pytest.approx(G.A2_MEAN)  # recognised by magic
    assert loss("[[1,2,3],[2,4,6]]", "-", stdin=b"label\n0\n2\n") == pytest.approx(G.A2_MEAN)


def test_float32_stays_float32_and_memory_maps(write):
    x = G.CASE_A_LOGITS.astype(np.float32)
    preds = inputs.open_predictions(write("x.npy", x))
    assert preds.dtype == np.float32
    assert isinstance(preds.source.data.array, np.memmap)
    block = next(blocks.source_blocks(preds.source, 10))["preds"]
    assert block.dtype == np.float32


def test_header_rules():
    table = cece.io.text.TextTable(
        "t", lambda: __import__("io").BytesIO(b"0.1,0.2,cat\n0.3,0.4,dog\n"), fmt="csv", size=30
    )
    assert table.header is None  # a text column under data is data, not a header
    table = cece.io.text.TextTable(
        "t", lambda: __import__("io").BytesIO(b"a,b\n1,2\n"), fmt="csv", size=10
    )
    assert table.header == ["a", "b"]


def test_pred_cols_and_label_col_select_columns(write, parser):
    path = write("eval.csv", "id,cat,dog,pig,label\nx1,1,2,3,0\nx2,2,4,6,2\n")
    assert loss(path, "--pred-cols", "cat,dog,pig", "--label-col", "label") == pytest.approx(
        G.A2_MEAN, rel=1e-15
    )
    assert loss(path, "--pred-cols", "1:4", "--label-col", "4") == pytest.approx(G.A2_MEAN)
    assert loss(path, "--pred-cols", "1,2,3", "--label-col", "-1") == pytest.approx(G.A2_MEAN)
    labels = write("l.csv", "id,label\nx1,cat\nx2,pig\n")
    assert loss(
        path, labels, "--pred-cols", "cat,dog,pig", "--label-col", "label"
    ) == pytest.approx(G.A2_MEAN)


def test_label_files_with_and_without_header(write):
    preds = write("p.csv", CSV)
    for text in ("cat\npig\n", "label\ncat\npig\n", "0\n2\n", "y\n0\n2\n", "0.0\n2.0\n"):
        assert loss(preds, write("l.csv", text)) == pytest.approx(G.A2_MEAN, rel=1e-15), text


def test_dense_targets_from_csv_with_header(write):
    assert loss(
        write("p.csv", CSV), write("t.csv", "cat,dog,pig\n1,0,0\n0,0,1\n")
    ) == pytest.approx(G.A2_MEAN, rel=1e-15)


FORMATS = ["{!r}", "{:.18e}", "{:.7g}", "{:.3f}", "{:g}", "{:E}", "{:+.10e}", "{:.25f}"]


def test_the_three_parsers_agree_on_values_to_the_bit(write, monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((300, 5)) * 10.0 ** rng.integers(-30, 30, (300, 5))
    text = (
        "\n".join(
            ",".join(FORMATS[(i + j) % len(FORMATS)].format(v) for j, v in enumerate(row))
            for i, row in enumerate(x)
        )
        + "\n"
    )
    path = write("big.csv", text)
    labels = write("y.csv", "\n".join(str(v) for v in rng.integers(0, 5, 300)) + "\n")
    args = ("categorical", path, labels, "-r", "none", "-f", "csv")  # values in full (repr)
    plain = run_cece(*args).out
    monkeypatch.setattr(cece.io.text, "PLAIN", False)
    python = run_cece(*args).out
    monkeypatch.setattr(cece.io.text, "SMALL", 0)
    monkeypatch.setattr(cece.io.text, "BLOCK", 1000)  # many blocks, cut mid-file
    assert run_cece(*args).out == python == plain


def test_blocks_give_the_same_result_at_any_size(write, monkeypatch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1000, 6)).astype(np.float32)
    y = rng.integers(0, 6, 1000)
    px, py = write("x.npy", x), write("y.npy", y)
    whole = json.loads(run_cece("categorical", px, py, "-f", "json", "--samples").out)
    for rows in (1, 7, 64):
        monkeypatch.setattr(cece.io.blocks, "ROWS", rows)
        doc = json.loads(run_cece("categorical", px, py, "-f", "json", "--samples").out)
        assert doc["samples"] == whole["samples"]  # per-sample values: identical
        for key, value in whole["stats"].items():  # sums: equal to rounding
            assert doc["stats"][key] == pytest.approx(value, rel=1e-12), key


def test_nd_labels_must_match_the_non_class_axes(write):
    x = np.zeros((2, 3, 4))
    run = run_cece("categorical", write("x.npy", x), write("y.npy", np.zeros((3, 2), int)))
    assert "labels have shape (3, 2); expected shape (2, 3)" in run.error_line()
    dense = np.full((2, 3, 4), 0.25)
    assert loss(write("x.npy", x), write("t.npy", dense)) == pytest.approx(np.log(4), rel=1e-14)


def test_a_single_row_is_one_sample():
    assert loss("[1,2,3]", "0") == pytest.approx(G.A1_NONE[0], rel=1e-15)
    assert loss("[1,2,3]", "[0.2,0.3,0.5]") == pytest.approx(G.F1_CE, rel=1e-15)
