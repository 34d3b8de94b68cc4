"""One concept per module: no module of ``app/`` over 500 lines and no function over 80 (issue
15). A module that outgrows this is two concepts; split it before it is a third."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _sources() -> list[tuple[str, str]]:
    return [
        (path.relative_to(APP.parent).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(APP.rglob("*.py"))
    ]


def test_no_module_is_over_500_lines() -> None:
    long = {name: text.count("\n") for name, text in _sources()}
    assert {n: c for n, c in long.items() if c > MAX_MODULE_LINES} == {}


def test_no_function_is_over_80_lines() -> None:
    found = {}
    for name, text in _sources():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found[f"{name}:{node.lineno} {node.name}"] = length
    assert found == {}


def test_the_walk_reads_the_app() -> None:
    """A guard against a walk that finds no file (and so nothing too long)."""
    assert len(_sources()) > 100
