"""Wrong numbers from a column's role (issue 16's review, "roles").

1. A LABELS table ``label,weight`` (``y,sample_weight``, ``target,w``...) beside two
   prediction columns was read by ``cece binary`` as two target columns: the weight became
   soft targets. One rule for both loss commands (``targetcols.not_dense_targets``): a column that
   names no class of PREDS and names labels or another role (a weight, a loss, an id...) says
   the table is not one target column per prediction column / class. The readings a user means
   give the peers' numbers (tests/data/roles/make_cases.py: scikit-learn 1.9.1, PyTorch 2.13).
2. ``cece merge`` warns of a mean whose weights sum to 0 as a single run does.
3. The library raises on weights whose sum overflows without numpy's RuntimeWarning.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import run_cece

DATA = Path(__file__).resolve().parent / "data" / "roles"
PEERS = json.loads((DATA / "cases.json").read_text())["peers"]


def _refusal(*args: object) -> tuple[str, str | None]:
    run = run_cece(*args)
    line = run.error_line()
    hints = [x for x in run.err_lines if x.startswith("  hint: ")]
    return line, hints[0] if hints else None


def _loss(*args: object) -> float:
    run = run_cece(*args, "-f", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)["loss"]


# -- 1. a label and a weight column are not two targets --------------------------------------


@pytest.mark.parametrize(
    "labels, label, cols",
    [
        ("lw01.csv", "label", "label, weight"),
        ("lwf.csv", "y", "y, sample_weight"),
        ("tw.csv", "target", "target, w"),  # pandas' index column skipped first
    ],
)
def test_binary_refuses_a_label_and_weight_table_as_two_targets(labels, label, cols):
    p, y = DATA / "p2.csv", DATA / labels
    line, hint = _refusal("binary", p, y)
    assert line == (
        f"cece: error: {y}: columns {cols} are not the classes of {p} and {label!r} names "
        "labels: not one target column per prediction column; --label-col decides"
    )
    assert hint == f"  hint: take the labels from one column: --label-col {label}"


def test_binary_and_categorical_refuse_alike():
    p, y = DATA / "proba.csv", DATA / "lwf.csv"
    for command, per in (("binary", "prediction column"), ("categorical", "class")):
        line, hint = _refusal(command, p, y)
        assert line == (
            f"cece: error: {y}: columns y, sample_weight are not the classes of {p} (0, 1) and "
            f"'y' names labels: not one target column per {per}; --label-col decides"
        )
        assert hint == "  hint: take the labels from one column: --label-col y"


def test_a_weight_column_in_a_multilabel_targets_table_is_refused():
    p, y = DATA / "ml.csv", DATA / "ml_tw.csv"
    line, hint = _refusal("binary", p, y)
    assert line == (
        f"cece: error: {y}: columns toxic, weight are not the classes of {p} (toxic, spam) and "
        "'weight' names a weight: not one target column per prediction column; --label-col "
        "decides"
    )
    assert hint == "  hint: take the targets from the other columns: --label-col toxic"
    assert _loss("binary", p, DATA / "ml_t.csv") == pytest.approx(PEERS["ml"], rel=1e-12)


def test_a_weight_column_in_place_of_a_class_is_not_a_dense_target():
    """``cat,dog,weight`` beside classes ``cat,dog,pig``: one name matching a class does not
    make the weight pig's target (it did, with only a row-sum warning)."""
    p, y = DATA / "p3.csv", DATA / "t3w.csv"
    line, hint = _refusal("categorical", p, y)
    assert line == (
        f"cece: error: {y}: columns cat, dog, weight are not the classes of {p} (cat, dog, pig) "
        "and 'weight' names a weight: not one target column per class; --label-col decides"
    )
    assert hint == "  hint: dense targets are read from a table of the 3 target columns alone"
    assert _loss("categorical", p, DATA / "t3.csv") == pytest.approx(PEERS["p3"], rel=1e-12)


@pytest.mark.parametrize(
    "args, peer",
    [
        (["binary", "p2.csv", "lw01.csv", "--label-col", "label", "--pred-cols", "1"], "p2_col1"),
        (
            ["binary", "p2.csv", "lw01.csv", "--label-col", "label", "--pred-cols", "1"],
            "p2_col1_torch",
        ),
        (
            ["binary", "p2.csv", "lwf.csv", "--label-col", "y", "--pred-cols", "1"]
            + ["--sample-weight", "sw.csv"],
            "p2_col1_wf",
        ),
        (
            ["binary", "dump.csv", "--pred-cols", "p1", "--label-col", "label"]
            + ["--sample-weight", "weight"],
            "p2_col1_wf",
        ),
        (["categorical", "p2.csv", "lw01.csv", "--label-col", "label"], "p2_logits"),
        (["categorical", "proba.csv", "lwf.csv", "--label-col", "y"], "proba"),
        (
            [
                "categorical",
                "proba.csv",
                "lwf.csv",
                "--label-col",
                "y",
                "--sample-weight",
                "sw.csv",
            ],
            "proba_wf",
        ),
    ],
)
def test_the_readings_a_user_means_give_the_peers_numbers(args, peer):
    command, *rest = args
    paths = [str(DATA / a) if a.endswith(".csv") else a for a in rest]
    assert _loss(command, *paths) == pytest.approx(PEERS[peer], rel=1e-12)


