"""JSON API for progress updates on the plan's tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Response, status

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.pagination import PagingDep
from app.plans.api import PlanQuery
from app.progress import service
from app.progress.models import ProgressRead, ProgressWrite
from app.routes import Routes
from app.schemas import Page

router = Routes(prefix="/progress", tags=["progress"])

_EXAMPLES = {
    "in_progress": {
        "summary": "A task under way",
        "value": {
            "assignment": "II.2.1.9",
            "unit": "vhxh",
            "period": "2025-10",
            "status": "in_progress",
            "percent_complete": 60,
            "result": "Đã tổng hợp 45 phản ánh qua Tổng đài 1022, xử lý đúng hạn 43.",
            "difficulties": "",
            "proposals": "",
        },
    },
    "done": {
        "summary": "A task completed (percent is filled in as 100)",
        "value": {
            "assignment": "II.2.3.3",
            "unit": "ttpvhcc",
            "period": "2025-12",
            "status": "done",
            "evidence": "https://phudinh.hochiminhcity.gov.vn/...",
            "version": 2,
        },
    },
}


@router.get("", response_model=Page[ProgressRead])
def list_progress(
    db_session: SessionDep,
    actor: CurrentActor,
    paging: PagingDep,
    plan: PlanQuery = None,
    unit: str | None = None,
    period: str | None = None,
    assignment: str | None = None,
) -> Page[ProgressRead]:
    filters = service.ProgressFilters(plan=plan, unit=unit, period=period, assignment=assignment)
    items, total = service.list_progress(
        db_session=db_session,
        actor=actor,
        filters=filters,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.put(
    "",
    response_model=ProgressRead,
    responses={
        201: {"description": "Created", "model": ProgressRead},
        409: {"description": "Stale `version`."},
    },
    summary="Create or update a unit's report on one task for one period",
)
def put_progress(
    response: Response,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    data: Annotated[ProgressWrite, Body(openapi_examples=_EXAMPLES)],
) -> ProgressRead:
    """Upsert on (assignment, unit, period): 201 when created, 200 otherwise; `version` guards
    against overwriting a change you have not seen (409)."""
    result = service.upsert_progress(db_session=db_session, actor=actor, clock=clock, data=data)
    response.status_code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    return result.progress
