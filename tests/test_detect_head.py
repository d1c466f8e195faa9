"""--from auto looks at the first 2^16 values of a block first (cece.engine.detection.look):
where they settle the kind (logits: values outside [0, 1]), the rest of the block is left to the
workers, which check it as they check every later block; where they do not, the whole block is
looked at, as before. Either way the verdict, the errors and the numbers are those of a look at
the whole block."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cece.checks import KindDetector

ROWS, FAR = 100_000, 90_000  # one block (2^18 rows at 10 classes); FAR is past the head


@pytest.fixture
def logits(tmp_path):
    rng = np.random.default_rng(7)
    np.save(tmp_path / "y.npy", rng.integers(0, 10, ROWS))
    return rng.normal(size=(ROWS, 10)).astype(np.float32)


@pytest.fixture
def probs():
    rng = np.random.default_rng(8)
    return rng.dirichlet(np.ones(10), size=ROWS).astype(np.float32)


def _run(cece, tmp_path, x, *extra):
    np.save(tmp_path / "x.npy", x)
    return cece("categorical", tmp_path / "x.npy", tmp_path / "y.npy", *extra)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (np.nan, f"row {FAR}, column 3: found nan value; expected a finite number"),
        (np.inf, f"row {FAR}, column 3: found inf value; expected a finite number"),
    ],
)
def test_a_bad_value_past_the_head_is_still_found(cece, tmp_path, logits, value, message):
    logits[FAR, 3] = value
    run = _run(cece, tmp_path, logits)
    assert run.code == 2 and message in run.err


def test_a_row_of_neg_inf_past_the_head_is_still_refused(cece, tmp_path, logits):
    logits[FAR] = -np.inf
    run = _run(cece, tmp_path, logits)
    assert run.code == 2 and f"row {FAR}: every value of the row is -inf" in run.err


def test_neg_inf_among_probabilities_past_the_head(cece, tmp_path, probs):
    """The head is all in [0, 1]: it settles nothing, and the whole block is looked at."""
    probs[FAR, 2] = -np.inf
    np.save(tmp_path / "y.npy", np.zeros(ROWS, dtype=np.int64))
    run = _run(cece, tmp_path, probs)
    assert run.code == 2 and f"row {FAR}, column 2: found -inf among values in [0, 1]" in run.err


def test_a_row_off_one_past_the_head_decides(cece, tmp_path, probs):
    probs[FAR] = probs[FAR] / 2
    np.save(tmp_path / "y.npy", np.zeros(ROWS, dtype=np.int64))
    run = _run(cece, tmp_path, probs, "-f", "json")
    assert run.code == 0, run.err
    assert f"row {FAR} sums to" in run.err and "as logits" in run.err
    assert json.loads(run.out)["input"]["kind"] == "logits"


def test_the_head_alone_is_read_when_it_decides(cece, tmp_path, logits, monkeypatch):
    seen: list[int] = []
    update = KindDetector.update
    monkeypatch.setattr(
        KindDetector, "update", lambda s, b, i, y=None: seen.append(len(b)) or update(s, b, i, y)
    )
    run = _run(cece, tmp_path, logits, "-q")
    assert run.code == 0, run.err
    assert seen == [(1 << 16) // 10]


def test_the_loss_is_that_of_the_whole_file(cece, tmp_path, logits):
    run = _run(cece, tmp_path, logits, "-q")
    x = logits.astype(np.float64)
    y = np.load(tmp_path / "y.npy")
    m = x.max(axis=1)
    lse = m + np.log(np.exp(x - m[:, None]).sum(axis=1))
    assert float(run.out) == pytest.approx(float(np.mean(lse - x[np.arange(ROWS), y])), rel=1e-9)
