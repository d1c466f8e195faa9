"""The HF-style causal-LM corpus: the command a user types, against Hugging Face's loss.

tests/data/lm_refs/ holds small dumps saved the ways people save them (``np.save`` float32 /
float16, ``torch.save`` of tensors and dicts, safetensors F32/F16/BF16, Parquet / JSONL / CSV
token tables with a mask column) and references.json, written by tests/generate_lm_refs.py
with PyTorch (and checked there against transformers' ``ForCausalLMLoss`` and
``LabelSmoother``; versions recorded in the file). The suite needs neither: the ``.pt`` cases
are skipped where torch, which reads them, is not installed.

Each case is compared to 1e-6 relative with the float32 value HF computes (``logits.float()``)
and with the same call in float64 on the stored values (bfloat16 and float16 dumps: the
float64 value of the 16-bit logits); cece's numpy path to 1e-12 of the latter.
"""

from __future__ import annotations

import json
import math
import os
from importlib.util import find_spec
from pathlib import Path

import pytest

from conftest import run_cece

DATA = Path(__file__).parent / "data" / "lm_refs"
DOC = json.loads((DATA / "references.json").read_text())
CASES = DOC["cases"]
HAS_TORCH = find_spec("torch") is not None


def _run(*args: str):
    cwd = os.getcwd()
    os.chdir(DATA)
    try:
        return run_cece("categorical", *args)
    finally:
        os.chdir(cwd)


def _needs_torch(args: list[str]) -> None:
    if any(a.split(":")[0].endswith(".pt") for a in args) and not HAS_TORCH:
        pytest.skip("torch is not installed (it reads .pt files)")


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


@pytest.mark.parametrize("case", sorted(CASES))
def test_hf_reference(case, kernel_path):
    c = CASES[case]
    _needs_torch(c["args"])
    r = _run(*c["args"], "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    got = doc[c["key"]]
    assert _rel(got, c["reference"]) <= 1e-6, (got, c["reference"])  # HF's float32 value
    assert _rel(got, c["reference64"]) <= 1e-6
    if kernel_path == "numpy":  # float64 throughout: the float64 reference to rounding
        assert _rel(got, c["reference64"]) <= 1e-12
    assert doc["stats"]["count"] == c["count"]  # the mean divides by the scored tokens
    if doc["reduction"] == "mean":
        assert doc["stats"]["perplexity"] == pytest.approx(math.exp(got), rel=1e-12)
    if "--shift" in c["args"]:
        assert doc["options"]["shift"] is True and doc["options"]["ignore_index"] == -100


@pytest.mark.parametrize("case", sorted(n for n in CASES if "per_token" in CASES[n]))
def test_per_token(case):
    """Per-token records against ``F.cross_entropy(..., reduction="none")``: position t of
    sequence b carries the loss of label t+1; the last position and -100 labels are ignored."""
    c = CASES[case]
    r = _run(*c["args"], "-f", "json", "--samples")
    assert r.code == 0, r.err
    rows = json.loads(r.out)["samples"]
    want = c["per_token"]
    b_count, t_count = len(want), len(want[0]) + 1
    assert len(rows) == b_count * t_count
    for rec in rows:
        b, t = rec["sequence"], rec["position"]
        ref = want[b][t] if t < t_count - 1 else None
        if ref is None:
            assert rec["ignored"] is True and rec["loss"] == 0 and rec["p_target"] is None
        else:
            assert rec["ignored"] is False
            assert rec["loss"] == pytest.approx(ref, rel=1e-7)  # the kernels: ~1e-8


def test_corpus_covers_what_people_save():
    """The forms the issue names: each dtype, each way of saving, each padding, each option."""
    argv = [" ".join(c["args"]) for c in CASES.values()]
    for needle in (
        "logits_f32.npy",
        "logits_f16.npy",
        "dump_f32.safetensors",
        "dump_f16.safetensors",
        "dump_bf16.safetensors",
        "logits_bf16.pt",
        "dump_bf16.pt:logits",
        "labels_shifted.npy",
        "--mask attention_mask.npy",
        "tokens.parquet",
        "--temperature",
        "--reduction sum",
        "--label-smoothing",
    ):
        assert any(needle in a for a in argv), needle
    assert DOC["versions"]["torch"].startswith("2.13.0")


def test_bfloat16_is_its_float64_value():
    """bfloat16 dumps are compared with the float64 value of the stored bfloat16 logits, which
    differs from the float32 dump's value by far more than the tolerance: the test could fail."""
    bf16, f32 = CASES["st_bf16_labels"], CASES["st_f32_labels"]
    assert _rel(bf16["reference64"], f32["reference64"]) > 1e-5
