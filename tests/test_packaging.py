"""What the package promises about itself: a missing pandas is an input error, not a crash;
one version; the type marker ships; the golden values match their in-repo source."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import cece

import golden as G
from conftest import ROOT, run_cece

# Runs cece's real entry point in a fresh interpreter where `import pandas` fails, as in an
# environment installed without it (`pip install --no-deps`).
WITHOUT_PANDAS = """
import importlib.abc, sys

class NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoPandas())
sys.modules.pop("pandas", None)
from cece.cli import main
main(sys.argv[1:])
"""
NEEDS_PANDAS = re.compile(r"^cece: error: .+ needs pandas: pip install pandas$")


def run_without_pandas(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_PANDAS, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def _large_quoted_csv(tmp_path: Path) -> list[str]:
    """Over 1 MiB of quoted numbers: the compiled parser refuses quotes, and inputs this large
    go to pandas' C parser."""
    rows = [f'"{i % 7}.5","{i % 5}.25","{i % 3}.125"' for i in range(70_000)]
    (tmp_path / "preds.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "labels.csv").write_text("\n".join(str(i % 3) for i in range(70_000)) + "\n")
    assert (tmp_path / "preds.csv").stat().st_size > 1 << 20
    return ["categorical", str(tmp_path / "preds.csv"), str(tmp_path / "labels.csv")]


def _gzipped_table_with_names(tmp_path: Path) -> list[str]:
    """A compressed table (its size is unknown up front) with a text label column."""
    with gzip.open(tmp_path / "eval.csv.gz", "wt") as fh:
        fh.write("cat,dog,pig,label\n1,2,3,cat\n2,4,6,pig\n")
    return ["categorical", str(tmp_path / "eval.csv.gz"), "--label-col", "label"]


@pytest.mark.parametrize(
    "make_args",
    [_large_quoted_csv, _gzipped_table_with_names],
    ids=["large-quoted-csv", "gzipped-names"],
)
def test_an_input_that_needs_pandas_without_pandas_is_exit_2_in_one_line(tmp_path, make_args):
    args = make_args(tmp_path)
    assert run_cece(*args, "-q").code == 0  # with pandas the input is fine
    proc = run_without_pandas(*args, "-q")
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and NEEDS_PANDAS.match(lines[0]), proc.stderr
    assert args[1] in lines[0]  # names the file


def test_plain_numbers_and_npy_need_no_pandas(tmp_path):
    """pandas is imported only where it is used: small tables and NPY files run without it."""
    proc = run_without_pandas(
        "categorical", "sample_data/catdogpig_eval.csv", "--label-col", "label", "-q"
    )
    assert proc.returncode == 0 and float(proc.stdout) == pytest.approx(G.A2_MEAN), proc.stderr
    proc = run_without_pandas(
        "categorical", "sample_data/catdogpig_logits.npy", "sample_data/catdogpig_labels.npy", "-q"
    )
    assert proc.returncode == 0 and float(proc.stdout) == pytest.approx(G.A2_MEAN, rel=1e-6)


# -- metadata -------------------------------------------------------------------------------------


def test_one_version():
    """pyproject takes the version from cece.__version__ (`dynamic = ["version"]`)."""
    from importlib.metadata import version

    assert version("cece") == cece.__version__
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    dynamic = pyproject["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "cece.__version__"}


def test_the_changelog_has_the_current_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text
    assert f"## [{cece.__version__}]" in text


def test_the_type_marker_ships():
    assert (Path(cece.__file__).parent / "py.typed").is_file()


# -- golden values --------------------------------------------------------------------------------


def _numbers(text: str) -> set[float]:
    return {float(m) for m in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text)}


def test_golden_values_match_their_source():
    """Every value in tests/golden.py appears in the §2.1 table of tests/data/golden.md."""
    table = (ROOT / "tests" / "data" / "golden.md").read_text().split("### 2.1")[1]
    listed = _numbers(table)
    values = [v for name, v in vars(G).items() if name[:1].isupper() and name[1:2].isdigit()]
    assert len(values) >= 25
    for value in values:
        for v in value if isinstance(value, (list, tuple)) else [value]:
            assert float(v) in listed, v


OUTSIDE = re.compile(r"\.\./shared/|shared/(?:golden\.md|seeds/)")  # the project's notes


def test_no_citation_points_outside_the_repository():
    """Docs and comments cite files that exist in the repository."""
    for path in [
        *ROOT.glob("*.md"),
        *ROOT.glob("tests/*.py"),
        *ROOT.glob("cece/**/*.py"),
        *ROOT.glob("bench/*"),
        *ROOT.glob("sample_data/*.md"),
    ]:
        text = path.read_text(encoding="utf-8")
        assert OUTSIDE.search(text) is None, (path, OUTSIDE.search(text))
