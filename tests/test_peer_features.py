"""The peers' features of issue 12 (items 7, 9, 10, 11), against values the peers computed
(tests/data/peer_features/oracles.json, written by make_oracles.py beside it):

* KL terms with full relative precision, as ``scipy.special.rel_entr``;
* ``--rescale`` (PyTorch's ``weight=``, Keras' ``sample_weight``) for binary and categorical,
  per element, per column and per row; a per-element ``--pos-weight``;
* ``--elementwise`` (``binary``: PyTorch's ``reduction="none"`` shape; ``kl``: ``kl_div``'s
  elements, its ``mean`` and ``batchmean``), ``kl --sample-weight``;
* the library's ``categorical_cross_entropy(class_axis=...)`` on any rank.
"""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cece
from cece.errors import CeceError, InputError, OptionError
from cece.losses import divergence

from conftest import run_cece

ORACLES = json.loads(
    (pathlib.Path(__file__).parent / "data" / "peer_features" / "oracles.json").read_text()
)


def lit(x) -> str:
    return json.dumps(x)


def numbers(run) -> list[float]:
    assert run.code == 0, run.err
    return [float(v) for v in run.out.split()]


def one(run) -> float:
    values = numbers(run)
    assert len(values) == 1, run.out
    return values[0]


def close(got, want, rtol=1e-12, atol=0.0) -> None:
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol, atol)


# -- KL precision (item 7) -------------------------------------------------------------------------


@pytest.mark.parametrize("case", ORACLES["kl_precision"], ids=lambda c: str(c["p"])[:30])
def test_kl_terms_have_full_relative_precision(case, kernel_path):
    p, q = np.asarray(case["p"]), np.asarray(case["q"])
    terms = divergence.kl_terms(p, q)
    close(terms, case["rel_entr"], rtol=4e-16 * 4)  # scipy's value, to a few units
    close(terms, case["mpmath_terms"], rtol=4e-16 * 4)  # and the exact one
    close(cece.kl_divergence(p, q, elementwise=True), case["rel_entr"], rtol=1.6e-15)
    got = numbers(
        run_cece(
            "kl",
            lit(case["p"]),
            lit(case["q"]),
            "--from",
            "probs",
            "--elementwise",
            "-r",
            "none",
            "-q",
        )
    )
    close(got, np.ravel(case["rel_entr"]), rtol=1.6e-15)
    scale = np.abs(case["rel_entr"]).sum(axis=1)
    close(cece.kl_divergence(p, q), case["row_sums"], atol=4e-16 * float(scale.max()))


def test_kl_issue_example():
    """Issue 12 item 7: 9.3441e-15 before; exact (and SciPy) −9.3259e-15."""
    run = run_cece(
        "kl", "[[0.9456657713430001]]", "[[0.9456657713430094]]", "--from", "probs", "-q"
    )
    assert math.isclose(one(run), -9.325873406851269e-15, rel_tol=1e-15)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(1e-300, 1.0),
    st.floats(-1e-6, 1e-6),
)
def test_rel_entr_against_a_naive_reference(x, rel):
    """Against x·log(x/y) = −x·log1p((y − x)/x), where y − x is exact (Sterbenz: y within a
    factor 2 of x), so the reference is good to a few units; x·log(x/y) itself would not be."""
    y = x * (1 + rel)
    if not (y > 0 and math.isfinite(y)):
        return
    want = -x * math.log1p((y - x) / x)
    got = float(divergence.rel_entr(np.array([x]), np.array([y]))[0])
    assert math.isclose(got, want, rel_tol=1e-14, abs_tol=1e-320), (x, y, got, want)


@pytest.mark.parametrize("case", ORACLES["bernoulli_kl"], ids=lambda c: str(c["targets"][0]))
def test_binary_kl_excess_has_full_precision(case):
    """The binary form: soft targets against nearly equal probabilities (KL ~ 1e-11). Its two
    terms (~1e-5, opposite signs) cancel, leaving ~1e-10 relative error; ce − H(y) (~0.6 each)
    left ~1e-5."""
    args = ("binary", lit(case["preds"]), lit(case["targets"]), "--from", "probs")
    doc = json.loads(run_cece(*args, "-f", "json").out)
    close(doc["stats"]["kl"], case["mean"], rtol=1e-8)
    run = run_cece(*args, "--elementwise", "-r", "none", "-f", "json")
    close([s["kl"] for s in json.loads(run.out)["samples"]], np.ravel(case["kl"]), rtol=1e-8)


