"""Sweep cases of the second kind: how arrays are laid out in memory and typed on disk
(Fortran order, big-endian, float class names, dictionary columns, large lists), written as
the libraries write them. Used by make_sweep.py."""

from __future__ import annotations

import gzip
import json

import numpy as np
from make_sweep import Sweep, fitted, log_loss, torch_bce_logits, torch_ce


def edge_layouts(s: Sweep) -> None:
    import pandas as pd

    clf, X, y, names = fitted("wine", s.n)
    p, d = clf.predict_proba(X), clf.decision_function(X)
    ref, dref = log_loss(y, p), torch_ce(d, y)
    np.save(s.path("e_y.npy"), y)
    # DataFrame.to_numpy() is often Fortran-ordered: np.save keeps fortran_order=True
    df = pd.DataFrame(p)
    np.save(s.path("e_p_fortran.npy"), np.asfortranarray(p))
    np.save(s.path("e_d_fortran.npy"), np.asfortranarray(d))
    np.save(s.path("e_p_df.npy"), df.to_numpy())
    for f, r, peer in (
        ("e_p_fortran.npy", ref, "sklearn log_loss"),
        ("e_d_fortran.npy", dref, "torch cross_entropy"),
        ("e_p_df.npy", ref, "sklearn log_loss"),
    ):
        s.add(
            f"npy_layout_{f}",
            "np.save (Fortran order)",
            [f, "e_y.npy"],
            r,
            peer=peer,
            labels="e_y.npy",
            inspect=f,
        )
    np.save(s.path("e_p_be.npy"), p.astype(">f8"))
    np.save(s.path("e_y_be.npy"), y.astype(">i8"))
    s.add(
        "npy_big_endian",
        "np.save ('>f8', '>i8')",
        ["e_p_be.npy", "e_y_be.npy"],
        ref,
        peer="sklearn log_loss",
        labels="e_y_be.npy",
        inspect="e_p_be.npy",
    )
    np.savez(s.path("e_pos.npz"), d, y)
    s.add(
        "npz_positional",
        "np.savez(d, y)",
        ["e_pos.npz:arr_0", "e_pos.npz:arr_1"],
        dref,
        peer="torch cross_entropy",
    )
    np.save(s.path("e_y_int8.npy"), y.astype(np.int8))
    np.save(s.path("e_y_uint8.npy"), y.astype(np.uint8))
    for f in ("e_y_int8.npy", "e_y_uint8.npy"):
        s.add(
            f"npy_labels_{f}",
            "np.save (small integer labels)",
            ["e_p_fortran.npy", f],
            ref,
            peer="sklearn log_loss",
            labels=f,
        )
    # classes_ of a float y (a target column read as float): header 0.0,1.0,2.0
    yf = y.astype(float)
    pd.DataFrame(p, columns=[0.0, 1.0, 2.0]).to_csv(s.path("e_p_floatcols.csv"), index=False)
    pd.Series(yf, name="y").to_csv(s.path("e_y_float.csv"), index=False)
    s.add(
        "csv_float_class_names",
        "pandas to_csv (classes_ of a float y)",
        ["e_p_floatcols.csv", "e_y_float.csv"],
        ref,
        peer="sklearn log_loss",
        labels="e_y_float.csv",
        inspect="e_p_floatcols.csv",
        expect="either",
    )
    s.add(
        "csv_float_class_names_npy_labels",
        "pandas to_csv (classes_ of a float y)",
        ["e_p_floatcols.csv", "e_y.npy"],
        ref,
        peer="sklearn log_loss",
        labels="e_y.npy",
        inspect="e_p_floatcols.csv",
        expect="either",
    )
    # index_label="id", gzip compression, comment lines of np.savetxt(header=...)
    pd.DataFrame(p).to_csv(s.path("e_p_id.csv"), index_label="id")
    s.add(
        "csv_index_label_id",
        "pandas to_csv(index_label='id')",
        ["e_p_id.csv", "e_y.npy"],
        ref,
        peer="sklearn log_loss",
        labels="e_y.npy",
        inspect="e_p_id.csv",
    )
    pd.DataFrame(p).to_csv(
        s.path("e_p.csv.gz"), index=False, compression={"method": "gzip", "mtime": 0}
    )
    s.add(
        "csv_gzip",
        "pandas to_csv('p.csv.gz')",
        ["e_p.csv.gz", "e_y.npy"],
        ref,
        peer="sklearn log_loss",
        labels="e_y.npy",
        inspect="e_p.csv.gz",
    )
    np.savetxt(s.path("e_p_header.txt"), p, header="class_0 class_1 class_2")
    s.add(
        "savetxt_header_comment",
        "np.savetxt(header=...)",
        ["e_p_header.txt", "e_y.npy"],
        ref,
        peer="sklearn log_loss",
        labels="e_y.npy",
        inspect="e_p_header.txt",
    )
    np.savetxt(s.path("e_y_header.txt"), y, fmt="%d", header="label", comments="")
    s.add(
        "savetxt_labels_header",
        "np.savetxt(header='label', comments='')",
        ["e_p_fortran.npy", "e_y_header.txt"],
        ref,
        peer="sklearn log_loss",
        labels="e_y_header.txt",
    )
    # soft targets with class names (Keras-style), CSV
    K = 3
    soft = s.rng.dirichlet(np.ones(K), size=len(y))
    pd.DataFrame(d, columns=names).to_csv(s.path("e_d_named.csv"), index=False)
    pd.DataFrame(soft, columns=names).to_csv(s.path("e_soft_named.csv"), index=False)
    s.add(
        "csv_soft_targets_named",
        "pandas to_csv (soft targets)",
        ["e_d_named.csv", "e_soft_named.csv"],
        torch_ce(d, soft),
        peer="torch cross_entropy (prob targets)",
        labels="e_soft_named.csv",
        inspect="e_d_named.csv",
    )
    # Parquet: Categorical string labels (dictionary), int8 labels, y_true + y_pred ints
    ev = pd.DataFrame(p, columns=names)
    ev["y_true"] = y.astype(np.int8)
    ev["y_pred"] = p.argmax(1)
    ev.to_parquet(s.path("e_eval_ints.parquet"))
    s.add(
        "parquet_y_true_y_pred_ints",
        "pandas to_parquet (scores, y_true, y_pred)",
        ["e_eval_ints.parquet", "--label-col", "y_true"],
        ref,
        peer="sklearn log_loss",
        inspect="e_eval_ints.parquet",
    )
    cat = pd.DataFrame({"label": pd.Categorical(np.asarray(names, dtype=object)[y])})
    cat.to_parquet(s.path("e_y_categorical.parquet"))
    pd.DataFrame(p, columns=names).to_parquet(s.path("e_p_named.parquet"))
    s.add(
        "parquet_categorical_labels",
        "pandas to_parquet (Categorical labels)",
        ["e_p_named.parquet", "e_y_categorical.parquet"],
        ref,
        peer="sklearn log_loss",
        labels="e_y_categorical.parquet",
        inspect="e_p_named.parquet",
    )
    # the Categorical's categories in another order than the columns: names decide
    cat2 = pd.DataFrame(
        {"label": pd.Categorical(np.asarray(names, dtype=object)[y], categories=names[::-1])}
    )
    cat2.to_parquet(s.path("e_y_categorical_rev.parquet"))
    s.add(
        "parquet_categorical_labels_reordered",
        "pandas to_parquet (Categorical, reordered)",
        ["e_p_named.parquet", "e_y_categorical_rev.parquet"],
        ref,
        peer="sklearn log_loss",
        labels="e_y_categorical_rev.parquet",
    )
    ev2 = pd.DataFrame(p, columns=names)
    ev2["label"] = pd.Categorical(np.asarray(names, dtype=object)[y], categories=names[::-1])
    ev2.to_parquet(s.path("e_eval_categorical.parquet"))
    s.add(
        "parquet_eval_categorical_label_col",
        "pandas to_parquet (Categorical label column)",
        ["e_eval_categorical.parquet", "--label-col", "label"],
        ref,
        peer="sklearn log_loss",
        inspect="e_eval_categorical.parquet",
    )
    # a list column written by pandas (numpy arrays in cells), and pyarrow large_list
    import pyarrow as pa
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    lst = pd.DataFrame({"logits": list(d), "label": y})
    lst.to_parquet(s.path("e_pandas_list.parquet"))
    s.add(
        "parquet_pandas_list_cells",
        "pandas to_parquet (arrays in cells)",
        ["e_pandas_list.parquet"],
        dref,
        peer="torch cross_entropy",
        inspect="e_pandas_list.parquet",
    )
    big = pa.table(
        {
            "logits": pa.array(list(d), type=pa.large_list(pa.float64())),
            "label": pa.array(y.astype(np.int32)),
        }
    )
    pq.write_table(big, s.path("e_large_list.parquet"))
    s.add(
        "parquet_large_list",
        "pyarrow large_list<double>",
        ["e_large_list.parquet"],
        dref,
        peer="torch cross_entropy",
        inspect="e_large_list.parquet",
    )
    half = pa.table(
        {
            "logits": pa.FixedSizeListArray.from_arrays(pa.array(d.astype(np.float16).ravel()), K),
            "label": pa.array(y),
        }
    )
    feather.write_feather(half, s.path("e_half.feather"))
    s.add(
        "feather_fixed_list_float16",
        "pyarrow fixed_size_list<halffloat>",
        ["e_half.feather"],
        torch_ce(d.astype(np.float16).astype(np.float64), y),
        peer="torch cross_entropy",
        rtol=1e-6,
        inspect="e_half.feather",
        expect="either",
    )
    probs_list = pa.table(
        {
            "probs": pa.array(list(p), type=pa.list_(pa.float64())),
            "label": pa.array(np.asarray(names, dtype=object)[y]),
        }
    )
    pq.write_table(probs_list, s.path("e_probs_list_strlabel.parquet"))
    s.add(
        "parquet_probs_list_string_labels",
        "pyarrow list<double> + string labels",
        ["e_probs_list_strlabel.parquet", "--classes", ",".join(names)],
        ref,
        peer="sklearn log_loss",
        inspect="e_probs_list_strlabel.parquet",
        expect="either",
    )
    # JSONL: probabilities list with string labels and --classes; a dict-per-class record
    recs = [json.dumps({"probs": r.tolist(), "label": str(names[t])}) for r, t in zip(p, y)]
    s.path("e_probs.jsonl").write_text("\n".join(recs) + "\n")
    s.add(
        "jsonl_probs_string_labels",
        "json.dumps per line (probs, string label)",
        ["e_probs.jsonl", "--classes", ",".join(names)],
        ref,
        peer="sklearn log_loss",
        inspect="e_probs.jsonl",
    )
    with gzip.GzipFile(s.path("e_probs.ndjson.gz"), "wb", mtime=0) as fh:
        fh.write(("\n".join(recs) + "\n").encode())
    s.add(
        "ndjson_gz_probs",
        "json.dumps per line (.ndjson.gz)",
        ["e_probs.ndjson.gz", "--classes", ",".join(names)],
        ref,
        peer="sklearn log_loss",
    )
    # torch: log_softmax output, softmax output (float32), a transposed (non-contiguous) tensor
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(d).float()
    ty = torch.from_numpy(y)
    logp = F.log_softmax(t, dim=1)
    torch.save(logp, s.path("e_logp.pt"))
    torch.save(ty, s.path("e_y.pt"))
    s.add(
        "pt_log_softmax",
        "torch.save(F.log_softmax(x))",
        ["e_logp.pt", "e_y.pt"],
        float(F.nll_loss(logp.double(), ty)),
        peer="torch nll_loss",
        rtol=1e-6,
        labels="e_y.pt",
        inspect="e_logp.pt",
    )
    prob = F.softmax(t, dim=1)
    torch.save(prob, s.path("e_prob.pt"))
    s.add(
        "pt_softmax_float32",
        "torch.save(F.softmax(x))",
        ["e_prob.pt", "e_y.pt"],
        log_loss(y, prob.numpy()),
        peer="sklearn log_loss (float32)",
        rtol=1e-6,
        labels="e_y.pt",
        inspect="e_prob.pt",
    )
    torch.save(t.t().contiguous().t(), s.path("e_t_transposed.pt"))
    s.add(
        "pt_non_contiguous",
        "torch.save (a transposed view)",
        ["e_t_transposed.pt", "e_y.pt"],
        torch_ce(t.double().numpy(), y),
        peer="torch cross_entropy",
        rtol=1e-6,
        labels="e_y.pt",
    )
    torch.save((t, ty), s.path("e_tuple.pt"))
    s.add(
        "pt_tuple",
        "torch.save((logits, labels))",
        ["e_tuple.pt:0", "e_tuple.pt:1"],
        torch_ce(t.double().numpy(), y),
        peer="torch cross_entropy",
        rtol=1e-6,
    )
    # safetensors: probabilities F32 with I32 labels; U8 labels
    from safetensors.numpy import save_file

    save_file(
        {
            "probs": p.astype(np.float32),
            "labels": y.astype(np.int32),
            "labels_u8": y.astype(np.uint8),
        },
        str(s.path("e_probs.safetensors")),
    )
    for key in ("labels", "labels_u8"):
        s.add(
            f"safetensors_probs_{key}",
            "safetensors.numpy save_file (F32 probs)",
            ["e_probs.safetensors:probs", f"e_probs.safetensors:{key}"],
            log_loss(y, p.astype(np.float32)),
            peer="sklearn log_loss (float32)",
            rtol=1e-6,
        )
    # binary, one table: score column + label, as a scoring script writes it
    bclf, bX, by, _ = fitted("breast_cancer", s.n)
    dec = bclf.decision_function(bX)
    pd.DataFrame({"id": np.arange(len(by)) + 1000, "logit": dec, "label": by}).to_csv(
        s.path("e_bin_eval.csv"), index=False
    )
    s.add(
        "binary_eval_table",
        "pandas to_csv (id, logit, label)",
        ["e_bin_eval.csv", "--pred-cols", "logit", "--label-col", "label"],
        torch_bce_logits(dec, by),
        peer="torch BCE with logits",
        command="binary",
    )
    s.add(
        "binary_eval_table_label_only",
        "pandas to_csv (id, logit, label)",
        ["e_bin_eval.csv", "--label-col", "label"],
        torch_bce_logits(dec, by),
        peer="torch BCE with logits",
        command="binary",
        inspect="e_bin_eval.csv",
        expect="either",
    )


