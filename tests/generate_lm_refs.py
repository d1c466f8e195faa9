"""An HF-style corpus of causal-LM dumps and their PyTorch references (tests/data/lm_refs/).

Run by hand when the cases should change (the suite only reads the stored files, and runs
without torch; the ``.pt`` cases are skipped there):

    pip install torch==2.13.0 safetensors pandas pyarrow ml_dtypes transformers
    python tests/generate_lm_refs.py

The dumps are saved the ways people save them: ``np.save`` of float32 / float16 logits,
``torch.save`` of tensors and of dicts ``{"logits": ..., "labels": ...}``, safetensors F32 /
F16 / BF16 (``safetensors.torch.save_file``), and flat token tables (one row per scored
position, labels already shifted, an ``attention_mask`` column): Parquet with a list column
(pyarrow), JSON Lines and CSV. Labels are the input ids with -100 where the attention mask is 0
(left and right padding), as Hugging Face's collators give them
(transformers ``data/data_collator.py``: ``DataCollatorWithPadding`` pads labels with
``label_pad_token_id=-100``; ``DataCollatorForLanguageModeling(mlm=False)`` sets
``labels[labels == pad_token_id] = -100``); ``labels[:, 1:]`` beside the logits'
``[:, :-1]`` is the shift.

Each case stores the argv a user would type after ``cece`` and the reference values:

* ``reference``: exactly as transformers computes it (``src/transformers/loss/loss_utils.py``,
  ``ForCausalLMLoss``: ``logits.float()``, ``labels`` padded with -100 at the end, then
  ``shift_labels = labels[..., 1:]``, ``F.cross_entropy(..., ignore_index=-100)``), i.e.
  ``F.cross_entropy(logits[:, :-1].reshape(-1, V).float(), labels[:, 1:].reshape(-1),
  ignore_index=-100)`` in float32, with ``reduction`` / ``label_smoothing`` / logits divided by
  the temperature where the case says so. Checked against ``ForCausalLMLoss`` itself when
  transformers is installed (``transformers`` in the case);
* ``reference64``: the same call on the float64 upcast of the stored logits (for float16 and
  bfloat16 dumps: the float64 value of the stored 16-bit numbers, as the issue's judge
  compares). cece computes in float64, so it matches this to ~1e-15 and the float32 value to
  its rounding (~1e-7 relative);
* label smoothing is also computed with transformers' ``LabelSmoother(epsilon)`` (the
  Trainer's, ``trainer_pt_utils.py``) with ``shift_labels=True``.

Versions of every library used are recorded in references.json.
"""

from __future__ import annotations

import json
import pathlib

import ml_dtypes
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import safetensors
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).parent / "data" / "lm_refs"
B, T, V = 4, 9, 17
IGNORE = -100

try:  # the library's own loss, when installed
    import transformers
    from transformers.loss.loss_utils import ForCausalLMLoss
    from transformers.trainer_pt_utils import LabelSmoother
except ImportError:  # pragma: no cover - the references do not depend on it
    transformers = None


def hf(
    x: torch.Tensor,
    labels: torch.Tensor,
    *,
    upcast=torch.float32,
    temperature: float = 1.0,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    shifted: bool = False,
    flat: bool = False,
) -> float:
    """HF's causal-LM loss; ``shifted``: the labels are already ``labels[:, 1:]``; ``flat``:
    so are the logits (one row per scored position, ``logits[:, :-1]`` flattened)."""
    logits = x.to(upcast) if flat else x.to(upcast)[:, :-1]
    if temperature != 1.0:
        logits = logits / temperature
    y = labels if shifted or flat else labels[:, 1:]
    return float(
        F.cross_entropy(
            logits.reshape(-1, V),
            y.reshape(-1),
            ignore_index=IGNORE,
            reduction=reduction,
            label_smoothing=label_smoothing,
        )
    )


