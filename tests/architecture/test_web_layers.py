"""Pages and the JSON API are two doors onto the same services: neither imports the other.

A page module is one whose router is left out of the OpenAPI (``Routes(include_in_schema=
False)``, or an ``APIRouter``'s); an API module is an ``api.py``. What both need (a download, a
label, a query alias) lives in a service, a dependencies module or a core module. ``KNOWN``
lists the imports measured when this test was written (issue 15); like ``KNOWN_KNOT`` it may
only shrink: an entry that no longer holds fails too, so the change that removes it also strikes
it here.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

#: (importer, imported) pairs still to remove: none since app/uploads was split (2026-12-07).
KNOWN: frozenset[tuple[str, str]] = frozenset()


def _modules() -> dict[str, ast.Module]:
    return {
        ".".join(p.relative_to(APP.parent).with_suffix("").parts): ast.parse(
            p.read_text(encoding="utf-8")
        )
        for p in APP.rglob("*.py")
    }


def _is_page(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) in ("Routes", "APIRouter")
            and any(
                k.arg == "include_in_schema"
                and isinstance(k.value, ast.Constant)
                and k.value.value is False
                for k in node.keywords
            )
        ):
            return True
    return False


def _imports(tree: ast.Module, modules: set[str]) -> set[str]:
    """Modules of ours imported anywhere in the file (local imports included)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found & modules


def crossings() -> set[tuple[str, str]]:
    trees = _modules()
    pages = {name for name, tree in trees.items() if _is_page(tree)}
    apis = {name for name in trees if name.rsplit(".", 1)[-1] == "api"}
    found = set()
    for name in pages | apis:
        other = apis if name in pages else pages
        found.update((name, target) for target in _imports(trees[name], set(trees)) & other)
    return found


def test_the_walk_sees_pages_and_apis() -> None:
    trees = _modules()
    assert _is_page(trees["app.reports.pages"]) and not _is_page(trees["app.reports.api"])


def test_pages_and_the_api_do_not_import_each_other() -> None:
    found = crossings()
    new = sorted(found - KNOWN)
    assert not new, f"a page imports an API module or the reverse: {new}"
    gone = sorted(KNOWN - found)
    assert not gone, f"no longer imported, remove from KNOWN: {gone}"
