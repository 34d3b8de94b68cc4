"""The plan's tasks in the browser: grouped by area, filtered, edited, added, with their history."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.admin import history
from app.admin.units import all_units
from app.clock import ClockDep
from app.db import SessionDep
from app.forms import (
    FormState,
    answer,
    attempt,
    blank_none,
    date_input,
    parse_date_vi,
    read_form,
)
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.plans import task_edits
from app.plans.labels import CADENCE_LABELS
from app.plans.models import AssignmentCreate, AssignmentRead, AssignmentUpdate
from app.routes import Routes
from app.templating import render

router = Routes(include_in_schema=False)

SCOPE_LABELS = {"lead_unit": "Đơn vị chủ trì thực hiện", "all_units": "Tất cả đơn vị"}
_EDIT_FIELDS = ("scope", "lead_unit", "cadence", "due_date", "expected_product", "version")
_CREATE_FIELDS = ("code", "text", "area", *_EDIT_FIELDS[:-1])


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _options(db_session: Session) -> dict[str, Any]:
    units = all_units(db_session)
    areas = plan_service.list_areas(db_session=db_session)
    return {
        "unit_options": [(u.code, f"{u.short_name} ({u.code})") for u in units if u.active],
        "area_options": [(a.code, f"{a.section}. {a.name}") for a in areas],
        "areas": areas,
        "cadence_options": list(CADENCE_LABELS.items()),
        "cadence_labels": CADENCE_LABELS,
        "scope_options": list(SCOPE_LABELS.items()),
        "scope_labels": SCOPE_LABELS,
    }


@router.get("/admin/plan", response_class=HTMLResponse)
def tasks_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    q: str = "",
    don_vi: str = "",
    linh_vuc: str = "",
    tan_suat: str = "",
    han_truoc: str = "",
) -> Response:
    """Filters are the API's (unit, area, cadence, due before); ``q`` searches code and text."""
    authorize(identity.actor, Permission.PLAN_WRITE)
    due, due_error = parse_date_vi(han_truoc)
    tasks, total = plan_service.list_assignments(
        db_session=db_session,
        filters=plan_service.AssignmentFilters(
            unit=don_vi or None,
            area=linh_vuc or None,
            cadence=tan_suat or None,
            due_before=date.fromisoformat(due) if due else None,
        ),
        limit=10_000,
        offset=0,
    )
    if q.strip():
        needle = _fold(q.strip())
        tasks = [t for t in tasks if needle in _fold(t.code) or needle in _fold(t.text)]
    by_area: dict[str, list[AssignmentRead]] = defaultdict(list)
    for task in tasks:
        by_area[task.area].append(task)
    context = {
        "title": "Nhiệm vụ của kế hoạch",
        "by_area": by_area,
        "shown": len(tasks),
        "total": total,
        "filters": {
            "q": q,
            "don_vi": don_vi,
            "linh_vuc": linh_vuc,
            "tan_suat": tan_suat,
            "han_truoc": han_truoc,
        },
        "due_error": due_error,
        **_options(db_session),
    }
    return render(request, "admin/plan.html", context, block="results")


def _task_form(typed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Form strings → the API's fields; a date typed wrongly is an error of its own."""
    due, due_error = parse_date_vi(typed.get("due_date", ""))
    data = {
        "scope": typed["scope"] or None,
        "lead_unit": blank_none(typed["lead_unit"]),
        "coordinating_units": typed["coordinating_units"],
        "cadence": typed["cadence"] or None,
        "due_date": due,
        "expected_product": typed["expected_product"],
    }
    return data, ({"due_date": due_error} if due_error else {})


def _task_context(db_session: Session, code: str, edit: FormState | None = None) -> dict[str, Any]:
    plan = plan_service.get_plan(db_session=db_session, code=None)
    row = plan_service.get_assignment(db_session=db_session, plan=plan, code=code)
    task = plan_service.assignment_reads(db_session=db_session, plan=plan, rows=[row])[0]
    return {
        "title": f"Nhiệm vụ {task.code}",
        "task": task,
        "due_text": date_input(task.due_date),
        "edit": edit or FormState("task-edit"),
        **history.record_context(db_session, entity="assignment", key=f"{plan.code}/{task.code}"),
        **_options(db_session),
    }


@router.get("/admin/plan/new", response_class=HTMLResponse)
def new_task_page(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)
    context = {"title": "Thêm nhiệm vụ", "create": FormState("task-create"), **_options(db_session)}
    return render(request, "admin/task_new.html", context, block="create")


@router.post("/admin/plan/new", response_class=HTMLResponse)
async def create_task(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)  # the role before the form
    typed = await read_form(request, _CREATE_FIELDS, lists=("coordinating_units",))
    data, errors = _task_form(typed)
    data.update(code=typed["code"].strip(), text=typed["text"], area=typed["area"] or None)
    data = {k: v for k, v in data.items() if v is not None}
    outcome = attempt(
        db_session,
        AssignmentCreate,
        data,
        lambda parsed: task_edits.create_assignment(
            db_session=db_session, actor=identity.actor, clock=clock, data=parsed
        ),
        errors=errors,
    )
    if "code" in outcome.errors and "định dạng" in outcome.errors["code"]:
        outcome.errors["code"] = "Mã nhiệm vụ ghi theo vị trí trong kế hoạch, ví dụ II.2.3.7."
    code = outcome.result.code if outcome.ok else ""
    return answer(
        request,
        outcome,
        template="admin/task_new.html",
        context=lambda: {
            "title": "Thêm nhiệm vụ",
            "create": outcome.state("task-create", typed),
            **_options(db_session),
        },
        block="create",
        redirect=f"/admin/plan/tasks/{code}?da_tao=1",
        hx_redirect=True,
    )


@router.get("/admin/plan/tasks/{code}", response_class=HTMLResponse)
def task_page(request: Request, code: str, identity: WebUser, db_session: SessionDep) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)
    saved = "Đã thêm nhiệm vụ vào kế hoạch." if request.query_params.get("da_tao") else ""
    context = _task_context(db_session, code, FormState("task-edit", saved=saved))
    return render(request, "admin/task.html", context, block="edit")


@router.post("/admin/plan/tasks/{code}", response_class=HTMLResponse)
async def update_task(
    request: Request, code: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)  # the role before the form
    typed = await read_form(request, _EDIT_FIELDS, lists=("coordinating_units",))
    data, errors = _task_form(typed)
    data["version"] = typed["version"] or None
    outcome = attempt(
        db_session,
        AssignmentUpdate,
        data,
        lambda parsed: task_edits.update_assignment(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            plan_code=None,
            code=code,
            data=parsed,
        ),
        errors=errors,
    )
    return answer(
        request,
        outcome,
        template="admin/task.html",
        context=lambda: _task_context(
            db_session, code, outcome.state("task-edit", typed, saved="Đã lưu nhiệm vụ.")
        ),
        block="edit",
        oob=True,
        redirect=f"/admin/plan/tasks/{code}",
    )
