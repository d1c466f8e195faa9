"""LABELS tables with a label and a weight column, and the peers' losses on them.

``cece binary PREDS LABELS`` once read a LABELS table ``label,weight`` (or ``y,sample_weight``)
beside two prediction columns as two target columns: the weight became soft targets. The files
here are written the way a user writes them (``np.savetxt`` of two random columns, pandas'
``to_csv(index=False)`` of a label and a weight column, a ``predict_proba`` table), and each
reading a user means is scored by the peers:

* ``sklearn.metrics.log_loss(y, p, sample_weight=w)`` (scikit-learn 1.9.1): P(class 1) in
  column 1 against the label column, with and without the weight column;
* ``torch.nn.functional.binary_cross_entropy`` (PyTorch 2.13.0, float64) on the same column,
  and ``torch.nn.functional.cross_entropy`` with the two columns as logits (what ``cece
  categorical`` detects for rows in [0, 1] that do not sum to 1);
* ``torch.nn.functional.binary_cross_entropy`` of a multi-label table against its named target
  columns (``toxic,spam``), the reading a ``toxic,weight`` LABELS table must not get;
* ``cross_entropy(weight=)``, ``binary_cross_entropy_with_logits(pos_weight=)`` (on the
  logits of the probabilities) and ``binary_cross_entropy(weight=)`` with the values of a
  ``--weight`` / ``--pos-weight`` / ``--rescale`` table whose header names the classes in
  another order, taken by name;
* ``log_loss(y, p, labels=[1, 2, 3])`` of ``predict_proba`` written under the float class
  labels ``1.0,2.0,3.0`` of a float target (integer labels are those names).

Run in an environment with torch, scikit-learn and pandas (not needed by the tests):

    python tests/data/roles/make_cases.py

It rewrites the files beside it and ``cases.json`` (``meta`` records the versions).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch
import torch.nn.functional as F
from sklearn.metrics import log_loss

HERE = Path(__file__).resolve().parent


def t64(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64))


def main() -> None:
    peers: dict[str, float] = {}
    # the reproduction: two random columns, a label and a weight (0/1 or fractional)
    p = np.random.default_rng(0).random((6, 2))
    np.savetxt(HERE / "p2.csv", p, delimiter=",")
    y = np.array([0, 1, 1, 0, 1, 0])
    w01 = np.array([1, 1, 0, 1, 1, 0])
    wf = np.array([0.5, 1, 0.2, 1, 1, 0.7])
    pd.DataFrame({"label": y, "weight": w01}).to_csv(HERE / "lw01.csv", index=False)
    pd.DataFrame({"y": y, "sample_weight": wf}).to_csv(HERE / "lwf.csv", index=False)
    pd.DataFrame({"target": y, "w": wf}).to_csv(HERE / "tw.csv")  # index=True: pandas' default
    pd.Series(wf, name="sample_weight").to_csv(HERE / "sw.csv", index=False)
    # P(class 1) in column 1 against the labels (scikit-learn's binary log_loss of a vector)
    peers["p2_col1"] = log_loss(y, p[:, 1])
    peers["p2_col1_torch"] = F.binary_cross_entropy(t64(p[:, 1]), t64(y)).item()
    peers["p2_col1_wf"] = log_loss(y, p[:, 1], sample_weight=wf)
    # the two columns as logits of two classes (what cece categorical detects here)
    peers["p2_logits"] = F.cross_entropy(t64(p), torch.tensor(y)).item()
    # one table: scores, label and weight together (a user's --sample-weight COL)
    df = pd.DataFrame(p, columns=["p0", "p1"]).assign(label=y, weight=wf)
    df.to_csv(HERE / "dump.csv", index=False)
    # predict_proba rows (sum to 1) under pandas' default header 0,1
    q = np.random.default_rng(1).dirichlet([1, 1], size=6)
    pd.DataFrame(q).to_csv(HERE / "proba.csv", index=False)
    peers["proba"] = log_loss(y, q)
    peers["proba_wf"] = log_loss(y, q, sample_weight=wf)
    # multi-label: PREDS toxic,spam probabilities; the targets, and a table that swaps one
    # target column for a weight column
    rng = np.random.default_rng(2)
    m = rng.uniform(0.05, 0.95, size=(5, 2))
    t = rng.integers(0, 2, size=(5, 2))
    pd.DataFrame(m, columns=["toxic", "spam"]).to_csv(HERE / "ml.csv", index=False)
    pd.DataFrame(t, columns=["toxic", "spam"]).to_csv(HERE / "ml_t.csv", index=False)
    pd.DataFrame({"toxic": t[:, 0], "weight": [1, 2, 1, 1, 0]}).to_csv(
        HERE / "ml_tw.csv", index=False
    )
    pd.DataFrame(t, columns=["spam", "obscene"]).to_csv(HERE / "ml_partial.csv", index=False)
    # score columns p_<class>, targets <class> or y_<class> in another order: taken by name
    pd.DataFrame(m, columns=["p_toxic", "p_spam"]).to_csv(HERE / "ml_prefixed.csv", index=False)
    pd.DataFrame(t[:, ::-1], columns=["spam", "toxic"]).to_csv(HERE / "ml_t_rev.csv", index=False)
    pd.DataFrame(t[:, ::-1], columns=["y_spam", "y_toxic"]).to_csv(
        HERE / "ml_y_rev.csv", index=False
    )
    peers["ml"] = F.binary_cross_entropy(t64(m), t64(t)).item()
    # categorical: classes cat,dog,pig; one-hot targets with a weight column in pig's place
    x = rng.normal(size=(4, 3))
    yc = np.array([0, 1, 2, 0])
    pd.DataFrame(x, columns=["cat", "dog", "pig"]).to_csv(HERE / "p3.csv", index=False)
    onehot = np.eye(3, dtype=int)[yc]
    pd.DataFrame(onehot, columns=["cat", "dog", "pig"]).to_csv(HERE / "t3.csv", index=False)
    pd.DataFrame({"cat": onehot[:, 0], "dog": onehot[:, 1], "weight": [1, 0, 1, 1]}).to_csv(
        HERE / "t3w.csv", index=False
    )
    pd.DataFrame(onehot, columns=["cat", "dog", "cow"]).to_csv(HERE / "t3_cow.csv", index=False)
    peers["p3"] = F.cross_entropy(t64(x), torch.tensor(yc)).item()
    # class weights / per-column factors whose header names the classes in another order
    # (pd.DataFrame([w], columns=...) of a dict or sorted names): taken by name
    pd.DataFrame([[3.0, 1.0, 2.0]], columns=["pig", "cat", "dog"]).to_csv(
        HERE / "cw_named.csv", index=False
    )
    pd.DataFrame([[3.0, 1.0, 2.0]], columns=["pig", "cat", "w"]).to_csv(
        HERE / "cw_other.csv", index=False
    )
    x3 = pd.read_csv(HERE / "p3.csv").to_numpy()  # the values cece reads
    cw = t64([1.0, 2.0, 3.0])  # cat, dog, pig
    peers["p3_weight_by_name"] = F.cross_entropy(t64(x3), t64(onehot), weight=cw).item()
    pd.DataFrame([[3.0, 1.0]], columns=["spam", "toxic"]).to_csv(HERE / "pw_named.csv", index=False)
    mr = pd.read_csv(HERE / "ml.csv").to_numpy()
    logit = t64(np.log(mr / (1 - mr)))
    pw = t64([1.0, 3.0])  # toxic, spam
    peers["ml_pos_weight_by_name"] = F.binary_cross_entropy_with_logits(
        logit, t64(t), pos_weight=pw
    ).item()
    peers["ml_rescale_by_name"] = F.binary_cross_entropy(t64(mr), t64(t), weight=pw).item()
    # a binary dump: P(positive), the label, and an integer column (a group, a fold)
    rng = np.random.default_rng(9)
    pb = rng.uniform(0.05, 0.95, 8)
    yb = rng.integers(0, 2, 8)
    dump = pd.DataFrame({"prob": pb, "label": yb, "group": rng.integers(0, 2, 8)})
    dump.to_csv(HERE / "group.csv", index=False)
    peers["group"] = log_loss(yb, pd.read_csv(HERE / "group.csv")["prob"].to_numpy())
    # both tables say which sample a row is: ids, or pandas' row index (not a RangeIndex)
    rng = np.random.default_rng(11)
    xi = rng.normal(size=(10, 3))
    yi = rng.integers(0, 3, 10)
    ids = [f"img_{i:03d}" for i in range(10)]
    scores = pd.DataFrame(xi, columns=["a", "b", "c"])
    scores.insert(0, "id", ids)
    scores.to_csv(HERE / "ids_p.csv", index=False)
    truth = pd.DataFrame({"image_id": ids, "label": yi})
    truth.to_csv(HERE / "ids_y.csv", index=False)
    truth.sample(frac=1, random_state=1).to_csv(HERE / "ids_y_shuffled.csv", index=False)
    peers["ids"] = F.cross_entropy(t64(xi), torch.tensor(yi)).item()
    order = rng.permutation(100)[:10]  # a test split's index, as train_test_split leaves it
    framed = pd.DataFrame(xi, columns=["a", "b", "c"], index=order)
    framed.to_csv(HERE / "split_p.csv")
    framed.to_parquet(HERE / "split_p.parquet")
    framed.reset_index(drop=True).to_csv(HERE / "range_p.csv")  # index 0..9
    labels = pd.Series(yi, index=order, name="label")
    labels.to_csv(HERE / "split_y.csv")
    labels.to_frame().to_parquet(HERE / "split_y.parquet")
    labels.sort_index().to_csv(HERE / "split_y_sorted.csv")
    labels.sort_index().to_frame().to_parquet(HERE / "split_y_sorted.parquet")
    sw_split = pd.Series(rng.uniform(0.5, 2, 10), index=order, name="sample_weight")
    sw_split.to_csv(HERE / "split_w.csv")
    sw_split.sort_index().to_csv(HERE / "split_w_sorted.csv")
    per = F.cross_entropy(t64(xi), torch.tensor(yi), reduction="none").numpy()
    peers["ids_weighted"] = float(np.sum(sw_split.to_numpy() * per) / np.sum(sw_split.to_numpy()))
    # predict_proba under clf.classes_ of a float target: pandas writes the header 1.0,2.0,3.0
    pf = np.random.default_rng(4).dirichlet([1, 1, 1], 8)
    pd.DataFrame(pf, columns=[1.0, 2.0, 3.0]).to_csv(HERE / "float_classes.csv", index=False)
    y123 = np.array([1, 2, 3, 1, 3, 2, 2, 1])
    y12 = np.array([1, 2, 2, 1, 1, 2, 2, 1])
    pd.Series(y123, name="y").to_csv(HERE / "y123.csv", index=False)
    pd.Series(y12, name="y").to_csv(HERE / "y12.csv", index=False)
    pf = pd.read_csv(HERE / "float_classes.csv").to_numpy()
    peers["float_classes"] = log_loss(y123, pf, labels=[1, 2, 3])
    peers["float_classes_12_by_name"] = log_loss(y12, pf, labels=[1, 2, 3])
    # text labels written without a header (np.savetxt(fmt="%s"), a shell pipeline): M, B
    pm = np.array([0.2, 0.8, 0.6, 0.3, 0.9])
    ym = np.array(["M", "B", "B", "M", "M"])
    np.savetxt(HERE / "pm.csv", pm)
    np.savetxt(HERE / "ym.csv", ym, fmt="%s")
    peers["ym"] = log_loss(ym == "M", pm)
    meta = {
        "generator": "tests/data/roles/make_cases.py",
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }
    text = json.dumps({"meta": meta, "peers": peers}, indent=1, sort_keys=True)
    (HERE / "cases.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
