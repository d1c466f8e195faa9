"""Real dumps the first readers left open: integer-typed Arrow scores, boolean labels against a
True/False header, `cece inspect` on record tables, sample-weight files with pandas' index,
%g-written numbers, --dtype/--q-dtype, and binary targets checked in one place.

The stored dumps (tests/data/dumps/gaps/) and their reference values (gaps.json: PyTorch,
scikit-learn, SciPy) come from tests/data/dumps/make_gap_dumps.py; records come from
make_record_dumps.py. None of those libraries is needed here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from conftest import run_cece

DUMPS = Path(__file__).resolve().parent / "data" / "dumps"
GAPS = DUMPS / "gaps"
REF = json.loads((DUMPS / "gaps.json").read_text())
RECORDS = DUMPS / "records"
RECORDS_REF = json.loads((DUMPS / "records.json").read_text())

BF16_HINT = "  hint: --dtype bfloat16 reads them as bfloat16 bits; numbers: save them as float32"


def quiet(*args) -> float:
    r = run_cece(*args, "-q")
    assert r.code == 0, r.err
    return float(r.out)


def refusal(*args) -> tuple[str, str | None]:
    """The error line and hint, with the folders of file names left out."""
    r = run_cece(*args)
    line = _bare(r.error_line())
    hints = [_bare(x) for x in r.err_lines if x.startswith("  hint: ")]
    return line, hints[0] if hints else None


def _bare(text: str) -> str:
    return re.sub(r"(?<= )/\S*/", "", text)


# -- 1. integer-typed Parquet / Feather score columns ---------------------------------------------


@pytest.mark.parametrize("name", ["bits.parquet", "bits.feather"])
def test_uint16_columns_are_refused_as_bfloat16_bits(name):
    line, hint = refusal("categorical", GAPS / name, GAPS / "bits_labels.csv")
    assert line == (
        f"cece: error: {name}: holds uint16 values, the form bfloat16 tensors are saved in as "
        "bits; cece does not take them for scores"
    )
    assert hint == BF16_HINT


def test_uint16_list_column_is_refused_too():
    line, hint = refusal(
        "categorical", GAPS / "bits_list.parquet", "--pred-cols", "logits", "--label-col", "label"
    )
    assert line.startswith("cece: error: bits_list.parquet: holds uint16 values, the form bfloat16")
    assert hint == BF16_HINT


@pytest.mark.parametrize(
    "args",
    [
        ("bits.parquet", "bits_labels.csv"),
        ("bits.feather", "bits_labels.csv"),
        ("bits_list.parquet", "--pred-cols", "logits", "--label-col", "label"),
    ],
)
def test_dtype_bfloat16_reads_arrow_bits_as_pytorch_does(args):
    argv = [GAPS / a if a.endswith((".parquet", ".feather", ".csv")) else a for a in args]
    r = run_cece("categorical", *argv, "--dtype", "bfloat16", "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    # float32 logits through the compiled kernels: within float32 rounding of torch's float64
    np.testing.assert_allclose(doc["loss"], REF["bits"]["value"], rtol=1e-9)
    assert doc["input"]["dtype"] == "bfloat16" and doc["input"]["stored_dtype"] == "uint16"
    assert doc["options"]["dtype"] == "bfloat16"
    assert "bfloat16 values (stored as uint16), converted exactly to float32" in r.err


def test_dtype_bfloat16_refuses_float_arrow_columns():
    line, _ = refusal(
        "categorical",
        RECORDS / "hf_logits.parquet",
        "--pred-cols",
        "logits",
        "--label-col",
        "label",
        "--dtype",
        "bfloat16",
    )
    assert line == (
        "cece: error: --dtype bfloat16 reads 16-bit bit patterns (uint16 or int16 columns); "
        "hf_logits.parquet holds float32 values"
    )


def test_int64_columns_need_from_as_in_npy():
    line, hint = refusal("categorical", GAPS / "ints.parquet", GAPS / "ints_labels.csv")
    assert line == (
        "cece: error: ints.parquet: holds int64 values: class predictions or quantized values "
        "rather than scores? cross-entropy needs probabilities or logits"
    )
    assert hint == "  hint: if they are scores, say which kind with --from (or save them as floats)"
    value = quiet(
        "categorical", GAPS / "ints.parquet", GAPS / "ints_labels.csv", "--from", "logits"
    )
    np.testing.assert_allclose(value, REF["ints_as_logits"]["value"], rtol=1e-12)


def test_same_words_as_an_integer_npy(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    x = np.array([[3, 1], [0, 2]], dtype=np.int32)
    np.save(tmp_path / "x.npy", x)
    pq.write_table(pa.table({"a": x[:, 0], "b": x[:, 1]}), tmp_path / "x.parquet")
    a = refusal("categorical", tmp_path / "x.npy", "[0,1]")
    b = refusal("categorical", tmp_path / "x.parquet", "[0,1]")
    assert a[0].replace("x.npy", "x.parquet") == b[0] and a[1] == b[1]


# -- 2. boolean labels against a True/False header -----------------------------------------------


@pytest.mark.parametrize("labels", ["bool_labels.csv", "bool_labels.parquet"])
def test_true_false_labels_map_through_the_names(labels):
    r = run_cece("categorical", GAPS / "proba_true_false.csv", GAPS / labels, "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    np.testing.assert_allclose(doc["loss"], REF["bool_labels"]["value"], rtol=1e-12)
    assert abs(doc["loss"] - REF["bool_as_positions"]["value"]) > 0.1  # the two readings differ
    said = "True/False labels mapped through the class names of proba_true_false.csv's header"
    assert said in _bare(r.err)
    assert any(said in _bare(i["detail"]) for i in doc["input"]["inferred"])


def test_zero_one_labels_against_true_false_are_refused_naming_labels_as():
    line, hint = refusal("categorical", GAPS / "proba_true_false.csv", GAPS / "int_labels.csv")
    assert line == (
        "cece: error: int_labels.csv: 0/1 labels against the class names of "
        "proba_true_false.csv's header (True, False): 1 as True is column 0, 1 as a column "
        "index is 'False', and the two give different losses"
    )
    assert hint == (
        "  hint: --labels-as name maps 1 to True and 0 to False, --labels-as index takes them "
        "as column indices"
    )
    as_name = quiet(
        "categorical",
        GAPS / "proba_true_false.csv",
        GAPS / "int_labels.csv",
        "--labels-as",
        "name",
    )
    np.testing.assert_allclose(as_name, REF["bool_labels"]["value"], rtol=1e-12)
    as_index = quiet(
        "categorical",
        GAPS / "proba_true_false.csv",
        GAPS / "int_labels.csv",
        "--labels-as",
        "index",
    )
    np.testing.assert_allclose(as_index, REF["bool_as_positions"]["value"], rtol=1e-12)


def test_false_true_header_is_positional_and_silent(write):
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    preds = write("p.csv", "False,True\n" + "\n".join(f"{a},{b}" for a, b in p.tolist()) + "\n")
    labels = write("y.csv", "y\nFalse\nTrue\nTrue\n")
    r = run_cece("categorical", preds, labels, "-q")
    assert r.code == 0 and "True/False labels" not in r.err
    want = reference.categorical(p, [0, 1, 1], kind="probs")
    np.testing.assert_allclose(float(r.out), want, rtol=1e-12)


def test_true_false_header_with_json_and_numpy_bool_labels(write):
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])  # columns: True, False
    preds = write("p.csv", "True,False\n" + "\n".join(f"{a},{b}" for a, b in p.tolist()) + "\n")
    want = reference.categorical(p, [1, 0, 0], kind="probs")  # False, True, True by name
    labels = write("y.npy", np.array([False, True, True]))
    np.testing.assert_allclose(quiet("categorical", preds, labels), want, rtol=1e-12)
    jsonl = write("y.jsonl", '{"y": false}\n{"y": true}\n{"y": true}\n')
    np.testing.assert_allclose(quiet("categorical", preds, jsonl), want, rtol=1e-12)


# -- 3. cece inspect on record tables and index columns --------------------------------------------


def _run_suggestion(doc: dict, folder: Path) -> float:
    argv = shlex.split(doc["suggestion"].split("  (")[0])[1:]
    name = Path(doc["file"]).name
    return quiet(*[str(folder / w) if w == name else w for w in argv])


@pytest.mark.parametrize(
    "name, key",
    [
        ("eval.jsonl", "eval.jsonl"),
        ("eval.jsonl.gz", "eval.jsonl"),
        ("iris_proba.jsonl", "iris_proba.jsonl"),
        ("multilabel.jsonl", "multilabel.jsonl"),
        ("hf_logits.parquet", "hf_logits"),
        ("hf_fixed.parquet", "hf_logits"),
        ("hf_logits.feather", "hf_logits"),
        ("data-00000-of-00001.arrow", "hf_logits"),
    ],
)
def test_inspect_suggests_the_record_command_that_gives_the_reference(name, key):
    r = run_cece("inspect", RECORDS / name, "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert "--pred-cols" in doc["suggestion"] and "LABELS" not in doc["suggestion"]
    tol = 1e-6 if key == "hf_logits" else 1e-12  # float32 logits
    np.testing.assert_allclose(_run_suggestion(doc, RECORDS), RECORDS_REF[key]["value"], rtol=tol)


def test_inspect_on_multilabel_records_suggests_binary():
    doc = json.loads(run_cece("inspect", RECORDS / "multilabel.jsonl", "-f", "json").out)
    assert doc["suggestion"] == (
        f"cece binary {RECORDS / 'multilabel.jsonl'} --pred-cols logits --label-col labels"
    )
    assert doc["labels"] == {"form": "multi-label targets"}


def test_inspect_on_records_with_class_names_asks_for_classes():
    doc = json.loads(run_cece("inspect", RECORDS / "nested.ndjson", "-f", "json").out)
    assert "--pred-cols outputs.logits --classes NAMES --label-col meta.label" in doc["suggestion"]
    assert doc["labels"]["values"] == ["cat", "dog", "pig"]


def test_inspect_notes_uint16_arrow_columns():
    doc = json.loads(run_cece("inspect", GAPS / "bits_list.parquet", "-f", "json").out)
    assert doc["suggestion"].endswith("--pred-cols logits --label-col label")
    assert any("--dtype bfloat16" in n for n in doc["notes"])


@pytest.mark.parametrize(
    "text, note",
    [
        (
            ",a,b,label\n0,0.5,1.5,1\n1,2.5,0.5,0\n",
            "an unnamed first column of integers: the row index DataFrame.to_csv writes, skipped",
        ),
        (
            "index,a,b,label\n7,0.5,1.5,1\n8,2.5,0.5,0\n",
            "a column 'index' of integers: the row index reset_index() writes, skipped",
        ),
    ],
)
def test_inspect_skips_index_columns_as_the_readers_do(write, text, note):
    path = write("d.csv", text)
    doc = json.loads(run_cece("inspect", path, "-f", "json").out)
    assert doc["columns"] == 2 and note in doc["notes"]
    assert doc["values"]["max"] == 2.5  # the index (7, 8) is not among the values
    want = reference.categorical([[0.5, 1.5], [2.5, 0.5]], [1, 0])
    np.testing.assert_allclose(_run_suggestion(doc, Path(path).parent), want, rtol=1e-12)


def test_inspect_skips_pandas_metadata_index_in_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {"a": [0.5, 2.5], "b": [1.5, 0.5], "label": [1, 0], "__index_level_0__": [4, 9]}
    )
    meta = {b"pandas": json.dumps({"index_columns": ["__index_level_0__"]}).encode()}
    pq.write_table(table.replace_schema_metadata(meta), tmp_path / "d.parquet")
    doc = json.loads(run_cece("inspect", tmp_path / "d.parquet", "-f", "json").out)
    assert doc["columns"] == 2 and doc["values"]["max"] == 2.5
    assert (
        "column '__index_level_0__' skipped: pandas' metadata names it the row index"
        in (doc["notes"])
    )


def test_inspect_states_an_unnamed_non_integer_first_column(write):
    path = write("d.csv", ",a,b\n0.5,0.1,0.9\n1.5,0.2,0.8\n")
    doc = json.loads(run_cece("inspect", path, "-f", "json").out)
    said = "column 0 has no name but does not hold integers: a row index or scores?"
    assert said in doc["notes"]


@pytest.mark.parametrize("columns", [["cat", "dog", "pig"], None], ids=["named", "default"])
def test_a_string_index_is_row_names_and_pairs_the_rows(tmp_path, columns):
    """pandas' to_csv() of frames indexed by image ids: the unnamed first column of text is
    the row names (skipped, stated), with pandas' default column names too (header ",0,1,2",
    which was read as data); two such files pair by those names, and a shuffle is refused
    (no option got past the refusal of the text column before)."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(25, 3)), rng.integers(0, 3, 25)
    ids = [f"img_{i:03d}.png" for i in range(25)]
    pd.DataFrame(x, columns=columns, index=ids).to_csv(tmp_path / "p.csv")
    pd.Series(y, index=ids, name="label").to_csv(tmp_path / "y.csv")
    want = reference.categorical(x.tolist(), y.tolist())
    run = run_cece("categorical", tmp_path / "p.csv", tmp_path / "y.csv", "-q")
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(want, rel=1e-12)
    notes = run_cece("categorical", tmp_path / "p.csv", tmp_path / "y.csv", "-f", "json").err
    assert "an unnamed first column of text: the row names DataFrame.to_csv writes" in notes
    shuffled = pd.Series(y, index=ids, name="label").sample(frac=1, random_state=0)
    shuffled.to_csv(tmp_path / "y_shuffled.csv")
    line = run_cece("categorical", tmp_path / "p.csv", tmp_path / "y_shuffled.csv").error_line()
    assert "the files list the samples in different orders" in line


