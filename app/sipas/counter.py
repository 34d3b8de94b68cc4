"""Pages for the service centre's counter: a survey code with its QR code for one dossier, and
enrolling a tablet as a kiosk (which logs the officer out of it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import Response

from app.accounts import auth
from app.accounts.dependencies import WebUser, clear_session_cookie
from app.actors import Actor
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import AppError, Invalid, translate_validation_errors
from app.kpis import domains as kpi_domains
from app.routes import Routes
from app.sipas import codes, kiosks, ward_version
from app.sipas.config import formula
from app.sipas.dependencies import code_settings, settings_of
from app.sipas.models import DossierForCode
from app.sipas.questionnaire import content_of
from app.sipas.survey_screen_pages import KIOSK_COOKIE, KIOSK_HOME
from app.templating import render

router = Routes(include_in_schema=False)


# --- a code at the counter -----------------------------------------------------------------------


def _counter_page(
    request: Request,
    db_session: Session,
    clock: Clock,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    issued: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    content = content_of(ward_version.in_force(db_session=db_session, clock=clock))
    return render(
        request,
        "sipas/counter.html",
        {
            "title": "Mã khảo sát tại quầy",
            "values": values or {},
            "errors": errors or {},
            "issued": issued,
            "qr": codes.qr_svg_data_uri(issued.url) if issued else None,
            "channels": content.channels,
            "domains": kpi_domains.list_domains(db_session=db_session, active=True),
        },
        block="code_form",
        status_code=status_code,
    )


@router.get("/sipas/ma", response_class=HTMLResponse)
def counter_page(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> HTMLResponse:
    return _counter_page(request, db_session, clock)


@router.post("/sipas/ma", response_class=HTMLResponse)
def counter_issue(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    dossier_code: Annotated[str, Form(max_length=100)] = "",
    domain: Annotated[str, Form(max_length=64)] = "",
    procedure_name: Annotated[str, Form(max_length=255)] = "",
    channel: Annotated[str, Form(max_length=16)] = "",
) -> HTMLResponse:
    values = {
        "dossier_code": dossier_code,
        "domain": domain,
        "procedure_name": procedure_name,
        "channel": channel,
    }
    try:
        dossier = DossierForCode(
            dossier_code=dossier_code,
            unit=formula().indicator.unit,
            domain=domain or None,
            procedure_name=procedure_name,
            channel=channel or None,
        )
        issued = codes.issue_codes(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            settings=code_settings(request),
            dossiers=[dossier],
        ).items[0]
    except ValidationError as exc:
        errors = {e.field: e.message for e in translate_validation_errors(list(exc.errors()))}
        return _counter_page(
            request, db_session, clock, values=values, errors=errors, status_code=422
        )
    except Invalid as exc:
        errors = {e.field.rpartition(".")[2]: e.message for e in exc.errors}
        return _counter_page(
            request, db_session, clock, values=values, errors=errors, status_code=422
        )
    return _counter_page(request, db_session, clock, issued=issued)


# --- kiosks --------------------------------------------------------------------------------------


def _kiosks_page(
    request: Request,
    db_session: Session,
    actor: Actor,
    *,
    error: str | None = None,
    name: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "sipas/kiosks.html",
        {
            "title": "Máy khảo sát tại quầy",
            "kiosks": kiosks.list_kiosks(
                db_session=db_session, actor=actor, centre=formula().indicator.unit
            ),
            "error": error,
            "name": name,
        },
        block="kiosk_form",
        status_code=status_code,
    )


@router.get("/sipas/may", response_class=HTMLResponse)
def kiosks_page(request: Request, identity: WebUser, db_session: SessionDep) -> HTMLResponse:
    return _kiosks_page(request, db_session, identity.actor)


@router.post("/sipas/may", response_class=HTMLResponse)
def kiosk_enrol(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Make this browser a kiosk, and log the officer out: citizens will use this screen next."""
    try:
        kiosk = kiosks.enrol_kiosk(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            name=name,
            centre=formula().indicator.unit,
        )
    except Invalid as exc:
        return _kiosks_page(
            request, db_session, identity.actor, error=exc.message, name=name, status_code=422
        )
    auth.end_session(db_session=db_session, clock=clock, identity=identity)
    response = RedirectResponse(KIOSK_HOME, status_code=303)
    clear_session_cookie(response)
    settings = settings_of(request)
    response.set_cookie(
        KIOSK_COOKIE,
        kiosks.kiosk_serializer(settings.signing_key()).dumps(kiosk.key),
        max_age=3 * 365 * 24 * 3600,
        httponly=True,
        samesite="strict",
        secure=bool(settings.cookie_secure) or request.url.scheme == "https",
        path="/khao-sat",
    )
    return response


@router.post("/sipas/may/{kiosk_id}/thu-hoi", response_class=HTMLResponse)
def kiosk_revoke(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    kiosk_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    try:
        kiosks.revoke_kiosk(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            kiosk_id=kiosk_id,
            centre=formula().indicator.unit,
        )
    except AppError as exc:
        if exc.status_code == 403:
            raise
        return _kiosks_page(
            request, db_session, identity.actor, error=exc.message, status_code=exc.status_code
        )
    return RedirectResponse("/sipas/may", status_code=303)