def named_columns(s: Sweep) -> None:
    """Target tables whose columns are the classes in another order than PREDS' columns:
    ``pd.get_dummies`` and ``MultiLabelBinarizer`` sort the names, a model's outputs need not."""
    import pandas as pd

    order = ["low", "medium", "high"]  # the model's class order, not sorted
    x = s.rng.normal(scale=2, size=(s.n, 3))
    y = s.rng.integers(0, 3, s.n)
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    ynames = np.asarray(order, dtype=object)[y]
    pd.DataFrame(p, columns=order).to_csv(s.path("n_p.csv"), index=False)
    pd.DataFrame(x, columns=order).to_csv(s.path("n_logits.csv"), index=False)
    pd.get_dummies(pd.Series(ynames)).to_csv(s.path("n_dummies.csv"), index=False)
    pd.get_dummies(pd.Series(ynames)).astype(int).to_csv(s.path("n_dummies_int.csv"))
    pd.Series(ynames, name="y").to_csv(s.path("n_y.csv"), index=False)
    ref = log_loss(ynames, p[:, np.argsort(order)])  # sklearn sorts the labels: columns too
    for t in ("n_dummies.csv", "n_dummies_int.csv", "n_y.csv"):
        s.add(
            f"named_columns_{t}",
            "pd.get_dummies (sorted) vs model order",
            ["n_p.csv", t],
            ref,
            peer="sklearn log_loss",
            labels=t,
            inspect="n_p.csv",
        )
    s.add(
        "named_columns_logits",
        "pd.get_dummies (sorted) vs model order",
        ["n_logits.csv", "n_dummies.csv"],
        torch_ce(x, y),
        peer="torch cross_entropy",
        labels="n_dummies.csv",
        inspect="n_logits.csv",
    )
    # multi-label: tags in the model's order, targets from MultiLabelBinarizer (sorted)
    tags = ["tree", "car", "dog", "cat"]
    z = s.rng.normal(scale=2, size=(s.n, 4))
    t = (s.rng.random((s.n, 4)) < 0.4).astype(int)
    pd.DataFrame(1 / (1 + np.exp(-z)), columns=tags).to_csv(s.path("n_tags_p.csv"), index=False)
    srt = sorted(tags)
    pd.DataFrame(t[:, [tags.index(k) for k in srt]], columns=srt).to_csv(
        s.path("n_tags_mlb.csv"), index=False
    )
    s.add(
        "named_columns_multilabel",
        "MultiLabelBinarizer (sorted) vs model order",
        ["n_tags_p.csv", "n_tags_mlb.csv"],
        torch_bce_logits(z, t),
        peer="torch BCE (on the sigmoid)",
        rtol=1e-7,
        command="binary",
        labels="n_tags_mlb.csv",
        inspect="n_tags_p.csv",
    )