@pytest.mark.parametrize("sep", [" ", "\t"], ids=["write.table", "tab"])
@pytest.mark.parametrize("names", ["numbers", "text"])
def test_r_write_table_row_names_under_a_short_header(tmp_path, sep, names):
    """R's write.table(df) writes no header cell over the row names (the header one field
    short of the rows) and quotes every text field: the first line was refused as column
    'V1' of text, and its hint led to a second error. The row names are the unnamed first
    column (skipped), stated."""
    rng = np.random.default_rng(19)
    p, y = rng.dirichlet(np.ones(3), 15), rng.integers(0, 3, 15)
    rows = [f"{i + 1}" if names == "numbers" else f"s{i + 1}" for i in range(15)]
    text = sep.join(f'"V{j}"' for j in (1, 2, 3)) + "\n"
    text += "".join(
        f'"{r}"' + sep + sep.join(repr(float(v)) for v in p[i]) + "\n" for i, r in enumerate(rows)
    )
    path = tmp_path / "r_table.txt"
    path.write_text(text)
    labels = tmp_path / "y.npy"
    np.save(labels, y)
    run = run_cece("categorical", path, labels, "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["loss"] == pytest.approx(
        reference.categorical(p.tolist(), y.tolist(), kind="probs"), rel=1e-12
    )
    assert "the header is one field short of the rows: R's row names, unnamed" in run.err


