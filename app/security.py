"""Security headers on every response, and the vendored, CSP-friendly API docs page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

#: Only our own scripts and styles; no inline script anywhere, no framing, no form posts elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: Swagger UI sets style attributes from its script; the docs page alone allows inline styles.
DOCS_CSP = CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def install_security_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def _headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        is_docs = request.url.path == "/docs"
        response.headers.setdefault(
            "Content-Security-Policy", DOCS_CSP if is_docs else CONTENT_SECURITY_POLICY
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


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
