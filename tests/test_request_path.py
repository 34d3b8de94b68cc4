"""The request path's structure that issue #20's speed depends on, checked without timing: the
app's routes are one flat list (FastAPI resolved nested includes on every request), and
flattening kept every protected route behind its authentication dependency."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from app.accounts.dependencies import require_actor, require_web_identity

#: Routes open without credentials (docs/accounts.md, "Public without login").
PUBLIC_API = {"/api/v1/auth/token"}


def _calls(dependant: Dependant) -> set[object]:
    found: set[object] = set()
    for sub in dependant.dependencies:
        found.add(sub.call)
        found |= _calls(sub)
    return found


def test_the_routes_are_one_flat_list(shared_app: FastAPI) -> None:
    kinds = {type(route) for route in shared_app.router.routes}
    assert all(issubclass(kind, Route | Mount) for kind in kinds), kinds  # no included branch
    assert len(shared_app.router.routes) > 200


def test_every_api_route_but_logging_in_needs_credentials(shared_app: FastAPI) -> None:
    api = [
        r
        for r in shared_app.router.routes
        if isinstance(r, APIRoute) and r.path.startswith("/api/v1/")
    ]
    assert api
    open_routes = {r.path for r in api if require_actor not in _calls(r.dependant)}
    assert open_routes == PUBLIC_API


def test_the_workspace_and_admin_pages_need_a_session(shared_app: FastAPI) -> None:
    pages = [
        r
        for r in shared_app.router.routes
        if isinstance(r, APIRoute)
        and r.path.startswith(("/admin", "/units/", "/scores", "/review"))
    ]
    assert pages
    assert all(require_web_identity in _calls(r.dependant) for r in pages)
