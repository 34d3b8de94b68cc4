"""Requests to reopen an approved report in the browser: the unit's box on the workspace and the
coordinator's decision on the review page.

Each form answers its own block (with the error next to the field and the text kept) to htmx, and
posts and redirects without JavaScript; the work is done by ``reopen``, the API's service.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import AppError, Invalid, NotFound
from app.reminders import returns
from app.reporting import history, pages, reopen, reopen_messages, reopen_view
from app.reporting.forms import app_error_messages, validate
from app.reporting.reopen_models import ReopenDecision
from app.templating import is_partial_request, render

router = APIRouter(include_in_schema=False)


def _errors(exc: AppError) -> dict[str, str]:
    fields, message = app_error_messages(exc)
    return fields or {"form": message}


def _workspace_answer(
    request: Request,
    *,
    identity: Any,
    db_session: Session,
    clock: Clock,
    unit: str,
    period: str,
    errors: dict[str, str] | None = None,
    typed: str = "",
    status_code: int = 200,
) -> Response:
    """The request box (htmx) or the whole workspace with it (a failed plain post)."""
    ws = pages.page_workspace(identity, db_session, clock, unit, period)
    context = {
        "title": f"{ws.unit.short_name} · {ws.period.label_vi}",
        **pages.page_context(ws, identity, clock),
        **reopen_view.for_page(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            ws=ws,
            errors=errors,
            typed=typed,
        ),
    }
    if is_partial_request(request):
        return render(
            request,
            "reporting/_reopen_workspace.html",
            context,
            block="reopen_box",
            status_code=status_code,
        )
    if status_code < 400:
        return RedirectResponse(f"/units/{unit}/periods/{period}#reopen-box", status_code=303)
    return render(request, "reporting/workspace.html", context, status_code=status_code)


def _ask(
    request: Request,
    identity: Any,
    db_session: Session,
    clock: Clock,
    tasks: BackgroundTasks,
    unit: str,
    period: str,
    reason: str,
) -> Response:
    """The request's database work, on a worker thread."""
    try:
        result = reopen.request_reopen(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            unit=unit,
            period=period,
            reason=reason,
            by_email=bool(request.app.state.settings.smtp_host),
        )
    except AppError as exc:
        db_session.rollback()
        return _workspace_answer(
            request,
            identity=identity,
            db_session=db_session,
            clock=clock,
            unit=unit,
            period=period,
            errors=_errors(exc),
            typed=reason,
            status_code=exc.status_code,
        )
    returns.mail_kind_after_response(
        tasks,
        state=request.app.state,
        actor=identity.actor,
        unit=result.unit,
        period=result.period,
        kind=reopen_messages.kind_of(result),
    )
    return _workspace_answer(
        request, identity=identity, db_session=db_session, clock=clock, unit=unit, period=period
    )


@router.post("/units/{unit}/periods/{period}/reopen-requests", response_class=HTMLResponse)
async def ask_to_reopen(
    request: Request,
    unit: str,
    period: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    tasks: BackgroundTasks,
) -> Response:
    form = await request.form()
    reason = str(form.get("reason", ""))
    return await run_in_threadpool(
        _ask, request, identity, db_session, clock, tasks, unit, period, reason
    )


def _parsed_decision(comment: str, version: str) -> ReopenDecision:
    parsed, errors = validate(ReopenDecision, {"comment": comment, "version": version or None})
    if parsed is None:  # a tampered form or an over-long comment: say so next to the field
        name, message = next(iter(errors.items()))
        raise Invalid.one(name, "invalid", message)
    assert isinstance(parsed, ReopenDecision)
    return parsed


