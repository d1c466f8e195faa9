"""The library's ``temperature=`` keyword (``cece.categorical_cross_entropy``,
``cece.entropy``, ``cece.kl_divergence``): logits divided by T before the softmax.

Against the values the peers computed on ``logits / T`` (tests/data/temperature_topk/
oracles.json: PyTorch ``cross_entropy(logits / T, y)``, SciPy ``entropy`` / ``rel_entr`` of
``softmax(x / T)``; versions in the file) and the HF-style corpus (tests/data/lm_refs), with
the CLI's rule and wording (``cece.losses.temperature.check_temperature``: the option named
``temperature`` instead of ``--temperature``)."""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cece
from cece.errors import InputError, OptionError

from conftest import run_cece

DATA = pathlib.Path(__file__).parent / "data"
ORACLES = json.loads((DATA / "temperature_topk" / "oracles.json").read_text())
LM = json.loads((DATA / "lm_refs" / "references.json").read_text())["cases"]


@pytest.mark.parametrize("case", ORACLES["categorical"], ids=lambda c: c["name"])
def test_categorical_matches_pytorch(case):
    x = np.asarray(case["logits"])  # bfloat16 / float16 cases: their values, exactly
    y = np.asarray(case["labels"])
    kw = {"ignore_index": -100, "temperature": case["temperature"]}
    kw["label_smoothing"] = case["label_smoothing"]
    got = cece.categorical_cross_entropy(x, y, **kw)
    np.testing.assert_allclose(got, case["loss"], rtol=1e-10)
    if case["per_token"] is not None:
        rows = cece.categorical_cross_entropy(x, y, reduction="none", **kw)
        kept = y != -100
        np.testing.assert_allclose(
            rows[kept], np.asarray(case["per_token"])[kept.reshape(-1)], rtol=1e-10
        )


@pytest.mark.parametrize("case", ORACLES["measures"], ids=lambda c: c["name"])
def test_entropy_and_kl_match_scipy(case):
    p, q, t = np.asarray(case["p"]), np.asarray(case["q"]), case["temperature"]
    h = cece.entropy(p, kind="logits", temperature=t)
    np.testing.assert_allclose(h, case["entropy"], rtol=1e-12, atol=1e-14)
    kl = cece.kl_divergence(p, q, kind_p="logits", kind_q="logits", temperature=t)
    np.testing.assert_allclose(kl, case["kl"], rtol=1e-9)


@pytest.mark.parametrize("name", sorted(n for n in LM if "temperature" in n and "f32" in n))
def test_hf_corpus(name):
    """HF's loss of logits / T, the shift done in numpy: logits[:, :-1] against labels[:, 1:]."""
    c = LM[name]
    t = float(c["args"][c["args"].index("--temperature") + 1])
    x = np.load(DATA / "lm_refs" / "logits_f32.npy")
    y = np.load(DATA / "lm_refs" / "labels.npy")
    kw = {"ignore_index": -100, "temperature": t}
    if "--label-smoothing" in c["args"]:
        kw["label_smoothing"] = float(c["args"][c["args"].index("--label-smoothing") + 1])
    got = cece.categorical_cross_entropy(x[:, :-1], y[:, 1:], **kw)
    assert got == pytest.approx(c["reference64"], rel=1e-12)
    assert got == pytest.approx(c["reference"], rel=1e-6)  # HF's float32 value


