"""Generate tests/data/peer_domain/cases.json: inputs at the edge of the peers' domain, with
the peers' own values (issue 12, items 3, 4, 5, 6 and 8).

Run by hand when the cases should change (the test suite only reads the stored file):

    pip install torch==2.13.0 scikit-learn scipy optax
    python tests/data/peer_domain/generate.py

Sources of truth, per group (``peer`` in each case names the call):

* ``negative-weights``: ``torch.nn.functional.cross_entropy(weight=...)`` with class weights
  drawn in [-9, 9] as PyTorch's own tests draw them (torch/testing/_internal/
  common_methods_invocations.py, ``sample_inputs_cross_entropy``: ``make_weight``), index
  targets, with and without ``ignore_index``; ``nll_loss`` for log-probabilities.
* ``counts``: ``scipy.stats.entropy(pk[, qk], base=...)``, which divides pk and qk by their
  sums (scipy/stats/_entropy.py), with counts as pk and qk.
* ``squeeze``: labels with a trailing axis of size 1 — Keras' sparse labels (N, 1) and a
  language model's (B, T, 1) — against ``F.cross_entropy`` on the squeezed labels.
* ``neg-inf``: masked logits (−inf). Index targets: ``F.cross_entropy`` (exact: a −inf class has
  probability 0; a −inf target gives inf), on the float64 value of each stored float32/float16
  input, for the fused kernels' three paths (few classes, many classes, float64); label
  smoothing (``F.cross_entropy(label_smoothing=)``: inf once a class is masked); dense targets
  with no mass on masked classes: ``optax.safe_softmax_cross_entropy`` (0·log 0 = 0;
  ``F.cross_entropy`` gives nan there); log-probabilities: ``F.nll_loss(F.log_softmax(x))``.
  Binary: ``σ(−inf) = 0`` exactly, so an element costs 0 on target 0 and inf on a target
  above 0 — the limit; the finite elements from ``F.binary_cross_entropy_with_logits``.
  (PyTorch's ``binary_cross_entropy_with_logits`` gives nan for a −inf logit whatever the
  target, and optax' ``sigmoid_binary_cross_entropy`` nan on target 0; ``peer_says`` records
  what they give.)
* ``float16-eps``: ``sklearn.metrics.log_loss`` on float16 probabilities, which clips with
  ``xp.finfo(y_proba.dtype).eps`` (sklearn/metrics/_classification.py) — float16's 2⁻¹⁰,
  −log eps = 6.93 — and computes in float16 (``sklearn``: stored at float16 precision);
  ``expected`` is the same formula in float64 on the stored float16 values.

Inputs are stored as nested lists with their dtype (``-Infinity`` for −inf: Python's json);
``args`` is the cece command line after the PREDS (and LABELS) paths.
"""

from __future__ import annotations

import json
import pathlib

import jax
import numpy as np
import optax
import scipy
import scipy.stats
import sklearn
import torch
import torch.nn.functional as F
from sklearn.metrics import log_loss

OUT = pathlib.Path(__file__).parent / "cases.json"
jax.config.update("jax_enable_x64", True)  # optax in float64, as the other peers
T = torch.float64


def tensor(x) -> torch.Tensor:
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=T)


def case(group, id_, command, preds, dtype, labels, labels_dtype, args, expected, peer, **kw):
    return {
        "group": group,
        "id": id_,
        "command": command,
        "preds": np.asarray(preds).astype(dtype).astype(np.float64).tolist(),
        "dtype": dtype,
        "labels": None if labels is None else np.asarray(labels).tolist(),
        "labels_dtype": labels_dtype,
        "args": args,
        "expected": expected,
        "peer": peer,
        **kw,
    }


