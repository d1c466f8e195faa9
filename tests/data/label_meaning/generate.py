"""Write tests/data/label_meaning/: the files of the review's findings 1, 6, 8 and 14 as the
libraries write them, and oracles.json with the peers' numbers (tests/test_label_meaning.py).

Run by hand when the cases should change (the test suite only reads the stored files):

    pip install torch==2.13.0 scikit-learn pandas
    python tests/data/label_meaning/generate.py

Sources of truth:
* --ignore-index with integer class names (labels 1..3 under a header 1,2,3 written by
  ``pd.DataFrame(p, columns=[1, 2, 3]).to_csv(index=False)``): scikit-learn's
  ``log_loss(y[keep], p[keep], labels=[1, 2, 3])`` with the samples labelled I left out
  (sklearn/metrics/_classification.py: ``labels=`` maps each label to its column);
* True/False labels against two classes: ``log_loss(y_bool, p)`` (scikit-learn sorts the
  classes, ``[False, True]``: False is column 0);
* the class axis of (N, C, d) logits with C == d: ``torch.nn.functional.cross_entropy(x, y)``
  (PyTorch's (N, C, d1) layout, torch/nn/functional.py) and the same with the classes last
  (``x.transpose(1, 2).reshape(-1, C)``);
* get_dummies targets with a header 1,2,3: ``log_loss(y, P, labels=[1, 2, 3])``.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pandas as pd
import sklearn
import torch
import torch.nn.functional as F
from sklearn.metrics import log_loss

HERE = pathlib.Path(__file__).parent


def main() -> None:
    out: dict = {
        "versions": {
            "torch": torch.__version__,
            "scikit-learn": sklearn.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
        }
    }
    rng = np.random.default_rng(8)  # finding 1: the review's g_ii.py
    z = rng.normal(size=(6, 3))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    y = np.array([1, 2, 3, 3, 1, 2])
    pd.DataFrame(p, columns=[1, 2, 3]).to_csv(HERE / "ii_p.csv", index=False)
    pd.Series(y, name="y").to_csv(HERE / "ii_y.csv", index=False)
    np.save(HERE / "ii_p.npy", p)
    np.save(HERE / "ii_y.npy", y)
    out["ignore_label"] = {str(i): log_loss(y[y != i], p[y != i], labels=[1, 2, 3]) for i in (1, 2)}
    out["ignore_none"] = log_loss(y, p, labels=[1, 2, 3])
    out["ignore_label_sum"] = {
        str(i): log_loss(y[y != i], p[y != i], labels=[1, 2, 3], normalize=False) for i in (1, 2)
    }

    x2 = rng.normal(size=(5, 2))  # finding 8: bool labels
    yb = np.array([True, False, True, True, False])
    np.save(HERE / "bool_y.npy", yb)
    np.save(HERE / "x2.npy", x2)
    np.save(HERE / "x3.npy", rng.normal(size=(5, 3)))
    pd.Series(yb, name="y").to_csv(HERE / "bool_y.csv", index=False)
    p2 = np.exp(x2) / np.exp(x2).sum(1, keepdims=True)
    out["bool_two_classes"] = log_loss(yb, p2)
    out["bool_two_classes_torch"] = F.cross_entropy(
        torch.tensor(x2), torch.tensor(yb.astype(np.int64))
    ).item()

    torch.manual_seed(3)  # finding 6: the review's g_axis.py
    x = torch.randn(2, 5, 5, dtype=torch.float64)
    t = torch.randint(0, 5, (2, 5))
    np.save(HERE / "bct.npy", x.numpy())
    np.save(HERE / "bct_y.npy", t.numpy())
    torch.save(x, HERE / "bct.pt")
    torch.save(t, HERE / "bct_y.pt")
    out["axis1_torch"] = F.cross_entropy(x, t).item()
    out["axis_last"] = F.cross_entropy(x.reshape(-1, 5), t.reshape(-1)).item()

    big = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]])
    yd = np.array([1, 3, 2, 3])  # finding 14: the review's g_dum.py
    pd.DataFrame(big).to_csv(HERE / "dp.csv", index=False)
    pd.get_dummies(yd).astype(int).to_csv(HERE / "dt.csv", index=False)
    out["dummies"] = log_loss(yd, big, labels=[1, 2, 3])
    pd.Series([0, np.nan, 2]).to_csv(HERE / "ynan.csv", index=False)  # NaN: a "" line
    frame = pd.DataFrame(big[:3], columns=["a", "b", "c"])
    frame["y"] = [0, np.nan, 2]
    frame.to_csv(HERE / "dnan.csv", index=False)  # NaN: an empty cell; y written 0.0
    names = pd.DataFrame(big[:3], columns=["a", "b", "c"])
    names["y"] = ["a", None, "c"]
    names.to_csv(HERE / "names_nan.csv", index=False)
    observed = pd.get_dummies(pd.Series(["b", "a", "b"])).astype(int)  # 2 of 3 classes
    observed.to_csv(HERE / "dummies_observed.csv", index=False)
    pp = np.array([[0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    pd.DataFrame(pp).to_csv(HERE / "pp.csv", index=False)  # predict_proba, N x 2
    pd.Series([1, 0, 1]).to_csv(HERE / "py.csv", index=False)
    out["predict_proba_categorical"] = log_loss([1, 0, 1], pp)
    (HERE / "oracles.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
