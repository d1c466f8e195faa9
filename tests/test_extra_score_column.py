"""A column that is not a score beside a model's probabilities (a weight ``w``, a count).

Its name says nothing (no role word, no broken pattern), so before this rule it was taken as
one more class: the kind read changed (values above 1: logits) and so did the loss. The
evidence is in the values: without that column every sampled row of the others is a
distribution, with it none is. The files are written as pandas writes them (``to_csv`` and
``to_parquet`` with their defaults, ``np.savetxt``); the number the hint's command gives is
checked against the formula (tests/reference.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from conftest import run_cece

RNG = np.random.default_rng(20261130)
P = RNG.dirichlet([1.0, 1.0, 1.0], 8)
Y = RNG.integers(0, 3, 8)
W = RNG.choice([0.5, 1.0, 2.0], 8)


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame(P, columns=["a", "b", "c"])
    frame["y"] = Y
    frame["w"] = W
    return frame


def _expected() -> float:
    return reference.categorical(P.tolist(), Y.tolist(), kind="probs")


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_weight_column_beside_probabilities_is_refused(tmp_path, monkeypatch, suffix):
    monkeypatch.chdir(tmp_path)
    path = f"dump.{suffix}"
    if suffix == "csv":
        _frame().to_csv(path, index=False)
    else:
        _frame().to_parquet(path)
    run = run_cece("categorical", path, "--label-col", "y")
    assert run.error_line() == (
        f"cece: error: dump.{suffix}: without column 'w' every row sampled of columns a, b, c "
        "is a distribution (sums to 1): is it a class score? --pred-cols decides"
    )
    assert (
        run.err_lines[-1] == "  hint: --pred-cols a,b,c leaves it out, --pred-cols a,b,c,w keeps it"
    )
    done = run_cece("categorical", path, "--label-col", "y", "--pred-cols", "a,b,c", "-q")
    assert done.code == 0, done.err
    assert float(done.out) == pytest.approx(_expected(), rel=1e-12)


def test_the_hint_for_the_label_column_leaves_the_weight_out(tmp_path):
    """Without --label-col the integer labels are refused first; the hint's columns are the
    distribution, without the weight."""
    path = tmp_path / "dump.csv"
    _frame().to_csv(path, index=False)
    run = run_cece("categorical", path, tmp_path / "none.csv")
    assert "column 'y' holds integers among decimal scores" in run.error_line()
    assert run.err_lines[-1] == "  hint: choose the score columns with --pred-cols a,b,c"


def test_log_probabilities_without_a_header(tmp_path, monkeypatch):
    """np.savetxt of log-probabilities and a count: positions name the columns."""
    monkeypatch.chdir(tmp_path)
    logp = np.log(RNG.dirichlet([1.0] * 4, 6))
    counts = RNG.integers(1, 5, 6).astype(float)
    path = "lp.txt"
    np.savetxt(path, np.column_stack([logp, counts]), delimiter=",")
    run = run_cece("categorical", path, "[0,1,2,3,0,1]")
    assert run.error_line() == (
        "cece: error: lp.txt: without column 4 every row sampled of columns 0:4 is a "
        "distribution (sums to 1): is it a class score? --pred-cols decides"
    )
    assert run.err_lines[-1] == "  hint: --pred-cols 0:4 leaves it out, --pred-cols 0:5 keeps it"
    kept = run_cece("categorical", path, "[0,1,2,3,0,1]", "--pred-cols", "0:4", "-q")
    want = reference.categorical(logp.tolist(), [0, 1, 2, 3, 0, 1], kind="log-probs")
    assert float(kept.out) == pytest.approx(want, rel=1e-12)


def test_probabilities_alone_are_read(tmp_path):
    """Negative: rows that are distributions as they are, and logits, are not touched."""
    path = tmp_path / "p.csv"
    pd.DataFrame(P, columns=["a", "b", "c"]).to_csv(path, index=False)
    run = run_cece("categorical", path, str(Y.tolist()).replace(" ", ""), "-q")
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(_expected(), rel=1e-12)
    logits = tmp_path / "z.csv"
    pd.DataFrame(RNG.normal(size=(8, 4)), columns=list("abcw")).to_csv(logits, index=False)
    assert run_cece("categorical", logits, str(Y.tolist()).replace(" ", ""), "-q").code == 0


def test_two_ways_to_drop_says_nothing(tmp_path):
    """Where different columns could be dropped (0.5, 0.5, 0.5: any one of them), there is no
    evidence for one: the rule keeps out of it."""
    from cece.io.distributions import outside_distribution
    from cece.io.readers import load, resolve

    path = tmp_path / "half.csv"
    pd.DataFrame(np.full((4, 3), 0.5), columns=["a", "b", "c"]).to_csv(path, index=False)
    table = load(resolve(str(path)))
    assert outside_distribution(table, [0, 1, 2]) == []


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(3, 6),
    at=st.integers(0, 6),
    extra=st.floats(1.01, 50.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_column_above_one_among_probabilities_is_found(tmp_path_factory, k, at, extra, seed):
    """Property: probabilities of k classes with one extra column > 1 anywhere among them."""
    from cece.io.distributions import outside_distribution
    from cece.io.readers import load, resolve

    rng = np.random.default_rng(seed)
    p = rng.dirichlet([1.0] * k, 5)
    at = min(at, k)
    values = np.insert(p, at, extra, axis=1)
    path = tmp_path_factory.mktemp("h") / "p.csv"
    pd.DataFrame(values, columns=[f"c{i}x" for i in range(k + 1)]).to_csv(path, index=False)
    table = load(resolve(str(path)))
    assert outside_distribution(table, list(range(k + 1))) == [at]


LOGITS = RNG.normal(size=(30, 3))
LABELS = RNG.integers(0, 3, 30)


def _dump(tmp_path, suffix: str, **extra) -> str:
    """An evaluation dump as pandas writes it: logits, the label, and the loop's columns."""
    frame = pd.DataFrame(LOGITS, columns=["cat", "dog", "pig"])
    frame["label"] = LABELS
    for name, value in extra.items():
        frame[name] = value
    path = tmp_path / f"dump.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)
    return str(path)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize(
    "extra, why",
    [
        ({"epoch": 3.0}, "column 'epoch' is named as a run's bookkeeping"),
        ({"global_step": 1500.0}, "column 'global_step' is named as a run's bookkeeping"),
        (
            {"learning_rate": RNG.uniform(0, 1e-3, 30)},
            "column 'learning_rate' is named as a run's bookkeeping",
        ),
    ],
    ids=["epoch", "global_step", "learning_rate"],
)
def test_a_dumps_bookkeeping_column_is_not_taken_as_a_class(tmp_path, suffix, extra, why):
    """An epoch, a step or a learning rate written on every row was one more class: 3.04 for a
    loss of 1.29 (1499.8 for a step of 1500), with a note that -q hides. Refused by its name
    (names no class would have; the values do not tell: a class may be constant too)."""
    path = _dump(tmp_path, suffix, **extra)
    run = run_cece("categorical", path, "--label-col", "label", "-q")
    assert run.code == 2 and run.out == "", run.err
    assert why in run.error_line()
    assert run.err_lines[-1] == "  hint: choose the score columns with --pred-cols cat,dog,pig"
    ok = run_cece("categorical", path, "--label-col", "label", "--pred-cols", "cat,dog,pig", "-q")
    want = reference.categorical(LOGITS.tolist(), LABELS.tolist(), kind="logits")
    assert ok.code == 0 and float(ok.out) == pytest.approx(want, rel=1e-12)


