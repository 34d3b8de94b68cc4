"""The raw baseline of the request-path benchmarks: a bare FastAPI app with one JSON route and
one HTML route, nothing of partrack's (no middleware, no database, no authentication).

Served by the same uvicorn as ``partrack serve`` (one worker), so a ratio against it measures
what partrack adds on top of the framework and the server, not the server itself:

    .venv/bin/python -m uvicorn bench.bare:app --port 8100 --no-access-log
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

#: About the size of a small logged-in page's body (the top bar, a heading, a paragraph).
PAGE = (
    "<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>partrack</title>"
    "<link rel='stylesheet' href='/static/app.css'></head><body><header>partrack</header>"
    "<main><h1>Xin chào</h1><p>Trang trống để đo tốc độ.</p></main></body></html>"
)


class Who(BaseModel):
    """The same shape of answer as ``GET /api/v1/auth/me`` (a response model, validated)."""

    username: str
    full_name: str
    role: str
    unit: str | None
    active: bool


@app.get("/json", response_model=Who)
def json_route() -> Who:
    return Who(username="bench", full_name="Bench", role="viewer", unit=None, active=True)


@app.get("/html", response_class=HTMLResponse)
def html_route() -> HTMLResponse:
    return HTMLResponse(PAGE)


@app.get("/json-async", response_model=Who)
async def json_async_route() -> Who:
    """The same without the thread pool hop a plain ``def`` route takes."""
    return Who(username="bench", full_name="Bench", role="viewer", unit=None, active=True)


@app.get("/html-async", response_class=HTMLResponse)
async def html_async_route() -> HTMLResponse:
    return HTMLResponse(PAGE)