def flat_positions(x: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor):
    """One row per scored-or-not position of the shifted batch: (logits t, label t+1, mask t+1)
    over the B·(T−1) positions (the flat token dump of an evaluation loop)."""
    lg = x[:, :-1].reshape(-1, V)
    ids = labels[:, 1:].reshape(-1)
    m = mask[:, 1:].reshape(-1)
    return lg, ids, m


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(2013)
    logits32 = torch.randn(B, T, V, generator=g) * 2.5
    logits32[0, 3, 5] = 30.0  # a confident token, far from the others
    ids = torch.randint(0, V, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.int64)
    mask[1, 6:] = 0  # right padding
    mask[2, :3] = 0  # left padding
    mask[3, 0] = 0  # left padding, one token
    mask[3, 8:] = 0  # and right padding
    labels = ids.masked_fill(mask == 0, IGNORE)  # a collator's labels
    f16, bf16 = logits32.half(), logits32.bfloat16()

    # -- the files, as people save them ----------------------------------------------------
    np.save(OUT / "logits_f32.npy", logits32.numpy())
    np.save(OUT / "logits_f16.npy", f16.numpy())
    np.save(OUT / "labels.npy", labels.numpy())
    np.save(OUT / "input_ids.npy", ids.numpy())
    np.save(OUT / "attention_mask.npy", mask.numpy())
    np.save(OUT / "labels_shifted.npy", labels[:, 1:].numpy())
    np.save(OUT / "attention_mask_shifted.npy", mask[:, 1:].numpy())
    np.save(OUT / "logits_one.npy", logits32[2:3].numpy())
    np.save(OUT / "labels_one.npy", labels[2:3].numpy())
    np.save(OUT / "logits_bf16_ml.npy", logits32.numpy().astype(ml_dtypes.bfloat16))
    torch.save(logits32[:, :-1], OUT / "logits_preshifted.pt")
    torch.save(labels[:, 1:], OUT / "labels_preshifted.pt")
    torch.save({"logits": bf16[:, :-1], "labels": labels[:, 1:]}, OUT / "preshifted_bf16.pt")
    torch.save(logits32[1:], OUT / "logits_tail.pt")
    torch.save(labels[1:], OUT / "labels_tail.pt")
    torch.save(logits32, OUT / "logits_f32.pt")
    torch.save(f16, OUT / "logits_f16.pt")
    torch.save(bf16, OUT / "logits_bf16.pt")
    torch.save(labels, OUT / "labels.pt")
    torch.save(mask, OUT / "attention_mask.pt")
    torch.save({"logits": bf16, "labels": labels}, OUT / "dump_bf16.pt")
    torch.save({"logits": logits32, "input_ids": ids, "attention_mask": mask}, OUT / "batch_f32.pt")
    for name, x in (("f32", logits32), ("f16", f16), ("bf16", bf16)):
        save_file(
            {
                "logits": x.contiguous(),
                "labels": labels,
                "input_ids": ids,
                "attention_mask": mask,
            },
            str(OUT / f"dump_{name}.safetensors"),
        )
    lg, flat_ids, flat_mask = flat_positions(logits32, ids, mask)
    flat_labels = flat_ids.masked_fill(flat_mask == 0, IGNORE)
    table = pa.table(
        {
            "logits": pa.array(lg.numpy().tolist(), type=pa.list_(pa.float32())),
            "labels": pa.array(flat_labels.numpy()),
            "input_ids": pa.array(flat_ids.numpy()),
            "attention_mask": pa.array(flat_mask.numpy()),
        }
    )
    pq.write_table(table, OUT / "tokens.parquet")
    with open(OUT / "tokens.jsonl", "w") as f:
        for row in table.to_pylist():
            f.write(json.dumps(row) + "\n")
    frame = pd.DataFrame(lg.double().numpy(), columns=[f"v{i}" for i in range(V)])
    frame["input_ids"] = flat_ids.numpy()
    frame["attention_mask"] = flat_mask.numpy()
    frame.to_csv(OUT / "tokens.csv", index=False, float_format="%.9g")
    tokens_csv = torch.tensor(
        pd.read_csv(OUT / "tokens.csv")[[f"v{i}" for i in range(V)]].to_numpy()
    )  # the logits as the CSV holds them (9 significant digits of float32)

    # -- the cases -------------------------------------------------------------------------
    cases: dict[str, dict] = {}
    given: dict[str, tuple] = {}  # name → (logits, labels, labels already shifted, options)

    def case(
        name: str,
        args: list[str],
        x: torch.Tensor,
        y: torch.Tensor,
        *,
        key: str = "loss",
        shifted: bool = False,
        flat: bool = False,
        **kw,
    ) -> None:
        ref = hf(x, y, shifted=shifted, flat=flat, **kw)
        ref64 = hf(x, y, upcast=torch.float64, shifted=shifted, flat=flat, **kw)
        scored = int((y if shifted or flat else y[:, 1:]).ne(IGNORE).sum())
        entry = {"args": args, "key": key, "reference": ref, "reference64": ref64, "count": scored}
        cases[name] = entry
        given[name] = (x, y, shifted or flat, kw)

    padded = ["--ignore-index", "-100"]
    for dt, x in (("f32", logits32), ("f16", f16)):
        case(f"npy_{dt}_labels", [f"logits_{dt}.npy", "labels.npy", "--shift"], x, labels)
        case(
            f"npy_{dt}_labels_ignore",
            [f"logits_{dt}.npy", "labels.npy", "--shift", *padded],
            x,
            labels,
        )
        case(
            f"npy_{dt}_ids_mask",
            [f"logits_{dt}.npy", "input_ids.npy", "--shift", "--mask", "attention_mask.npy"],
            x,
            labels,
        )
        case(
            f"npy_{dt}_shifted",
            [f"logits_{dt}.npy", "labels_shifted.npy", "--shift"],
            x,
            labels[:, 1:],
            shifted=True,
        )
    case(
        "npy_f32_shifted_mask",
        ["logits_f32.npy", "labels_shifted.npy", "--shift", "--mask", "attention_mask.npy"],
        logits32,
        labels[:, 1:],
        shifted=True,
    )
    case("npy_f32_ids_nomask", ["logits_f32.npy", "input_ids.npy", "--shift"], logits32, ids)
    case(
        "npy_f32_shifted_mask_shifted",
        ["logits_f32.npy", "labels_shifted.npy", "--shift", "--mask", "attention_mask_shifted.npy"],
        logits32,
        labels[:, 1:],
        shifted=True,
    )
    case(
        "npy_f32_one_sequence",
        ["logits_one.npy", "labels_one.npy", "--shift"],
        logits32[2:3],
        labels[2:3],
    )
    case(
        "npy_bf16_ml_dtypes",  # np.save of an ml_dtypes array: the file says only "V2"
        ["logits_bf16_ml.npy", "labels.npy", "--shift", "--dtype", "bfloat16"],
        bf16,
        labels,
    )
    # logits and labels saved already shifted (views: torch.save keeps the storage and strides)
    case(
        "pt_f32_preshifted_views",
        ["logits_preshifted.pt", "labels_preshifted.pt", *padded],
        logits32[:, :-1],
        labels[:, 1:],
        flat=True,
    )
    case(
        "pt_bf16_preshifted_dict",
        ["preshifted_bf16.pt:logits", "preshifted_bf16.pt:labels", *padded],
        bf16[:, :-1],
        labels[:, 1:],
        flat=True,
    )
    case(
        "pt_f32_storage_offset",  # a slice of the batch: the tensor starts inside its storage
        ["logits_tail.pt", "labels_tail.pt", "--shift"],
        logits32[1:],
        labels[1:],
    )
    for dt, x in (("f32", logits32), ("f16", f16), ("bf16", bf16)):
        st = f"dump_{dt}.safetensors"
        case(f"st_{dt}_labels", [f"{st}:logits", f"{st}:labels", "--shift"], x, labels)
        case(
            f"st_{dt}_ids_mask",
            [f"{st}:logits", f"{st}:input_ids", "--shift", "--mask", f"{st}:attention_mask"],
            x,
            labels,
        )
        case(
            f"pt_{dt}_tensor",
            [f"logits_{dt}.pt", "labels.pt", "--shift"],
            x,
            labels,
        )
    case(
        "pt_bf16_tensor_mask",
        ["logits_bf16.pt", "input_ids.npy", "--shift", "--mask", "attention_mask.pt"],
        bf16,
        labels,
    )
    case("pt_bf16_dict", ["dump_bf16.pt:logits", "dump_bf16.pt:labels", "--shift"], bf16, labels)
    case(
        "pt_f32_dict_mask",
        [
            "batch_f32.pt:logits",
            "batch_f32.pt:input_ids",
            "--shift",
            "--mask",
            "batch_f32.pt:attention_mask",
        ],
        logits32,
        labels,
    )
    # options: the reduced value a user asks for
    for dt, x in (("f32", logits32), ("bf16", bf16)):
        st = f"dump_{dt}.safetensors"
        base = [f"{st}:logits", f"{st}:labels", "--shift"]
        for t in (2.0, 0.7):
            case(
                f"st_{dt}_temperature_{t:g}",
                [*base, "--temperature", f"{t:g}"],
                x,
                labels,
                temperature=t,
            )
        case(f"st_{dt}_sum", [*base, "--reduction", "sum"], x, labels, reduction="sum")
        case(
            f"st_{dt}_smoothing",
            [*base, "--label-smoothing", "0.1"],
            x,
            labels,
            label_smoothing=0.1,
        )
    case(
        "npy_f16_sum_mask",
        ["logits_f16.npy", "input_ids.npy", "--shift", "--mask", "attention_mask.npy", "-r", "sum"],
        f16,
        labels,
        reduction="sum",
    )
    case(
        "npy_f32_smoothing_temperature",
        [
            "logits_f32.npy",
            "labels.npy",
            "--shift",
            "--label-smoothing",
            "0.2",
            "--temperature",
            "3",
        ],
        logits32,
        labels,
        label_smoothing=0.2,
        temperature=3.0,
    )
    # flat token dumps: one row per position, labels already shifted, a mask column
    flat_y = flat_labels.reshape(1, -1)
    flat_x = lg.reshape(1, -1, V)
    assert hf(flat_x, flat_y, flat=True) == hf(logits32, labels)  # the same positions
    case(
        "parquet_labels",
        ["tokens.parquet", "--pred-cols", "logits", "--label-col", "labels", *padded],
        flat_x,
        flat_y,
        flat=True,
    )
    case(
        "parquet_mask_col",
        [
            "tokens.parquet",
            "--pred-cols",
            "logits",
            "--label-col",
            "input_ids",
            "--mask",
            "attention_mask",
        ],
        flat_x,
        flat_y,
        flat=True,
    )
    case(
        "jsonl_mask_col",
        [
            "tokens.jsonl",
            "--pred-cols",
            "logits",
            "--label-col",
            "input_ids",
            "--mask",
            "attention_mask",
        ],
        flat_x,
        flat_y,
        flat=True,
    )
    case(
        "csv_mask_col",
        [
            "tokens.csv",
            "--pred-cols",
            "0:17",
            "--label-col",
            "input_ids",
            "--mask",
            "attention_mask",
        ],
        tokens_csv.reshape(1, -1, V),
        flat_y,
        flat=True,
    )

    # per token: F.cross_entropy(..., reduction="none") at each (sequence, position) scored
    for name, x in (("npy_f32_labels", logits32), ("st_bf16_labels", bf16)):
        nll = F.cross_entropy(
            x.double()[:, :-1].reshape(-1, V),
            labels[:, 1:].reshape(-1),
            ignore_index=IGNORE,
            reduction="none",
        ).reshape(B, T - 1)
        cases[name]["per_token"] = [
            [None if labels[b, t + 1] == IGNORE else float(nll[b, t]) for t in range(T - 1)]
            for b in range(B)
        ]

    # -- cross-checks with transformers' own code --------------------------------------------
    if transformers is not None:
        for name, c in cases.items():
            x, y, shifted, kw = given[name]
            if kw or x.dim() != 3:
                continue
            if shifted:  # HF's shift_labels: (B, T) pre-shifted, -100 at the last position
                if y.shape[1] != x.shape[1] - 1:
                    continue  # logits saved shifted too: nothing for HF to shift
                got = float(ForCausalLMLoss(x, None, V, shift_labels=F.pad(y, (0, 1), value=-100)))
            else:
                got = float(ForCausalLMLoss(x, y, V))
            assert got == c["reference"], (name, got, c["reference"])
            c["transformers"] = got
        for name, c in cases.items():
            x, y, shifted, kw = given[name]
            if set(kw) == {"label_smoothing"} and not shifted:
                smoother = LabelSmoother(epsilon=kw["label_smoothing"])
                got = float(smoother({"logits": x.float()}, y, shift_labels=True))
                c["transformers_label_smoother"] = got
                assert abs(got - c["reference"]) <= 1e-6 * abs(got), (name, got)

    versions = {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "safetensors": safetensors.__version__,
        "pyarrow": pa.__version__,
        "pandas": pd.__version__,
        "ml_dtypes": ml_dtypes.__version__,
        "transformers": None if transformers is None else transformers.__version__,
    }
    doc = {
        "generator": "tests/generate_lm_refs.py",
        "versions": versions,
        "shape": [B, T, V],
        "cases": cases,
    }
    (OUT / "references.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(cases)} cases written to {OUT}")


if __name__ == "__main__":
    main()
