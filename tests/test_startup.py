"""Start-up stays light: `cece --help` and small NPY or CSV runs never import pandas."""

from __future__ import annotations

import numpy as np

from conftest import imported_modules


def imported(*args: str) -> set[str]:
    return imported_modules("-m", "cece", *args)


def test_help_imports_neither_numpy_nor_pandas():
    modules = imported("--help")
    assert "pandas" not in modules and "numpy" not in modules
    assert "typer" in modules  # the check sees imports at all


def test_small_npy_and_csv_runs_do_not_import_pandas(tmp_path):
    np.save(tmp_path / "x.npy", np.array([[1.0, 2, 3], [2, 4, 6]], dtype=np.float32))
    np.save(tmp_path / "y.npy", np.array([0, 2]))
    modules = imported("categorical", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "-q")
    assert "numpy" in modules and "pandas" not in modules
    modules = imported(
        "categorical", "sample_data/catdogpig_logits.csv", "sample_data/catdogpig_labels.csv"
    )
    # a table on a pipe is drawn as plain text (cece.report.grid): rich is not imported
    assert "rich" not in modules and "pandas" not in modules


_modules = imported_modules


def test_loss_runs_do_not_import_pathlib(tmp_path):
    """The readers take paths as strings: pathlib costs a run ~15 M instructions of start-up
    (on Python 3.11 it imports urllib.parse, which imports ipaddress). Against `import numpy`
    (numpy 1.x imports pathlib itself; an editable install's path finder may too)."""
    np.save(tmp_path / "x.npy", np.array([[1.0, 2, 3], [2, 4, 6]], dtype=np.float32))
    np.save(tmp_path / "y.npy", np.array([0, 2]))
    base = _modules("-c", "import numpy")
    heavy = {"pathlib", "urllib.parse", "ipaddress"}
    for fmt in (["-q"], ["-f", "json"]):  # (tmp_path holds "-of-": shard names are checked too)
        npy = imported("categorical", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), *fmt)
        assert "numpy" in npy and not (npy - base) & heavy, (fmt, sorted((npy - base) & heavy))
    csv = imported(
        "categorical", "sample_data/catdogpig_logits.csv", "sample_data/catdogpig_labels.csv"
    )
    assert not (csv - base) & heavy, sorted((csv - base) & heavy)


# What `cece --help` may import beyond `import typer`'s own modules: cece itself, typer's lazily
# imported pieces and a few small standard modules. (The time it costs is measured by
# bench/run.py, as a ratio to `import typer` in the same run; a timed unit test is flaky.)
HELP_EXTRA = {
    "cece",
    "typer",
    "runpy",
    "dataclasses",
    "ctypes",
    "_ctypes",
    "struct",
    "_struct",
    "__future__",
    "gc",  # built in: the collector paused during start-up (cece.cli.state)
}


def test_help_imports_little_beyond_typer():
    extra = _modules("-m", "cece", "--help") - _modules("-c", "import typer")
    assert {m.split(".")[0] for m in extra} <= HELP_EXTRA, sorted(extra)
    assert any(m.startswith("cece.cli") for m in extra)  # the check sees cece's imports
