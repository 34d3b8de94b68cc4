"""Every import is received by one function (``app/uploads/receive.py``): the bounded path with
the size limit, the slow-body timeouts, the user's import slots and no pooled connection held.

The review of December 2026 found the PAR pages reading the whole uploaded part into memory with
a copy of the receiving code that took no slot, and the PAR API carrying a second copy of the
bulk API's receive. These checks read the source: a route that calls the guards itself, or reads
a part into bytes, is a copy again.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

#: Where the guards are defined, and the one module that strings them together.
_GUARDS = {"receive_upload", "import_slot", "release_connection"}
_ALLOWED = {
    APP / "uploads" / "files.py",
    APP / "uploads" / "limits.py",
    APP / "uploads" / "receive.py",
}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(APP.rglob("*.py"))]


def _called(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
    return names


def test_only_the_shared_receive_calls_the_upload_guards() -> None:
    copies = {
        str(path.relative_to(APP.parent)): sorted(_called(tree) & _GUARDS)
        for path, tree in _modules()
        if path not in _ALLOWED and _called(tree) & _GUARDS
    }
    assert copies == {}, f"receive uploads through app/uploads/receive.py, not: {copies}"


def test_no_par_route_reads_an_uploaded_file_into_memory() -> None:
    """``upload_from_bytes`` after ``await part.read()`` was the PAR pages' copy: the file whole
    in memory, outside the import slots."""
    readers = {
        str(path.relative_to(APP.parent))
        for path, tree in _modules()
        if path.is_relative_to(APP / "par") and "upload_from_bytes" in _called(tree)
    }
    assert readers == set()


def test_the_receive_is_written_once() -> None:
    defined = Counter(
        node.name
        for _, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    )
    for name in ("received_import", "run_received", "received_file", "summary_response"):
        assert defined[name] == 1, name


def test_the_registers_and_par_names_still_import() -> None:
    from app.par.framework_api import FILE_BODY, IMPORT_RESPONSES, received_import
    from app.uploads import receive

    assert FILE_BODY is receive.FILE_BODY
    assert IMPORT_RESPONSES is receive.IMPORT_RESPONSES
    assert received_import is receive.received_import
