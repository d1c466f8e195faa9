"""Generate tests/data/categorical_oracles.json: random cases with PyTorch / scikit-learn values.

Run by hand when the cases should change (the test suite only reads the stored file):

    pip install torch==2.13.0 scikit-learn
    python tests/generate_oracles.py

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

OUT = pathlib.Path(__file__).parent / "data" / "categorical_oracles.json"


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
    case = {"id": f"r{i:03d}", "dtype": dtype, "kind": kind, "form": form,
            "preds": x.astype(np.float64).tolist(), "target": target.tolist(), "options": opts}
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
    return {"id": f"s{i:03d}", "dtype": "float64", "kind": "probs", "form": "index",
            "preds": p.tolist(), "target": y.tolist(),
            "options": {"reduction": "mean", "sample_weight": sw.tolist()},
            "expected": float(value), "source": f"sklearn {sklearn.__version__} log_loss"}


def main() -> None:
    rng = np.random.default_rng(20261122)
    cases = [make_case(rng, i) for i in range(160)]
    cases += [sklearn_case(rng, i) for i in range(20)]
    OUT.parent.mkdir(exist_ok=True)
    meta = {"generator": "tests/generate_oracles.py", "torch": torch.__version__,
            "sklearn": sklearn.__version__, "numpy": np.__version__}
    OUT.write_text(json.dumps({"meta": meta, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