def test_a_constant_zero_column_stays_a_class(tmp_path):
    """A class never predicted has probability 0 in every row, and a reference class the logit
    0: constant, and a class all the same."""
    probs = RNG.dirichlet([1.0, 1.0], 30)
    frame = pd.DataFrame({"a": probs[:, 0], "b": probs[:, 1], "c": 0.0, "label": LABELS % 2})
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    run = run_cece("categorical", path, "--label-col", "label", "-q")
    assert run.code == 0, run.err
    want = reference.categorical(
        frame[["a", "b", "c"]].values.tolist(), (LABELS % 2).tolist(), kind="probs"
    )
    assert float(run.out) == pytest.approx(want, rel=1e-12)


def test_columns_all_constant_are_kept(tmp_path):
    """A classifier that predicts [1, 0, 0] for every row: every column is constant, none
    varies, so none is taken for bookkeeping (the 0s do not count as columns that vary)."""
    frame = pd.DataFrame({"a": 1.0, "b": 0.0, "c": 0.0, "label": LABELS[:20]})
    path = tmp_path / "degenerate.csv"
    frame.to_csv(path, index=False)
    run = run_cece("categorical", path, "--label-col", "label", "--eps", "0.001", "-q")
    assert run.code == 0, run.err
    want = reference.categorical(
        frame[["a", "b", "c"]].values.tolist(), LABELS[:20].tolist(), kind="probs", eps=0.001
    )
    assert float(run.out) == pytest.approx(want, rel=1e-12)


