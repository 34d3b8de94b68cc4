"""The coordinators' side of the reporting cycle: the queue of reports to review, one report's
review page (with its flags and history), and the approve, return and reopen acts.

After an act the browser goes back (post/redirect/get) with the act in the address, and the
page confirms it only when the report's state agrees, so an old address confirms nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import BackgroundTasks, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app import forms
from app.accounts.auth import WebIdentity
from app.accounts.dependencies import WebUser
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import AppError, Forbidden, NotFound
from app.names import names_of
from app.periods import Period
from app.permissions import Permission, can
from app.reminders import returns
from app.reporting import flags, history, reopen_view, transitions
from app.reporting import service as reporting_service
from app.reporting.workspace_pages import UnitPage, UnitPageDep, report_flags
from app.routes import Routes
from app.submissions.models import STATUS_LABELS, SubmissionAction, SubmissionStatus
from app.templating import render

router = Routes(include_in_schema=False)


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


def _done_message(
    request: Request, *, identity: WebIdentity, db_session: Session, clock: Clock
) -> str:
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
    page: UnitPage,
    *,
    errors: dict[str, str] | None = None,
    comment: str = "",
    status_code: int = 200,
) -> Response:
    ws = page.workspace()
    return render(
        page.request,
        "reporting/review.html",
        {
            **page.context(ws, title="Duyệt báo cáo · "),
            "errors": errors or {},
            "comment": comment,
            "history": history.steps(
                db_session=page.db_session, unit=ws.unit.code, period=str(ws.submission.period)
            ),
            "flags": report_flags(page.request, page.db_session, ws),
            "flag_kind_labels": flags.KIND_LABELS,
            "done": _done_message(
                page.request, identity=page.identity, db_session=page.db_session, clock=page.clock
            ),
            **page.reopen(ws),
        },
        block="actions",
        status_code=status_code,
    )


@router.get("/review/{unit}/{period}", response_class=HTMLResponse)
def review_report(page: UnitPageDep) -> Response:
    return _review_page(page)


@router.post("/review/{unit}/{period}/{action}", response_class=HTMLResponse)
async def review_action(page: UnitPageDep, action: str, tasks: BackgroundTasks) -> Response:
    if action not in {"approve", "return", "reopen"}:
        raise NotFound(f"Không có thao tác “{action}” trên trang duyệt báo cáo.")
    return await forms.posted_in_thread(
        page.request, ("comment", "version"), lambda typed: _review_act(page, tasks, action, typed)
    )


def _review_act(
    page: UnitPage, tasks: BackgroundTasks, action: str, typed: dict[str, str]
) -> Response:
    """The review action's database work, on a worker thread (``review_action``)."""
    comment = typed["comment"]
    parsed, errors = forms.validate(
        SubmissionAction, {"comment": comment, "version": typed["version"] or None}
    )
    status_code = 422
    if parsed is not None:
        assert isinstance(parsed, SubmissionAction)
        settings = page.request.app.state.settings
        result = forms.try_write(
            page.db_session,
            lambda: transitions.act(
                action=action,
                db_session=page.db_session,
                actor=page.identity.actor,
                clock=page.clock,
                unit=page.unit,
                period=page.period,
                comment=parsed.comment,
                version=parsed.version,
                by_email=bool(settings.smtp_host),
                thresholds=flags.thresholds_of(settings),
            ),
        )
        if not isinstance(result, AppError):
            returns.mail_after_response(
                tasks,
                state=page.request.app.state,
                actor=page.identity.actor,
                action=action,
                result=result,
            )
            target = "/review" if action != "reopen" else f"/review/{page.unit}/{page.period}"
            target = _done_url(target, action, page.unit, result.period)
            return forms.redirect_after(page.request, target)
        errors, status_code = forms.form_errors(result), result.status_code
    return _review_page(page, errors=errors, comment=comment, status_code=status_code)