def negative_weights(rng) -> list[dict]:
    out = []
    for i in range(8):
        n, c = int(rng.integers(2, 12)), int(rng.integers(2, 7))
        x = rng.standard_normal((n, c)) * 3
        y = rng.integers(0, c, n)
        w = np.round(rng.uniform(-9, 9, c), 3)
        args = ["--from", "logits", "--weight", ",".join(f"{v:g}" for v in w)]
        kw: dict = {"weight": tensor(w)}
        if i % 3 == 2:
            y[0] = -100
            kw["ignore_index"] = -100
            args += ["--ignore-index", "-100"]
        reduction = ["mean", "sum"][i % 2]
        args += ["--reduction", reduction]
        v = F.cross_entropy(tensor(x), torch.tensor(y), reduction=reduction, **kw).item()
        out.append(
            case(
                "negative-weights",
                f"ce-{i}",
                "categorical",
                x,
                "float64",
                y,
                "int64",
                args,
                v,
                f"F.cross_entropy(weight=w in [-9, 9], reduction={reduction!r})",
            )
        )
    # log-probabilities: nll_loss
    x = rng.standard_normal((6, 4))
    lp = F.log_softmax(tensor(x), 1)
    y = rng.integers(0, 4, 6)
    w = [2.0, -1.5, 0.5, -3.0]
    v = F.nll_loss(lp, torch.tensor(y), weight=tensor(w)).item()
    args = ["--from", "log-probs", "--weight", "2,-1.5,0.5,-3"]
    out.append(
        case(
            "negative-weights",
            "nll",
            "categorical",
            lp.numpy(),
            "float64",
            y,
            "int64",
            args,
            v,
            "F.nll_loss(log_softmax(x), weight=w)",
        )
    )
    return out


def counts(rng) -> list[dict]:
    out = []
    rows = [[0, 1, 2], [3, 0, 0, 5, 9], [1, 1], [10, 20, 30, 40]]
    for i, pk in enumerate(rows):
        for base, flag in ((None, "e"), (2, "2")):
            v = float(scipy.stats.entropy(pk, base=base))
            out.append(
                case(
                    "counts",
                    f"entropy-{i}-{flag}",
                    "entropy",
                    [pk],
                    "float64",
                    None,
                    None,
                    ["--from", "probs", "--renormalize", "--base", flag],
                    v,
                    f"scipy.stats.entropy({pk}, base={base})",
                )
            )
    for i in range(4):
        k = int(rng.integers(2, 7))
        pk = rng.integers(0, 9, (3, k)).astype(float)
        qk = rng.integers(1, 9, (3, k)).astype(float)
        pk[:, 0] += 1  # a positive sum
        v = [float(scipy.stats.entropy(p, q)) for p, q in zip(pk, qk)]
        out.append(
            case(
                "counts",
                f"kl-{i}",
                "kl",
                pk,
                "float64",
                qk.tolist(),
                "float64",
                ["--from", "probs", "--renormalize", "--reduction", "none"],
                v,
                "scipy.stats.entropy(pk, qk) per row",
            )
        )
    return out


def squeeze(rng) -> list[dict]:
    out = []
    x = rng.standard_normal((7, 4)) * 2
    y = rng.integers(0, 4, (7, 1))
    v = F.cross_entropy(tensor(x), torch.tensor(y[:, 0])).item()
    out.append(
        case(
            "squeeze",
            "n1",
            "categorical",
            x,
            "float64",
            y,
            "int64",
            ["--from", "logits"],
            v,
            "F.cross_entropy(x, y.squeeze(-1)) (Keras: sparse labels of shape (N, 1))",
        )
    )
    x = (rng.standard_normal((2, 5, 6)) * 2).astype(np.float32)
    y = rng.integers(0, 6, (2, 5, 1))
    v = F.cross_entropy(tensor(x.reshape(-1, 6)), torch.tensor(y.reshape(-1))).item()
    out.append(
        case(
            "squeeze",
            "btv1",
            "categorical",
            x,
            "float32",
            y,
            "int64",
            ["--from", "logits"],
            v,
            "F.cross_entropy(x.view(-1, V), y.view(-1)) for (B, T, 1) labels",
        )
    )
    return out


