"""The coordinating unit's answer from its workspace ("Việc phối hợp"), as a page form.

htmx swaps just the task's block (``coord_row`` of ``_coordination.html``) with the answer saved,
or with the comment kept and the reason next to it; without JavaScript the form posts, redirects
back on success and draws the whole workspace with the error otherwise.
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse, Response

from app import forms
from app.errors import AppError, NotFound
from app.reporting import coordination_answer
from app.reporting.coordination_models import AnswerWrite
from app.reporting.workspace_pages import UnitPage, UnitPageDep
from app.routes import Routes

router = Routes(include_in_schema=False)

_FIELDS = ("answer", "comment", "version")


@router.post("/units/{unit}/periods/{period}/coordinating/{code}", response_class=HTMLResponse)
async def answer_task(page: UnitPageDep, code: str) -> Response:
    return await forms.posted_in_thread(
        page.request, _FIELDS, lambda typed: _answer(page, code, typed)
    )


def _answer(page: UnitPage, code: str, typed: dict[str, str]) -> Response:
    """Validate, answer through the service the API uses, and draw the task's block again."""
    data = {"answer": typed["answer"] or None, "comment": typed["comment"]}
    data["version"] = typed["version"] or None
    parsed, errors = forms.validate(AnswerWrite, data)
    message, conflict, status_code = "", False, 200
    refused: AppError | None = None
    if parsed is None:
        status_code = 422
        if "answer" in errors:
            errors["answer"] = "Hãy bấm “Xác nhận” hoặc “Góp ý / Không đồng ý”."
        if "version" in errors:
            message = errors.pop("version")
    else:
        assert isinstance(parsed, AnswerWrite)
        written = forms.try_write(
            page.db_session,
            lambda: coordination_answer.answer(
                db_session=page.db_session,
                actor=page.identity.actor,
                clock=page.clock,
                unit=page.unit,
                period=page.period,
                task=code,
                data=parsed,
            ),
        )
        if isinstance(written, AppError):
            refused = written
            errors, message = forms.app_error_messages(refused)
            status_code = refused.status_code
            conflict = refused.code == "stale_version"
    ws = page.workspace()
    item = next((i for i in ws.coordinating if i.task == code), None)
    if item is None:  # not a task this unit coordinates here: say why it was refused
        if refused is not None:
            raise refused
        raise NotFound(f"Đơn vị {page.unit} không phối hợp nhiệm vụ {code} kỳ {page.period}.")
    edit = None
    if status_code >= 400:
        edit = {
            "task": code,
            "typed": typed,
            "errors": errors,
            "message": message,
            "conflict": conflict,
        }
    context = {**page.context(ws), "item": item, "coord_edit": edit}
    return forms.swap_or_page(
        page.request,
        template="reporting/_coordination.html",
        block="coord_row",
        context=context,
        status_code=status_code,
        redirect=f"{context['base']}#coord-{code.replace('.', '-')}",
        page="reporting/workspace.html",
    )
