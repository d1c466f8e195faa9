"""Binary dumps as PyTorch, safetensors and ml_dtypes write them: the reference number, or one
error line naming the option that decides.

Files and reference values come from tests/data/dumps/binary/make_binary_dumps.py (PyTorch's
``F.cross_entropy`` / ``binary_cross_entropy_with_logits`` on the float32 upcast of the stored
values; versions in references.json). Only the .pt cases need torch at run time; the suite
runs without torch, safetensors and ml_dtypes.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cece.io import bfloat16, safetensors

DUMPS = Path(__file__).parent / "data" / "dumps" / "binary"
REFS = json.loads((DUMPS / "references.json").read_text())["cases"]
HAS_TORCH = __import__("importlib.util").util.find_spec("torch") is not None


def _run(cece, command: str, *args: str):
    cwd = os.getcwd()
    os.chdir(DUMPS)
    try:
        return cece(command, *args)
    finally:
        os.chdir(cwd)


def _error(result) -> list[str]:
    assert result.code == 2, result.out + result.err
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines[0].startswith("cece: error: ") and len(lines) <= 2, lines
    assert len(lines) == 1 or lines[1].startswith("  hint: "), lines
    return lines


@pytest.mark.parametrize("case", sorted(REFS))
def test_reference_values(cece, case):
    c = REFS[case]
    if any(a.split(":")[0].endswith((".pt", ".pth")) for a in c["args"]) and not HAS_TORCH:
        pytest.skip("torch is not installed")
    r = _run(cece, c.get("command", "categorical"), *c["args"], "-q")
    assert r.code == 0, r.err
    assert float(r.out) == pytest.approx(c["reference"], rel=1e-6)


UINT16_ERROR = (
    "cece: error: {}: holds {} values, the form bfloat16 tensors are saved in as bits; "
    "cece does not take them for scores"
)
UINT16_HINT = "  hint: --dtype bfloat16 reads them as bfloat16 bits; numbers: save them as float32"


@pytest.mark.parametrize(
    "preds,dtype",
    [
        ("bf16_uint16.npy", "uint16"),
        ("bf16_int16.npy", "int16"),
        ("bf16_bits.npz:logits", "uint16"),
        ("eval.safetensors:bits_u16", "uint16"),
    ],
)
@pytest.mark.parametrize("kind", ["auto", "logits"])
def test_bit_dumps_never_computed_without_dtype(cece, preds, dtype, kind):
    """The uint16 case of the issue: 32664.5 instead of 0.381, with exit 0. Never again, even
    with --from logits."""
    r = _run(cece, "categorical", preds, "labels.npy", "--from", kind)
    assert _error(r) == [UINT16_ERROR.format(preds, dtype), UINT16_HINT]


def test_bit_dumps_refused_by_binary_and_entropy_too(cece):
    r = _run(cece, "binary", "bf16_uint16.npy", "bin_targets.npy")
    assert _error(r)[1] == UINT16_HINT
    r = _run(cece, "entropy", "bf16_uint16.npy", "--from", "logits")
    assert _error(r)[1] == UINT16_HINT


def test_ml_dtypes_npy_needs_dtype(cece):
    r = _run(cece, "categorical", "bf16_ml_dtypes.npy", "labels.npy")
    assert _error(r) == [
        "cece: error: bf16_ml_dtypes.npy: holds |V2 values: 2 raw bytes each, as np.save "
        "writes ml_dtypes bfloat16 arrays, but the file does not say which type they are",
        "  hint: --dtype bfloat16 reads them as bfloat16",
    ]


def test_integer_predictions_refused_under_auto(cece):
    r = _run(cece, "categorical", "predict_int64.npy", "labels.npy")
    assert _error(r) == [
        "cece: error: predict_int64.npy: holds int64 values: class predictions or quantized "
        "values rather than scores? cross-entropy needs probabilities or logits",
        "  hint: if they are scores, say which kind with --from (or save them as floats)",
    ]
    r = _run(cece, "binary", "predict_int64.npy", "labels.npy")
    assert _error(r)[0].startswith("cece: error: predict_int64.npy: holds int64 values")


def test_integer_predictions_with_explicit_kind(cece, tmp_path):
    np.save(tmp_path / "p.npy", np.array([[1, 2, 3], [2, 4, 6]]))
    r = cece("categorical", str(tmp_path / "p.npy"), "[0, 2]", "--from", "logits", "-q")
    assert r.code == 0, r.err
    want = np.mean(
        [
            math.log(math.exp(1) + math.exp(2) + math.exp(3)) - 1,
            math.log(math.exp(2) + math.exp(4) + math.exp(6)) - 6,
        ]
    )
    assert float(r.out) == pytest.approx(want, rel=1e-12)


def test_integer_literals_stay_numbers(cece):
    """Typed integers are refused in binary dumps only: '[[1,2,3]]' is JSON text."""
    r = cece("categorical", "[[1,2,3],[2,4,6]]", "[0,2]", "-q")
    assert r.code == 0, r.err


def test_dtype_bfloat16_on_other_dtypes(cece):
    r = _run(cece, "categorical", "labels.npy", "labels.npy", "--dtype", "bfloat16")
    assert _error(r) == [
        "cece: error: --dtype bfloat16 reads 16-bit bit patterns (uint16, int16 or |V2 "
        "arrays); labels.npy holds int64 values"
    ]
    r = cece("categorical", "[[1,2],[3,4]]", "[0,1]", "--dtype", "bfloat16")
    assert _error(r)[0].endswith("holds int64 values")


def test_dtype_bfloat16_on_a_table(cece, tmp_path):
    (tmp_path / "p.csv").write_text("1,2\n3,4\n")
    r = cece("categorical", str(tmp_path / "p.csv"), "[0,1]", "--dtype", "bfloat16")
    assert _error(r) == [
        "cece: error: --dtype bfloat16 applies to binary arrays (.npy, .npz, .safetensors, "
        f".pt); {tmp_path / 'p.csv'} is a table of numbers as written"
    ]


def test_bfloat16_is_stated(cece):
    r = _run(
        cece, "categorical", "bf16_uint16.npy", "labels.npy", "--dtype", "bfloat16", "-f", "json"
    )
    assert r.code == 0, r.err
    assert (
        "cece: note: bf16_uint16.npy: bfloat16 values (stored as uint16), converted "
        "exactly to float32" in r.err.splitlines()
    )
    doc = json.loads(r.out)
    assert doc["input"]["dtype"] == "bfloat16" and doc["input"]["stored_dtype"] == "uint16"
    jsonschema = pytest.importorskip("jsonschema")
    schema = Path(__file__).parent.parent / "cece" / "report" / "result.schema.json"
    jsonschema.validate(doc, json.loads(schema.read_text()))
    r = _run(cece, "categorical", "logits_bf16.safetensors", "labels.npy", "-f", "json")
    assert json.loads(r.out)["input"]["stored_dtype"] == "BF16"


def test_bfloat16_conversion_is_exact():
    """Every bfloat16 bit pattern → float32 with the low 16 bits zero (ml_dtypes' values)."""
    bits = np.arange(1 << 16, dtype=np.uint16)
    out = bfloat16.to_float32(bits)
    assert out.dtype == np.float32
    assert np.array_equal(out.view(np.uint32) >> 16, bits.astype(np.uint32))
    assert np.array_equal(out.view(np.uint32) & 0xFFFF, np.zeros(1 << 16, np.uint32))
    assert bfloat16.to_float32(np.array([0x3FC0, 0xC010], np.uint16)).tolist() == [1.5, -2.25]


def test_bfloat16_streams_in_blocks(cece, tmp_path, monkeypatch):
    """Blocks smaller than the file give the same number (decoded block by block)."""
    from cece.io import blocks

    monkeypatch.setattr(blocks, "ROWS", 5)
    r = _run(cece, "categorical", "logits_bf16.safetensors", "labels.npy", "-q")
    assert float(r.out) == pytest.approx(REFS["safetensors BF16"]["reference"], rel=1e-6)


def test_safetensors_is_memory_mapped():
    data = safetensors.read(DUMPS / "eval.safetensors", "eval.safetensors:lm", "lm")
    assert isinstance(data.array, np.memmap) and data.bfloat16
    assert data.array.shape == (2, 3, 7)


def test_safetensors_errors(cece, tmp_path):
    r = _run(cece, "categorical", "eval.safetensors", "labels.npy")
    lines = _error(r)
    assert lines[0].startswith("cece: error: eval.safetensors: holds 7 tensors (")
    assert lines[1].startswith("  hint: use eval.safetensors:")
    r = _run(cece, "categorical", "eval.safetensors:nope", "labels.npy")
    assert _error(r)[0].startswith("cece: error: eval.safetensors:nope: has no tensor 'nope'")
    (tmp_path / "bad.safetensors").write_bytes(b"not a safetensors file at all")
    r = cece("categorical", str(tmp_path / "bad.safetensors"), "[0]")
    assert "not a .safetensors file" in _error(r)[0]
    raw = (DUMPS / "logits_bf16.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(raw[:-10])
    r = cece("categorical", str(tmp_path / "cut.safetensors"), str(DUMPS / "labels.npy"))
    assert "truncated" in _error(r)[0]


def test_safetensors_sniffed_without_its_suffix(cece, tmp_path):
    (tmp_path / "model_out").write_bytes((DUMPS / "logits_bf16.safetensors").read_bytes())
    r = cece("categorical", str(tmp_path / "model_out"), str(DUMPS / "labels.npy"), "-q")
    assert float(r.out) == pytest.approx(REFS["safetensors BF16"]["reference"], rel=1e-6)


def test_pt_is_not_an_npz(cece, tmp_path):
    (tmp_path / "logits.npz").write_bytes((DUMPS / "eval_dict.pt").read_bytes())
    r = cece("categorical", str(tmp_path / "logits.npz"), "[0]")
    assert _error(r) == [
        f"cece: error: {tmp_path / 'logits.npz'}: named like .npz but holds torch data",
        "  hint: rename it to end in .pt",
    ]


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_pt_errors(cece):
    r = _run(cece, "categorical", "eval_dict.pt", "labels.npy")
    assert _error(r) == [
        "cece: error: eval_dict.pt: holds a dict of 2 tensors (logits, labels); say which one",
        "  hint: use eval_dict.pt:logits",
    ]
    r = _run(cece, "categorical", "unsafe.pt:logits", "labels.npy")
    assert _error(r) == [
        "cece: error: unsafe.pt:logits: holds objects PyTorch's restricted loader "
        "(weights_only=True) refuses; cece never runs the general unpickler",
        "  hint: save tensors only: torch.save({'logits': logits}, path)",
    ]
    r = _run(cece, "categorical", "no_tensor.pt", "labels.npy")
    assert _error(r)[0] == "cece: error: no_tensor.pt: holds a OrderedDict without tensors"
    r = _run(cece, "categorical", "eval_dict.pt:nope", "labels.npy")
    assert _error(r)[0] == (
        "cece: error: eval_dict.pt:nope: has no member 'nope'; the dict holds logits, labels"
    )


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_a_missing_pt_member_lists_what_is_there(cece, tmp_path):
    """A key that is not there names the keys that are, at the level the path reached."""
    import torch

    path = tmp_path / "run.pt"
    torch.save(
        {"outputs": {"logits": torch.zeros(4, 3)}, "labels": torch.tensor([0, 1, 2, 0])}, path
    )
    r = cece("categorical", f"{path}:outputs.logit", f"{path}:labels")
    assert _error(r)[0] == (
        f"cece: error: {path}:outputs.logit: has no member 'logit' under 'outputs'; the dict "
        "holds logits"
    )
    r = cece("categorical", f"{path}:output.logits", f"{path}:labels")
    assert _error(r)[0].endswith("has no member 'output.logits'; the dict holds outputs, labels")
    torch.save([torch.zeros(4, 3), torch.tensor([0, 1, 2, 0])], tmp_path / "l.pt")
    r = cece("categorical", f"{tmp_path / 'l.pt'}:5", f"{tmp_path / 'l.pt'}:1")
    assert _error(r)[0].endswith("l.pt:5: has no member '5'; the list holds 0..1")
    r = cece("categorical", f"{path}:outputs.logits", f"{path}:labels", "-q")
    assert r.code == 0 and float(r.out) == pytest.approx(math.log(3), rel=1e-12)


BLOCK_TORCH = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
from cece.cli.entry import main
sys.argv = ["cece", "categorical", "eval_dict.pt:logits", "labels.npy", "-q"]
main()
"""


def test_pt_without_torch():
    r = subprocess.run(
        [sys.executable, "-c", BLOCK_TORCH], capture_output=True, text=True, cwd=DUMPS
    )
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [
        "cece: error: eval_dict.pt:logits: is a torch.save file; reading it needs PyTorch "
        "(pip install torch)",
        "  hint: without torch: np.save('x.npy', tensor.float().numpy()) where it was saved",
    ]


def test_torch_load_is_always_restricted():
    """Every torch.load call in the package passes weights_only=True (never the general
    unpickler; an explicit True cannot be turned off by TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD)."""
    import re

    root = Path(__file__).parent.parent / "cece"
    calls = [
        m.group(0)
        for p in root.rglob("*.py")
        for m in re.finditer(r"torch\.load\(([^)]*)\)", p.read_text())
    ]
    assert calls and all("weights_only=True" in c for c in calls), calls


def test_inspect_reads_bfloat16(cece):
    r = _run(cece, "inspect", "logits_bf16.safetensors", "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert "bfloat16 values, converted exactly to float32" in json.dumps(doc)
    r = _run(cece, "inspect", "bf16_ml_dtypes.npy")
    assert r.code == 0, r.err
    assert "--dtype bfloat16" in r.out
    r = _run(cece, "inspect", "bf16_uint16.npy")
    assert r.code == 0 and "need --dtype bfloat16" in r.out


def test_safetensors_integer_tensor_is_not_a_score(cece):
    r = _run(cece, "categorical", "eval.safetensors:labels", "labels.npy")
    assert _error(r)[0].startswith("cece: error: eval.safetensors:labels: holds int64 values")


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_pt_under_another_name(cece, tmp_path):
    """Hugging Face's pytorch_model.bin is a torch.save zip: found by its bytes, :key too."""
    (tmp_path / "pytorch_model.bin").write_bytes((DUMPS / "eval_dict.pt").read_bytes())
    r = cece(
        "categorical",
        str(tmp_path / "pytorch_model.bin:logits"),
        str(tmp_path / "pytorch_model.bin:labels"),
        "-q",
    )
    assert r.code == 0, r.err
    assert float(r.out) == pytest.approx(REFS["pt dict"]["reference"], rel=1e-6)


def test_raw_two_byte_npz_member_needs_dtype(cece, tmp_path):
    """np.savez of an ml_dtypes bfloat16 array stores a |V2 member, as this one."""
    bits = np.load(DUMPS / "bf16_uint16.npy")
    np.savez(tmp_path / "out.npz", logits=bits.view("V2"))
    member, labels = str(tmp_path / "out.npz:logits"), str(DUMPS / "labels.npy")
    r = cece("categorical", member, labels)
    assert _error(r)[1] == "  hint: --dtype bfloat16 reads them as bfloat16"
    r = cece("categorical", member, labels, "--dtype", "bfloat16", "-q")
    assert float(r.out) == pytest.approx(REFS["uint16 bits"]["reference"], rel=1e-6)


def test_bit_dumps_from_standard_input(cece):
    data = (DUMPS / "bf16_uint16.npy").read_bytes()
    labels = str(DUMPS / "labels.npy")
    r = cece("categorical", "-", labels, "--stdin-format", "npy", stdin=data)
    assert _error(r)[1] == UINT16_HINT
    r = cece(
        "categorical", "-", labels, "--stdin-format", "npy", "--dtype", "bfloat16", "-q", stdin=data
    )
    assert float(r.out) == pytest.approx(REFS["uint16 bits"]["reference"], rel=1e-6)


def test_pt_on_standard_input_is_named(cece):
    r = cece(
        "categorical", "-", str(DUMPS / "labels.npy"), stdin=(DUMPS / "logits.pt").read_bytes()
    )
    assert _error(r) == [
        "cece: error: <stdin>: holds .pt data; standard input takes CSV/TSV text or .npy",
        "  hint: pass the file by its name",
    ]
