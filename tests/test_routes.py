"""Routes declared on ``Routes`` and built once by ``flatten`` (issue #17, worker memory) answer
and document themselves as FastAPI's own ``include_router`` would have them: the same tree is
built both ways and compared, by its OpenAPI document and by requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app.routes import Declared, LiteralPrefixRoute, Routes, flatten
from tests.conftest import in_fresh_interpreter


class Item(BaseModel):
    item: int
    q: str | None
    seen: list[str]


def _noting(name: str) -> Callable[[Request], None]:
    def note(request: Request) -> None:
        request.state.seen = [*getattr(request.state, "seen", []), name]

    note.__name__ = f"note_{name}"
    return note


def _tree(make: Callable[..., Any]) -> Any:
    """Prefixes, tags, dependencies and a hidden router at three levels, as the app nests them."""
    inner = make(prefix="/inner", tags=["inner"], dependencies=[Depends(_noting("inner"))])

    @inner.get("/items/{item}", response_model=Item, summary="Một mục")
    def item(item: int, request: Request, q: str | None = None) -> Item:
        return Item(item=item, q=q, seen=request.state.seen)

    hidden = make(include_in_schema=False)

    @hidden.post("/hidden", status_code=201)
    def hidden_one(request: Request) -> dict[str, list[str]]:
        return {"seen": request.state.seen}

    middle = make(prefix="/mid", dependencies=[Depends(_noting("mid"))])
    middle.include_router(inner, tags=["via-mid"])
    middle.include_router(hidden, prefix="/h", tags=["h"])
    top = make(prefix="/api")
    top.include_router(middle, dependencies=[Depends(_noting("top"))])
    return top


def _apps() -> tuple[FastAPI, FastAPI]:
    plain = FastAPI()
    plain.include_router(_tree(APIRouter))
    flat = FastAPI()
    flatten(flat.router, _tree(Routes))
    return plain, flat


def test_a_flattened_tree_documents_and_answers_as_fastapis_include() -> None:
    plain, flat = _apps()
    assert json.dumps(flat.openapi(), sort_keys=True) == json.dumps(plain.openapi(), sort_keys=True)
    with TestClient(plain) as a, TestClient(flat) as b:
        for method, url in (
            ("GET", "/api/mid/inner/items/5?q=x"),
            ("POST", "/api/mid/h/hidden"),
            ("GET", "/api/mid/inner/items/nope"),
            ("GET", "/api/inner/items/5"),
            ("DELETE", "/api/mid/inner/items/5"),
        ):
            one, two = a.request(method, url), b.request(method, url)
            assert (one.status_code, one.json()) == (two.status_code, two.json()), url
    answer = TestClient(flat).get("/api/mid/inner/items/5").json()
    assert answer["seen"] == ["top", "mid", "inner"]  # outermost dependency first
    assert all(isinstance(r, LiteralPrefixRoute) for r in flat.routes if hasattr(r, "dependant"))


def test_routes_refuse_what_flatten_would_not_carry() -> None:
    with pytest.raises(TypeError):
        Routes(responses={404: {"description": "x"}})  # type: ignore[call-arg]
    routes = Routes()
    with pytest.raises(TypeError):
        routes.include_router(APIRouter())  # built already: flatten could not rebuild it
    with pytest.raises(TypeError):
        routes.include_router(Routes(), default_response_class=None)  # type: ignore[call-arg]

    @routes.get("/declared")
    def declared() -> None:
        return None

    route = routes.routes[0]
    assert isinstance(route, Declared) and not hasattr(route, "dependant")  # nothing built
    with pytest.raises(TypeError):
        route.matches({"type": "http", "path": "/declared"})


_PROBE = """
import gc, json
from fastapi.routing import APIRoute
from app.routes import Declared
from app.runtime import worker_app
app = worker_app()
gc.unfreeze()
built = [o for o in gc.get_objects() if isinstance(o, APIRoute) and not isinstance(o, Declared)]
served = [r for r in app.routes if isinstance(r, APIRoute)]
print(json.dumps({"built": len(built), "served": len(served)}))
"""


def test_a_worker_builds_each_route_once(tmp_path: Path) -> None:
    """Every route object alive in a worker is one the app serves: none built on declaration,
    none copied by an include."""
    found = in_fresh_interpreter(_PROBE, tmp_path)
    assert found["served"] > 300
    assert found["built"] == found["served"]
