"""What labels mean (review findings 1, 6, 8 and the label messages of 14), on files written
the way pandas, NumPy and torch.save write them (tests/data/label_meaning/, with the peers'
numbers stored by its generate.py: scikit-learn 1.9.1, torch 2.13.0)."""

from __future__ import annotations

import json
import pathlib
import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from conftest import run_cece

DATA = pathlib.Path(__file__).parent / "data" / "label_meaning"
ORACLES = json.loads((DATA / "oracles.json").read_text())


def f(name: str) -> str:
    return str(DATA / name)


def notes(run) -> list[str]:
    return [line for line in run.err_lines if line.startswith("cece: note:")]


def loss_json(*args: str) -> dict:
    run = run_cece(*args, "-f", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


def log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


# -- finding 1: --ignore-index applies once, to the labels as written ----------------------------


@pytest.mark.parametrize("ignore", ["1", "2"])
def test_ignore_index_with_integer_class_names_matches_scikit_learn(ignore):
    doc = loss_json("categorical", f("ii_p.csv"), f("ii_y.csv"), "--ignore-index", ignore)
    np.testing.assert_allclose(doc["loss"], ORACLES["ignore_label"][ignore], rtol=1e-12)
    assert (doc["stats"]["count"], doc["stats"]["ignored"]) == (4, 2)
    column = int(ignore)  # PyTorch's reading: the column index I, class I + 1
    detail = (
        f"--ignore-index {ignore} skips the samples labelled {ignore} as written (class "
        f"'{ignore}'); not those of column {column} (class '{column + 1}'): the labels are "
        "class names"
    )
    assert {"file": f("ii_y.csv"), "what": "ignore index", "detail": detail} in doc["input"][
        "inferred"
    ]
    run = run_cece("categorical", f("ii_p.csv"), f("ii_y.csv"), "--ignore-index", ignore)
    assert f"cece: note: {f('ii_y.csv')}: {detail}" in notes(run)


def test_ignore_index_sum_and_other_routes_to_class_names():
    want = ORACLES["ignore_label_sum"]["1"]
    doc = loss_json("categorical", f("ii_p.csv"), f("ii_y.csv"), "--ignore-index", "1", "-r", "sum")
    np.testing.assert_allclose(doc["loss"], want, rtol=1e-12)
    for args in (
        [f("ii_p.csv"), f("ii_y.csv"), "--labels-as", "name"],
        [f("ii_p.npy"), f("ii_y.npy"), "--classes", "1,2,3"],
    ):
        doc = loss_json("categorical", *args, "--ignore-index", "1")
        np.testing.assert_allclose(doc["loss"], ORACLES["ignore_label"]["1"], rtol=1e-12)
        assert doc["stats"]["ignored"] == 2


def test_ignore_index_that_names_no_class_and_the_default():
    doc = loss_json("categorical", f("ii_p.csv"), f("ii_y.csv"), "--ignore-index", "-100")
    np.testing.assert_allclose(doc["loss"], ORACLES["ignore_none"], rtol=1e-12)
    assert not [i for i in doc["input"]["inferred"] if i["what"] == "ignore index"]
    run = run_cece("categorical", f("ii_p.csv"), f("ii_y.csv"), "--ignore-index", "0")
    assert run.code == 0
    assert (
        f"cece: note: {f('ii_y.csv')}: --ignore-index 0 skips the samples labelled 0 as written "
        "(no class is named 0); not those of column 0 (class '1'): the labels are class names"
    ) in notes(run)


def test_ignored_records_carry_the_class_they_name():
    run = run_cece(
        "categorical", f("ii_p.csv"), f("ii_y.csv"), "--ignore-index", "1", "-f", "jsonl"
    )
    records = [json.loads(line) for line in run.out.splitlines()]
    y = [1, 2, 3, 3, 1, 2]
    for rec, label in zip(records, y):
        assert rec["ignored"] is (label == 1)
        assert rec["target"] == label - 1 and rec["target_class"] == str(label)
        assert (rec["p_target"] is None) is (label == 1)
        assert (rec["loss"] == 0.0) if label == 1 else rec["loss"] > 0


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(1, 5),
    c=st.integers(2, 5),
    seed=st.integers(0, 2**32 - 1),
    pick=st.integers(0, 4),
)
def test_ignore_index_as_written_property(tmp_path_factory, start, c, seed, pick):
    """Increasing integer class names start..start+c-1 above logits, labels drawn from them:
    --ignore-index I (a name) equals the reference loss of the other samples, each label
    taken to its column by name (scikit-learn's labels=)."""
    rng = np.random.default_rng(seed)
    names = list(range(start, start + c))
    n = int(rng.integers(3, 12))
    x = rng.normal(size=(n, c))
    y = rng.choice(names, size=n)
    y[0] = names[-1]  # a label only a name can be: the names are read as names
    ignore = names[pick % c]
    d = tmp_path_factory.mktemp("prop")
    preds, labels = d / "p.csv", d / "y.csv"
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in x)
    preds.write_text(",".join(map(str, names)) + "\n" + body + "\n")
    labels.write_text("y\n" + "\n".join(map(str, y)) + "\n")
    keep = y != ignore
    args = ["categorical", preds, labels, "--ignore-index", str(ignore), "-f", "json"]
    if keep.any() and np.all(y[keep] < c):  # the others fit as indices too: refused, then said
        assert "fit both as column indices and as the class names" in run_cece(*args).err
        args += ["--labels-as", "name"]
    run = run_cece(*args)
    if not keep.any():
        assert run.code == 0 and json.loads(run.out)["loss"] == "nan"
        return
    assert run.code == 0, run.err
    want = reference.categorical(x[keep], y[keep] - start)
    np.testing.assert_allclose(json.loads(run.out)["loss"], want, rtol=1e-12)
    assert json.loads(run.out)["stats"]["ignored"] == int((~keep).sum())


