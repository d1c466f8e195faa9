"""`cece entropy` and `cece kl`: SciPy's values (scipy.stats.entropy, scipy.special.rel_entr),
the golden cases f3/f4, a naive loop, properties, and the CLI around them."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from cece.losses.divergence import entropy, kl_divergence

import golden as G
import reference
from conftest import run_cece

BASES = {"e": None, "2": 2, "10": 10}


@st.composite
def distributions(draw, rows=None, cols=None, zeros=True):
    """Probability rows (float64) with exact zeros, as a float64 array summing to 1 per row."""
    n = rows or draw(st.integers(1, 6))
    c = cols or draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1e-12, 1e-3, 1.0, 1e3]))
    x = rng.random((n, c)) * rng.choice([scale, 1.0], size=(n, c))
    if zeros:
        x[rng.random((n, c)) < draw(st.sampled_from([0.0, 0.3, 0.6]))] = 0.0
        empty = x.sum(axis=1) == 0
        x[empty, rng.integers(0, c, size=int(empty.sum()))] = 1.0
    return x / x.sum(axis=1, keepdims=True)


# -- golden (tests/data/golden.md §2: f3, f4) ----------------------------------------------------


def test_golden_f4_entropy_nats_and_bits():
    t = np.array([[0.2, 0.3, 0.5]])
    assert entropy(t)[0] == pytest.approx(G.F4_H_NATS, rel=1e-12)
    run = run_cece("entropy", "[[0.2, 0.3, 0.5]]", "-b", "2", "-q")
    assert float(run.out) == pytest.approx(G.F4_H_BITS, rel=1e-12)


def test_golden_f3_kl_against_softmax_of_logits():
    got = kl_divergence(np.array([[0.2, 0.3, 0.5]]), np.array([[1.0, 2, 3]]), kind_q="logits")
    assert got[0] == pytest.approx(G.F3_KL, rel=1e-12)
    run = run_cece("kl", "[[0.2, 0.3, 0.5]]", "[[1, 2, 3]]", "--q-from", "logits", "-q")
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(G.F3_KL, rel=1e-12)


# -- SciPy, on random distributions with zeros --------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(distributions(), st.sampled_from(list(BASES)))
def test_entropy_equals_scipy(p, base):
    want = scipy.stats.entropy(p, base=BASES[base], axis=1)
    got = entropy(p) / (math.log(float(base)) if base != "e" else 1.0)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_kl_equals_rel_entr_sums(data):
    p = data.draw(distributions())
    q = data.draw(distributions(rows=len(p), cols=p.shape[1]))
    want = scipy.special.rel_entr(p, q).sum(axis=1)
    got = kl_divergence(p, q)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    # and scipy.stats.entropy(p, q), which divides each row by its sum: --renormalize
    np.testing.assert_allclose(
        kl_divergence(p, q, renormalize=True),
        scipy.stats.entropy(p, q, axis=1),
        rtol=1e-12,
        atol=1e-15,
    )


@settings(max_examples=40, deadline=None)
@given(data=st.data(), base=st.sampled_from(list(BASES)))
def test_cli_matches_scipy_through_files(tmp_path_factory, data, base):
    """The whole path: files (NPY and CSV), the engine, the unit, -r none -q."""
    p = data.draw(distributions())
    q = data.draw(distributions(rows=len(p), cols=p.shape[1]))
    d = tmp_path_factory.mktemp("kl")
    np.save(d / "p.npy", p)
    np.savetxt(d / "q.csv", q, delimiter=",", fmt="%.17g")
    # np.savetxt writes no header: said, since a first row 0,1 reads as pandas' (refused)
    args = ("--from", "probs", "-b", base, "-r", "none", "-q", "--no-header")
    run = run_cece("kl", d / "p.npy", d / "q.csv", *args)
    assert run.code == 0, run.err
    got = np.array([float(v) for v in run.out.split()])
    scale = math.log(float(base)) if base != "e" else 1.0
    np.testing.assert_allclose(
        got, scipy.special.rel_entr(p, q).sum(axis=1) / scale, rtol=1e-12, atol=1e-15
    )
    run = run_cece("entropy", d / "p.npy", "--from", "probs", "-b", base, "-r", "none", "-q")
    got = np.array([float(v) for v in run.out.split()])
    np.testing.assert_allclose(
        got, scipy.stats.entropy(p, base=BASES[base], axis=1), rtol=1e-12, atol=1e-15
    )


def test_float32_rows_match_scipy_on_the_same_values(write):
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(7), size=50).astype(np.float32)
    run = run_cece("entropy", write("p.npy", p), "-r", "none", "-q")
    got = np.array([float(v) for v in run.out.split()])
    np.testing.assert_allclose(
        got, scipy.stats.entropy(p.astype(np.float64), axis=1) * 1.0, rtol=1e-6
    )  # scipy normalizes the float32 row sums (≈1 ± 1e-7)
    np.testing.assert_allclose(
        got, scipy.special.entr(p.astype(np.float64)).sum(axis=1), rtol=1e-12
    )


# -- a naive loop, and properties ---------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_naive_reference(data):
    p = data.draw(distributions())
    q = data.draw(distributions(rows=len(p), cols=p.shape[1]))
    for row_p, row_q, h, d in zip(p, q, entropy(p), kl_divergence(p, q)):
        assert h == pytest.approx(reference.entropy(row_p.tolist()), rel=1e-12, abs=1e-15)
        want = reference.kl(row_p.tolist(), row_q.tolist())
        assert d == want or d == pytest.approx(want, rel=1e-12, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_cross_entropy_is_entropy_plus_kl_and_kl_is_not_negative(data):
    p = data.draw(distributions())
    x = data.draw(st.integers(0, 2**32 - 1))
    logits = np.random.default_rng(x).normal(scale=3, size=p.shape)
    q = scipy.special.softmax(logits, axis=1)
    kl = kl_divergence(p, logits, kind_q="logits")
    assert (kl >= -1e-15).all()
    cross = -(p * scipy.special.log_softmax(logits, axis=1)).sum(axis=1)
    np.testing.assert_allclose(entropy(p) + kl, cross, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(kl, scipy.special.rel_entr(p, q).sum(axis=1), rtol=1e-9, atol=1e-14)
    assert np.allclose(kl_divergence(p, p), 0.0, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(-1e4, 1e4))
def test_logits_shift_invariance(seed, shift):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, 4, 5)) * 4
    base = kl_divergence(a, b, kind_p="logits", kind_q="logits")
    moved = kl_divergence(a + shift, b - shift, kind_p="logits", kind_q="logits")
    np.testing.assert_allclose(moved, base, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(
        entropy(a + shift, kind="logits"), entropy(a, kind="logits"), rtol=1e-8, atol=1e-9
    )


def test_zero_conventions():
    p = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    q = np.array([[0.5, 0.0, 0.5], [0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])
    assert entropy(p).tolist() == [math.log(2), 0.0, 0.0]
    got = kl_divergence(p, q)
    assert got[0] == math.inf  # q = 0 where p = 0.5
    assert got[1] == pytest.approx(math.log(2), rel=1e-15)  # p = 0 where q = 0.5: 0·log 0 = 0
    assert got[2] == 0.0


# -- the CLI ------------------------------------------------------------------------------------


def test_infinite_kl_is_reported_with_its_rows():
    run = run_cece(
        "kl", "[[0.5,0.5],[1,0],[0.5,0.5]]", "[[1,0],[0.5,0.5],[0,1]]", "-r", "none", "-q"
    )
    assert run.code == 0
    assert run.out.split() == ["inf", repr(math.log(2)), "inf"]
    assert (
        "cece: warning: KL is infinite in 2 row(s) (first: row 0), where Q (literal "
        "'[[1,0],[0.5,0.5],[0,1]]') gives probability 0 to a class P does not"
    ) in run.err


def test_json_document(write):
    p = write("p.csv", "a,b,c\n0.2,0.3,0.5\n0.1,0.1,0.8\n")
    q = write("q.csv", "1,2,3\n2,4,6\n")
    doc = json.loads(run_cece("kl", p, q, "--q-from", "logits", "-f", "json", "--samples").out)
    assert doc["command"] == "kl"
    assert doc["input"]["kind"] == "probs" and doc["input"]["kind_detected"] is True
    assert doc["input"]["q_kind"] == "logits" and doc["input"]["q_kind_detected"] is False
    assert doc["input"]["classes"] == ["a", "b", "c"]
    assert doc["options"]["q_from"] == "logits"
    assert "accuracy" not in doc["stats"] and "perplexity" not in doc["stats"]
    s0 = doc["samples"][0]
    assert s0["loss"] == pytest.approx(G.F3_KL, rel=1e-12)
    assert s0["entropy"] == pytest.approx(G.F4_H_NATS, rel=1e-12)
    assert s0["cross_entropy"] == pytest.approx(G.F1_CE, rel=1e-12)
    # the mean KL of the two rows (mpmath, as in test_kl_gate_and_merge), not just loss == mean:
    # both come from the same reduction
    assert doc["loss"] == pytest.approx(0.09092635961476468, rel=1e-12)
    assert doc["stats"]["mean"] == pytest.approx(0.09092635961476468, rel=1e-12)


def test_entropy_perplexity_is_base_to_the_mean():
    doc = json.loads(run_cece("entropy", "[[0.25,0.25,0.25,0.25]]", "-b", "2", "-f", "json").out)
    assert doc["loss"] == pytest.approx(2.0, rel=1e-15)
    assert doc["stats"]["perplexity"] == pytest.approx(4.0, rel=1e-12)  # 2 bits: 4 choices


def test_rows_that_do_not_sum_to_one_warn_and_renormalize(write):
    p = write("p.csv", "0.2,0.2\n0.5,0.5\n")
    run = run_cece("entropy", p, "--from", "probs", "-q")
    assert run.code == 0
    assert "1 row(s) do not sum to 1 (row 0 sums to 0.4); used as given" in run.err
    assert float(run.out) == pytest.approx((-0.4 * math.log(0.2) + math.log(2)) / 2, rel=1e-12)
    run = run_cece("entropy", p, "--from", "probs", "--renormalize", "-q")
    assert float(run.out) == pytest.approx(math.log(2), rel=1e-12)
    # asked for, so a note (hidden by -q), not a warning: --strict takes counts too
    run = run_cece("entropy", p, "--from", "probs", "--renormalize", "--strict")
    assert run.code == 0
    assert "cece: note: " in run.err and "renormalized (--renormalize)" in run.err


def test_shape_mismatch_is_an_error():
    line = run_cece("kl", "[[0.5,0.5]]", "[[0.2,0.3,0.5]]").error_line()
    assert "does not match P's" in line and "literal '[[0.2,0.3,0.5]]'" in line


def _csv(header: list[str], rows: np.ndarray, ids=None) -> str:
    """A CSV of float rows (shortest round-trip digits), after an integer id column if given."""
    lines = [",".join(repr(float(v)) for v in r) for r in rows]
    if ids is not None:
        lines = [f"{int(i)},{line}" for i, line in zip(ids, lines)]
    return ",".join(header) + "\n" + "".join(line + "\n" for line in lines)


def test_kl_refuses_files_naming_their_columns_differently_and_pred_cols_decides(write):
    """The same logits written with the columns in another order: paired by position, KL was
    0.92 where it is 0. Refused (naming --pred-cols); --pred-cols takes both by name."""
    x = np.random.default_rng(3).normal(size=(10, 3)).tolist()
    p = write("teacher.csv", _csv(["cat", "dog", "pig"], np.array(x)))
    q = write("student.csv", _csv(["pig", "cat", "dog"], np.array(x)[:, [2, 0, 1]]))
    run = run_cece("kl", p, q, "--from", "logits", "-q")
    assert run.code == 2 and run.out == ""
    line = run.error_line()
    assert "student.csv: names its columns pig,cat,dog, P (" in line
    assert "teacher.csv) cat,dog,pig" in line
    assert "--pred-cols" in run.err
    named = run_cece("kl", p, q, "--from", "logits", "--pred-cols", "cat,dog,pig", "-q")
    assert named.code == 0 and float(named.out) == 0.0
    other = write("other.csv", _csv(["a", "b", "c"], np.array(x)))
    assert run_cece("kl", p, other, "--from", "logits", "-q").code == 2
    positions = run_cece("kl", p, other, "--from", "logits", "--pred-cols", "0:3", "-q")
    assert positions.code == 0 and float(positions.out) == 0.0  # chosen: as they stand
    default = write("default.csv", _csv(["0", "1", "2"], np.array(x)))  # pandas' 0..C-1
    run = run_cece("kl", p, default, "--from", "logits", "-f", "json")
    assert run.code == 0 and "paired with P's" in run.err and "by position" in run.err


def test_kl_refuses_rows_whose_ids_list_the_samples_in_another_order(write):
    rng = np.random.default_rng(3)
    pp, qq, ids = rng.dirichlet(np.ones(3), 10), rng.dirichlet(np.ones(3), 10), rng.permutation(10)
    order = np.argsort(ids)
    p = write("p.csv", _csv(["id", "a", "b", "c"], pp, ids + 100))
    q = write("q.csv", _csv(["id", "a", "b", "c"], qq[order], ids[order] + 100))
    run = run_cece("kl", p, q, "-q")
    assert run.code == 2 and run.out == ""
    assert "the files list the samples in different orders" in run.error_line()
    same = write("q2.csv", _csv(["id", "a", "b", "c"], qq, ids + 100))
    ok = run_cece("kl", p, same, "-q")
    assert ok.code == 0, ok.err
    assert float(ok.out) == pytest.approx(scipy.special.rel_entr(pp, qq).sum(1).mean(), 1e-12)


def test_probabilities_outside_0_1_are_an_error_under_from_probs():
    line = run_cece("entropy", "[[1.5,-0.5]]", "--from", "probs").error_line()
    assert "1.5 is not a probability" in line


def test_kl_gate_and_merge(write, tmp_path):
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    assert (
        run_cece(
            "kl", "[[0.2,0.3,0.5]]", "[[1,2,3]]", "--q-from", "logits", "-f", "json", "-o", a
        ).code
        == 0
    )
    assert (
        run_cece(
            "kl", "[[0.1,0.1,0.8]]", "[[2,4,6]]", "--q-from", "logits", "-f", "json", "-o", b
        ).code
        == 0
    )
    run = run_cece("merge", a, b, "-q")
    assert float(run.out) == pytest.approx(0.09092635961476468, rel=1e-12)  # mpmath
    run = run_cece(
        "kl", "[[0.2,0.3,0.5]]", "[[1,2,3]]", "--q-from", "logits", "-q", "--fail-above", "0.05"
    )
    assert run.code == 1 and "check failed" in run.err


def test_bad_q_from_value():
    run = run_cece("kl", "[[0.5,0.5]]", "[[0.5,0.5]]", "--q-from", "odds")
    assert run.code == 2 and "cece: error:" in run.err


def test_kl_offers_positions_only_where_both_files_hold_the_scores_alike(write):
    """P with pandas' row index, Q without: "--pred-cols 0:3" would take P's index as a
    class, so only the names are offered."""
    p = write("p.csv", ",a,b,c\n0,1.5,2.5,3.5\n1,3.5,2.5,1.5\n")
    q = write("q.csv", "x,y,z\n1.5,2.5,3.5\n3.5,2.5,1.5\n")
    run = run_cece("kl", p, q, "--from", "logits")
    assert (
        run.err_lines[-1]
        == "  hint: --pred-cols a,b,c takes the named columns from both, in that order"
    )


def test_kl_pairs_pandas_default_columns_reordered_by_name(write):
    """P as ``pd.DataFrame(p).to_csv(index=False)`` (header 0,1,2), Q the same frame's columns
    reordered (``df[[2, 0, 1]]``): Q's 2,0,1 was read as a row of data, P's header then as data
    too (the row counts agreed), and KL was 0.17 over 6 rows where it is 0.73 over 5."""
    rng = np.random.default_rng(0)
    pp, qq = rng.dirichlet(np.ones(3), 5), rng.dirichlet(np.ones(3), 5)
    p = write("p.csv", pd.DataFrame(pp).to_csv(index=False))
    q = write("q.csv", pd.DataFrame(qq)[[2, 0, 1]].to_csv(index=False))
    run = run_cece("kl", p, q)
    assert run.code == 2 and run.out == ""
    assert "q.csv: names its columns 2,0,1, P (" in run.error_line()
    assert "--pred-cols name:0,name:1,name:2 takes the named columns from both" in run.err
    named = run_cece("kl", p, q, "--pred-cols", "name:0,name:1,name:2", "-f", "json")
    assert named.code == 0, named.err
    assert "q.csv: first row 2,0,1 read as a header (pandas' default column names, reordered" in (
        named.err
    )
    named = run_cece("kl", p, q, "--pred-cols", "name:0,name:1,name:2", "-q")
    truth = scipy.special.rel_entr(pp, qq).sum(1).mean()
    assert float(named.out) == pytest.approx(truth, rel=1e-12)
    # the integers are names in both files: read as positions they would be refused
    assert run_cece("kl", p, q, "--pred-cols", "0,1,2", "-q").code == 2
    # beside a file without names, the reordered header is refused; 0:3 takes it as it stands
    arr = write("p.npy", pp)
    for args in ((arr, q), (q, arr)):
        run = run_cece("kl", *args)
        assert run.code == 2 and "names its columns 2,0,1 (pandas' default names, reordered)" in (
            run.error_line()
        )
        assert run.err_lines[-1] == "  hint: --pred-cols 0:3 pairs them as they stand"
    run = run_cece("kl", arr, q, "--pred-cols", "0:3", "-q")
    assert float(run.out) == pytest.approx(
        scipy.special.rel_entr(pp, qq[:, [2, 0, 1]]).sum(1).mean()
    )


@pytest.mark.parametrize("fast", ["", "1"])
def test_masked_logits_are_classes_of_probability_zero(write, monkeypatch, fast):
    """A −inf logit (a vocabulary mask) or log-probability is a class of probability 0 in
    entropy and kl as in categorical; they were refused ("found -inf value") with no reason.
    Literals take Python's spelling (``-inf``, as ``print(array)`` writes it)."""
    monkeypatch.setenv("CECE_NO_FAST", fast)
    x = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -1.0], [-np.inf, 3.0, 3.0]])
    z = np.array([[0.5, 0.0, -0.5], [1.0, -np.inf, 0.0], [0.0, 1.0, 2.0]])
    p, q = scipy.special.softmax(x, axis=1), scipy.special.softmax(z, axis=1)
    xs, zs = write("x.npy", x), write("z.npy", z)
    run = run_cece("entropy", xs, "-r", "none", "-q")
    assert run.code == 0, run.err
    want = scipy.stats.entropy(p, axis=1)
    np.testing.assert_allclose([float(v) for v in run.out.split()], want, rtol=1e-12)
    run = run_cece("kl", xs, zs, "-r", "none", "-q")
    assert run.code == 0, run.err
    got = [float(v) for v in run.out.split()]
    assert got[1] == math.inf  # Q masks a class P gives 0.18
    np.testing.assert_allclose(got, scipy.stats.entropy(p, q, axis=1), rtol=1e-12)
    assert "KL is infinite in 1 row(s) (first: row 1)" in run.err
    run = run_cece("entropy", "[[0, -inf, 1]]", "--from", "logits", "-q")
    assert float(run.out) == pytest.approx(want[0], rel=1e-12)
    logp = x - scipy.special.logsumexp(x, axis=1, keepdims=True)
    assert entropy(logp, kind="log-probs") == pytest.approx(want, rel=1e-12)
    assert kl_divergence(x, z, kind_p="logits", kind_q="logits")[1] == math.inf
    with pytest.raises(ValueError, match="every value of the row is -inf"):
        entropy(np.full((1, 3), -np.inf), kind="logits")
    with pytest.raises(ValueError, match="found -inf value"):
        entropy(np.array([[0.5, -np.inf, 0.5]]))  # probabilities
