"""The edge of the peers' domain (issue 12, items 3, 4, 5, 6, 8): negative class weights, counts
under --renormalize, labels with a trailing axis of size 1, −inf logits, float16's own eps.

Values come from the peers themselves (tests/data/peer_domain/cases.json, written by
tests/data/peer_domain/generate.py with PyTorch, scikit-learn, SciPy and optax), from the naive
reference (tests/reference.py), and from properties; each new rule has its exact error line.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cece
import cece._native as kernels
from cece.losses import default_eps

import reference
from conftest import run_cece

DATA = json.loads((Path(__file__).parent / "data" / "peer_domain" / "cases.json").read_text())
CASES = DATA["cases"]
# the peer's tolerance: float64 inputs to float64 rounding; float32/float16 inputs go through
# the compiled float32-lane kernels (exp to 7.8e-8, sums in double)
RTOL = {"float64": 1e-12, "float32": 1e-6, "float16": 1e-6}


def _loss(doc: dict):
    if doc["loss"] is None:
        return [float(s["loss"]) for s in doc["samples"]]
    return float(doc["loss"])


def _close(got, want, rtol: float) -> None:
    got, want = np.atleast_1d(np.asarray(got, float)), np.atleast_1d(np.asarray(want, float))
    assert got.shape == want.shape
    assert np.array_equal(np.isinf(got), np.isinf(want)), (got, want)
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=rtol, atol=1e-300)


def _inputs(c: dict, write) -> list[str]:
    preds = np.asarray(c["preds"], dtype=np.float64).astype(c["dtype"])
    paths = [write("preds.npy", preds)]
    if c["labels"] is not None:
        paths.append(write("labels.npy", np.asarray(c["labels"]).astype(c["labels_dtype"])))
    return paths


@pytest.mark.parametrize("c", CASES, ids=[f"{c['group']}:{c['id']}" for c in CASES])
def test_agrees_with_the_peer(c, write, kernel_path):
    run = run_cece(c["command"], *_inputs(c, write), *c["args"], "--format", "json")
    assert run.code == 0, run.err
    _close(_loss(json.loads(run.out)), c["expected"], RTOL[c["dtype"]])
    if "sklearn" in c:  # scikit-learn computes in float16 itself: its value, to float16
        assert _loss(json.loads(run.out)) == pytest.approx(c["sklearn"], rel=2e-3)


def test_the_stored_cases_cover_every_item():
    groups = {c["group"] for c in CASES}
    assert groups == {"negative-weights", "counts", "squeeze", "neg-inf", "float16-eps"}
    assert {"torch", "sklearn", "scipy", "optax"} <= set(DATA["meta"])


# -- negative class weights: one rule, library and CLI ---------------------------------------------


def test_negative_class_weights_library_equals_cli(write):
    c = next(c for c in CASES if c["id"] == "ce-0")
    x, y = np.asarray(c["preds"]), np.asarray(c["labels"])
    w = [float(v) for v in c["args"][c["args"].index("--weight") + 1].split(",")]
    got = cece.categorical_cross_entropy(x, y, weight=w)
    assert got == pytest.approx(c["expected"], rel=1e-12)
    want = reference.categorical(x.tolist(), y.tolist(), weight=w)
    assert got == pytest.approx(want, rel=1e-12)


def test_class_weights_summing_to_zero_divide_as_pytorch(kernel_path):
    # Σ w_{y_n} = -3 + 3 = 0 with a non-zero numerator: PyTorch gives -inf (x / 0); the CLI
    # gives it with a warning, the library refuses (tests/test_denominators.py)
    x, y = [[1.0, 2, 3], [2, 4, 6]], [0, 2]
    with pytest.raises(cece.errors.CeceError, match="sum to 0"):
        cece.categorical_cross_entropy(np.array(x), np.array(y), weight=[-3, 3, 3])
    run = run_cece("categorical", json.dumps(x), json.dumps(y), "--weight=-3,3,3", "-q")
    assert run.code == 0 and float(run.out) == -math.inf
    assert "cece: warning: the weights of the counted samples sum to 0" in run.err


def test_class_weights_must_be_finite():
    line = run_cece("categorical", "[[1,2],[3,1]]", "[0,1]", "--weight", "1,nan").error_line()
    assert line == "cece: error: --weight: class weights must be finite numbers"


# -- counts under --renormalize --------------------------------------------------------------------


def test_counts_in_the_library():
    assert cece.entropy(np.array([[0, 1, 2]]), renormalize=True)[0] == pytest.approx(
        0.6365141682948128, rel=1e-15
    )
    p, q = np.array([[0, 1, 2.0]]), np.array([[3, 1, 1.0]])
    assert cece.kl_divergence(p, q, renormalize=True)[0] == pytest.approx(
        reference.kl([0, 1 / 3, 2 / 3], [0.6, 0.2, 0.2]), rel=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=2, max_size=8).filter(lambda r: sum(r) > 0))
def test_counts_are_the_distribution_they_normalize_to(row):
    total = sum(row)
    want = reference.entropy([v / total for v in row])
    got = cece.entropy(np.array([row], dtype=float), renormalize=True)[0]
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["entropy", "[[0,-1,2]]"],
            "literal '[[0,-1,2]]': row 0, column 1: -1 is negative; rows to renormalize hold "
            "probabilities or counts ≥ 0",
        ),
        (
            ["entropy", "[[1,2],[0,0]]"],
            "literal '[[1,2],[0,0]]': row 1: probabilities sum to 0; the row cannot be renormalized",
        ),
        (
            ["kl", "[[1,2]]", "[[3,-1]]"],
            "literal '[[3,-1]]': row 0, column 1: -1 is negative; rows to renormalize hold "
            "probabilities or counts ≥ 0",
        ),
    ],
)
def test_rows_to_renormalize_need_values_at_least_0_and_a_positive_sum(args, message):
    line = run_cece(*args, "--from", "probs", "--renormalize").error_line()
    assert line == f"cece: error: {message}"


def test_without_renormalize_counts_are_still_not_probabilities():
    line = run_cece("entropy", "[[0,1,2]]", "--from", "probs").error_line()
    assert "2 is not a probability (expected a value in [0, 1])" in line


# -- labels with a trailing axis of size 1 ---------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 1), (2, 3, 1)])
def test_a_trailing_axis_of_size_1_is_squeezed_with_a_note(shape, write):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((*shape[:-1], 4))
    y = rng.integers(0, 4, shape)
    run = run_cece("categorical", write("x.npy", x), write("y.npy", y), "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    want = reference.categorical(x.reshape(-1, 4).tolist(), y.reshape(-1).tolist())
    assert doc["loss"] == pytest.approx(want, rel=1e-12)
    note = f"labels of shape {shape}: the trailing axis of size 1 squeezed, one per sample"
    assert f"y.npy: {note}" in run.err
    assert any(i["detail"] == note for i in doc["input"]["inferred"])


def test_the_library_takes_sparse_labels_of_shape_n_1():
    x, y = np.array([[1.0, 2, 3], [2, 4, 6]]), np.array([[0], [2]])
    assert cece.categorical_cross_entropy(x, y) == cece.categorical_cross_entropy(x, y[:, 0])
    c = next(c for c in CASES if c["id"] == "btv1")  # (B, T, V) logits, (B, T, 1) labels
    x = np.asarray(c["preds"], dtype=np.float32)
    got = cece.categorical_cross_entropy(x, np.asarray(c["labels"]), reduction="none")
    assert got.shape == x.shape[:-1]
    assert float(got.mean()) == pytest.approx(c["expected"], rel=1e-6)


def test_other_label_shapes_are_still_refused(write):
    x = np.zeros((2, 3, 4))
    line = run_cece(
        "categorical", write("x.npy", x), write("y.npy", np.zeros((2, 3, 2), int))
    ).error_line()
    assert "y.npy: labels have shape (2, 3, 2); expected shape (2, 3)" in line


# -- −inf logits ------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 9),
    st.integers(1, 6),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["float64", "float32"]),
)
def test_a_masked_class_is_a_class_that_is_not_there(c, n, seed, dtype):
    """Loss with −inf on some classes = loss over the other classes alone (targets unmasked)."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, c)) * 4).astype(dtype)
    y = rng.integers(0, c, n)
    keep = rng.random(c) < 0.6
    keep[y] = True
    keep[(y[0] + 1) % c] = True  # two classes at least: a softmax over one is no loss
    masked = x.copy()
    masked[:, ~keep] = -np.inf
    new_index = np.cumsum(keep) - 1
    for fast in (True, False):
        old, kernels.FAST = kernels.FAST, fast and kernels.AVAILABLE
        try:
            got = cece.categorical_cross_entropy(masked, y, reduction="none")
            want = cece.categorical_cross_entropy(x[:, keep], new_index[y], reduction="none")
        finally:
            kernels.FAST = old
        np.testing.assert_allclose(got, want, rtol=1e-12 if dtype == "float64" else 1e-6)
    ref = reference.categorical(masked.astype(np.float64).tolist(), y.tolist(), reduction="none")
    np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_a_masked_target_gives_inf_and_says_nothing_wrong(kernel_path):
    run = run_cece("categorical", "[[1,-Infinity,3],[2,4,6]]", "[1,2]", "--from", "logits", "-q")
    assert run.code == 0 and float(run.out) == math.inf


