"""The library functions never return a number for invalid input and never crash: they raise
ValueError (CeceError) with the command line's wording, on the compiled and the numpy path."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cece
from cece.errors import CeceError, InputError, OptionError

from conftest import run_cece

X = np.array([[1.0, 2, 3], [2, 4, 6]])
P = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
FIXTURES = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _with(value, row: int, col: int | None = None, base=X) -> np.ndarray:
    out = base.copy()
    if col is None:
        out[row] = value
    else:
        out[row, col] = value
    return out


def raises(error: type[CeceError], message: str, call, *args, **kwargs) -> CeceError:
    """The call raises ``error`` (a ValueError) whose message starts with ``message``."""
    with pytest.raises(ValueError) as info:
        call(*args, **kwargs)
    assert type(info.value) is error, info.value
    assert str(info.value).startswith(message), str(info.value)
    return info.value


# -- categorical_cross_entropy ----------------------------------------------------------------------

OUT_OF_RANGE = "is out of range for 3 classes (expected 0..2)"
LABELS = [
    ([5, 0], f"targets: row 0: label 5 {OUT_OF_RANGE}"),
    ([0, 3], f"targets: row 1: label 3 {OUT_OF_RANGE}"),
    ([-1, 0], f"targets: row 0: label -1 {OUT_OF_RANGE}"),
    ([0, 10**6], f"targets: row 1: label 1000000 {OUT_OF_RANGE}"),
    ([10**6, 0], f"targets: row 0: label 1000000 {OUT_OF_RANGE}"),
    ([0, -(2**63)], f"targets: row 1: label -9223372036854775808 {OUT_OF_RANGE}"),
    (
        np.array([2**64 - 1, 0], np.uint64),
        f"targets: row 0: label 18446744073709551615 {OUT_OF_RANGE}",
    ),
    ([0.0, 1e30], f"targets: row 1: label 1e+30 {OUT_OF_RANGE}"),
    ([-1e300, 1.0], f"targets: row 0: label -1e+300 {OUT_OF_RANGE}"),
    ([0.5, 1], "targets: row 0: expected a class index, found 0.5"),
    ([0, 2.000001], "targets: row 1: expected a class index, found 2"),
    ([np.nan, 0], "targets: row 0: found nan label; expected a finite number"),
    ([0, np.inf], "targets: row 1: found inf label; expected a finite number"),
    (np.array(["a", "b"]), "targets: holds <U1 values; expected class indices or target rows"),
    (
        [0],
        (
            "targets: labels have shape (1,); expected shape (2,) (one label per sample) or "
            "(2, 3) for dense targets (predictions: (2, 3))"
        ),
    ),
    ([[[0]], [[1]]], "targets: labels have shape (2, 1, 1)"),  # (2, 1): sparse, squeezed
    ([[0, 1], [1, 0]], "targets: labels have shape (2, 2)"),
    ([[0, 1, 0], [0, 2, 0]], "targets: row 1, column 1: target 2 is outside [0, 1]"),
    ([[0, 1, 0], [0, -0.5, 1]], "targets: row 1, column 1: target -0.5 is outside [0, 1]"),
    (
        [[0, 1, 0], [0, np.nan, 1]],
        ("targets: row 1, column 1: found nan target; expected a finite number"),
    ),
]


@pytest.mark.parametrize("targets, message", LABELS, ids=[m for _, m in LABELS])
def test_categorical_labels(targets, message, kernel_path):
    for dtype in (np.float64, np.float32, np.float16):
        error = raises(
            InputError,
            message,
            cece.categorical_cross_entropy,
            X.astype(dtype),
            targets if isinstance(targets, np.ndarray) else np.array(targets),
        )
    if "label -1 " in message:
        assert error.hint == "to skip samples labelled -1, pass ignore_index=-1"
    if "label 3 " in message:
        assert error.hint == "labels count from 0; if yours start at 1, subtract 1"


PREDS = [
    (_with(np.nan, 1, 0), {}, "preds: row 1, column 0: found nan value; expected a finite number"),
    (_with(np.inf, 0, 2), {}, "preds: row 0, column 2: found inf value; expected a finite number"),
    (  # -inf logits are classes of probability 0; a row of them only has no softmax
        np.full((2, 3), -np.inf),
        {},
        ("preds: row 0: every value of the row is -inf; no class has a probability above 0"),
    ),
    (_with(-np.inf, 0, 1, P), {"kind": "probs"}, "preds: row 0, column 1: found -inf value"),
    (
        np.log(P) * [[1, 1, 1], [1, -np.inf, 1]],
        {"kind": "log-probs"},
        "preds: row 1, column 1: found inf",
    ),
    (
        X,
        {"kind": "probs"},
        ("preds: row 0, column 1: 2 is not a probability (expected a value in [0, 1])"),
    ),
    (-P, {"kind": "probs"}, "preds: row 0, column 0: -0.2 is not a probability"),
    (
        X,
        {"kind": "log-probs"},
        ("preds: row 0, column 0: 1 is not a log-probability (expected a value ≤ 0)"),
    ),
    (
        np.array([1.0, 2, 3]),
        {},
        ("preds: has shape (3,); expected (N, C): a row of C class scores per sample"),
    ),
    (
        np.ones((2, 3, 1)),  # any rank now, classes last: labels (2,) fit neither form
        {},
        "targets: labels have shape (2,); expected (2, 3) (one label per sample) or (2, 3, 1)",
    ),
    (np.float64(3.0), {}, "preds: has shape (); expected (N, C)"),
    (
        np.ones((2, 1)),
        {},
        ("preds: 1 prediction column; categorical cross-entropy needs 2 or more classes"),
    ),
    (np.array([["a", "b"], ["c", "d"]]), {}, "preds: holds <U1 values; expected numbers"),
    (np.ones((2, 3), complex), {}, "preds: holds complex128 values; expected numbers"),
    ([[1, 2], [3]], {}, "preds: rows of different lengths"),
    (
        np.array([[0.5, 0.5, 0], [0, 0, 0]]),
        {"kind": "probs", "renormalize": True},
        "preds: row 1: probabilities sum to 0; the row cannot be renormalized",
    ),
]


@pytest.mark.parametrize("preds, kwargs, message", PREDS, ids=[m for *_, m in PREDS])
def test_categorical_predictions(preds, kwargs, message, kernel_path):
    raises(InputError, message, cece.categorical_cross_entropy, preds, np.array([0, 1]), **kwargs)


OPTIONS = [
    ({"weight": [1, 2, 3, 4]}, "weight has 4 values; expected one per class (3)"),
    ({"weight": [1, 2]}, "weight has 2 values; expected one per class (3)"),
    ({"weight": [1, np.nan, 2]}, "weight: class weights must be finite numbers"),
    ({"weight": [1, np.inf, 2]}, "weight: class weights must be finite numbers"),
    ({"weight": ["a", "b", "c"]}, "weight must be real numbers; got ['a', 'b', 'c']"),
    ({"weight": [1, 1, 1j]}, "weight must be real numbers; got [1, 1, 1j]"),
    ({"weight": np.ones((3, 3))}, "weight must be one value or a list of them; got shape (3, 3)"),
    (
        {"sample_weight": np.ones((1, 2))},
        "sample_weight must be one value or a list of them; got shape (1, 2)",
    ),
    ({"rescale": [1, 1j]}, "rescale must be real numbers; got array([1.+0.j, 0.+1.j])"),
    ({"focal_gamma": math.inf}, "focal_gamma must be in [0, inf); got inf"),
    ({"focal_alpha": math.inf}, "focal_alpha must be in [0, inf); got inf"),
    ({"class_axis": 1.0}, "class_axis must be an integer; got 1.0"),
    ({"reduction": "avg"}, "reduction must be mean, sum or none; got 'avg'"),
    ({"reduction": None}, "reduction must be mean, sum or none; got None"),
    ({"kind": "prob"}, "kind must be logits, probs or log-probs; got 'prob'"),
    ({"label_smoothing": 5}, "label_smoothing must be in [0, 1]; got 5"),
    ({"label_smoothing": -0.1}, "label_smoothing must be in [0, 1]; got -0.1"),
    ({"label_smoothing": math.nan}, "label_smoothing must be in [0, 1]; got nan"),
    ({"label_smoothing": "0.1"}, "label_smoothing must be a number; got '0.1'"),
    ({"eps": 0.5}, "eps must be in [0, 0.5); got 0.5"),
    ({"eps": -1e-9}, "eps must be in [0, 0.5); got -1e-09"),
    ({"focal_gamma": -1}, "focal_gamma must be in [0, inf); got -1"),
    ({"focal_alpha": -0.5}, "focal_alpha must be in [0, inf); got -0.5"),
    ({"ignore_index": 1.5}, "ignore_index must be an integer; got 1.5"),
    ({"ignore_index": True}, "ignore_index must be an integer; got True"),
    ({"sample_weight": [1, 2, 3]}, "sample_weight has 3 values; expected one per sample (2)"),
    (
        {"sample_weight": [1, -2]},
        ("sample_weight: sample weights must be ≥ 0; found -2 at position 1"),
    ),
    ({"sample_weight": [1, np.nan]}, "sample_weight: sample weights must be finite numbers"),
]


@pytest.mark.parametrize("kwargs, message", OPTIONS, ids=[m for _, m in OPTIONS])
def test_categorical_options(kwargs, message, kernel_path):
    raises(OptionError, message, cece.categorical_cross_entropy, X, np.array([0, 1]), **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"label_smoothing": np.complex128(0.1 + 0.5j)},
        {"temperature": np.complex128(2 + 1j)},
        {"focal_gamma": np.complex128(2 + 1j)},
        {"sample_weight": np.array([1, 1j])},
    ],
)
def test_complex_options_are_refused(kwargs):
    """numpy casts a complex value to float with a ComplexWarning and drops its imaginary part:
    the options took the real part and gave a number."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(OptionError, match=r"must be (a|real|a finite) number"):
            cece.categorical_cross_entropy(X, np.array([0, 1]), **kwargs)


