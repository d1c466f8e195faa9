"""Write the layout-inference dumps the way scikit-learn and pandas users write them.

Run from this folder with pandas, pyarrow and scikit-learn installed:

    python make_dumps.py

It rewrites the files next to it and ``reference.json`` (scikit-learn's ``log_loss`` on the
same arrays, and the versions used). The tests read only the stored files.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import sklearn
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
REF: dict = {}


def save(name: str, value: float, how: str) -> None:
    REF[name] = {"log_loss": float(value), "how": how}


def digits() -> None:
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=40, random_state=0)
    clf = LogisticRegression(max_iter=2000).fit(Xtr, ytr)
    p = clf.predict_proba(Xte)
    ref = log_loss(yte, p)
    # pandas' default headers: 0,1,...,9 over the scores, 0 over the labels
    pd.DataFrame(p).to_csv(HERE / "digits_p.csv", index=False)
    pd.Series(yte).to_csv(HERE / "digits_y.csv", index=False)
    save("digits", ref, "log_loss(y, predict_proba) of digits; pandas default headers")
    # index=True (pandas' default): the test split's own row labels as the first column
    pd.DataFrame(p, index=Xte_index(yte)).to_csv(HERE / "digits_p_index.csv")
    pd.Series(yte, index=Xte_index(yte)).to_csv(HERE / "digits_y_index.csv")
    # reset_index(): a column named index
    pd.DataFrame(p).reset_index().to_csv(HERE / "digits_p_reset.csv", index=False)
    # one evaluation table: scores, y_true, y_pred
    df = pd.DataFrame(p, columns=[f"p{c}" for c in clf.classes_])
    df["y_true"] = yte
    df["y_pred"] = clf.predict(Xte)
    df.to_csv(HERE / "digits_eval.csv", index=False)
    # Parquet: string column names (pandas requires them) and the split's index
    frame = pd.DataFrame(p, columns=[str(c) for c in clf.classes_], index=Xte_index(yte))
    frame.to_parquet(HERE / "digits_p.parquet")
    pd.DataFrame({"y": yte}, index=Xte_index(yte)).to_parquet(HERE / "digits_y.parquet")
    named = frame.copy()
    named.index.name = "sample_id"
    named.to_parquet(HERE / "digits_p_named_index.parquet")
    # one-hot labels through get_dummies: header 0..9 over 0/1 integers
    pd.get_dummies(yte).astype(int).to_csv(HERE / "digits_onehot.csv", index=False)
    np.save(HERE / "digits_p.npy", p)
    np.savetxt(HERE / "digits_y.txt", yte, fmt="%d")


def Xte_index(y: np.ndarray) -> pd.Index:
    # train_test_split keeps the frame's index: shuffled original row numbers
    return pd.Index(np.random.default_rng(0).permutation(1797)[: len(y)])


def trees() -> None:
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=30, random_state=1)
    p = RandomForestClassifier(n_estimators=5, random_state=0).fit(Xtr, ytr).predict_proba(Xte)
    pd.DataFrame(p).to_csv(HERE / "forest_p.csv", index=False)
    pd.Series(yte).to_csv(HERE / "forest_y.csv", index=False)
    save("forest", log_loss(yte, p), "log_loss of a RandomForest's exact 0/1 rows")


def wine() -> None:
    # UCI-style classes 1, 2, 3
    X, y = load_wine(return_X_y=True)
    y = y + 1
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=30, random_state=0)
    clf = LogisticRegression(max_iter=5000).fit(Xtr, ytr)
    p = clf.predict_proba(Xte)
    pd.DataFrame(p, columns=clf.classes_).to_csv(HERE / "wine_p.csv", index=False)
    pd.Series(yte).to_csv(HERE / "wine_y.csv", index=False)
    np.save(HERE / "wine_p.npy", p)
    np.save(HERE / "wine_y.npy", yte)
    save("wine", log_loss(yte, p, labels=[1, 2, 3]), "log_loss(y, p, labels=[1, 2, 3])")
    # only classes 1 and 2 present: read as names or as column indices, both possible
    keep = yte < 3
    pd.Series(yte[keep]).to_csv(HERE / "wine12_y.csv", index=False)
    pd.DataFrame(p[keep], columns=clf.classes_).to_csv(HERE / "wine12_p.csv", index=False)
    save("wine12", log_loss(yte[keep], p[keep], labels=[1, 2, 3]), "labels=[1, 2, 3]")
    names = np.array(["class_a", "class_b", "class_c"])
    (HERE / "wine_classes.txt").write_text("\n".join(names) + "\n")
    pd.Series(names[yte - 1]).to_csv(HERE / "wine_names.csv", index=False, header=False)
    save("wine_names", log_loss(names[yte - 1], p, labels=list(names)), "labels=names")


def cancer() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=40, random_state=0)
    clf = LogisticRegression(max_iter=10000).fit(Xtr, ytr)
    p = clf.predict_proba(Xte)
    p1 = p[:, 1]
    # sklearn: target 0 is malignant, 1 benign
    names = np.array(["malignant", "benign"])[yte]
    pd.Series(p1).to_csv(HERE / "cancer_p1.csv", index=False)
    pd.Series(yte).to_csv(HERE / "cancer_y.csv", index=False)
    save("cancer", log_loss(yte, p1), "log_loss(y, p[:, 1]); pandas header 0 on both")
    pd.DataFrame(p).to_csv(HERE / "cancer_p.csv", index=False)
    save("cancer2", log_loss(yte, p), "log_loss(y, predict_proba): two columns 0,1")
    # text labels: P(malignant) with --positive malignant (sklearn sorts: benign, malignant)
    pd.Series(p[:, 0]).to_csv(HERE / "cancer_pmal.csv", index=False)
    pd.Series(names, name="diagnosis").to_csv(HERE / "cancer_names.csv", index=False)
    save("cancer_names", log_loss(names, p[:, 0]), "log_loss(names, P(malignant))")
    pm = 2 * yte - 1
    np.save(HERE / "cancer_pm1.npy", pm)
    np.save(HERE / "cancer_p1.npy", p1)
    save("cancer_pm1", log_loss(pm, p1), "log_loss(y in {-1, +1}, p[:, 1])")
    np.save(HERE / "cancer_decision.npy", clf.decision_function(Xte))
    np.save(HERE / "cancer_y.npy", yte)


def main() -> None:
    digits()
    trees()
    wine()
    cancer()
    out = {
        "meta": {
            "generator": "tests/data/dumps/layout/make_dumps.py",
            "versions": {
                "python": platform.python_version(),
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "pyarrow": pyarrow.__version__,
                "scikit-learn": sklearn.__version__,
            },
        },
        "cases": REF,
    }
    (HERE / "reference.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
