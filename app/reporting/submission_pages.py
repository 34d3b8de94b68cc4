"""Sending a period's report from the browser: the confirmation box and the submission itself.

The box lists the rules that block sending, so the unit sees why before it tries; a refused
submission draws the box again with the reason, a sent one goes back to the workspace.
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import forms
from app.errors import AppError, Invalid
from app.reporting import flags, transitions, workspace
from app.reporting.workspace_pages import (
    UnitPage,
    UnitPageDep,
    base_url,
    page_context,
    report_flags,
)
from app.routes import Routes
from app.submissions.models import SubmissionAction
from app.templating import render

router = Routes(include_in_schema=False)


def _confirm_box(
    page: UnitPage, *, error: str, blocked: list[str] | None = None, status_code: int = 200
) -> Response:
    """The box; without ``blocked`` it lists the blocking flags of the report as it stands."""
    ws = workspace.build(
        db_session=page.db_session,
        actor=page.identity.actor,
        clock=page.clock,
        unit_code=page.unit,
        period=page.period,
    )
    if blocked is None:
        blocked = flags.blocking(report_flags(page.request, page.db_session, ws))
    return render(
        page.request,
        "reporting/submit.html",
        {
            "title": "Gửi báo cáo",
            **page_context(ws, page.identity, page.clock),
            "error": error,
            "blocked": blocked,
        },
        block="confirm",
        status_code=status_code,
    )


@router.get("/units/{unit}/periods/{period}/submit", response_class=HTMLResponse)
def confirm_submit(page: UnitPageDep) -> Response:
    return _confirm_box(page, error="")


def _submit(page: UnitPage, typed: dict[str, str]) -> Response:
    """The submission's database work, on a worker thread (``do_submit``)."""
    parsed, errors = forms.validate(SubmissionAction, {"version": typed["version"] or None})

    def submit() -> None:
        if parsed is None:  # a tampered form: say so rather than submit blindly
            raise Invalid.one("version", "invalid", next(iter(errors.values())))
        assert isinstance(parsed, SubmissionAction)
        transitions.act(
            action="submit",
            db_session=page.db_session,
            actor=page.identity.actor,
            clock=page.clock,
            unit=page.unit,
            period=page.period,
            version=parsed.version,
            thresholds=flags.thresholds_of(page.request.app.state.settings),
        )

    refused = forms.try_write(page.db_session, submit)
    if not isinstance(refused, AppError):
        return RedirectResponse(base_url(page.unit, page.period) + "?da_gui=1", status_code=303)
    return _confirm_box(
        page,
        error=refused.message,
        blocked=[e.message for e in refused.errors if e.field == "rules"],
        status_code=refused.status_code,
    )


@router.post("/units/{unit}/periods/{period}/submit", response_class=HTMLResponse)
async def do_submit(page: UnitPageDep) -> Response:
    return await forms.posted_in_thread(page.request, ("version",), lambda t: _submit(page, t))