def json_and_keras(s: Sweep) -> None:
    """JSON documents (json.dump of lists, pandas to_json orients), string label arrays, and
    Keras-style float32 outputs."""
    import pandas as pd

    clf, X, y, names = fitted("iris", s.n)
    p = clf.predict_proba(X)
    ref = log_loss(y, p)
    s.path("j_p.json").write_text(json.dumps(p.tolist()))
    s.path("j_y.json").write_text(json.dumps(y.tolist()))
    s.add(
        "json_dump_lists",
        "json.dump(p.tolist())",
        ["j_p.json", "j_y.json"],
        ref,
        peer="sklearn log_loss",
        labels="j_y.json",
        inspect="j_p.json",
    )
    s.path("j_obj.json").write_text(json.dumps({"probs": p.tolist(), "labels": y.tolist()}))
    s.add(
        "json_dump_object",
        "json.dump({'probs': ..., 'labels': ...})",
        ["j_obj.json"],
        ref,
        peer="sklearn log_loss",
        inspect="j_obj.json",
        expect="either",
    )
    df = pd.DataFrame(p, columns=names)
    df["y"] = np.asarray(names, dtype=object)[y]
    df.to_json(s.path("j_records.json"), orient="records")
    s.add(
        "pandas_to_json_records",
        "pandas to_json(orient='records')",
        ["j_records.json", "--pred-cols", ",".join(names), "--label-col", "y"],
        ref,
        peer="sklearn log_loss",
        inspect="j_records.json",
        expect="either",
    )
    df.to_json(s.path("j_columns.json"))
    s.add(
        "pandas_to_json_columns",
        "pandas to_json() (orient='columns')",
        ["j_columns.json", "--pred-cols", ",".join(names), "--label-col", "y"],
        ref,
        peer="sklearn log_loss",
        inspect="j_columns.json",
        expect="either",
    )
    np.save(s.path("j_p.npy"), p)
    np.save(s.path("j_y_str.npy"), np.asarray(names)[y])
    s.add(
        "npy_string_labels_classes",
        "np.save (string labels) + --classes",
        ["j_p.npy", "j_y_str.npy", "--classes", ",".join(names)],
        ref,
        peer="sklearn log_loss",
    )
    s.add(
        "npy_string_labels",
        "np.save (string labels)",
        ["j_p.npy", "j_y_str.npy"],
        ref,
        peer="sklearn log_loss",
        labels="j_y_str.npy",
        inspect="j_p.npy",
        expect="either",
    )
    # Keras: model.predict of a sigmoid head, (N, 1) float32, and softmax (N, C) float32
    bclf, bX, by, _ = fitted("breast_cancer", s.n)
    p1 = bclf.predict_proba(bX)[:, 1:].astype(np.float32)
    np.save(s.path("j_keras_sigmoid.npy"), p1)
    np.save(s.path("j_by.npy"), by.astype(np.float32))
    s.add(
        "keras_sigmoid_float32",
        "np.save(model.predict(X)) (N, 1) float32",
        ["j_keras_sigmoid.npy", "j_by.npy"],
        log_loss(by, p1[:, 0]),
        peer="sklearn log_loss (float32 eps)",
        rtol=1e-6,
        command="binary",
        labels="j_by.npy",
        inspect="j_keras_sigmoid.npy",
    )
    # sample weights: a column of the evaluation table, and a file
    w = s.rng.uniform(0.5, 2.0, len(y))
    ev = pd.DataFrame(p, columns=names)
    ev["y_true"], ev["weight"] = y, w
    ev.to_csv(s.path("j_eval_w.csv"), index=False)
    wref = log_loss(y, p, sample_weight=w)
    s.add(
        "sample_weight_column",
        "pandas to_csv (scores, y_true, weight)",
        ["j_eval_w.csv", "--label-col", "y_true", "--sample-weight", "weight"],
        wref,
        peer="sklearn log_loss(sample_weight=w)",
    )
    np.save(s.path("j_w.npy"), w)
    s.add(
        "sample_weight_npy",
        "np.save (weights)",
        ["j_p.npy", "j_y.json", "--sample-weight", "j_w.npy"],
        wref,
        peer="sklearn log_loss(sample_weight=w)",
    )
    pd.Series(w, name="w").to_csv(s.path("j_w.csv"), index=False)
    s.add(
        "sample_weight_csv",
        "pandas to_csv (weights)",
        ["j_p.npy", "j_y.json", "--sample-weight", "j_w.csv"],
        wref,
        peer="sklearn log_loss(sample_weight=w)",
        expect="either",
    )
    # binary: the P(class 1) column of a two-column predict_proba, chosen with --pred-cols
    pb = bclf.predict_proba(bX)
    pd.DataFrame(pb).to_csv(s.path("j_pb.csv"), index=False)
    s.add(
        "binary_pred_cols_1",
        "pandas to_csv (predict_proba, 2 columns)",
        ["j_pb.csv", "j_by.npy", "--pred-cols", "1"],
        log_loss(by, pb[:, 1]),
        peer="sklearn log_loss",
        command="binary",
    )