def test_ignore_index_with_class_names_is_refused(write):
    preds = write("p.csv", "a,b,c\n1,2,3\n2,4,6\n")
    labels = write("y.csv", "y\na\nc\n")
    line = run_cece("categorical", preds, labels, "--ignore-index", "0").error_line()
    assert line == (
        f"cece: error: --ignore-index applies to class-index labels, not to class names ({labels})"
    )


def test_explain_and_compare_show_the_ignored_label_as_written():
    run = run_cece("explain", f("ii_p.csv"), f("ii_y.csv"), "--ignore-index", "1")
    assert run.code == 0, run.err
    assert "y = 1: the --ignore-index label" in run.out
    args = ("compare", f("ii_p.csv"), f("ii_p.csv"), f("ii_y.csv"), "--ignore-index", "1")
    run = run_cece(*args, "-f", "jsonl")
    records = [json.loads(line) for line in run.out.splitlines()]
    assert [r["target"] for r in records] == [0, 1, 2, 2, 0, 1]
    assert [r["ignored"] for r in records] == [True, False, False, False, True, False]


# -- finding 8: True/False labels ------------------------------------------------------------


def test_bool_labels_against_three_classes_are_refused():
    for labels in ("bool_y.npy", "bool_y.csv"):
        line = run_cece("categorical", f("x3.npy"), f(labels)).error_line()
        assert line == (
            f"cece: error: {f(labels)}: True/False labels against 3 classes: a boolean does not "
            "say which class it is (PyTorch refuses bool targets)"
        )
    run = run_cece("categorical", f("x3.npy"), f("bool_y.npy"))
    assert run.err_lines[-1] == (
        "  hint: write class indices or names; --labels-as index reads False as column 0 and "
        "True as column 1"
    )


def test_bool_labels_as_index_when_asked():
    x, y = np.load(f("x3.npy")), np.load(f("bool_y.npy")).astype(int)
    want = -log_softmax(x)[np.arange(len(y)), y].mean()
    doc = loss_json("categorical", f("x3.npy"), f("bool_y.npy"), "--labels-as", "index")
    np.testing.assert_allclose(doc["loss"], want, rtol=1e-12)


@pytest.mark.parametrize("labels", ["bool_y.npy", "bool_y.csv"])
def test_bool_labels_against_two_classes_as_scikit_learn(labels):
    doc = loss_json("categorical", f("x2.npy"), f(labels))
    np.testing.assert_allclose(doc["loss"], ORACLES["bool_two_classes"], rtol=1e-12)
    np.testing.assert_allclose(doc["loss"], ORACLES["bool_two_classes_torch"], rtol=1e-12)
    detail = (
        "True/False labels read as False = column 0, True = column 1, scikit-learn's order of "
        "the classes [False, True] (--labels-as index says so)"
    )
    assert {"file": f(labels), "what": "labels", "detail": detail} in doc["input"]["inferred"]


