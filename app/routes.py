"""The app's routers: each module declares its routes on a ``Routes``; ``flatten`` builds them
once, into the app's own plain list of routes.

FastAPI builds a route as it is declared (``@router.get``): its dependencies, a validator and a
serializer for every parameter and response model. An included router is then either a branch
resolved on every request (FastAPI 0.16x), which cost 0.4–1.5 ms a request (issue #20), or a
second copy of every route (what ``add_flat`` used to build). Built when declared, again when
included and a third time flat, 326 routes took 22 MiB more of each worker than built once here
(137 → 115 MiB; issue #17, login memory). The app's ``/openapi.json`` came out byte for byte the
same; tests/test_routes.py builds one tree both ways, with FastAPI's ``include_router`` and
with ``flatten``, and compares their documents and answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import params
from fastapi.routing import APIRoute, APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope


class Declared(APIRoute):
    """A route as its module declared it, not built: what ``APIRouter.add_api_route`` resolved
    for it (its router's prefix, dependencies, tags and responses applied), kept for
    ``flatten``. It serves nothing: a ``Routes`` router is never mounted as it is."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        # No super().__init__: that is the building this class exists to defer.
        self.path = path
        self.endpoint = endpoint
        self.options = options
        self.name = str(options.get("name") or getattr(endpoint, "__name__", "route"))
        self.methods = set(options.get("methods") or ())

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        raise TypeError(f"{self.path} is declared, not built: flatten its router into the app")


@dataclass(frozen=True)
class Included:
    """``Routes.include_router``: a router whose routes join the including one's."""

    router: APIRouter
    prefix: str = ""
    tags: list[Any] = field(default_factory=list)
    dependencies: list[params.Depends] = field(default_factory=list)


class Routes(APIRouter):
    """An ``APIRouter`` whose routes are declared (``Declared``) and whose includes are recorded,
    both built by ``flatten``. It takes the options this app's routers use (a prefix, tags,
    dependencies, ``include_in_schema``) and refuses the others, which ``flatten`` would not
    carry over."""

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[Any] | None = None,
        dependencies: Sequence[params.Depends] | None = None,
        include_in_schema: bool = True,
    ) -> None:
        super().__init__(
            prefix=prefix,
            tags=tags,
            dependencies=dependencies,
            include_in_schema=include_in_schema,
            route_class=Declared,
        )

    def include_router(  # type: ignore[override]
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[Any] | None = None,
        dependencies: Sequence[params.Depends] | None = None,
    ) -> None:
        if not isinstance(router, Routes):
            raise TypeError(f"include a Routes, not {type(router).__name__}: flatten builds it")
        self.routes.append(Included(router, prefix, list(tags or []), list(dependencies or [])))  # type: ignore[arg-type]


class LiteralPrefixRoute(APIRoute):
    """A route that refuses at once a path not starting with the literal part of its own (the
    text before its first ``{parameter}``), before FastAPI's matching: a request for the last
    page route is compared with some 200 routes before it. Its regular expression starts with
    that same text, so what matches is unchanged."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.literal_prefix = self.path_format.split("{", 1)[0]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not get_route_path(scope).startswith(self.literal_prefix):
            return Match.NONE, {}
        return super().matches(scope)


@dataclass(frozen=True)
class _Context:
    """What the routers a route was included through add to it, outermost first."""

    prefix: str = ""
    tags: tuple[Any, ...] = ()
    dependencies: tuple[params.Depends, ...] = ()
    include_in_schema: bool = True


def _declared(router: Routes, outer: _Context) -> Iterator[tuple[Declared, _Context]]:
    """Every declared route of ``router`` and of the routers it includes, in order, with what
    its including routers add (as FastAPI's ``include_router`` applies it: the including
    router's own prefix, tags and dependencies, then the include's, then the route's)."""
    for route in router.routes:
        if isinstance(route, Declared):
            yield route, outer
        elif isinstance(route, Included):
            assert isinstance(route.router, Routes)
            inner = _Context(
                prefix=outer.prefix + router.prefix + route.prefix,
                tags=(*outer.tags, *router.tags, *route.tags),
                dependencies=(*outer.dependencies, *router.dependencies, *route.dependencies),
                include_in_schema=outer.include_in_schema and router.include_in_schema,
            )
            yield from _declared(route.router, inner)
        else:
            raise TypeError(f"{route!r}: a Routes router holds declared routes and includes only")


def flatten(target: APIRouter, router: Routes) -> None:
    """Build ``router``'s routes, its includes' included, into ``target`` as plain routes
    (``LiteralPrefixRoute``), in order: matching, the dependencies guarding each route and
    ``/openapi.json`` are what FastAPI's ``include_router`` would give."""
    for route, context in _declared(router, _Context()):
        options = dict(route.options)
        options.pop("dependency_overrides_provider", None)  # the target's, as FastAPI's own
        options["tags"] = [*context.tags, *(options.get("tags") or [])]
        options["dependencies"] = [*context.dependencies, *(options.get("dependencies") or [])]
        options["include_in_schema"] = context.include_in_schema and options.get(
            "include_in_schema", True
        )
        target.add_api_route(
            context.prefix + route.path,
            route.endpoint,
            route_class_override=LiteralPrefixRoute,
            **options,
        )
