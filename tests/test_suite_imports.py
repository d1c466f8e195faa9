"""The suite runs as CI runs it, with plain ``pytest`` from the repository: tests import their
helpers as top-level modules (``from conftest import run_cece``, ``import reference``), never
through a ``tests`` package, which exists only under ``python -m pytest``."""

from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_no_test_imports_the_tests_package():
    found = []
    for path in sorted(HERE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tests":
                found.append(f"{path.relative_to(HERE)}:{node.lineno}")
            elif isinstance(node, ast.Import):
                found += [
                    f"{path.relative_to(HERE)}:{node.lineno}"
                    for alias in node.names
                    if alias.name.split(".")[0] == "tests"
                ]
    assert not found, found