# -- 2. cece merge says of the union's sums what a single run says of its own ----------------

X = "[[1,2,3],[2,4,6]]"


def _shard(tmp_path: Path, name: str, labels: str, *options: str, x: str = X) -> Path:
    out = tmp_path / name
    run = run_cece("categorical", x, labels, "--from", "logits", *options, "-f", "json", "-o", out)
    assert run.code == 0, run.err
    return out


def test_merge_warns_when_the_unions_weights_sum_to_zero(tmp_path):
    """Class weights -1, 1: each shard's weights sum to ∓2, the union's to 0 (mean -inf, as
    PyTorch's x / 0): the single run of the union warns, and so does the merge."""
    a = _shard(tmp_path, "a.json", "[0,0]", "--weight=-1,1,0")
    b = _shard(tmp_path, "b.json", "[1,1]", "--weight=-1,1,0")
    whole = run_cece(
        "categorical", "[[1,2,3],[2,4,6],[1,2,3],[2,4,6]]", "[0,0,1,1]", "--from", "logits",
        "--weight=-1,1,0", "-f", "json",
    )  # fmt: skip
    merged = run_cece("merge", a, b, "-f", "json")
    assert merged.code == 0, merged.err
    said = "the weights of the counted samples sum to 0; the mean loss is -inf"
    assert json.loads(whole.out)["warnings"] == [said]
    assert json.loads(merged.out)["warnings"] == [said]
    assert merged.err_lines == [
        f"cece: warning: {said}",
        "  hint: --reduction sum gives the weighted sum",
    ]
    assert json.loads(merged.out)["loss"] == json.loads(whole.out)["loss"] == "-inf"


def test_merge_drops_a_shards_zero_sum_warning_the_union_does_not_have(tmp_path):
    c = _shard(tmp_path, "c.json", "[0,1]", "--sample-weight", "[0,0]")
    assert json.loads(c.read_text())["warnings"]  # the shard's own sums are 0
    e = _shard(tmp_path, "e.json", "[0,1]", "--sample-weight", "[1,1]")
    merged = run_cece("merge", c, e, "-f", "json")
    assert merged.code == 0, merged.err
    assert json.loads(merged.out)["warnings"] == []
    assert merged.err == ""


def test_merge_warns_when_every_sample_of_the_union_is_ignored(tmp_path):
    a = _shard(tmp_path, "a.json", "[0,0]", "--ignore-index", "0")
    b = _shard(tmp_path, "b.json", "[1,1]", "--ignore-index", "0")
    assert json.loads(a.read_text())["warnings"]  # every sample of the shard is ignored
    merged = run_cece("merge", a, b, "-f", "json")
    assert json.loads(merged.out)["warnings"] == []
    a2 = _shard(tmp_path, "a2.json", "[0,0]", "--ignore-index", "0", x="[[3,2,1],[2,4,6]]")
    merged = run_cece("merge", a, a2, "-f", "json")
    assert merged.code == 0, merged.err
    assert json.loads(merged.out)["warnings"] == ["every sample is ignored; the mean loss is nan"]
    assert merged.err_lines == ["cece: warning: every sample is ignored; the mean loss is nan"]


