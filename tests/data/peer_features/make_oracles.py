"""Generate tests/data/peer_features/oracles.json: the peers' values for the options of issue 12
items 7, 9, 10 and 11 (KL precision, --rescale, per-element --pos-weight, --elementwise,
kl --sample-weight, the library's class_axis).

Run by hand when the cases should change (the test suite only reads the stored file):

    pip install torch==2.13.0 keras==3.15.1 scipy numpy
    KERAS_BACKEND=torch python tests/data/peer_features/make_oracles.py

Sources of truth, per case (all in float64, on the case's exact input values):

* ``kl_precision``: ``scipy.special.rel_entr`` (SciPy ≥ 1.15 computes each term as
  ``x·log1p((x − y)/y)`` when x/y is in (1/2, 2): xsf ``include/xsf/convex_analysis.h``) and
  ``scipy.stats.entropy(p, q, axis=1)``; the mpmath value at 50 digits, for the record;
* ``bernoulli_kl``: ``rel_entr(y, p) + rel_entr(1 − y, 1 − p)`` for soft binary targets;
* ``kl_div``: ``torch.nn.functional.kl_div(log q, p, reduction=...)`` (``none``, ``sum``,
  ``mean``: the mean over every element, ``batchmean``: the sum over the batch size, which is
  cece's default row mean); logits through ``log_softmax``/``softmax``;
* ``kl_weighted``: ``numpy.average(scipy.stats.entropy(p, q, axis=1), weights=w)``;
* ``bce_rescale``: ``torch.nn.functional.binary_cross_entropy[_with_logits](weight=W)`` with W
  per element (N, K), per column (K,) and per row (N, 1) (PyTorch broadcasting), reductions
  ``none``/``sum``/``mean``; ``keras.losses.BinaryCrossentropy(sample_weight=(N,))`` for the
  per-row rescaling Keras does;
* ``bce_pos_weight``: ``binary_cross_entropy_with_logits(pos_weight=P)`` with P (N, K);
* ``bce_rank3``: the same on (N, d1, d2) logits, with ``weight=``/``pos_weight=`` of shapes
  that broadcast against the array: (d2,), (d1, d2), (N, d1, d2), (1, d1, 1);
* ``ce_rescale``: ``keras.losses.SparseCategoricalCrossentropy`` /
  ``CategoricalCrossentropy(from_logits=True)`` with ``sample_weight`` (N,), and
  ``(F.cross_entropy(reduction="none") * r)`` reduced;
* ``ce_class_axis``: ``torch.nn.functional.cross_entropy`` on (N, C, d1[, d2]) logits with
  index targets (N, d1, ...) and dense probability targets of the predictions' shape.
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import mpmath
import numpy as np
import scipy
import torch
import torch.nn.functional as F
from scipy.special import rel_entr
from scipy.stats import entropy

keras.config.set_floatx("float64")  # Keras' torch backend still reduces in float32 here:
# its values are stored as it gives them and compared at float32's tolerance (1e-6)
OUT = pathlib.Path(__file__).parent / "oracles.json"
T = torch.float64


def t(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=T)


def probs(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    x = rng.random((n, k)) + 0.05
    return x / x.sum(axis=1, keepdims=True)


def kl_precision(rng: np.random.Generator) -> list[dict]:
    pairs = [([[0.9456657713430001]], [[0.9456657713430094]])]  # issue 12, item 7
    for _ in range(6):
        p = probs(rng, 3, 4)
        q = p * (1 + rng.standard_normal(p.shape) * 10.0 ** -float(rng.integers(6, 13)))
        pairs.append((p.tolist(), q.tolist()))
    pairs.append(([[1e-300, 0.5, 0.0]], [[1e-5, 0.25, 0.3]]))  # ratio underflow, p = 0
    pairs.append(([[0.3, 0.7]], [[1e-310, 0.7]]))  # x / y overflows: log x − log y
    mpmath.mp.dps = 50
    out = []
    for p, q in pairs:
        pa, qa = np.asarray(p), np.asarray(q)
        exact = [
            [
                float(mpmath.mpf(a) * mpmath.log(mpmath.mpf(a) / mpmath.mpf(b))) if a > 0 else 0.0
                for a, b in zip(rp, rq)
            ]
            for rp, rq in zip(pa.tolist(), qa.tolist())
        ]
        out.append(
            {
                "p": p,
                "q": q,
                "rel_entr": rel_entr(pa, qa).tolist(),
                "row_sums": rel_entr(pa, qa).sum(axis=1).tolist(),
                "mpmath_terms": exact,
            }
        )
    return out


def bernoulli_kl(rng: np.random.Generator) -> list[dict]:
    """Soft binary targets y against probabilities p close to them: the KL excess of each
    element, rel_entr(y, p) + rel_entr(1 − y, 1 − p), and its mean (cece binary's stats.kl)."""
    out = []
    for _ in range(3):
        y = np.round(rng.uniform(0.05, 0.95, (3, 2)), 6)
        p = y * (1 + rng.standard_normal(y.shape) * 1e-5)  # KL ~ 1e-11
        kl = rel_entr(y, p) + rel_entr(1 - y, 1 - p)
        out.append(
            {
                "preds": p.tolist(),
                "targets": y.tolist(),
                "kl": kl.tolist(),
                "mean": float(kl.mean()),
            }
        )
    return out


def kl_div(rng: np.random.Generator) -> list[dict]:
    out = []
    for i in range(6):
        n, c = int(rng.integers(1, 6)), int(rng.integers(2, 6))
        kind = "logits" if i % 2 else "probs"
        if kind == "probs":
            p, q = probs(rng, n, c), probs(rng, n, c)
            if i == 2:
                p[0, 0] = 0.0  # 0 · log 0 = 0 (torch's xlogy)
            lp_q, tp = torch.log(t(q)), t(p)
        else:
            p, q = rng.standard_normal((n, c)) * 2, rng.standard_normal((n, c)) * 2
            lp_q, tp = F.log_softmax(t(q), 1), F.softmax(t(p), 1)
        out.append(
            {
                "p": p.tolist(),
                "q": q.tolist(),
                "kind": kind,
                **{
                    r: F.kl_div(lp_q, tp, reduction=r).numpy().tolist()
                    for r in ("none", "sum", "mean", "batchmean")
                },
            }
        )
    return out


def kl_weighted(rng: np.random.Generator) -> list[dict]:
    out = []
    for _ in range(4):
        n, c = int(rng.integers(2, 7)), int(rng.integers(2, 5))
        p, q = probs(rng, n, c), probs(rng, n, c)
        w = np.round(rng.uniform(0, 3, n), 3)
        out.append(
            {
                "p": p.tolist(),
                "q": q.tolist(),
                "w": w.tolist(),
                "mean": float(np.average(entropy(p, q, axis=1), weights=w)),
                "sum": float(np.sum(w * entropy(p, q, axis=1))),
            }
        )
    return out


def bce_rescale(rng: np.random.Generator) -> list[dict]:
    out = []
    shapes = [
        ("element", 4, 3, (4, 3)),
        ("column", 4, 3, (3,)),
        ("row", 4, 3, (4, 1)),
        ("element", 5, 1, (5, 1)),
        ("vector", 5, 0, (5,)),  # 1-D predictions (N,), one weight per sample
    ]
    for i, (per, n, k, wshape) in enumerate(shapes * 2):
        kind = "logits" if i >= len(shapes) else "probs"
        x = rng.standard_normal((n, k) if k else (n,)) * 2
        if kind == "probs":
            x = 1 / (1 + np.exp(-x))
        y = (rng.random(x.shape) < 0.5).astype(float)
        if i % 3 == 1:
            y = np.round(rng.random(x.shape), 2)  # soft targets
        w = np.round(rng.uniform(0.1, 3, wshape), 3)
        f = F.binary_cross_entropy if kind == "probs" else F.binary_cross_entropy_with_logits
        case = {"preds": x.tolist(), "targets": y.tolist(), "kind": kind, "per": per}
        case["weight"] = w.tolist()
        for r in ("none", "sum", "mean"):
            case[r] = f(t(x), t(y), weight=t(w), reduction=r).numpy().tolist()
        out.append(case)
    # Keras: sample_weight (N,) scales each sample's mean over K; the mean divides by N
    for kind in ("probs", "logits"):
        n, k = 5, 3
        x = rng.standard_normal((n, k)) * 2
        if kind == "probs":
            x = 1 / (1 + np.exp(-x))
        y = (rng.random((n, k)) < 0.5).astype(float)
        w = np.round(rng.uniform(0.1, 3, n), 3)
        loss = keras.losses.BinaryCrossentropy(from_logits=kind == "logits", dtype="float64")
        # Keras clips probabilities with its epsilon (1e-7); keep them inside it
        out.append(
            {
                "preds": x.tolist(),
                "targets": y.tolist(),
                "kind": kind,
                "per": "keras-row",
                "weight": w.tolist(),
                "keras_mean": float(loss(y, x, sample_weight=w)),
            }
        )
    return out


def bce_rank3(rng: np.random.Generator) -> list[dict]:
    """(N, d1, d2) inputs: weight= and pos_weight= broadcast against the array's own shape."""
    out = []
    for wshape in [(4,), (3, 4), (2, 3, 4), (1, 3, 1)]:
        x = rng.standard_normal((2, 3, 4)) * 2
        y = (rng.random((2, 3, 4)) < 0.5).astype(float)
        w = np.round(rng.uniform(0.1, 3, wshape), 3)
        case = {"preds": x.tolist(), "targets": y.tolist(), "weight": w.tolist()}
        for r in ("none", "sum", "mean"):
            v = F.binary_cross_entropy_with_logits(t(x), t(y), weight=t(w), reduction=r)
            case[r] = v.numpy().tolist()
            v = F.binary_cross_entropy_with_logits(t(x), t(y), pos_weight=t(w), reduction=r)
            case["pos_weight_" + r] = v.numpy().tolist()
        out.append(case)
    return out


def bce_pos_weight(rng: np.random.Generator) -> list[dict]:
    out = []
    for _ in range(3):
        n, k = int(rng.integers(2, 6)), int(rng.integers(2, 4))
        x = rng.standard_normal((n, k)) * 2
        y = (rng.random((n, k)) < 0.5).astype(float)
        pw = np.round(rng.uniform(0.2, 4, (n, k)), 3)
        case = {"preds": x.tolist(), "targets": y.tolist(), "pos_weight": pw.tolist()}
        for r in ("none", "sum", "mean"):
            v = F.binary_cross_entropy_with_logits(t(x), t(y), pos_weight=t(pw), reduction=r)
            case[r] = v.numpy().tolist()
        out.append(case)
    return out


def ce_rescale(rng: np.random.Generator) -> list[dict]:
    out = []
    for i in range(4):
        n, c = int(rng.integers(2, 7)), int(rng.integers(2, 5))
        x = rng.standard_normal((n, c)) * 2
        r = np.round(rng.uniform(0.1, 3, n), 3)
        dense = i % 2 == 1
        if dense:
            y = probs(rng, n, c)
            keras_loss = keras.losses.CategoricalCrossentropy(from_logits=True, dtype="float64")
            none = F.cross_entropy(t(x), t(y), reduction="none").numpy()
        else:
            y = rng.integers(0, c, n)
            keras_loss = keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, dtype="float64"
            )
            none = F.cross_entropy(t(x), torch.tensor(y), reduction="none").numpy()
        out.append(
            {
                "preds": x.tolist(),
                "targets": y.tolist(),
                "rescale": r.tolist(),
                "keras_mean": float(keras_loss(y, x, sample_weight=r)),
                "none": (none * r).tolist(),
                "sum": float((t(none) * t(r)).sum()),
                "mean": float((t(none) * t(r)).mean()),
            }
        )
    return out