@pytest.mark.parametrize("sep", [" ", "\t"], ids=["write.table", "tab"])
def test_r_write_table_quote_false_row_names(tmp_path, sep):
    """write.table(df, quote=FALSE): R's default row names 1, 2, 3, ... unquoted under a
    header one field short. They were refused as column 'V1' of integers, with a hint that
    led to a ragged-row error."""
    rng = np.random.default_rng(23)
    p, y = rng.dirichlet(np.ones(3), 12), rng.integers(0, 3, 12)
    text = sep.join(f"V{j}" for j in (1, 2, 3)) + "\n"
    text += "".join(
        f"{i + 1}" + sep + sep.join(repr(float(v)) for v in p[i]) + "\n" for i in range(12)
    )
    path = tmp_path / "r_table.txt"
    path.write_text(text)
    np.save(tmp_path / "y.npy", y)
    run = run_cece("categorical", path, tmp_path / "y.npy", "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["loss"] == pytest.approx(
        reference.categorical(p.tolist(), y.tolist(), kind="probs"), rel=1e-12
    )
    assert "the header is one field short of the rows: R's row names, unnamed" in run.err
    later = path.read_text().replace("\n1" + sep, "\n3" + sep, 1)  # not R's 1, 2, 3, ...
    path.write_text(later)
    assert "line 2: 4 fields, expected 3" in run_cece("categorical", path, "[0]").error_line()


