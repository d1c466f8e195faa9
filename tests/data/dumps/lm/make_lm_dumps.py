"""Causal-LM dumps for ``cece categorical --shift / --mask`` and their PyTorch references.

Run by hand when the cases should change (the suite only reads the stored files):

    pip install torch==2.13.0 safetensors
    python tests/data/dumps/lm/make_lm_dumps.py

Source of truth: Hugging Face's causal-LM loss (transformers ``src/transformers/loss/
loss_utils.py``, ``ForCausalLMLoss``: labels padded with ignore_index at the end, then
``shift_labels = labels[..., 1:]``; the same as the classic
``F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)``
of ``GPT2LMHeadModel.forward``), computed here with ``torch.nn.functional.cross_entropy`` in
float64 on the float64 upcast of the stored logits (float16 and bfloat16: the stored values
exactly). The attention mask is applied as a data collator does, ``labels[mask == 0] = -100``
before the shift; N-D sample weights as ``(w * nll).sum() / w.sum()`` over the scored tokens
(the weight of each label moves with it). ``torch_native`` keeps what PyTorch computes in the
dump's own dtype, for the record.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import safetensors
import torch
import torch.nn.functional as F
from safetensors.numpy import save_file as save_np
from safetensors.torch import save_file as save_torch

HERE = pathlib.Path(__file__).parent
B, T, V = 3, 7, 11


def hf_loss(logits: torch.Tensor, labels: torch.Tensor, ignore: int = -100) -> float:
    x = logits.double()
    return float(
        F.cross_entropy(
            x[:, :-1].reshape(-1, x.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=ignore
        )
    )


def weighted(logits: torch.Tensor, labels: torch.Tensor, w: torch.Tensor) -> float:
    x, y, w = logits.double()[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), w[:, 1:]
    nll = F.cross_entropy(x, y, ignore_index=-100, reduction="none")
    w = w.reshape(-1).double() * (y != -100)
    return float((w * nll).sum() / w.sum())


def main() -> None:
    g = torch.Generator().manual_seed(13)
    logits32 = torch.randn(B, T, V, generator=g) * 3
    ids = torch.randint(0, V, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.int64)
    mask[1, 5:] = 0  # right padding
    mask[2, :2] = 0  # left padding
    padded = ids.clone()
    padded[mask == 0] = -100  # what a data collator gives the model as labels
    weights = torch.rand(B, T, generator=g).double() + 0.25

    np.save(HERE / "ids.npy", ids.numpy())
    np.save(HERE / "labels_padded.npy", padded.numpy())
    np.save(HERE / "labels_shifted.npy", padded[:, 1:].numpy())
    np.save(HERE / "mask.npy", mask.numpy())
    np.save(HERE / "mask_shifted.npy", mask[:, 1:].numpy())
    np.save(HERE / "weights.npy", weights.numpy())
    np.save(HERE / "logits_f32.npy", logits32.numpy())
    np.save(HERE / "logits_f16.npy", logits32.half().numpy())
    save_torch(
        {"logits": logits32.bfloat16().contiguous(), "labels": padded},
        str(HERE / "dump_bf16.safetensors"),
    )
    save_np({"logits": logits32.half().numpy()}, str(HERE / "logits_f16.safetensors"))
    torch.save({"logits": logits32.bfloat16(), "labels": padded}, HERE / "dump_bf16.pt")

    f16 = logits32.half()
    bf16 = logits32.bfloat16()
    cases = {
        "f32_ids": (["logits_f32.npy", "ids.npy", "--shift"], hf_loss(logits32, ids)),
        "f32_padded": (
            ["logits_f32.npy", "labels_padded.npy", "--shift", "--ignore-index", "-100"],
            hf_loss(logits32, padded),
        ),
        "f32_mask": (
            ["logits_f32.npy", "ids.npy", "--shift", "--mask", "mask.npy"],
            hf_loss(logits32, padded),
        ),
        "f32_shifted": (
            ["logits_f32.npy", "labels_shifted.npy", "--shift"],
            hf_loss(logits32, padded),
        ),
        "f32_shifted_mask": (
            ["logits_f32.npy", "labels_shifted.npy", "--shift", "--mask", "mask.npy"],
            hf_loss(logits32, padded),
        ),
        "f32_shifted_mask_shifted": (
            ["logits_f32.npy", "labels_shifted.npy", "--shift", "--mask", "mask_shifted.npy"],
            hf_loss(logits32, padded),
        ),
        "f32_weights": (
            ["logits_f32.npy", "labels_padded.npy", "--shift", "--sample-weight", "weights.npy"],
            weighted(logits32, padded, weights),
        ),
        "f16_npy": (["logits_f16.npy", "labels_padded.npy", "--shift"], hf_loss(f16, padded)),
        "f16_safetensors": (
            ["logits_f16.safetensors:logits", "ids.npy", "--shift", "--mask", "mask.npy"],
            hf_loss(f16, padded),
        ),
        "bf16_safetensors": (
            ["dump_bf16.safetensors:logits", "dump_bf16.safetensors:labels", "--shift"],
            hf_loss(bf16, padded),
        ),
        "bf16_pt": (
            ["dump_bf16.pt:logits", "dump_bf16.pt:labels", "--shift"],
            hf_loss(bf16, padded),
        ),
        "unshifted_mask": (  # --mask alone: each position against its own label
            ["logits_f32.npy", "ids.npy", "--mask", "mask.npy"],
            float(F.cross_entropy(logits32.double().reshape(-1, V), padded.reshape(-1))),
        ),
    }
    native = {
        "f16_npy": float(
            F.cross_entropy(f16[:, :-1].reshape(-1, V).float(), padded[:, 1:].reshape(-1))
        ),
        "bf16_safetensors": float(
            F.cross_entropy(bf16[:, :-1].reshape(-1, V).float(), padded[:, 1:].reshape(-1))
        ),
    }
    scored = {
        "f32_ids": B * (T - 1),
        "unshifted_mask": int((padded != -100).sum()),
    }
    out = {
        "versions": {
            "torch": torch.__version__,
            "numpy": np.__version__,
            "safetensors": safetensors.__version__,
        },
        "shape": [B, T, V],
        "cases": {
            name: {
                "args": args,
                "reference": ref,
                "count": scored.get(name, int((padded[:, 1:] != -100).sum())),
                **({"torch_native": native[name]} if name in native else {}),
            }
            for name, (args, ref) in cases.items()
        },
    }
    (HERE / "references.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
