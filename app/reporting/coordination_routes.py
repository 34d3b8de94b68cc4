"""The coordinating unit's answer from its workspace ("Việc phối hợp"), as a page form.

htmx swaps just the task's block (``coord_row`` of ``_coordination.html``) with the answer saved,
or with the comment kept and the reason next to it; without JavaScript the form posts, redirects
back on success and draws the whole workspace with the error otherwise.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import AppError, NotFound
from app.reporting import coordination_answer, pages
from app.reporting.coordination_models import AnswerWrite
from app.reporting.forms import app_error_messages, validate
from app.templating import is_partial_request, render

router = APIRouter(include_in_schema=False)

_FIELDS = ("answer", "comment", "version")


@router.post("/units/{unit}/periods/{period}/coordinating/{code}", response_class=HTMLResponse)
async def answer_task(
    request: Request,
    unit: str,
    period: str,
    code: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in _FIELDS}
    return await run_in_threadpool(
        _answer, request, identity, db_session, clock, unit, period, code, typed
    )


def _answer(
    request: Request,
    identity: Any,
    db_session: Session,
    clock: Clock,
    unit: str,
    period: str,
    code: str,
    typed: dict[str, str],
) -> Response:
    """Validate, answer through the service the API uses, and draw the task's block again."""
    data = {"answer": typed["answer"] or None, "comment": typed["comment"]}
    data["version"] = typed["version"] or None
    parsed, errors = validate(AnswerWrite, data)
    message, conflict, status_code = "", False, 200
    refused: AppError | None = None
    if parsed is None:
        status_code = 422
        if "answer" in errors:
            errors["answer"] = "Hãy bấm “Xác nhận” hoặc “Góp ý / Không đồng ý”."
        if "version" in errors:
            message = errors.pop("version")
    else:
        try:
            coordination_answer.answer(
                db_session=db_session,
                actor=identity.actor,
                clock=clock,
                unit=unit,
                period=period,
                task=code,
                data=parsed,  # type: ignore[arg-type]
            )
        except AppError as exc:
            db_session.rollback()
            refused = exc
            errors, message = app_error_messages(exc)
            status_code = exc.status_code
            conflict = exc.code == "stale_version"
    ws = pages.page_workspace(identity, db_session, clock, unit, period)
    item = next((i for i in ws.coordinating if i.task == code), None)
    if item is None:  # not a task this unit coordinates here: say why it was refused
        if refused is not None:
            raise refused
        raise NotFound(f"Đơn vị {unit} không phối hợp nhiệm vụ {code} kỳ {period}.")
    edit = None
    if status_code >= 400:
        edit = {
            "task": code,
            "typed": typed,
            "errors": errors,
            "message": message,
            "conflict": conflict,
        }
    context = {
        "title": f"{ws.unit.short_name} · {ws.period.label_vi}",
        **pages.page_context(ws, identity, clock),
        "item": item,
        "coord_edit": edit,
    }
    if is_partial_request(request):
        return render(
            request,
            "reporting/_coordination.html",
            context,
            block="coord_row",
            status_code=status_code,
        )
    if status_code < 400:
        dom = "coord-" + code.replace(".", "-")
        return RedirectResponse(f"{context['base']}#{dom}", status_code=303)
    return render(request, "reporting/workspace.html", context, status_code=status_code)
