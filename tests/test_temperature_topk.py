"""``--temperature`` (categorical, entropy, kl) and ``--top-k`` (categorical), issue 13 item 5,
against values the peers computed (tests/data/temperature_topk/oracles.json, written by
make_oracles.py beside it: PyTorch's ``cross_entropy(logits / T)``, scipy's ``entropy`` and
``rel_entr`` of ``softmax(x / T)``, scikit-learn's ``top_k_accuracy_score``), against naive
references written from the definitions, and with Hypothesis properties.
"""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cece.errors import InputError, OptionError
from cece.losses import temperature, topk

from conftest import run_cece

ORACLES = json.loads(
    (pathlib.Path(__file__).parent / "data" / "temperature_topk" / "oracles.json").read_text()
)
CATEGORICAL = {c["name"]: c for c in ORACLES["categorical"]}
MEASURES = {c["name"]: c for c in ORACLES["measures"]}
TOP_K = {c["name"]: c for c in ORACLES["top_k"]}


def close(got, want, rtol=1e-12, atol=0.0) -> None:
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol, atol)


def doc(*args: str) -> dict:
    run = run_cece(*args, "-f", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


def save(tmp_path, name: str, array: np.ndarray) -> str:
    path = tmp_path / name
    np.save(path, array)
    return str(path)


@pytest.mark.parametrize("name", sorted(CATEGORICAL))
def test_categorical_temperature_matches_pytorch(name, tmp_path, kernel_path):
    case = CATEGORICAL[name]
    logits = np.asarray(case["logits"])
    if case["dtype"] == "bfloat16":  # a uint16 bit dump: the top half of the float32 bits
        x = save(
            tmp_path,
            "logits.npy",
            (logits.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16),
        )
    else:
        x = save(tmp_path, "logits.npy", logits.astype(case["dtype"]))
    y = save(tmp_path, "labels.npy", np.asarray(case["labels"]))
    args = ["categorical", x, y, "--ignore-index", "-100", "--temperature", case["temperature"]]
    if case["dtype"] == "bfloat16":
        args += ["--dtype", "bfloat16"]
    if case["label_smoothing"]:
        args += ["--label-smoothing", case["label_smoothing"]]
    d = doc(*map(str, args))
    # the compiled kernel divides 16/32-bit logits by T inside its float32-lane pass: the
    # kernels' contract (1.1e-7, tests/test_fast.py); the numpy path divides in float64
    rtol = 1.1e-7 if kernel_path == "compiled" and case["dtype"] != "float64" else 1e-10
    close(d["loss"], case["loss"], rtol=rtol)
    assert d["options"]["temperature"] == case["temperature"]
    if not case["label_smoothing"]:  # the fused kernel still runs
        assert d["environment"]["kernels"] == kernel_path
    if case["per_token"] is not None:
        run = run_cece(*map(str, args), "-r", "none", "-f", "jsonl")
        rows = [json.loads(line) for line in run.out.splitlines()]
        want = np.asarray(case["per_token"])
        kept = np.asarray(case["labels"]).reshape(-1) != -100
        close([r["loss"] for r in rows if not r.get("ignored")], want[kept], rtol=rtol)


def test_temperature_one_changes_nothing(tmp_path):
    case = CATEGORICAL["categorical-0-float32-T2.0"]
    x = save(tmp_path, "logits.npy", np.asarray(case["logits"], np.float32))
    y = save(tmp_path, "labels.npy", np.asarray(case["labels"]))
    plain = doc("categorical", x, y, "--ignore-index", "-100")
    one = doc("categorical", x, y, "--ignore-index", "-100", "--temperature", "1")
    assert one["loss"] == plain["loss"]
    assert plain["options"]["temperature"] is None and "top_k_accuracy" not in plain["stats"]


@pytest.mark.parametrize("name", sorted(MEASURES))
def test_entropy_and_kl_temperature_match_scipy(name, tmp_path, kernel_path):
    case = MEASURES[name]
    p, q = (
        save(tmp_path, "p.npy", np.asarray(case["p"])),
        save(tmp_path, "q.npy", np.asarray(case["q"])),
    )
    t = str(case["temperature"])
    h = doc("entropy", p, "--from", "logits", "--temperature", t)
    close(h["loss"], case["entropy_mean"])
    assert h["options"]["temperature"] == case["temperature"]
    rows = run_cece("entropy", p, "--from", "logits", "--temperature", t, "-r", "none", "-q")
    # scipy goes through the probabilities: ~1e-15 absolute on rows of entropy ~1e-7
    close([float(v) for v in rows.out.split()], case["entropy"], rtol=1e-12, atol=1e-14)
    kl = doc("kl", p, q, "--from", "logits", "--temperature", t)
    close(kl["loss"], case["kl_mean"], rtol=1e-10)
    assert kl["options"]["temperature"] == case["temperature"]
    rows = run_cece("kl", p, q, "--from", "logits", "--temperature", t, "-r", "none", "-q")
    close([float(v) for v in rows.out.split()], case["kl"], rtol=1e-9)


@pytest.mark.parametrize("name", sorted(TOP_K))
def test_top_k_accuracy_matches_scikit_learn(name, tmp_path, kernel_path):
    case = TOP_K[name]
    x = save(tmp_path, "logits.npy", np.asarray(case["logits"]))
    y = save(tmp_path, "labels.npy", np.asarray(case["labels"]))
    d = doc("categorical", x, y, "--ignore-index", "-100", "--top-k", str(case["k"]))
    assert d["stats"]["top_k_accuracy"] == pytest.approx(case["top_k_accuracy"], rel=1e-15)
    assert d["options"]["top_k"] == case["k"]
    # a temperature does not move the ranking
    t = doc(
        "categorical",
        x,
        y,
        "--ignore-index",
        "-100",
        "--top-k",
        str(case["k"]),
        "--temperature",
        "0.3",
    )
    assert t["stats"]["top_k_accuracy"] == d["stats"]["top_k_accuracy"]


def test_top_k_in_the_table_and_the_schema(tmp_path):
    from importlib import resources

    import jsonschema

    case = TOP_K["topk-1-k2-ties"]
    x = save(tmp_path, "logits.npy", np.asarray(case["logits"]))
    y = save(tmp_path, "labels.npy", np.asarray(case["labels"]))
    run = run_cece("categorical", x, y, "--ignore-index", "-100", "--top-k", "2")
    assert run.code == 0, run.err
    line = next(li for li in run.out.splitlines() if "top-2 accuracy" in li)
    assert float(line.split()[-1]) == pytest.approx(case["top_k_accuracy"], abs=5e-7)
    schema = json.loads(resources.files("cece.report").joinpath("result.schema.json").read_text())
    d = doc("categorical", x, y, "--ignore-index", "-100", "--top-k", "2", "--temperature", "2")
    jsonschema.validate(d, schema)


def naive_top_k(scores: np.ndarray, target: np.ndarray, k: int) -> np.ndarray:
    """scikit-learn's rule, written out: a stable ascending sort, reversed, first k."""
    order = np.argsort(scores, axis=1, kind="mergesort")[:, ::-1][:, :k]
    return np.array([target[i] in order[i] for i in range(len(target))])


@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 12), st.integers(2, 9)),
        elements=st.integers(-3, 3).map(float),
    ),
    st.integers(1, 10),
    st.data(),
)
def test_top_k_breaks_ties_as_scikit_learn(scores, k, data):
    n, c = scores.shape
    target = np.asarray(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    got = topk.top_k_correct(scores, target, k)
    np.testing.assert_array_equal(got, naive_top_k(scores, target, k))
    if k > 1:  # more room never loses a hit
        assert (topk.top_k_correct(scores, target, k - 1) <= got).all()


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64, st.tuples(st.integers(1, 8), st.integers(2, 7)), elements=st.floats(-30, 30)
    ),
    st.floats(0.05, 20),
)
def test_softened_cross_entropy_is_the_formula(x, t):
    """−log softmax(x / T)[y], term by term from the definition (tests/reference.py's way)."""
    from cece import categorical_cross_entropy

    y = np.arange(len(x)) % x.shape[1]
    got = categorical_cross_entropy(temperature.soften(x, t), y, kind="logits", reduction="none")
    z = x / t
    want = [
        math.log(sum(math.exp(v - max(r)) for v in r)) + max(r) - r[j]
        for r, j in zip(z.tolist(), y)
    ]
    close(got, want, rtol=1e-9, atol=1e-14)  # the naive log-sum-exp cancels near 0