def test_ignore_index_with_dense_targets_is_refused(kernel_path):
    raises(
        OptionError,
        "ignore_index applies to class-index labels, not to dense targets "
        "(targets has one target column per class)",
        cece.categorical_cross_entropy,
        X,
        np.eye(3)[[0, 1]],
        ignore_index=0,
    )


def test_what_stays_allowed(kernel_path):
    """Negative class weights (PyTorch allows them), ignored labels outside 0..C-1, integral
    float labels, bool and integer inputs (an empty batch is refused in the CLI's words:
    tests/test_library_empty.py)."""
    y = np.array([0, 2])
    plain = cece.categorical_cross_entropy(X, y, reduction="none")
    weighted = cece.categorical_cross_entropy(X, y, weight=[-1.0, 1, 2], reduction="none")
    np.testing.assert_allclose(weighted, plain * [-1, 2], rtol=1e-15)
    got = cece.categorical_cross_entropy(
        X, np.array([-100, 2]), ignore_index=-100, reduction="none"
    )
    assert got[0] == 0 and got[1] == plain[1]
    assert (
        cece.categorical_cross_entropy(X, np.array([0.0, 2.0]), reduction="none").tolist()
        == plain.tolist()
    )
    np.testing.assert_allclose(  # integers take the numpy path: the same to rounding
        cece.categorical_cross_entropy(X.astype(int), [0, 2], reduction="none"), plain, rtol=1e-15
    )