def test_constant_columns_and_class_names_like_run_columns_stay_classes(tmp_path):
    """A class-sorted test set scored by a confident model (1.0 in every row sampled), a class
    masked throughout (-inf), and classes named Energy, lr (logistic regression), seed: all
    class scores."""
    n = 30
    probs = np.zeros((n, 3))
    probs[:, 0] = 1.0  # every row sampled predicts class 0 with probability 1
    frame = pd.DataFrame(probs, columns=["Energy", "lr", "seed"])
    frame["label"] = 0
    path = tmp_path / "sorted.csv"
    frame.to_csv(path, index=False)
    run = run_cece("categorical", path, "--label-col", "label", "-q")
    assert run.code == 0 and float(run.out) < 1e-15, run.err  # −log(1 − eps): the clip
    logits = RNG.normal(size=(n, 3))
    logits[:, 2] = -np.inf
    masked = tmp_path / "masked.csv"
    pd.DataFrame(logits, columns=["a", "b", "c"]).assign(label=LABELS[:n] % 2).to_csv(
        masked, index=False
    )
    run = run_cece("categorical", masked, "--label-col", "label", "--from", "logits", "-q")
    want = reference.categorical(logits[:, :2].tolist(), (LABELS[:n] % 2).tolist(), kind="logits")
    assert run.code == 0 and float(run.out) == pytest.approx(want, rel=1e-12), run.err


def _brute_force(rows: np.ndarray, k: int) -> list[tuple[int, ...]]:
    """The sets of k columns without which every row is a distribution, one set at a time."""
    import itertools

    from cece.io.distributions import _distributions

    n = rows.shape[1]
    return [
        d
        for d in itertools.combinations(range(n), k)
        if n - k >= 2 and _distributions(np.delete(rows, d, axis=1))
    ]


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    classes=st.integers(2, 6),
    rows=st.integers(2, 5),
    extra=st.sampled_from(["unit", "above", "zeros", "normal", "minus-one"]),
    log=st.booleans(),
)
def test_sets_found_as_one_at_a_time(seed, classes, rows, extra, log):
    """The vectorized search (a row's sum less the dropped columns') finds the sets the
    one-set-at-a-time search finds: probabilities or log-probabilities beside two columns."""
    from cece.io.distributions import _without

    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(classes), rows)
    p = np.log(p) if log else p
    make = {
        "unit": lambda: rng.uniform(0, 1, rows),
        "above": lambda: rng.uniform(1, 5, rows),
        "zeros": lambda: np.zeros(rows),
        "normal": lambda: rng.normal(size=rows),
        "minus-one": lambda: np.full(rows, -1.0),
    }[extra]
    table = np.column_stack([p, make(), make()])[:, rng.permutation(classes + 2)]
    for k in (1, 2):
        assert sorted(_without(table, k)) == _brute_force(table, k)


def test_a_thousand_columns_are_weighed_in_vector_steps(write):
    """1000 logits columns (an ImageNet dump): the search weighed each of the ~500 000 pairs
    one at a time, once per column, and ran for hours; probabilities beside a weight column
    are still found."""
    rng = np.random.default_rng(1)
    x = write("x.csv", pd.DataFrame(rng.normal(size=(30, 1000))).to_csv(index=False))
    y = rng.integers(0, 1000, 30)
    run = run_cece("categorical", x, write("y.npy", y), "-q")
    assert run.code == 0, run.err
    p = rng.dirichlet(np.ones(999), 30)
    frame = pd.DataFrame(np.column_stack([p, rng.choice([0.5, 2.0], 30)]))
    p_csv = write("p.csv", frame.to_csv(index=False, header=False))  # no names to go by
    line = run_cece("categorical", p_csv, write("y2.npy", y % 999)).error_line()
    assert "without column 999 every row sampled of columns 0:999 is a distribution" in line


@pytest.mark.parametrize("count", [40.0, 85.0, 800.0])
def test_a_large_column_beside_log_probabilities_is_found(write, count):
    """A token count beside log-probabilities: e^count swamped the row sum the vectorized
    search subtracted from (inf past 709), so the count was read as one more logit (73.5
    where the loss is 2.14). Out-of-range columns count for nothing in the rest's sum."""
    rng = np.random.default_rng(5)
    lp = np.log(rng.dirichlet(np.ones(3), 12))
    frame = pd.DataFrame(lp, columns=["cat", "dog", "fox"])
    frame["n_tokens"] = count + rng.integers(0, 50, 12)
    line = run_cece(
        "categorical", write("lp.csv", frame.to_csv(index=False)), write("y.npy", Y.repeat(2)[:12])
    ).error_line()
    assert "without column 'n_tokens' every row sampled of columns cat, dog, fox" in line
    from cece.io.distributions import _without

    assert _without(frame.to_numpy(), 1) == _brute_force(frame.to_numpy(), 1) == [(3,)]
