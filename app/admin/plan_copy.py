"""`/admin/plan/copy`: next year's plan (or, for the city, another ward's) from this one, in the
browser — the same service as ``POST /api/v1/plans/{code}/copy``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.clock import ClockDep
from app.db import SessionDep
from app.forms import FormState, answer, attempt, parse_date_vi, read_form
from app.permissions import CITY_ROLES, Permission, authorize
from app.plans import service as plan_service
from app.routes import Routes
from app.seed.copying import PlanCopy, copy_plan
from app.templating import render
from app.wards import service as ward_service

router = Routes(include_in_schema=False)

_FIELDS = ("code", "number", "issued_date", "first_year", "last_year", "title", "ward",
           "with_targets")  # fmt: skip


def _context(db_session: Session, identity: Any, state: FormState) -> dict[str, Any]:
    plan = plan_service.get_plan(db_session=db_session, code=None)
    wards = (
        [(w.code, w.name) for w in ward_service.list_wards(db_session=db_session, actor=identity)]
        if identity.role in CITY_ROLES
        else []
    )
    return {"title": "Sao chép kế hoạch", "plan": plan, "copy": state, "ward_options": wards}


@router.get("/admin/plan/copy", response_class=HTMLResponse)
def copy_page(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)
    state = FormState("plan-copy")
    context = _context(db_session, identity.actor, state)
    return render(request, "admin/plan_copy.html", context, block="copy")


@router.post("/admin/plan/copy", response_class=HTMLResponse)
async def copy_submit(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)  # the role before the form
    typed = await read_form(request, _FIELDS)
    source = plan_service.get_plan(db_session=db_session, code=None)
    issued, date_error = parse_date_vi(typed["issued_date"])
    errors = {"issued_date": date_error} if date_error else {}
    data = {
        "code": typed["code"].strip(),
        "number": typed["number"].strip(),
        "issued_date": issued,
        "first_year": typed["first_year"].strip() or None,
        "last_year": typed["last_year"].strip() or None,
        "title": typed["title"].strip() or None,
        "ward": typed["ward"].strip() or None,
        "with_targets": bool(typed["with_targets"]),
    }
    outcome = attempt(
        db_session,
        PlanCopy,
        {k: v for k, v in data.items() if v is not None},
        lambda parsed: copy_plan(
            db_session=db_session, actor=identity.actor, clock=clock, source=source.code,
            data=parsed,
        ),
        errors=errors,
    )  # fmt: skip
    target = f"/chon?plan={data['code']}&next=/plan" if outcome.ok and not data["ward"] else "/plan"
    return answer(
        request,
        outcome,
        template="admin/plan_copy.html",
        context=lambda: _context(db_session, identity.actor, outcome.state("plan-copy", typed)),
        block="copy",
        redirect=target,
        hx_redirect=True,
    )