# -- kl --elementwise and kl --sample-weight (item 10) ---------------------------------------------


@pytest.mark.parametrize("case", ORACLES["kl_div"], ids=lambda c: f"{c['kind']}-{len(c['p'])}")
def test_kl_elementwise_is_torch_kl_div(case, kernel_path):
    args = ("kl", lit(case["p"]), lit(case["q"]), "--from", case["kind"])
    close(numbers(run_cece(*args, "--elementwise", "-r", "none", "-q")), np.ravel(case["none"]))
    close(one(run_cece(*args, "--elementwise", "-r", "sum", "-q")), case["sum"])
    close(one(run_cece(*args, "--elementwise", "-q")), case["mean"])  # kl_div's "mean"
    close(one(run_cece(*args, "-q")), case["batchmean"])  # the row mean: "batchmean"
    got = cece.kl_divergence(
        case["p"], case["q"], kind_p=case["kind"], kind_q=case["kind"], elementwise=True
    )
    close(got, case["none"])


@pytest.mark.parametrize("case", ORACLES["kl_weighted"], ids=lambda c: str(len(c["w"])))
def test_kl_sample_weight(case):
    args = ("kl", lit(case["p"]), lit(case["q"]), "--sample-weight", lit(case["w"]), "-q")
    close(one(run_cece(*args)), case["mean"])
    close(one(run_cece(*args, "-r", "sum")), case["sum"])


def test_kl_elementwise_records_name_row_and_column():
    run = run_cece(
        "kl",
        "[[0.5,0.5],[0.2,0.8]]",
        "[[0.9,0.1],[0.2,0.8]]",
        "--elementwise",
        "-r",
        "none",
        "-f",
        "json",
        "--sample-weight",
        "[1,3]",
    )
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert [(s["row"], s["column"], s["weight"]) for s in doc["samples"]] == [
        (0, 0, 1.0),
        (0, 1, 1.0),
        (1, 0, 3.0),
        (1, 1, 3.0),
    ]
    assert doc["options"]["elementwise"] is True
    assert doc["options"]["sample_weight"] == "[1,3]"
    assert doc["stats"]["count"] == 4


def test_kl_infinite_elements_warn_once_per_row():
    run = run_cece(
        "kl", "[[0.5,0.5]]", "[[1,0]]", "--from", "probs", "--elementwise", "-r", "none", "-q"
    )
    assert numbers(run) == [math.log(0.5) * 0.5, math.inf]
    assert "KL is infinite in 1 row(s) (first: row 0)" in run.err


# -- binary --rescale, per-element --pos-weight, --elementwise (items 9, 10) -----------------------


def _bce_library(case, **kw):
    f = (
        cece.binary_cross_entropy
        if case["kind"] == "probs"
        else (cece.binary_cross_entropy_with_logits)
    )
    return f(np.asarray(case["preds"]), np.asarray(case["targets"]), **kw)


