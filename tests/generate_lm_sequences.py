"""Causal-LM dumps for ``cece categorical --per-sequence / --bytes / --words`` and their
references, computed with PyTorch and lm-eval-harness' formulas.

Run by hand when the cases should change (the suite only reads the stored files):

    pip install torch==2.13.0 numpy
    python tests/generate_lm_sequences.py

Writes ``tests/data/lm_sequences/*.npy`` (the dumps) and ``tests/data/lm_sequences.json``
(the commands and the values cece must give, to 1e-6 relative).

Sources of truth:

* the token losses: Hugging Face's causal-LM recipe (transformers ``loss/loss_utils.py``,
  ``ForCausalLMLoss``; the classic ``F.cross_entropy(logits[:, :-1].reshape(-1, V),
  labels[:, 1:].reshape(-1), ignore_index=-100)``), with the attention mask applied as a data
  collator does (``labels[mask == 0] = -100``), computed by ``torch.nn.functional.cross_entropy``
  with ``reduction="none"`` in float64 on the float64 value of the stored logits (float16 and
  bfloat16: the stored values exactly, so bfloat16 is compared with the float64 value of the
  bfloat16 logits);
* per sequence: the mean of the sequence's scored token losses (``nll[b][labels[b] != -100]``
  ``.mean()``); with (B, T) sample weights ``(w * nll).sum() / w.sum()`` within the sequence,
  the weight of each label moving with it; ``sequence_mean``: the plain mean of those means
  over the sequences that have a scored token;
* bits per byte, byte and word perplexity: lm-eval-harness (EleutherAI/lm-evaluation-harness,
  commit 4e7e0d47f33bc71070c1d38394bafbb52b117163), ``lm_eval/api/metrics.py``::

      def weighted_mean(items):
          a, b = zip(*items)
          return sum(a) / sum(b)

      def weighted_perplexity(items):          # word_perplexity, byte_perplexity
          return math.exp(-weighted_mean(items))

      def bits_per_byte(items):
          return -weighted_mean(items) / math.log(2)

  applied, as ``lm_eval/tasks/wikitext/preprocess_wikitext.py`` ``process_results`` builds
  them, to one ``(loglikelihood, count)`` pair a document: the document's summed token
  log-likelihood (``-nll.sum()`` over its scored tokens) and its byte (``len(page.encode())``)
  or word (``len(re.split(r"\\s+", page))``) count — here random counts, one a sequence.
"""

from __future__ import annotations

import itertools
import json
import math
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).parent / "data"
DUMPS = HERE / "lm_sequences"
B, T, V = 5, 9, 17


# -- lm-eval-harness, lm_eval/api/metrics.py (verbatim) -------------------------------------------
def weighted_mean(items):
    a, b = zip(*items)
    return sum(a) / sum(b)


def weighted_perplexity(items):
    return math.exp(-weighted_mean(items))


def bits_per_byte(items):
    return -weighted_mean(items) / math.log(2)


# --------------------------------------------------------------------------------------------------


def token_nll(logits: torch.Tensor, labels: torch.Tensor, shift: bool) -> torch.Tensor:
    """(B, T') per-token nll in float64 (0 where ignored), HF's recipe."""
    x = logits.double()
    if shift:
        x, labels = x[:, :-1], labels[:, 1:]
    nll = F.cross_entropy(
        x.reshape(-1, x.shape[-1]), labels.reshape(-1), ignore_index=-100, reduction="none"
    )
    return nll.reshape(labels.shape), labels != -100


def references(
    nll: torch.Tensor,
    scored: torch.Tensor,
    weights: torch.Tensor | None = None,
    n_bytes=None,
    n_words=None,
    base: float = 1.0,
    row_counts: bool = True,
) -> dict:
    """What cece must report: pooled loss, per-sequence rows, sequence_mean, lm-eval's."""
    w = torch.ones_like(nll) if weights is None else weights.double()
    w = w * scored
    pooled = float((w * nll).sum() / w.sum())
    rows = []
    for b in range(nll.shape[0]):
        n = int(scored[b].sum())
        mean = float((w[b] * nll[b]).sum() / w[b].sum()) if n else None
        row = {
            "sequence": b,
            "tokens": n,
            "loss": None if mean is None else mean / base,
            "perplexity": None if mean is None else math.exp(mean),
        }
        rows.append(row)
    means = [r["loss"] for r in rows if r["loss"] is not None]
    out = {
        "loss": pooled / base,
        "count": int(scored.sum()),
        "perplexity": math.exp(pooled),
        "sequence_mean": sum(means) / len(means),
        "sequences": len(means),
        "sequences_empty": len(rows) - len(means),
        "rows": rows,
    }
    loglik = [-float(nll[b][scored[b]].sum()) for b in range(nll.shape[0])]
    if n_bytes is not None:
        items = list(zip(loglik, [int(c) for c in n_bytes]))
        out["bits_per_byte"] = bits_per_byte(items)
        out["byte_perplexity"] = weighted_perplexity(items)
        for row, (ll, c) in zip(rows if row_counts else [], items):
            row["bytes"] = c
            # a sequence with no scored token has no bits per byte of its own (cece: null);
            # its bytes stay in the pooled total, as the total given
            row["bits_per_byte"] = bits_per_byte([(ll, c)]) if row["tokens"] else None
    if n_words is not None:
        items = list(zip(loglik, [int(c) for c in n_words]))
        out["word_perplexity"] = weighted_perplexity(items)
        for row, (ll, c) in zip(rows if row_counts else [], items):
            row["words"] = c
            row["word_perplexity"] = weighted_perplexity([(ll, c)]) if row["tokens"] else None
    return out