def test_masked_logits_stay_masked_under_a_temperature():
    x = np.array([[0.0, -np.inf, 2.0]])
    out = temperature.soften(x, 0.5)
    assert out[0, 1] == -np.inf and out[0, 2] == 4.0


@pytest.mark.parametrize(
    "extra, line",
    [
        (["--temperature", "0"], "cece: error: --temperature must be a finite number > 0; got 0"),
        (["--temperature", "-2"], "cece: error: --temperature must be a finite number > 0; got -2"),
        (
            ["--temperature", "nan"],
            "cece: error: --temperature must be a finite number > 0; got nan",
        ),
        (
            ["--temperature", "inf"],
            "cece: error: --temperature must be a finite number > 0; got inf",
        ),
        (["--top-k", "0"], "cece: error: --top-k must be an integer ≥ 1; got 0"),
        (["--top-k", "-1"], "cece: error: --top-k must be an integer ≥ 1; got -1"),
    ],
)
def test_option_values_refused(extra, line):
    run = run_cece("categorical", "[[1,2,3],[2,4,6]]", "[0,2]", *extra)
    assert run.error_line() == line


@pytest.mark.parametrize("command", ["entropy", "kl"])
def test_measure_temperature_refused_when_not_positive(command):
    args = ["[[1,2,3]]"] * (2 if command == "kl" else 1)
    run = run_cece(command, *args, "--temperature", "0")
    assert run.error_line() == "cece: error: --temperature must be a finite number > 0; got 0"


