"""Security headers on every response, and the vendored, CSP-friendly API docs page."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Only our own scripts and styles; no inline script anywhere, no framing, no form posts elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: Swagger UI sets style attributes from its script; the docs page alone allows inline styles.
DOCS_CSP = CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class SecurityHeaders:
    """Adds the headers to every response's start message.

    A plain ASGI middleware rather than ``@app.middleware("http")``: Starlette's
    ``BaseHTTPMiddleware`` runs the rest of the app in a task and copies each response through
    a memory stream, a fixed cost on every request (issue #20 measured the whole authenticated
    path). Headers a route set itself are kept, as before. The path and scheme are read from
    the scope and the headers added as prepared bytes: building a ``URL`` and a
    ``MutableHeaders`` per response cost more than the rest of this middleware.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_headers(message.get("headers", ()), path, https)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _header(name: str, value: str) -> tuple[bytes, bytes]:
    return name.lower().encode("latin-1"), value.encode("latin-1")


_COMMON = [
    _header("X-Content-Type-Options", "nosniff"),
    _header("X-Frame-Options", "DENY"),
    _header("Referrer-Policy", "same-origin"),
    _header("Cross-Origin-Opener-Policy", "same-origin"),
]
_CSP = _header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
_DOCS_CSP = _header("Content-Security-Policy", DOCS_CSP)
_NO_STORE = _header("Cache-Control", "no-store")
_HSTS = _header("Strict-Transport-Security", "max-age=31536000")


def _with_headers(
    headers: Iterable[tuple[bytes, bytes]], path: str, https: bool
) -> list[tuple[bytes, bytes]]:
    """The response's headers plus ours, except those it already has (any case)."""
    result = list(headers)
    present = {name.lower() for name, _ in result}
    wanted = [_DOCS_CSP if path == "/docs" else _CSP, *_COMMON]
    if not path.startswith("/static/"):
        wanted.append(_NO_STORE)
    if https:
        wanted.append(_HSTS)
    result.extend(pair for pair in wanted if pair[0] not in present)
    return result


def install_security_headers(app: FastAPI) -> None:
    app.add_middleware(SecurityHeaders)


DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>partrack API</title>
  <link rel="stylesheet" href="/static/vendor/swagger-ui-5.36.0/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
  <script src="/static/vendor/swagger-ui-5.36.0/swagger-ui-bundle.js"></script>
  <script src="/static/docs-init.js"></script>
</body>
</html>
"""


def docs_page() -> HTMLResponse:
    """Swagger UI 5 vendored under ``static/vendor`` (wards run on intranets; the Python
    ``swagger-ui-bundle`` package shipped Swagger UI 4, which cannot render OpenAPI 3.1)."""
    return HTMLResponse(DOCS_HTML)