def main() -> None:
    DUMPS.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(2026)
    logits = torch.randn(B, T, V, generator=g) * 2.5
    ids = torch.randint(0, V, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.int64)
    mask[1, 6:] = 0  # right padding
    mask[2, :3] = 0  # left padding
    mask[3, 1:] = 0  # only the first token: nothing scored after the shift (an empty sequence)
    labels = ids.clone()
    labels[mask == 0] = -100
    weights = torch.rand(B, T, generator=g).double() + 0.25
    n_bytes = torch.randint(20, 90, (B,), generator=g)
    n_words = torch.randint(3, 15, (B,), generator=g)

    f16, bf16 = logits.half(), logits.bfloat16()
    np.save(DUMPS / "logits_f32.npy", logits.numpy())
    np.save(DUMPS / "logits_f16.npy", f16.numpy())
    np.save(DUMPS / "logits_bf16_bits.npy", bf16.view(torch.int16).numpy().view(np.uint16))
    np.save(DUMPS / "ids.npy", ids.numpy())
    np.save(DUMPS / "labels.npy", labels.numpy())
    np.save(DUMPS / "mask.npy", mask.numpy())
    np.save(DUMPS / "weights.npy", weights.numpy())
    np.savetxt(DUMPS / "bytes.txt", n_bytes.numpy(), fmt="%d")
    np.savetxt(DUMPS / "words.txt", n_words.numpy(), fmt="%d")

    # a flat dump: one row a token, contiguous runs of arbitrary sequence ids (no shift)
    runs = [4, 7, 1, 6, 5]
    seq_ids = np.repeat([31, 7, 12, 900, 3], runs)
    n = int(sum(runs))
    flat = torch.randn(n, V, generator=g) * 2
    flat_y = torch.randint(0, V, (n,), generator=g)
    flat_y[[2, 5, 6]] = -100
    np.save(DUMPS / "flat_logits.npy", flat.numpy())
    np.save(DUMPS / "flat_labels.npy", flat_y.numpy())
    np.save(DUMPS / "flat_ids.npy", seq_ids)
    flat_bytes = torch.randint(10, 40, (len(runs),), generator=g)
    np.savetxt(DUMPS / "flat_bytes.txt", flat_bytes.numpy(), fmt="%d")

    masked = ["--shift", "--mask", "mask.npy"]
    cases: dict[str, tuple[list[str], dict]] = {}
    for name, x in (("f32", logits), ("f16", f16), ("bf16", bf16)):
        nll, scored = token_nll(x, labels, shift=True)
        stored = f"logits_{name}.npy" if name != "bf16" else "logits_bf16_bits.npy"
        dtype = ["--dtype", "bfloat16"] if name == "bf16" else []
        cases[f"{name}_mask_bytes_words"] = (
            [stored, "ids.npy", *masked, *dtype, "--per-sequence"]
            + ["--bytes", "bytes.txt", "--words", "words.txt"],
            references(nll, scored, n_bytes=n_bytes, n_words=n_words),
        )
    nll, scored = token_nll(logits, labels, shift=True)
    cases["f32_padded_labels"] = (
        ["logits_f32.npy", "labels.npy", "--shift", "--per-sequence"],
        references(nll, scored),
    )
    cases["f32_total_bytes"] = (
        ["logits_f32.npy", "ids.npy", *masked, "--per-sequence"]
        + ["--bytes", str(int(n_bytes.sum())), "--words", str(int(n_words.sum()))],
        references(nll, scored, n_bytes=n_bytes, n_words=n_words, row_counts=False),
    )
    cases["f32_base2"] = (
        ["logits_f32.npy", "ids.npy", *masked, "--per-sequence", "--base", "2"]
        + ["--bytes", "bytes.txt"],
        references(nll, scored, n_bytes=n_bytes, base=math.log(2)),
    )
    cases["f32_weights"] = (
        ["logits_f32.npy", "labels.npy", "--shift", "--per-sequence"]
        + ["--sample-weight", "weights.npy"],
        references(nll, scored, weights=weights[:, 1:]),
    )
    nll_u, scored_u = token_nll(logits, labels, shift=False)  # each position its own label
    cases["f32_unshifted"] = (
        ["logits_f32.npy", "labels.npy", "--ignore-index", "-100", "--per-sequence"],
        references(nll_u, scored_u),
    )
    # flat: sequences are the runs of flat_ids.npy
    nll_f = F.cross_entropy(flat.double(), flat_y, ignore_index=-100, reduction="none")
    ok = flat_y != -100
    bounds = np.cumsum([0, *runs])
    width = max(runs)
    nll_2d = torch.zeros(len(runs), width, dtype=torch.float64)
    ok_2d = torch.zeros(len(runs), width, dtype=torch.bool)
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        nll_2d[i, : b - a], ok_2d[i, : b - a] = nll_f[a:b], ok[a:b]
    flat_ref = references(nll_2d, ok_2d, n_bytes=flat_bytes)
    for row, key in zip(flat_ref["rows"], [31, 7, 12, 900, 3]):
        row["sequence"] = key
    cases["flat_ids"] = (
        ["flat_logits.npy", "flat_labels.npy", "--ignore-index", "-100", "--per-sequence"]
        + ["--sequence-ids", "flat_ids.npy", "--bytes", "flat_bytes.txt"],
        flat_ref,
    )
    out = {
        "generator": "tests/generate_lm_sequences.py",
        "versions": {"torch": torch.__version__, "numpy": np.__version__},
        "lm_eval_harness": "EleutherAI/lm-evaluation-harness@4e7e0d47f33bc71070c1d38394bafbb52b117163",
        "shape": [B, T, V],
        "cases": {name: {"args": args, **ref} for name, (args, ref) in cases.items()},
    }
    (HERE / "lm_sequences.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
