"""A unit's workspace in the browser: the period's page and the save of each row.

Each row of the workspace is its own form: htmx swaps just that row (with the errors next to the
fields and everything typed kept), and without JavaScript the same form posts and redirects back.
The workspace's other forms (evidence, coordination, reopen, "Lưu tất cả") and the review and
submission pages draw the same page, so ``page_workspace`` and ``page_context`` live here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from app import forms
from app.accounts.dependencies import WebIdentity, WebUser
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import AppError, Forbidden
from app.kpis import readings as kpi_readings
from app.kpis.models import ReadingSource, ReadingWrite
from app.periods import Period
from app.permissions import Permission, can
from app.plans.models import TASK_ROLE_LABELS
from app.progress import service as progress_service
from app.progress.models import PROGRESS_LABELS, ProgressWrite
from app.reporting import carry, flags, reopen_view, save_all, workspace, workspace_row
from app.reporting.workspace import Workspace
from app.routes import Routes
from app.submissions.models import STATUS_LABELS
from app.templating import is_partial_request, render

router = Routes(include_in_schema=False)

_TEXT_FIELDS = ("result", "difficulties", "proposals", "evidence")
TASK_FIELDS = ("status", "percent_complete", "version", *_TEXT_FIELDS)
READING_FIELDS = ("domain", "value", "numerator", "denominator", "note", "evidence_url", "version")
_TEMPLATE = "reporting/workspace.html"


def base_url(unit: str, period: str) -> str:
    return f"/units/{unit}/periods/{period}"


def page_workspace(
    identity: WebIdentity, db_session: Session, clock: Clock, unit: str, period: str
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


def page_context(ws: workspace.Workspace, identity: WebIdentity, clock: Clock) -> dict[str, Any]:
    return {
        "ws": ws,
        "base": base_url(ws.unit.code, str(ws.period)),
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


@dataclass(frozen=True)
class UnitPage:
    """One request on a unit's period page: what every form of the workspace and the review page
    needs to write through a service and draw the page again, passed as one."""

    request: Request
    identity: WebIdentity
    db_session: Session
    clock: Clock
    unit: str
    period: str

    def workspace(self) -> Workspace:
        return page_workspace(self.identity, self.db_session, self.clock, self.unit, self.period)

    def context(self, ws: Workspace, title: str = "") -> dict[str, Any]:
        """The page's title (``title ·`` before the unit and period) and its shared context."""
        return {
            "title": f"{title}{ws.unit.short_name} · {ws.period.label_vi}",
            **page_context(ws, self.identity, self.clock),
        }

    def reopen(self, ws: Workspace, **form: Any) -> dict[str, Any]:
        """The reopen-request parts of the page; ``form``: a refused form's errors and text."""
        return reopen_view.for_page(
            db_session=self.db_session, actor=self.identity.actor, clock=self.clock, ws=ws, **form
        )