def test_temperature_refuses_probabilities():
    p = "[[0.2,0.8],[0.5,0.5]]"
    run = run_cece("categorical", p, "[0,1]", "--temperature", "2")
    assert run.error_line() == (
        f"cece: error: --temperature divides logits before the softmax; literal '{p}' "
        "holds probabilities"
    )
    assert run.err_lines[-1] == "  hint: pass logits, or log p with --from logits"
    run = run_cece("entropy", "[[-0.2,-1.8]]", "--from", "log-probs", "--temperature", "2")
    assert run.error_line() == (
        "cece: error: --temperature divides logits before the softmax; literal "
        "'[[-0.2,-1.8]]' holds log-probabilities"
    )
    run = run_cece(
        "kl",
        "[[1.0,2.0]]",
        "[[0.2,0.8]]",
        "--q-from",
        "probs",
        "--from",
        "logits",
        "--temperature",
        "2",
    )
    assert run.error_line().endswith("holds probabilities")


def test_temperature_that_overflows_is_an_error(tmp_path):
    x = save(tmp_path, "x.npy", np.array([[1.0, 2.0], [1e300, 0.0]]))
    run = run_cece("categorical", x, "[0,1]", "--from", "logits", "--temperature", "1e-10")
    assert (
        run.error_line()
        == f"cece: error: {x}: row 1: logits / --temperature 1e-10 overflow float64"
    )
    with pytest.raises(InputError):
        temperature.soften(np.array([[1e300, 0.0]]), 1e-300)


def test_library_rules_raise_value_errors():
    for bad in (0, -1.0, math.nan, math.inf, "2", True):
        with pytest.raises(OptionError):
            temperature.check_temperature(bad)
    for bad in (0, -3, 1.5, True):
        with pytest.raises(OptionError):
            topk.check_top_k(bad)
    assert topk.check_top_k(3) == 3 and temperature.check_temperature(2) == 2.0


def test_top_k_of_all_classes_warns_as_scikit_learn():
    run = run_cece("categorical", "[[1,2,3],[2,4,6]]", "[0,2]", "--top-k", "3", "-f", "json")
    assert run.code == 0
    assert json.loads(run.out)["stats"]["top_k_accuracy"] == 1.0
    assert "cece: warning: --top-k 3 with 3 classes: every sample is in the top k" in run.err


def test_top_k_excludes_ignored_samples():
    run = run_cece(
        "categorical",
        "[[3,2,1],[1,2,3],[1,2,3]]",
        "[1,-100,0]",
        "--ignore-index",
        "-100",
        "--top-k",
        "2",
        "-f",
        "json",
    )
    stats = json.loads(run.out)["stats"]
    assert stats["count"] == 2 and stats["top_k_accuracy"] == 0.5


def test_kl_of_a_file_with_itself_under_a_temperature_is_zero(tmp_path, kernel_path):
    """P and Q are softened into buffers of their own (the engine reuses them per block)."""
    x = save(tmp_path, "x.npy", np.random.default_rng(3).standard_normal((70000, 5)))
    run = run_cece("kl", x, x, "--from", "logits", "--temperature", "0.5", "-q")
    assert run.code == 0 and float(run.out) == 0.0


def test_merged_shards_keep_top_k_accuracy_and_refuse_other_options(tmp_path):
    case = TOP_K["topk-2-k3-ties"]
    x, y = np.asarray(case["logits"]), np.asarray(case["labels"])
    half = len(y) // 2
    paths = []
    for i, rows in enumerate((slice(0, half), slice(half, None))):
        xs, ys = save(tmp_path, f"x{i}.npy", x[rows]), save(tmp_path, f"y{i}.npy", y[rows])
        out = tmp_path / f"s{i}.json"
        args = ["categorical", xs, ys, "--ignore-index", "-100", "--top-k", "3"]
        assert run_cece(*args, "-f", "json", "-o", str(out)).code == 0
        paths.append(str(out))
    merged = doc("merge", *paths)
    assert merged["stats"]["top_k_accuracy"] == pytest.approx(case["top_k_accuracy"], rel=1e-15)
    other = tmp_path / "k2.json"
    args = ["categorical", save(tmp_path, "xa.npy", x), save(tmp_path, "ya.npy", y)]
    run_cece(*args, "--ignore-index", "-100", "--top-k", "2", "-f", "json", "-o", str(other))
    assert "top_k" in run_cece("merge", paths[0], str(other)).error_line()


def test_the_table_heading_states_the_temperature():
    run = run_cece("categorical", "[[1,2,3],[2,4,6]]", "[0,2]", "--temperature", "2")
    assert "· logits (detected) · index targets · temperature 2" in run.out