def test_binary_neg_inf_library_and_reference():
    x = np.array([[-np.inf, 0.5], [-np.inf, -2.0]])
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    got = cece.binary_cross_entropy_with_logits(x, y, reduction="none")
    want = reference.binary(x.tolist(), y.tolist(), reduction="none")
    assert got[0] == pytest.approx(want[0], rel=1e-12) and got[1] == math.inf == want[1]
    assert got[0] == pytest.approx(math.log1p(math.exp(-0.5)) / 2, rel=1e-12)


@pytest.mark.parametrize("extra", [[], ["--focal-gamma", "2"], ["--label-smoothing", "0.2"]])
def test_binary_neg_inf_on_every_path(extra, kernel_path):
    # target 0 on the -inf: 0; smoothing moves the target to 0.1: inf (as the formula says)
    run = run_cece("binary", "[[-Infinity],[0.3]]", "[[0],[1]]", "--from", "logits", *extra, "-q")
    assert run.code == 0, run.err
    kw: dict = {"focal_gamma": 2.0} if "--focal-gamma" in extra else {}
    if "--label-smoothing" in extra:
        kw["label_smoothing"] = 0.2
    want = reference.binary([[-math.inf], [0.3]], [[0], [1]], **kw)
    assert float(run.out) == pytest.approx(want, rel=1e-12)


