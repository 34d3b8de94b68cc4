"""The workspace's evidence part: attach a file or a link to a task's update, or remove one.

Each answer is the task's evidence part alone (block ``evidence`` of
``templates/progress/_evidence.html``), so what the officer typed in the row's other fields is
never re-rendered away; without JavaScript the forms post and the page comes back (303).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from app import forms
from app.errors import AppError, FieldError, Forbidden, Invalid
from app.progress.evidence import service as evidence_service
from app.progress.evidence.models import EvidenceLinkCreate
from app.progress.evidence.store import store_from_settings
from app.progress.evidence.upload import received_form
from app.reporting.workspace_pages import UnitPage, UnitPageDep, base_url
from app.routes import Routes

router = Routes(include_in_schema=False)
_PATH = "/units/{unit}/periods/{period}/tasks/{code}/evidence"


def _answer(
    page: UnitPage, code: str, write: Callable[[], object], typed: dict[str, str] | None = None
) -> Response:
    """Run the write, then answer with the task's evidence part (the errors next to the fields
    and the link typed kept when it was refused)."""
    errors: dict[str, str] = {}
    message = ""
    status_code = 200
    refused = forms.try_write(page.db_session, write)
    if isinstance(refused, AppError):
        errors, message = forms.app_error_messages(refused)
        if refused.status_code != 422:
            errors, message = {}, refused.message
        status_code = refused.status_code
    ws = page.workspace()
    row = next((r for r in ws.tasks if r.task.code == code), None)
    if row is None:
        raise Forbidden(f"Nhiệm vụ {code} không thuộc đơn vị {page.unit}.")
    ev = {"key": row.dom_id, "errors": errors, "message": message, "typed": typed or {}}
    return forms.swap_or_page(
        page.request,
        template="progress/_evidence.html",
        block="evidence",
        context={**page.context(ws), "row": row, "ev": ev},
        status_code=status_code,
        redirect=f"{base_url(page.unit, str(ws.period))}#{row.dom_id}",
        page="reporting/workspace.html",
    )


@router.post(_PATH, response_class=HTMLResponse)
async def attach_file(page: UnitPageDep, code: str) -> Response:
    settings = page.request.app.state.settings
    limits = evidence_service.EvidenceLimits.of(settings)
    received: Any = None
    refusal: AppError | None = None
    page.db_session.close()  # the pooled connection goes back while a slow body arrives
    try:
        received = await received_form(page.request, limit=limits.max_bytes)
    except AppError as exc:
        refusal = exc

    def write() -> None:
        if refusal is not None:
            raise refusal
        part, form = received
        note = form.get("note")
        evidence_service.attach_file(
            db_session=page.db_session,
            actor=page.identity.actor,
            clock=page.clock,
            store=store_from_settings(settings),
            limits=limits,
            unit=page.unit,
            period=page.period,
            task=code,
            stream=part.file,
            filename=part.filename or "",
            note=note if isinstance(note, str) else "",
        )

    return await run_in_threadpool(_answer, page, code, write)


@router.post(_PATH + "/link", response_class=HTMLResponse)
async def attach_link(page: UnitPageDep, code: str) -> Response:
    limits = evidence_service.EvidenceLimits.of(page.request.app.state.settings)

    def work(typed: dict[str, str]) -> Response:
        def write() -> None:
            parsed, errors = forms.validate(EvidenceLinkCreate, typed)
            if parsed is None:
                raise Invalid([FieldError(f, "invalid", m) for f, m in errors.items()])
            assert isinstance(parsed, EvidenceLinkCreate)
            evidence_service.attach_link(
                db_session=page.db_session,
                actor=page.identity.actor,
                clock=page.clock,
                limits=limits,
                unit=page.unit,
                period=page.period,
                task=code,
                data=parsed,
            )

        return _answer(page, code, write, typed)

    return await forms.posted_in_thread(page.request, ("url", "note"), work, strip=True)


@router.post(_PATH + "/{key}/delete", response_class=HTMLResponse)
def remove(page: UnitPageDep, code: str, key: str) -> Response:
    store = store_from_settings(page.request.app.state.settings)
    return _answer(
        page,
        code,
        lambda: evidence_service.remove(
            db_session=page.db_session,
            actor=page.identity.actor,
            clock=page.clock,
            store=store,
            key=key,
        ),
    )
