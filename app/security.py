"""Security headers on every response, and the vendored, CSP-friendly API docs page."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.datastructures import URL, MutableHeaders
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
    path). Headers a route set itself are kept (``setdefault``), as before.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url = URL(scope=scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_headers(MutableHeaders(scope=message), url)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _add_headers(headers: MutableHeaders, url: URL) -> None:
    is_docs = url.path == "/docs"
    headers.setdefault("Content-Security-Policy", DOCS_CSP if is_docs else CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if not url.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
    if url.scheme == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")


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
