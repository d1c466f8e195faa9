"""Shard resolution (issue 15, item 1): quoted patterns and @lists → the shards of one run.

What is checked: natural order; PREDS and LABELS (and per-row options) pair by the text each
wildcard matched, not by position; ``-NNNNN-of-MMMMM`` sets are complete; @lists; URLs through
fsspec (``memory://``); row counts read from headers only; and the one error line of each
refusal, including a pattern the shell expanded (through ``main()`` and the real ``cece``).
"""

from __future__ import annotations

import builtins
import gzip
import io
import json
import math
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cece.errors import CeceError, InputError, OptionError
from cece.io import rowcount
from cece.io.shardnames import patterns_of
from cece.io.shards import Shard, is_sharded, natural_key, resolve, rows_of

from conftest import run_cece


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Work in an empty folder, so paths (and the messages naming them) are relative."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def save(name: str, rows: int = 3, cols: int = 4, labels: bool = False) -> str:
    os.makedirs(os.path.dirname(name) or ".", exist_ok=True)
    if labels:
        np.save(name, np.arange(rows) % cols)
    else:
        np.save(name, np.random.default_rng(rows).random((rows, cols)))
    return name


def refusal(exc: pytest.ExceptionInfo) -> tuple[str, str | None]:
    """The error's line (one line) and its hint, as main() prints them."""
    error = exc.value
    assert isinstance(error, CeceError)
    assert "\n" not in error.message
    return error.message, error.hint


# ------------------------------------------------------------------------- natural order, pairs
def test_natural_order_and_pairing_by_wildcard_text(here):
    for i, n in zip((1, 2, 10), (5, 6, 7), strict=True):
        save(f"p-{i}.npy", rows=n)
        save(f"l-{i}.npy", rows=n, labels=True)
    shards = resolve("p-*.npy", "l-*.npy", {})
    assert [s.preds for s in shards] == ["p-1.npy", "p-2.npy", "p-10.npy"]
    assert [s.labels for s in shards] == ["l-1.npy", "l-2.npy", "l-10.npy"]
    assert [s.key for s in shards] == [("1",), ("2",), ("10",)]
    assert [s.index for s in shards] == [0, 1, 2]
    assert [s.rows for s in shards] == [5, 6, 7]
    assert shards[0] == Shard(0, "p-1.npy", "l-1.npy", {}, ("1",), 5)


def test_pairs_by_text_when_the_two_patterns_list_in_other_orders(here):
    # natural order puts p-1.npy before p-1b.npy, but l-1bz.npy before l-1z.npy
    for key in ("1", "1b"):
        save(f"p-{key}.npy")
        save(f"l-{key}z.npy", labels=True)
    shards = resolve("p-*.npy", "l-*z.npy", {})
    assert [(s.preds, s.labels) for s in shards] == [
        ("p-1.npy", "l-1z.npy"),
        ("p-1b.npy", "l-1bz.npy"),
    ]


def test_two_wildcards_against_one_is_refused(here):
    save("preds/part-1.npy")
    save("labels/x/part-1.npy", labels=True)
    with pytest.raises(OptionError) as exc:
        resolve("preds/part-*.npy", "labels/*/part-*.npy", {})
    assert refusal(exc) == (
        "labels/*/part-*.npy has 2 wildcards and preds/part-*.npy has 1: shards pair by the "
        "text each wildcard matched",
        "give both patterns the same wildcards, e.g. 'preds-*.npy' 'labels-*.npy'",
    )


def test_pairing_by_position_would_be_wrong_and_is_not_done(here):
    for i in (1, 2, 3):
        save(f"a-{i}.npy")
    for i in (1, 3, 4):  # b-2 missing, b-4 extra: by position a-2 would meet b-3
        save(f"b-{i}.npy", labels=True)
    with pytest.raises(InputError) as exc:
        resolve("a-*.npy", "b-*.npy", {})
    assert refusal(exc) == ("b-*.npy: no shard pairs with a-2.npy (wildcard text '2')", None)


def test_a_labels_shard_without_preds_is_named(here):
    for i in (1, 2):
        save(f"a-{i}.npy")
    for i in (1, 2, 3, 4):
        save(f"b-{i}.npy", labels=True)
    with pytest.raises(InputError) as exc:
        resolve("a-*.npy", "b-*.npy", {})
    assert refusal(exc)[0] == (
        "a-*.npy: no shard pairs with b-3.npy (wildcard text '3'; 1 more unpaired)"
    )


