"""The reporting cycle in the browser: a unit's workspace, submission, review and completeness.

Each row of the workspace is its own form: htmx swaps just that row (with the errors next to the
fields and everything typed kept), and without JavaScript the same form posts and redirects back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.accounts.permissions import Permission, Role, can
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import AppError, Forbidden, Invalid, NotFound
from app.kpis import service as kpi_service
from app.kpis.models import ReadingSource, ReadingWrite
from app.names import names_of
from app.periods import Period
from app.plans.models import TASK_ROLE_LABELS
from app.progress import service as progress_service
from app.progress.models import ProgressWrite
from app.reminders import returns
from app.reporting import (
    agenda,
    carry,
    completeness,
    flags,
    history,
    reopen_view,
    save_all,
    workspace,
)
from app.reporting import service as reporting_service
from app.reporting.forms import app_error_messages, number_text, validate
from app.reporting.models import STATUS_LABELS, SubmissionAction, SubmissionStatus
from app.templating import is_partial_request, render

router = APIRouter(include_in_schema=False)

PROGRESS_LABELS = {
    "not_started": "Chưa thực hiện",
    "in_progress": "Đang thực hiện",
    "done": "Đã hoàn thành",
    "not_applicable": "Không áp dụng",
}
_TEXT_FIELDS = ("result", "difficulties", "proposals", "evidence")


def _base(unit: str, period: str) -> str:
    return f"/units/{unit}/periods/{period}"


def page_workspace(
    identity: Any, db_session: Session, clock: Clock, unit: str, period: str
) -> workspace.Workspace:
    """The workspace as every page of it draws the rows: with last period's answers, which each
    row offers ("Chép từ kỳ trước")."""
    return workspace.build(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        unit_code=unit,
        period=period,
        with_previous=True,
    )


def page_context(ws: workspace.Workspace, identity: Any, clock: Any) -> dict[str, Any]:
    return {
        "ws": ws,
        "base": _base(ws.unit.code, str(ws.period)),
        "progress_labels": PROGRESS_LABELS,
        "status_labels": STATUS_LABELS,
        "role_labels": TASK_ROLE_LABELS,
        "today": clock.today(),
        "due_label": workspace.due_label(ws.submission.due_date, clock.today()),
        "is_coordinator": can(identity.actor, Permission.REVIEW),
        "carry_task": carry.task_fields,
        "carry_reading": carry.reading_fields,
        "form_reading": carry.form_reading,
    }


@router.get("/", response_class=HTMLResponse)
def home(request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep) -> Response:
    """Each person lands on what needs them: a reporter on its unit's returned, overdue and
    coming reports (most urgent first), a coordinator on the review queue and then its own unit's
    list; a leader, who acts on nothing here, on the completeness overview."""
    actor = identity.actor
    if actor.role == Role.VIEWER:
        return RedirectResponse("/completeness", status_code=303)
    return render(
        request,
        "reporting/home.html",
        {
            "title": "Việc cần làm",
            "agenda": agenda.build(
                db_session=db_session,
                actor=actor,
                clock=clock,
                thresholds=flags.thresholds_of(request.app.state.settings),
            ),
            "status_labels": STATUS_LABELS,
        },
    )


@router.get("/units/{unit}", response_class=HTMLResponse)
def unit_home(unit: str, identity: WebUser, db_session: SessionDep, clock: ClockDep) -> Response:
    period = workspace.current_period_for(
        db_session=db_session, actor=identity.actor, clock=clock, unit_code=unit
    )
    return RedirectResponse(_base(unit, str(period)), status_code=303)


@router.get("/units/{unit}/periods/{period}", response_class=HTMLResponse)
def unit_period(
    request: Request,
    unit: str,
    period: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    chon: str | None = None,
) -> Response:
    if chon and chon != period:  # the period selector, without JavaScript
        return RedirectResponse(_base(unit, chon), status_code=303)
    ws = page_workspace(identity, db_session, clock, unit, period)
    return render(
        request,
        "reporting/workspace.html",
        {
            "title": f"{ws.unit.short_name} · {ws.period.label_vi}",
            **page_context(ws, identity, clock),
            **reopen_view.for_page(db_session=db_session, actor=identity.actor, clock=clock, ws=ws),
            # What the reviewer will be shown, while the unit can still fix or explain it.
            "own_flags": _report_flags(request, db_session, ws) if ws.can_edit else [],
            "flag_kind_labels": flags.KIND_LABELS,
        },
    )


def edit_state(
    dom_id: str,
    typed: dict[str, str],
    errors: dict[str, str],
    message: str,
    shown: set[str],
    conflict: bool = False,
) -> dict[str, Any] | None:
    """What a failed save re-renders: the officer's own input, and why it was refused.

    An error on a field the row does not show (a tampered hidden version, say) becomes the row's
    message, so no refusal is ever silent.
    """
    if not errors and not message:
        return None
    hidden = [text for name, text in errors.items() if name not in shown]
    if hidden and not message:
        message = hidden[0]
    if conflict:  # the panel says it; the stale version stays so a second save cannot overwrite
        errors = {k: v for k, v in errors.items() if k != "version"}
    return {
        "key": dom_id,
        "typed": typed,
        "errors": errors,
        "message": message,
        "conflict": conflict,
    }


def _row_response(
    request: Request,
    *,
    ws: workspace.Workspace,
    identity: Any,
    clock: Any,
    block: str,
    row: Any,
    edit: dict[str, Any] | None,
    status_code: int,
) -> Response:
    context = {
        "title": f"{ws.unit.short_name} · {ws.period.label_vi}",
        **page_context(ws, identity, clock),
        "row": row,
        "edit": edit,
        "oob": True,
    }
    if is_partial_request(request):
        return render(
            request, "reporting/workspace.html", context, block=block, status_code=status_code
        )
    if status_code < 400:
        return RedirectResponse(f"{context['base']}#{row.dom_id}", status_code=303)
    context["oob"] = False
    return render(request, "reporting/workspace.html", context, status_code=status_code)


TASK_FIELDS = ("status", "percent_complete", "version", *_TEXT_FIELDS)
READING_FIELDS = ("domain", "value", "numerator", "denominator", "note", "evidence_url", "version")


def task_input(unit: str, period: str, code: str, typed: dict[str, str]) -> dict[str, Any]:
    """A task row's form as the progress service's input (shared with "Lưu tất cả")."""
    return {
        "assignment": code,
        "unit": unit,
        "period": period,
        "status": typed.get("status") or None,
        "percent_complete": number_text(typed.get("percent_complete", "")),
        "version": typed.get("version") or None,
        **{k: typed.get(k, "") for k in _TEXT_FIELDS},
    }


def reading_input(unit: str, period: str, indicator: str, typed: dict[str, str]) -> dict[str, Any]:
    """An indicator row's form as the reading service's input (shared with "Lưu tất cả")."""
    data: dict[str, Any] = {
        "indicator": indicator,
        "unit": unit,
        "period": period,
        "domain": typed.get("domain") or None,
        "value": number_text(typed.get("value", "")),
        "numerator": number_text(typed.get("numerator", "")),
        "denominator": number_text(typed.get("denominator", "")),
        "note": typed.get("note", ""),
        "evidence_url": typed.get("evidence_url") or None,
        "version": typed.get("version") or None,
    }
    if data["numerator"] is not None and data["denominator"] is not None:
        data["value"] = None  # computed from them; a stale value shown in the field must not clash
    return data


def _save_row(
    request: Request,
    *,
    identity: Any,
    db_session: Any,
    clock: Any,
    unit: str,
    period: str,
    model: type[BaseModel],
    data: dict[str, Any],
    typed: dict[str, str],
    write: Callable[[Any], object],
    find: Callable[[workspace.Workspace], Any],
    not_found: str,
    block: str,
    hints: dict[str, str] | None = None,
) -> Response:
    """One path for every workspace row: validate, write through the service the API uses,
    then answer with the row (and the counter), keeping what was typed when it failed."""
    parsed, errors = validate(model, data)
    for name, hint in (hints or {}).items():
        if name in errors and not typed.get(name):
            errors[name] = hint
    message = ""
    conflict = False
    status_code = 200 if parsed is not None else 422
    if parsed is not None:
        try:
            write(parsed)
        except AppError as exc:
            db_session.rollback()
            errors, message = app_error_messages(exc)
            status_code = exc.status_code
            conflict = exc.status_code == 409 and exc.code in save_all.CONFLICT_CODES
    ws = page_workspace(identity, db_session, clock, unit, period)
    row = find(ws)
    if row is None:
        raise Forbidden(not_found)
    shown = set(typed) - {"version", "domain"}
    return _row_response(
        request,
        ws=ws,
        identity=identity,
        clock=clock,
        block=block,
        row=row,
        edit=edit_state(row.dom_id, typed, errors, message, shown, conflict),
        status_code=status_code,
    )


@router.post("/units/{unit}/periods/{period}/tasks/{code}", response_class=HTMLResponse)
async def save_task(
    request: Request,
    unit: str,
    period: str,
    code: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in TASK_FIELDS}
    data = task_input(unit, period, code, typed)
    return await run_in_threadpool(  # the database work off the event loop: a slow save must
        _save_row,  # not stall every other request of this worker
        request,
        identity=identity,
        db_session=db_session,
        clock=clock,
        unit=unit,
        period=period,
        model=ProgressWrite,
        data=data,
        typed=typed,
        write=lambda parsed: progress_service.upsert_progress(
            db_session=db_session, actor=identity.actor, clock=clock, data=parsed
        ),
        find=lambda ws: next((r for r in ws.tasks if r.task.code == code), None),
        not_found=f"Nhiệm vụ {code} không thuộc đơn vị {unit}.",
        block="task_row",
        hints={"status": "Hãy chọn tình trạng thực hiện."},
    )


@router.post("/units/{unit}/periods/{period}/readings/{indicator}", response_class=HTMLResponse)
async def save_reading(
    request: Request,
    unit: str,
    period: str,
    indicator: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in READING_FIELDS}
    domain = typed["domain"] or None
    data = reading_input(unit, period, indicator, typed)
    return await run_in_threadpool(
        _save_row,
        request,
        identity=identity,
        db_session=db_session,
        clock=clock,
        unit=unit,
        period=period,
        model=ReadingWrite,
        data=data,
        typed=typed,
        write=lambda parsed: kpi_service.upsert_reading(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            data=parsed,
            source=ReadingSource.FORM,
        ),
        find=lambda ws: next(
            (
                r
                for r in ws.indicators
                if r.indicator.code == indicator and (r.domain.code if r.domain else None) == domain
            ),
            None,
        ),
        not_found=f"Chỉ tiêu {indicator} không do đơn vị {unit} báo cáo.",
        block="kpi_row",
    )


@router.get("/units/{unit}/periods/{period}/submit", response_class=HTMLResponse)
def confirm_submit(
    request: Request,
    unit: str,
    period: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    ws = workspace.build(
        db_session=db_session, actor=identity.actor, clock=clock, unit_code=unit, period=period
    )
    blocked = flags.blocking(_report_flags(request, db_session, ws))
    return render(
        request,
        "reporting/submit.html",
        {
            "title": "Gửi báo cáo",
            **page_context(ws, identity, clock),
            "error": "",
            "blocked": blocked,
        },
        block="confirm",
    )


def _report_flags(request: Request, db_session: Session, ws: workspace.Workspace) -> list[Any]:
    """The flags of the report a workspace page shows, with the server's outlier settings."""
    return flags.flags_of(
        db_session=db_session,
        plan=ws.plan,
        unit=ws.unit,
        period=Period.parse(ws.submission.period),
        thresholds=flags.thresholds_of(request.app.state.settings),
    )


