"""`cece binary`: golden values, PyTorch / Keras / scikit-learn oracles, a naive reference,
properties, the seeds' diagnostics, and the CLI end to end."""

from __future__ import annotations

import itertools
import json
import math
import zlib
from pathlib import Path

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cece import binary_cross_entropy, binary_cross_entropy_with_logits
from cece.losses.sigmoid import binary_terms

import reference
from conftest import ROOT, csv_text, run_cece


def bce(preds, targets, *, kind="logits", **kwargs):
    """The library function for the kind of predictions, as PyTorch names them."""
    if kind == "probs":
        return binary_cross_entropy(preds, targets, **kwargs)
    return binary_cross_entropy_with_logits(preds, targets, **kwargs)


ORACLES = json.loads((Path(__file__).parent / "data" / "binary_oracles.json").read_text())
E_LOGITS = np.array([-1.5, 0.3, 2, 100, -100])  # golden case e (tests/data/golden.md §2.1)
E_LABELS = np.array([0, 1, 1, 0, 1.0])


# -- golden values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, [0.2014132779827524, 0.5543552444685271, 0.1269280110429725, 100.0, 100.0]),  # e1
        (
            {"pos_weight": 2},
            [0.2014132779827524, 1.1087104889370543, 0.253856022085945, 100.0, 200.0],
        ),  # e3
        (
            {"label_smoothing": 0.1},
            [0.2764132779827524, 0.5693552444685271, 0.2269280110429725, 95.0, 95.0],
        ),  # e5, Keras' y(1-ε)+ε/2
        (
            {"focal_gamma": 2.0},
            [0.0067028469265756568, 0.10039327548859708, 0.0018035628352403754, 100.0, 100.0],
        ),  # e6
        (
            {"focal_gamma": 2.0, "focal_alpha": 0.25},
            [0.0050271351949317426, 0.025098318872149269, 0.00045089070881009384, 75.0, 25.0],
        ),  # e7
    ],
)
def test_golden_case_e(kwargs, expected, kernel_path):
    np.testing.assert_allclose(
        bce(E_LOGITS, E_LABELS, reduction="none", **kwargs), expected, rtol=1e-12
    )


def test_golden_means_and_sums_and_c1():
    assert bce(E_LOGITS, E_LABELS) == pytest.approx(40.17653930669885, rel=1e-12)  # e2
    assert bce(E_LOGITS, E_LABELS, reduction="sum") == pytest.approx(200.88269653349425, rel=1e-12)
    assert bce(E_LOGITS, E_LABELS, pos_weight=2) == pytest.approx(60.31279595780115, rel=1e-12)
    assert bce(E_LOGITS, E_LABELS, pos_weight=2, reduction="sum") == pytest.approx(
        301.56397978900577, rel=1e-12
    )  # e4
    assert bce(np.array([0.7]), np.array([0.6]), kind="probs") == pytest.approx(
        0.6955940880936138, rel=1e-12
    )  # c1


def test_clip_constants_h1():
    zero = bce(np.array([0.0]), np.array([1.0]), kind="probs")
    assert zero == pytest.approx(36.04365338911715, rel=1e-12)  # -ln(float64 eps)
    assert bce(np.array([0.0]), np.array([1.0]), kind="probs", eps=1e-7) == pytest.approx(
        16.11809565095832, rel=1e-12
    )  # Keras' clip
    assert bce(np.array([0.0]), np.array([1.0]), kind="probs", eps=0) == math.inf


# -- oracles (tests/generate_oracles.py) -----------------------------------------------------------


def _kwargs(case: dict) -> dict:
    options = dict(case["options"])
    pw = options.get("pos_weight")
    if pw is not None:
        options["pos_weight"] = pw[0] if len(pw) == 1 else np.array(pw)
    return options


def _tolerance(case: dict) -> float:
    if case["id"].startswith("k"):
        return 2e-7  # Keras 3.15.1 rounds float64 results to float32 (tests/data/golden.md §1)
    return 1e-6 if case["dtype"] == "float32" else 1e-10


@pytest.mark.parametrize("case", ORACLES["cases"], ids=lambda c: c["id"])
def test_matches_oracles(case, kernel_path):
    x = np.array(case["preds"], dtype=case["dtype"])
    got = bce(x, np.array(case["target"]), kind=case["kind"], **_kwargs(case))
    np.testing.assert_allclose(got, case["expected"], rtol=_tolerance(case), atol=1e-13)


