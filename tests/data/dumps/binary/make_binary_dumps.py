"""Build the binary-format dumps under tests/data/dumps/binary/ and their reference values.

Each file is written the way the library that writes it writes it (PyTorch's ``torch.save``,
``safetensors``' ``save_file``, ``np.save`` of ``ml_dtypes.bfloat16`` arrays, NumPy bit dumps
of bfloat16 tensors), and each case's reference loss is computed by PyTorch
(``torch.nn.functional.cross_entropy`` / ``binary_cross_entropy_with_logits``) on the float32
upcast of the stored values, in float64 so the comparison tolerance (1e-6 relative) is the
dtype's, not the reference's. Library versions are recorded in ``references.json``.

Run from the repository root with torch, safetensors and ml_dtypes installed:
``python tests/data/dumps/binary/make_binary_dumps.py``. The suite only reads the files.
"""

from __future__ import annotations

import collections
import fractions
import json
import platform
from pathlib import Path

import ml_dtypes
import numpy as np
import safetensors
import torch
import torch.nn.functional as F
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file

HERE = Path(__file__).parent


def ce(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """PyTorch's cross_entropy on the float32 upcast (the values cece reads), in float64."""
    return F.cross_entropy(
        logits.float().double().reshape(-1, logits.shape[-1]), labels.reshape(-1)
    ).item()


def main() -> None:
    g = torch.Generator().manual_seed(11)
    logits = torch.randn(12, 5, generator=g) * 4  # a classifier's logits
    labels = torch.randint(0, 5, (12,), generator=g)
    bf = logits.bfloat16()
    lm = (torch.randn(2, 3, 7, generator=g) * 3).bfloat16()  # (batch, tokens, vocab)
    lm_labels = torch.randint(0, 7, (2, 3), generator=g)
    bin_logits = (torch.randn(10, generator=g) * 2).bfloat16()
    bin_targets = torch.randint(0, 2, (10,), generator=g).float()
    refs: dict[str, dict] = {}

    def case(name: str, args: list[str], value: float, how: str) -> None:
        refs[name] = {"args": args, "reference": value, "source": how}

    np.save(HERE / "labels.npy", labels.numpy())
    np.save(HERE / "lm_labels.npy", lm_labels.numpy())
    np.save(HERE / "bin_targets.npy", bin_targets.numpy())
    bf_ref = ce(bf, labels)
    how_bf = "F.cross_entropy(bf16.float())"

    # bfloat16 as bits: tensor.bfloat16().numpy() raises, so people save a uint16/int16 view
    np.save(HERE / "bf16_uint16.npy", bf.view(torch.uint16).numpy())
    np.save(HERE / "bf16_int16.npy", bf.view(torch.int16).numpy())
    np.savez(HERE / "bf16_bits.npz", logits=bf.view(torch.uint16).numpy(), labels=labels.numpy())
    case("uint16 bits", ["bf16_uint16.npy", "labels.npy", "--dtype", "bfloat16"], bf_ref, how_bf)
    case("int16 bits", ["bf16_int16.npy", "labels.npy", "--dtype", "bfloat16"], bf_ref, how_bf)
    case(
        "uint16 bits in npz",
        ["bf16_bits.npz:logits", "bf16_bits.npz:labels", "--dtype", "bfloat16"],
        bf_ref,
        how_bf,
    )
    # ml_dtypes bfloat16 arrays through np.save: the header says '<V2'
    np.save(HERE / "bf16_ml_dtypes.npy", bf.float().numpy().astype(ml_dtypes.bfloat16))
    case(
        "ml_dtypes npy", ["bf16_ml_dtypes.npy", "labels.npy", "--dtype", "bfloat16"], bf_ref, how_bf
    )
    np.save(HERE / "lm_bf16_uint16.npy", lm.view(torch.uint16).numpy())
    case(
        "LM logits bits (2,3,7)",
        ["lm_bf16_uint16.npy", "lm_labels.npy", "--dtype", "bfloat16"],
        ce(lm, lm_labels),
        how_bf,
    )
    # integer predictions (model.predict output), not scores
    np.save(HERE / "predict_int64.npy", logits.argmax(1).numpy())

    # safetensors
    save_file({"logits": bf.contiguous()}, HERE / "logits_bf16.safetensors")
    case("safetensors BF16", ["logits_bf16.safetensors", "labels.npy"], bf_ref, how_bf)
    save_file(
        {
            "logits_f16": logits.half().contiguous(),
            "logits_f32": logits.contiguous(),
            "logits_bf16": bf.contiguous(),
            "bits_u16": bf.view(torch.uint16).clone(),
            "labels": labels.contiguous(),
            "lm": lm.contiguous(),
            "lm_labels": lm_labels.contiguous(),
        },
        HERE / "eval.safetensors",
        metadata={"model": "tiny"},
    )
    s = "eval.safetensors"
    case(
        "safetensors F16",
        [f"{s}:logits_f16", f"{s}:labels"],
        ce(logits.half(), labels),
        "F.cross_entropy(f16.float())",
    )
    case(
        "safetensors F32",
        [f"{s}:logits_f32", f"{s}:labels"],
        ce(logits, labels),
        "F.cross_entropy(f32)",
    )
    case("safetensors BF16 member", [f"{s}:logits_bf16", f"{s}:labels"], bf_ref, how_bf)
    case(
        "safetensors U16 bits",
        [f"{s}:bits_u16", f"{s}:labels", "--dtype", "bfloat16"],
        bf_ref,
        how_bf,
    )
    case("safetensors LM BF16", [f"{s}:lm", f"{s}:lm_labels"], ce(lm, lm_labels), how_bf)
    p64 = torch.softmax(logits.double(), 1)
    save_numpy({"probs": p64.numpy()}, HERE / "probs_f64.safetensors")
    case(
        "safetensors F64 probs",
        ["probs_f64.safetensors", "labels.npy"],
        F.nll_loss(p64.log(), labels).item(),
        "F.nll_loss(log(p)) in float64",
    )

    # torch.save
    torch.save(logits, HERE / "logits.pt")
    case("pt tensor", ["logits.pt", "labels.npy"], ce(logits, labels), "F.cross_entropy(f32)")
    torch.save(bf, HERE / "logits_bf16.pt")
    case("pt bf16 tensor", ["logits_bf16.pt", "labels.npy"], bf_ref, how_bf)
    torch.save({"logits": bf, "labels": labels}, HERE / "eval_dict.pt")
    case("pt dict", ["eval_dict.pt:logits", "eval_dict.pt:labels"], bf_ref, how_bf)
    torch.save((logits.half(), labels), HERE / "eval_tuple.pth")
    case(
        "pth tuple",
        ["eval_tuple.pth:0", "eval_tuple.pth:1"],
        ce(logits.half(), labels),
        "F.cross_entropy(f16.float())",
    )
    torch.save({"outputs": {"logits": logits}}, HERE / "nested.pt")
    case(
        "pt nested",
        ["nested.pt:outputs.logits", "labels.npy"],
        ce(logits, labels),
        "F.cross_entropy(f32)",
    )
    torch.save(logits, HERE / "legacy.pt", _use_new_zipfile_serialization=False)
    case(
        "pt legacy format", ["legacy.pt", "labels.npy"], ce(logits, labels), "F.cross_entropy(f32)"
    )
    torch.save({"logits": bin_logits}, HERE / "binary_bf16.pt")
    bce = F.binary_cross_entropy_with_logits(
        bin_logits.float().double(), bin_targets.double()
    ).item()
    refs["pt binary bf16"] = {
        "command": "binary",
        "args": ["binary_bf16.pt:logits", "bin_targets.npy"],
        "reference": bce,
        "source": "F.binary_cross_entropy_with_logits(bf16.float())",
    }
    # bfloat16 targets: soft labels (distillation) and binary targets, decoded too
    soft = torch.softmax(torch.randn(12, 5, generator=g), 1).bfloat16()
    save_file(
        {"logits": logits.contiguous(), "soft": soft.contiguous()}, HERE / "soft_bf16.safetensors"
    )
    case(
        "safetensors BF16 soft targets",
        ["soft_bf16.safetensors:logits", "soft_bf16.safetensors:soft"],
        F.cross_entropy(logits.double(), soft.float().double()).item(),
        "F.cross_entropy(f32, soft_bf16.float())",
    )
    torch.save(
        {"logits": bin_logits, "targets": bin_targets.bfloat16()}, HERE / "binary_both_bf16.pt"
    )
    refs["pt binary bf16 targets"] = {
        "command": "binary",
        "args": ["binary_both_bf16.pt:logits", "binary_both_bf16.pt:targets"],
        "reference": bce,
        "source": "F.binary_cross_entropy_with_logits(bf16.float(), targets)",
    }
    # refused: objects the restricted loader rejects; a dict without tensors
    torch.save({"logits": logits, "f": fractions.Fraction(1, 3)}, HERE / "unsafe.pt")
    torch.save(collections.OrderedDict(a=1), HERE / "no_tensor.pt")

    doc = {
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "torch": torch.__version__,
            "safetensors": safetensors.__version__,
            "ml_dtypes": ml_dtypes.__version__,
        },
        "cases": refs,
    }
    (HERE / "references.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
