"""Writes the tree-model dumps of this folder and their reference log losses (reference.json).

Tree models (DecisionTreeClassifier, RandomForestClassifier) output exact 0.0 and 1.0
probabilities. These files are what their users save: ``predict_proba`` written with pandas
(named columns) and with ``np.save``, the labels beside them, and scikit-learn's own
``log_loss`` of each as the reference. ``clean`` dumps give no probability of 0 to a true class,
so ``cece ... --strict`` must pass on them; ``dirty`` ones (a fully grown tree that is sure and
wrong) must warn, since clipping then changes the loss (inf → 36.04).

Run from the repository root, in an environment with scikit-learn and pandas:

    python tests/data/dumps/trees/make_dumps.py

The tests need neither library: they read the stored files and reference.json.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

HERE = Path(__file__).parent


def _split(data, test_size: int):
    return train_test_split(
        data.data, data.target, test_size=test_size, random_state=0, stratify=data.target
    )


def _p_true_zero(p: np.ndarray, y: np.ndarray) -> int:
    return int(np.count_nonzero(p[np.arange(len(y)), y] == 0))


def main() -> None:
    cases: dict[str, dict] = {}

    iris = load_iris()
    x_tr, x_te, y_tr, y_te = _split(iris, 45)
    names = list(iris.target_names)  # setosa, versicolor, virginica
    pd.Series(np.array(names)[y_te], name="species").to_csv(HERE / "iris_species.csv", index=False)
    np.save(HERE / "iris_y.npy", y_te)
    models = {
        "rf": RandomForestClassifier(n_estimators=25, random_state=0),
        "dt": DecisionTreeClassifier(max_depth=3, random_state=0),
    }
    for tag, model in models.items():
        p = model.fit(x_tr, y_tr).predict_proba(x_te)
        pd.DataFrame(p, columns=names).to_csv(HERE / f"{tag}_iris_proba.csv", index=False)
        np.save(HERE / f"{tag}_iris_proba.npy", p)
        ref = log_loss(y_te, p)
        for fmt, labels in (("csv", "iris_species.csv"), ("npy", "iris_y.npy")):
            cases[f"{tag}_iris_{fmt}"] = {
                "command": "categorical",
                "preds": f"{tag}_iris_proba.{fmt}",
                "labels": labels,
                "model": type(model).__name__,
                "log_loss": ref,
                "clean": _p_true_zero(p, y_te) == 0,
                "exact_zeros": int(np.count_nonzero(p == 0)),
                "exact_ones": int(np.count_nonzero(p == 1)),
            }

    cancer = load_breast_cancer()
    x_tr, x_te, y_tr, y_te = _split(cancer, 60)
    pd.Series(y_te, name="target").to_csv(HERE / "cancer_y.csv", index=False)
    np.save(HERE / "cancer_y.npy", y_te)
    models = {
        "rf": RandomForestClassifier(n_estimators=25, random_state=0),
        "dt": DecisionTreeClassifier(max_depth=4, min_samples_leaf=5, random_state=0),
        "dtfull": DecisionTreeClassifier(random_state=0),  # grown to purity: sure and wrong
    }
    for tag, model in models.items():
        p = model.fit(x_tr, y_tr).predict_proba(x_te)
        pos = p[:, 1]  # P(benign), the column binary cross-entropy takes
        pd.Series(pos, name="benign").to_csv(HERE / f"{tag}_cancer_p1.csv", index=False)
        np.save(HERE / f"{tag}_cancer_p1.npy", pos)
        pd.DataFrame(p, columns=list(cancer.target_names)).to_csv(
            HERE / f"{tag}_cancer_proba.csv", index=False
        )
        clean = _p_true_zero(p, y_te) == 0
        zero_true = _p_true_zero(p, y_te)
        common = {"model": type(model).__name__, "clean": clean, "p_true_zero": zero_true}
        for fmt in ("csv", "npy"):
            cases[f"{tag}_cancer_binary_{fmt}"] = {
                "command": "binary",
                "preds": f"{tag}_cancer_p1.{fmt}",
                "labels": f"cancer_y.{fmt}",
                "log_loss": log_loss(y_te, pos),
                **common,
            }
        cases[f"{tag}_cancer_categorical"] = {
            "command": "categorical",
            "preds": f"{tag}_cancer_proba.csv",
            "labels": "cancer_y.csv",
            "log_loss": log_loss(y_te, p),
            **common,
        }

    meta = {
        "generator": "tests/data/dumps/trees/make_dumps.py",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "reference": "sklearn.metrics.log_loss(y_true, predict_proba output)",
    }
    doc = {"meta": meta, "cases": cases}
    (HERE / "reference.json").write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
