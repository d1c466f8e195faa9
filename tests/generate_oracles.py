"""Generate tests/data/*_oracles.json: random cases with PyTorch / Keras / scikit-learn values.

Run by hand when the cases should change (the test suite only reads the stored files):

    pip install torch==2.13.0 scikit-learn keras==3.15.1
    KERAS_BACKEND=torch python tests/generate_oracles.py

categorical_oracles.json:

Sources of truth, per case:
* logits, any target form: ``torch.nn.functional.cross_entropy`` (weight, ignore_index,
  label_smoothing, reduction), evaluated in float64 on the case's exact input values;
* probabilities are first clipped to [eps, 1 − eps] as cece does (eps = the dtype's machine
  epsilon unless the case sets ``eps``; half the probability cases use eps = 0, no clip);
* probabilities / log-probabilities, index targets without smoothing:
  ``torch.nn.functional.nll_loss(log p)`` (used as given, no renormalisation);
  with smoothing or dense targets (float64 cases only): ``cross_entropy(log p)``, whose
  log_softmax renormalisation moves float64 rows that sum to 1 by ~1e-16 at most;
* sample weights (probabilities, index targets): ``sklearn.metrics.log_loss(sample_weight=)``.
Float32 cases store the float32 values; the oracle is computed in float64 from them, and
``torch_f32`` keeps what PyTorch computes natively in float32, for the record.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import sklearn
import torch
import torch.nn.functional as F
from sklearn.metrics import log_loss

DATA = pathlib.Path(__file__).parent / "data"
OUT = DATA / "categorical_oracles.json"


def make_case(rng: np.random.Generator, i: int) -> dict:
    n, c = int(rng.integers(1, 25)), int(rng.integers(2, 9))
    dtype = ["float32", "float64"][i % 2]
    kind = ["logits", "logits", "probs", "log-probs"][int(rng.integers(0, 4))]
    form = ["index", "index", "one-hot", "soft"][int(rng.integers(0, 4))]
    scale = float(rng.choice([0.5, 3.0, 30.0]))
    logits = rng.standard_normal((n, c)) * scale
    if kind == "logits":
        x = logits.astype(dtype)
    else:
        lp = torch.log_softmax(torch.tensor(logits), 1).numpy()
        x = (np.exp(lp) if kind == "probs" else lp).astype(dtype)
    y = rng.integers(0, c, n)
    opts: dict = {"reduction": str(rng.choice(["mean", "sum", "none"]))}
    if kind == "probs" and rng.random() < 0.5:
        opts["eps"] = 0.0  # no clipping: PyTorch's own behaviour
    if rng.random() < 0.5:
        opts["weight"] = np.round(rng.uniform(0.2, 3.0, c), 3).tolist()
    if kind != "logits" and dtype == "float32":
        # PyTorch has no "as given" path for probabilities with smoothing or dense targets
        # (cross_entropy renormalises through log_softmax, which moves float32 rows that sum
        # to 1 ± 1e-7); nll_loss, used as given, covers float32 probabilities exactly.
        form = "index"
    elif rng.random() < 0.4:
        opts["label_smoothing"] = float(np.round(rng.uniform(0.01, 0.4), 3))
    if form == "index":
        if rng.random() < 0.4 and n > 1:
            ii = int(rng.choice([-100, -1, c - 1]))
            y[rng.random(n) < 0.3] = ii
            opts["ignore_index"] = ii
        target = y
    elif form == "one-hot":
        target = np.eye(c)[y]
    else:
        target = np.exp(torch.log_softmax(torch.tensor(rng.standard_normal((n, c))), 1).numpy())
    case = {
        "id": f"r{i:03d}",
        "dtype": dtype,
        "kind": kind,
        "form": form,
        "preds": x.astype(np.float64).tolist(),
        "target": target.tolist(),
        "options": opts,
    }
    case["expected"] = torch_value(x, target, kind, form, opts)
    case["torch_f32"] = torch_value(x, target, kind, form, opts, native=True)
    return case


def torch_value(x, target, kind, form, opts, native=False):
    dt = torch.float32 if native and x.dtype == np.float32 else torch.float64
    inp = torch.tensor(x.astype(np.float64), dtype=dt)
    weight = None if "weight" not in opts else torch.tensor(opts["weight"], dtype=dt)
    smooth = opts.get("label_smoothing", 0.0)
    kw = {"weight": weight, "reduction": opts["reduction"]}
    if "ignore_index" in opts:
        kw["ignore_index"] = opts["ignore_index"]
    tgt = torch.tensor(target) if form == "index" else torch.tensor(target, dtype=dt)
    if kind == "logits":
        out = F.cross_entropy(inp, tgt, label_smoothing=smooth, **kw)
    else:
        if kind == "probs":  # cece's clip to [eps, 1 - eps], eps = machine epsilon by default
            eps = opts.get("eps", float(np.finfo(x.dtype).eps))
            inp = inp.clamp(eps, 1 - eps) if eps > 0 else inp
        logp = torch.log(inp) if kind == "probs" else inp
        if form == "index" and not smooth:
            out = F.nll_loss(logp, tgt, **kw)
        else:
            logp = logp - torch.logsumexp(logp, 1, keepdim=True)  # rows normalised in float64
            out = F.cross_entropy(logp, tgt, label_smoothing=smooth, **kw)
    return out.double().tolist()


def sklearn_case(rng: np.random.Generator, i: int) -> dict:
    n, c = int(rng.integers(2, 30)), int(rng.integers(2, 7))
    p = np.exp(torch.log_softmax(torch.tensor(rng.standard_normal((n, c)) * 2), 1).numpy())
    y = rng.integers(0, c, n)
    sw = np.round(rng.uniform(0.0, 4.0, n), 3)
    value = log_loss(y, p, sample_weight=sw, labels=list(range(c)))
    return {
        "id": f"s{i:03d}",
        "dtype": "float64",
        "kind": "probs",
        "form": "index",
        "preds": p.tolist(),
        "target": y.tolist(),
        "options": {"reduction": "mean", "sample_weight": sw.tolist()},
        "expected": float(value),
        "source": f"sklearn {sklearn.__version__} log_loss",
    }


# -- binary ---------------------------------------------------------------------------------------
#
# binary_oracles.json:
# * PyTorch: ``binary_cross_entropy_with_logits`` (pos_weight scalar or per column; logits up to
#   ±1e4) and ``binary_cross_entropy`` on probabilities clipped to [eps, 1 − eps] as cece does;
#   PyTorch's ``reduction="none"`` is element-wise, so per-sample values are its means over K;
# * Keras 3 (float64): ``BinaryCrossentropy(label_smoothing, from_logits=True)`` and
#   ``BinaryFocalCrossentropy(gamma, alpha, apply_class_balancing, label_smoothing)`` on
#   probabilities inside (1e-7, 1 − 1e-7), with cece's --eps set to Keras' 1e-7;
# * scikit-learn: ``log_loss(y, p, sample_weight=)`` for one column of probabilities.


def binary_torch_case(rng: np.random.Generator, i: int) -> dict:
    n, k = int(rng.integers(1, 30)), int(rng.choice([1, 1, 2, 5, 16, 64]))
    dtype = ["float32", "float64"][i % 2]
    kind = ["logits", "logits", "probs"][int(rng.integers(0, 3))]
    scale = float(rng.choice([1.0, 10.0, 1e4])) if kind == "logits" else 3.0
    x = rng.standard_normal((n, k)) * scale
    if kind == "probs":
        x = 1 / (1 + np.exp(-x))
    x = x.astype(dtype)
    soft = rng.random() < 0.4
    y = rng.random((n, k)) if soft else rng.integers(0, 2, (n, k)).astype(float)
    opts: dict = {"reduction": str(rng.choice(["mean", "sum", "none"]))}
    if kind == "logits" and rng.random() < 0.5:
        pw = rng.uniform(0.2, 4.0, k) if rng.random() < 0.5 else [float(rng.uniform(0.2, 4))]
        opts["pos_weight"] = np.round(pw, 3).tolist()
    inp = torch.tensor(x.astype(np.float64))
    tgt = torch.tensor(y)
    if kind == "logits":
        pw = (
            None
            if "pos_weight" not in opts
            else torch.tensor(opts["pos_weight"], dtype=torch.float64)
        )
        out = F.binary_cross_entropy_with_logits(inp, tgt, pos_weight=pw, reduction="none")
    else:
        eps = float(np.finfo(x.dtype).eps)
        out = F.binary_cross_entropy(inp.clamp(eps, 1 - eps), tgt, reduction="none")
    expected = {"none": out.mean(1), "mean": out.mean(), "sum": out.sum()}[opts["reduction"]]
    return {
        "id": f"t{i:03d}",
        "dtype": dtype,
        "kind": kind,
        "preds": x.astype(float).tolist(),
        "target": y.tolist(),
        "options": opts,
        "expected": expected.double().tolist(),
        "source": f"torch {torch.__version__}",
    }


def binary_keras_case(rng: np.random.Generator, i: int) -> dict:
    import keras

    keras.config.set_floatx("float64")
    n, k = int(rng.integers(1, 20)), int(rng.choice([1, 3, 8]))
    soft = rng.random() < 0.5
    y = rng.random((n, k)) if soft else rng.integers(0, 2, (n, k)).astype(float)
    smoothing = float(np.round(rng.uniform(0, 0.3), 3)) if rng.random() < 0.6 else 0.0
    opts: dict = {"reduction": "none"}
    if smoothing:
        opts["label_smoothing"] = smoothing
    if i % 2 == 0:  # plain BCE from logits: label smoothing only
        x = rng.standard_normal((n, k)) * 4
        loss = keras.losses.BinaryCrossentropy(
            from_logits=True, label_smoothing=smoothing, reduction=None
        )
        kind = "logits"
    else:  # focal loss on probabilities inside Keras' clip
        x = np.clip(1 / (1 + np.exp(-rng.standard_normal((n, k)) * 3)), 1e-6, 1 - 1e-6)
        gamma = float(rng.choice([0.0, 0.5, 2.0, 3.0]))
        balance = bool(rng.random() < 0.5)
        alpha = float(np.round(rng.uniform(0.1, 0.9), 3))
        loss = keras.losses.BinaryFocalCrossentropy(
            gamma=gamma,
            alpha=alpha,
            apply_class_balancing=balance,
            label_smoothing=smoothing,
            reduction=None,
        )
        opts.update({"focal_gamma": gamma, "eps": 1e-7})
        if balance:
            opts["focal_alpha"] = alpha
        kind = "probs"
    value = np.asarray(loss(y, x), dtype=np.float64)
    return {
        "id": f"k{i:03d}",
        "dtype": "float64",
        "kind": kind,
        "preds": x.tolist(),
        "target": y.tolist(),
        "options": opts,
        "expected": value.tolist(),
        "source": f"keras {keras.__version__} ({keras.backend.backend()} backend)",
    }


def binary_sklearn_case(rng: np.random.Generator, i: int) -> dict:
    n = int(rng.integers(2, 40))
    p = 1 / (1 + np.exp(-rng.standard_normal(n) * 2))
    y = rng.integers(0, 2, n)
    sw = np.round(rng.uniform(0, 4, n), 3)
    value = log_loss(y, p, sample_weight=sw, labels=[0, 1])
    return {
        "id": f"b{i:03d}",
        "dtype": "float64",
        "kind": "probs",
        "preds": p.tolist(),
        "target": y.astype(float).tolist(),
        "options": {"reduction": "mean", "sample_weight": sw.tolist()},
        "expected": float(value),
        "source": f"sklearn {sklearn.__version__} log_loss",
    }


def write(path: pathlib.Path, cases: list[dict], **versions) -> None:
    meta = {"generator": "tests/generate_oracles.py", "numpy": np.__version__, **versions}
    path.write_text(json.dumps({"meta": meta, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"wrote {len(cases)} cases to {path}")


def main() -> None:
    rng = np.random.default_rng(20261122)
    DATA.mkdir(exist_ok=True)
    cases = [make_case(rng, i) for i in range(160)]
    cases += [sklearn_case(rng, i) for i in range(20)]
    write(OUT, cases, torch=torch.__version__, sklearn=sklearn.__version__)
    rng = np.random.default_rng(20261123)
    cases = [binary_torch_case(rng, i) for i in range(120)]
    cases += [binary_keras_case(rng, i) for i in range(60)]
    cases += [binary_sklearn_case(rng, i) for i in range(15)]
    write(DATA / "binary_oracles.json", cases, torch=torch.__version__, sklearn=sklearn.__version__)


if __name__ == "__main__":
    main()