@pytest.mark.parametrize("fmt", ["npy", "csv"])
@pytest.mark.parametrize("case", ORACLES["cases"][::4], ids=lambda c: c["id"])
def test_cli_matches_oracles(case, fmt, write):
    x = np.array(case["preds"], dtype=case["dtype"])
    y = np.array(case["target"])
    if fmt == "npy":
        preds, labels = write("x.npy", x), write("y.npy", y)
    else:
        preds, labels = write("x.csv", csv_text(x.astype(float))), write("y.csv", csv_text(y))
    opts = case["options"]
    args = ["binary", preds, labels, "--from", case["kind"], "-r", opts["reduction"], "-f", "json"]
    for key in ("label_smoothing", "focal_gamma", "focal_alpha", "eps"):
        if key in opts:
            args += ["--" + key.replace("_", "-"), repr(opts[key])]
    if "pos_weight" in opts:
        args += ["--pos-weight", ",".join(map(repr, opts["pos_weight"]))]
    if "sample_weight" in opts:
        args += ["--sample-weight", json.dumps(opts["sample_weight"])]
    run = run_cece(*args)
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    got = doc["loss"] if doc["loss"] is not None else [s["loss"] for s in doc["samples"]]
    rtol = _tolerance(case) if fmt == "npy" or case["id"].startswith("k") else 1e-10
    np.testing.assert_allclose(got, case["expected"], rtol=rtol, atol=1e-13)


# -- the naive reference, across option combinations ----------------------------------------------

COMBOS = list(
    itertools.product(
        ["logits", "probs"],
        [1, 3],
        [None, "scalar", "vector"],
        [0.0, 0.2],
        [None, (2.0, None), (1.5, 0.3)],
        [None, "s"],
        [False, True],
        ["mean", "sum", "none"],
    )
)


@pytest.mark.parametrize("kind, k, pw, smooth, focal, sw, soft, reduction", COMBOS)
def test_matches_naive_reference(kind, k, pw, smooth, focal, sw, soft, reduction, kernel_path):
    seed = zlib.crc32(repr((kind, k, pw, smooth, focal, sw, soft)).encode())
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((6, k)) * 3
    if kind == "probs":
        x = 1 / (1 + np.exp(-x))
    y = rng.random((6, k)) if soft else rng.integers(0, 2, (6, k)).astype(float)
    kw = {
        "pos_weight": {None: None, "scalar": 2.5, "vector": rng.uniform(0.5, 3, k)}[pw],
        "label_smoothing": smooth,
        "sample_weight": rng.uniform(0, 2, 6) if sw else None,
        "focal_gamma": focal[0] if focal else None,
        "focal_alpha": focal[1] if focal else None,
    }
    got = bce(x, y, kind=kind, reduction=reduction, **kw)
    want = reference.binary(x, y, kind=kind, reduction=reduction, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


# -- properties ------------------------------------------------------------------------------------

logits = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 6), st.integers(1, 4)), elements=st.floats(-60, 60)
)


@settings(max_examples=150, deadline=None)
@given(logits, st.data())
def test_soft_bce_is_entropy_plus_kl(x, data):
    """H(y) and KL(y‖σ(x)) per element against SciPy, means over K: cece derives its KL as
    CE − H, so checking loss == entropy + kl on its own terms would restate that."""
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(0, 1)))
    y[0, 0] = data.draw(st.floats(0.01, 0.99))  # at least one soft target: entropy/KL are set
    terms = binary_terms(x, y)
    assert terms.entropy is not None and terms.kl is not None
    log_p, log_q = scipy.special.log_expit(x), scipy.special.log_expit(-x)  # log σ(x), log(1−σ(x))
    h = (scipy.special.entr(y) + scipy.special.entr(1 - y)).mean(axis=1)
    kl = (
        scipy.special.xlogy(y, y) - y * log_p + scipy.special.xlogy(1 - y, 1 - y) - (1 - y) * log_q
    ).mean(axis=1)
    np.testing.assert_allclose(terms.entropy, h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(terms.kl, kl, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(terms.loss, h + kl, rtol=1e-9, atol=1e-9)
    assert (terms.kl >= 0).all()


@settings(max_examples=150, deadline=None)
@given(logits, st.data())
def test_flipping_logit_and_label_changes_nothing(x, data):
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(0, 1)))
    np.testing.assert_allclose(
        bce(-x, 1 - y, reduction="none"), bce(x, y, reduction="none"), rtol=1e-12, atol=1e-12
    )


@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(
        np.float64, st.tuples(st.integers(1, 6), st.integers(1, 4)), elements=st.floats(-15, 15)
    ),
    st.data(),
)
def test_logits_and_their_probabilities_agree(x, data):
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=st.sampled_from([0.0, 1.0, 0.3])))
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(
        bce(p, y, kind="probs", eps=0, reduction="none"),
        bce(x, y, reduction="none"),
        rtol=1e-9,
        atol=1e-12,
    )