def test_several_wildcards_pair_on_all_their_texts(here):
    for split in ("dev", "test"):
        for i in (0, 1):
            save(f"p/{split}/logits-{i}.npy")
            save(f"t/{split}/tokens-{i}.npy", labels=True)
    shards = resolve("p/*/logits-?.npy", "t/*/tokens-[0-9].npy", {})
    assert [(s.preds, s.labels, s.key) for s in shards] == [
        (f"p/{sp}/logits-{i}.npy", f"t/{sp}/tokens-{i}.npy", (sp, str(i)))
        for sp in ("dev", "test")
        for i in (0, 1)
    ]


def test_recursive_wildcard(here):
    save("d/a/p-1.npy")
    save("d/p-2.npy")
    shards = resolve("d/**/p-*.npy", None, {})
    assert [(s.preds, s.key) for s in shards] == [
        ("d/a/p-1.npy", ("a/", "1")),
        ("d/p-2.npy", ("", "2")),
    ]


def test_no_match_and_directories(here):
    with pytest.raises(InputError) as exc:
        resolve("preds-*.npy", None, {})
    assert refusal(exc) == ("preds-*.npy: no file matches the pattern", None)
    os.mkdir("preds-3.npy")  # a directory that matches: skipped
    with pytest.raises(InputError):
        resolve("preds-*.npy", None, {})
    save("preds-1.npy")
    assert [s.preds for s in resolve("preds-*.npy", None, {})] == ["preds-1.npy"]


def test_labels_pattern_that_matches_nothing(here):
    save("preds-1.npy")
    with pytest.raises(InputError) as exc:
        resolve("preds-*.npy", "labels-*.npy", {})
    assert refusal(exc)[0] == "labels-*.npy: no file matches the pattern"


def test_single_files_are_not_shards(here):
    save("preds.npy")
    save("labels.npy", labels=True)
    assert resolve("preds.npy", "labels.npy", {"sample_weight": "w"}) is None
    assert resolve("[[1,2],[3,4]]", "[0,1]", {}) is None


def test_a_plain_labels_file_cannot_pair_with_shards(here):
    for i in (1, 2):
        save(f"p-{i}.npy")
    save("labels.npy", labels=True)
    with pytest.raises(OptionError) as exc:
        resolve("p-*.npy", "labels.npy", {})
    assert refusal(exc) == (
        "labels.npy: one file cannot pair with the 2 shards of p-*.npy",
        "give LABELS as a pattern or @list too, quoted, e.g. 'labels-*.npy'",
    )


def test_a_labels_pattern_needs_sharded_preds(here):
    save("preds.npy")
    with pytest.raises(OptionError) as exc:
        resolve("preds.npy", "labels-*.npy", {})
    assert refusal(exc) == (
        "labels-*.npy: LABELS names many files but PREDS preds.npy is one",
        "give PREDS as a pattern or @list too, quoted: 'preds-*.npy'",
    )


def test_per_row_options_pair_like_labels(here):
    for i in (1, 2):
        save(f"p-{i}.npy")
        save(f"w-{i}.npy", labels=True)
        save(f"m-{i}.npy", labels=True)
    shards = resolve(
        "p-*.npy",
        None,
        {"sample_weight": "w-*.npy", "mask": "m-*.npy", "bytes": "12", "words": None},
    )
    assert [s.extra for s in shards] == [
        {"sample_weight": "w-1.npy", "mask": "m-1.npy"},
        {"sample_weight": "w-2.npy", "mask": "m-2.npy"},
    ]
    assert [s.labels for s in shards] == [None, None]  # labels inside PREDS (--label-col)
    # a column name is the engine's to read from each shard
    shards = resolve("p-*.npy", None, {"sample_weight": "weight"})
    assert [s.extra for s in shards] == [{}, {}]


def test_a_plain_file_for_a_per_row_option_is_refused(here):
    for i in (1, 2):
        save(f"p-{i}.npy")
    save("w.npy", labels=True)
    with pytest.raises(OptionError) as exc:
        resolve("p-*.npy", None, {"sample_weight": "w.npy"})
    assert refusal(exc) == (
        "w.npy: one file cannot pair with the 2 shards of p-*.npy",
        "give --sample-weight as a pattern or @list too, quoted, e.g. 'w-*.npy'",
    )
    with pytest.raises(OptionError) as exc:
        resolve("p.npy", None, {"sequence_ids": "s-*.npy"})
    assert refusal(exc)[0] == "s-*.npy: --sequence-ids names many files but PREDS p.npy is one"


