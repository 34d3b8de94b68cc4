"""HTML pages for the plan: the overview a newcomer lands on."""

from __future__ import annotations

from collections import defaultdict

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.db import SessionDep
from app.kpis.indicators import list_indicators
from app.plans import service
from app.plans.labels import CADENCE_LABELS
from app.plans.models import AssignmentRead
from app.routes import Routes
from app.templating import render
from app.units import service as unit_service

router = Routes(include_in_schema=False)


@router.get("/plan", response_class=HTMLResponse)
def overview(request: Request, db_session: SessionDep) -> HTMLResponse:
    plan = service.get_plan(db_session=db_session, code=None)
    assignments, _ = service.list_assignments(
        db_session=db_session,
        filters=service.AssignmentFilters(plan=plan.code),
        limit=10_000,
        offset=0,
    )
    indicators, _ = list_indicators(
        db_session=db_session, plan_code=plan.code, area=None, unit=None, limit=1000, offset=0
    )
    units, _ = unit_service.list_units(
        db_session=db_session, active=None, parent=None, q=None, limit=1000, offset=0
    )
    by_area: dict[str, list[AssignmentRead]] = defaultdict(list)
    for task in assignments:
        by_area[task.area].append(task)
    plan_read = service.plan_read(db_session=db_session, plan=plan)
    return render(
        request,
        "plans/overview.html",
        {
            "title": f"Kế hoạch {plan.number}",
            "plan": plan_read,
            "areas": service.list_areas(db_session=db_session),
            "tasks_by_area": by_area,
            "indicators": indicators,
            "units": {u.code: u for u in units},
            "cadence_labels": CADENCE_LABELS,
        },
    )