NEG_INF_ERRORS = [
    (
        "[[1,2],[-Infinity,-Infinity]]",
        "literal '[[1,2],[-Infinity,-Infinity]]': row 1: every value of the row is -inf; "
        "no class has a probability above 0",
    ),
    (
        "[[1,Infinity],[0,0]]",
        "literal '[[1,Infinity],[0,0]]': row 0, column 1: found inf value; "
        "expected a finite number",
    ),
    (
        "[[1,2],[NaN,0]]",
        "literal '[[1,2],[NaN,0]]': row 1, column 0: found nan value; expected a finite number",
    ),
]


@pytest.mark.parametrize("preds, message", NEG_INF_ERRORS)
@pytest.mark.parametrize("kind", ["logits", "auto"])
def test_rows_of_neg_inf_only_and_pos_inf_and_nan_stay_errors(preds, message, kind, kernel_path):
    line = run_cece("categorical", preds, "[0,1]", "--from", kind).error_line()
    assert line == f"cece: error: {message}"


@pytest.mark.parametrize("c", [3, 70])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_a_row_of_neg_inf_only_is_an_error_in_the_kernels(c, dtype, write, kernel_path):
    x = np.zeros((300, c), dtype)
    x[:, 1] = -np.inf
    x[201] = -np.inf
    line = run_cece(
        "categorical", write("x.npy", x), write("y.npy", np.zeros(300, int)), "--from", "logits"
    ).error_line()
    assert line.endswith(
        "x.npy: row 201: every value of the row is -inf; no class has a probability above 0"
    )


