"""The application factory: routers, static files and error handlers, wired once."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from app import health
from app.clock import Clock, FixedClock, SystemClock
from app.config import ROOT_DIR, Settings, get_settings
from app.db import make_engine
from app.errors import install_error_handlers
from app.kpis import api as kpi_api
from app.plans import api as plan_api
from app.plans import pages as plan_pages
from app.progress import api as progress_api
from app.units import api as unit_api

API_PREFIX = "/api/v1"

DESCRIPTION = """
JSON API of **partrack**: Plan 84/KH-UBND of Phú Định ward (PAR Index and SIPAS) as data.

* Public keys are **codes** (`vhxh`, `II.1.3.2`, `tthc_ontime`, `ho-tich`), never internal ids
  (readings and progress rows, which have no natural code, expose an `id` for deletion).
* Periods are strings: `2025-10` (month, the reporting period during 2025), `2026-Q1`
  (quarter, from 2026), `2026` (year, filters only).
* Lists are paginated with `limit` and `offset` and return `total`.
* Errors answer `{"detail": {"code", "message", "errors": [{"field", "code", "message"}]}}`,
  messages in Vietnamese: 422 for invalid input, 404 for unknown codes, 409 for duplicates and
  stale `version`s.
"""


def build_api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(unit_api.router)
    router.include_router(plan_api.router)
    router.include_router(kpi_api.router)
    router.include_router(progress_api.router)
    return router


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the app; tests pass their own settings, engine and a fixed clock."""
    settings = settings or get_settings()
    app = FastAPI(
        title="partrack API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "units", "description": "The ward committee and its offices (a tree)."},
            {"name": "plans", "description": "Plans and the 8 PAR Index areas."},
            {"name": "assignments", "description": "The plan's tasks, keyed by their place."},
            {"name": "indicators", "description": "Quantitative targets of the plan."},
            {"name": "domains", "description": "Domains (lĩnh vực) of administrative procedures."},
            {"name": "readings", "description": "KPI values per unit, period and domain."},
            {"name": "progress", "description": "Units' reports on their tasks per period."},
            {"name": "health", "description": "Probes."},
        ],
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url, echo=settings.sql_echo)
    if clock is None:
        clock = FixedClock.on(settings.today) if settings.today else SystemClock()
    app.state.clock = clock
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(build_api_router())
    app.include_router(plan_pages.router)
    app.mount("/static", StaticFiles(directory=str(ROOT_DIR / "app" / "static")), name="static")
    return app