@pytest.mark.parametrize(
    "case", ORACLES["bce_rescale"], ids=lambda c: f"{c['kind']}-{c['per']}-{len(c['preds'])}"
)
def test_binary_rescale(case, kernel_path):
    args = (
        "binary",
        lit(case["preds"]),
        lit(case["targets"]),
        "--from",
        case["kind"],
        "--rescale",
        lit(case["weight"]),
    )
    if case["per"] == "keras-row":  # Keras' sample_weight (N,): each row's mean over K, × w
        p, y, w = (np.asarray(case[k]) for k in ("preds", "targets", "weight"))
        if case["kind"] == "logits":
            p = 1 / (1 + np.exp(-p))
        want = np.mean(w * np.mean(-(y * np.log(p) + (1 - y) * np.log1p(-p)), axis=1))
        close(one(run_cece(*args, "-q")), want, rtol=1e-13)
        close(one(run_cece(*args, "-q")), case["keras_mean"], rtol=1e-6)  # Keras: float32
        close(_bce_library(case, rescale=case["weight"]), want, rtol=1e-13)
        return
    close(one(run_cece(*args, "-q")), case["mean"])
    close(_bce_library(case, rescale=case["weight"]), case["mean"])
    close(one(run_cece(*args, "-r", "sum", "-q")), case["sum"])
    close(numbers(run_cece(*args, "--elementwise", "-r", "none", "-q")), np.ravel(case["none"]))
    got = _bce_library(case, rescale=case["weight"], reduction="none", elementwise=True)
    assert got.shape == np.shape(case["none"])
    close(got, case["none"])


@pytest.mark.parametrize("case", ORACLES["bce_pos_weight"], ids=lambda c: str(len(c["preds"])))
def test_binary_pos_weight_per_element(case, kernel_path):
    args = (
        "binary",
        lit(case["preds"]),
        lit(case["targets"]),
        "--from",
        "logits",
        "--pos-weight",
        lit(case["pos_weight"]),
    )
    close(one(run_cece(*args, "-q")), case["mean"])
    close(one(run_cece(*args, "-r", "sum", "-q")), case["sum"])
    close(numbers(run_cece(*args, "--elementwise", "-r", "none", "-q")), np.ravel(case["none"]))
    got = cece.binary_cross_entropy_with_logits(
        np.asarray(case["preds"]),
        np.asarray(case["targets"]),
        pos_weight=np.asarray(case["pos_weight"]),
        reduction="none",
        elementwise=True,
    )
    close(got, case["none"])


@pytest.mark.parametrize("case", ORACLES["bce_rank3"], ids=lambda c: str(np.shape(c["weight"])))
def test_binary_rank3_broadcasts_like_pytorch(case, write, kernel_path):
    x = write("x.npy", np.asarray(case["preds"]))
    y = write("y.npy", np.asarray(case["targets"]))
    w = write("w.npy", np.asarray(case["weight"]))
    for option, key in (("--rescale", ""), ("--pos-weight", "pos_weight_")):
        args = ("binary", x, y, "--from", "logits", option, w)
        close(one(run_cece(*args, "-q")), case[key + "mean"])
        close(one(run_cece(*args, "-r", "sum", "-q")), case[key + "sum"])
        got = numbers(run_cece(*args, "--elementwise", "-r", "none", "-q"))
        close(got, np.ravel(case[key + "none"]))


def test_binary_elementwise_keeps_mean_and_counts_elements():
    x, y = "[[0.2,0.9],[0.6,0.3],[0.5,0.5]]", "[[0,1],[1,0],[1,1]]"
    plain = run_cece("binary", x, y, "-f", "json")
    each = run_cece("binary", x, y, "--elementwise", "-f", "json", "-r", "none")
    a, b = json.loads(plain.out), json.loads(each.out)
    assert math.isclose(a["stats"]["mean"], b["stats"]["mean"], rel_tol=1e-15)
    assert (a["stats"]["count"], b["stats"]["count"]) == (3, 6)
    assert [(s["row"], s["column"]) for s in b["samples"]] == [
        (r, c) for r in range(3) for c in range(2)
    ]
    # the reference: −(y log p + (1 − y) log(1 − p)), element by element
    p, t = np.array(json.loads(x)), np.array(json.loads(y))
    want = -(t * np.log(p) + (1 - t) * np.log1p(-p))
    close([s["loss"] for s in b["samples"]], want.ravel(), rtol=1e-15)


# -- categorical --rescale (item 9) ----------------------------------------------------------------