def test_library_neg_inf_rules():
    with pytest.raises(ValueError, match="preds: row 0: every value of the row is -inf"):
        cece.categorical_cross_entropy(np.full((1, 3), -np.inf), np.array([0]))
    with pytest.raises(ValueError, match="logits: row 0, column 0: found inf value"):
        cece.binary_cross_entropy_with_logits(np.array([[np.inf]]), np.array([[1.0]]))
    with pytest.raises(ValueError, match="probs: row 0, column 0: found -inf value"):
        cece.binary_cross_entropy(np.array([[-np.inf]]), np.array([[1.0]]))
    # a binary element on its own needs no finite neighbour
    row = cece.binary_cross_entropy_with_logits(np.full((1, 2), -np.inf), np.zeros((1, 2)))
    assert row == 0.0


@pytest.mark.parametrize(
    "args, message",
    [
        (["entropy", "[[1,-Infinity]]", "--from", "probs"], "row 0, column 1: found -inf value"),
        (["kl", "[[0.5,0.5]]", "[[1,-Infinity]]", "--q-from", "probs"], "found -inf value"),
        (["entropy", "[[1,-Infinity]]"], "found -inf among values in [0, 1]"),
        (["kl", "[[1,2]]", "[[1,-Infinity]]"], "found -inf among values in [0, 1]"),
        (["categorical", "[[0.5,-Infinity]]", "[0]", "--from", "probs"], "found -inf value"),
        (["categorical", "[[1,2]]", "[-Infinity]"], "found -inf label"),
        (["binary", "[[1,2]]", "[[0,-Infinity]]"], "found -inf target"),
    ],
)
def test_neg_inf_is_still_an_error_where_it_is_not_a_logit(args, message):
    assert message in run_cece(*args).error_line()


@pytest.mark.parametrize("command", ["categorical", "binary"])
def test_under_auto_neg_inf_among_probabilities_is_refused(command, write):
    """The values do not say whether a -inf is a typo in probabilities or a masked logit."""
    x = write("x.csv", "0.2,0.8\n-inf,1\n")
    y = "[0,1]" if command == "categorical" else "[[0,1],[1,0]]"
    run = run_cece(command, x, y)
    assert run.err_lines == [
        f"cece: error: {x}: line 2, column 0: found -inf among values in [0, 1]: not a "
        "probability (as a logit: a class of probability 0)",
        "  hint: --from logits reads -inf as a class of probability 0; if these are "
        "probabilities, fix the value",
    ]
    assert run.code == 2
    assert run_cece(command, x, y, "--from", "logits", "-q").code == 0


def test_neg_inf_in_a_csv_file(write, parser):
    x = write("x.csv", "1,-inf,3\n2,4,-inf\n")
    run = run_cece("categorical", x, "[0,1]", "-q")
    want = reference.categorical([[1, -math.inf, 3], [2, 4, -math.inf]], [0, 1])
    assert run.code == 0 and float(run.out) == pytest.approx(want, rel=1e-12)


# -- float16's own eps -----------------------------------------------------------------------------


def test_float16_probabilities_clip_at_float16_eps():
    p = np.array([[0.0, 1.0]], np.float16)
    assert cece.categorical_cross_entropy(p, np.array([0]), kind="probs") == pytest.approx(
        -math.log(2.0**-10), rel=1e-12
    )
    assert cece.binary_cross_entropy(p[:, :1], np.array([[1.0]])) == pytest.approx(
        -math.log(2.0**-10), rel=1e-12
    )
    assert default_eps(np.dtype(np.float16)) == 2.0**-10
    assert default_eps(np.dtype(np.float32)) == 2.0**-23


def test_inspect_says_what_neg_inf_logits_are(write):
    x = np.zeros((3, 4))
    x[1, 2] = -np.inf
    doc = json.loads(run_cece("inspect", write("x.npy", x), "--format", "json").out)
    notes = " ".join(doc.get("notes", []))
    assert (
        "1 -inf value(s): as logits, classes of probability 0 (categorical, binary, entropy, kl)"
        in notes
    )


