"""cece.io.tables: which kind of table an input is, asked without importing unused readers."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np

from cece.io import readers, tables
from cece.io.arrays import ArrayInput


def test_each_reader_table_is_its_kind_and_no_other(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("0.1,0.9\n0.8,0.2\n")
    jl = tmp_path / "p.jsonl"
    jl.write_text('{"logits": [0.1, 0.9], "label": 1}\n{"logits": [0.8, 0.2], "label": 0}\n')
    text = readers.load(readers.resolve(str(csv)))
    records = readers.load(readers.resolve(str(jl)))
    assert tables.is_text(text) and not tables.is_jsonl(text) and not tables.is_arrow(text)
    assert tables.is_jsonl(records) and not tables.is_text(records)
    assert not tables.is_arrow(records)


def test_arrays_and_other_objects_are_no_table():
    array = ArrayInput("x", np.zeros((2, 2)))
    for thing in (array, None, object(), "p.csv", io.BytesIO(b"a,b\n")):
        assert not (tables.is_text(thing) or tables.is_jsonl(thing) or tables.is_arrow(thing))


def test_asking_imports_no_reader():
    """Where no reader was imported, every answer is no and none gets imported by asking."""
    code = (
        "import sys; from cece.io import tables; "
        "r = [tables.is_text(1), tables.is_jsonl(1), tables.is_arrow(1)]; "
        "m = [n for n in ('cece.io.text', 'cece.io.jsonl', 'cece.io.arrow') if n in sys.modules]; "
        "print(r, m)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[False, False, False] []"