@pytest.mark.parametrize("case", ORACLES["ce_rescale"], ids=lambda c: str(len(c["preds"])))
def test_categorical_rescale(case, kernel_path):
    args = (
        "categorical",
        lit(case["preds"]),
        lit(case["targets"]),
        "--from",
        "logits",
        "--rescale",
        lit(case["rescale"]),
    )
    close(one(run_cece(*args, "-q")), case["mean"])
    close(one(run_cece(*args, "-q")), case["keras_mean"], rtol=1e-6)  # Keras: float32
    close(one(run_cece(*args, "-r", "sum", "-q")), case["sum"])
    close(numbers(run_cece(*args, "-r", "none", "-q")), case["none"])
    got = cece.categorical_cross_entropy(
        np.asarray(case["preds"]),
        np.asarray(case["targets"]),
        rescale=case["rescale"],
        reduction="none",
    )
    close(got, case["none"])


# -- the library's class_axis (item 11) ------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    ORACLES["ce_class_axis"],
    ids=lambda c: f"{c['form']}-{np.shape(c['preds'])}",
)
def test_library_class_axis(case, kernel_path):
    x, t = np.asarray(case["preds"]), np.asarray(case["targets"])
    for r in ("none", "sum", "mean"):
        got = cece.categorical_cross_entropy(x, t, class_axis=1, reduction=r)
        close(got, case[r])
        if r == "none":
            assert np.shape(got) == np.shape(case["none"])
    args = (
        "categorical",
        lit(case["preds"]),
        lit(case["targets"]),
        "--from",
        "logits",
        "--class-axis",
        "1",
    )
    close(one(run_cece(*args, "-q")), case["mean"])


def test_library_class_axis_last_is_the_flattened_call():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5))
    y = rng.integers(0, 5, (2, 3))
    got = cece.categorical_cross_entropy(x, y, reduction="none")
    flat = cece.categorical_cross_entropy(x.reshape(6, 5), y.reshape(6), reduction="none")
    assert got.shape == (2, 3)
    np.testing.assert_array_equal(got.ravel(), flat)


def test_library_unbatched_input():
    x = np.array([1.0, 2.0, 3.0])
    want = -(3.0 - math.log(math.exp(1) + math.exp(2) + math.exp(3)))
    assert math.isclose(cece.categorical_cross_entropy(x, np.int64(2)), want, rel_tol=1e-15)
    got = cece.categorical_cross_entropy(x, 2, reduction="none")
    assert np.shape(got) == () and math.isclose(float(got), want, rel_tol=1e-15)


# -- refusals: one line, naming the option ---------------------------------------------------------


def error_lines(run) -> list[str]:
    assert run.code == 2, (run.code, run.out, run.err)
    return run.err.strip().splitlines()


@pytest.mark.parametrize(
    "args, lines",
    [
        (
            ("binary", "[[0.2,0.9],[0.6,0.3]]", "[[0,1],[1,0]]", "--rescale", "1,2"),
            [
                "cece: error: --rescale has 2 values for 2 rows of 2 columns: one per row or "
                "one per column?",
                "  hint: give --rescale one per row as a column [[w1], [w2], ...], one per "
                "column as a row [[w1, w2, ...]]",
            ],
        ),
        (
            ("categorical", "[[1,2,3],[2,4,6],[0,0,1]]", "[0,2,1]", "--rescale", "0.5,2"),
            ["cece: error: --rescale has 2 values; expected 1 or one per sample (3)"],
        ),
        (
            ("binary", "[[0.2,0.9],[0.6,0.3]]", "[[0,1],[1,0]]", "--rescale", "[[1,2,3]]"),
            [
                "cece: error: --rescale has shape (1, 3); expected one value, one per column "
                "(2,), one per row (2, 1) or one per element (2, 2)"
            ],
        ),
        (
            ("binary", "[[0.2,0.9],[0.6,0.3]]", "[[0,1],[1,0]]", "--rescale", "[1, NaN]"),
            ["cece: error: --rescale must be finite numbers"],
        ),
        (
            ("binary", "[[0.2,0.9],[0.6,0.3]]", "[[0,1],[1,0]]", "--rescale", "a,b"),
            [  # not numbers: a column name, and a literal has none
                "cece: error: --rescale 'a,b': no such file, and literal "
                "'[[0.2,0.9],[0.6,0.3]]' is an array without named columns"
            ],
        ),
        (
            (
                "binary",
                "[[0.2,0.9],[0.6,0.3]]",
                "[[0,1],[1,0]]",
                "--from",
                "logits",
                "--pos-weight",
                "[[1,2],[NaN,1]]",
            ),
            ["cece: error: --pos-weight must be finite numbers"],
        ),
        (
            (
                "binary",
                "[[0.2,0.9],[0.6,0.3]]",
                "[[0,1],[1,0]]",
                "--pos-weight",
                "[[1,2],[3,4],[5,6]]",
            ),
            [
                "cece: error: --pos-weight has shape (3, 2); expected one value, one per column "
                "(2,), one per row (2, 1) or one per element (2, 2)"
            ],
        ),
    ],
)
def test_refusals(args, lines):
    err = [line for line in error_lines(run_cece(*args)) if not line.startswith("cece: note:")]
    assert err == lines


