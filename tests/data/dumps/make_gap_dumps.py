"""Write the dumps under tests/data/dumps/gaps/ and their reference values (gaps.json).

The cases the first round of real-dump readers left open (issue 11, "Remains"), each written the
way the library that writes it writes it, with the peer's value computed on the stored values:

* integer-typed Parquet/Feather score columns: bfloat16 logits saved as their uint16 bits in a
  pandas frame (``tensor.view(torch.uint16)``, as for ``.npy``) and as an HF-style
  ``list<uint16>`` column; ``model.predict`` one-hot integers;
* boolean labels against a ``True,False`` header (``predict_proba`` columns renamed from a
  bool target's ``classes_``, reordered), as CSV cells and as an Arrow ``bool`` column;
* sample-weight files written by pandas with their index (``to_csv()``, ``to_parquet()``);
* ``%g`` writers: ``np.savetxt(fmt="%g")`` logits whose first column holds whole numbers;
* ``cece kl`` of float P against bfloat16-bit Q (``--q-dtype``).

References: PyTorch ``F.cross_entropy`` (torch/nn/functional.py) on the bfloat16 values as
``Tensor.float()`` converts them; scikit-learn ``log_loss`` (sklearn/metrics/_classification.py,
``labels=``, ``sample_weight=``); SciPy ``rel_entr`` (scipy/special, row sums). The tests need
none of these libraries.

    pip install torch==2.13.0 scikit-learn scipy pandas pyarrow
    python tests/data/dumps/make_gap_dumps.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy
import scipy.special
import sklearn
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

HERE = Path(__file__).resolve().parent
OUT = HERE / "gaps"


def ce(logits: torch.Tensor, labels: np.ndarray) -> float:
    x = logits.to(torch.float64)
    return float(F.cross_entropy(x, torch.from_numpy(np.asarray(labels, dtype=np.int64))))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(18)
    ref: dict[str, dict] = {}

    # 1. bfloat16 logits as uint16 bits, in Parquet / Feather columns and an HF list column.
    logits = torch.from_numpy(rng.normal(scale=2, size=(12, 4))).to(torch.bfloat16)
    labels = rng.integers(0, 4, 12)
    bits = logits.view(torch.uint16).numpy()
    frame = pd.DataFrame(bits, columns=["c0", "c1", "c2", "c3"])
    frame.to_parquet(OUT / "bits.parquet", index=False)
    frame.to_feather(OUT / "bits.feather")
    pd.Series(labels, name="label").to_csv(OUT / "bits_labels.csv", index=False)
    table = pa.table(
        {
            "logits": pa.array([list(map(int, r)) for r in bits], pa.list_(pa.uint16())),
            "label": labels,
        }
    )
    pq.write_table(table, OUT / "bits_list.parquet")
    ref["bits"] = {"value": ce(logits.float(), labels), "by": "torch F.cross_entropy(t.float())"}

    # model.predict one-hot integers: not scores; with --from logits they are numbers.
    onehot = np.eye(3, dtype=np.int64)[rng.integers(0, 3, 10)]
    y3 = rng.integers(0, 3, 10)
    pd.DataFrame(onehot, columns=["a", "b", "c"]).to_parquet(OUT / "ints.parquet", index=False)
    pd.Series(y3).to_csv(OUT / "ints_labels.csv", index=False)
    ref["ints_as_logits"] = {
        "value": ce(torch.from_numpy(onehot), y3),
        "by": "torch F.cross_entropy (integers as logits)",
    }

    # 2. A bool target: predict_proba's columns are classes_ = [False, True]; the frame
    # written with the columns reordered True, False (a common rename/reorder).
    X = rng.normal(size=(40, 3))
    yb = X[:, 0] + 0.5 * rng.normal(size=40) > 0
    clf = LogisticRegression().fit(X[:20], yb[:20])
    proba = clf.predict_proba(X[20:])  # columns: False, True
    frame = pd.DataFrame(proba[:, ::-1], columns=clf.classes_[::-1])  # True, False
    frame.to_csv(OUT / "proba_true_false.csv", index=False)
    pd.Series(yb[20:], name="y").to_csv(OUT / "bool_labels.csv", index=False)
    pq.write_table(pa.table({"y": pa.array(yb[20:])}), OUT / "bool_labels.parquet")
    pd.Series(yb[20:].astype(int)).to_csv(OUT / "int_labels.csv", index=False)
    back = pd.read_csv(OUT / "proba_true_false.csv")
    ref["bool_labels"] = {
        "value": log_loss(yb[20:], back[["False", "True"]].to_numpy(), labels=[False, True]),
        "by": "sklearn log_loss(labels=[False, True])",
    }
    wrong = back.to_numpy()[np.arange(20), yb[20:].astype(int)]  # True read as position 1
    ref["bool_as_positions"] = {"value": float(-np.mean(np.log(wrong))), "by": "numpy"}

    # 4. Sample weights written by pandas with their index.
    p = rng.dirichlet([1, 1, 1], size=8)
    y = rng.integers(0, 3, 8)
    w = rng.uniform(0.5, 2.0, 8)
    pd.DataFrame(p, columns=["a", "b", "c"]).to_csv(OUT / "w_preds.csv", index=False)
    pd.Series(y, name="label").to_csv(OUT / "w_labels.csv")
    pd.Series(w, name="weight").to_csv(OUT / "weights_index.csv")
    ids = pd.Index(rng.permutation(8) + 100, name="sample_id")  # kept: not a RangeIndex
    pd.DataFrame({"weight": w}, index=ids).to_parquet(OUT / "weights_index.parquet")
    back = pd.read_csv(OUT / "w_preds.csv").to_numpy()
    wb = pd.read_csv(OUT / "weights_index.csv", index_col=0)["weight"].to_numpy()
    ref["weights"] = {
        "value": log_loss(y, back, labels=[0, 1, 2], sample_weight=wb),
        "by": "sklearn log_loss(sample_weight=)",
    }

    # 5. %g logits: whole numbers in the first column (negative ones among them).
    g = np.round(rng.normal(scale=2, size=(10, 3)), 3)
    g[:, 0] = rng.integers(-3, 4, 10)
    g[0, 0] = -2
    yg = rng.integers(0, 3, 10)
    np.savetxt(OUT / "g_logits.csv", g, fmt="%g", delimiter=",")
    np.savetxt(OUT / "g_labels.txt", yg, fmt="%d")
    back = np.loadtxt(OUT / "g_logits.csv", delimiter=",")
    ref["g_logits"] = {"value": ce(torch.from_numpy(back), yg), "by": "torch F.cross_entropy"}

    # 6. kl: float64 P, Q as bfloat16 probabilities saved as uint16 bits.
    P = rng.dirichlet([1, 1, 1, 1], size=6)
    Q = torch.softmax(torch.from_numpy(rng.normal(size=(6, 4))), -1).to(torch.bfloat16)
    np.save(OUT / "kl_p.npy", P)
    np.save(OUT / "kl_q_bits.npy", Q.view(torch.uint16).numpy())
    q = Q.float().double().numpy()
    ref["kl_q_bits"] = {
        "value": float(scipy.special.rel_entr(P, q).sum(axis=1).mean()),
        "by": "scipy.special.rel_entr row sums, mean (Q as given)",
    }

    ref["meta"] = {
        "generator": "tests/data/dumps/make_gap_dumps.py",
        "versions": {
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
            "scikit-learn": sklearn.__version__,
            "scipy": scipy.__version__,
            "torch": torch.__version__,
        },
    }
    (HERE / "gaps.json").write_text(json.dumps(ref, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