def test_extreme_logits_are_exact():
    x = np.array([1e4, -1e4, 3e38, -3e38], dtype=np.float32)
    np.testing.assert_allclose(
        bce(x, np.array([0, 1, 0, 1.0]), reduction="none"), [1e4, 1e4, 3e38, 3e38], rtol=1e-7
    )
    assert bce(x, np.array([1, 0, 1, 0.0]), reduction="none").tolist() == [0, 0, 0, 0]
    soft = bce(np.array([1e4]), np.array([0.25]), reduction="none")
    assert soft[0] == pytest.approx(0.75 * 1e4, rel=1e-12)
    doc = json.loads(run_cece("binary", "[1e4, -1e4]", "[0, 1]", "-f", "json").out)
    assert doc["loss"] == 1e4 and doc["stats"]["perplexity"] == "inf"


# -- the seeds' diagnostics -----------------------------------------------------------------------


def test_softmax_output_fed_to_a_sigmoid_loss_warns(monkeypatch):
    monkeypatch.chdir(ROOT)
    run = run_cece(
        "binary", "sample_data/pixels_softmax.csv", "sample_data/pixels_target.csv", "-q"
    )
    assert run.code == 0
    assert run.err_lines == [
        "cece: warning: sample_data/pixels_softmax.csv: every row of 4 probabilities sums to 1, "
        "like softmax output; binary cross-entropy treats each column as an independent sigmoid "
        "probability",
        "  hint: for one distribution per row use cece categorical; for independent labels the "
        "model needs sigmoid outputs",
    ]


def test_two_column_class_probabilities_point_at_categorical(monkeypatch):
    monkeypatch.chdir(ROOT)
    run = run_cece(
        "binary",
        "sample_data/catdog_eleven.csv",
        "sample_data/catdog_eleven_onehot.csv",
        "-f",
        "json",
        "--eps",
        "0.001",
    )
    doc = json.loads(run.out)
    assert doc["warnings"] == [
        "sample_data/catdog_eleven.csv: clipping probabilities into [eps, 1 − eps] "
        "(eps = 0.001) changed the loss: 2 below eps and 2 above 1 − eps",
        "sample_data/catdog_eleven.csv: two probability columns that sum to 1, with one-hot "
        "targets, look like [P(class 0), P(class 1)]; binary cross-entropy scores each column "
        "as its own sigmoid, counting every sample twice",
    ]
    assert "  hint: use cece categorical for one two-class distribution per row" in run.err


def test_logits_passed_as_probabilities_fail_with_a_hint(write):
    run = run_cece("binary", "[-1.5, 0.3, 2]", "[0, 1, 1]", "--from", "probs")
    assert run.error_line() == (
        "cece: error: literal '[-1.5, 0.3, 2]': row 0, column 0: -1.5 "
        "is not a probability (expected a value in [0, 1])"
    )
    assert run.err_lines[1] == "  hint: these look like logits: use --from logits (or auto)"


def test_targets_outside_0_1_fail(write):
    run = run_cece("binary", "[0.2, 0.9]", "[0, 2]")
    assert run.error_line() == ("cece: error: literal '[0, 2]': row 1: target 2 is outside [0, 1]")
    line = run_cece("binary", "[[0.2, 0.9]]", "[[0, -1]]").error_line()
    assert line.endswith("row 0, column 1: target -1 is outside [0, 1]")


def test_probabilities_passed_as_logits_warn():
    run = run_cece("binary", "[0.2, 0.9, 0.6]", "[0, 1, 1]", "--from", "logits", "-q")
    assert run.code == 0
    assert (
        "looks like probabilities (all values lie in [0, 1]), but --from logits applies the "
        "sigmoid to them again" in run.err
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--pos-weight", "nan"], "--pos-weight must be finite numbers; got nan"),
        (["--pos-weight", "-1,inf"], "--pos-weight must be finite numbers; got -1, inf"),
        (["--pos-weight", "1,2,3"], "--pos-weight has 3 values; expected 1 or one per column (2)"),
        (["--threshold", "1.5"], "--threshold must be in [0, 1]; got 1.5"),
    ],
)
def test_option_errors(args, message):
    assert message in run_cece("binary", "[[0.1, 0.2]]", "[[0, 1]]", *args).error_line()


def test_shape_mismatch(write):
    line = run_cece(
        "binary", write("x.npy", np.zeros((4, 3))), write("y.npy", np.zeros((4, 2)))
    ).error_line()
    assert line.endswith(
        "y.npy: targets have shape (4, 2); expected the predictions' shape "
        f"(4, 3) (from {write('x.npy', np.zeros((4, 3)))})"
    )


# -- CLI ------------------------------------------------------------------------------------------


