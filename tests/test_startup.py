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


# The readers an .npy run does not use, and what only they (or output it did not ask for) need.
NPY_UNUSED = {"cece.io.text", "cece.io.jsonl", "cece.io.arrow", "cece.io.lineblocks", "csv", "json"}


def test_npy_runs_import_only_the_readers_they_use(tmp_path):
    """A loss run on .npy files imports neither the text, JSON Lines nor Arrow readers, nor
    csv and json (cece.io.tables answers "is this a text table?" without the reader); -f json
    adds json alone, and a CSV run the text reader but not the JSON Lines one."""
    np.save(tmp_path / "x.npy", np.array([[1.0, 2, 3], [2, 4, 6]], dtype=np.float32))
    np.save(tmp_path / "y.npy", np.array([0, 2]))
    np.save(tmp_path / "b.npy", np.array([0.5, -1.0], dtype=np.float32))
    np.save(tmp_path / "t.npy", np.array([1, 0]))
    base = _modules("-c", "import numpy")
    x, y, b, t = (str(tmp_path / f) for f in ("x.npy", "y.npy", "b.npy", "t.npy"))
    for run in (["categorical", x, y, "-q"], ["binary", b, t, "-q"], ["categorical", x, y]):
        found = imported(*run) - base
        assert "cece.engine.pipeline" in found  # the check sees cece's imports
        assert not found & NPY_UNUSED, (run, sorted(found & NPY_UNUSED))
    found = imported("categorical", x, y, "-f", "json")  # (older numpy imports json itself)
    assert "json" in found and not (found - base) & (NPY_UNUSED - {"json"}), sorted(found - base)
    found = imported(
        "categorical", "sample_data/catdogpig_logits.csv", "sample_data/catdogpig_labels.csv"
    )
    assert "cece.io.text" in found and "cece.io.jsonl" not in found