def test_rescale_file_with_too_few_rows(write):
    preds = write("p.csv", "a,b\n0.2,0.9\n0.6,0.3\n0.5,0.5\n")
    targets = write("t.csv", "a,b\n0,1\n1,0\n1,1\n")
    factors = write("r.npy", np.array([[1.0], [2.0]]))
    run = run_cece("binary", preds, targets, "--rescale", factors)
    assert error_lines(run)[-1] == "cece: error: --rescale has 2 rows; the input has more"


def test_rescale_from_a_file_per_row(write):
    preds = write("p.csv", "a,b\n0.2,0.9\n0.6,0.3\n0.5,0.5\n")
    targets = write("t.csv", "a,b\n0,1\n1,0\n1,1\n")
    factors = write("r.csv", "w\n1\n2\n3\n")
    run = run_cece("binary", preds, targets, "--rescale", factors, "-q")
    p = np.array([[0.2, 0.9], [0.6, 0.3], [0.5, 0.5]])
    t = np.array([[0, 1], [1, 0], [1, 1]])
    elements = -(t * np.log(p) + (1 - t) * np.log1p(-p)) * np.array([[1], [2], [3]])
    assert math.isclose(one(run), elements.mean(), rel_tol=1e-14)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: cece.categorical_cross_entropy(
                np.ones((2, 3, 4)), np.zeros((2, 3)), class_axis=1
            ),
            InputError,
            "targets: labels have shape (2, 3); expected (2, 4) (one label per sample) or "
            "(2, 3, 4) for dense targets (predictions: (2, 3, 4), classes on axis 1)",
        ),
        (
            lambda: cece.categorical_cross_entropy(
                np.ones((2, 3, 4)), np.zeros((2, 4)), class_axis=3
            ),
            OptionError,
            "class_axis 3 is out of range for preds with 3 dimensions (shape (2, 3, 4))",
        ),
        (
            lambda: cece.binary_cross_entropy_with_logits(
                np.ones((2, 2)), np.ones((2, 2)), rescale=[1, 2]
            ),
            OptionError,
            "rescale has 2 values for 2 rows of 2 columns: one per row or one per column?",
        ),
        (
            lambda: cece.categorical_cross_entropy(
                np.ones((3, 2)), np.zeros(3, int), rescale=[1, 2]
            ),
            OptionError,
            "rescale has 2 values; expected 1 or one per sample (3)",
        ),
    ],
)
def test_library_refusals(call, error, message):
    with pytest.raises(CeceError) as info:
        call()
    assert type(info.value) is error
    assert isinstance(info.value, ValueError)
    assert str(info.value) == message