def test_a_header_short_of_its_last_name_is_not_r_row_names(write):
    """Over a first column of unquoted numbers, a short header is a missing last name: the
    rows stay ragged (the first column was read as a row index, and the scores shifted)."""
    path = write("short.csv", "a,b\n1,2,3\n4,5,6\n")
    line = run_cece("categorical", path, "[0,1]").error_line()
    assert line == f"cece: error: {path}: line 2: 3 fields, expected 2 like line 1"


def test_a_trailing_delimiter_is_not_r_row_names(write):
    """Rows one field longer by a trailing comma ("1.5,2.5,3.5,") are ragged rows, as before
    (R's rows end with a value)."""
    path = write("trail.csv", "a,b,c\n1.5,2.5,3.5,\n0.5,0.25,1.0,\n")
    line = run_cece("categorical", path, "[0,1]").error_line()
    assert line == f"cece: error: {path}: line 2: 4 fields, expected 3 like line 1"


# -- 4. sample-weight files written by pandas ------------------------------------------------------


@pytest.mark.parametrize("weights", ["weights_index.csv", "weights_index.parquet"])
def test_sample_weight_files_skip_pandas_index(weights):
    r = run_cece(
        "categorical",
        GAPS / "w_preds.csv",
        GAPS / "w_labels.csv",
        "--sample-weight",
        GAPS / weights,
        "-f",
        "json",
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    np.testing.assert_allclose(doc["loss"], REF["weights"]["value"], rtol=1e-12)
    assert any(
        i["file"].endswith(weights) and i["what"] == "skipped column"
        for i in doc["input"]["inferred"]
    )


def test_sample_weight_file_with_two_value_columns_is_refused(write):
    path = write("w.csv", "a,b\n1.0,2.0\n0.5,1.0\n")
    line, _ = refusal("categorical", "[[1,2],[2,1]]", "[0,1]", "--sample-weight", path)
    assert line == "cece: error: w.csv: 2 columns; expected 1 column of sample weights"


def test_sample_weight_unnamed_float_first_column_is_refused(write):
    path = write("w.csv", ",w\n0.5,2.0\n1.5,1.0\n")
    line, hint = refusal("categorical", "[[1,2],[2,1]]", "[0,1]", "--sample-weight", path)
    assert line == (
        "cece: error: w.csv: column 0 has no name but does not hold integers: a row index or scores?"
    )
    assert hint == "  hint: choose the columns with --pred-cols (or --label-col)"


def test_sample_weight_pandas_series_header_zero(write):
    preds = write("p.csv", "a,b\n1.0,2.0\n2.0,1.0\n0.5,0.5\n")
    labels = write("y.csv", "0\n0\n1\n1\n")  # pandas' Series header above integer labels
    weights = write("w.csv", "0\n1.0\n2.0\n0.5\n")  # pandas' Series header above floats
    want = reference.categorical(
        [[1.0, 2.0], [2.0, 1.0], [0.5, 0.5]], [0, 1, 1], sample_weight=[1.0, 2.0, 0.5]
    )
    value = quiet("categorical", preds, labels, "--sample-weight", weights)
    np.testing.assert_allclose(value, want, rtol=1e-12)


# -- 5. %g writers ---------------------------------------------------------------------------------


def test_g_logits_with_a_whole_number_column_are_numbers():
    value = quiet("categorical", GAPS / "g_logits.csv", GAPS / "g_labels.txt")
    np.testing.assert_allclose(value, REF["g_logits"]["value"], rtol=1e-12)


@pytest.mark.parametrize(
    "first",
    [
        ["2", "3", "4", "5"],  # increasing by one: a row index
        ["1", "0", "2", "1"],  # within 0..k: labels
    ],
)
def test_integer_columns_that_may_be_index_or_labels_are_still_refused(write, first):
    rows = [f"{a},0.25,0.75" for a in first[:-1]] + [f"{first[-1]},1,0"]  # %g: 1 and 0 below
    path = write("p.csv", "\n".join(rows) + "\n")
    line, hint = refusal("categorical", path, "[0,1,0,1]")
    assert (
        line
        == (
            "cece: error: p.csv: column 0 holds integers among decimal scores: an index, id or label "
            "column is not a class score"
        )
        or "is the first row" in line
    )
    assert hint is not None


def test_g_first_row_of_integers_is_not_taken_for_a_header(write):
    # np.savetxt(fmt="%g") of logits whose first row is 0, 1, 2; labels written with %d
    preds = write("p.csv", "0,1,2\n0.25,0.75,1.5\n1e-05,0.99999,2.5\n0.5,0.5,-1.5\n1,0,0.5\n")
    labels = write("y.txt", "0\n1\n2\n0\n1\n")
    line, hint = refusal("categorical", preds, labels)
    assert line == (
        "cece: error: p.csv: is the first row (0,1,2) a header, as pandas writes one, or data? "
        "Both readings fit the other inputs' row counts and give different losses"
    )
    assert hint.startswith("  hint: --header")
    x = [[0, 1, 2], [0.25, 0.75, 1.5], [1e-05, 0.99999, 2.5], [0.5, 0.5, -1.5], [1, 0, 0.5]]
    # columns 0 and 1 sum to 1 in every row: is column 2 a score? (test_extra_score_column)
    line, hint = refusal("categorical", preds, labels, "--no-header")
    assert line.endswith("is it a class score? --pred-cols decides"), line
    value = quiet("categorical", preds, labels, "--no-header", "--pred-cols", "0:3")
    np.testing.assert_allclose(value, reference.categorical(x, [0, 1, 2, 0, 1]), rtol=1e-12)


def test_g_first_row_read_as_data_when_the_labels_decide(write):
    preds = write("p.csv", "0,1\n0.25,0.75\n1e-05,0.99999\n0.5,0.5\n1,0\n")
    labels = write("y.csv", "y\n1\n1\n1\n0\n0\n")
    x = [[0, 1], [0.25, 0.75], [1e-05, 0.99999], [0.5, 0.5], [1, 0]]
    want = reference.categorical(x, [1, 1, 1, 0, 0], kind="probs")
    np.testing.assert_allclose(quiet("categorical", preds, labels), want, rtol=1e-12)


@settings(max_examples=int(os.environ.get("CECE_FUZZ_EXAMPLES", "40")), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-5, 5),
            st.floats(-4, 4, allow_nan=False).map(lambda v: round(v, 3)),
            st.floats(-4, 4, allow_nan=False).map(lambda v: round(v, 3)),
        ),
        min_size=2,
        max_size=12,
    ),
    st.data(),
)
def test_g_written_tables_give_the_formula_or_a_refusal(tmp_path_factory, rows, data):
    """Whatever a %g writer puts in the first column, cece gives the formula's number on the
    values as written, or refuses with one line: never another number."""
    x = [[float(a), b, c] for a, b, c in rows]
    y = data.draw(st.lists(st.integers(0, 2), min_size=len(x), max_size=len(x)))
    folder = tmp_path_factory.mktemp("g")
    (folder / "p.csv").write_text("\n".join(",".join(f"{v:g}" for v in r) for r in x) + "\n")
    (folder / "y.txt").write_text("\n".join(map(str, y)) + "\n")
    r = run_cece("categorical", folder / "p.csv", folder / "y.txt", "-f", "json")
    if r.code:
        r.error_line()
        return
    doc = json.loads(r.out)
    back = [[float(f"{v:g}") for v in row] for row in x]
    want = reference.categorical(back, y, kind=doc["input"]["kind"])
    np.testing.assert_allclose(doc["loss"], want, rtol=1e-9, atol=1e-12)