# -- finding 6: the class axis when two axes have the size C -----------------------------------


AXIS_NOTE = (
    "classes on the last axis (5); axis 1 also fits the labels (PyTorch's (N, C, ...) layout): "
    "--class-axis 1 for that reading"
)


def test_class_axis_last_by_default_and_the_other_reading_said():
    run = run_cece("categorical", f("bct.npy"), f("bct_y.npy"), "-q")
    np.testing.assert_allclose(float(run.out), ORACLES["axis_last"], rtol=1e-12)
    doc = loss_json("categorical", f("bct.npy"), f("bct_y.npy"))
    assert {"file": f("bct.npy"), "what": "class axis", "detail": AXIS_NOTE} in doc["input"][
        "inferred"
    ]
    run = run_cece("categorical", f("bct.npy"), f("bct_y.npy"))
    assert f"cece: note: {f('bct.npy')}: {AXIS_NOTE}" in notes(run)
    doc = loss_json("categorical", f("bct.npy"), f("bct_y.npy"), "--class-axis", "1")
    np.testing.assert_allclose(doc["loss"], ORACLES["axis1_torch"], rtol=1e-12)
    assert "inferred" not in doc["input"]
    doc = loss_json("categorical", f("bct.npy"), f("bct_y.npy"), "--class-axis", "2")
    assert "inferred" not in doc["input"]  # the last axis, named


def test_class_axis_note_with_dense_targets(write):
    y = np.load(f("bct_y.npy"))
    onehot = write("t.npy", np.eye(5)[y])  # (2, 5, 5): one-hot along the last axis
    doc = loss_json("categorical", f("bct.npy"), onehot)
    np.testing.assert_allclose(doc["loss"], ORACLES["axis_last"], rtol=1e-12)
    assert {"file": f("bct.npy"), "what": "class axis", "detail": AXIS_NOTE} in doc["input"][
        "inferred"
    ]


def test_class_axis_no_note_where_the_readings_agree_or_only_one_fits(write):
    x = np.load(f("bct.npy"))
    sym = write("sym.npy", (x + x.transpose(0, 2, 1)) / 2)  # the same either way
    doc = loss_json("categorical", sym, f("bct_y.npy"))
    assert "inferred" not in doc["input"]
    other = write("x.npy", np.zeros((2, 3, 5)))  # axis 1 has another size: no other reading
    doc = loss_json("categorical", other, write("y.npy", np.zeros((2, 3), dtype=np.int64)))
    assert "inferred" not in doc["input"]


