"""The gateway's domain has no import cycle: every module of mock_gateway/core imports only modules
below it, at the top of the file (no import hidden in a function to break a circle).

The graph is read from the source with `ast`, so a cycle held together by imports inside functions
counts as much as one at module level. A package's __init__ that collects its own submodules
(core/methods/__init__.py) is not an edge back from the submodules: Python runs it first, and a
submodule that imported a name from it would show as an edge and fail here.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = "mock_gateway.core"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path, name: str, known: set[str]) -> list[tuple[str, int, bool]]:
    """(module imported, line, inside a function) for every import in the file that names a known module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function.update(id(n) for n in ast.walk(node) if n is not node)
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = node.module or ""
            base = f"{base}.{module}" if node.level and module else (base if node.level else module)
            # `from . import clock` imports the submodule; `from .clock import Handler` the module itself
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        for target in targets:
            if target in known and target != name:
                found.append((target, node.lineno, id(node) in in_function))
    return found


def graph(prefix: str) -> tuple[dict[str, set[str]], list[str]]:
    files = {module_name(p): p for p in (ROOT / prefix.replace(".", "/")).rglob("*.py")}
    edges: dict[str, set[str]] = {name: set() for name in files}
    hidden = []
    for name, path in files.items():
        for target, line, inside in imported(path, name, set(files)):
            edges[name].add(target)
            if inside:
                hidden.append(f"{name}:{line} imports {target} inside a function")
    return edges, hidden


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_core_has_no_import_cycle() -> None:
    edges, _ = graph(CORE)
    assert cycles(edges) == []


def test_core_hides_no_import_in_a_function() -> None:
    _, hidden = graph(CORE)
    assert hidden == []


def test_the_checker_sees_a_cycle_held_by_a_function_level_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself: a two-module circle closed inside a function is found."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from . import a\n    return a\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    edges, hidden = graph("pkg")
    assert cycles(edges) == [["pkg.a", "pkg.b"]]
    assert hidden == ["pkg.b:2 imports pkg.a inside a function"]
