"""A numeric first row read as pandas' header (``0,1`` above decimals) that the row counts
contradict (only the data reading makes them agree: ``np.savetxt`` of a one-hot first row, or a
pandas file one row short) is refused; --header / --no-header decide."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import run_cece


def _kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(p / q), 0.0)
    return t.sum(axis=1)


@pytest.fixture
def files(tmp_path):
    p = np.array([[0.3, 0.7], [0.4, 0.6], [0.5, 0.5]])
    q = np.array([[0.0, 1.0], [0.25, 0.75], [0.5, 0.5]])
    np.save(tmp_path / "p.npy", p)
    np.savetxt(tmp_path / "q.csv", q, delimiter=",", fmt="%.17g")  # first line: 0,1
    return tmp_path, p, q


def test_one_hot_first_row_or_a_short_pandas_file_is_refused(files, tmp_path):
    """``0,1`` above decimals: pandas' header, or ``np.savetxt``'s one-hot first row? Only the
    data reading makes the row counts agree, which a pandas file one row short does too (it
    gained a sample, and every row was paired with the next one's label): refused, and
    --no-header / --header decide."""
    d, p, q = files
    run = run_cece("kl", d / "q.csv", d / "p.npy", "--from", "probs", "-r", "none")
    assert run.error_line() == (
        f"cece: error: {d / 'q.csv'}: is the first row (0,1) pandas' header or a row of data? "
        "As a header the file has 2 rows, as data 3, as the other input has"
    )
    assert run.err_lines[-1] == (
        "  hint: --header reads the first rows of text inputs as headers, --no-header as data"
    )
    args = ("kl", d / "q.csv", d / "p.npy", "--from", "probs", "-r", "none", "--no-header")
    doc = json.loads(run_cece(*args, "-f", "json").out)
    assert doc["input"]["rows"] == 3
    q_run = run_cece(
        "kl", d / "p.npy", d / "q.csv", "--from", "probs", "-r", "none", "-q", "--no-header"
    )
    np.testing.assert_allclose([float(v) for v in q_run.out.split()], _kl(p, q), rtol=1e-12)
    # pd.DataFrame(x[:11]).to_csv(index=False) beside 12 labels: refused, not shifted
    x = np.random.default_rng(2).normal(size=(12, 4))
    (tmp_path / "x11.csv").write_text(pd.DataFrame(x[:11]).to_csv(index=False))
    np.save(tmp_path / "y.npy", np.arange(12) % 4)
    run = run_cece("categorical", tmp_path / "x11.csv", tmp_path / "y.npy")
    assert "is the first row (0,1,2,3) pandas' header or a row of data?" in run.error_line()
    assert run.code == 2 and run.out == ""


def test_pandas_header_stays_a_header_when_the_counts_agree(tmp_path):
    # pd.DataFrame(q).to_csv(index=False): "0,1" above 3 rows, beside 3 rows of P
    p = np.array([[0.3, 0.7], [0.4, 0.6], [0.5, 0.5]])
    (tmp_path / "q.csv").write_text("0,1\n0.2,0.8\n0.25,0.75\n0.5,0.5\n")
    np.save(tmp_path / "p.npy", p)
    run = run_cece("kl", tmp_path / "p.npy", tmp_path / "q.csv", "--from", "probs", "-q")
    assert run.code == 0, run.err
    q = np.array([[0.2, 0.8], [0.25, 0.75], [0.5, 0.5]])
    assert float(run.out) == pytest.approx(_kl(p, q).mean(), rel=1e-12)


def test_neither_reading_fits_is_the_row_count_error(tmp_path):
    np.save(tmp_path / "p.npy", np.full((5, 2), 0.5))
    (tmp_path / "q.csv").write_text("0,1\n0.2,0.8\n0.25,0.75\n")
    run = run_cece("kl", tmp_path / "p.npy", tmp_path / "q.csv", "--from", "probs", "-q")
    assert run.code == 2
    assert run.err.startswith("cece: error: row counts differ")


def test_reordered_pandas_header_is_a_header_or_data_as_the_counts_say(tmp_path):
    """``2,0,1`` above decimals is pandas' default header reordered (``df[[2, 0, 1]]``);
    ``np.savetxt`` of logits whose first row is 2,0,1 is data when only that reading fits."""
    p = np.array([[0.3, 0.3, 0.4], [0.4, 0.5, 0.1], [0.5, 0.25, 0.25]])
    np.save(tmp_path / "p.npy", p)
    q = np.array([[2.0, 0.0, 1.0], [0.25, 1.5, -0.5], [0.125, 0.5, 2.5]])
    np.savetxt(tmp_path / "q.csv", q, delimiter=",", fmt="%.17g")
    args = ("kl", tmp_path / "p.npy", tmp_path / "q.csv", "--q-from", "logits", "-q")
    assert "pandas' header or a row of data?" in run_cece(*args).error_line()
    run = run_cece(*args, "--no-header")
    assert run.code == 0, run.err
    log_q = q - np.log(np.exp(q).sum(axis=1, keepdims=True))
    assert float(run.out) == pytest.approx(_kl(p, np.exp(log_q)).mean(), rel=1e-12)
    short = tmp_path / "short.npy"
    np.save(short, p[:2])
    (tmp_path / "named.csv").write_text("2,0,1\n0.25,1.5,-0.5\n0.125,0.5,2.5\n")
    named = ("kl", short, tmp_path / "named.csv", "--q-from", "logits")
    assert "(pandas' default names, reordered)" in run_cece(*named).error_line()
    run = run_cece(*named, "--pred-cols", "0:3", "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["input"]["rows"] == 2
    assert "first row 2,0,1 read as a header (pandas' default column names, reordered" in run.err