def test_rescale_column_of_preds(write):
    """--rescale COL: one factor per row from a PREDS column, never a class score."""
    preds = write("p.csv", "a,b,w\n0.2,0.9,1\n0.6,0.3,2\n0.5,0.5,3\n")
    targets = write("t.csv", "a,b\n0,1\n1,0\n1,1\n")
    run = run_cece("binary", preds, targets, "--rescale", "w", "-q")
    p = np.array([[0.2, 0.9], [0.6, 0.3], [0.5, 0.5]])
    t = np.array([[0, 1], [1, 0], [1, 1]])
    elements = -(t * np.log(p) + (1 - t) * np.log1p(-p)) * np.array([[1], [2], [3]])
    assert math.isclose(one(run), elements.mean(), rel_tol=1e-14)
    table = write("c.csv", "a,b,c,w,y\n1,2,3,0.5,0\n2,4,6,2,2\n0,0,1,3,1\n")
    run = run_cece(
        "categorical", table, "--label-col", "y", "--rescale", "w", "--from", "logits", "-q"
    )
    x = np.array([[1.0, 2, 3], [2, 4, 6], [0, 0, 1]])
    nll = np.log(np.exp(x).sum(axis=1)) - x[[0, 1, 2], [0, 2, 1]]
    assert math.isclose(one(run), float(np.mean(nll * [0.5, 2, 3])), rel_tol=1e-14)


def test_rescale_column_refusals(write):
    table = write("c.csv", "a,b,c,w,y\n1,2,3,0.5,0\n2,4,6,2,2\n0,0,1,3,1\n")
    run = run_cece("categorical", table, "--label-col", "y", "--rescale", "zz", "--from", "logits")
    assert error_lines(run)[-1] == (
        f"cece: error: --rescale 'zz': {table} has no column 'zz' (5 columns; columns are a, "
        "b, c, w, y)"
    )
    run = run_cece("binary", "[[0.2,0.9]]", "[[0,1]]", "--rescale", "w")
    assert error_lines(run)[-1] == (
        "cece: error: --rescale 'w': no such file, and literal '[[0.2,0.9]]' is an array "
        "without named columns"
    )
    bad = write("n.csv", "a,b,w\n0.2,0.9,1\n0.6,0.3,nan\n")
    run = run_cece("binary", bad, "[[0,1],[1,0]]", "--rescale", "w")
    assert error_lines(run) == [
        f"cece: error: {bad}: line 3, column 2 ('w'): found nan; expected a finite number",
        "  hint: remove or impute the non-finite values first",
    ]


@pytest.mark.parametrize(
    "args",
    [
        (
            "binary",
            "[[0.2,0.9],[0.6,0.3]]",
            "[[0,1],[1,0]]",
            "--elementwise",
            "--rescale",
            "[[1,2]]",
        ),
        ("kl", "[[0.5,0.5]]", "[[0.9,0.1]]", "--elementwise", "--sample-weight", "[2]"),
        ("categorical", "[[1,2,3],[2,4,6]]", "[0,2]", "--rescale", "0.5,2"),
    ],
)
def test_documents_follow_the_schema(args):
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("cece.report").joinpath("result.schema.json").read_text())
    run = run_cece(*args, "-f", "json", "-r", "none")
    assert run.code == 0, run.err
    jsonschema.validate(json.loads(run.out), schema)


def test_entropy_elementwise_and_sample_weight():
    """scipy.special.entr element by element; the weighted row mean Σ sH / Σ s."""
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    entr = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1)), 0.0)
    run = run_cece("entropy", lit(p.tolist()), "--elementwise", "-r", "none", "-q")
    close(numbers(run), entr.ravel(), rtol=1e-15)
    run = run_cece("entropy", lit(p.tolist()), "--sample-weight", "[1, 3]", "-q")
    close(one(run), (entr.sum(axis=1) * [1, 3]).sum() / 4, rtol=1e-15)


def test_binary_elementwise_keeps_per_class_and_worst():
    x, y = "[[0.2,0.9],[0.6,0.3],[0.5,0.1]]", "[[0,1],[1,0],[1,1]]"
    plain = json.loads(run_cece("binary", x, y, "--per-class", "-f", "json").out)
    each = json.loads(run_cece("binary", x, y, "--per-class", "--elementwise", "-f", "json").out)
    assert each["per_class"] == plain["per_class"]
    run = run_cece("binary", x, y, "--elementwise", "--worst", "1", "-f", "json")
    worst = json.loads(run.out)["worst"]
    assert [(w["row"], w["column"]) for w in worst] == [(2, 1)]  # −log 0.1