def hf_tokens(s: Sweep) -> None:
    """A Hugging Face dataset of a classifier's predictions keeps its token columns:
    input_ids and attention_mask (lists of integers) beside the logits and the label."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    K = 5
    x = s.rng.normal(scale=2, size=(s.n, K)).astype(np.float32)
    y = s.rng.integers(0, K, s.n)
    lengths = s.rng.integers(3, 9, s.n)
    ids = [list(map(int, s.rng.integers(0, 30000, n))) for n in lengths]
    table = pa.table(
        {
            "text": pa.array([f"review {i}" for i in range(s.n)]),
            "label": pa.array(y),
            "input_ids": pa.array(ids, type=pa.list_(pa.int32())),
            "attention_mask": pa.array([[1] * n for n in lengths], type=pa.list_(pa.int8())),
            "logits": pa.array(list(x), type=pa.list_(pa.float32())),
        }
    )
    with ipc.new_stream(s.path("hf_tokens.arrow"), table.schema) as w:
        w.write_table(table)
    pq.write_table(table, s.path("hf_tokens.parquet"))
    ref = torch_ce(x.astype(np.float64), y)
    for f in ("hf_tokens.arrow", "hf_tokens.parquet"):
        s.add(
            f"hf_token_columns_{f}",
            "datasets (input_ids, attention_mask, logits, label)",
            [f],
            ref,
            peer="torch cross_entropy",
            rtol=1e-6,
            inspect=f,
        )
        s.add(
            f"hf_token_columns_{f}_named",
            "datasets (input_ids, attention_mask, logits, label)",
            [f, "--pred-cols", "logits", "--label-col", "label"],
            ref,
            peer="torch cross_entropy",
            rtol=1e-6,
        )
