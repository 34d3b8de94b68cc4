"""The packages of ``app/`` may not import each other in a circle, and a domain never imports the
web layer.

Issue 15 found ten packages that reach each other through their imports (module-level and
inside functions alike: an import moved into a function to dodge Python's import order is still
a dependency). The layers are core → domains → web (docs/architecture.md). A package holds both
its domain modules (models, services) and its web modules (the routes: a module that declares a
``Routes`` (``app/routes.py``) or an ``APIRouter``, or is named ``api``, ``pages``,
``dependencies``, ``*_api``, ``*_routes``, ``*_pages``; all of ``admin``). The graph therefore
has two nodes per package, ``units`` and ``units:web``: every package's routes depend on the
accounts' request dependencies, which depend on the units a user belongs to; that is a layer
above, not a circle. A cycle between any two nodes fails, and so does a domain module that
imports a web module.

The core modules directly under ``app/`` belong to no package and are free to be imported by all.
The knot of 2026-12-06 (53 cycle-closing edges among ten packages) is untied: any cycle fails.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

_WEB_NAMES = frozenset({"api", "pages", "dependencies"})
_WEB_SUFFIXES = ("_api", "_routes", "_pages")


def _module_path(module: str) -> Path | None:
    base = APP.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _declares_routes(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return "Routes(" in text or "APIRouter(" in text


def node_of(module: str) -> str | None:
    """``kpis`` for a domain module of ``app/kpis``, ``kpis:web`` for its routes, ``None`` for a
    core module (``app/formatting.py`` …) or anything not ours."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "app" or not (APP / parts[1]).is_dir():
        return None
    package, leaf = parts[1], parts[-1]
    path = _module_path(module)
    web = (
        package == "admin"
        or leaf in _WEB_NAMES
        or leaf.endswith(_WEB_SUFFIXES)
        or (path is not None and _declares_routes(path))
    )
    return f"{package}:web" if web else package


def _imported(node: ast.AST) -> list[str]:
    """The modules an import statement reaches: ``from app.kpis import readings`` is the module
    ``app.kpis.readings``; ``from app.kpis.models import Indicator`` is ``app.kpis.models``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [
            f"{node.module}.{alias.name}"
            if _module_path(f"{node.module}.{alias.name}") is not None
            else node.module
            for alias in node.names
        ]
    return []


def import_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], set[str]]]:
    """Node → nodes it imports, and for each edge the modules that make it."""
    edges: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        source = node_of(module)
        if source is None:
            continue
        for statement in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for name in _imported(statement):
                target = node_of(name)
                if target is not None and target != source:
                    edges[source].add(target)
                    where[(source, target)].add(module)
    return edges, where


def cycle_edges(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    """The edges inside strongly connected components (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    component: dict[str, int] = {}

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component[member] = index[node]
                if member == node:
                    break

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return {
        (a, b)
        for a, targets in edges.items()
        for b in targets
        if component.get(a) is not None and component.get(a) == component.get(b)
    }


def test_the_walk_sees_a_known_dependency_and_the_layers() -> None:
    """A guard against a walk that finds nothing (and so no cycles)."""
    edges, _ = import_graph()
    assert "kpis" in edges["scores"]
    assert "accounts:web" in edges["kpis:web"]
    assert node_of("app.kpis.readings") == "kpis"
    assert node_of("app.reporting.workspace_routes") == "reporting:web"
    assert node_of("app.formatting") is None


def test_no_domain_module_imports_the_web_layer() -> None:
    edges, where = import_graph()
    upward = {
        (source, target): sorted(where[(source, target)])
        for source, targets in edges.items()
        if not source.endswith(":web")
        for target in targets
        if target.endswith(":web")
    }
    assert not upward, f"domain modules importing routes (move what they share down): {upward}"


def test_no_import_cycle() -> None:
    edges, where = import_graph()
    found = {edge: sorted(where[edge]) for edge in sorted(cycle_edges(edges))}
    assert not found, (
        f"imports that close a cycle: {found}. Depend on a lower layer (a core module under "
        "app/, or a small module both packages may import) instead."
    )


def test_the_cycle_finder_finds_cycles_and_nothing_else() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycle_edges(graph) == {("a", "b"), ("b", "c"), ("c", "a")}
    assert cycle_edges({"a": {"b"}, "b": set()}) == set()