# -- 6. --dtype is PREDS'; kl's Q has --q-dtype; both in JSON options -----------------------------


def test_kl_dtype_applies_to_p_only():
    line, _ = refusal("kl", GAPS / "kl_p.npy", GAPS / "kl_q_bits.npy", "--dtype", "bfloat16")
    assert line == (
        "cece: error: --dtype bfloat16 reads 16-bit bit patterns (uint16, int16 or |V2 arrays); "
        "kl_p.npy holds float64 values"
    )


def test_kl_q_bits_are_refused_naming_q_dtype():
    line, hint = refusal("kl", GAPS / "kl_p.npy", GAPS / "kl_q_bits.npy")
    assert line.startswith("cece: error: kl_q_bits.npy: holds uint16 values, the form bfloat16")
    assert hint == (
        "  hint: --q-dtype bfloat16 reads them as bfloat16 bits; numbers: save them as float32"
    )


def test_kl_q_dtype_reads_q_as_bfloat16_and_says_so():
    r = run_cece(
        "kl",
        GAPS / "kl_p.npy",
        GAPS / "kl_q_bits.npy",
        "--q-dtype",
        "bfloat16",
        "--q-from",
        "probs",
        "-f",
        "json",
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    np.testing.assert_allclose(doc["loss"], REF["kl_q_bits"]["value"], rtol=1e-12)
    assert doc["options"]["dtype"] == "auto" and doc["options"]["q_dtype"] == "bfloat16"
    assert doc["input"]["q_dtype"] == "bfloat16" and doc["input"]["q_stored_dtype"] == "uint16"
    assert "kl_q_bits.npy: bfloat16 values (stored as uint16), converted exactly" in r.err


@pytest.mark.parametrize("command", ["categorical", "binary", "entropy"])
def test_dtype_is_in_json_options(command):
    args = {"categorical": ["[[1,2],[3,1]]", "[0,1]"], "binary": ["[0.2,0.7]", "[0,1]"]}
    argv = args.get(command, ["[[0.5,0.5],[0.9,0.1]]"])
    r = run_cece(command, *argv, "-f", "json")
    assert r.code == 0, r.err
    options = json.loads(r.out)["options"]
    assert options["dtype"] == "auto" and "q_dtype" not in options


def test_q_dtype_is_kl_only():
    r = run_cece("entropy", "[[0.5,0.5]]", "--q-dtype", "bfloat16")
    assert r.code == 2 and "--q-dtype" in r.err


# -- 7. binary targets: one [0, 1] rule, with the --positive hint for -1 ---------------------------


def test_binary_minus_one_target_names_positive():
    line, hint = refusal("binary", "[0.2,0.7]", "[-1,1]")
    assert line == "cece: error: literal '[-1,1]': row 0: target -1 is outside [0, 1]"
    assert hint == (
        "  hint: for labels such as benign/malignant or -1/1 name the positive one: "
        "--positive LABEL"
    )


def test_binary_target_above_one_keeps_the_binary_hint():
    line, hint = refusal("binary", "[[0.2,0.7]]", "[[0.5,2]]")
    assert line == "cece: error: literal '[[0.5,2]]': row 0, column 1: target 2 is outside [0, 1]"
    assert hint == "  hint: binary targets are 0/1 labels or probabilities in [0, 1]"


def test_library_binary_targets_use_the_same_rule():
    from cece import binary_cross_entropy
    from cece.errors import InputError

    with pytest.raises(InputError, match=r"target -1 is outside \[0, 1\]"):
        binary_cross_entropy(np.array([0.2, 0.7]), np.array([-1.0, 1.0]))


def test_ignored_labels_do_not_hide_the_boolean_ambiguity(write):
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])  # columns: True, False
    preds = write("p.csv", "True,False\n" + "\n".join(f"{a},{b}" for a, b in p.tolist()) + "\n")
    line, _ = refusal("categorical", preds, "[1,-100,0]", "--ignore-index", "-100")
    assert line.startswith("cece: error: literal '[1,-100,0]': 0/1 labels against the class names")
    value = quiet(
        "categorical", preds, "[1,-100,0]", "--ignore-index", "-100", "--labels-as", "name"
    )
    want = reference.categorical(p, [0, -100, 1], kind="probs", ignore_index=-100)
    np.testing.assert_allclose(value, want, rtol=1e-12)


