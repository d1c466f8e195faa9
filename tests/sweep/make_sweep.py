"""Write the dump sweep: every writer x layout a user meets, each with its peer's number.

Each case is written the way the library that writes it writes it (pandas ``to_csv`` /
``to_parquet``, ``np.save`` / ``np.savez`` / ``np.savetxt``, ``torch.save``, safetensors,
pyarrow Parquet / Feather / IPC stream, JSON Lines as eval harnesses write them) from a fitted
scikit-learn model or seeded PyTorch-style logits, and its reference value is computed by the
peer on the values *as stored* (read back from the file where the writer rounds):

* probabilities: ``sklearn.metrics.log_loss`` (clips with the dtype's eps, as cece does);
* logits, soft targets, ignore_index: ``torch.nn.functional.cross_entropy`` (float64 upcast);
* binary logits / multi-label: ``torch.nn.functional.binary_cross_entropy_with_logits``.

Sources relied on: scikit-learn ``sklearn/metrics/_classification.py`` (``log_loss``: eps =
``np.finfo(y_pred.dtype).eps``, labels mapped through ``LabelBinarizer`` in sorted order, the
later label positive for one column), PyTorch ``torch/nn/functional.py`` (``cross_entropy``
default ``ignore_index=-100``, mean over non-ignored targets; probability targets), pandas
``DataFrame.to_csv`` (``index=True`` by default, floats written with ``repr``), pandas
``to_parquet`` (``__index_level_0__`` for a non-range index).

    pip install torch==2.13.0 scikit-learn pandas pyarrow safetensors ml_dtypes
    python tests/sweep/make_sweep.py              # the stored subset: tests/data/sweep/
    python tests/sweep/make_sweep.py --full DIR   # the full sweep (more rows, every case)

Each case lists the command a user would type (``argv``); the driver (``drive.py``) also runs
the command ``cece inspect`` suggests for the case's PREDS file.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SUBSET = HERE.parent / "data" / "sweep"


class Sweep:
    """Collects the cases and writes the manifest."""

    def __init__(self, out: Path, n: int, seed: int = 18) -> None:
        self.out, self.n = out, n
        self.rng = np.random.default_rng(seed)
        self.cases: list[dict] = []

    def path(self, name: str) -> Path:
        return self.out / name

    def add(
        self,
        name,
        writer,
        argv,
        reference,
        *,
        peer,
        rtol=1e-9,
        expect="number",
        inspect=None,
        labels=None,
        command="categorical",
    ):
        """``expect``: "number" (must give the reference), "either" (the number or a clean
        refusal), "refuse" (no number is right: one error line)."""
        self.cases.append(
            {
                "name": name,
                "writer": writer,
                "command": command,
                "argv": list(argv),
                "reference": None if reference is None else float(reference),
                "peer": peer,
                "rtol": rtol,
                "expect": expect,
                "inspect": inspect,
                "labels": labels,
            }
        )


# --------------------------------------------------------------------------------- peers


def log_loss(y, p, labels=None, sample_weight=None):
    from sklearn.metrics import log_loss as sk

    return sk(y, p, labels=labels, sample_weight=sample_weight)


def torch_ce(x, y, **kw):
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(np.asarray(x, dtype=np.float64))
    yy = np.asarray(y)
    target = torch.from_numpy(
        yy.astype(np.int64) if yy.dtype.kind in "iub" else yy.astype(np.float64)
    )
    if t.ndim == 3 and target.ndim == 2:
        t = t.permute(0, 2, 1)
    elif t.ndim == 3:
        t, target = t.permute(0, 2, 1), target.permute(0, 2, 1)
    return float(F.cross_entropy(t, target, **kw))


def torch_bce_logits(x, y):
    import torch
    import torch.nn.functional as F

    return float(
        F.binary_cross_entropy_with_logits(
            torch.from_numpy(np.asarray(x, dtype=np.float64)),
            torch.from_numpy(np.asarray(y, dtype=np.float64)),
        )
    )


# --------------------------------------------------------------------------------- models


def fitted(dataset: str, n: int):
    from sklearn import datasets
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    data = getattr(datasets, f"load_{dataset}")()
    X, y = data.data, data.target
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=n, random_state=0, stratify=y)
    clf = LogisticRegression(max_iter=5000).fit(Xtr, ytr)
    return clf, Xte, yte, list(data.target_names)


# --------------------------------------------------------------------------------- writers


def pandas_csv(s: Sweep) -> None:
    import pandas as pd

    for ds in ("iris", "digits"):
        clf, X, y, names = fitted(ds, s.n)
        p = clf.predict_proba(X)
        ref = log_loss(y, p)
        pre = f"csv_{ds}"
        for index in (False, True):
            tag = "idx" if index else "noidx"
            pd.DataFrame(p).to_csv(s.path(f"{pre}_p_{tag}.csv"), index=index)
            pd.Series(y).to_csv(s.path(f"{pre}_y_{tag}.csv"), index=index)
            pd.Series(y, name="label").to_csv(s.path(f"{pre}_ynamed_{tag}.csv"), index=index)
            for yname in ("y", "ynamed"):
                s.add(
                    f"{pre}_p_{tag}+{yname}_{tag}",
                    "pandas to_csv",
                    [f"{pre}_p_{tag}.csv", f"{pre}_{yname}_{tag}.csv"],
                    ref,
                    peer="sklearn log_loss",
                    labels=f"{pre}_{yname}_{tag}.csv",
                    inspect=f"{pre}_p_{tag}.csv",
                )
        # a test split keeps the original row labels: index=True writes them, not 0..N-1
        df = pd.DataFrame(p, index=pd.Index(s.rng.permutation(10 * s.n)[: s.n]))
        df.to_csv(s.path(f"{pre}_p_shuffled_idx.csv"))
        pd.Series(y, index=df.index).to_csv(s.path(f"{pre}_y_shuffled_idx.csv"))
        s.add(
            f"{pre}_shuffled_index",
            "pandas to_csv (split index)",
            [f"{pre}_p_shuffled_idx.csv", f"{pre}_y_shuffled_idx.csv"],
            ref,
            peer="sklearn log_loss",
            labels=f"{pre}_y_shuffled_idx.csv",
            inspect=f"{pre}_p_shuffled_idx.csv",
        )
        # named classes (strings for iris, the estimator's integer classes_ for digits)
        cols = names if ds == "iris" else list(clf.classes_)
        ylab = np.asarray(cols, dtype=object)[y]
        pd.DataFrame(p, columns=cols).to_csv(s.path(f"{pre}_p_named.csv"), index=False)
        pd.Series(ylab, name="species").to_csv(s.path(f"{pre}_y_named.csv"), index=False)
        s.add(
            f"{pre}_class_names",
            "pandas to_csv (columns=classes_)",
            [f"{pre}_p_named.csv", f"{pre}_y_named.csv"],
            ref,
            peer="sklearn log_loss",
            labels=f"{pre}_y_named.csv",
            inspect=f"{pre}_p_named.csv",
        )
        # one evaluation table: scores, y_true, y_pred
        ev = pd.DataFrame(p, columns=[str(c) for c in cols])
        ev["y_true"], ev["y_pred"] = ylab, np.asarray(cols, dtype=object)[p.argmax(1)]
        ev.to_csv(s.path(f"{pre}_eval.csv"), index=False)
        s.add(
            f"{pre}_eval_table",
            "pandas to_csv (scores + y_true + y_pred)",
            [f"{pre}_eval.csv", "--label-col", "y_true"],
            ref,
            peer="sklearn log_loss",
            inspect=f"{pre}_eval.csv",
        )
        ev.reset_index().to_csv(s.path(f"{pre}_eval_reset.csv"), index=False)
        s.add(
            f"{pre}_eval_reset_index",
            "pandas reset_index().to_csv",
            [f"{pre}_eval_reset.csv", "--label-col", "y_true"],
            ref,
            peer="sklearn log_loss",
            inspect=f"{pre}_eval_reset.csv",
        )
        # decision_function: multinomial logits whose softmax is predict_proba
        d = clf.decision_function(X)
        pd.DataFrame(d).to_csv(s.path(f"{pre}_decision.csv"), index=False)
        s.add(
            f"{pre}_decision_function",
            "pandas to_csv (decision_function)",
            [f"{pre}_decision.csv", f"{pre}_y_noidx.csv"],
            torch_ce(d, y),
            peer="torch cross_entropy",
            labels=f"{pre}_y_noidx.csv",
            inspect=f"{pre}_decision.csv",
        )

    # integer class labels 1..K (UCI style): wine with classes 1, 2, 3
    clf, X, y, _ = fitted("wine", s.n)
    p, y1 = clf.predict_proba(X), y + 1
    ref = log_loss(y1, p, labels=[1, 2, 3])
    pd.DataFrame(p, columns=[1, 2, 3]).to_csv(s.path("csv_wine_p123.csv"), index=False)
    pd.Series(y1, name="class").to_csv(s.path("csv_wine_y123.csv"), index=False)
    pd.Series(y1).to_csv(s.path("csv_wine_y123_unnamed.csv"), index=False)
    for ylab in ("csv_wine_y123.csv", "csv_wine_y123_unnamed.csv"):
        s.add(
            f"csv_wine_classes_1_to_3 ({ylab})",
            "pandas to_csv (classes 1..K)",
            ["csv_wine_p123.csv", ylab],
            ref,
            peer="sklearn log_loss(labels=[1,2,3])",
            labels=ylab,
            inspect="csv_wine_p123.csv",
            expect="either",
        )

    # binary: breast cancer, P(class 1), bool labels, string labels, decision_function
    clf, X, y, names = fitted("breast_cancer", s.n)
    p1, d = clf.predict_proba(X)[:, 1], clf.decision_function(X)
    ref = log_loss(y, p1)
    pd.DataFrame({"p": p1}).to_csv(s.path("csv_bin_p1.csv"), index=False)
    pd.Series(p1).to_csv(s.path("csv_bin_p1_idx.csv"))
    pd.Series(y.astype(bool)).to_csv(s.path("csv_bin_ybool.csv"), index=False)
    pd.Series(y, name="target").to_csv(s.path("csv_bin_y.csv"), index=False)
    pd.Series(y).to_csv(s.path("csv_bin_y_idx.csv"))
    for preds, ylab in (
        ("csv_bin_p1.csv", "csv_bin_ybool.csv"),
        ("csv_bin_p1.csv", "csv_bin_y.csv"),
        ("csv_bin_p1_idx.csv", "csv_bin_y_idx.csv"),
    ):
        s.add(
            f"csv_binary {preds}+{ylab}",
            "pandas to_csv (binary)",
            [preds, ylab],
            ref,
            peer="sklearn log_loss",
            command="binary",
            labels=ylab,
            inspect=preds,
        )
    pd.Series(d).to_csv(s.path("csv_bin_decision.csv"), index=False)
    s.add(
        "csv_binary_decision_function",
        "pandas to_csv (decision_function)",
        ["csv_bin_decision.csv", "csv_bin_y.csv"],
        torch_bce_logits(d, y),
        peer="torch BCE with logits",
        command="binary",
        labels="csv_bin_y.csv",
        inspect="csv_bin_decision.csv",
    )
    # 1-D binary scores given to categorical: one score per sample, never N classes
    s.add(
        "csv_binary_p1_to_categorical",
        "pandas to_csv (binary p1)",
        ["csv_bin_p1.csv", "csv_bin_y.csv"],
        None,
        peer="-",
        expect="refuse",
    )
    pb = clf.predict_proba(X)
    pd.DataFrame(pb, columns=[False, True]).to_csv(s.path("csv_bin_p_bool_cols.csv"), index=False)
    s.add(
        "csv_binary_two_columns_bool_header",
        "pandas to_csv (columns=[False, True])",
        ["csv_bin_p_bool_cols.csv", "csv_bin_ybool.csv"],
        log_loss(y, pb),
        peer="sklearn log_loss",
        labels="csv_bin_ybool.csv",
        inspect="csv_bin_p_bool_cols.csv",
        expect="either",
    )
    pd.DataFrame(pb[:, ::-1], columns=[True, False]).to_csv(
        s.path("csv_bin_p_bool_cols_rev.csv"), index=False
    )
    # the header says True first: the columns are named, so a name decides, not a position
    s.add(
        "csv_binary_two_columns_bool_header_reversed",
        "pandas to_csv (columns=[True, False])",
        ["csv_bin_p_bool_cols_rev.csv", "csv_bin_ybool.csv"],
        log_loss(y, pb),
        peer="sklearn log_loss (labels by name)",
        labels="csv_bin_ybool.csv",
        expect="either",
    )
    names_arr = np.asarray(names, dtype=object)
    pd.DataFrame(pb, columns=names).to_csv(s.path("csv_bin_p_names.csv"), index=False)
    pd.Series(names_arr[y], name="diagnosis").to_csv(s.path("csv_bin_y_names.csv"), index=False)
    s.add(
        "csv_binary_two_columns_names",
        "pandas to_csv (columns=target_names)",
        ["csv_bin_p_names.csv", "csv_bin_y_names.csv"],
        log_loss(y, pb),
        peer="sklearn log_loss",
        labels="csv_bin_y_names.csv",
        inspect="csv_bin_p_names.csv",
    )
    # float_format rounding: the reference is on the values as stored
    pd.DataFrame(p1).to_csv(s.path("csv_bin_p1_g.csv"), index=False, float_format="%.6g")
    stored = pd.read_csv(s.path("csv_bin_p1_g.csv")).to_numpy()[:, 0]
    s.add(
        "csv_binary_float_format_g",
        "pandas to_csv(float_format='%.6g')",
        ["csv_bin_p1_g.csv", "csv_bin_y.csv"],
        log_loss(y, stored),
        peer="sklearn log_loss",
        command="binary",
        labels="csv_bin_y.csv",
        inspect="csv_bin_p1_g.csv",
    )


def pandas_parquet(s: Sweep) -> None:
    import pandas as pd

    clf, X, y, names = fitted("iris", s.n)
    p = clf.predict_proba(X)
    ref = log_loss(y, p)
    idx = pd.Index(s.rng.permutation(10 * s.n)[: s.n])
    variants = {
        "pq_default": pd.DataFrame(p),
        "pq_named_cols": pd.DataFrame(p, columns=names),
        "pq_split_index": pd.DataFrame(p, columns=names, index=idx),
        "pq_reset_index": pd.DataFrame(p, columns=names, index=idx).reset_index(),
    }
    for name, df in variants.items():
        df.columns = [str(c) for c in df.columns]
        df.to_parquet(s.path(f"{name}_p.parquet"))
        s.add(
            name,
            "pandas to_parquet",
            [f"{name}_p.parquet", "pq_y.parquet"],
            ref,
            peer="sklearn log_loss",
            labels="pq_y.parquet",
            inspect=f"{name}_p.parquet",
        )
    pd.DataFrame({"label": y}).to_parquet(s.path("pq_y.parquet"))
    pd.DataFrame({"label": y}, index=idx).to_parquet(s.path("pq_y_split.parquet"))
    s.add(
        "pq_split_index_both",
        "pandas to_parquet (split index)",
        ["pq_split_index_p.parquet", "pq_y_split.parquet"],
        ref,
        peer="sklearn log_loss",
        labels="pq_y_split.parquet",
    )
    ev = pd.DataFrame(p, columns=names, index=idx)
    ev["label"] = y
    ev.to_parquet(s.path("pq_eval.parquet"))
    s.add(
        "pq_eval_label_col",
        "pandas to_parquet (scores + label)",
        ["pq_eval.parquet", "--label-col", "label"],
        ref,
        peer="sklearn log_loss",
        inspect="pq_eval.parquet",
    )
    ev.reset_index().to_feather(s.path("pq_eval_reset.feather"))
    s.add(
        "feather_eval_reset_index",
        "pandas reset_index().to_feather",
        ["pq_eval_reset.feather", "--label-col", "label"],
        ref,
        peer="sklearn log_loss",
        inspect="pq_eval_reset.feather",
    )


def numpy_files(s: Sweep) -> None:
    clf, X, y, _ = fitted("wine", s.n)
    p, d = clf.predict_proba(X), clf.decision_function(X)
    ref, dref = log_loss(y, p), torch_ce(d, y)
    np.save(s.path("np_p.npy"), p)
    np.save(s.path("np_y.npy"), y)
    s.add(
        "npy_probs",
        "np.save",
        ["np_p.npy", "np_y.npy"],
        ref,
        peer="sklearn log_loss",
        labels="np_y.npy",
        inspect="np_p.npy",
    )
    p32 = p.astype(np.float32)
    np.save(s.path("np_p32.npy"), p32)
    s.add(
        "npy_probs_float32",
        "np.save (float32)",
        ["np_p32.npy", "np_y.npy"],
        log_loss(y, p32),
        peer="sklearn log_loss (float32 eps)",
        rtol=1e-6,
        labels="np_y.npy",
        inspect="np_p32.npy",
    )
    np.save(s.path("np_y_int32.npy"), y.astype(np.int32))
    np.save(s.path("np_d.npy"), d)
    s.add(
        "npy_logits_int32_labels",
        "np.save",
        ["np_d.npy", "np_y_int32.npy"],
        dref,
        peer="torch cross_entropy",
        labels="np_y_int32.npy",
        inspect="np_d.npy",
    )
    np.savez(s.path("np_one.npz"), p)
    s.add(
        "npz_single_array",
        "np.savez (arr_0)",
        ["np_one.npz", "np_y.npy"],
        ref,
        peer="sklearn log_loss",
        labels="np_y.npy",
        inspect="np_one.npz",
    )
    np.savez_compressed(s.path("np_eval.npz"), logits=d, labels=y)
    s.add(
        "npz_keys",
        "np.savez_compressed (logits, labels)",
        ["np_eval.npz:logits", "np_eval.npz:labels"],
        dref,
        peer="torch cross_entropy",
    )
    for fmt, tag in (("%.18e", "e18"), ("%g", "g")):
        np.savetxt(s.path(f"np_p_{tag}.txt"), p, fmt=fmt)
        np.savetxt(s.path(f"np_p_{tag}.csv"), p, fmt=fmt, delimiter=",")
        np.savetxt(s.path(f"np_d_{tag}.txt"), d, fmt=fmt)
        stored = np.loadtxt(s.path(f"np_p_{tag}.txt"))
        sref = log_loss(y, stored) if tag == "g" else ref
        for f in (f"np_p_{tag}.txt", f"np_p_{tag}.csv"):
            s.add(
                f"savetxt_probs_{f}",
                f"np.savetxt(fmt={fmt!r})",
                [f, "np_y.npy"],
                sref,
                peer="sklearn log_loss",
                labels="np_y.npy",
                inspect=f,
                expect="either" if tag == "g" else "number",
            )
        dstored = np.loadtxt(s.path(f"np_d_{tag}.txt"))
        s.add(
            f"savetxt_logits_{tag}",
            f"np.savetxt(fmt={fmt!r})",
            [f"np_d_{tag}.txt", "np_y.npy"],
            torch_ce(dstored, y),
            peer="torch cross_entropy",
            labels="np_y.npy",
            inspect=f"np_d_{tag}.txt",
        )
    np.savetxt(s.path("np_y_float.txt"), y)  # the default fmt: labels as 0.000000000000000000e+00
    np.savetxt(s.path("np_y_int.txt"), y, fmt="%d")
    for f in ("np_y_float.txt", "np_y_int.txt"):
        s.add(
            f"savetxt_labels_{f}",
            "np.savetxt (labels)",
            ["np_p.npy", f],
            ref,
            peer="sklearn log_loss",
            labels=f,
            expect="either" if "float" in f else "number",
        )
    # binary: 1-D P(class 1), +/-1 labels, multi-label, soft targets
    clf, X, yb, _ = fitted("breast_cancer", s.n)
    p1 = clf.predict_proba(X)[:, 1]
    np.save(s.path("np_bin_p1.npy"), p1)
    np.save(s.path("np_bin_y.npy"), yb)
    np.save(s.path("np_bin_ybool.npy"), yb.astype(bool))
    for ylab in ("np_bin_y.npy", "np_bin_ybool.npy"):
        s.add(
            f"npy_binary_{ylab}",
            "np.save (binary)",
            ["np_bin_p1.npy", ylab],
            log_loss(yb, p1),
            peer="sklearn log_loss",
            command="binary",
            labels=ylab,
            inspect="np_bin_p1.npy",
        )
    np.save(s.path("np_bin_p1_col.npy"), p1[:, None])
    s.add(
        "npy_binary_column",
        "np.save (N, 1)",
        ["np_bin_p1_col.npy", "np_bin_y.npy"],
        log_loss(yb, p1),
        peer="sklearn log_loss",
        command="binary",
        labels="np_bin_y.npy",
        inspect="np_bin_p1_col.npy",
    )
    K = 5
    x = s.rng.normal(scale=2, size=(s.n, K))
    t = (s.rng.random((s.n, K)) < 0.3).astype(np.float64)
    np.save(s.path("np_ml_logits.npy"), x)
    np.save(s.path("np_ml_targets.npy"), t)
    np.save(s.path("np_ml_targets_int.npy"), t.astype(np.int64))
    np.save(s.path("np_ml_targets_bool.npy"), t.astype(bool))
    for tf in ("np_ml_targets.npy", "np_ml_targets_int.npy", "np_ml_targets_bool.npy"):
        s.add(
            f"multilabel_{tf}",
            "np.save (multi-label)",
            ["np_ml_logits.npy", tf],
            torch_bce_logits(x, t),
            peer="torch BCE with logits",
            command="binary",
            labels=tf,
            inspect="np_ml_logits.npy",
        )
    soft = s.rng.dirichlet(np.ones(K), size=s.n)
    np.save(s.path("np_soft_targets.npy"), soft)
    s.add(
        "soft_targets_categorical",
        "np.save (soft targets)",
        ["np_ml_logits.npy", "np_soft_targets.npy"],
        torch_ce(x, soft),
        peer="torch cross_entropy (prob targets)",
        labels="np_soft_targets.npy",
    )
    tsoft = s.rng.random((s.n, K))
    np.save(s.path("np_soft_binary.npy"), tsoft)
    s.add(
        "soft_targets_binary",
        "np.save (soft binary targets)",
        ["np_ml_logits.npy", "np_soft_binary.npy"],
        torch_bce_logits(x, tsoft),
        peer="torch BCE with logits",
        command="binary",
        labels="np_soft_binary.npy",
    )
    # language model (B, T, V) with -100 padding
    B, T, V = 3, 7, 11
    lm = s.rng.normal(scale=3, size=(B, T, V)).astype(np.float32)
    tok = s.rng.integers(0, V, size=(B, T))
    tok[0, 5:], tok[2, 3:] = -100, -100
    np.save(s.path("lm_logits.npy"), lm)
    np.save(s.path("lm_labels.npy"), tok)
    lref = torch_ce(lm, tok)
    s.add(
        "lm_ignore_index",
        "np.save (B, T, V), -100 padding",
        ["lm_logits.npy", "lm_labels.npy", "--ignore-index", "-100"],
        lref,
        peer="torch cross_entropy (ignore_index=-100)",
        rtol=1e-6,
    )
    s.add(
        "lm_default_padding",
        "np.save (B, T, V), -100 padding",
        ["lm_logits.npy", "lm_labels.npy"],
        lref,
        peer="torch cross_entropy (default ignore_index=-100)",
        rtol=1e-6,
        labels="lm_labels.npy",
        inspect="lm_logits.npy",
        expect="either",
    )


def torch_files(s: Sweep) -> None:
    import torch

    x = s.rng.normal(scale=2, size=(s.n, 6)).astype(np.float32)
    y = s.rng.integers(0, 6, s.n)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    torch.save(tx, s.path("t_logits.pt"))
    torch.save(ty, s.path("t_labels.pt"))
    s.add(
        "pt_tensor",
        "torch.save (tensor)",
        ["t_logits.pt", "t_labels.pt"],
        torch_ce(x, y),
        peer="torch cross_entropy",
        rtol=1e-6,
        labels="t_labels.pt",
        inspect="t_logits.pt",
    )
    torch.save({"logits": tx, "labels": ty}, s.path("t_dict.pt"))
    s.add(
        "pt_dict",
        "torch.save (dict)",
        ["t_dict.pt:logits", "t_dict.pt:labels"],
        torch_ce(x, y),
        peer="torch cross_entropy",
        rtol=1e-6,
    )
    torch.save([tx, ty], s.path("t_list.pt"))
    s.add(
        "pt_list",
        "torch.save (list)",
        ["t_list.pt:0", "t_list.pt:1"],
        torch_ce(x, y),
        peer="torch cross_entropy",
        rtol=1e-6,
    )
    for dt, tag in ((torch.bfloat16, "bf16"), (torch.float16, "f16")):
        low = tx.to(dt)
        torch.save(low, s.path(f"t_logits_{tag}.pt"))
        up = low.float().numpy()
        s.add(
            f"pt_{tag}",
            f"torch.save ({tag})",
            [f"t_logits_{tag}.pt", "t_labels.pt"],
            torch_ce(up, y),
            peer="torch cross_entropy (float32 upcast)",
            rtol=1e-6,
            labels="t_labels.pt",
            inspect=f"t_logits_{tag}.pt",
        )
    bl = torch.from_numpy(s.rng.normal(size=s.n).astype(np.float32))
    bt = torch.from_numpy((s.rng.random(s.n) < 0.5).astype(np.float32))
    torch.save({"logits": bl, "targets": bt}, s.path("t_binary.pt"))
    s.add(
        "pt_binary_dict",
        "torch.save (binary dict)",
        ["t_binary.pt:logits", "t_binary.pt:targets"],
        torch_bce_logits(bl.numpy(), bt.numpy()),
        peer="torch BCE with logits",
        rtol=1e-6,
        command="binary",
    )


def safetensors_files(s: Sweep) -> None:
    import torch
    from safetensors.torch import save_file

    x = torch.from_numpy(s.rng.normal(scale=2, size=(s.n, 4)))
    y = torch.from_numpy(s.rng.integers(0, 4, s.n))
    for dt, tag in (
        (torch.float16, "F16"),
        (torch.bfloat16, "BF16"),
        (torch.float32, "F32"),
        (torch.float64, "F64"),
    ):
        v = x.to(dt)
        save_file({"logits": v.contiguous(), "labels": y}, s.path(f"st_{tag}.safetensors"))
        s.add(
            f"safetensors_{tag}",
            f"safetensors save_file ({tag})",
            [f"st_{tag}.safetensors:logits", f"st_{tag}.safetensors:labels"],
            torch_ce(v.double().numpy(), y.numpy()),
            peer="torch cross_entropy",
            rtol=1e-9 if tag == "F64" else 1e-6,
        )
    save_file({"logits": x.float().contiguous()}, s.path("st_single.safetensors"))
    np.save(s.path("st_labels.npy"), y.numpy())
    s.add(
        "safetensors_single",
        "safetensors save_file (one tensor)",
        ["st_single.safetensors", "st_labels.npy"],
        torch_ce(x.float().double().numpy(), y.numpy()),
        peer="torch cross_entropy",
        rtol=1e-6,
        labels="st_labels.npy",
        inspect="st_single.safetensors",
    )


def arrow_files(s: Sweep) -> None:
    import pyarrow as pa
    import pyarrow.feather as feather
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    K = 7
    x = s.rng.normal(scale=2, size=(s.n, K)).astype(np.float32)
    y = s.rng.integers(0, K, s.n)
    ref = torch_ce(x.astype(np.float64), y)
    lst = pa.array(list(x), type=pa.list_(pa.float32()))
    fixed = pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), K)
    meta = {
        b"huggingface": json.dumps(
            {
                "info": {
                    "features": {
                        "logits": {
                            "feature": {"dtype": "float32", "_type": "Value"},
                            "_type": "Sequence",
                        },
                        "label": {"names": [f"c{i}" for i in range(K)], "_type": "ClassLabel"},
                    }
                }
            }
        ).encode()
    }
    for col, tag in ((lst, "list"), (fixed, "fixed")):
        table = pa.table({"logits": col, "label": pa.array(y)}).replace_schema_metadata(meta)
        pq.write_table(table, s.path(f"ar_{tag}.parquet"))
        feather.write_feather(table, s.path(f"ar_{tag}.feather"))
        with ipc.new_stream(s.path(f"ar_{tag}_stream.arrow"), table.schema) as w:
            w.write_table(table)
        for f in (f"ar_{tag}.parquet", f"ar_{tag}.feather", f"ar_{tag}_stream.arrow"):
            s.add(
                f"arrow_{f}",
                "pyarrow (list column + label)",
                [f],
                ref,
                peer="torch cross_entropy",
                rtol=1e-6,
                inspect=f,
            )
            s.add(
                f"arrow_{f}_named",
                "pyarrow (list column + label)",
                [f, "--pred-cols", "logits", "--label-col", "label"],
                ref,
                peer="torch cross_entropy",
                rtol=1e-6,
            )
    # HF save_to_disk: a folder with state.json and data-00000-of-00001.arrow
    d = s.path("hf_ds")
    d.mkdir(exist_ok=True)
    table = pa.table(
        {"text": pa.array([f"s{i}" for i in range(s.n)]), "logits": lst, "label": pa.array(y)}
    ).replace_schema_metadata(meta)
    with ipc.new_stream(d / "data-00000-of-00001.arrow", table.schema) as w:
        w.write_table(table)
    (d / "state.json").write_text(
        json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}], "_split": None})
    )
    s.add(
        "hf_save_to_disk_dir",
        "datasets save_to_disk (folder)",
        ["hf_ds"],
        ref,
        peer="torch cross_entropy",
        rtol=1e-6,
    )
    s.add(
        "hf_save_to_disk_file",
        "datasets save_to_disk (shard)",
        ["hf_ds/data-00000-of-00001.arrow"],
        ref,
        peer="torch cross_entropy",
        rtol=1e-6,
        inspect="hf_ds/data-00000-of-00001.arrow",
    )
    # multi-label list column: list<int> labels
    t = (s.rng.random((s.n, K)) < 0.3).astype(np.int64)
    table = pa.table({"logits": lst, "labels": pa.array(list(t), type=pa.list_(pa.int64()))})
    pq.write_table(table, s.path("ar_multilabel.parquet"))
    s.add(
        "arrow_multilabel",
        "pyarrow (list logits + list labels)",
        ["ar_multilabel.parquet", "--pred-cols", "logits", "--label-col", "labels"],
        torch_bce_logits(x.astype(np.float64), t),
        peer="torch BCE with logits",
        rtol=1e-6,
        command="binary",
    )


def jsonl_files(s: Sweep) -> None:
    K = 4
    x = s.rng.normal(scale=2, size=(s.n, K))
    y = s.rng.integers(0, K, s.n)
    ref = torch_ce(x, y)
    flat = [
        json.dumps({"id": i, "logits": r.tolist(), "label": int(t)})
        for i, (r, t) in enumerate(zip(x, y))
    ]
    text = "\n".join(flat) + "\n"
    s.path("jl_flat.jsonl").write_text(text)
    with gzip.GzipFile(s.path("jl_flat.jsonl.gz"), "wb", mtime=0) as fh:
        fh.write(text.encode())
    nested = [
        json.dumps({"meta": {"id": i, "gold": int(t)}, "outputs": {"logits": r.tolist()}})
        for i, (r, t) in enumerate(zip(x, y))
    ]
    s.path("jl_nested.jsonl").write_text("\n".join(nested) + "\n")
    for f in ("jl_flat.jsonl", "jl_flat.jsonl.gz"):
        s.add(f"jsonl_{f}", "json.dumps per line", [f], ref, peer="torch cross_entropy", inspect=f)
        s.add(
            f"jsonl_{f}_named",
            "json.dumps per line",
            [f, "--pred-cols", "logits", "--label-col", "label"],
            ref,
            peer="torch cross_entropy",
        )
    s.add(
        "jsonl_nested",
        "json.dumps per line (nested)",
        ["jl_nested.jsonl", "--pred-cols", "outputs.logits", "--label-col", "meta.gold"],
        ref,
        peer="torch cross_entropy",
        inspect="jl_nested.jsonl",
    )
    # probabilities as scalar fields with string labels (pandas to_json(orient=records))
    import pandas as pd

    clf, X, yy, names = fitted("iris", s.n)
    p = clf.predict_proba(X)
    df = pd.DataFrame(p, columns=names)
    df["y"] = np.asarray(names, dtype=object)[yy]
    df.to_json(s.path("jl_proba.jsonl"), orient="records", lines=True)
    stored = pd.read_json(s.path("jl_proba.jsonl"), lines=True)[names].to_numpy()
    s.add(
        "jsonl_pandas_records",
        "pandas to_json(orient='records', lines=True)",
        ["jl_proba.jsonl", "--pred-cols", ",".join(names), "--label-col", "y"],
        log_loss(yy, stored),
        peer="sklearn log_loss",
        inspect="jl_proba.jsonl",
    )
    # multi-label records
    t = (s.rng.random((s.n, K)) < 0.4).astype(int)
    s.path("jl_multilabel.jsonl").write_text(
        "".join(
            json.dumps({"logits": r.tolist(), "labels": q.tolist()}) + "\n" for r, q in zip(x, t)
        )
    )
    s.add(
        "jsonl_multilabel",
        "json.dumps per line (multi-label)",
        ["jl_multilabel.jsonl", "--pred-cols", "logits", "--label-col", "labels"],
        torch_bce_logits(x, t),
        peer="torch BCE with logits",
        command="binary",
        inspect="jl_multilabel.jsonl",
    )


def more_layouts(s: Sweep) -> None:
    """Layouts a user meets beside the tidy ones: rounding, separators, label dtypes, masks."""
    import pandas as pd

    clf, X, y, names = fitted("iris", s.n)
    p = clf.predict_proba(X)
    ref = log_loss(y, p)
    np.save(s.path("ml_y.npy"), y)
    # to_csv(float_format='%.3f'): rows no longer sum to 1 exactly; the peer uses them as given
    pd.DataFrame(p, columns=names).to_csv(s.path("ml_p_3f.csv"), index=False, float_format="%.3f")
    stored = pd.read_csv(s.path("ml_p_3f.csv")).to_numpy()
    s.add(
        "csv_float_format_3f",
        "pandas to_csv(float_format='%.3f')",
        ["ml_p_3f.csv", "ml_y.npy"],
        log_loss(y, stored),
        peer="sklearn log_loss",
        labels="ml_y.npy",
        inspect="ml_p_3f.csv",
        expect="either",
    )
    # European CSV: sep=';', decimal=','
    pd.DataFrame(p, columns=names).to_csv(s.path("ml_p_eu.csv"), index=False, sep=";", decimal=",")
    s.add(
        "csv_decimal_comma",
        "pandas to_csv(sep=';', decimal=',')",
        ["ml_p_eu.csv", "ml_y.npy"],
        ref,
        peer="sklearn log_loss",
        labels="ml_y.npy",
        inspect="ml_p_eu.csv",
        expect="either",
    )
    # TSV
    pd.DataFrame(p, columns=names).to_csv(s.path("ml_p.tsv"), index=False, sep="\t")
    s.add(
        "tsv_named",
        "pandas to_csv(sep='\\t')",
        ["ml_p.tsv", "ml_y.npy"],
        ref,
        peer="sklearn log_loss",
        labels="ml_y.npy",
        inspect="ml_p.tsv",
    )
    # prob_0, prob_1, ... + label in one table
    ev = pd.DataFrame(p, columns=[f"prob_{i}" for i in range(p.shape[1])])
    ev["label"] = y
    ev.to_csv(s.path("ml_eval_prob_cols.csv"), index=False)
    s.add(
        "csv_prob_cols_label",
        "pandas to_csv (prob_i + label)",
        ["ml_eval_prob_cols.csv", "--label-col", "label"],
        ref,
        peer="sklearn log_loss",
        inspect="ml_eval_prob_cols.csv",
    )
    ev.to_csv(s.path("ml_eval_prob_cols_idx.csv"))
    s.add(
        "csv_prob_cols_label_index",
        "pandas to_csv (prob_i + label, index=True)",
        ["ml_eval_prob_cols_idx.csv", "--label-col", "label"],
        ref,
        peer="sklearn log_loss",
        inspect="ml_eval_prob_cols_idx.csv",
    )
    # float labels: np.save(y.astype(float)), a pandas column with NaN elsewhere writes 1.0
    np.save(s.path("ml_y_float.npy"), y.astype(np.float64))
    pd.Series(y.astype(float), name="label").to_csv(s.path("ml_y_float.csv"), index=False)
    np.save(s.path("ml_p.npy"), p)
    for f in ("ml_y_float.npy", "ml_y_float.csv"):
        s.add(
            f"float_labels_{f}",
            "float class labels",
            ["ml_p.npy", f],
            ref,
            peer="sklearn log_loss",
            labels=f,
            expect="either",
        )
    # labels as a column vector (N, 1)
    np.save(s.path("ml_y_col.npy"), y[:, None])
    s.add(
        "labels_column_vector",
        "np.save(y[:, None])",
        ["ml_p.npy", "ml_y_col.npy"],
        ref,
        peer="sklearn log_loss",
        labels="ml_y_col.npy",
        expect="either",
    )
    # one-hot targets: pd.get_dummies (bool), keras to_categorical (float32)
    pd.get_dummies(pd.Series(np.asarray(names, dtype=object)[y])).to_csv(
        s.path("ml_dummies.csv"), index=False
    )
    pd.DataFrame(p, columns=names).to_csv(s.path("ml_p_named.csv"), index=False)
    s.add(
        "onehot_get_dummies",
        "pd.get_dummies(y).to_csv",
        ["ml_p_named.csv", "ml_dummies.csv"],
        ref,
        peer="sklearn log_loss",
        labels="ml_dummies.csv",
        inspect="ml_p_named.csv",
    )
    np.save(s.path("ml_onehot.npy"), np.eye(p.shape[1], dtype=np.float32)[y])
    s.add(
        "onehot_npy_float32",
        "np.save(to_categorical(y))",
        ["ml_p.npy", "ml_onehot.npy"],
        ref,
        peer="sklearn log_loss",
        labels="ml_onehot.npy",
        inspect="ml_p.npy",
    )
    # a test subset missing a class: the peer needs labels=; the columns say which
    keep = y != 2
    pd.DataFrame(p[keep]).to_csv(s.path("ml_p_subset.csv"), index=False)
    pd.Series(y[keep]).to_csv(s.path("ml_y_subset.csv"), index=False)
    s.add(
        "csv_subset_missing_class",
        "pandas to_csv (a class absent from y)",
        ["ml_p_subset.csv", "ml_y_subset.csv"],
        log_loss(y[keep], p[keep], labels=[0, 1, 2]),
        peer="sklearn log_loss(labels=[0,1,2])",
        labels="ml_y_subset.csv",
        inspect="ml_p_subset.csv",
    )
    # labels with pandas' index, predictions without (and the reverse)
    pd.DataFrame(p).to_csv(s.path("ml_p_noidx.csv"), index=False)
    pd.Series(y).to_csv(s.path("ml_y_idx.csv"))
    pd.DataFrame(p).to_csv(s.path("ml_p_idx.csv"))
    pd.Series(y).to_csv(s.path("ml_y_noidx.csv"), index=False)
    for a, b in (("ml_p_noidx.csv", "ml_y_idx.csv"), ("ml_p_idx.csv", "ml_y_noidx.csv")):
        s.add(
            f"csv_mixed_index {a}+{b}",
            "pandas to_csv (index on one side)",
            [a, b],
            ref,
            peer="sklearn log_loss",
            labels=b,
            inspect=a,
        )
    # float32 probabilities in Parquet: the peer clips with float32's eps
    p32 = p.astype(np.float32)
    pd.DataFrame(p32, columns=names).to_parquet(s.path("ml_p32.parquet"))
    s.add(
        "parquet_float32",
        "pandas to_parquet (float32)",
        ["ml_p32.parquet", "ml_y.npy"],
        log_loss(y, p32),
        peer="sklearn log_loss (float32 eps)",
        rtol=1e-6,
        labels="ml_y.npy",
        inspect="ml_p32.parquet",
    )
    # binary: -1/+1 labels, yes/no labels
    bclf, bX, by, _ = fitted("breast_cancer", s.n)
    p1 = bclf.predict_proba(bX)[:, 1]
    np.save(s.path("ml_bin_p1.npy"), p1)
    np.save(s.path("ml_bin_ypm1.npy"), 2 * by - 1)
    s.add(
        "binary_pm1_labels",
        "np.save (labels -1/+1)",
        ["ml_bin_p1.npy", "ml_bin_ypm1.npy"],
        log_loss(2 * by - 1, p1),
        peer="sklearn log_loss",
        command="binary",
        labels="ml_bin_ypm1.npy",
        inspect="ml_bin_p1.npy",
        expect="either",
    )
    s.add(
        "binary_pm1_labels_positive",
        "np.save (labels -1/+1)",
        ["ml_bin_p1.npy", "ml_bin_ypm1.npy", "--positive", "1"],
        log_loss(2 * by - 1, p1),
        peer="sklearn log_loss",
        command="binary",
    )
    pd.Series(np.where(by == 1, "yes", "no"), name="y").to_csv(
        s.path("ml_bin_yes.csv"), index=False
    )
    s.add(
        "binary_yes_no",
        "pandas to_csv (yes/no)",
        ["ml_bin_p1.npy", "ml_bin_yes.csv", "--positive", "yes"],
        log_loss(by, p1),
        peer="sklearn log_loss",
        command="binary",
    )
    s.add(
        "binary_yes_no_no_positive",
        "pandas to_csv (yes/no)",
        ["ml_bin_p1.npy", "ml_bin_yes.csv"],
        log_loss(np.where(by == 1, "yes", "no"), p1),
        peer="sklearn log_loss",
        command="binary",
        labels="ml_bin_yes.csv",
        expect="either",
    )
    # binary two-column predict_proba given to binary (a warning), and to categorical
    pb = bclf.predict_proba(bX)
    np.save(s.path("ml_bin_p2.npy"), pb)
    np.save(s.path("ml_bin_y.npy"), by)
    s.add(
        "binary_two_columns_categorical",
        "np.save (predict_proba, 2 columns)",
        ["ml_bin_p2.npy", "ml_bin_y.npy"],
        log_loss(by, pb),
        peer="sklearn log_loss",
        labels="ml_bin_y.npy",
        inspect="ml_bin_p2.npy",
    )
    s.add(
        "binary_two_columns_to_binary",
        "np.save (predict_proba, 2 columns)",
        ["ml_bin_p2.npy", "ml_bin_y.npy"],
        None,
        peer="-",
        command="binary",
        expect="refuse",
    )
    # multi-label CSV with tag names: sigmoid probabilities + 0/1 targets with the same header
    K = 4
    logits = s.rng.normal(scale=2, size=(s.n, K))
    probs = 1 / (1 + np.exp(-logits))
    tags = ["cat", "dog", "car", "tree"]
    t = (s.rng.random((s.n, K)) < 0.4).astype(int)
    pd.DataFrame(probs, columns=tags).to_csv(s.path("ml_tags_p.csv"), index=False)
    pd.DataFrame(t, columns=tags).to_csv(s.path("ml_tags_y.csv"), index=False)
    pd.DataFrame(t.astype(bool), columns=tags).to_csv(s.path("ml_tags_ybool.csv"))
    bce = torch_bce_logits(logits, t)
    for f in ("ml_tags_y.csv", "ml_tags_ybool.csv"):
        s.add(
            f"multilabel_csv_{f}",
            "pandas to_csv (multi-label)",
            ["ml_tags_p.csv", f],
            bce,
            peer="torch BCE (on the sigmoid)",
            command="binary",
            rtol=1e-7,
            labels=f,
            inspect="ml_tags_p.csv",
        )
    # segmentation (N, C, H, W) logits and (N, H, W) masks, PyTorch's layout
    seg = s.rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    mask = s.rng.integers(0, 3, size=(2, 4, 5))
    np.save(s.path("seg_logits.npy"), seg)
    np.save(s.path("seg_mask.npy"), mask)
    import torch
    import torch.nn.functional as F

    sref = float(F.cross_entropy(torch.from_numpy(seg).double(), torch.from_numpy(mask)))
    s.add(
        "segmentation_class_axis",
        "np.save (N, C, H, W)",
        ["seg_logits.npy", "seg_mask.npy", "--class-axis", "1"],
        sref,
        peer="torch cross_entropy",
        rtol=1e-6,
    )
    s.add(
        "segmentation_default",
        "np.save (N, C, H, W)",
        ["seg_logits.npy", "seg_mask.npy"],
        sref,
        peer="torch cross_entropy",
        rtol=1e-6,
        labels="seg_mask.npy",
        inspect="seg_logits.npy",
        expect="either",
    )
    # LM logits in bfloat16 through torch.save, labels with -100
    lm = torch.from_numpy(s.rng.normal(scale=3, size=(2, 5, 9))).to(torch.bfloat16)
    tok = torch.from_numpy(s.rng.integers(0, 9, size=(2, 5)))
    tok[1, 3:] = -100
    torch.save({"logits": lm, "labels": tok}, s.path("lm_bf16.pt"))
    s.add(
        "lm_bf16_pt_ignore",
        "torch.save (B, T, V) bfloat16, -100 padding",
        ["lm_bf16.pt:logits", "lm_bf16.pt:labels", "--ignore-index", "-100"],
        float(F.cross_entropy(lm.double().permute(0, 2, 1), tok)),
        peer="torch cross_entropy",
        rtol=1e-6,
    )


def write(out: Path, n: int) -> Sweep:
    import pandas
    import pyarrow
    import safetensors
    import sklearn
    import torch
    from writers_edge import (
        edge_layouts,
        hf_tokens,
        json_and_keras,
        named_columns,
    )  # beside this file; it imports the helpers above

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    s = Sweep(out, n)
    for part in (
        pandas_csv,
        pandas_parquet,
        numpy_files,
        torch_files,
        safetensors_files,
        arrow_files,
        jsonl_files,
        more_layouts,
        edge_layouts,
        named_columns,
        json_and_keras,
        hf_tokens,
    ):
        part(s)
    versions = {
        m.__name__: m.__version__ for m in (np, pandas, pyarrow, safetensors, sklearn, torch)
    }
    meta = {
        "generator": "tests/sweep/make_sweep.py",
        "rows": n,
        "versions": versions,
        "python": sys.version.split()[0],
    }
    (out / "cases.json").write_text(json.dumps({"meta": meta, "cases": s.cases}, indent=1) + "\n")
    return s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", metavar="DIR", help="write the full sweep (more rows) into DIR")
    ap.add_argument("--rows", type=int, default=None)
    a = ap.parse_args()
    out = Path(a.full) if a.full else SUBSET
    s = write(out, a.rows or (120 if a.full else 24))
    print(f"{len(s.cases)} cases in {out}")


if __name__ == "__main__":
    main()