@router.post("/units/{unit}/periods/{period}/submit", response_class=HTMLResponse)
async def do_submit(
    request: Request,
    unit: str,
    period: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    form = await request.form()
    parsed, errors = validate(SubmissionAction, {"version": str(form.get("version", "")) or None})
    return await run_in_threadpool(
        _submit, request, identity, db_session, clock, unit, period, parsed, errors
    )


def _submit(
    request: Request,
    identity: Any,
    db_session: Session,
    clock: Clock,
    unit: str,
    period: str,
    parsed: Any,
    errors: dict[str, str],
) -> Response:
    """The submission's database work, on a worker thread (``do_submit``)."""
    try:
        if parsed is None:  # a tampered form: say so rather than submit blindly
            raise Invalid.one("version", "invalid", next(iter(errors.values())))
        reporting_service.act(
            action="submit",
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            unit=unit,
            period=period,
            version=parsed.version,
            thresholds=flags.thresholds_of(request.app.state.settings),
        )
    except AppError as exc:
        db_session.rollback()
        ws = workspace.build(
            db_session=db_session, actor=identity.actor, clock=clock, unit_code=unit, period=period
        )
        return render(
            request,
            "reporting/submit.html",
            {
                "title": "Gửi báo cáo",
                **page_context(ws, identity, clock),
                "error": exc.message,
                "blocked": [e.message for e in exc.errors if e.field == "rules"],
            },
            block="confirm",
            status_code=exc.status_code,
        )
    return RedirectResponse(_base(unit, period) + "?da_gui=1", status_code=303)


# --- coordinators --------------------------------------------------------------------------------


@router.get("/review", response_class=HTMLResponse)
def review_queue(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    if not can(identity.actor, Permission.REVIEW):
        raise Forbidden("Chỉ bộ phận điều phối được duyệt báo cáo.")
    items, _ = reporting_service.list_submissions(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        filters=reporting_service.SubmissionFilters(status=SubmissionStatus.SUBMITTED),
        limit=1000,
        thresholds=flags.thresholds_of(request.app.state.settings),
    )
    return render(
        request,
        "reporting/review_queue.html",
        {
            "title": "Báo cáo chờ duyệt",
            "items": items,
            "status_labels": STATUS_LABELS,
            "reopen_pending": reopen_view.pending_requests(
                db_session=db_session, actor=identity.actor
            ),
            "done": _done_message(request, identity=identity, db_session=db_session, clock=clock),
        },
    )


#: What the page after an approve, return or reopen confirms, once the report's state agrees.
_DONE = {
    "approve": (SubmissionStatus.APPROVED, "Đã duyệt báo cáo {period} của {unit}."),
    "return": (
        SubmissionStatus.RETURNED,
        "Đã trả lại báo cáo {period} của {unit}; đơn vị đã được thông báo kèm nhận xét.",
    ),
    "reopen": (
        SubmissionStatus.RETURNED,
        "Đã mở lại báo cáo {period} của {unit}; đơn vị đã được thông báo kèm lý do.",
    ),
}


def _done_url(target: str, action: str, unit: str, period: str) -> str:
    return f"{target}?{urlencode({'xong': action, 'don_vi': unit, 'ky': period})}"


def _done_message(request: Request, *, identity: Any, db_session: Any, clock: Any) -> str:
    """The confirmation after a review act (post/redirect/get carries it in the address).

    Shown only when the report really is in the state the act leads to, so an old or edited
    address never confirms something that did not happen.
    """
    query = request.query_params
    action, unit, period = query.get("xong", ""), query.get("don_vi", ""), query.get("ky", "")
    if action not in _DONE or not unit or not period:
        return ""
    try:
        sub = reporting_service.get_submission(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            unit=unit,
            period=period,
            plan=None,
        )
    except AppError:
        return ""
    status, text = _DONE[action]
    if sub.status != status:
        return ""
    return text.format(
        period=Period.parse(sub.period).label_vi, unit=names_of(request).unit_name(unit)
    )


def _review_page(
    request: Request,
    *,
    identity: Any,
    db_session: Any,
    clock: Any,
    unit: str,
    period: str,
    errors: dict[str, str] | None = None,
    comment: str = "",
    status_code: int = 200,
) -> Response:
    ws = page_workspace(identity, db_session, clock, unit, period)
    return render(
        request,
        "reporting/review.html",
        {
            "title": f"Duyệt báo cáo · {ws.unit.short_name} · {ws.period.label_vi}",
            **page_context(ws, identity, clock),
            "errors": errors or {},
            "comment": comment,
            "history": history.steps(
                db_session=db_session, unit=ws.unit.code, period=str(ws.submission.period)
            ),
            "flags": _report_flags(request, db_session, ws),
            "flag_kind_labels": flags.KIND_LABELS,
            "done": _done_message(request, identity=identity, db_session=db_session, clock=clock),
            **reopen_view.for_page(db_session=db_session, actor=identity.actor, clock=clock, ws=ws),
        },
        block="actions",
        status_code=status_code,
    )


@router.get("/review/{unit}/{period}", response_class=HTMLResponse)
def review_report(
    request: Request,
    unit: str,
    period: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    return _review_page(
        request, identity=identity, db_session=db_session, clock=clock, unit=unit, period=period
    )


@router.post("/review/{unit}/{period}/{action}", response_class=HTMLResponse)
async def review_action(
    request: Request,
    unit: str,
    period: str,
    action: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    tasks: BackgroundTasks,
) -> Response:
    if action not in {"approve", "return", "reopen"}:
        raise NotFound(f"Không có thao tác “{action}” trên trang duyệt báo cáo.")
    form = await request.form()
    comment = str(form.get("comment", ""))
    version = str(form.get("version", ""))
    return await run_in_threadpool(
        _review_act,
        request,
        identity,
        db_session,
        clock,
        tasks,
        unit,
        period,
        action,
        comment,
        version,
    )


def _review_act(
    request: Request,
    identity: Any,
    db_session: Session,
    clock: Clock,
    tasks: BackgroundTasks,
    unit: str,
    period: str,
    action: str,
    comment: str,
    version: str,
) -> Response:
    """The review action's database work, on a worker thread (``review_action``)."""
    parsed, errors = validate(
        SubmissionAction, {"comment": comment, "version": version if version else None}
    )
    if parsed is not None:
        try:
            result = reporting_service.act(
                action=action,
                db_session=db_session,
                actor=identity.actor,
                clock=clock,
                unit=unit,
                period=period,
                comment=parsed.comment,  # type: ignore[attr-defined]
                version=parsed.version,  # type: ignore[attr-defined]
                by_email=bool(request.app.state.settings.smtp_host),
                thresholds=flags.thresholds_of(request.app.state.settings),
            )
        except AppError as exc:
            db_session.rollback()
            fields, message = app_error_messages(exc)
            errors = fields or {"form": message}
            return _review_page(
                request,
                identity=identity,
                db_session=db_session,
                clock=clock,
                unit=unit,
                period=period,
                errors=errors,
                comment=comment,
                status_code=exc.status_code,
            )
        returns.mail_after_response(
            tasks, state=request.app.state, actor=identity.actor, action=action, result=result
        )
        target = "/review" if action != "reopen" else f"/review/{unit}/{period}"
        target = _done_url(target, action, unit, result.period)
        if is_partial_request(request):
            response = Response(status_code=200)
            response.headers["HX-Redirect"] = target
            return response
        return RedirectResponse(target, status_code=303)
    return _review_page(
        request,
        identity=identity,
        db_session=db_session,
        clock=clock,
        unit=unit,
        period=period,
        errors=errors,
        comment=comment,
        status_code=422,
    )


@router.get("/completeness", response_class=HTMLResponse)
def completeness_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    tu: str | None = None,
    den: str | None = None,
) -> Response:
    matrix = completeness.build(
        db_session=db_session, actor=identity.actor, clock=clock, since=tu, until=den
    )
    return render(
        request,
        "reporting/completeness.html",
        {"title": "Tình hình gửi báo cáo", "m": matrix, "status_labels": STATUS_LABELS},
        block="matrix",
    )


def period_options(periods: list[Period]) -> list[tuple[str, str]]:
    return [(str(p), p.label_vi) for p in periods]
