"""Evaluation dumps written the way pandas writes them, and the peers' losses on them.

Which columns of a PREDS table are class scores and which column an option names: the files
of the review of 2026-11-30 (findings 2, 4, 5 and 7), written here again with pandas'
defaults (``to_csv``/``to_parquet``), and each correct reading's loss from the peer:

* ``torch.nn.functional.cross_entropy`` (PyTorch 2.13.0) on the score columns a user means;
* ``sklearn.metrics.log_loss(y, p, labels=..., sample_weight=...)`` (scikit-learn 1.9.1)
  where the dump holds probabilities and weights.

Run in an environment with torch, scikit-learn, pandas and pyarrow (not needed by the tests):

    python tests/data/columns/make_cases.py

It rewrites the files beside it and ``cases.json`` (``meta`` records the versions).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import sklearn
import torch
import torch.nn.functional as F
from sklearn.metrics import log_loss

HERE = Path(__file__).resolve().parent


def ce(x: np.ndarray, y: np.ndarray) -> float:
    return F.cross_entropy(torch.tensor(x, dtype=torch.float64), torch.tensor(y)).item()


def main() -> None:
    peers: dict[str, float] = {}
    # finding 2: logits, a label, a confidence and a per-sample loss (flat.csv, flat.parquet)
    rng = np.random.default_rng(30)
    x = rng.normal(size=(6, 4))
    y = rng.integers(0, 4, 6)
    df = pd.DataFrame(x, columns=[f"logit_{i}" for i in range(4)])
    df["label"] = y
    df["confidence"] = np.exp(x).max(1) / np.exp(x).sum(1)
    df["loss"] = F.cross_entropy(torch.tensor(x), torch.tensor(y), reduction="none").numpy()
    df.to_csv(HERE / "flat.csv", index=False)
    df.to_parquet(HERE / "flat.parquet")
    peers["flat"] = ce(x, y)
    # a numbered pattern broken by a column of no known name (temp)
    df = pd.DataFrame(x, columns=[f"logit_{i}" for i in range(4)])
    df["label"] = y
    df["temp"] = rng.uniform(0.5, 2, 6)
    df.to_csv(HERE / "pattern.csv", index=False)
    # pandas' default header 0..C-1 with an extra column of no known name
    df = pd.DataFrame(x)
    df["label"] = y
    df["extra"] = rng.normal(size=6)
    df.to_csv(HERE / "default_extra.csv", index=False)
    # a 0/1 int column of no known name (flag), a bool column (ok), beside logits
    rng = np.random.default_rng(3)
    x3 = rng.normal(size=(8, 3)).astype(np.float32)
    y3 = rng.integers(0, 3, 8)
    df = pd.DataFrame(x3, columns=["cat", "dog", "pig"])
    df["label"] = y3
    hit = x3.argmax(1) == y3
    df.assign(correct=hit.astype(int)).to_csv(HERE / "dump_correct.csv", index=False)
    df.assign(flag=hit.astype(int)).to_csv(HERE / "dump_flag.csv", index=False)
    df.assign(ok=hit).to_csv(HERE / "dump_bool.csv", index=False)
    df.assign(ok=hit).to_parquet(HERE / "dump_bool.parquet")
    peers["dump"] = ce(x3.astype(np.float64), y3)
    # weights named as weights (eval3.csv), and a: b, c, y, w with b >= 0 (eval2.csv)
    rng = np.random.default_rng(0)
    xe = rng.normal(size=(6, 3))
    ye = np.array([0, 0, 1, 2, 1, 0])
    we = np.array([1.0, 2.0, 1.0, 3.0, 1.0, 2.0])
    df = pd.DataFrame(xe, columns=list("abc"))
    df["y"] = ye
    df["sample_weight"] = we
    df.to_csv(HERE / "eval3.csv", index=False)
    per = F.cross_entropy(torch.tensor(xe), torch.tensor(ye), reduction="none").numpy()
    peers["eval3_weighted"] = float(np.average(per, weights=we))  # scikit-learn's Σwℓ/Σw
    df = pd.DataFrame(np.c_[xe[:, 0], np.abs(xe[:, 1]), xe[:, 2]], columns=list("abc"))
    df["y"] = ye
    df["w"] = we
    df.to_csv(HERE / "eval2.csv", index=False)
    x2 = df[["a", "b", "c"]].to_numpy()
    per2 = F.cross_entropy(torch.tensor(x2), torch.tensor(ye), reduction="none").numpy()
    peers["eval2_weighted"] = float(np.average(per2, weights=we))
    peers["eval2_b_as_weight"] = float(
        np.average(
            F.cross_entropy(
                torch.tensor(df[["a", "c", "w"]].to_numpy()), torch.tensor(ye), reduction="none"
            ).numpy(),
            weights=df["b"].to_numpy(),
        )
    )
    # finding 4: integer class names 1..3 (UCI), then w and y
    rng = np.random.default_rng(8)
    z = rng.normal(size=(6, 3))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    yu = np.array([1, 2, 3, 3, 1, 2])
    wu = np.array([1.0, 2, 1, 3, 1, 2])
    df = pd.DataFrame(p, columns=[1, 2, 3])
    df["w"] = wu
    df["y"] = yu
    df.to_csv(HERE / "uci2.csv", index=False)
    peers["uci2_weighted"] = log_loss(yu, p, labels=[1, 2, 3], sample_weight=wu)
    peers["uci2"] = log_loss(yu, p, labels=[1, 2, 3])
    # finding 5: pandas' default index=True, the label first
    rng = np.random.default_rng(11)
    xi = rng.normal(size=(4, 5))
    yi = np.array([3, 0, 4, 1])
    df = pd.DataFrame(xi, columns=list("abcde"))
    df.insert(0, "y", yi)
    df.to_csv(HERE / "idx_dump.csv")
    peers["idx_dump"] = ce(xi, yi)
    # finding 7: a labels table (label, weight) for a two-class model
    rng = np.random.default_rng(40)
    xc = rng.normal(size=(6, 2))
    yc = rng.integers(0, 2, 6)
    wc = rng.uniform(0, 1, 6).round(2)
    pd.DataFrame(xc, columns=["neg", "pos"]).to_csv(HERE / "c2p.csv", index=False)
    pd.DataFrame({"label": yc, "weight": wc}).to_csv(HERE / "c2y.csv", index=False)
    peers["c2"] = ce(xc, yc)
    peers["c2_weighted"] = float(
        np.average(
            F.cross_entropy(torch.tensor(xc), torch.tensor(yc), reduction="none").numpy(),
            weights=wc,
        )
    )
    meta = {
        "generator": "tests/data/columns/make_cases.py",
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
        "numpy": np.__version__,
    }
    text = json.dumps({"meta": meta, "peers": peers}, indent=1, sort_keys=True)
    (HERE / "cases.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