# -- 3. the library: the error alone, no numpy RuntimeWarning -------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sample_weight": np.array([1e308, 1e308])},
        {"weight": np.array([1e308, 1.0, 1e308])},
    ],
)
def test_categorical_weights_whose_sum_overflows_raise_without_a_runtime_warning(kwargs):
    import cece

    x, y = np.array([[1.0, 2, 3], [2, 4, 6]]), np.array([0, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"sum to inf \(float64 overflows\)"):
            cece.categorical_cross_entropy(x, y, **kwargs)


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_binary_weights_whose_sum_overflows_raise_without_a_runtime_warning(name):
    import cece

    f = getattr(cece, name)
    p, y = np.array([[0.01, 0.99], [0.99, 0.01]]), np.array([[1.0, 0], [0, 1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"sum to inf \(float64 overflows\)"):
            f(p, y, sample_weight=np.array([1e308, 1e308]))
        # the sum overflows as PyTorch's does: inf, said by the value, not by numpy
        assert f(p, y, rescale=np.array([[1e308], [1e308]]), reduction="sum") == np.inf


def test_an_overflowing_weighted_sum_is_inf_without_a_runtime_warning():
    import cece

    x, y = np.array([[1.0, 2, 3], [2, 4, 6]]), np.array([0, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = cece.categorical_cross_entropy(
            x, y, sample_weight=np.array([1e308, 1e308]), reduction="sum"
        )
    assert got == np.inf  # 1e308 · 2.41 overflows float64, as it does in PyTorch


# -- 4. a factors table whose header names the classes in another order -----------------------


@pytest.mark.parametrize(
    "args, peer, said",
    [
        (
            ["categorical", "p3.csv", "t3.csv", "--weight", "cw_named.csv"],
            "p3_weight_by_name",
            "--weight: columns taken by name in the order of the classes (cat, dog, pig), not "
            "by position (pig, cat, dog)",
        ),
        (
            ["binary", "ml.csv", "ml_t.csv", "--pos-weight", "pw_named.csv"],
            "ml_pos_weight_by_name",
            "--pos-weight: columns taken by name in the order of the classes (toxic, spam), not "
            "by position (spam, toxic)",
        ),
        (
            ["binary", "ml.csv", "ml_t.csv", "--rescale", "pw_named.csv"],
            "ml_rescale_by_name",
            "--rescale: columns taken by name in the order of the classes (toxic, spam), not "
            "by position (spam, toxic)",
        ),
    ],
)
def test_factor_columns_named_as_the_classes_are_taken_by_name(args, peer, said):
    """``pd.DataFrame([w], columns=names)`` written in another order than PREDS' columns:
    each class gets its own weight (read by position, pig's weight went to cat)."""
    paths = [str(DATA / a) if a.endswith(".csv") else a for a in args]
    run = run_cece(*paths, "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["loss"] == pytest.approx(PEERS[peer], rel=1e-12)
    name = paths[-1]
    assert f"cece: note: {name}: {said}" in run.err_lines
    assert {"file": name, "what": "columns", "detail": said} in json.loads(run.out)["input"][
        "inferred"
    ]


def test_factor_columns_naming_some_classes_among_others_are_refused():
    w = DATA / "cw_other.csv"
    line, hint = _refusal("categorical", DATA / "p3.csv", DATA / "t3.csv", "--weight", w)
    assert line == (
        f"cece: error: {w}: columns pig, cat, w name some of the classes of PREDS (cat, dog, "
        "pig) but are not those classes: which value of --weight goes with which class is not "
        "guessed"
    )
    assert hint == (
        "  hint: name the columns as the classes of PREDS, or write --weight's values in their "
        "order without a header"
    )


# -- 5. one column of decimals beside one of integers ------------------------------------------


def test_an_integer_column_beside_one_decimal_column_is_not_a_class_score():
    """``prob,label,group`` with ``--label-col label``: ``prob, group`` were read as two
    classes' logits (a number, with a warning); pandas writes float scores as 1.0, never 1."""
    f = DATA / "group.csv"
    line, hint = _refusal("categorical", f, "--label-col", "label")
    assert line == (
        f"cece: error: {f}: column 'group' holds integers among decimal scores: an index, id or "
        "label column is not a class score"
    )
    assert hint == "  hint: choose the score columns with --pred-cols prob"
    got = _loss("binary", f, "--label-col", "label", "--pred-cols", "prob")
    assert got == pytest.approx(PEERS["group"], rel=1e-12)


# -- 6. both tables say which sample a row is: the rows paired must be the same samples --------


def test_rows_with_ids_in_another_order_are_refused():
    p, y = DATA / "ids_p.csv", DATA / "ids_y_shuffled.csv"
    line, hint = _refusal("categorical", p, y, "--label-col", "label")
    assert line == (
        f"cece: error: {y}: row 0 has id 'img_002' (column 'image_id') where {p} has 'img_000' "
        "(column 'id'): the files list the samples in different orders, and rows are paired "
        "by position"
    )
    assert hint == (
        "  hint: write both files in one order (sorted by id), or the columns beside the "
        "predictions in one table (--label-col, --sample-weight COL)"
    )
    got = _loss("categorical", p, DATA / "ids_y.csv", "--label-col", "label")
    assert got == pytest.approx(PEERS["ids"], rel=1e-12)


@pytest.mark.parametrize(
    "preds, labels",
    [
        ("split_p.csv", "split_y_sorted.csv"),
        ("split_p.parquet", "split_y_sorted.parquet"),
        ("split_p.csv", "split_y_sorted.parquet"),
    ],
)
def test_rows_whose_pandas_index_differs_are_refused(preds, labels):
    """A test split's index (``train_test_split`` keeps it) on both sides, one side sorted."""
    p, y = DATA / preds, DATA / labels
    line, _ = _refusal("categorical", p, y)
    col = "''" if labels.endswith(".csv") else "'__index_level_0__'"
    assert line.startswith(f"cece: error: {y}: row 0 has row index '19' (column {col}) where {p}")
    assert line.endswith(
        "'61' (column "
        + ("''" if preds.endswith(".csv") else "'__index_level_0__'")
        + "): the files list the samples in different orders, and rows are paired by position"
    )
    line, _ = _refusal("binary", p, y, "--pred-cols", "a")
    assert "has row index '19'" in line


@pytest.mark.parametrize(
    "preds, labels",
    [
        ("split_p.csv", "split_y.csv"),
        ("split_p.parquet", "split_y.parquet"),
        ("range_p.csv", "split_y.csv"),  # pd.DataFrame(predict_proba(X_test)): positions
    ],
)
def test_rows_whose_pandas_index_agrees_or_says_nothing_are_paired(preds, labels):
    assert _loss("categorical", DATA / preds, DATA / labels) == pytest.approx(
        PEERS["ids"], rel=1e-12
    )


def test_sample_weights_whose_pandas_index_differs_are_refused():
    p, y = DATA / "split_p.csv", DATA / "split_y.csv"
    w = DATA / "split_w_sorted.csv"
    line, _ = _refusal("categorical", p, y, "--sample-weight", w)
    assert line == (
        f"cece: error: {w}: row 0 has row index '19' (column '') where {p} has '61' (column ''): "
        "the files list the samples in different orders, and rows are paired by position"
    )
    got = _loss("categorical", p, y, "--sample-weight", DATA / "split_w.csv")
    assert got == pytest.approx(PEERS["ids_weighted"], rel=1e-12)


# -- 7. pandas' float class labels 1.0,2.0,3.0 are the integer names 1, 2, 3 --------------------


def test_integer_labels_against_float_class_names():
    """``pd.DataFrame(clf.predict_proba(X), columns=clf.classes_)`` of a float target writes
    the header ``1.0,2.0,3.0``: labels 1, 2 were read as column indices 1, 2 (a number,
    silently), as if the header said nothing; they fit both readings, as under ``1,2,3``."""
    p, y = DATA / "float_classes.csv", DATA / "y12.csv"
    line, hint = _refusal("categorical", p, y)
    assert line == (
        f"cece: error: {y}: integer labels (1, 2) fit both as column indices and as the class "
        f"names of {p}'s header (1.0, 2.0, 3.0), and the two give different losses"
    )
    assert hint.startswith("  hint: --labels-as name maps them through the names")
    got = _loss("categorical", p, y, "--labels-as", "name")
    assert got == pytest.approx(PEERS["float_classes_12_by_name"], rel=1e-12)
    got = _loss("categorical", p, DATA / "y123.csv")  # 3 is no column index: names
    assert got == pytest.approx(PEERS["float_classes"], rel=1e-12)


# -- 8. target columns naming some classes of PREDS and not others ------------------------------


@pytest.mark.parametrize(
    "command, preds, labels, said",
    [
        ("binary", "ml.csv", "ml_partial.csv", "spam, obscene"),
        ("categorical", "p3.csv", "t3_cow.csv", "cat, dog, cow"),
    ],
)
def test_target_columns_naming_some_classes_are_refused(command, preds, labels, said):
    """``spam,obscene`` against predictions ``toxic,spam``: read by position, spam's targets
    were scored against toxic's predictions."""
    p, y = DATA / preds, DATA / labels
    per = "prediction column" if command == "binary" else "class"
    known, missing = ("toxic, spam", "toxic") if command == "binary" else ("cat, dog, pig", "pig")
    line, hint = _refusal(command, p, y)
    assert line == (
        f"cece: error: {y}: columns {said} name some classes of {p} ({known}) but not "
        f"{missing}: which target column goes with which {per} is not guessed"
    )
    assert hint == f"  hint: name the target columns as the {per}s of {p}"


# -- 9. a prefix all names share is not the name ------------------------------------------------


@pytest.mark.parametrize("labels", ["ml_t_rev.csv", "ml_y_rev.csv"])
def test_targets_named_as_prefixed_score_columns_are_taken_by_name(labels):
    """Scores ``p_toxic, p_spam``, targets ``spam, toxic`` (or ``y_spam, y_toxic``): read by
    position, spam's targets were scored against toxic's predictions."""
    p, y = DATA / "ml_prefixed.csv", DATA / labels
    run = run_cece("binary", p, y, "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["loss"] == pytest.approx(PEERS["ml"], rel=1e-12)
    names = "spam, toxic" if labels == "ml_t_rev.csv" else "y_spam, y_toxic"
    assert (
        f"cece: note: {y}: target columns taken by name in the order of {p}'s classes "
        f"(p_toxic, p_spam), not by position ({names})"
    ) in run.err_lines


def test_factor_columns_named_as_prefixed_classes_are_taken_by_name():
    p, y, w = DATA / "ml_prefixed.csv", DATA / "ml_t_rev.csv", DATA / "pw_named.csv"
    run = run_cece("binary", p, y, "--pos-weight", w, "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["loss"] == pytest.approx(PEERS["ml_pos_weight_by_name"], rel=1e-12)
    assert (
        f"cece: note: {w}: --pos-weight: columns taken by name in the order of the classes "
        "(p_toxic, p_spam), not by position (spam, toxic)"
    ) in run.err_lines


# -- 10. text labels without a header ------------------------------------------------------------


def test_a_first_text_label_above_the_same_labels_is_data():
    """``M, B, B, M, M`` with --positive M: the first M was taken for a header (the row
    counts then differed)."""
    p, y = DATA / "pm.csv", DATA / "ym.csv"
    run = run_cece("binary", p, y, "--positive", "M", "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["loss"] == pytest.approx(PEERS["ym"], rel=1e-12)
    said = f"cece: note: {y}: first row 'M' read as data: a label, as the rows below (--header decides)"
    assert said in run.err_lines


@pytest.mark.parametrize(
    "command, preds, labels, option, peer",
    [
        ("categorical", "p3.csv", "t3.csv", "--weight", "p3_weight_by_name"),
        ("binary", "ml.csv", "ml_t.csv", "--pos-weight", "ml_pos_weight_by_name"),
        ("binary", "ml.csv", "ml_t.csv", "--rescale", "ml_rescale_by_name"),
    ],
)
@pytest.mark.parametrize("save", ["csv", "named csv", "parquet"])
def test_factor_rows_named_as_the_classes_are_taken_by_name(
    tmp_path, command, preds, labels, option, peer, save
):
    """``pd.Series(w, index=names).to_csv()`` (how a dict of class weights is saved: the names
    are the row index) in another order than PREDS' columns: the values went to the classes
    by position, the names skipped as row names (2.276 where PyTorch gives 1.967). They are
    taken by name now, as a header's names are: the same peer values as the named columns."""
    table = pd.read_csv(DATA / ("cw_named.csv" if command == "categorical" else "pw_named.csv"))
    name = None if save == "csv" else "w"  # an unnamed Series' header is ",0"
    series = pd.Series(table.iloc[0].to_numpy(), index=list(table.columns), name=name)
    path = tmp_path / ("w.parquet" if save == "parquet" else "w.csv")
    if save == "parquet":
        series.to_frame().to_parquet(path)
    else:
        series.to_csv(path)
    run = run_cece(command, DATA / preds, DATA / labels, option, path, "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["loss"] == pytest.approx(PEERS[peer], rel=1e-12)
    classes = "cat, dog, pig" if command == "categorical" else "toxic, spam"
    said = f"{option}: rows taken by name in the order of the classes ({classes})"
    assert any(line.startswith(f"cece: note: {path}: {said}") for line in run.err_lines)


def test_factor_rows_naming_some_classes_among_others_are_refused(tmp_path):
    w = tmp_path / "w.csv"
    pd.Series([3.0, 1.0, 2.0], index=["pig", "cat", "w"]).to_csv(w)
    line, hint = _refusal("categorical", DATA / "p3.csv", DATA / "t3.csv", "--weight", w)
    assert line == (
        f"cece: error: {w}: rows pig, cat, w name some of the classes of PREDS (cat, dog, pig) "
        "but are not those classes: which value of --weight goes with which class is not guessed"
    )
    assert hint == (
        "  hint: name the rows as the classes of PREDS, or write --weight's values in their "
        "order without row names"
    )
    ids = tmp_path / "ids.csv"  # row names that are no class (sample ids): by position
    pd.Series([3.0, 1.0, 2.0], index=["a", "b", "c"]).to_csv(ids)
    run = run_cece("categorical", DATA / "p3.csv", DATA / "t3.csv", "--weight", ids, "-q")
    assert run.code == 0 and "rows taken by name" not in run.err
