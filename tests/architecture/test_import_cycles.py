"""The packages of ``app/`` may not import each other in a circle, and the knot that exists must
only shrink.

Issue 15 found ten packages that reach each other through their imports (module-level and
inside functions alike: an import moved into a function to dodge Python's import order is still
a dependency). Untying it is a refactor of its own; until then this test is a ratchet. It walks
every import of every module, builds the graph of packages (``app.kpis.service`` counts as
``kpis``; the core modules directly under ``app/`` belong to no package and are free to be
imported by all), and finds its strongly connected components:

* a new edge inside a cycle (or a new cycle) fails: say in the change how it is avoided instead;
* an edge of ``KNOWN_KNOT`` that no longer closes a cycle fails too, so the list is trimmed by
  the change that untied it and can never grow back silently.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

#: Package → package imports that close a cycle, as measured on 2026-12-06 (issue 15).
KNOWN_KNOT: frozenset[tuple[str, str]] = frozenset(
    {
        ("accounts", "audit"),
        ("accounts", "integration"),
        ("accounts", "units"),
        ("audit", "accounts"),
        # integration's edges, moved with the feeds to app/dossiers (issue 15)
        ("dossiers", "accounts"),
        ("dossiers", "audit"),
        ("dossiers", "integration"),
        ("dossiers", "kpis"),
        ("dossiers", "plans"),
        ("dossiers", "reminders"),
        ("dossiers", "reporting"),
        ("dossiers", "units"),
        ("integration", "audit"),
        ("kpis", "accounts"),
        ("kpis", "audit"),
        ("kpis", "plans"),
        ("kpis", "reporting"),
        ("kpis", "units"),
        ("plans", "accounts"),
        ("plans", "audit"),
        ("plans", "kpis"),
        ("plans", "progress"),
        ("plans", "units"),
        ("progress", "accounts"),
        ("progress", "audit"),
        ("progress", "kpis"),
        ("progress", "plans"),
        ("progress", "units"),
        ("reminders", "accounts"),
        ("reminders", "audit"),
        ("reminders", "plans"),
        ("reminders", "reporting"),
        ("reminders", "units"),
        ("reporting", "accounts"),
        ("reporting", "audit"),
        # the one edge that ties dossiers in: reporting shows metrics.conflict_note
        ("reporting", "dossiers"),
        ("reporting", "kpis"),
        ("reporting", "plans"),
        ("reporting", "progress"),
        ("reporting", "reminders"),
        ("reporting", "units"),
        ("units", "accounts"),
        ("units", "audit"),
    }
)


def _package(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "app" or not (APP / parts[1]).is_dir():
        return None  # a core module (app/formatting.py …) or not ours
    return parts[1]


def package_graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in APP.rglob("*.py"):
        module = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
        source = _package(module)
        if source is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for name in names:
                target = _package(name)
                if target is not None and target != source:
                    edges[source].add(target)
    return edges


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


def test_the_walk_sees_a_known_dependency() -> None:
    """A guard against a walk that finds nothing (and so no cycles): the scores read readings."""
    assert "kpis" in package_graph()["scores"]


def test_no_new_import_cycle_and_the_known_knot_only_shrinks() -> None:
    found = cycle_edges(package_graph())
    new = sorted(found - KNOWN_KNOT)
    assert not new, (
        f"new imports that close a cycle between packages: {new}. Depend on a lower layer "
        "(a core module under app/, or a small module both packages may import) instead."
    )
    untied = sorted(KNOWN_KNOT - found)
    assert not untied, f"no longer in a cycle, remove from KNOWN_KNOT: {untied}"


def test_the_cycle_finder_finds_cycles_and_nothing_else() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycle_edges(graph) == {("a", "b"), ("b", "c"), ("c", "a")}
    assert cycle_edges({"a": {"b"}, "b": set()}) == set()