@pytest.mark.filterwarnings("error::RuntimeWarning")  # valid calls: no numpy warning escapes
def test_a_weight_of_zero_leaves_an_infinite_term_out(kernel_path):
    """A −inf logit on the label gives the sample the loss inf; a factor of 0 on that sample
    (class weight, sample weight, rescale, focal alpha, label smoothing's 1 − ε) gave 0 · inf =
    NaN, and the mean was NaN with exit 0 and no warning. A weight of 0 leaves the term out, as
    pos_weight 0 always did; what is left is the other sample's loss."""
    x, y = np.array([[1.0, -np.inf, 2.0], [1.0, 2.0, 3.0]]), np.array([1, 0])
    other = math.log(math.exp(1) + math.exp(2) + math.exp(3)) - 1  # row 1's loss
    cce = cece.categorical_cross_entropy
    assert cce(x, y, weight=[1.0, 0.0, 1.0]) == pytest.approx(other, rel=1e-15)
    # with smoothing, the masked class's weight 0 leaves its −inf out of the uniform part too
    smooth = cce(x, [0, 0], weight=[1.0, 0.0, 1.0], label_smoothing=0.1, reduction="none")
    for row, got in zip(x, smooth):
        nlq = np.log(np.exp(row).sum()) - row
        want = 0.9 * nlq[0] + 0.1 / 3 * (nlq[0] + nlq[2])
        assert got == pytest.approx(want, rel=1e-14)
    assert cce(x, y, sample_weight=[0.0, 1.0]) == pytest.approx(other, rel=1e-15)
    assert cce(x, y, rescale=[0.0, 1.0]) == pytest.approx(other / 2, rel=1e-15)
    assert cce(x, y, focal_alpha=0.0) == 0.0
    assert cce(x, y, label_smoothing=1.0) == np.inf  # the smoothing term holds the inf
    assert cce(x, np.eye(3)[y], label_smoothing=1.0) == np.inf  # as one-hot rows
    probs = np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]])
    got = cce(probs, [0, 0], kind="probs", eps=0.0, sample_weight=[0.0, 1.0])
    assert got == pytest.approx(-math.log(0.2), rel=1e-15)
    xb, yb = np.array([-np.inf, 1.0]), np.array([1.0, 1.0])
    bce = cece.binary_cross_entropy_with_logits
    softplus = math.log1p(math.exp(-1.0))  # the second element's loss
    assert bce(xb, yb, rescale=[0.0, 1.0]) == pytest.approx(softplus / 2, rel=1e-15)
    assert bce(xb, yb, sample_weight=[0.0, 1.0]) == pytest.approx(softplus, rel=1e-15)
    assert bce(xb, yb, focal_alpha=0.0) == 0.0
    dense = cce(np.array([[1.0, -np.inf, 2.0]]), np.array([[0.5, 0.0, 0.5]]))  # no mass on it
    assert dense == pytest.approx(math.log1p(math.e) - 0.5, rel=1e-15)
    run = run_cece("categorical", "[[1,-Infinity,2],[1,2,3]]", "[1,0]", "--from", "logits",
                   "--weight", "1,0,1", "-q")  # fmt: skip
    assert run.code == 0 and float(run.out) == pytest.approx(other, rel=1e-15)