def test_seed_question_answer_and_soft_explanation():
    run = run_cece("binary", "0.7", "0.6")
    assert run.code == 0
    assert (
        "The least loss any prediction could reach here is the targets' entropy, "
        "0.673012 nats a sample; these predictions are 0.022582 nats above it (KL)."
    ) in " ".join(run.out.split())
    doc = json.loads(run_cece("binary", "0.7", "0.6", "-f", "json").out)
    assert doc["loss"] == pytest.approx(0.6955940880936138, rel=1e-15)
    assert doc["input"]["target"] == "soft" and doc["input"]["kind"] == "probs"
    assert doc["stats"]["entropy"] == pytest.approx(0.6730116670092565, rel=1e-12)
    assert doc["stats"]["kl"] == pytest.approx(0.0225824210843573, rel=1e-9)


def test_multilabel_and_nd_arrays(write):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 2, 3))  # e.g. 4 images of 2×3 pixels
    y = rng.integers(0, 2, (4, 2, 3)).astype(float)
    doc = json.loads(
        run_cece("binary", write("x.npy", x), write("y.npy", y), "-f", "json", "-r", "none").out
    )
    flat_x, flat_y = x.reshape(4, 6), y.reshape(4, 6)  # a sample: the mean of its 6 pixels
    assert [s["loss"] for s in doc["samples"]] == pytest.approx(
        reference.binary(flat_x, flat_y, reduction="none"), rel=1e-13
    )
    assert doc["input"]["columns"] == 6 and doc["input"]["shape"] == [4, 2, 3]
    assert set(doc["samples"][0]) == {"index", "loss", "accuracy"}


def test_per_sample_fields_threshold_and_per_class(write):
    doc = json.loads(
        run_cece(
            "binary",
            "[0.2, 0.6, 0.9]",
            "[0, 1, 1]",
            "-f",
            "json",
            "--samples",
            "--per-class",
            "--threshold",
            "0.7",
        ).out
    )
    first = doc["samples"][1]
    assert first == {
        "index": 1,
        "loss": pytest.approx(-math.log(0.6)),
        "target": 1.0,
        "p": pytest.approx(0.6),
        "predicted": 0,
        "p_target": pytest.approx(0.6),
    }
    assert doc["stats"]["accuracy"] == pytest.approx(2 / 3)
    assert [(r["class"], r["count"]) for r in doc["per_class"]] == [("0", 1), ("1", 2)]
    multi = json.loads(
        run_cece(
            "binary",
            write("p.csv", "a,b\n0.1,0.8\n0.3,0.4\n"),
            write("t.csv", "a,b\n0,1\n0,1\n"),
            "-f",
            "json",
            "--per-class",
        ).out
    )
    by_label = {r["class"]: r for r in multi["per_class"]}
    assert by_label["b"]["count"] == 2 and by_label["b"]["accuracy"] == 0.5
    assert by_label["a"]["mean"] == pytest.approx(-(math.log(0.9) + math.log(0.7)) / 2)


@pytest.mark.parametrize(
    "labels",
    [np.array([False, True, True]), np.array([0, 1, 1]), np.array([0, 1, 1], np.float32)],
    ids=["bool", "int64", "float32"],
)
def test_a_record_target_is_the_same_number_from_logits_and_probabilities(write, labels):
    """The target a record carries is a number (the schema's), whatever dtype the labels were
    read as, and the same from the fused logit and probability paths: never JSON's false."""
    y = write("y.npy", labels)
    got = {}
    for kind, preds in (("logits", [-1.5, 0.3, 2.0]), ("probs", [0.2, 0.6, 0.9])):
        x = write(f"{kind}.npy", np.array(preds, np.float32))
        lines = run_cece("binary", x, y, "--from", kind, "-f", "jsonl").out.splitlines()
        got[kind] = [json.loads(line, parse_constant=str)["target"] for line in lines]
        assert '"target":0.0' in lines[0] and '"target":1.0' in lines[1]
    assert got["logits"] == got["probs"] == [0.0, 1.0, 1.0]
    assert all(type(v) is float for v in got["logits"] + got["probs"])


def test_mean_is_over_elements_and_sum_adds_elements():
    x, y = "[[0.1, 0.2], [0.3, 0.4]]", "[[0, 1], [1, 1]]"
    # by hand: −log(1 − p) where y = 0, −log p where y = 1
    elements = [-math.log(0.9), -math.log(0.2), -math.log(0.3), -math.log(0.4)]
    mean = json.loads(run_cece("binary", x, y, "-f", "json").out)
    total = json.loads(run_cece("binary", x, y, "-f", "json", "-r", "sum").out)
    assert mean["loss"] == pytest.approx(math.fsum(elements) / 4, rel=1e-14)
    assert total["loss"] == pytest.approx(math.fsum(elements), rel=1e-14)  # 4 elements, not 2 means