def test_a_per_row_option_shard_without_its_pair(here):
    for i in (1, 2):
        save(f"p-{i}.npy")
    save("w-1.npy", labels=True)
    with pytest.raises(InputError) as exc:
        resolve("p-*.npy", None, {"sample_weight": "w-*.npy"})
    assert refusal(exc)[0] == "w-*.npy: no shard pairs with p-2.npy (wildcard text '2')"


def test_npz_members_of_sharded_files(here):
    for i in (1, 2):
        np.savez(f"d-{i}.npz", logits=np.zeros((i + 2, 3)), labels=np.zeros(i + 2))
    shards = resolve("d-*.npz:logits", "d-*.npz:labels", {})
    assert [(s.preds, s.labels, s.rows) for s in shards] == [
        ("d-1.npz:logits", "d-1.npz:labels", 3),
        ("d-2.npz:logits", "d-2.npz:labels", 4),
    ]


# ---------------------------------------------------------------------------------- -of- sets
@pytest.mark.parametrize("base", [0, 1])
def test_complete_of_sets_from_0_or_from_1(here, base):
    for i in range(base, base + 3):
        save(f"preds-{i:05d}-of-00003.npy")
        save(f"labels-{i:05d}-of-00003.npy", labels=True)
    shards = resolve("preds-*.npy", "labels-*.npy", {})
    assert [s.key for s in shards] == [(f"{i:05d}-of-00003",) for i in range(base, base + 3)]


def test_a_missing_shard_of_a_set(here):
    for i in range(64):
        if i != 5:
            save(f"preds-{i:05d}-of-00064.npy", rows=1, cols=2)
    with pytest.raises(InputError) as exc:
        resolve("preds-*.npy", None, {})
    assert refusal(exc) == (
        "preds-*.npy: preds-00005-of-00064.npy is missing: the pattern matched 63 of 64 shards",
        None,
    )


def test_several_missing_shards_of_a_1_based_set(here):
    for i in (1, 4):
        save(f"model-{i:05d}-of-00004.npy")
    with pytest.raises(InputError) as exc:
        resolve("model-*-of-*.npy", None, {})
    assert refusal(exc)[0] == (
        "model-*-of-*.npy: model-00002-of-00004.npy is missing (and 1 more): the pattern "
        "matched 2 of 4 shards"
    )


def test_mixed_set_sizes(here):
    save("p-00000-of-00002.npy")
    save("p-00001-of-00002.npy")
    save("p-00002-of-00003.npy")
    with pytest.raises(InputError) as exc:
        resolve("p-*.npy", None, {})
    assert refusal(exc)[0] == (
        "p-*.npy: p-00000-of-00002.npy and p-00002-of-00003.npy name sets of different sizes "
        "(2 and 3 shards)"
    )


def test_an_index_past_the_set(here):
    for i in range(3):  # 0, 1, 2 and 2 of 2: both ends
        save(f"p-{i:05d}-of-00002.npy")
    with pytest.raises(InputError) as exc:
        resolve("p-*.npy", None, {})
    assert refusal(exc)[0] == (
        "p-*.npy: p-00002-of-00002.npy: shard index 2 is out of range for a set of 2 "
        "(p-00000-of-00002.npy .. p-00001-of-00002.npy)"
    )


def test_a_labels_set_is_checked_too(here):
    for i in range(2):
        save(f"p-{i:05d}-of-00002.npy")
    save("l-00000-of-00002.npy", labels=True)
    with pytest.raises(InputError) as exc:
        resolve("p-*.npy", "l-*.npy", {})
    assert refusal(exc)[0] == (
        "l-*.npy: l-00001-of-00002.npy is missing: the pattern matched 1 of 2 shards"
    )


# -------------------------------------------------------------------------------------- @lists
def test_lists_with_comments_blank_lines_and_relative_paths(here):
    for i in (10, 2):
        save(f"data/p-{i}.npy", rows=i)
        save(f"data/l-{i}.npy", rows=i, labels=True)
    os.mkdir("lists")
    # paths are relative to the current directory, not to the list's folder
    (here / "lists" / "preds.txt").write_text("# predictions\n\ndata/p-10.npy\n  data/p-2.npy  \n")
    (here / "lists" / "labels.txt").write_text("data/l-10.npy\n# a comment\ndata/l-2.npy\n\n")
    shards = resolve("@lists/preds.txt", "@lists/labels.txt", {})
    assert [(s.preds, s.labels, s.key, s.rows) for s in shards] == [
        ("data/p-10.npy", "data/l-10.npy", (), 10),  # the list's order, not natural order
        ("data/p-2.npy", "data/l-2.npy", (), 2),
    ]