WIDE = [
    (np.array([[2**53 + 1, 2**53]], np.int64), "row 0, column 0: 9007199254740993 (int64)"),
    (np.array([[2**64 - 1, 2**64 - 2]], np.uint64), "row 0, column 0: 18446744073709551615"),
    (
        np.array([[1e18, 1e18]], np.longdouble) + np.array([[1, 0]], np.longdouble),
        "row 0, column 0: 1000000000000000001 (float128)",
    ),
]


@pytest.mark.skipif(np.finfo(np.longdouble).nmant <= 52, reason="long double is float64 here")
@pytest.mark.parametrize("x, where", WIDE, ids=["int64", "uint64", "longdouble"])
def test_values_float64_does_not_hold_are_refused(x, where, write, kernel_path):
    """Rounded to float64, the logits [2^53 + 1, 2^53] tie: 0.693 where log(1 + e) = 1.313.
    Refused in the library and in the CLI; what float64 holds exactly is taken."""
    message = f"preds: {where}"
    error = raises(InputError, message, cece.categorical_cross_entropy, x, [1])
    assert "has no exact float64 value" in str(error)
    run = run_cece("categorical", write("x.npy", x), "[1]", "--from", "logits", "-q")
    assert run.code == 2 and run.out == "" and "has no exact float64 value" in run.err
    exact = x - x.min()  # small now: exact in float64, and the same logits up to a shift
    got = cece.categorical_cross_entropy(exact, [1])
    assert got == pytest.approx(math.log1p(math.e), rel=1e-15)
    p = np.array([np.longdouble(1) - np.longdouble(1e-19)])
    raises(InputError, "probs: row 0: 0.9999999999999999999 (float128)",
           cece.binary_cross_entropy, p, [0.0], eps=0.0)  # fmt: skip


def test_integers_float64_holds_are_taken_beyond_2_53(write, kernel_path):
    """2^60 + 256 and 2^60 are float64 values: taken, in arrays and in Parquet int64 columns
    (which the refusal missed: 2^53 + 1 there was rounded too)."""
    x = np.array([[2**60 + 256, 2**60]], np.int64)
    assert cece.categorical_cross_entropy(x, [1]) == pytest.approx(256.0, rel=1e-15)
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    for a, b, ok in ((2**53 + 1, 2**53, False), (2**60 + 256, 2**60, True)):
        path = write("big.parquet", b"")
        table = {"a": pa.array([a, 1], pa.int64()), "b": pa.array([b, 2], pa.int64())}
        pq.write_table(pa.table({**table, "label": [1, 0]}), path)
        run = run_cece("categorical", path, "--label-col", "label", "--from", "logits", "-q")
        if ok:
            assert run.code == 0 and float(run.out) == pytest.approx((256 + math.log1p(math.e)) / 2)
        else:
            line = run.error_line()
            assert "row 0, column a: 9007199254740993 (int64) has no exact float64 value" in line
    smallest = np.array([[-(2**63), 0]], np.int64)  # -2^63 is a float64 too
    assert cece.categorical_cross_entropy(smallest, [1]) == 0.0


