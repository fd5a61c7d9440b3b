"""The layering of DESIGN.md §2, checked on the source: no upward import, no import cycle,
and ``import hessians`` loads neither qiskit nor sympy."""

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("qlsa", "estimators", "hessians", "scheduler")
FORBIDDEN = {   # layer → top-level names it must never import (also lazily, inside functions)
    "qlsa": {"estimators", "hessians", "scheduler", "qlsa.cli"},
    "estimators": {"hessians", "scheduler", "qlsa.cli"},
    "hessians": {"estimators", "scheduler", "qlsa.cli", "qiskit", "qiskit_aer", "qiskit_ibm_runtime", "sympy",
                 "pennylane"},
    "scheduler": {"qlsa.cli"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _layer(module: str) -> str:
    if module in ("qlsa.cli", "qlsa.__main__") or module.startswith("qlsa.cli."):
        return "qlsa.cli"
    return module.split(".")[0]


def _matches(imported: str, banned: str) -> bool:
    return imported == banned or imported.startswith(banned + ".")


def test_no_upward_imports():
    bad = []
    for name, path in _modules().items():
        layer = _layer(name)
        if layer == "qlsa.cli":
            continue
        for imported in _imports(name, path, top_level_only=False):
            if any(_matches(imported, b) for b in FORBIDDEN[layer]):
                bad.append(f"{name} imports {imported}")
    assert not bad, "upward imports:\n" + "\n".join(sorted(bad))


def test_no_import_cycles():
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for imported in _imports(name, path, top_level_only=True):
            if imported in modules and imported != name and not name.startswith(imported + "."):
                graph.add_edge(name, imported)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles[:5]}"


@pytest.mark.parametrize("package,absent", [("hessians", ("qiskit", "sympy", "estimators")),
                                            ("qlsa.matrices", ("qiskit", "sympy", "torch"))])
def test_light_packages_stay_light(package, absent):
    code = f"import sys, {package}; print(','.join(m for m in {absent!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"import {package} loaded {loaded}"