def neg_inf(rng) -> list[dict]:
    out = []
    for dtype in ("float64", "float32", "float16"):
        for c in (3, 10, 70, 200):
            n = 24 if c < 64 else 6  # few rows of many classes: the file stays small
            x = (rng.standard_normal((n, c)) * 3).astype(dtype).astype(np.float64)
            y = rng.integers(0, c, n)
            mask = rng.random((n, c)) < 0.4
            mask[np.arange(n), y] = False
            mask[0] = True
            mask[0, y[0]] = False  # one class left: probability 1
            x[mask] = -np.inf
            v = F.cross_entropy(tensor(x), torch.tensor(y), reduction="none").tolist()
            out.append(
                case(
                    "neg-inf",
                    f"index-{dtype}-{c}",
                    "categorical",
                    x,
                    dtype,
                    y,
                    "int64",
                    ["--from", "logits", "--reduction", "none"],
                    v,
                    "F.cross_entropy(x, y, reduction='none')",
                )
            )
            # the target masked in one row: inf
            y2 = y.copy()
            row = int(np.flatnonzero(mask[1:].any(axis=1))[0]) + 1
            y2[row] = int(np.flatnonzero(mask[row])[0])
            v = F.cross_entropy(tensor(x), torch.tensor(y2)).item()
            out.append(
                case(
                    "neg-inf",
                    f"target-masked-{dtype}-{c}",
                    "categorical",
                    x,
                    dtype,
                    y2,
                    "int64",
                    ["--from", "logits"],
                    v,
                    "F.cross_entropy(x, y) = inf",
                )
            )
    # weights and ignore_index (fused path), auto detection
    x = rng.standard_normal((8, 5)) * 2
    y = rng.integers(0, 5, 8)
    mask = rng.random((8, 5)) < 0.3
    mask[np.arange(8), y] = False
    x[mask] = -np.inf
    y[3] = -100
    w = [1.0, 2.0, 0.5, 3.0, 1.5]
    v = F.cross_entropy(tensor(x), torch.tensor(y), weight=tensor(w), ignore_index=-100).item()
    out.append(
        case(
            "neg-inf",
            "weight-ignore",
            "categorical",
            x,
            "float64",
            y,
            "int64",
            ["--weight", "1,2,0.5,3,1.5", "--ignore-index", "-100"],
            v,
            "F.cross_entropy(weight=, ignore_index=-100)",
        )
    )
    # label smoothing: every class carries target mass, so a masked one gives inf
    y = rng.integers(0, 5, 8)
    x = rng.standard_normal((8, 5))
    x[2, (y[2] + 1) % 5] = -np.inf
    v = F.cross_entropy(tensor(x), torch.tensor(y), label_smoothing=0.1).item()
    out.append(
        case(
            "neg-inf",
            "smoothing",
            "categorical",
            x,
            "float64",
            y,
            "int64",
            ["--from", "logits", "--label-smoothing", "0.1"],
            v,
            "F.cross_entropy(label_smoothing=0.1) = inf",
        )
    )
    # dense targets without mass on the masked classes: optax' safe_softmax_cross_entropy
    x = rng.standard_normal((6, 4)) * 2
    t = rng.random((6, 4))
    mask = rng.random((6, 4)) < 0.35
    mask[:, 0] = False
    x[mask] = -np.inf
    t[mask] = 0.0
    t /= t.sum(axis=1, keepdims=True)
    rows = np.asarray(optax.safe_softmax_cross_entropy(x, t), dtype=np.float64)
    out.append(
        case(
            "neg-inf",
            "dense-safe",
            "categorical",
            x,
            "float64",
            t,
            "float64",
            ["--from", "logits", "--reduction", "none"],
            rows.tolist(),
            "optax.safe_softmax_cross_entropy(x, t)",
            peer_says={"F.cross_entropy": F.cross_entropy(tensor(x), tensor(t)).item()},
        )
    )
    # log-probabilities of masked logits: nll_loss
    x = rng.standard_normal((6, 4)) * 2
    y = rng.integers(0, 4, 6)
    x[1, (y[1] + 2) % 4] = -np.inf
    x[4, (y[4] + 1) % 4] = -np.inf
    lp = F.log_softmax(tensor(x), 1)
    v = F.nll_loss(lp, torch.tensor(y)).item()
    out.append(
        case(
            "neg-inf",
            "log-probs",
            "categorical",
            lp.numpy(),
            "float64",
            y,
            "int64",
            ["--from", "log-probs"],
            v,
            "F.nll_loss(F.log_softmax(x), y)",
        )
    )
    # binary: σ(−inf) = 0
    for dtype in ("float64", "float32"):
        x = (rng.standard_normal((9, 3)) * 3).astype(dtype).astype(np.float64)
        y = (rng.random((9, 3)) < 0.5).astype(np.float64)
        y[4, 1] = 0.3  # a soft target
        x[[0, 2, 4, 7], [1, 0, 1, 2]] = -np.inf
        y[[0, 2, 7], [1, 0, 2]] = 0.0  # masked, target 0: 0
        finite = np.isfinite(x)
        el = np.zeros_like(x)
        el[finite] = F.binary_cross_entropy_with_logits(
            tensor(x[finite]), tensor(y[finite]), reduction="none"
        ).numpy()
        el[~finite & (y > 0)] = np.inf
        per_row = el.mean(axis=1)
        peer = F.binary_cross_entropy_with_logits(tensor(x), tensor(y)).item()
        out.append(
            case(
                "neg-inf",
                f"binary-{dtype}",
                "binary",
                x,
                dtype,
                y,
                "float64",
                ["--from", "logits", "--reduction", "none"],
                per_row.tolist(),
                "F.binary_cross_entropy_with_logits on finite elements; the limit "
                "(0 on target 0, inf above) on -inf",
                peer_says={
                    "F.binary_cross_entropy_with_logits": str(peer),
                    "optax.sigmoid_binary_cross_entropy": str(
                        float(np.mean(optax.sigmoid_binary_cross_entropy(x, y)))
                    ),
                },
            )
        )
        y2 = y.copy()
        y2[4, 1] = 0.0
        el[4, 1] = 0.0
        out.append(
            case(
                "neg-inf",
                f"binary-hard-{dtype}",
                "binary",
                x,
                dtype,
                y2,
                "float64",
                ["--from", "logits"],
                float(el.mean()),
                "F.binary_cross_entropy(sigmoid(x), y) (exact: no -100 clamp reached)",
                peer_says={
                    "F.binary_cross_entropy": F.binary_cross_entropy(
                        torch.sigmoid(tensor(x)), tensor(y2)
                    ).item()
                },
            )
        )
    return out