class _Tensor:
    """What cece's torch reader uses of a tensor (cece/io/torchfile.py)."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array
        self.dtype = types.SimpleNamespace(itemsize=array.itemsize)

    def detach(self):
        return self

    def is_complex(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"

    def numpy(self) -> np.ndarray:
        return self.array


@pytest.fixture
def fake_torch(monkeypatch):
    """torch.load as it returns these files' tensors (the twin .npy the generator saved from
    the same tensor): the suite runs without PyTorch installed."""
    torch = types.ModuleType("torch")
    torch.Tensor = _Tensor  # type: ignore[attr-defined]
    torch.bfloat16 = object()  # type: ignore[attr-defined]
    torch.load = lambda path, **_: _Tensor(np.load(pathlib.Path(path).with_suffix(".npy")))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)


def _torch_saved_refused_and_decided() -> None:
    line = run_cece("categorical", f("bct.pt"), f("bct_y.pt")).error_line()
    assert line == (
        f"cece: error: {f('bct.pt')}: classes on axis 1 (PyTorch's (N, C, ...) layout, a "
        "torch.save file) or on the last axis (5)? Both fit the labels of "
        f"{f('bct_y.pt')} (shape (2, 5)) and give different losses"
    )
    run = run_cece("categorical", f("bct.pt"), f("bct_y.pt"))
    assert run.err_lines[-1] == (
        "  hint: --class-axis 1 for PyTorch's layout, --class-axis 2 for the last axis"
    )
    doc = loss_json("categorical", f("bct.pt"), f("bct_y.pt"), "--class-axis", "1")
    np.testing.assert_allclose(doc["loss"], ORACLES["axis1_torch"], rtol=1e-12)
    doc = loss_json("categorical", f("bct.pt"), f("bct_y.pt"), "--class-axis", "2")
    np.testing.assert_allclose(doc["loss"], ORACLES["axis_last"], rtol=1e-12)


def test_torch_saved_class_axis_refused(fake_torch):
    _torch_saved_refused_and_decided()


def test_torch_saved_class_axis_refused_with_torch():
    pytest.importorskip("torch")
    _torch_saved_refused_and_decided()


@pytest.mark.parametrize("option", [["--shift"], ["--mask", "ones"]])
def test_class_axis_checked_under_shift_and_mask(fake_torch, write, option):
    """--shift and --mask open the labels on their own path, which skipped the check: the
    torch.save file was computed on the last axis (1.67 with an all-ones mask, where the
    refusal stood without it), and the .npy's note was missing."""
    if option[-1] == "ones":
        option = ["--mask", write("ones.npy", np.ones((2, 5), dtype=np.int64))]
    line = run_cece("categorical", f("bct.pt"), f("bct_y.pt"), *option).error_line()
    assert "classes on axis 1 (PyTorch's (N, C, ...) layout, a torch.save file) or on the " in line
    run = run_cece("categorical", f("bct.npy"), f("bct_y.npy"), *option)
    assert run.code == 0 and f"cece: note: {f('bct.npy')}: {AXIS_NOTE}" in notes(run)
    x, y = np.load(f("bct.npy")).astype(np.float64), np.load(f("bct_y.npy"))
    if option[0] == "--shift":  # HF's shift, on the axis --class-axis 1 names
        x, y = np.moveaxis(x, 1, -1)[:, :-1], y[:, 1:]
    else:
        x = np.moveaxis(x, 1, -1)
    keep = y.reshape(-1) != -100
    flat, labels = x.reshape(-1, 5)[keep], y.reshape(-1)[keep]
    want = reference.categorical(flat.tolist(), labels.tolist(), kind="logits")
    run = run_cece("categorical", f("bct.pt"), f("bct_y.pt"), *option, "--class-axis", "1", "-q")
    assert float(run.out) == pytest.approx(want, rel=1e-12)


# -- finding 14: label messages ----------------------------------------------------------------


def test_pandas_nan_label_is_an_empty_label():
    hint = (
        "  hint: pandas writes a missing label (NaN, None) as an empty cell: drop those rows, "
        "or write a label such as -100 and pass --ignore-index -100"
    )
    cases = [
        (("categorical", "[[1,2,3],[2,4,6],[0,0,1]]", f("ynan.csv")), "ynan.csv", 3),
        (("categorical", f("dnan.csv"), "--label-col", "y"), "dnan.csv", 3),
        (("categorical", f("names_nan.csv"), "--label-col", "y"), "names_nan.csv", 3),
    ]
    for args, name, line in cases:
        run = run_cece(*args)
        assert run.error_line() == f"cece: error: {f(name)}: line {line}: empty label"
        assert run.err_lines[-1] == hint


def test_empty_label_past_the_first_rows(write):
    rows = ["a"] * 40 + [""] + ["b"] * 5
    labels = write("y.csv", "y\n" + "\n".join(r or '""' for r in rows) + "\n")
    preds = write("p.csv", "a,b\n" + "0.5,0.5\n" * len(rows))
    line = run_cece("categorical", preds, labels).error_line()
    assert line == f"cece: error: {labels}: line 42: empty label"


