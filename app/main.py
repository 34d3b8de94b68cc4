"""The application factory: routers, static files and error handlers, wired once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from app import health, security
from app.accounts import api as account_api
from app.accounts import credential_events, passwords
from app.accounts import pages as account_pages
from app.accounts.dependencies import (
    LoginRequired,
    PasswordChangeRequired,
    configure_hashing,
    login_url,
    require_actor,
    require_web_identity,
)
from app.admin import pages as admin_pages
from app.audit import api as audit_api
from app.city import api as city_api
from app.city import pages as city_pages
from app.clock import Clock, FixedClock, SystemClock
from app.config import ROOT_DIR, Settings, get_settings
from app.db import make_engine
from app.dossiers import api as dossier_api
from app.dossiers import pages as dossier_pages
from app.errors import ErrorResponse, install_error_handlers
from app.exports import api as export_api
from app.imports import api as import_api
from app.imports import pages as import_pages
from app.imports.profiles import api as profile_api
from app.kpis import api as kpi_api
from app.names import attach_names
from app.par import api as par_api
from app.par import evidence_api as par_evidence_api
from app.par import framework_api as par_framework_api
from app.par import item_pages as par_item_pages
from app.par import pages as par_pages
from app.par import table_pages as par_table_pages
from app.plans import api as plan_api
from app.plans import pages as plan_pages
from app.progress import api as progress_api
from app.progress.evidence import api as evidence_api
from app.registers import api as register_api
from app.registers import pages as register_pages
from app.reminders import api as reminder_api
from app.reminders import pages as reminder_pages
from app.reporting import api as reporting_api
from app.reporting import (
    coordination_api,
    coordination_routes,
    evidence_routes,
    flags_api,
    reopen_api,
    reopen_pages,
    workspace_api,
    workspace_routes,
)
from app.reporting import pages as reporting_pages
from app.reports import api as reports_api
from app.reports import pages as reports_pages
from app.routes import Routes, flatten
from app.runtime import tune_gc
from app.scores import api as score_api
from app.scores import pages as score_pages
from app.sipas import api as sipas_api
from app.sipas import pages as sipas_pages
from app.sipas import public as sipas_public
from app.units import api as unit_api
from app.wards import pages as ward_pages
from app.wards.pages import attach_ward_header

API_PREFIX = "/api/v1"

DESCRIPTION = """
JSON API of **partrack**: Plan 84/KH-UBND of Phú Định ward (PAR Index and SIPAS) as data.

* Public keys are **codes** (`vhxh`, `II.1.3.2`, `tthc_ontime`, `ho-tich`), never internal ids
  (readings and progress rows, which have no natural code, expose an `id` for deletion).
* Periods are strings: `2025-10` (month, the reporting period during 2025), `2026-Q1`
  (quarter, from 2026), `2026` (year, filters only).
* Lists are paginated with `limit` and `offset` and return `total`.
* Authenticate with `Authorization: Bearer <token>`: a personal access token issued by an
  admin, or a short-lived one from `POST /api/v1/auth/token`. A token acts with its user's role
  and unit; 401 without valid credentials, 403 when the role or unit may not do this.
* Errors answer `{"detail": {"code", "message", "errors": [{"field", "code", "message"}]}}`,
  messages in Vietnamese: 422 for invalid input, 404 for unknown codes, 409 for duplicates and
  stale `version`s.