def ce_class_axis(rng: np.random.Generator) -> list[dict]:
    out = []
    for shape in [(2, 3, 4), (2, 4, 3, 2), (1, 3, 3)]:
        x = rng.standard_normal(shape) * 2
        n, c, rest = shape[0], shape[1], shape[2:]
        y = rng.integers(0, c, (n, *rest))
        soft = rng.random(shape) + 0.05
        soft = soft / soft.sum(axis=1, keepdims=True)
        for form, target in (("index", torch.tensor(y)), ("soft", t(soft))):
            case = {
                "preds": x.tolist(),
                "targets": (y if form == "index" else soft).tolist(),
                "form": form,
            }
            for r in ("none", "sum", "mean"):
                case[r] = F.cross_entropy(t(x), target, reduction=r).numpy().tolist()
            out.append(case)
    return out


def main() -> None:
    rng = np.random.default_rng(20261130)
    doc = {
        "meta": {
            "generator": "tests/data/peer_features/make_oracles.py",
            "versions": {
                "torch": torch.__version__,
                "keras": keras.__version__,
                "scipy": scipy.__version__,
                "numpy": np.__version__,
                "mpmath": mpmath.__version__,
            },
        },
        "kl_precision": kl_precision(rng),
        "kl_div": kl_div(rng),
        "kl_weighted": kl_weighted(rng),
        "bce_rescale": bce_rescale(rng),
        "bce_pos_weight": bce_pos_weight(rng),
        "bce_rank3": bce_rank3(rng),
        "ce_rescale": ce_rescale(rng),
        "ce_class_axis": ce_class_axis(rng),
        "bernoulli_kl": bernoulli_kl(rng),
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