@pytest.mark.parametrize("eps", [5e-324, 1e-319, 1e-310])
def test_label_smoothing_whose_share_underflows_is_the_plain_loss(eps, kernel_path):
    """ε / C below the smallest float is 0: its entropy term is 0 · log 0 = 0 (math.log(0)
    raised ValueError: the CLI's exit 3). The loss and H are the unsmoothed ones to rounding."""
    x, y = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.25]]), np.array([0, 2])
    plain = cece.categorical_cross_entropy(x, y, reduction="none")
    got = cece.categorical_cross_entropy(x, y, label_smoothing=eps, reduction="none")
    np.testing.assert_allclose(got, plain, rtol=1e-15)
    wide = np.zeros((1, 50257), np.float32)
    assert cece.categorical_cross_entropy(wide, [0], label_smoothing=eps) == pytest.approx(
        math.log(50257), rel=1e-7
    )
    run = run_cece("categorical", "[[1,2,3]]", "[0]", "--from", "logits",
                   "--label-smoothing", repr(eps), "-f", "json")  # fmt: skip
    assert run.code == 0, run.err
    h = [float(v) for v in re.findall(r'"entropy": ([-+0-9.e]+)', run.out)]
    assert h and all(0 <= v < 1e-300 for v in h), h


@FIXTURES
@given(
    data=st.data(),
    n=st.integers(1, 40),
    c=st.integers(2, 70),
    dtype=st.sampled_from(["float16", "float32", "float64"]),
)
def test_out_of_range_labels_are_refused(data, n, c, dtype, kernel_path):
    """Any label outside 0..C-1 (either side, up to ±2^63), at any row, on both paths."""
    y = data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))
    row = data.draw(st.integers(0, n - 1))
    y[row] = data.draw(st.one_of(st.integers(c, 2**63 - 1), st.integers(-(2**63), -1)))
    x = np.random.default_rng(n * c).standard_normal((n, c)).astype(dtype)
    raises(
        InputError,
        f"targets: row {row}: label {y[row]} is out of range for {c} classes (expected 0..{c - 1})",
        cece.categorical_cross_entropy,
        x,
        np.array(y),
    )


@FIXTURES
@given(
    data=st.data(),
    n=st.integers(1, 20),
    bad=st.one_of(
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v != round(v)),
        st.sampled_from([math.nan, math.inf, -math.inf]),
    ),
)
def test_non_integral_float_labels_are_refused(data, n, bad, kernel_path):
    y = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), float)
    row = data.draw(st.integers(0, n - 1))
    y[row] = bad
    x = np.random.default_rng(n).standard_normal((n, 3))
    with pytest.raises(InputError, match=f"^targets: row {row}: "):
        cece.categorical_cross_entropy(x, y)


# -- binary_cross_entropy and binary_cross_entropy_with_logits --------------------------------------

PROBS = np.array([0.2, 0.9, 0.5])
Y = np.array([0.0, 1, 1])
BINARY = [
    (
        "logits",
        np.array([0.2, np.nan, 1]),
        Y,
        {},
        "logits: row 1: found nan value; expected a finite number",
    ),
    (
        "logits",
        np.array([[0.2, 1], [np.inf, 1]]),
        np.ones((2, 2)),
        {},
        "logits: row 1, column 0: found inf value; expected a finite number",
    ),
    (
        "probs",
        np.array([0.2, 1.5, 1]),
        Y,
        {},
        "probs: row 1: 1.5 is not a probability (expected a value in [0, 1])",
    ),
    (
        "probs",
        np.array([[0.2, -0.1]]),
        np.ones((1, 2)),
        {},
        "probs: row 0, column 1: -0.1 is not a probability (expected a value in [0, 1])",
    ),
    ("probs", PROBS, np.array([0, 2, 1]), {}, "targets: row 1: target 2 is outside [0, 1]"),
    ("logits", PROBS, np.array([0, -1, 1]), {}, "targets: row 1: target -1 is outside [0, 1]"),
    (
        "logits",
        PROBS,
        np.array([0, np.nan, 1]),
        {},
        "targets: row 1: found nan target; expected a finite number",
    ),
    (
        "logits",
        PROBS[None],
        np.array([[0, 1, 1.5]]),
        {},
        "targets: row 0, column 2: target 1.5 is outside [0, 1]",
    ),
    (
        "logits",
        PROBS,
        np.array([0, 1]),
        {},
        "targets: targets have shape (2,); expected the predictions' shape (3,) (from logits)",
    ),
    (
        "probs",
        PROBS,
        Y[:, None],
        {},
        ("targets: targets have shape (3, 1); expected the predictions' shape (3,) (from probs)"),
    ),
    (
        "logits",
        np.ones((2, 2, 2)),
        np.ones((2, 2, 2)),
        {},
        "logits: has shape (2, 2, 2); expected (N,) or (N, K): one or K scores per sample",
    ),
    ("logits", np.ones((2, 0)), np.ones((2, 0)), {}, "logits: no prediction columns: shape (2, 0)"),
    ("logits", np.array(["a"]), np.array([1]), {}, "logits: holds <U1 values; expected numbers"),
]