"""


_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_VALIDATION_REF = "#/components/schemas/HTTPValidationError"
_RETRY_AFTER = {"description": "Seconds to wait.", "schema": {"type": "integer"}}
#: What every route under /api/v1 may answer besides its own successes (error handlers, the
#: authentication dependency, throttling, a lost database connection).
_API_ERRORS: dict[str, tuple[str, dict[str, Any]]] = {
    "401": (
        "No valid credentials.",
        {"WWW-Authenticate": {"description": '`Bearer realm="partrack"`.', "schema": {}}},
    ),
    "403": ("The role or unit may not do this.", {}),
    "404": ("Unknown code, id or address.", {}),
    "409": ("Duplicate, stale `version`, locked period.", {}),
    "422": ("Invalid input; `errors` names each field.", {}),
    "429": ("Throttled.", {"Retry-After": _RETRY_AFTER}),
    "503": ("The database cannot be reached for a moment.", {"Retry-After": _RETRY_AFTER}),
}
#: Only where a body is read: unreadable JSON or form (400), past the upload limit (413).
_BODY_ERRORS = {"400": "The body cannot be read.", "413": "The body is too large."}
#: Routes that answer files rather than JSON; FastAPI cannot see that from their signatures.
_FILE_MEDIA_TYPES: dict[tuple[str, str], list[str]] = {
    ("/api/v1/reports/consolidated/versions/{period}/{version}", "get"): [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/pdf",
        "application/json",
    ],
    ("/api/v1/sipas/answers", "get"): [
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
}


def _declare_error(responses: dict[str, Any], status: str, description: str) -> dict[str, Any]:
    """Our error body for ``status``: added, put in place of FastAPI's ``HTTPValidationError``,
    or offered beside a body of the route's own (a bulk import's refused-rows summary)."""
    response = responses.setdefault(status, {"description": description})
    content = response.setdefault("content", {})
    declared = content.get("application/json", {}).get("schema")
    if not declared or declared.get("$ref") == _VALIDATION_REF:
        content["application/json"] = {"schema": _ERROR_REF}
        if response.get("description") == "Validation Error":
            response["description"] = description
    elif declared != _ERROR_REF:
        content["application/json"] = {"schema": {"anyOf": [declared, _ERROR_REF]}}
    return response


def declare_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Make ``/openapi.json`` say what the API sends: our ``{"detail": {"code", "message",
    "errors"}}`` for every error status, never FastAPI's default validation shape."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorResponse"] = error_schema
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            media_types = _FILE_MEDIA_TYPES.get((path, method))
            if media_types is not None:
                ok = operation["responses"]["200"]
                ok["content"] = {media: {"schema": {}} for media in media_types}
            if not path.startswith(API_PREFIX + "/"):
                continue
            responses = operation.setdefault("responses", {})
            for status, (description, headers) in _API_ERRORS.items():
                response = _declare_error(responses, status, description)
                if headers:
                    response["headers"] = headers
            if "requestBody" in operation:
                for status, description in _BODY_ERRORS.items():
                    _declare_error(responses, status, description)
            for status, response in responses.items():
                if status[0] in "45" and "content" not in response:
                    _declare_error(responses, status, response.get("description", ""))
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def _openapi_with_errors(app: FastAPI) -> Callable[[], dict[str, Any]]:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_errors(build())
        return app.openapi_schema

    return openapi


def build_api_router() -> Routes:
    """Everything under ``/api/v1`` needs a token or a session, except logging in for a token."""
    router = Routes(prefix=API_PREFIX)
    router.include_router(account_api.public_router)
    protected = Routes(dependencies=[Depends(require_actor)])
    protected.include_router(account_api.router)
    protected.include_router(unit_api.router)
    protected.include_router(plan_api.router)
    # in the order the OpenAPI document has always listed these paths
    protected.include_router(import_api.bulk_router)
    protected.include_router(dossier_api.router)
    protected.include_router(import_api.router)
    protected.include_router(export_api.router)
    protected.include_router(dossier_api.scorecard_router)
    protected.include_router(profile_api.router)
    protected.include_router(kpi_api.router)
    protected.include_router(progress_api.router)
    protected.include_router(evidence_api.router)
    protected.include_router(audit_api.router)
    protected.include_router(sipas_api.router)
    protected.include_router(score_api.router)
    protected.include_router(reporting_api.router)
    protected.include_router(reopen_api.router)
    protected.include_router(workspace_api.router)
    protected.include_router(flags_api.router)
    protected.include_router(coordination_api.router)
    protected.include_router(reminder_api.router)
    protected.include_router(reports_api.router)
    protected.include_router(city_api.router)
    protected.include_router(par_framework_api.router)
    protected.include_router(par_evidence_api.router)
    protected.include_router(par_api.router)
    protected.include_router(register_api.router)
    router.include_router(protected)
    return router


def build_page_router() -> Routes:
    """HTML pages; all but the login page need a browser session, and get the names of what
    they show (``app.names``) on the request's own database session."""
    router = Routes()
    router.include_router(account_pages.public_router)
    router.include_router(reports_pages.public_router)
    router.include_router(sipas_public.public_router)
    protected = Routes(
        dependencies=[
            Depends(require_web_identity),
            Depends(attach_names),
            Depends(attach_ward_header),
        ]
    )
    protected.include_router(account_pages.router)
    protected.include_router(ward_pages.router)
    protected.include_router(city_pages.router)
    protected.include_router(par_pages.router)
    protected.include_router(par_item_pages.router)
    protected.include_router(par_table_pages.router)
    protected.include_router(register_pages.router)
    protected.include_router(reporting_pages.router)
    protected.include_router(reopen_pages.router)
    protected.include_router(workspace_routes.router)
    protected.include_router(coordination_routes.router)
    protected.include_router(evidence_routes.router)
    protected.include_router(reminder_pages.router)
    protected.include_router(reports_pages.router)
    protected.include_router(score_pages.router)
    protected.include_router(sipas_pages.router)
    protected.include_router(plan_pages.router)
    protected.include_router(import_pages.router)
    protected.include_router(dossier_pages.router)
    protected.include_router(admin_pages.router)
    router.include_router(protected)
    return router


