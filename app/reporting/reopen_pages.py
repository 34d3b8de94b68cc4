"""Requests to reopen an approved report in the browser: the unit's box on the workspace and the
coordinator's decision on the review page.

Each form answers its own block (with the error next to the field and the text kept) to htmx, and
posts and redirects without JavaScript; the work is done by ``reopen``, the API's service.
"""

from __future__ import annotations

from fastapi import BackgroundTasks
from fastapi.responses import HTMLResponse, Response

from app import forms
from app.errors import AppError, Invalid, NotFound
from app.reminders import returns
from app.reporting import history, reopen, reopen_messages
from app.reporting.reopen_models import ReopenDecision, ReopenRequestRead
from app.reporting.workspace_pages import UnitPage, UnitPageDep
from app.routes import Routes

router = Routes(include_in_schema=False)


def _workspace_answer(
    page: UnitPage, *, errors: dict[str, str] | None = None, typed: str = "", status_code: int = 200
) -> Response:
    """The request box (htmx) or the whole workspace with it (a failed plain post)."""
    ws = page.workspace()
    return forms.swap_or_page(
        page.request,
        template="reporting/_reopen_workspace.html",
        block="reopen_box",
        context={**page.context(ws), **page.reopen(ws, errors=errors, typed=typed)},
        status_code=status_code,
        redirect=f"/units/{page.unit}/periods/{page.period}#reopen-box",
        page="reporting/workspace.html",
    )


def _review_answer(page: UnitPage, refused: AppError, typed: str) -> Response:
    """A refused decision: its block (htmx) or the review page with it."""
    ws = page.workspace()
    context = {
        **page.context(ws, title="Duyệt báo cáo · "),
        "errors": {},
        "comment": "",
        "history": history.steps(
            db_session=page.db_session, unit=ws.unit.code, period=str(ws.submission.period)
        ),
        "done": "",
        **page.reopen(ws, errors=forms.form_errors(refused), typed=typed),
    }
    return forms.swap_or_page(
        page.request,
        template="reporting/_reopen_review.html",
        block="reopen_decision",
        context=context,
        status_code=refused.status_code,
        redirect=f"/review/{page.unit}/{page.period}",  # never taken: only a refusal comes here
        page="reporting/review.html",
    )


def _mail(page: UnitPage, tasks: BackgroundTasks, result: ReopenRequestRead) -> None:
    """The e-mail of a request or a decision, sent once the answer has gone."""
    returns.mail_kind_after_response(
        tasks,
        state=page.request.app.state,
        actor=page.identity.actor,
        unit=result.unit,
        period=result.period,
        kind=reopen_messages.kind_of(result),
    )


def _ask(page: UnitPage, tasks: BackgroundTasks, reason: str) -> Response:
    """The request's database work, on a worker thread."""
    result = forms.try_write(
        page.db_session,
        lambda: reopen.request_reopen(
            db_session=page.db_session,
            actor=page.identity.actor,
            clock=page.clock,
            unit=page.unit,
            period=page.period,
            reason=reason,
            by_email=bool(page.request.app.state.settings.smtp_host),
        ),
    )
    if isinstance(result, AppError):
        return _workspace_answer(
            page, errors=forms.form_errors(result), typed=reason, status_code=result.status_code
        )
    _mail(page, tasks, result)
    return _workspace_answer(page)


@router.post("/units/{unit}/periods/{period}/reopen-requests", response_class=HTMLResponse)
async def ask_to_reopen(page: UnitPageDep, tasks: BackgroundTasks) -> Response:
    return await forms.posted_in_thread(
        page.request, ("reason",), lambda typed: _ask(page, tasks, typed["reason"])
    )


def _parsed_decision(comment: str, version: str) -> ReopenDecision:
    parsed, errors = forms.validate(
        ReopenDecision, {"comment": comment, "version": version or None}
    )
    if parsed is None:  # a tampered form or an over-long comment: say so next to the field
        name, message = next(iter(errors.items()))
        raise Invalid.one(name, "invalid", message)
    assert isinstance(parsed, ReopenDecision)
    return parsed


def _withdraw(page: UnitPage, number: int, version: str) -> Response:
    def withdraw() -> object:
        return reopen.withdraw(
            db_session=page.db_session,
            actor=page.identity.actor,
            clock=page.clock,
            unit=page.unit,
            period=page.period,
            number=number,
            version=_parsed_decision("", version).version,
        )

    result = forms.try_write(page.db_session, withdraw)
    if isinstance(result, AppError):
        return _workspace_answer(
            page, errors=forms.form_errors(result), status_code=result.status_code
        )
    return _workspace_answer(page)


@router.post(
    "/units/{unit}/periods/{period}/reopen-requests/{number}/withdraw",
    response_class=HTMLResponse,
)
async def withdraw_request(page: UnitPageDep, number: int) -> Response:
    return await forms.posted_in_thread(
        page.request, ("version",), lambda typed: _withdraw(page, number, typed["version"])
    )


def _decide(
    page: UnitPage, tasks: BackgroundTasks, number: int, decision: str, form: dict[str, str]
) -> Response:
    decide = reopen.grant if decision == "grant" else reopen.refuse

    def write() -> ReopenRequestRead:
        parsed = _parsed_decision(form["comment"], form["version"])
        return decide(
            db_session=page.db_session,
            actor=page.identity.actor,
            clock=page.clock,
            unit=page.unit,
            period=page.period,
            number=number,
            comment=parsed.comment,
            version=parsed.version,
            by_email=bool(page.request.app.state.settings.smtp_host),
        )

    result = forms.try_write(page.db_session, write)
    if isinstance(result, AppError):
        return _review_answer(page, result, form["comment"])
    _mail(page, tasks, result)
    # A query of its own: the same address with only a new #fragment would not reload the page.
    target = f"/review/{page.unit}/{result.period}?de_nghi={result.status}#review-history"
    return forms.redirect_after(page.request, target)


@router.post(
    "/review/{unit}/{period}/reopen-requests/{number}/{decision}", response_class=HTMLResponse
)
async def decide_request(
    page: UnitPageDep, number: int, decision: str, tasks: BackgroundTasks
) -> Response:
    if decision not in {"grant", "refuse"}:
        raise NotFound(f"Không có thao tác “{decision}” với đề nghị mở lại báo cáo.")
    return await forms.posted_in_thread(
        page.request,
        ("comment", "version"),
        lambda typed: _decide(page, tasks, number, decision, typed),
    )
