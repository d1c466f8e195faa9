"""Labels and score columns as people and libraries spell them: JSON true/false labels, class
names beside prefixed score columns (prob_cat), a missing label as R and polars write it (NA,
an empty line), id columns named image_id, and the --pred-cols hint beside a text column."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import reference
from conftest import run_cece

RNG = np.random.default_rng(5)
X = RNG.normal(size=(8, 3)) * 2
Y = np.array([2, 0, 1, 1, 0, 2, 2, 1])
NAMES = ["cat", "dog", "pig"]


def _ref() -> float:
    return reference.categorical(X.tolist(), Y.tolist())


def test_json_booleans_are_labels(tmp_path):
    """The README lists JSON true/false among the spellings of binary labels: a literal was
    "not a JSON literal", a .json file "expected a JSON array of numbers or class names"."""
    want = reference.binary([[0.2], [0.7], [0.9]], [[1.0], [0.0], [1.0]], kind="probs")
    assert float(run_cece("binary", "[0.2,0.7,0.9]", "[true,false,true]", "-q").out) == (
        pytest.approx(want, rel=1e-12)
    )
    path = tmp_path / "y.json"
    path.write_text(json.dumps([True, False, True]))
    assert float(run_cece("binary", "[0.2,0.7,0.9]", path, "-q").out) == pytest.approx(want)
    mixed = run_cece("binary", "[0.2,0.7]", "[true,0]")
    assert mixed.code == 2  # booleans mixed with numbers are not a literal cece reads


def test_class_names_beside_prefixed_score_columns(tmp_path):
    """prob_cat, prob_dog, prob_pig are the classes cat, dog, pig (README): labels naming them
    were "class 'pig' is not one of the classes (prob_cat, ...)"."""
    p = np.exp(X) / np.exp(X).sum(axis=1, keepdims=True)
    preds, labels = tmp_path / "p.csv", tmp_path / "y.csv"
    pd.DataFrame(p, columns=[f"prob_{c}" for c in NAMES]).to_csv(preds, index=False)
    pd.Series(np.array(NAMES)[Y], name="label").to_csv(labels, index=False)
    run = run_cece("categorical", preds, labels, "-q")
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(_ref(), rel=1e-12)


@pytest.mark.parametrize("spelling", ["NA", "null", "None"])
def test_a_missing_label_as_r_and_polars_write_it(tmp_path, spelling):
    """One NA among integer labels made the column class names, refused at line 2 ("class '2'
    is not one of the classes") or with a --classes hint."""
    preds, labels = tmp_path / "p.csv", tmp_path / "y.csv"
    pd.DataFrame(X, columns=NAMES).to_csv(preds, index=False)
    cells = [str(v) for v in Y]
    cells[5] = spelling
    labels.write_text("label\n" + "\n".join(cells) + "\n")
    for p in (preds, X):
        if not isinstance(p, type(preds)):
            np.save(tmp_path / "x.npy", X)
            p = tmp_path / "x.npy"
        run = run_cece("categorical", p, labels, "-q")
        assert run.error_line() == f"cece: error: {labels}: line 7: missing label ({spelling})"


def test_a_missing_label_as_polars_writes_it_in_one_column(tmp_path):
    """polars writes a null of a one-column file as an empty line: it was "empty line inside
    the table", about the layout, not the missing label."""
    preds, labels = tmp_path / "p.csv", tmp_path / "y.csv"
    pd.DataFrame(X, columns=NAMES).to_csv(preds, index=False)
    labels.write_text("label\n" + "\n".join(str(v) for v in Y[:4]) + "\n\n" + "1\n2\n")
    run = run_cece("categorical", preds, labels, "-q")
    assert (
        run.error_line()
        == f"cece: error: {labels}: line 6: empty line: a missing value (polars' null)?"
    )


def test_image_id_is_skipped_as_an_id(tmp_path):
    preds = tmp_path / "p.csv"
    ids = [f"img_{i:04d}" for i in range(len(X))]
    pd.DataFrame({"image_id": ids, **{c: X[:, i] for i, c in enumerate(NAMES)}}).to_csv(
        preds, index=False
    )
    np.save(tmp_path / "y.npy", Y)
    run = run_cece("categorical", preds, tmp_path / "y.npy")
    assert run.code == 0, run.err
    assert (
        f"cece: note: {preds}: column 'image_id' holds text ids, not class scores, skipped"
        in run.err_lines
    )


def test_the_pred_cols_hint_offers_no_text_column(tmp_path):
    """Beside an epoch column and a caption, the hint offered --pred-cols cat,dog,pig,text,
    which failed on the caption."""
    dump = tmp_path / "dump.csv"
    frame = pd.DataFrame({c: X[:, i] for i, c in enumerate(NAMES)})
    frame["label"], frame["epoch"] = Y, 3
    frame["text"] = [f'a photo, maybe of a "{NAMES[v]}"' for v in Y]
    frame.to_csv(dump, index=False)
    run = run_cece("categorical", dump, "--label-col", "label")
    assert run.err_lines[-1] == "  hint: choose the score columns with --pred-cols cat,dog,pig"
    ok = run_cece("categorical", dump, "--label-col", "label", "--pred-cols", "cat,dog,pig", "-q")
    assert float(ok.out) == pytest.approx(_ref(), rel=1e-12)