@pytest.mark.parametrize(
    "kind, preds, targets, kwargs, message", BINARY, ids=[c[-1] for c in BINARY]
)
def test_binary_inputs(kind, preds, targets, kwargs, message, kernel_path):
    loss = cece.binary_cross_entropy if kind == "probs" else cece.binary_cross_entropy_with_logits
    raises(InputError, message, loss, preds, targets, **kwargs)


BINARY_OPTIONS = [
    ({"pos_weight": np.inf}, "pos_weight must be finite numbers; got inf"),
    ({"pos_weight": np.nan}, "pos_weight must be finite numbers; got nan"),
    ({"pos_weight": [1, 2]}, "pos_weight has 2 values; expected 1 or one per column (1)"),
    ({"reduction": "max"}, "reduction must be mean, sum or none; got 'max'"),
    ({"label_smoothing": 1.5}, "label_smoothing must be in [0, 1]; got 1.5"),
    ({"focal_gamma": -2}, "focal_gamma must be in [0, inf); got -2"),
    ({"focal_alpha": 1.5}, "focal_alpha must be in [0, 1]; got 1.5"),
    ({"sample_weight": [1, 1]}, "sample_weight has 2 values; expected one per sample (3)"),
    (
        {"sample_weight": [1, -1, 1]},
        ("sample_weight: sample weights must be ≥ 0; found -1 at position 1"),
    ),
    ({"sample_weight": [1, np.inf, 1]}, "sample_weight: sample weights must be finite numbers"),
]


@pytest.mark.parametrize("kwargs, message", BINARY_OPTIONS, ids=[m for _, m in BINARY_OPTIONS])
@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_binary_options(kind, kwargs, message, kernel_path):
    loss = cece.binary_cross_entropy if kind == "probs" else cece.binary_cross_entropy_with_logits
    raises(OptionError, message, loss, PROBS, Y, **kwargs)


def test_binary_eps_and_kind():
    raises(
        OptionError,
        "eps must be in [0, 0.5); got 0.7",
        cece.binary_cross_entropy,
        PROBS,
        Y,
        eps=0.7,
    )
    # the keyword itself is refused (any TypeError, e.g. from a keyword passed on twice, is not)
    for loss in (cece.binary_cross_entropy, cece.binary_cross_entropy_with_logits):
        with pytest.raises(TypeError, match=r"unexpected keyword argument 'kind'$"):
            loss(PROBS, Y, kind="probs")  # no kind= keyword: the name says what preds are
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'eps'$"):
        cece.binary_cross_entropy_with_logits(PROBS, Y, eps=1e-7)  # no clipping of logits


def test_binary_pos_weight_per_column_and_k(kernel_path):
    x = np.zeros((2, 3))
    raises(
        OptionError,
        "pos_weight has 2 values; expected 1 or one per column (3)",
        cece.binary_cross_entropy_with_logits,
        x,
        np.ones((2, 3)),
        pos_weight=[1, 2],
    )
    got = cece.binary_cross_entropy_with_logits(
        x, np.ones((2, 3)), pos_weight=[1, 2, 3], reduction="none"
    )
    np.testing.assert_allclose(got, [2 * math.log(2)] * 2, rtol=1e-15)


# -- entropy and kl_divergence ---------------------------------------------------------------------