def test_lists_of_different_lengths(here):
    for i in (1, 2, 3):
        save(f"p-{i}.npy")
    (here / "p.txt").write_text("p-1.npy\np-2.npy\np-3.npy\n")
    (here / "l.txt").write_text("p-1.npy\np-2.npy\n")
    with pytest.raises(OptionError) as exc:
        resolve("@p.txt", "@l.txt", {})
    assert refusal(exc)[0] == (
        "@l.txt lists 2 files and @p.txt lists 3: lists pair line by line, so they need the "
        "same length"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("p-1.npy\nmissing.npy\n", "@p.txt: line 2: missing.npy: no such file"),
        ("p-1.npy\n\np-1.npy\n", "@p.txt: line 3: p-1.npy is listed twice (first on line 1)"),
        ("d\n", "@p.txt: line 1: d: is a directory; expected a file"),
        ("# nothing\n\n", "@p.txt: lists no files"),
    ],
)
def test_list_errors(here, text, line):
    save("p-1.npy")
    os.mkdir("d")
    (here / "p.txt").write_text(text)
    with pytest.raises(InputError) as exc:
        resolve("@p.txt", None, {})
    assert refusal(exc)[0] == line


def test_an_unreadable_list(here):
    with pytest.raises(InputError) as exc:
        resolve("@nowhere.txt", None, {})
    assert refusal(exc) == ("@nowhere.txt: cannot read the list: No such file or directory", None)
    (here / "bin.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError) as exc:
        resolve("@bin.txt", None, {})
    assert refusal(exc)[0] == "@bin.txt: cannot read the list: it is not UTF-8 text"


def test_a_list_does_not_pair_with_a_pattern(here):
    save("p-1.npy")
    save("l-1.npy", labels=True)
    (here / "p.txt").write_text("p-1.npy\n")
    with pytest.raises(OptionError) as exc:
        resolve("@p.txt", "l-*.npy", {})
    assert refusal(exc) == (
        "l-*.npy: cannot pair with @p.txt: a list pairs by position, a pattern by wildcard text",
        "write l-*.npy as a list too, or @p.txt as a pattern",
    )


# ----------------------------------------------------------------------------------- is_sharded
def test_is_sharded(here):
    save("odd*name.npy")
    save("plain.npy")
    assert is_sharded("p-*.npy") and is_sharded("p-?.npy") and is_sharded("p-[0-9].npy")
    assert is_sharded("@list.txt") and is_sharded("s3://bucket/p-*.npy")
    for arg in (None, "", "-", "@", "plain.npy", "odd*name.npy", "[0,2]", "[[1,2],[3,4]]", "0.7"):
        assert not is_sharded(arg), arg
    assert not is_sharded("https://host/p.npy?token=1")  # a query string, not a wildcard
    # Python's and numpy's spellings of the non-finite: a literal (it was a pattern, matching
    # nothing, with a FutureWarning from the character class "[[0,-inf]")
    for arg in ("[[0,-inf]]", "[[0, -inf, 1]]", "[nan, 0.5]", "[[inf, 1], [-Infinity, 2]]"):
        assert not is_sharded(arg), arg
    assert is_sharded('["inf", x]')  # quotes: read as JSON only


def test_a_literal_spelled_as_python_prints_it(here):
    from cece.io.fields import json_literal

    assert json_literal("[[0, -inf, +inf], [nan, 1e5, -Infinity]]") == [
        [0, -math.inf, math.inf],
        [pytest.approx(math.nan, nan_ok=True), 1e5, -math.inf],
    ]
    for text in ('["inf", -inf]', "[info]", "[-1e400, -inf]", "[1.inf]"):
        with pytest.raises(ValueError):
            json_literal(text)
    run = run_cece("entropy", "[[0, -inf, 1]]", "--from", "logits", "-q")
    assert run.code == 0 and float(run.out) == pytest.approx(0.5822031088882179, rel=1e-12)
    run = run_cece("categorical", "[[0.5, nan]]", "[0]")
    assert run.error_line() == (
        "cece: error: literal '[[0.5, nan]]': row 0, column 1: found nan value; expected a "
        "finite number"
    )


def test_a_character_class_is_read_as_glob_reads_it(here):
    """``[[a]`` (``[`` inside a class), ``[&~|]``: literal characters, without Python's
    FutureWarning about nested sets and set operations reaching the user."""
    for name in ("a[.npy", "b&.npy", "c~.npy", "d1.npy"):
        save(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for pattern, matched in (
            ("a[[]*.npy", ["a[.npy"]),
            ("[b-c][&~|]*.npy", ["b&.npy", "c~.npy"]),
        ):
            assert [s.preds for s in resolve(pattern, None, {})] == matched
        run = run_cece("entropy", "[[a]]")
    assert run.err == "cece: error: [[a]]: no file matches the pattern\n"


# ----------------------------------------------------------------------------------------- URLs
def test_url_patterns_through_fsspec_memory():
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    for i in (1, 2, 10):
        buffer = io.BytesIO()
        np.save(buffer, np.zeros((i, 3), np.float32))
        fs.pipe(f"/s21a/p-{i}.npy", buffer.getvalue())
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(i, np.int64))
        fs.pipe(f"/s21a/l-{i}.npy", buffer.getvalue())
    fs.mkdir("/s21a/p-3.npy")  # a directory: skipped
    try:
        shards = resolve("memory://s21a/p-*.npy", "memory://s21a/l-*.npy", {})
        assert [(s.preds, s.labels, s.key, s.rows) for s in shards] == [
            (f"memory://s21a/p-{i}.npy", f"memory://s21a/l-{i}.npy", (str(i),), i)
            for i in (1, 2, 10)
        ]
        with pytest.raises(InputError) as exc:
            resolve("memory://s21a/q-*.npy", None, {})
        assert refusal(exc)[0] == "memory://s21a/q-*.npy: no file matches the pattern"
    finally:
        fs.rm("/s21a", recursive=True)


@pytest.mark.parametrize(
    ("url", "extra"),
    [("s3://b/p-*.npy", "s3"), ("gs://b/p-*.npy", "gcs"), ("memory://p-*.npy", "dask")],
)
def test_urls_without_fsspec(monkeypatch, url, extra):
    monkeypatch.setitem(sys.modules, "fsspec", None)
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    with pytest.raises(InputError) as exc:
        resolve(url, None, {})
    assert refusal(exc) == (f"{url}: reading URLs needs fsspec: pip install 'cece[{extra}]'", None)


# ---------------------------------------------------------------------------------- row counts
def test_rows_of_npy_npz_and_text(here):
    np.save("c.npy", np.zeros((7, 3), np.float32))
    np.save("f.npy", np.asfortranarray(np.zeros((5, 2))))
    np.save("lm.npy", np.zeros((2, 9, 4), np.float16))
    np.save("scalar.npy", np.float64(1.0))
    np.savez("one.npz", np.zeros((4, 2)))
    np.savez_compressed("two.npz", logits=np.zeros((6, 2)), labels=np.zeros(6))
    with gzip.open("c.npy.gz", "wb") as fh:
        np.save(fh, np.zeros((8, 2)))
    (here / "t.csv").write_text("a,b\n1,2\n")
    assert rows_of("c.npy") == 7 and rows_of("f.npy") == 5 and rows_of("lm.npy") == 2
    assert rows_of("scalar.npy") == 1 and rows_of("one.npz") == 4
    assert rows_of("two.npz:logits") == 6 and rows_of("c.npy.gz") == 8
    assert rows_of("t.csv") is None
    shutil.copy("c.npy", "c.bin")  # a name that does not say: the magic bytes do
    assert rows_of("c.bin") == 7
    with pytest.raises(InputError) as exc:
        rows_of("two.npz")
    assert refusal(exc) == (
        "two.npz: holds 2 arrays (logits, labels); say which one",
        "use two.npz:logits",
    )
    with pytest.raises(InputError) as exc:
        rows_of("gone.npy")
    assert refusal(exc)[0] == "gone.npy: no such file"


def test_rows_of_parquet_feather_and_arrow_stream(here):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.feather as feather
    import pyarrow.ipc as ipc
    import pyarrow.parquet as parquet

    table = pa.table({"a": np.arange(11.0), "b": np.arange(11)})
    parquet.write_table(table, "t.parquet", row_group_size=4)
    feather.write_feather(table, "t.feather")
    with ipc.new_stream("t.arrow", table.schema) as writer:
        for batch in table.to_batches(max_chunksize=5):
            writer.write_batch(batch)
    assert rows_of("t.parquet") == rows_of("t.feather") == rows_of("t.arrow") == 11
    (here / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError) as exc:
        rows_of("bad.parquet")
    assert refusal(exc)[0].startswith("bad.parquet: not a readable .parquet file (")


def _safetensors(path: str, tensors: dict[str, tuple[str, list[int], int]]) -> None:
    """A .safetensors file by hand (the format: huggingface/safetensors README, "Format")."""
    header, offset = {}, 0
    for name, (dtype, shape, itemsize) in tensors.items():
        size = int(np.prod(shape)) * itemsize
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    with open(path, "wb") as fh:
        fh.write(len(raw).to_bytes(8, "little") + raw + bytes(offset))


def test_rows_of_safetensors(here):
    _safetensors("f32.safetensors", {"logits": ("F32", [5, 3], 4)})
    _safetensors(
        "bf16.safetensors", {"logits": ("BF16", [2, 7, 3], 2), "labels": ("I64", [2, 7], 8)}
    )
    assert rows_of("f32.safetensors") == 5
    assert rows_of("bf16.safetensors:logits") == 2
    with pytest.raises(InputError) as exc:
        rows_of("bf16.safetensors")
    assert refusal(exc) == (
        "bf16.safetensors: holds 2 tensors (logits, labels); say which one",
        "use bf16.safetensors:logits",
    )
    with pytest.raises(InputError) as exc:
        rows_of("bf16.safetensors:nope")
    assert refusal(exc)[0] == ("bf16.safetensors:nope: has no tensor 'nope'; it has logits, labels")


def test_rows_of_a_big_npy_reads_only_its_header(here, monkeypatch):
    header = io.BytesIO()
    shape = (100 * 2**20 // 40, 10)  # 100 MB of float32
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": shape}
    )
    with open("big.npy", "wb") as fh:
        fh.write(header.getvalue())
        fh.truncate(len(header.getvalue()) + shape[0] * shape[1] * 4)  # sparse: no data written
    read = []

    class Counted(io.FileIO):
        def read(self, size=-1):
            data = super().read(size)
            read.append(len(data))
            return data

        def readinto(self, buffer):
            n = super().readinto(buffer)
            read.append(n or 0)
            return n

    real_open = builtins.open
    monkeypatch.setattr(
        rowcount,
        "open",
        lambda path, mode="r": Counted(path, "r") if mode == "rb" else real_open(path, mode),
        raising=False,
    )
    start = time.perf_counter()
    assert rows_of("big.npy") == shape[0]
    assert time.perf_counter() - start < 0.5
    assert 0 < sum(read) < 4096, read


def test_a_truncated_npy_is_one_line(here):
    np.save("good.npy", np.zeros((4, 2)))
    data = (here / "good.npy").read_bytes()
    (here / "p-1.npy").write_bytes(data[:20])  # inside the header
    with pytest.raises(InputError) as exc:
        resolve("p-*.npy", None, {})
    line, hint = refusal(exc)
    assert line.startswith("p-1.npy: not a valid .npy file (") and hint is None
    (here / "p-1.npy").write_bytes(data[:-8])  # the data cut short
    with pytest.raises(InputError) as exc:
        resolve("p-*.npy", None, {})
    assert refusal(exc)[0] == (
        "p-1.npy: truncated: shape (4, 2) of float64 needs 64 bytes of data, the file has 56"
    )


# ------------------------------------------------------------------------------- natural order
@given(st.lists(st.text("0123456789", min_size=1, max_size=25)))
def test_natural_key_sorts_digit_names_like_int(names):
    ordered = sorted(names, key=natural_key)
    assert [int(n) for n in ordered] == sorted(int(n) for n in names)


@given(st.lists(st.text("ab-_.0123456789/", max_size=12)), st.randoms())
def test_natural_key_is_a_total_order(names, random):
    once = sorted(names, key=natural_key)  # no TypeError from comparing text with numbers
    assert sorted(random.sample(names, len(names)), key=natural_key) == once


def test_natural_order_examples():
    names = ["p-10.npy", "p-2.npy", "p-1.npy", "p-01.npy", "q-0.npy", "p.npy"]
    assert sorted(names, key=natural_key) == [
        "p-01.npy",
        "p-1.npy",
        "p-2.npy",
        "p-10.npy",
        "p.npy",
        "q-0.npy",
    ]


# ---------------------------------------------------------------------- the shell's expansion
def test_patterns_rebuilt_from_expanded_files():
    files = [f"preds-{i:05d}.npy" for i in range(3)] + [f"labels-{i:05d}.npy" for i in range(3)]
    assert patterns_of(files) == ["preds-*.npy", "labels-*.npy"]
    assert patterns_of(["d/p-1.npy", "d/p-10.npy", "l.npy"]) == ["d/p-*.npy", "l.npy"]
    assert patterns_of(["run-a.npy", "run-b.npy", "y.csv"]) == ["run-*.npy", "y.csv"]
    assert patterns_of(["a.npy", "b.npy"]) == ["a.npy", "b.npy"]


def _dump(n: int, folder: str = ".") -> None:
    for i in range(n):
        save(os.path.join(folder, f"preds-{i:05d}.npy"))
        save(os.path.join(folder, f"labels-{i:05d}.npy"), labels=True)


@pytest.mark.parametrize("command", ["categorical", "binary"])
def test_expanded_pattern_in_process(here, command):
    _dump(4)
    files = sorted(str(p.name) for p in here.glob("preds-*")) + sorted(
        str(p.name) for p in here.glob("labels-*")
    )
    run = run_cece(command, *files)
    assert run.code == 2 and run.out == ""
    assert run.err.splitlines() == [
        "cece: error: got 8 files where PREDS and LABELS go: the shell expanded an unquoted "
        "pattern",
        "  hint: quote the patterns so cece expands them: 'preds-*.npy' 'labels-*.npy'",
    ]


def test_other_usage_errors_are_unchanged(here):
    save("p.npy")
    run = run_cece("categorical", "p.npy", "p.npy", "nope")
    assert run.code == 2
    assert run.err.splitlines()[0] == "cece: error: got unexpected extra argument(s) (nope)"


def _shell(command: str, cwd) -> subprocess.CompletedProcess:
    cece = shutil.which("cece") or f"{sys.executable} -m cece"
    return subprocess.run(
        f"{cece} {command}",
        shell=True,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
@pytest.mark.parametrize("command", ["categorical", "binary"])
def test_the_real_shell_expands_an_unquoted_pattern(tmp_path, command):
    _dump(4, str(tmp_path))
    proc = _shell(f"{command} --rows 3 preds-*.npy labels-*.npy", tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "cece: error: got 8 files where PREDS and LABELS go: the shell expanded an unquoted "
        "pattern",
        "  hint: quote the patterns so cece expands them: 'preds-*.npy' 'labels-*.npy'",
    ]


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_two_shards_of_one_set_are_not_preds_and_labels(tmp_path):
    # `cece categorical preds-*.npy` over two shards: PREDS and LABELS both predictions, which
    # would otherwise be read as soft targets and give a number
    for i in range(2):
        np.save(tmp_path / f"preds-{i:05d}-of-00002.npy", np.full((3, 3), 1 / 3))
    proc = _shell("categorical preds-*.npy", tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "cece: error: preds-00000-of-00002.npy and preds-00001-of-00002.npy, shards of one set, "
        "were given as PREDS and LABELS: the shell expanded an unquoted pattern",
        "  hint: quote the pattern so cece expands it: 'preds-*-of-00002.npy'",
    ]


def _corrupt(name: str) -> str:
    """Files a run refuses, each written so that its first problem is the one named."""
    np.save("good.npy", np.random.default_rng(0).random((4, 3)))
    data = Path("good.npy").read_bytes()
    header = json.dumps({"x": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}})
    writers = {
        "header.npy": lambda: data[:20],
        "data.npy": lambda: data[:-8],
        "junk.npy": lambda: b"hello, not an array",
        "junk.safetensors": lambda: b"hello, not tensors",
        "badjson.safetensors": lambda: (9).to_bytes(8, "little") + b'{"x": 12,' + bytes(16),
        "st.safetensors:y": lambda: len(header).to_bytes(8, "little") + header.encode() + bytes(16),
        "bad.parquet": lambda: b"PAR1 but nothing else",
    }
    if name.startswith("two.npz"):
        np.savez("two.npz", a=np.zeros((2, 2)), b=np.zeros(2))
    elif name == "parquet.npy":
        pytest.importorskip("pyarrow")
        import pyarrow as pa
        import pyarrow.parquet as parquet

        parquet.write_table(pa.table({"a": [0.5]}), name)
    else:
        with open(name.split(":")[0], "wb") as fh:
            fh.write(writers[name]())
    return name


@pytest.mark.parametrize(
    "name",
    [
        "header.npy",
        "data.npy",
        "junk.npy",
        "parquet.npy",
        "two.npz",
        "two.npz:c",
        "junk.safetensors",
        "badjson.safetensors",
        "st.safetensors:y",
        "bad.parquet",
    ],
)
def test_a_bad_shard_is_the_line_of_that_file_alone(here, name):
    """What rows_of refuses, it refuses in the reader's words (cece.io.readers.load)."""
    if name == "bad.parquet":
        pytest.importorskip("pyarrow")
    _corrupt(name)
    with pytest.raises(InputError) as exc:
        rows_of(name)
    line, hint = refusal(exc)
    alone = run_cece("entropy", name)
    assert alone.code == 2
    assert alone.err.splitlines() == [f"cece: error: {line}"] + (
        [f"  hint: {hint}"] if hint else []
    )


def test_shards_travel_to_workers_and_the_module_is_light():
    import pickle

    shard = Shard(3, "p-3.npy", "l-3.npy", {"mask": "m-3.npy"}, ("3",), 7)
    assert pickle.loads(pickle.dumps(shard)) == shard
    code = (
        "import sys, cece.io.shards; "
        "print(sorted(m for m in ('numpy', 'fsspec', 'pyarrow', 'dask') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "[]", proc.stderr


def test_the_cli_parameter_names_of_counts(here):
    for i in (1, 2):
        save(f"p-{i}.npy")
    (here / "b.txt").write_text("3\n")
    with pytest.raises(OptionError) as exc:
        resolve("p-*.npy", None, {"n_bytes": "b.txt"})
    assert refusal(exc)[1] == "give --bytes as a pattern or @list too, quoted, e.g. 'b-*.txt'"
    assert [s.extra for s in resolve("p-*.npy", None, {"n_bytes": "1000"})] == [{}, {}]


@pytest.mark.parametrize(
    ("args", "where", "count"),
    [
        (["entropy"], "P goes", 4),
        (["kl"], "P and Q go", 4),
        (["compare", "--binary"], "BASELINE, CANDIDATE and LABELS go", 4),
    ],
)
def test_expanded_pattern_for_the_other_commands(here, args, where, count):
    _dump(2)
    (here / "x-1.csv").write_text("0.5\n")
    (here / "x-2.csv").write_text("0.5\n")
    files = ["preds-00000.npy", "preds-00001.npy", "x-1.csv", "x-2.csv"]
    run = run_cece(*args, *files)
    assert run.code == 2 and run.out == ""
    assert run.err.splitlines() == [
        f"cece: error: got {count} files where {where}: the shell expanded an unquoted pattern",
        "  hint: quote the patterns so cece expands them: 'preds-*.npy' 'x-*.csv'",
    ]


def test_expanded_pattern_with_a_quoted_one_and_option_values(here):
    _dump(3)
    save("w.npy", labels=True)
    files = ["preds-00000.npy", "preds-00001.npy", "preds-00002.npy"]
    run = run_cece("categorical", "--sample-weight", "w.npy", *files, "labels-*.npy", "-q")
    assert run.err.splitlines() == [
        "cece: error: got 4 arguments where PREDS and LABELS go: the shell expanded an unquoted "
        "pattern",
        "  hint: quote the patterns so cece expands them: 'preds-*.npy' 'labels-*.npy'",
    ]


def test_rows_of_urls_by_range_reads():
    fsspec = pytest.importorskip("fsspec")
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as parquet

    fs = fsspec.filesystem("memory")
    buffer = io.BytesIO()
    parquet.write_table(pa.table({"a": np.arange(9.0)}), buffer)
    fs.pipe("/s21a-rows/t.parquet", buffer.getvalue())
    header = json.dumps({"x": {"dtype": "BF16", "shape": [4, 2], "data_offsets": [0, 16]}})
    fs.pipe(
        "/s21a-rows/t.safetensors", len(header).to_bytes(8, "little") + header.encode() + bytes(16)
    )
    buffer = io.BytesIO()
    np.savez(buffer, logits=np.zeros((5, 2)))
    fs.pipe("/s21a-rows/t.npz", buffer.getvalue())
    try:
        assert rows_of("memory://s21a-rows/t.parquet") == 9
        assert rows_of("memory://s21a-rows/t.safetensors") == 4
        assert rows_of("memory://s21a-rows/t.npz:logits") == 5
    finally:
        fs.rm("/s21a-rows", recursive=True)


def test_a_literal_integer_beyond_int64_is_named(here):
    """numpy holds ``10**23`` in a list as an object: the literal was "mixes numbers and text"."""
    run = run_cece("categorical", "[[1,2,100000000000000000000000]]", "[0]")
    assert run.err_lines[0] == (
        "cece: error: literal: row 0, column 2: the integer 100000000000000000000000 is beyond int64"
    )
    assert run.err_lines[1] == "  hint: write it as a decimal (1.5e+30) to have it read as a float"
    run = run_cece("categorical", "[[1,2,3],[1,2,3]]", "[0, 100000000000000000000000]")
    assert "row 1: the integer 100000000000000000000000 is beyond int64" in run.error_line()
    ok = run_cece("categorical", "[[1,2,1e23]]", "[2]", "-q")
    assert ok.code == 0 and float(ok.out) == 0.0