async def _unit_page(
    request: Request,
    unit: str,
    period: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> UnitPage:
    return UnitPage(request, identity, db_session, clock, unit, period)


#: A handler of ``/units/{unit}/periods/{period}/…`` (or ``/review/{unit}/{period}/…``) takes
#: its request, person, session, clock, unit and period as one.
UnitPageDep = Annotated[UnitPage, Depends(_unit_page)]


def report_flags(request: Request, db_session: Session, ws: workspace.Workspace) -> list[Any]:
    """The flags of the report a workspace page shows, with the server's outlier settings."""
    return flags.flags_of(
        db_session=db_session,
        plan=ws.plan,
        unit=ws.unit,
        period=Period.parse(ws.submission.period),
        thresholds=flags.thresholds_of(request.app.state.settings),
    )


@router.get("/units/{unit}", response_class=HTMLResponse)
def unit_home(unit: str, identity: WebUser, db_session: SessionDep, clock: ClockDep) -> Response:
    period = workspace.current_period_for(
        db_session=db_session, actor=identity.actor, clock=clock, unit_code=unit
    )
    return RedirectResponse(base_url(unit, str(period)), status_code=303)


@router.get("/units/{unit}/periods/{period}", response_class=HTMLResponse)
def unit_period(page: UnitPageDep, chon: str | None = None) -> Response:
    if chon and chon != page.period:  # the period selector, without JavaScript
        return RedirectResponse(base_url(page.unit, chon), status_code=303)
    ws = page.workspace()
    return render(
        page.request,
        _TEMPLATE,
        {
            **page.context(ws),
            **page.reopen(ws),
            # What the reviewer will be shown, while the unit can still fix or explain it.
            "own_flags": report_flags(page.request, page.db_session, ws) if ws.can_edit else [],
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


def task_input(unit: str, period: str, code: str, typed: dict[str, str]) -> dict[str, Any]:
    """A task row's form as the progress service's input (shared with "Lưu tất cả")."""
    return {
        "assignment": code,
        "unit": unit,
        "period": period,
        "status": typed.get("status") or None,
        "percent_complete": forms.number_text(typed.get("percent_complete", "")),
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
        "value": forms.number_text(typed.get("value", "")),
        "numerator": forms.number_text(typed.get("numerator", "")),
        "denominator": forms.number_text(typed.get("denominator", "")),
        "note": typed.get("note", ""),
        "evidence_url": typed.get("evidence_url") or None,
        "version": typed.get("version") or None,
    }
    if data["numerator"] is not None and data["denominator"] is not None:
        data["value"] = None  # computed from them; a stale value shown in the field must not clash
    return data


@dataclass(frozen=True)
class _Row:
    """One kind of workspace row: its schema, its service write, how to find it again, and
    what an htmx save answers (``answer(counters)``, ``workspace_row``)."""

    model: type[BaseModel]
    write: Callable[[Any], object]
    find: Callable[[workspace.Workspace], Any]
    answer: Callable[[bool], workspace.Workspace]
    not_found: str
    block: str
    hints: dict[str, str] | None = None


def _save_row(
    page: UnitPage, row_kind: _Row, data: dict[str, Any], typed: dict[str, str]
) -> Response:
    """One path for every workspace row: validate, write through the service the API uses,
    then answer with the row (and the counters, when the save filled the row for the first
    time), keeping what was typed when it failed. Without htmx: the whole page."""
    parsed, errors = forms.validate(row_kind.model, data)
    for name, hint in (row_kind.hints or {}).items():
        if name in errors and not typed.get(name):
            errors[name] = hint
    message = ""
    conflict = False
    filled = False  # a row that was empty is not any more: the counters change
    status_code = 200 if parsed is not None else 422
    if parsed is not None:
        written = forms.try_write(page.db_session, lambda: row_kind.write(parsed))
        if isinstance(written, AppError):
            errors, message = forms.app_error_messages(written)
            status_code = written.status_code
            conflict = status_code == 409 and written.code in save_all.CONFLICT_CODES
        else:
            filled = bool(getattr(written, "created", False))
    partial = is_partial_request(page.request)
    ws = row_kind.answer(filled) if partial else page.workspace()
    row = row_kind.find(ws)
    if row is None:
        raise Forbidden(row_kind.not_found)
    shown = set(typed) - {"version", "domain"}
    context = {
        **page.context(ws),
        "row": row,
        "edit": edit_state(row.dom_id, typed, errors, message, shown, conflict),
        "oob": partial and filled,
    }
    return forms.swap_or_page(
        page.request,
        template=_TEMPLATE,
        block=row_kind.block,
        context=context,
        status_code=status_code,
        redirect=f"{context['base']}#{row.dom_id}",
        page=_TEMPLATE,
    )


@router.post("/units/{unit}/periods/{period}/tasks/{code}", response_class=HTMLResponse)
async def save_task(page: UnitPageDep, code: str) -> Response:
    row_kind = _Row(
        model=ProgressWrite,
        write=lambda parsed: progress_service.upsert_progress(
            db_session=page.db_session, actor=page.identity.actor, clock=page.clock, data=parsed
        ),
        find=lambda ws: next((r for r in ws.tasks if r.task.code == code), None),
        answer=lambda counters: workspace_row.task_answer(
            db_session=page.db_session,
            actor=page.identity.actor,
            clock=page.clock,
            unit_code=page.unit,
            period=page.period,
            code=code,
            counters=counters,
        ),
        not_found=f"Nhiệm vụ {code} không thuộc đơn vị {page.unit}.",
        block="task_row",
        hints={"status": "Hãy chọn tình trạng thực hiện."},
    )

    def work(typed: dict[str, str]) -> Response:
        return _save_row(page, row_kind, task_input(page.unit, page.period, code, typed), typed)

    return await forms.posted_in_thread(page.request, TASK_FIELDS, work)


def _reading_row(ws: workspace.Workspace, indicator: str, domain: str | None) -> Any:
    return next(
        (
            r
            for r in ws.indicators
            if r.indicator.code == indicator and (r.domain.code if r.domain else None) == domain
        ),
        None,
    )


@router.post("/units/{unit}/periods/{period}/readings/{indicator}", response_class=HTMLResponse)
async def save_reading(page: UnitPageDep, indicator: str) -> Response:
    def work(typed: dict[str, str]) -> Response:
        row_kind = _Row(
            model=ReadingWrite,
            write=lambda parsed: kpi_readings.upsert_reading(
                db_session=page.db_session,
                actor=page.identity.actor,
                clock=page.clock,
                data=parsed,
                source=ReadingSource.FORM,
            ),
            find=lambda ws: _reading_row(ws, indicator, typed["domain"] or None),
            answer=lambda counters: workspace_row.reading_answer(
                db_session=page.db_session,
                actor=page.identity.actor,
                clock=page.clock,
                unit_code=page.unit,
                period=page.period,
                counters=counters,
            ),
            not_found=f"Chỉ tiêu {indicator} không do đơn vị {page.unit} báo cáo.",
            block="kpi_row",
        )
        data = reading_input(page.unit, page.period, indicator, typed)
        return _save_row(page, row_kind, data, typed)

    return await forms.posted_in_thread(page.request, READING_FIELDS, work)