async def _login_required(request: Request, exc: Exception) -> Response:
    """A full page goes to the login page and back; an htmx fragment must not replace a form
    someone is filling in, so it answers into the alert area and leaves the form as it is."""
    assert isinstance(exc, LoginRequired)
    from app.templating import is_partial_request, render

    if is_partial_request(request) or request.method != "GET":
        response = render(
            request,
            "accounts/session_expired.html",
            {"title": "Phiên đăng nhập đã hết hạn", "login_href": login_url(exc.next_url)},
            block="alert",
            status_code=401,
        )
        response.headers["HX-Retarget"] = "#session-alert"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    target = login_url(exc.next_url) + ("&expired=1" if exc.expired else "")
    return RedirectResponse(target, status_code=303)


async def _password_change_required(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/account/password", status_code=303)


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the app; tests pass their own settings, engine and a fixed clock."""
    settings = settings or get_settings()
    passwords.use_profile(settings.password_hash_profile)
    configure_hashing(settings)
    app = FastAPI(
        docs_url=None,
        redoc_url=None,
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
            {"name": "auth", "description": "Logging in for a token; who am I."},
            {"name": "users", "description": "Accounts, roles and units (admins)."},
            {"name": "tokens", "description": "Personal access tokens for scripts (admins)."},
            {"name": "audit", "description": "Who changed what (coordinators, admins)."},
            {"name": "reports", "description": "The consolidated report (docx, xlsx, html)."},
            {
                "name": "submissions",
                "description": "Units' period reports: submit, approve, return, reopen.",
            },
            {"name": "reopen-requests", "description": "A unit asks to reopen an approved report."},
            {"name": "scores", "description": "Scores, rankings, trends; each explains itself."},
            {"name": "sipas", "description": "Satisfaction survey codes, index, comments."},
            {
                "name": "imports",
                "description": "CSV templates for the bulk endpoints.",
            },
            {"name": "dossiers", "description": "TTHC dossier feed; computes the dossier KPIs."},
            {"name": "feedback", "description": "Petitions and complaints feed (1022, portal)."},
            {"name": "exports", "description": "CSV and Excel exports with the lists' filters."},
            {"name": "scorecards", "description": "The Decision 766/QĐ-TTg service scorecard."},
            {"name": "reminders", "description": "Report reminders sent (coordinators)."},
            {"name": "notifications", "description": "A user's in-app notifications."},
            {"name": "wards", "description": "Wards and communes (city administrators)."},
            {"name": "city", "description": "Every ward side by side (city accounts)."},
            {"name": "health", "description": "Probes."},
        ],
    )
    app.state.settings = settings
    tune_gc(settings.gc_tuning)
    from app import templating

    templating.configure(reload=settings.environment == "development")
    app.state.engine = engine or make_engine(settings.database_url, echo=settings.sql_echo)
    credential_events.listen(app.state.engine)  # other workers' revocations, on PostgreSQL
    if clock is None:
        clock = FixedClock.on(settings.today) if settings.today else SystemClock()
    app.state.clock = clock
    install_error_handlers(app)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PasswordChangeRequired, _password_change_required)
    security.install_security_headers(app)
    for router in (health.router, build_api_router(), build_page_router()):
        flatten(app.router, router)
    app.add_api_route(
        "/docs", security.docs_page, include_in_schema=False, response_class=HTMLResponse
    )
    app.openapi = _openapi_with_errors(app)  # type: ignore[method-assign]
    app.mount("/static", StaticFiles(directory=str(ROOT_DIR / "app" / "static")), name="static")
    return app