def test_integer_first_row_above_a_column_of_integers_is_not_a_sure_header(write):
    # 0,1,2 above a column of whole numbers: pandas' header over an int column, or a %g
    # writer's first row of data. The cells below are no evidence; the row counts decide.
    preds = write("p.csv", "0,1,2\n3,0.5,0.25\n-1,1.5,2.5\n2,0.75,0.125\n")
    x = [[0, 1, 2], [3, 0.5, 0.25], [-1, 1.5, 2.5], [2, 0.75, 0.125]]
    both = write("y.txt", "0\n1\n2\n1\n")  # its first row may be pandas' header too
    line, hint = refusal("categorical", preds, both)
    assert line == (
        "cece: error: p.csv: is the first row (0,1,2) a header, as pandas writes one, or data? "
        "Both readings fit the other inputs' row counts and give different losses"
    )
    assert hint is not None and hint.startswith("  hint: --header reads")
    named = write("y.csv", "y\n0\n1\n2\n1\n")
    want = reference.categorical(x, [0, 1, 2, 1])
    np.testing.assert_allclose(quiet("categorical", preds, named), want, rtol=1e-12)
    as_header = quiet("categorical", preds, both, "--header")
    np.testing.assert_allclose(as_header, reference.categorical(x[1:], [1, 2, 1]), rtol=1e-12)


