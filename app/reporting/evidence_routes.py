"""The workspace's evidence part: attach a file or a link to a task's update, or remove one.

Each answer is the task's evidence part alone (block ``evidence`` of
``templates/progress/_evidence.html``), so what the officer typed in the row's other fields is
never re-rendered away; without JavaScript the forms post and the page comes back (303).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import AppError, FieldError, Forbidden, Invalid
from app.progress.evidence import service as evidence_service
from app.progress.evidence.models import EvidenceLinkCreate
from app.progress.evidence.store import store_from_settings
from app.progress.evidence.upload import received_form
from app.reporting import pages
from app.reporting.forms import app_error_messages, validate
from app.templating import is_partial_request, render

router = APIRouter(include_in_schema=False)
_PATH = "/units/{unit}/periods/{period}/tasks/{code}/evidence"


def _answer(
    request: Request,
    *,
    identity: Any,
    db_session: Session,
    clock: Clock,
    unit: str,
    period: str,
    code: str,
    write: Callable[[], object],
    typed: dict[str, str] | None = None,
) -> Response:
    """Run the write, then answer with the task's evidence part (the errors next to the fields
    and the link typed kept when it was refused)."""
    errors: dict[str, str] = {}
    message = ""
    status_code = 200
    try:
        write()
    except AppError as exc:
        db_session.rollback()
        errors, message = app_error_messages(exc)
        if exc.status_code != 422:
            errors, message = {}, exc.message
        status_code = exc.status_code
    ws = pages.page_workspace(identity, db_session, clock, unit, period)
    row = next((r for r in ws.tasks if r.task.code == code), None)
    if row is None:
        raise Forbidden(f"Nhiệm vụ {code} không thuộc đơn vị {unit}.")
    if status_code < 400 and not is_partial_request(request):
        return RedirectResponse(f"{pages._base(unit, str(ws.period))}#{row.dom_id}", 303)
    ev = {"key": row.dom_id, "errors": errors, "message": message, "typed": typed or {}}
    context = {
        "title": f"{ws.unit.short_name} · {ws.period.label_vi}",
        **pages.page_context(ws, identity, clock),
        "row": row,
        "ev": ev,
    }
    template = "progress/_evidence.html" if is_partial_request(request) else None
    return render(
        request,
        template or "reporting/workspace.html",
        context,
        block="evidence",
        status_code=status_code,
    )


@router.post(_PATH, response_class=HTMLResponse)
async def attach_file(
    request: Request,
    unit: str,
    period: str,
    code: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    settings = request.app.state.settings
    limits = evidence_service.EvidenceLimits.of(settings)
    received: Any = None
    refusal: AppError | None = None
    db_session.close()  # the pooled connection goes back while a slow body arrives
    try:
        received = await received_form(request, limit=limits.max_bytes)
    except AppError as exc:
        refusal = exc

    def write() -> None:
        if refusal is not None:
            raise refusal
        part, form = received
        note = form.get("note")
        evidence_service.attach_file(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            store=store_from_settings(settings),
            limits=limits,
            unit=unit,
            period=period,
            task=code,
            stream=part.file,
            filename=part.filename or "",
            note=note if isinstance(note, str) else "",
        )

    return await run_in_threadpool(
        _answer,
        request,
        identity=identity,
        db_session=db_session,
        clock=clock,
        unit=unit,
        period=period,
        code=code,
        write=write,
    )


@router.post(_PATH + "/link", response_class=HTMLResponse)
async def attach_link(
    request: Request,
    unit: str,
    period: str,
    code: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    form = await request.form()
    typed = {k: str(form.get(k, "")).strip() for k in ("url", "note")}
    limits = evidence_service.EvidenceLimits.of(request.app.state.settings)

    def write() -> None:
        parsed, errors = validate(EvidenceLinkCreate, typed)
        if parsed is None:
            raise Invalid([FieldError(f, "invalid", m) for f, m in errors.items()])
        assert isinstance(parsed, EvidenceLinkCreate)
        evidence_service.attach_link(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            limits=limits,
            unit=unit,
            period=period,
            task=code,
            data=parsed,
        )

    return await run_in_threadpool(
        _answer,
        request,
        identity=identity,
        db_session=db_session,
        clock=clock,
        unit=unit,
        period=period,
        code=code,
        write=write,
        typed=typed,
    )


@router.post(_PATH + "/{key}/delete", response_class=HTMLResponse)
def remove(
    request: Request,
    unit: str,
    period: str,
    code: str,
    key: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    store = store_from_settings(request.app.state.settings)
    return _answer(
        request,
        identity=identity,
        db_session=db_session,
        clock=clock,
        unit=unit,
        period=period,
        code=code,
        write=lambda: evidence_service.remove(
            db_session=db_session, actor=identity.actor, clock=clock, store=store, key=key
        ),
    )
