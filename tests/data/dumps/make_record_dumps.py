"""Write the record-format dumps under tests/data/dumps/records/ and their reference values.

Each file is written the way the library that writes it writes it (pandas ``to_json(lines=True)``,
``json.dumps`` per line as eval harnesses do, pyarrow as Hugging Face ``datasets`` does: a
``list<float32>`` column with the ``huggingface`` schema metadata, a ``fixed_size_list``, an IPC
*stream* as ``save_to_disk`` writes it, ``pd.get_dummies`` booleans), and the reference value is
computed by scikit-learn ``log_loss`` or PyTorch ``F.cross_entropy`` /
``binary_cross_entropy_with_logits`` on the same arrays. The tests need none of these libraries.

    pip install torch==2.13.0 scikit-learn pandas pyarrow
    python tests/data/dumps/make_record_dumps.py
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import sklearn
import torch
import torch.nn.functional as F
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

HERE = Path(__file__).resolve().parent
OUT = HERE / "records"


def ce(logits: np.ndarray, labels: np.ndarray) -> float:
    """PyTorch's cross_entropy, in float64 on the stored values."""
    x = torch.from_numpy(np.asarray(logits, dtype=np.float64))
    return float(F.cross_entropy(x, torch.from_numpy(np.asarray(labels, dtype=np.int64))))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    ref: dict[str, dict] = {}

    # 1. An eval harness's JSONL: one record per sample, a list of logits and a label.
    logits = rng.normal(scale=3, size=(24, 10))
    labels = rng.integers(0, 10, 24)
    lines = [
        json.dumps({"id": i, "logits": x.tolist(), "label": int(y)})
        for i, (x, y) in enumerate(zip(logits, labels))
    ]
    text = "\n".join(lines) + "\n"
    (OUT / "eval.jsonl").write_text(text)
    with gzip.GzipFile(OUT / "eval.jsonl.gz", "wb", mtime=0) as fh:
        fh.write(text.encode())
    ref["eval.jsonl"] = {"value": ce(logits, labels), "by": "torch.nn.functional.cross_entropy"}

    # 2. Nested records with class names (dotted paths).
    names = ["cat", "dog", "pig"]
    nl = rng.normal(size=(9, 3))
    ny = rng.integers(0, 3, 9)
    with open(OUT / "nested.ndjson", "w") as fh:
        for x, y in zip(nl, ny):
            rec = {"meta": {"label": names[y]}, "outputs": {"logits": x.tolist()}}
            fh.write(json.dumps(rec) + "\n")
    ref["nested.ndjson"] = {"value": ce(nl, ny), "by": "torch.nn.functional.cross_entropy"}

    # 3. pandas records: predict_proba columns named by class, the label beside them.
    X, y = load_iris(return_X_y=True)
    clf = LogisticRegression(max_iter=500).fit(X[::2], y[::2])
    proba = clf.predict_proba(X[1::2])
    df = pd.DataFrame(proba, columns=["setosa", "versicolor", "virginica"])
    df["y"] = y[1::2]
    df.to_json(OUT / "iris_proba.jsonl", orient="records", lines=True)
    back = pd.read_json(OUT / "iris_proba.jsonl", lines=True)  # the stored doubles
    ref["iris_proba.jsonl"] = {
        "value": log_loss(back["y"], back[["setosa", "versicolor", "virginica"]].to_numpy()),
        "by": "sklearn.metrics.log_loss",
    }

    # 4. Multi-label logits and targets as lists (binary cross-entropy with logits).
    ml = rng.normal(size=(12, 4))
    mt = rng.integers(0, 2, (12, 4))
    with open(OUT / "multilabel.jsonl", "w") as fh:
        for x, t in zip(ml, mt):
            fh.write(json.dumps({"logits": x.tolist(), "labels": t.tolist()}) + "\n")
    value = F.binary_cross_entropy_with_logits(torch.from_numpy(ml), torch.from_numpy(mt * 1.0))
    ref["multilabel.jsonl"] = {
        "value": float(value),
        "by": "torch.nn.functional.binary_cross_entropy_with_logits",
    }

    # 5. Hugging Face datasets style: list<float32> logits, int64 label, schema metadata.
    hl = rng.normal(scale=2, size=(16, 5)).astype(np.float32)
    hy = rng.integers(0, 5, 16)
    features = {
        "logits": {"feature": {"dtype": "float32", "_type": "Value"}, "_type": "Sequence"},
        "label": {"names": list("abcde"), "_type": "ClassLabel"},
    }
    meta = {"huggingface": json.dumps({"info": {"features": features}})}
    table = pa.table(
        {"logits": pa.array(list(hl), type=pa.list_(pa.float32())), "label": pa.array(hy)}
    ).replace_schema_metadata(meta)
    pq.write_table(table, OUT / "hf_logits.parquet")
    feather.write_feather(table, OUT / "hf_logits.feather")
    with ipc.new_stream(OUT / "data-00000-of-00001.arrow", table.schema) as writer:
        writer.write_table(table)  # what datasets.save_to_disk writes
    fixed = pa.table(
        {"logits": pa.FixedSizeListArray.from_arrays(pa.array(hl.ravel()), 5), "label": hy}
    )
    pq.write_table(fixed, OUT / "hf_fixed.parquet")
    ref["hf_logits"] = {"value": ce(hl, hy), "by": "torch.nn.functional.cross_entropy (float64)"}

    # 6. Booleans: pd.get_dummies targets, a boolean label column (CSV and Parquet).
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.7, 0.2, 0.1]])
    cls = pd.Series(["a", "b", "c", "a"])
    pd.get_dummies(cls).to_csv(OUT / "dummies.csv", index=False)
    pd.DataFrame(probs, columns=["a", "b", "c"]).to_csv(OUT / "dummies_probs.csv", index=False)
    ref["dummies.csv"] = {
        "value": log_loss(cls, probs, labels=["a", "b", "c"]),
        "by": "sklearn.metrics.log_loss",
    }
    score = np.array([0.9, 0.2, 0.7, 0.4, 0.55])
    truth = np.array([True, False, True, False, False])
    pd.DataFrame({"score": score, "y": truth}).to_csv(OUT / "bool_labels.csv", index=False)
    pd.DataFrame({"score": score, "y": truth}).to_parquet(OUT / "bool_labels.parquet")
    ref["bool_labels"] = {"value": log_loss(truth, score), "by": "sklearn.metrics.log_loss"}

    ref["meta"] = {
        "generator": "tests/data/dumps/make_record_dumps.py",
        "versions": {
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
            "scikit-learn": sklearn.__version__,
            "torch": torch.__version__,
        },
    }
    (HERE / "records.json").write_text(json.dumps(ref, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