DIVERGENCE = [
    (
        lambda: cece.entropy(np.array([0.5, 0.5])),
        "p: has shape (2,); expected (N, C): one distribution per row",
    ),
    (
        lambda: cece.entropy(np.array([[0.5, 1.5]])),
        "p: row 0, column 1: 1.5 is not a probability (expected a value in [0, 1])",
    ),
    (
        lambda: cece.entropy(np.array([[0.5, np.nan]]), kind="logits"),
        "p: row 0, column 1: found nan value; expected a finite number",
    ),
    (
        lambda: cece.entropy(np.array([[-0.5, 0.5]]), kind="log-probs"),
        "p: row 0, column 1: 0.5 is not a log-probability (expected a value ≤ 0)",
    ),
    (
        lambda: cece.entropy(np.zeros((2, 2)), renormalize=True),
        "p: row 0: probabilities sum to 0; the row cannot be renormalized",
    ),
    (lambda: cece.kl_divergence(P, P[:1]), "q: shape (1, 3) does not match P's (2, 3) (p)"),
    (
        lambda: cece.kl_divergence(P, P * 2),
        "q: row 1, column 2: 1.6 is not a probability (expected a value in [0, 1])",
    ),
    (
        lambda: cece.kl_divergence(P, _with(np.inf, 1, 1, P), kind_q="logits"),
        "q: row 1, column 1: found inf value; expected a finite number",
    ),
]


@pytest.mark.parametrize("call, message", DIVERGENCE, ids=[m for _, m in DIVERGENCE])
def test_divergence_inputs(call, message, kernel_path):
    raises(InputError, message, call)


def test_divergence_options():
    raises(
        OptionError,
        "kind must be logits, probs or log-probs; got 'odds'",
        cece.entropy,
        P,
        kind="odds",
    )
    raises(
        OptionError,
        "kind_q must be logits, probs or log-probs; got None",
        cece.kl_divergence,
        P,
        P,
        kind_q=None,
    )
    raises(
        InputError,
        "p: row 0, column 1: 2 is not a probability (expected a value in [0, 1])",
        cece.kl_divergence,
        X,
        P,
    )
    error = raises(
        InputError, "q: row 0, column 1: 2 is not a probability", cece.kl_divergence, P, X
    )
    assert error.hint == 'these look like logits: pass kind_q="logits"'


# -- the command line words the same rules the same way ------------------------------------------


@pytest.mark.parametrize("labels", [[0, 5], [0, 1.5], [-3, 0]])
def test_the_cli_and_the_library_share_the_wording(labels, write):
    line = run_cece("categorical", write("x.npy", X), write("y.npy", np.array(labels)))
    with pytest.raises(InputError) as info:
        cece.categorical_cross_entropy(X, np.array(labels))
    assert line.error_line().endswith(str(info.value).removeprefix("targets: "))


@pytest.mark.parametrize("kind", ["logits", "probs", "log-probs"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_labels_that_are_a_strided_view_are_read(kind, dtype):
    """Labels taken as a column of an integer table (``data[:, 0]``) or reversed reached the
    compiled kernels as a strided view: "ndarray is not C-contiguous" from the library."""
    import cece

    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3))
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    preds = {"logits": x, "probs": p, "log-probs": np.log(p)}[kind].astype(dtype)
    table = rng.integers(0, 3, size=(6, 2))
    for view in (table[:, 0], table[::-1, 1]):
        assert not view.flags.c_contiguous
        got = cece.categorical_cross_entropy(preds, view, kind=kind)
        assert got == cece.categorical_cross_entropy(preds, view.copy(), kind=kind)