def test_get_dummies_header_read_by_row_counts():
    run = run_cece("categorical", f("dp.csv"), f("dt.csv"), "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    np.testing.assert_allclose(doc["loss"], ORACLES["dummies"], rtol=1e-12)
    detail = "first row 1,2,3 read as a header (class names): 4 rows, as the other input has"
    assert {"file": f("dt.csv"), "what": "header", "detail": detail} in doc["input"]["inferred"]
    assert f"cece: note: {f('dt.csv')}: {detail}" in notes(run)


def test_get_dummies_header_not_taken_against_the_counts(write):
    run = run_cece("categorical", f("dp.csv"), f("dt.csv"), "--no-header")
    assert run.code == 2  # stated: the first rows are data, whatever the counts say
    preds = write("p.csv", "1,2,3\n2,4,6\n3,3,3\n")  # logits: a row 1,2,3 is data
    labels = write("l.csv", "0\n2\n")
    line = run_cece("categorical", preds, labels).error_line()
    assert line == f"cece: error: row counts differ: {preds} has 3 rows, {labels} has 2 rows"


def test_binary_with_predict_proba_columns_hints_categorical():
    run = run_cece("binary", f("pp.csv"), f("py.csv"))
    assert run.error_line() == (
        f"cece: error: {f('py.csv')}: 1 target column(s); expected 2, one per prediction "
        f"column of {f('pp.csv')}"
    )
    assert run.err_lines[-1] == (
        "  hint: two prediction columns and one label (predict_proba?): cece categorical reads "
        "them as two classes; --pred-cols 1:2 takes the second alone as P(positive)"
    )
    doc = loss_json("categorical", f("pp.csv"), f("py.csv"))
    np.testing.assert_allclose(doc["loss"], ORACLES["predict_proba_categorical"], rtol=1e-12)


def test_the_predict_proba_hint_names_the_second_prediction_column(write):
    """The label column between the two: the hint names P(class 1)'s column, not position 1
    (the label, which the hint named before), and following it gives the loss."""
    dump = write("dump.csv", "p0,y,p1\n0.2,1,0.8\n0.6,0,0.4\n")
    run = run_cece("binary", dump, "--label-col", "y")
    assert run.err_lines[-1].endswith("--pred-cols p1 takes the second alone as P(positive)")
    ok = run_cece("binary", dump, "--label-col", "y", "--pred-cols", "p1", "-q")
    assert ok.code == 0 and float(ok.out) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)


def test_get_dummies_of_the_observed_classes_only_hints_reindex():
    run = run_cece("categorical", f("dp.csv"), f("dummies_observed.csv"))
    assert run.error_line() == (
        f"cece: error: {f('dummies_observed.csv')}: 2 columns; expected 1 (class indices or "
        "names) or 3 (one target column per class)"
    )
    assert run.err_lines[-1] == (
        "  hint: one-hot columns for 2 of 3 classes? pd.get_dummies keeps only the classes "
        "that occur: .reindex(columns=classes, fill_value=0)"
    )


def test_token_labels_table_hints_an_array(write):
    logits = write("lm.npy", np.zeros((2, 5, 7)))
    rows = "0,1,2,3,4\n-100,-100,3,1,0\n3,0,3,5,-100\n"  # pd.DataFrame(labels).to_csv(index=False)
    labels = write("lm_y.csv", rows)
    run = run_cece("categorical", logits, labels, "--ignore-index", "-100")
    assert run.error_line() == (
        f"cece: error: {labels}: 5 columns; expected 1 (class indices or names) or 7 (one "
        "target column per class)"
    )
    assert run.err_lines[-1] == (
        f"  hint: one label per token of {logits} (2, 5, 7)? N-D labels come as an array: "
        "np.save('labels.npy', labels)"
    )


def test_byte_string_labels_are_class_names(write):
    """np.save of an 'S' array (h5py hands labels so) named the class "b'cat'": decoded."""
    x = np.random.default_rng(0).normal(size=(4, 3))
    names = np.array(["cat", "dog", "pig", "cat"])
    preds = write("x.npy", x)
    as_bytes = run_cece("categorical", preds, write("yb.npy", names.astype("S")), "--classes",
                        "cat,dog,pig", "-q")  # fmt: skip
    as_text = run_cece("categorical", preds, write("yu.npy", names), "--classes",
                       "cat,dog,pig", "-q")  # fmt: skip
    assert as_bytes.code == 0, as_bytes.err
    assert as_bytes.out == as_text.out
    bad = run_cece("categorical", preds, write("yx.npy", np.array([b"cat", b"cow", b"pig", b"cat"])),
                   "--classes", "cat,dog,pig")  # fmt: skip
    assert "row 1: class 'cow' is not one of the classes (cat, dog, pig)" in bad.error_line()


def test_byte_string_labels_take_positive(write):
    """--positive over byte-string labels compared b'cat' with 'cat' and refused the file."""
    p = write("p.npy", np.array([0.9, 0.2, 0.7, 0.4]))
    names = np.array(["cat", "dog", "cat", "dog"])
    as_bytes = run_cece("binary", p, write("yb.npy", names.astype("S")), "--positive", "cat", "-q")
    as_text = run_cece("binary", p, write("yu.npy", names), "--positive", "cat", "-q")
    assert as_bytes.code == 0 and as_bytes.out == as_text.out, as_bytes.err
