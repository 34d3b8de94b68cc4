"""JSON twins of the unit workspace's “Lưu tất cả” and “Chép từ kỳ trước”."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Path

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.reporting import carry, save_all
from app.routes import Routes

router = Routes(prefix="/units/{unit}/periods/{period}", tags=["submissions"])

UnitPath = Annotated[str, Path(max_length=32, examples=["ttpvhcc"])]
PeriodPath = Annotated[str, Path(max_length=16, examples=["2025-11"])]


@router.post(
    "/rows",
    response_model=save_all.SaveAllResult,
    summary="Save many rows of a unit's period at once, each with its own result",
    responses={403: {"description": "Another unit's rows, or a role that may not write."}},
)
def save_rows(
    unit: UnitPath,
    period: PeriodPath,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    body: Annotated[save_all.SaveAllRequest, Body()],
) -> save_all.SaveAllResult:
    """Each row is written as `PUT /progress` or `PUT /readings` would write it (same rules,
    `version` guard, audit) in its own transaction: a refused row (`invalid`, `conflict`,
    `refused`) is reported on its own and the others are saved. Always 200 with per-row results."""
    return save_all.save_rows(
        db_session=db_session,
        actor=actor,
        clock=clock,
        unit=unit,
        period=period,
        tasks=body.tasks,
        readings=body.readings,
    )


@router.get(
    "/carry",
    response_model=carry.CarryProposal,
    summary="The previous period's answers, offered for this period (nothing is written)",
    responses={
        403: {"description": "Another unit, or a role that may not write."},
        409: {"description": "The report is sent or approved: its data is locked."},
    },
)
def carry_forward(
    unit: UnitPath,
    period: PeriodPath,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> carry.CarryProposal:
    """Save the rows you confirm with `POST …/rows`; until then they count as not reported."""
    return carry.proposal(db_session=db_session, actor=actor, clock=clock, unit=unit, period=period)
