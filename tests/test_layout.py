"""The house rules, checked: imports only go down the pipeline, no cycles, no private names
across modules, rich only in report/, Typer only in cli/, modules of a readable size.

Layers, lowest first (a module may import its own layer and the ones below it):

    0  cece (version), cece.errors, cece.options, cece.parallel, cece.structs
    1  cece._native              the one switch between compiled and numpy kernels
    2  cece.losses, cece.io      the library; reading inputs
    3  cece.checks               kind detection, validation, diagnostics
    4  cece.engine               blocks → per-sample terms → mergeable aggregates
    5  cece.report               numbers, JSON, records, tables, atomic output
    6  cece.tools                explain, curve, inspect (no Typer, no rich): data, worded
                                 with report's number formatter, drawn by report
    6  cece.distributed          the per-shard function and the fold, for any engine

Imports under ``if TYPE_CHECKING:`` (annotations only) are not counted.
    7  cece.cli, cece.__main__   Typer: parameters, commands, main()
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "cece"
LAYERS = {
    "cece": 0,
    "cece.errors": 0,
    "cece.options": 0,
    "cece.parallel": 0,
    "cece.structs": 0,
    "cece._native": 1,
    "cece.losses": 2,
    "cece.io": 2,
    "cece.checks": 3,
    "cece.engine": 4,
    "cece.report": 5,
    "cece.tools": 6,
    "cece.distributed": 6,
    "cece.cli": 7,
    "cece.__main__": 7,
}
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _layer(module: str) -> int:
    """The layer of a module: that of the longest listed prefix."""
    best = max((k for k in LAYERS if module == k or module.startswith(k + ".")), key=len)
    return LAYERS[best]


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:`` (annotations, never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names, line) for every import in the file, at any depth (lazy ones too)."""
    out = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            out.append((node.module or "", [a.name for a in node.names], node.lineno))
    return out


def _targets(module: str, names: list[str]) -> list[str]:
    """The cece modules an import statement loads: ``from cece.io import text`` → cece.io.text."""
    found = [module] if module in MODULES else []
    found += [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
    return found


def _edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for mod, path in MODULES.items():
        for target, names, _ in _imports(path):
            graph[mod].update(t for t in _targets(target, names) if t != mod)
    return graph


def test_the_layout_is_what_the_docstring_says():
    packages = {m for m, p in MODULES.items() if p.name == "__init__.py"}
    assert packages == {
        "cece",
        "cece._native",
        "cece.checks",
        "cece.cli",
        "cece.engine",
        "cece.io",
        "cece.losses",
        "cece.report",
        "cece.tools",
    }
    for mod in MODULES:
        _layer(mod)  # every module belongs to a layer


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_imports_only_go_down(mod):
    here = _layer(mod)
    for target, names, line in _imports(MODULES[mod]):
        for t in _targets(target, names):
            if mod == "cece" and t.startswith("cece.losses"):
                continue  # the package's lazy public API (PEP 562) re-exports the library
            assert _layer(t) <= here, (
                f"{MODULES[mod]}:{line}: {mod} (layer {here}) imports "
                f"{t} (layer {_layer(t)}), which is above it"
            )


def test_no_import_cycles():
    graph = _edges()
    graph["cece"] = set()  # the lazy public API, imported on first use only
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt.startswith(node + "."):
                continue  # a package importing its own submodule
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_no_private_names_across_modules(mod):
    path = MODULES[mod]
    aliases = {}
    for target, names, line in _imports(path):
        if not target.startswith("cece"):
            continue
        for name in names:
            own = mod == target or mod.startswith(target + ".")  # a package's own private part
            if (
                name.startswith("_")
                and not own
                and f"{target}.{name}" not in MODULES
                and name != "__version__"
            ):
                pytest.fail(f"{path}:{line}: imports the private name {name} from {target}")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cece"):
            for a in node.names:
                if f"{node.module}.{a.name}" in MODULES:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            owner = aliases[node.value.id]
            if f"{owner}.{node.attr}" not in MODULES:  # a private module of a package is fine
                pytest.fail(f"{path}:{node.lineno}: uses {owner}'s private {node.attr}")


@pytest.mark.parametrize(
    "library, home", [("rich", "cece.report"), ("typer", "cece.cli"), ("click", None)]
)
def test_rich_only_in_report_and_typer_only_in_cli(library, home):
    for mod, path in MODULES.items():
        for target, _, line in _imports(path):
            if target == library or target.startswith(library + "."):
                assert home is not None and (mod == home or mod.startswith(home + ".")), (
                    f"{path}:{line}: {mod} imports {library}"
                )


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_modules_stay_readable(mod):
    lines = MODULES[mod].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[mod]} has {lines} lines; split it (≤ {MAX_LINES})"


def test_the_rules_can_fail(tmp_path):
    """The checks above see what they are meant to see (a rule that cannot fail is no rule)."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from cece.cli.entry import main\nfrom cece.io.text import _fast\n"
        "def f():\n    import rich\n"
    )
    found = _imports(bad)
    assert ("cece.cli.entry", ["main"], 1) in found and ("rich", [], 4) in found
    assert _layer("cece.cli.entry") > _layer("cece.losses.softmax")
    assert _targets("cece.io", ["text", "nothing"]) == ["cece.io", "cece.io.text"]
