"""Every command in sample_data/README.md prints the value the table promises."""

from __future__ import annotations

import os
import re
import shlex

import pytest

from conftest import ROOT, SAMPLES, run_cece

ROW = re.compile(r"^\| `cece (?P<args>[^`]+)` \| (?P<expected>[-0-9.e]+) \| (?P<source>[^|]+)\|")


def _rows():
    rows = [
        m.groupdict() for m in map(ROW.match, (SAMPLES / "README.md").read_text().splitlines()) if m
    ]
    assert len(rows) >= 14, "the sample table lost rows"
    return rows


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["args"][:60])
def test_sample_value(row, monkeypatch):
    monkeypatch.chdir(ROOT)
    run = run_cece(*shlex.split(row["args"]))
    assert run.code == 0, run.err
    # float32 inputs are computed in float32; everything else to float64 precision
    rtol = 1e-6 if "float32" in row["source"] else 1e-12
    assert float(run.out) == pytest.approx(float(row["expected"]), rel=rtol)


def test_every_sample_file_is_used_in_the_readme():
    text = (SAMPLES / "README.md").read_text()
    for name in os.listdir(SAMPLES):
        if name != "README.md":
            assert f"sample_data/{name}" in text, name
