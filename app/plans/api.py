"""JSON API for PAR areas, plans and assignments (the plan's tasks)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Response, status
from pydantic import Field

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.pagination import PagingDep
from app.plans import service, task_edits
from app.plans.models import (
    AreaRead,
    AssignmentCreate,
    AssignmentRead,
    AssignmentUpdate,
    PlanRead,
    Scope,
    TaskCadence,
)
from app.routes import Routes
from app.schemas import Page, StrictInput
from app.seed import copying
from app.seed.copying import PlanCopied, PlanCopy

router = Routes()

PlanQuery = Annotated[
    str | None, Query(description="Plan code; may be omitted while only one plan exists.")
]


@router.get("/areas", response_model=list[AreaRead], tags=["plans"])
def list_areas(db_session: SessionDep) -> list[AreaRead]:
    return service.list_areas(db_session=db_session)


@router.get("/plans", response_model=list[PlanRead], tags=["plans"])
def list_plans(db_session: SessionDep) -> list[PlanRead]:
    return service.list_plans(db_session=db_session)


@router.get("/plans/{code}", response_model=PlanRead, tags=["plans"])
def get_plan(code: str, db_session: SessionDep) -> PlanRead:
    plan = service.get_plan(db_session=db_session, code=code)
    return service.plan_read(db_session=db_session, plan=plan)


@router.post(
    "/plans/{code}/copy",
    response_model=PlanCopied,
    status_code=status.HTTP_201_CREATED,
    tags=["plans"],
    summary="Copy a plan (next year, or another ward)",
)
def copy_plan(
    code: str, data: PlanCopy, actor: CurrentActor, db_session: SessionDep, clock: ClockDep
) -> PlanCopied:
    """The plan's tasks and (``with_targets``) targets as a new plan: the next year's plan of the
    same ward, or (city administrators, ``ward``) another ward's, creating its units from the
    source's tree. Deadlines move by as many years as the plan does; edit the copy afterwards."""
    return copying.copy_plan(
        db_session=db_session, actor=actor, clock=clock, source=code, data=data
    )


class DueDays(StrictInput):
    """Day of the following month a report is due: ``{"month": 5, "quarter": 10}``."""

    month: int = Field(ge=1, le=28, examples=[5])
    quarter: int = Field(ge=1, le=28, examples=[10])


@router.put("/plans/{code}/due-days", response_model=DueDays, tags=["plans"])
def put_due_days(
    code: str, data: DueDays, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> DueDays:
    """The due-date rule of the plan's reports (coordinators, admins); audited."""
    saved = service.update_due_days(
        db_session=db_session, actor=actor, clock=clock, plan_code=code, due_days=data.model_dump()
    )
    return DueDays(**saved)


@router.get("/assignments", response_model=Page[AssignmentRead], tags=["assignments"])
def list_assignments(
    db_session: SessionDep,
    paging: PagingDep,
    plan: PlanQuery = None,
    unit: Annotated[
        str | None,
        Query(description="Tasks this unit leads, coordinates, or must do as an all-units task."),
    ] = None,
    area: Annotated[str | None, Query(examples=["par3"])] = None,
    scope: Scope | None = None,
    cadence: TaskCadence | None = None,
    due_before: Annotated[date | None, Query(description="Due on or before this date.")] = None,
    active: bool | None = None,
) -> Page[AssignmentRead]:
    filters = service.AssignmentFilters(
        plan=plan,
        unit=unit,
        area=area,
        scope=scope,
        cadence=cadence,
        due_before=due_before,
        active=active,
    )
    items, total = service.list_assignments(
        db_session=db_session, filters=filters, limit=paging.limit, offset=paging.offset
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post(
    "/assignments",
    response_model=AssignmentRead,
    status_code=status.HTTP_201_CREATED,
    tags=["assignments"],
)
def create_assignment(
    data: AssignmentCreate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> AssignmentRead:
    return task_edits.create_assignment(db_session=db_session, actor=actor, clock=clock, data=data)


@router.get("/assignments/{code}", response_model=AssignmentRead, tags=["assignments"])
def get_assignment(code: str, db_session: SessionDep, plan: PlanQuery = None) -> AssignmentRead:
    plan_row = service.get_plan(db_session=db_session, code=plan)
    row = service.get_assignment(db_session=db_session, plan=plan_row, code=code)
    return service.assignment_reads(db_session=db_session, plan=plan_row, rows=[row])[0]


@router.patch("/assignments/{code}", response_model=AssignmentRead, tags=["assignments"])
def update_assignment(
    code: str,
    data: AssignmentUpdate,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    plan: PlanQuery = None,
) -> AssignmentRead:
    return task_edits.update_assignment(
        db_session=db_session, actor=actor, clock=clock, plan_code=plan, code=code, data=data
    )


@router.delete(
    "/assignments/{code}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["assignments"],
    responses={409: {"description": "Progress or indicators refer to the task."}},
)
def delete_assignment(
    code: str, db_session: SessionDep, actor: CurrentActor, clock: ClockDep, plan: PlanQuery = None
) -> Response:
    task_edits.delete_assignment(
        db_session=db_session, actor=actor, plan_code=plan, code=code, clock=clock
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