def test_labels_written_with_a_string_index(tmp_path):
    """``pd.Series(y, index=ids).to_csv()`` (first line ``,0``: the index's empty cell, the
    Series' default name): refused as two columns, and ``--label-col 1`` read the header as a
    label (13 labels for 12 rows). The empty cell over the row names makes it a header."""
    rng = np.random.default_rng(31)
    ids = [f"img_{i:03d}" for i in range(12)]
    x, y = rng.normal(size=(12, 4)), rng.integers(0, 4, 12)
    pd.DataFrame(x, index=ids).to_csv(tmp_path / "x.csv")
    pd.DataFrame(x).to_csv(tmp_path / "x0.csv", index=False)
    pd.Series(y, index=ids).to_csv(tmp_path / "y.csv")
    want = reference.categorical(x.tolist(), y.tolist())
    for preds in ("x.csv", "x0.csv"):
        run = run_cece("categorical", tmp_path / preds, tmp_path / "y.csv", "-f", "json")
        assert run.code == 0, run.err
        assert json.loads(run.out)["loss"] == pytest.approx(want, rel=1e-12)
    assert "first row ,0 read as a header (an empty cell over the row names: pandas' index)" in (
        run.err
    )
    run = run_cece("categorical", tmp_path / "x.csv", tmp_path / "y.csv", "--label-col", "1", "-q")
    assert float(run.out) == pytest.approx(want, rel=1e-12)