def test_counts_whose_sum_overflows_are_renormalized():
    """Finite counts past 1.8e308 in all (the README: any finite row ≥ 0 with a positive sum)
    were divided by an infinite sum: a row of zeros, so 36.04 for ln 3 and an entropy of 0, with
    numpy's overflow warning. SciPy's values, from the same counts scaled down."""
    import warnings

    from scipy import stats

    import cece

    c, q = np.array([[1e308, 1e308, 1e308]]), np.array([[1.0, 2, 3]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = cece.categorical_cross_entropy(c, np.array([0]), kind="probs", renormalize=True)
        assert got == pytest.approx(np.log(3), rel=1e-15)
        assert cece.entropy(c, renormalize=True)[0] == pytest.approx(np.log(3), rel=1e-15)
        pq = cece.kl_divergence(c, q, renormalize=True)[0]
        qp = cece.kl_divergence(q, c, renormalize=True)[0]
    assert pq == pytest.approx(stats.entropy([1, 1, 1], [1, 2, 3]), rel=1e-14)
    assert qp == pytest.approx(stats.entropy([1, 2, 3], [1, 1, 1]), rel=1e-14)
    run = run_cece("entropy", "[[1e308,1e308,1e308],[1,2,1]]", "--from", "probs", "--renormalize")
    assert run.code == 0 and "overflow" not in run.err


# mpmath at 60 digits (log-softmax, then the sums), printed with repr(float(...)):
#   lp = [v - max(x) - mp.log(sum(mp.e ** (w - max(x)) for w in x)) for v in x]
#   H = -sum(mp.e ** l * l for l in lp);  KL = sum(mp.e ** a * (a - b) for a, b in zip(lp, lq))
CONFIDENT_ENTROPY = [([20.0, 0.0], 4.3284225984118455e-08), ([36.0, 0.0], 8.582234471901205e-15)]
CONFIDENT_KL = [
    ([20.0, 0.0], [21.0, 0.0], 7.582560403795374e-10),
    ([30.0, 0.0], [31.0, 0.0], 3.4424771084694795e-14),
    ([36.0, 0.0], [40.0, 0.0], 7.001052033283623e-16),
]


def test_entropy_and_kl_of_confident_logits_keep_their_relative_precision():
    """log p was x − (m + log z): m + log z rounds a log z of 2e-16 beside m = 36 away, and a
    confident row's entropy and KL are made of such terms (2.7 % and 33 % off; PyTorch float64
    1e-3 and 8e-3). (x − m) − log z keeps them."""
    import cece

    for row, want in CONFIDENT_ENTROPY:
        got = cece.entropy(np.array([row]), kind="logits")[0]
        assert got == pytest.approx(want, rel=1e-13)
    for p, q, want in CONFIDENT_KL:
        got = cece.kl_divergence(np.array([p]), np.array([q]), kind_p="logits", kind_q="logits")
        assert got[0] == pytest.approx(want, rel=1e-13)
    run = run_cece("entropy", "[[36,0]]", "--from", "logits", "-q")
    assert float(run.out) == pytest.approx(CONFIDENT_ENTROPY[1][1], rel=1e-13)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda s: s.bits_per_byte(1.0, [4, 5]), "count: one total; got 2 counts"),
        (lambda s: s.normalized_perplexity(5.0, [4, 5]), "count: one total; got 2 counts"),
        (lambda s: s.bits_per_byte("1", 4), "a summed negative log-likelihood is a number"),
        (lambda s: s.per_sequence(np.array([1.0, np.nan]), [1, 1]), "loss: NaN at token 1"),
        (
            lambda s: s.per_sequence(np.array([1.0, 2]), [1, 1], weight=[-1, 3]),
            "weight: token weights must be ≥ 0; found -1 at position 0",
        ),
        (
            lambda s: s.per_sequence(np.array([1.0, 2]), [1, 1], weight=[1.0]),
            "weight has 1 values; expected one per token (2)",
        ),
        (
            lambda s: s.per_sequence(np.array([1.0, 2]), [1, 1], valid=[True]),
            "valid has 1 values; expected one per token (2)",
        ),
    ],
)
def test_sequence_arithmetic_refuses_what_it_cannot_mean(call, message):
    """bits_per_byte(1.0, [4, 5]) used the first count alone (0.36 where Σ = 9 gives 0.16);
    per_sequence took NaN losses and negative weights, and a wrong length was numpy's error."""
    from cece.losses import sequences

    with pytest.raises(OptionError) as err:
        call(sequences)
    assert str(err.value).startswith(message)


def test_explain_functions_check_their_arguments():
    """The README's `cece.tools.explain` functions checked nothing: label -1 wrapped to the last
    class, a probability of 1.5 gave a negative loss, kind="x" gave -0.0."""
    from cece.tools import explain, explain_binary

    for call in (
        lambda: explain.categorical([1.0, 2, 3], -1),
        lambda: explain.categorical([1.5, 0.2, 0.3], 0, kind="probs"),
        lambda: explain.categorical([1.0, 2, 3], 0, kind="x"),
        lambda: explain.categorical([1.0, 2, 3], 0, label_smoothing=2),
        lambda: explain_binary.binary([1.5], [1.0], kind="probs"),
        lambda: explain_binary.binary([0.3], [2.0]),
    ):
        with pytest.raises(cece.errors.CeceError):
            call()
    assert explain.categorical([1.0, 2, 3], 0).nats == pytest.approx(2.40760596444438, rel=1e-15)