def float16_eps(rng) -> list[dict]:
    out = []
    eps = float(np.finfo(np.float16).eps)
    for i in range(4):
        n, c = int(rng.integers(3, 9)), [2, 3, 4, 5][i]
        p = rng.dirichlet(np.ones(c) * 0.3, n)
        p[0] = 0.0
        p[0, (i + 1) % c] = 1.0  # a hard 0 on the true class and a 1
        y = rng.integers(0, c, n)
        y[0] = i % c if (i % c) != (i + 1) % c else (i + 2) % c
        p16 = p.astype(np.float16)
        p64 = np.clip(p16.astype(np.float64), eps, 1 - eps)
        exact = float(np.mean(-np.log(p64[np.arange(n), y])))
        peer = float(log_loss(y, p16, labels=list(range(c))))
        out.append(
            case(
                "float16-eps",
                f"categorical-{i}",
                "categorical",
                p16,
                "float16",
                y,
                "int64",
                ["--from", "probs"],
                exact,
                "sklearn.metrics.log_loss(y, float16 probabilities)",
                sklearn=peer,
            )
        )
    p = np.array([0.0, 1.0, 0.3, 0.999, 1e-5, 0.5], np.float16)
    y = np.array([1, 0, 1, 1, 0, 0])
    p64 = np.clip(p.astype(np.float64), eps, 1 - eps)
    exact = float(np.mean(-(y * np.log(p64) + (1 - y) * np.log1p(-p64))))
    out.append(
        case(
            "float16-eps",
            "binary",
            "binary",
            p,
            "float16",
            y,
            "int64",
            ["--from", "probs"],
            exact,
            "sklearn.metrics.log_loss(y, float16 p)",
            sklearn=float(log_loss(y, p)),
        )
    )
    return out


def main() -> None:
    rng = np.random.default_rng(12)
    cases = negative_weights(rng) + counts(rng) + squeeze(rng) + neg_inf(rng) + float16_eps(rng)
    meta = {
        "generator": "tests/data/peer_domain/generate.py",
        "numpy": np.__version__,
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "scipy": scipy.__version__,
        "optax": optax.__version__,
    }
    lines = ",\n".join(json.dumps(c) for c in cases)  # one case a line: small, diffable
    OUT.write_text(f'{{"meta": {json.dumps(meta)},\n"cases": [\n{lines}\n]}}\n')
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