def test_one_and_none_change_nothing():
    x = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    y = np.array([0, 2])
    plain = cece.categorical_cross_entropy(x, y, reduction="none")
    assert np.array_equal(
        cece.categorical_cross_entropy(x, y, temperature=1, reduction="none"), plain
    )
    assert np.array_equal(
        cece.entropy(x, kind="logits", temperature=1.0), cece.entropy(x, kind="logits")
    )


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float64, (4, 5), elements=st.floats(-30, 30)),
    st.floats(0.05, 50),
    st.integers(0, 4),
)
def test_same_as_dividing_first(x, t, label):
    """T is the division: the same numbers as passing x / T yourself (bit for bit: one
    float64 division either way)."""
    y = np.full(4, label)
    a = cece.categorical_cross_entropy(x, y, temperature=t, reduction="none")
    b = cece.categorical_cross_entropy(x / t, y, reduction="none")
    assert np.array_equal(a, b)
    q = x[::-1]
    kl = cece.kl_divergence(x, q, kind_p="logits", kind_q="logits", temperature=t)
    assert np.array_equal(kl, cece.kl_divergence(x / t, q / t, kind_p="logits", kind_q="logits"))
    assert np.array_equal(
        cece.entropy(x, kind="logits", temperature=t), cece.entropy(x / t, kind="logits")
    )


X = np.array([[1.0, 2.0, 3.0]])
P = np.array([[0.2, 0.3, 0.5]])


@pytest.mark.parametrize(
    "value, message",
    [
        (0, "temperature must be a finite number > 0; got 0"),
        (-2.0, "temperature must be a finite number > 0; got -2"),
        (math.nan, "temperature must be a finite number > 0; got nan"),
        (math.inf, "temperature must be a finite number > 0; got inf"),
        ("2", "temperature must be a finite number > 0; got '2'"),
        (True, "temperature must be a finite number > 0; got True"),
    ],
)
def test_bad_values(value, message):
    for call in (
        lambda: cece.categorical_cross_entropy(X, np.array([0]), temperature=value),
        lambda: cece.entropy(X, kind="logits", temperature=value),
        lambda: cece.kl_divergence(X, X, kind_p="logits", kind_q="logits", temperature=value),
    ):
        with pytest.raises(OptionError) as err:
            call()
        assert str(err.value) == message
        assert isinstance(err.value, ValueError)


def test_same_wording_as_the_cli():
    r = run_cece("categorical", "[[1,2,3]]", "[0]", "--temperature", "0")
    assert r.code == 2
    assert r.err_lines[-1] == "cece: error: --temperature must be a finite number > 0; got 0"
    with pytest.raises(OptionError, match=r"^temperature must be a finite number > 0; got 0$"):
        cece.categorical_cross_entropy(X, np.array([0]), temperature=0)


def test_logits_only():
    with pytest.raises(OptionError) as err:
        cece.categorical_cross_entropy(P, np.array([0]), kind="probs", temperature=2)
    assert (
        str(err.value) == "temperature divides logits before the softmax; preds holds probabilities"
    )
    assert err.value.hint == "pass logits, or log p with kind='logits'"
    with pytest.raises(OptionError) as err:
        cece.entropy(np.log(P), kind="log-probs", temperature=2)
    assert (
        str(err.value) == "temperature divides logits before the softmax; p holds log-probabilities"
    )
    assert (
        err.value.hint
        == "log-probabilities are logits up to a constant: kind='logits' reads them so"
    )
    with pytest.raises(OptionError) as err:
        cece.kl_divergence(X, P, kind_p="logits", temperature=2)
    assert str(err.value) == "temperature divides logits before the softmax; q holds probabilities"
    assert err.value.hint == "pass logits, or log p with kind_q='logits'"


def test_overflow_is_an_error_not_a_number(recwarn):
    with pytest.raises(InputError) as err:
        cece.categorical_cross_entropy(np.array([[1e308, 0.0]]), np.array([0]), temperature=1e-10)
    assert str(err.value) == "preds: row 0: logits / temperature 1e-10 overflow float64"
    assert err.value.hint == "use a larger temperature"
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_masked_logits_stay_masked():
    x = np.array([[2.0, -np.inf, 0.0]])
    got = cece.categorical_cross_entropy(x, np.array([0]), temperature=0.5)
    assert got == pytest.approx(
        cece.categorical_cross_entropy(np.array([[4.0, 0.0]]), np.array([0]))
    )
