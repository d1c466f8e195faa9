"""Record formats: JSON Lines, Arrow list columns, Arrow IPC streams, True/False cells.

The dumps under tests/data/dumps/records/ were written by pandas, pyarrow and json the way
evaluation code writes them; the expected values (tests/data/dumps/records.json) come from
scikit-learn and PyTorch (tests/data/dumps/make_record_dumps.py).
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest

import reference
from conftest import run_cece

DUMPS = Path(__file__).resolve().parent / "data" / "dumps"
REF = json.loads((DUMPS / "records.json").read_text())
RECORDS = DUMPS / "records"


def quiet(*args) -> float:
    r = run_cece(*args, "-q")
    assert r.code == 0, r.err
    return float(r.out)


def ref(key: str) -> float:
    return REF[key]["value"]


# -- numbers that match the reference libraries -------------------------------------------------


@pytest.mark.parametrize("name", ["eval.jsonl", "eval.jsonl.gz"])
def test_eval_harness_jsonl_infers_logits_and_label(name):
    r = run_cece("categorical", RECORDS / name, "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    np.testing.assert_allclose(doc["loss"], ref("eval.jsonl"), rtol=1e-12)
    layout = doc["input"]["layout"][0]
    assert layout["preds"] == "logits" and layout["preds_inferred"] is True
    assert layout["labels"] == "label" and layout["labels_inferred"] is True
    assert doc["input"]["shape"] == [24, 10]
    notes = [line for line in r.err_lines if line.startswith("cece: note:")]
    assert any("predictions from field 'logits' (10 values per record)" in n for n in notes)
    assert any("labels from field 'label'; --label-col" in n for n in notes)


def test_explicit_fields_and_stdin():
    value = quiet(
        "categorical", RECORDS / "eval.jsonl", "--pred-cols", "logits", "--label-col", "label"
    )
    np.testing.assert_allclose(value, ref("eval.jsonl"), rtol=1e-12)
    data = (RECORDS / "eval.jsonl").read_bytes()
    for stdin in (data, gzip.compress(data)):
        r = run_cece("categorical", "-", "-q", stdin=stdin)
        assert r.code == 0, r.err
        np.testing.assert_allclose(float(r.out), ref("eval.jsonl"), rtol=1e-12)


def test_jsonl_under_other_names_is_read_as_records(tmp_path):
    for suffix in (".json", ".txt", ".csv", ""):
        path = tmp_path / f"dump{suffix}"
        path.write_bytes((RECORDS / "eval.jsonl").read_bytes())
        np.testing.assert_allclose(quiet("categorical", path), ref("eval.jsonl"), rtol=1e-12)


def test_nested_fields_by_dotted_path_and_class_names():
    value = quiet(
        "categorical",
        RECORDS / "nested.ndjson",
        "--pred-cols",
        "outputs.logits",
        "--label-col",
        "meta.label",
        "--classes",
        "cat,dog,pig",
    )
    np.testing.assert_allclose(value, ref("nested.ndjson"), rtol=1e-12)
    # without --pred-cols: the one list of numbers, nested or not; the label by its name
    np.testing.assert_allclose(
        quiet("categorical", RECORDS / "nested.ndjson", "--classes", "cat,dog,pig"),
        ref("nested.ndjson"),
        rtol=1e-12,
    )


def test_pandas_records_with_scalar_prediction_fields():
    value = quiet(
        "categorical",
        RECORDS / "iris_proba.jsonl",
        "--pred-cols",
        "setosa,versicolor,virginica",
        "--label-col",
        "y",
    )
    np.testing.assert_allclose(value, ref("iris_proba.jsonl"), rtol=1e-12)


def test_labels_from_a_separate_jsonl_file(tmp_path):
    recs = [json.loads(line) for line in (RECORDS / "eval.jsonl").read_text().splitlines()]
    np.save(tmp_path / "logits.npy", np.array([r["logits"] for r in recs]))
    (tmp_path / "labels.jsonl").write_text(
        "".join(json.dumps({"y": r["label"]}) + "\n" for r in recs)
    )
    value = quiet("categorical", tmp_path / "logits.npy", tmp_path / "labels.jsonl")
    np.testing.assert_allclose(value, ref("eval.jsonl"), rtol=1e-12)


def test_multilabel_lists_for_binary():
    np.testing.assert_allclose(
        quiet("binary", RECORDS / "multilabel.jsonl"), ref("multilabel.jsonl"), rtol=1e-12
    )


def test_cece_jsonl_output_read_back(tmp_path):
    out = tmp_path / "out.jsonl"
    r = run_cece("binary", "[0.2, 0.9, 0.6]", "[0, 1, 0]", "-f", "jsonl", "--output", out)
    assert r.code == 0, r.err
    first = run_cece("binary", "[0.2, 0.9, 0.6]", "[0, 1, 0]", "-q")
    again = quiet("binary", out, "--pred-cols", "p", "--label-col", "target")
    np.testing.assert_allclose(again, float(first.out), rtol=1e-12)
    line = run_cece("binary", out).error_line()
    assert line == (
        f"cece: error: {out}: per-sample records written by cece (index, loss, ...): "
        "they hold losses, not predictions"
    )
    assert "--pred-cols p --label-col target" in run_cece("binary", out).err


@pytest.mark.parametrize(
    "name",
    ["hf_logits.parquet", "hf_logits.feather", "data-00000-of-00001.arrow", "hf_fixed.parquet"],
)
def test_arrow_list_columns(name):
    r = run_cece("categorical", RECORDS / name, "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    np.testing.assert_allclose(doc["loss"], ref("hf_logits"), rtol=1e-9)
    assert doc["input"]["layout"][0]["preds"] == "logits"
    explicit = quiet("categorical", RECORDS / name, "--pred-cols", "logits", "--label-col", "label")
    np.testing.assert_allclose(explicit, ref("hf_logits"), rtol=1e-9)


def test_true_false_cells():
    value = quiet("categorical", RECORDS / "dummies_probs.csv", RECORDS / "dummies.csv")
    np.testing.assert_allclose(value, ref("dummies.csv"), rtol=1e-12)
    for name in ("bool_labels.csv", "bool_labels.parquet"):
        value = quiet("binary", RECORDS / name, "--pred-cols", "score", "--label-col", "y")
        np.testing.assert_allclose(value, ref("bool_labels"), rtol=1e-12)


def test_true_false_case_variants(tmp_path):
    (tmp_path / "t.csv").write_text("p,y\n0.9,TRUE\n0.2,false\n0.7,True\n0.4,FALSE\n")
    value = quiet("binary", tmp_path / "t.csv", "--pred-cols", "p", "--label-col", "y")
    expected = -np.mean(np.log([0.9, 0.8, 0.7, 0.6]))
    np.testing.assert_allclose(value, expected, rtol=1e-12)


# -- refusals: one line, naming the line and the option that decides ----------------------------

CASES = [
    (
        '{"logits":[1,2.5,3],"label":0}\n{"logits":[1,2],"label":1}\n',
        [],
        "line 2: field 'logits' holds 2 values; expected 3 like line 1",
    ),
    (
        '{"logits":[1,2.5,3],"label":0}\n{"logits":[1,"x",3],"label":1}\n',
        [],
        "line 2: field 'logits', entry 1: expected a number, found 'x'",
    ),
    (
        '{"logits":[1,2.5,3],"label":0}\n\n{"logits":[1,2,3]}\n',
        [],
        "line 3: the record has no field 'label'",
    ),
    (
        '{"logits":[1,2.5,3],"label":0}\nnot json\n',
        [],
        "line 2: not valid JSON (Expecting value)",
    ),
    (
        '{"logits":[1,2.5,NaN],"label":0}\n',
        [],
        "line 1: field 'logits': found a non-finite value; expected finite numbers",
    ),
    (
        '{"logits":[1,2.5,3],"label":"a"}\n{"logits":[1,2.5,3],"label":2}\n',
        ["--classes", "a,b,c"],
        "line 2: field 'label': expected a class name like line 1, found 2",
    ),
    (
        "[1, 2, 3]\n",
        [],
        "line 1: found a JSON array; expected one JSON object (a record) per line",
    ),
]


@pytest.mark.parametrize("text, extra, message", CASES)
def test_record_errors_name_the_line(tmp_path, text, extra, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    line = run_cece("categorical", path, *extra).error_line()
    assert line == f"cece: error: {path}: {message}"


INFERENCE = [
    (
        '{"logits":[1,2.5,3],"probs":[0.2,0.3,0.5],"label":0}\n',
        "several fields hold lists of numbers (logits, probs); which are the predictions?",
        "name them with --pred-cols, e.g. --pred-cols logits",
    ),
    (
        '{"logits":[1,2.5,3],"label":0,"y":1}\n',
        "several fields could be labels (label, y); which field holds the labels?",
        "name it with --label-col, e.g. --label-col label",
    ),
    (
        '{"input_ids":[1,2,3],"label":0}\n',
        "field 'input_ids' holds whole numbers only (ids or labels, not scores?)",
        "pass --pred-cols input_ids if they are prediction scores",
    ),
    (
        '{"score":0.7,"label":1}\n',
        "no field holds a list of numbers (fields: score, label)",
        "name the prediction field(s) with --pred-cols, e.g. --pred-cols score",
    ),
    (
        '{"logits":[1,2.5,3],"answer":0}\n',
        "no label field; which field holds the labels?",
        "name it with --label-col",
    ),
]


@pytest.mark.parametrize("text, message, hint", INFERENCE)
def test_inference_refuses_when_not_conclusive(tmp_path, text, message, hint):
    path = tmp_path / "r.jsonl"
    path.write_text(text)
    r = run_cece("categorical", path)
    assert r.error_line() == f"cece: error: {path}: {message}"
    assert r.err_lines[-1] == f"  hint: {hint}"


def test_lists_of_whole_numbers_do_not_compete_with_the_scores(tmp_path):
    """HF-style records hold input_ids and attention_mask beside the logits: those lists of
    whole numbers are no scores (README), so the logits are the one list, and the note says
    which were passed over. The hint of a refusal names a list of scores, never the ids
    (following it gave a softmax over token ids, 1306.6)."""
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(25, 3)), rng.integers(0, 3, 25)
    path = tmp_path / "eval.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "input_ids": [101, 2023, 102],
                    "attention_mask": [1, 1, 1],
                    "logits": x[i].tolist(),
                    "label": int(y[i]),
                }
            )
            + "\n"
            for i in range(25)
        )
    )
    run = run_cece("categorical", path, "-q")
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(reference.categorical(x.tolist(), y.tolist()), 1e-12)
    notes = run_cece("categorical", path, "-f", "json").err
    assert (
        "predictions from field 'logits' (3 values per record), the only list of numbers but "
        "token ids and masks (input_ids, attention_mask)" in notes
    )
    hard = tmp_path / "hard.jsonl"  # whole numbers not named as tokens: scores as much
    hard.write_text('{"pred_onehot":[0,1,0],"probs":[0.1,0.8,0.1],"label":1}\n')
    assert (
        "several fields hold lists of numbers (pred_onehot, probs)"
        in run_cece("categorical", hard).error_line()
    )
    both = tmp_path / "two.jsonl"
    both.write_text('{"input_ids":[1,2,3],"logits":[1,2.5,3],"probs":[0.2,0.3,0.5],"label":0}\n')
    r = run_cece("categorical", both)
    assert "several fields hold lists of numbers (logits, probs)" in r.error_line()
    assert r.err_lines[-1] == "  hint: name them with --pred-cols, e.g. --pred-cols logits"


def test_unknown_and_object_fields(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text('{"out":{"logits":[1,2.5,3]},"meta":{"label":"b"}}\n')
    line = run_cece("categorical", path, "--pred-cols", "out").error_line()
    assert line == (
        f"cece: error: --pred-cols 'out': field 'out' of {path} is an object; "
        "name one of its fields (out.logits)"
    )
    line = run_cece(
        "categorical", path, "--pred-cols", "out.logits", "--label-col", "meta.lab"
    ).error_line()
    assert line == (
        f"cece: error: --label-col 'meta.lab': the records of {path} have no field "
        "'meta.lab' (line 1 has out.logits, meta.label)"
    )


def test_arrow_stream_under_a_feather_name(tmp_path):
    target = tmp_path / "stream.feather"
    target.write_bytes((RECORDS / "data-00000-of-00001.arrow").read_bytes())
    np.testing.assert_allclose(quiet("categorical", target), ref("hf_logits"), rtol=1e-9)


def test_arrow_ragged_list_column(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [[1.0, 2.0, 3.0]] * 15 + [[1.0, 2.0]] + [[1.0, 2.0, 3.0]] * 4
    table = pa.table({"logits": pa.array(rows), "label": [0] * 20})
    pq.write_table(table, tmp_path / "r.parquet")
    message = (
        f"cece: error: {tmp_path / 'r.parquet'}: row 15: column 'logits' holds lists of "
        "different lengths (2 value(s); row 0 holds 3); expected one length (one score per class)"
    )
    line = run_cece("categorical", tmp_path / "r.parquet", "--pred-cols", "logits").error_line()
    assert line == message
    assert run_cece("categorical", tmp_path / "r.parquet").error_line() == message  # inferred


def test_arrow_nulls_are_named_at_their_row(tmp_path):
    """A null row, a null entry of a list, a null label: each named at its own row (all were
    "row 0", the block's first)."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    x = [[float(i), 1.0, 2.0] for i in range(20)]
    cases = {
        "row 7: column 'logits' has null values": (x[:7] + [None] + x[8:], list(range(20))),
        "row 12: column 'logits' has null entries": (
            x[:12] + [[1.0, None, 2.0]] + x[13:],
            list(range(20)),
        ),
        "row 11: column 'label' has null values": (x, [*range(11), None, *range(12, 20)]),
    }
    for message, (rows, labels) in cases.items():
        labels = [None if v is None else v % 3 for v in labels]
        table = pa.table({"logits": pa.array(rows, pa.list_(pa.float64())), "label": labels})
        path = tmp_path / "n.parquet"
        pq.write_table(table, path)
        assert run_cece("categorical", path, "-q").error_line() == f"cece: error: {path}: {message}"


def test_one_json_object_is_not_records(tmp_path):
    """{"probs": [...], "labels": [...]} names arrays; samples or classes? Refused unless
    the name says it is a record (.jsonl)."""
    text = '{"probs": [0.1, 0.9, 0.3], "labels": [0, 1, 0]}\n'
    path = tmp_path / "d.json"
    path.write_text(text)
    for r in (run_cece("categorical", path), run_cece("binary", "-", stdin=text.encode())):
        line = r.error_line()
        assert line.endswith(
            "holds one JSON object, not records (one JSON object per line, one line per sample)"
        )
        assert r.err_lines[-1] == (
            "  hint: save arrays as .npy, or name the file .jsonl if it is one sample's record"
        )


def test_save_to_disk_folder_of_stream_shards(tmp_path):
    """datasets.Dataset.save_to_disk: state.json lists the shards, each an IPC stream."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.ipc as ipc

    source = RECORDS / "data-00000-of-00001.arrow"
    with pa.OSFile(str(source)) as fh:
        table = ipc.open_stream(fh).read_all()
    files = []
    for i, (lo, hi) in enumerate([(0, 10), (10, table.num_rows)]):
        files.append(f"data-0000{i}-of-00002.arrow")
        with ipc.new_stream(tmp_path / files[-1], table.schema) as writer:
            writer.write_table(table.slice(lo, hi - lo))
    state = {"_data_files": [{"filename": f} for f in files], "_split": None}
    (tmp_path / "state.json").write_text(json.dumps(state))
    np.testing.assert_allclose(quiet("categorical", tmp_path), ref("hf_logits"), rtol=1e-9)


def test_layout_in_json_follows_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(
        (Path(__file__).resolve().parent.parent / "cece/report/result.schema.json").read_text()
    )
    r = run_cece("categorical", RECORDS / "hf_logits.parquet", "-f", "json")
    doc = json.loads(r.out)
    jsonschema.validate(doc, schema)
    assert doc["input"]["layout"] == [
        {
            "file": str(RECORDS / "hf_logits.parquet"),
            "format": "arrow",
            "preds": "logits",
            "preds_inferred": True,
            "labels": "label",
            "labels_inferred": True,
        }
    ]


def test_boolean_class_names_in_a_header(tmp_path):
    """pd.DataFrame(proba, columns=clf.classes_) with classes [False, True] writes the header
    False,True: names above numbers, not a row of 0 and 1."""
    (tmp_path / "p.csv").write_text("False,True\n0.8,0.2\n0.3,0.7\n0.6,0.4\n")
    (tmp_path / "y.csv").write_text("y\nFalse\nTrue\nTrue\n")
    value = quiet("categorical", tmp_path / "p.csv", tmp_path / "y.csv")
    np.testing.assert_allclose(value, 0.49870307570903244, rtol=1e-12)  # sklearn log_loss


def test_a_field_named_class_is_not_taken_for_the_label(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"logits":[0.5,1.5],"class":1}\n')
    assert run_cece("categorical", path).error_line() == (
        f"cece: error: {path}: no label field; which field holds the labels?"
    )


WITHOUT_PYARROW = """
import importlib.abc, sys

class NoArrow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoArrow())
from cece.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize(
    "name, what",
    [("hf_logits.parquet", ".parquet files"), ("data-00000-of-00001.arrow", "Arrow IPC streams")],
)
def test_without_pyarrow_one_line(name, what):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PYARROW, "categorical", str(RECORDS / name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"cece: error: {RECORDS / name}: reading {what} needs pyarrow",
        "  hint: pip install 'cece[parquet]'",
    ]


