"""FILE options (``--rescale``, ``--pos-weight``, ``--weight``, ``--sequence-ids``) read with
the labels' layout rules: files written by pandas (``to_csv`` with and without its index,
Series and DataFrames, integers and floats, ``to_parquet``) against the peers' values stored
by ``tests/data/factors/generate.py`` (PyTorch 2.13; see its docstring for each call).

Before, a ``pd.Series([2, 3]).to_csv(index=False)`` file (``0``, ``2``, ``3``) was read with its
header ``0`` as a factor (review finding 3): one per row became one per column.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cece

DATA = Path(__file__).resolve().parent / "data" / "factors"
CASES = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))["cases"]


def _id(case: dict) -> str:
    return "-".join(a for a in case["args"][2:] if not a.startswith("--per"))


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_factor_files_give_the_peers_value(case, monkeypatch):
    if case["args"][-1].endswith(".parquet"):
        pytest.importorskip("pyarrow")
    monkeypatch.chdir(DATA)
    run = run_cece(case["command"], *case["args"], "-f", "json")
    if case.get("refused"):
        line = run.error_line()
        assert line == (
            f"cece: error: {case['args'][-1]}: is the first row (0) a header, as pandas writes "
            "one, or data? Both readings fit --rescale (3 values one per column (3), or 4 "
            "values one per row (4)), and they give different factors"
        )
        assert "--header" in run.err_lines[-1]
        return
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    np.testing.assert_allclose(doc["loss"], case["loss"], rtol=1e-12)
    if "sequences" in case:
        got = [s["loss"] for s in doc["sequences"]]
        np.testing.assert_allclose(got, case["sequences"], rtol=1e-12)
    name = case["args"][-1]
    inferred = [i for i in doc["input"].get("inferred", []) if i["file"] == name]
    notes = [line for line in run.err_lines if line.startswith(f"cece: note: {name}: ")]
    assert len(notes) == len(inferred)  # each inference stated, in both places
    if name.endswith("_True.csv"):  # to_csv's default: the index column skipped, and said
        assert any(i["what"] == "skipped column" for i in inferred), inferred
    elif name.endswith(".csv"):  # index=False: pandas' header 0 (or 0,1,2) read as a header
        assert [i["what"] for i in inferred] == ["header"], inferred


def test_the_header_decision_is_stated(monkeypatch):
    monkeypatch.chdir(DATA)
    run = run_cece("binary", "bx.csv", "by.csv", "--rescale", "rescale_rows_int_False.csv")
    assert run.code == 0, run.err
    assert (
        "cece: note: rescale_rows_int_False.csv: first row 0 read as a header (as pandas writes "
        "one): its 4 values are one per row (4) for --rescale; as data, 5 values fit no shape "
        "it takes here"
    ) in run.err_lines
    run = run_cece("categorical", "cx.csv", "cy.csv", "--weight", "weight_int_False.csv")
    assert run.code == 0, run.err
    assert (
        "cece: note: weight_int_False.csv: first row 0 read as a header (as pandas writes one): "
        "its 3 values are one per class (3) for --weight; as data, 4 values fit no shape it "
        "takes here"
    ) in run.err_lines


def test_header_flags_decide_for_factor_files(monkeypatch):
    """--header / --no-header decide the first row of every text input, factor files too."""
    monkeypatch.chdir(DATA)
    name = "rescale_cols_int_False.csv"  # 0, 2, 3, 1: as data, one per row of the 4
    run = run_cece("binary", "bx.csv", "by.csv", "--rescale", name, "--no-header", "-q")
    # every first row is data now: the factors are 4 (0 included), the inputs' rows 5
    assert run.error_line() == "cece: error: --rescale has 4 rows; the input has more"
    header = run_cece("binary", "bx.csv", "by.csv", "--rescale", name, "--header", "-f", "json")
    assert header.code == 0, header.err
    want = next(c["loss"] for c in CASES if c["args"][-1] == "rescale_cols_frame_int.csv")
    np.testing.assert_allclose(json.loads(header.out)["loss"], want, rtol=1e-12)


def test_a_pending_first_row_that_fits_neither_reading_is_read_as_data(write):
    """Neither 5 nor 6 factors fit 4 rows of 3 columns: as the labels' rule has it, the values
    as written, and the option's own check words what it takes."""
    x = write("x.npy", np.zeros((4, 3)))
    y = write("y.npy", np.zeros((4, 3)))
    f = write("f.csv", "0\n2\n3\n5\n7\n1\n")
    line = run_cece("binary", x, y, "--rescale", f, "-q").error_line()
    assert line == (
        "cece: error: --rescale has 6 values; expected 1 or one per column (3) or one per row (4)"
    )
