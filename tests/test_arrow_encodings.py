"""Arrow columns stored in an encoding of another type are read as that type
(cece/io/arrowschema.py): a dictionary (pandas' and polars' ``Categorical``) as its values, a
``string_view`` (polars' IPC) as strings, a decimal as float64. A Feather ``Categorical`` of
integer labels was read as class names, where the same labels as int64 are refused as
ambiguous; dictionary labels beside a list column of logits were "neither numbers nor names";
a null in one was "class 'None'"; decimal scores "held text"."""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pytest

import reference
from conftest import run_cece

pa = pytest.importorskip("pyarrow")
feather = pytest.importorskip("pyarrow.feather")
pq = pytest.importorskip("pyarrow.parquet")

RNG = np.random.default_rng(31)
X = RNG.normal(size=(9, 3)) * 2
Y = np.array([2, 0, 1, 1, 0, 2, 2, 1, 0])
NAMES = np.array(["cat", "dog", "pig"])


def _ref(x: np.ndarray, y: np.ndarray) -> float:
    return reference.categorical(x.tolist(), [int(v) for v in y])


def test_a_categorical_of_integer_labels_is_integers(tmp_path):
    """Beside a header 2,1,0 the integers fit as indices and as names: refused, as int64 labels
    are (it was read by name with no word); beside cat,dog,pig they are indices."""
    labels = tmp_path / "y.feather"
    pd.DataFrame({"label": pd.Categorical(Y, categories=[2, 0, 1])}).to_feather(labels)
    named = tmp_path / "p210.feather"
    pd.DataFrame(X[:, ::-1].copy(), columns=["2", "1", "0"]).to_feather(named)
    line = run_cece("categorical", named, labels, "-q").error_line()
    assert "integer labels (0, 1, 2) fit both as column indices and as the class names" in line
    index = run_cece("categorical", named, labels, "--labels-as", "index", "-q")
    assert float(index.out) == pytest.approx(_ref(X[:, ::-1], Y), rel=1e-12)
    plain = tmp_path / "p.feather"
    pd.DataFrame(X, columns=list(NAMES)).to_feather(plain)
    for preds in (plain, tmp_path / "x.npy"):
        np.save(tmp_path / "x.npy", X)
        got = run_cece("categorical", preds, labels, "-q")
        assert got.code == 0, got.err
        assert float(got.out) == pytest.approx(_ref(X, Y), rel=1e-12)


@pytest.mark.parametrize("encoding", ["dictionary", "string_view"])
def test_names_beside_a_list_column_of_logits(tmp_path, encoding):
    if encoding == "string_view" and not hasattr(pa, "string_view"):
        pytest.skip("pyarrow before 16 has no string_view")
    names = pa.array(NAMES[Y].tolist())
    label = names.dictionary_encode() if encoding == "dictionary" else names.cast(pa.string_view())
    path = tmp_path / "t.arrow"
    feather.write_feather(pa.table({"logits": pa.array(X.tolist()), "label": label}), path)
    run = run_cece("categorical", path, "--classes", "cat,dog,pig", "--label-col", "label", "-q")
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(_ref(X, Y), rel=1e-12)


def test_a_null_in_dictionary_labels_is_named_as_a_null(tmp_path):
    labels = NAMES[Y].tolist()
    labels[4] = None
    path = tmp_path / "y.parquet"
    pq.write_table(pa.table({"label": pa.array(labels).dictionary_encode()}), path)
    preds = tmp_path / "p.parquet"
    pd.DataFrame(X, columns=list(NAMES)).to_parquet(preds)
    run = run_cece("categorical", preds, path, "-q")
    assert run.error_line() == f"cece: error: {path}: row 4: column 'label' has null values"


def test_decimal_scores_are_numbers(tmp_path):
    """SQL exports keep scores as decimal128: read as float64 (they "held text")."""
    rounded = np.round(X, 6)
    cells = {c: [decimal.Decimal(f"{v:.6f}") for v in rounded[:, i]] for i, c in enumerate(NAMES)}
    path = tmp_path / "dec.parquet"
    pq.write_table(pa.table({c: pa.array(v, pa.decimal128(12, 6)) for c, v in cells.items()}), path)
    np.save(tmp_path / "y.npy", Y)
    run = run_cece("categorical", path, tmp_path / "y.npy", "-q")
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(_ref(rounded, Y), rel=1e-12)
