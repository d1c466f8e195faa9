"""Write oracles.json beside this file: --temperature and --top-k against their peers.

Run by hand when the cases should change (the test suite only reads the stored file):

    pip install torch==2.13.0 scikit-learn scipy
    python tests/data/temperature_topk/make_oracles.py

Sources of truth, per case (inputs stored as the exact values of their dtype; oracles computed
in float64 from those values):

* ``categorical --temperature T`` (float32, float16, float64 and bfloat16 logits; bfloat16
  oracles from the float64 value of the bfloat16 logits): ``torch.nn.functional.cross_entropy(logits / T, y,
  ignore_index=-100, label_smoothing=...)`` on (B, T, V) logits flattened to rows, as
  distillation code and Hugging Face's ``generate`` (``TemperatureLogitsWarper``:
  ``scores / temperature``) scale them; ``torch_native`` keeps PyTorch's own float32/float16
  value for the record.
* ``entropy --temperature T``: ``scipy.stats.entropy(scipy.special.softmax(x / T, axis=1),
  axis=1)``, the mean over rows.
* ``kl --temperature T``: ``scipy.special.rel_entr(softmax(p / T), softmax(q / T)).sum(1)``,
  the mean over rows, checked against ``torch.nn.functional.kl_div(log_softmax(q / T),
  log_softmax(p / T), log_target=True, reduction="batchmean")`` (Hinton et al.'s distillation
  term, without its T² factor).
* ``categorical --top-k K``: ``sklearn.metrics.top_k_accuracy_score(y, scores, k=K,
  labels=range(V))`` over the samples that are not ignored; integer-valued scores make ties
  common, so the tie rule is pinned. scikit-learn ranks with ``np.argsort(y_score, axis=1,
  kind="mergesort")[:, ::-1]`` (sklearn/metrics/_ranking.py, ``top_k_accuracy_score``, 1.9.1):
  of equal scores the higher class index ranks first (unlike ``argmax``, the first maximum).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import scipy
import sklearn
import torch
import torch.nn.functional as F
from scipy.special import rel_entr, softmax
from scipy.stats import entropy
from sklearn.metrics import top_k_accuracy_score

OUT = pathlib.Path(__file__).parent / "oracles.json"


def categorical_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    for i, (dtype, temp, smoothing) in enumerate(
        [
            ("float32", 2.0, 0.0),
            ("float32", 0.5, 0.0),
            ("float16", 0.7, 0.0),
            ("float16", 4.0, 0.0),
            ("float64", 0.05, 0.0),
            ("float32", 1.5, 0.1),
            ("float64", 3.0, 0.0),
            ("bfloat16", 0.8, 0.0),
            ("bfloat16", 2.5, 0.0),
        ]
    ):
        b, t, v = 2, int(rng.integers(3, 7)), int(rng.integers(5, 40))
        x = rng.standard_normal((b, t, v)) * float(rng.choice([1.0, 4.0]))
        # bfloat16: the values held exactly in float32 (the test writes their uint16 bits)
        bf16 = dtype == "bfloat16"
        x = torch.tensor(x).bfloat16().float().numpy() if bf16 else x.astype(dtype)
        y = rng.integers(0, v, (b, t))
        y[rng.random((b, t)) < 0.25] = -100  # Hugging Face's padding label
        y[0, 0] = 0  # at least one counted
        x64 = torch.tensor(x.astype(np.float64)).reshape(-1, v)
        yt = torch.tensor(y.reshape(-1))
        want = F.cross_entropy(x64 / temp, yt, ignore_index=-100, label_smoothing=smoothing)
        native = F.cross_entropy(
            torch.tensor(x).float().reshape(-1, v) / temp
            if dtype == "float16"
            else torch.tensor(x).reshape(-1, v) / temp,
            yt,
            ignore_index=-100,
            label_smoothing=smoothing,
        )
        per = F.cross_entropy(x64 / temp, yt, ignore_index=-100, reduction="none")
        cases.append(
            {
                "name": f"categorical-{i}-{dtype}-T{temp}",
                "dtype": dtype,
                "logits": x.astype(np.float64).tolist(),
                "labels": y.tolist(),
                "temperature": temp,
                "label_smoothing": smoothing,
                "loss": float(want),
                "per_token": None if smoothing else per.tolist(),
                "torch_native": float(native),
            }
        )
    return cases


def measure_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    for i, temp in enumerate([2.0, 0.5, 10.0, 0.25]):
        n, c = int(rng.integers(2, 9)), int(rng.integers(2, 12))
        p = rng.standard_normal((n, c)) * 3
        q = rng.standard_normal((n, c)) * 3
        sp, sq = softmax(p / temp, axis=1), softmax(q / temp, axis=1)
        kl_rows = rel_entr(sp, sq).sum(axis=1)
        kl_torch = F.kl_div(
            F.log_softmax(torch.tensor(q) / temp, 1),
            F.log_softmax(torch.tensor(p) / temp, 1),
            log_target=True,
            reduction="batchmean",
        )
        assert np.isclose(kl_rows.mean(), float(kl_torch), rtol=1e-12, atol=1e-15)
        cases.append(
            {
                "name": f"measures-{i}-T{temp}",
                "p": p.tolist(),
                "q": q.tolist(),
                "temperature": temp,
                "entropy": entropy(sp, axis=1).tolist(),
                "entropy_mean": float(entropy(sp, axis=1).mean()),
                "kl": kl_rows.tolist(),
                "kl_mean": float(kl_rows.mean()),
            }
        )
    return cases


def top_k_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    for i, (k, ties) in enumerate([(1, True), (2, True), (3, True), (5, False), (2, False)]):
        n, c = int(rng.integers(20, 60)), int(rng.integers(4, 10))
        x = rng.integers(-2, 3, (n, c)).astype(float) if ties else rng.standard_normal((n, c))
        y = rng.integers(0, c, n)
        y[rng.random(n) < 0.2] = -100
        keep = y != -100
        want = top_k_accuracy_score(y[keep], x[keep], k=k, labels=np.arange(c))
        cases.append(
            {
                "name": f"topk-{i}-k{k}{'-ties' if ties else ''}",
                "logits": x.tolist(),
                "labels": y.tolist(),
                "k": k,
                "top_k_accuracy": float(want),
                "accuracy": float(top_k_accuracy_score(y[keep], x[keep], k=1, labels=np.arange(c))),
            }
        )
    return cases


def main() -> None:
    rng = np.random.default_rng(19)
    doc = {
        "versions": {
            "torch": torch.__version__,
            "scikit-learn": sklearn.__version__,
            "scipy": scipy.__version__,
            "numpy": np.__version__,
        },
        "categorical": categorical_cases(rng),
        "measures": measure_cases(rng),
        "top_k": top_k_cases(rng),
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