def _withdraw(
    request: Request,
    identity: Any,
    db_session: Session,
    clock: Clock,
    unit: str,
    period: str,
    number: int,
    version: str,
) -> Response:
    try:
        parsed = _parsed_decision("", version)
        reopen.withdraw(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            unit=unit,
            period=period,
            number=number,
            version=parsed.version,
        )
    except AppError as exc:
        db_session.rollback()
        return _workspace_answer(
            request,
            identity=identity,
            db_session=db_session,
            clock=clock,
            unit=unit,
            period=period,
            errors=_errors(exc),
            status_code=exc.status_code,
        )
    return _workspace_answer(
        request, identity=identity, db_session=db_session, clock=clock, unit=unit, period=period
    )


@router.post(
    "/units/{unit}/periods/{period}/reopen-requests/{number}/withdraw",
    response_class=HTMLResponse,
)
async def withdraw_request(
    request: Request,
    unit: str,
    period: str,
    number: int,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    form = await request.form()
    version = str(form.get("version", ""))
    return await run_in_threadpool(
        _withdraw, request, identity, db_session, clock, unit, period, number, version
    )


def _review_answer(
    request: Request,
    *,
    identity: Any,
    db_session: Session,
    clock: Clock,
    unit: str,
    period: str,
    errors: dict[str, str],
    typed: str,
    status_code: int,
) -> Response:
    """A refused decision: its block (htmx) or the review page with it."""
    ws = pages.page_workspace(identity, db_session, clock, unit, period)
    context = {
        "title": f"Duyệt báo cáo · {ws.unit.short_name} · {ws.period.label_vi}",
        **pages.page_context(ws, identity, clock),
        "errors": {},
        "comment": "",
        "history": history.steps(
            db_session=db_session, unit=ws.unit.code, period=str(ws.submission.period)
        ),
        "done": "",
        **reopen_view.for_page(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            ws=ws,
            errors=errors,
            typed=typed,
        ),
    }
    if is_partial_request(request):
        return render(
            request,
            "reporting/_reopen_review.html",
            context,
            block="reopen_decision",
            status_code=status_code,
        )
    return render(request, "reporting/review.html", context, status_code=status_code)


def _decide(
    request: Request,
    identity: Any,
    db_session: Session,
    clock: Clock,
    tasks: BackgroundTasks,
    unit: str,
    period: str,
    number: int,
    decision: str,
    form: dict[str, str],
) -> Response:
    decide = reopen.grant if decision == "grant" else reopen.refuse
    try:
        parsed = _parsed_decision(form["comment"], form["version"])
        result = decide(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            unit=unit,
            period=period,
            number=number,
            comment=parsed.comment,
            version=parsed.version,
            by_email=bool(request.app.state.settings.smtp_host),
        )
    except AppError as exc:
        db_session.rollback()
        return _review_answer(
            request,
            identity=identity,
            db_session=db_session,
            clock=clock,
            unit=unit,
            period=period,
            errors=_errors(exc),
            typed=form["comment"],
            status_code=exc.status_code,
        )
    returns.mail_kind_after_response(
        tasks,
        state=request.app.state,
        actor=identity.actor,
        unit=result.unit,
        period=result.period,
        kind=reopen_messages.kind_of(result),
    )
    # A query of its own: the same address with only a new #fragment would not reload the page.
    target = f"/review/{unit}/{result.period}?de_nghi={result.status}#review-history"
    if is_partial_request(request):
        response = Response(status_code=200)
        response.headers["HX-Redirect"] = target
        return response
    return RedirectResponse(target, status_code=303)


@router.post(
    "/review/{unit}/{period}/reopen-requests/{number}/{decision}", response_class=HTMLResponse
)
async def decide_request(
    request: Request,
    unit: str,
    period: str,
    number: int,
    decision: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    tasks: BackgroundTasks,
) -> Response:
    if decision not in {"grant", "refuse"}:
        raise NotFound(f"Không có thao tác “{decision}” với đề nghị mở lại báo cáo.")
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in ("comment", "version")}
    return await run_in_threadpool(
        _decide, request, identity, db_session, clock, tasks, unit, period, number, decision, typed
    )