def test_neg_inf_in_json_lines(write):
    path = write(
        "m.jsonl",
        '{"logits": [1.0, -Infinity, 3.0], "label": 0}\n{"logits": [2.0, 4.0, 6.0], "label": 2}\n',
    )
    run = run_cece("categorical", path, "--pred-cols", "logits", "--label-col", "label", "-q")
    want = reference.categorical([[1, -math.inf, 3], [2, 4, 6]], [0, 2])
    assert run.code == 0 and float(run.out) == pytest.approx(want, rel=1e-12)


@pytest.mark.skipif(not kernels.AVAILABLE, reason="the compiled kernels are not built here")
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("c", [2, 7, 64, 130])
def test_the_kernels_and_their_numpy_twin_agree_on_neg_inf(dtype, c):
    from cece._native import _numpy

    rng = np.random.default_rng(c)
    n = 301
    x = (rng.standard_normal((n, c)) * 5).astype(dtype)
    x[rng.random((n, c)) < 0.3] = -np.inf
    x[3] = -np.inf  # a row of -inf only: counted, as NaN and +inf are
    x[5, 0] = np.inf
    y = rng.integers(0, c, n)
    outs = [(np.empty(n), np.empty(n, np.uint8), np.empty(n, np.int64)) for _ in range(2)]
    codes = [m.softmax_index(x, c, y, *o) for m, o in zip((_numpy, kernels._fast), outs)]
    xf = x.astype(np.float64)
    bad_rows = (xf == np.inf).any(axis=1) | np.isneginf(xf).all(axis=1)
    assert codes == [bad_rows.sum()] * 2 and bad_rows[[3, 5]].all()
    fast, slow = outs[1], outs[0]
    assert np.array_equal(np.isinf(fast[0]), np.isinf(slow[0]))
    assert np.array_equal(np.isnan(fast[0]), np.isnan(slow[0]))
    assert np.isinf(slow[0]).sum() > 0 and np.isnan(slow[0][[3, 5]]).all()
    fin = np.isfinite(slow[0])
    np.testing.assert_allclose(
        fast[0][fin], slow[0][fin], rtol=1e-14 if dtype == "float64" else 2e-7
    )
    assert np.array_equal(fast[1], slow[1]) and np.array_equal(fast[2], slow[2])
    # binary: σ(-inf) = 0; only NaN and +inf count
    t = (rng.random((n, c)) < 0.5).astype(np.float64)
    w = rng.uniform(0.5, 2, c)
    res = []
    for m in (_numpy, kernels._fast):
        loss, right = np.empty(n), np.empty(n)
        res.append((m.bce_logits(x, c, t, w, 0.0, loss, right), loss, right))
    assert res[0][0] == res[1][0] == (1, 0)
    keep = np.arange(n) != 5  # the +inf row: counted, its value undefined
    a, b = res[0][1][keep], res[1][1][keep]
    assert np.array_equal(np.isinf(a), np.isinf(b)) and np.isinf(a).any()
    ok = np.isfinite(a)
    # float32 logits: the compiled kernel's division-free log1p(e^-|x|) (~5e-9 relative)
    np.testing.assert_allclose(b[ok], a[ok], rtol=1e-8 if dtype == "float32" else 1e-13)
    assert np.array_equal(res[0][2][keep], res[1][2][keep])


@pytest.mark.parametrize(
    "args, want",
    [
        (["entropy", "[[0,1,2]]"], 0.6365141682948128),  # scipy.stats.entropy([0, 1, 2])
        (["kl", "[[0,1,2]]", "[[3,1,1]]"], 0.9729237441392875),  # entropy([0,1,2], [3,1,1])
        (["categorical", "[[1,1,2],[3,1,0]]", "[2,0]"], -math.log(0.5) / 2 - math.log(0.75) / 2),
    ],
)
def test_under_auto_renormalize_reads_rows_of_values_at_least_0_as_counts(args, want):
    run = run_cece(*args, "--renormalize", "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["loss"] == pytest.approx(want, rel=1e-12)
    assert doc["input"]["kind"] == "probs" and doc["input"]["kind_detected"] is True
    assert "all values are ≥ 0, and --renormalize divides each row by its sum" in run.err