def test_small_blocks_give_the_same_number_and_lines(tmp_path, monkeypatch):
    import cece.io.jsonl

    monkeypatch.setattr(cece.io.jsonl, "BLOCK", 300)  # a few records per block
    np.testing.assert_allclose(
        quiet("categorical", RECORDS / "eval.jsonl"), ref("eval.jsonl"), rtol=1e-12
    )
    lines = (RECORDS / "eval.jsonl").read_text().splitlines()
    lines[20] = lines[20].replace('"label"', '"lab"')
    (tmp_path / "e.jsonl").write_text("\n".join(lines) + "\n")
    line = run_cece("categorical", tmp_path / "e.jsonl", "--label-col", "label").error_line()
    assert line == f"cece: error: {tmp_path / 'e.jsonl'}: line 21: the record has no field 'label'"


def test_a_json_array_of_records_names_json_lines(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('[{"a":0.2,"b":0.8,"y":1},{"a":0.6,"b":0.4,"y":0}]')
    r = run_cece("categorical", path)
    assert r.error_line() == (
        f"cece: error: {path}: holds a JSON array of records; expected JSON Lines "
        "(one record per line)"
    )
    assert r.err_lines[-1] == (
        "  hint: pandas writes them with to_json(path, orient='records', lines=True)"
    )


def test_json_numbers_that_overflow_are_refused_as_in_text_tables(tmp_path):
    """-1e400 read as -inf was a masked logit from JSON Lines, a .json file and a literal,
    while a CSV refused it; -Infinity (JSON's spelling) stays a logit of probability 0."""
    lines = tmp_path / "o.jsonl"
    lines.write_text('{"logits":[1,-1e400,2],"label":0}\n')
    assert run_cece("categorical", lines).error_line() == (
        f"cece: error: {lines}: line 1: not valid JSON (the number -1e400 overflows float64)"
    )
    doc = tmp_path / "o.json"
    doc.write_text("[[1,-1e400,2]]")
    assert "the number -1e400 overflows float64" in run_cece("categorical", doc, "[0]").error_line()
    literal = run_cece("categorical", "[[1,-1e400,2]]", "[0]", "--from", "logits")
    assert literal.error_line() == (
        "cece: error: literal '[[1,-1e400,2]]': the number -1e400 overflows float64"
    )
    spelled = run_cece("categorical", "[[1,-Infinity,2]]", "[0]", "--from", "logits", "-q")
    assert spelled.code == 0 and float(spelled.out) == pytest.approx(math.log1p(math.e), 1e-15)


def test_one_sequence_a_row_is_refused_with_what_to_do(tmp_path):
    """Parquet as `datasets` stores an LM's (T, V) logits a row (list<list<float>>): the
    message said "values that are not numbers" and nothing more."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rng = np.random.default_rng(0)
    table = pa.table(
        {
            "logits": [rng.normal(size=(4, 5)).tolist() for _ in range(3)],
            "labels": [rng.integers(0, 5, 4).tolist() for _ in range(3)],
        }
    )
    pq.write_table(table, tmp_path / "seq.parquet")
    run = run_cece("categorical", tmp_path / "seq.parquet", "--pred-cols", "logits")
    assert run.code == 2
    assert "column 'logits' holds values that are not numbers" in run.error_line()
    assert run.err_lines[-1] == (
        "  hint: a record is one sample: a number or a list of numbers; sequences (B, T, V) go "
        "in an array file (.npy, .safetensors), or one record a token"
    )


def test_per_token_log_probability_logs_get_no_misleading_hint(write):
    """lm-eval/vLLM-style logs (one record a token: doc_id, token, logprob): the hint offered
    --pred-cols doc_id, then "use cece binary", which read the log-probabilities as logits."""
    text = "".join(
        json.dumps({"doc_id": d, "token": t, "logprob": lp}) + "\n"
        for d, t, lp in ((0, "a", -2.3), (0, "b", -0.7), (1, "c", -5.1))
    )
    path = write("lp.jsonl", text)
    run = run_cece("categorical", path)
    assert (
        run.err_lines[-1]
        == "  hint: name the prediction field(s) with --pred-cols, e.g. --pred-cols logprob"
    )
    run = run_cece("categorical", path, "--pred-cols", "logprob", "--from", "log-probs")
    assert run.code == 2
    assert run.err_lines[-1] == (
        "  hint: one log-probability a sample (the target's) is its loss negated; cece needs "
        "every class's"
    )
