"""JSON twins of the coordination pages: the lead's view, the coordinating unit's list, answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.reporting import coordination, coordination_answer
from app.reporting.coordination_models import (
    AnswerWrite,
    CoordinatingTaskRead,
    LeadCoordinationRead,
)
from app.routes import Routes

router = Routes(prefix="/units/{unit}/periods/{period}", tags=["coordination"])

UnitPath = Annotated[str, Path(max_length=32, examples=["ttpvhcc"])]
CoordinatingUnitPath = Annotated[str, Path(max_length=32, examples=["vhxh"])]
PeriodPath = Annotated[str, Path(max_length=16, examples=["2025-10"])]
TaskPath = Annotated[str, Path(max_length=32, examples=["II.2.3.4"])]

_ANSWER_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "Another unit's answer (`other_unit`), the lead answering for its "
        "coordinating units (`lead_unit`), or a unit not named to coordinate (`not_coordinator`)."
    },
    404: {"description": "No such unit or task."},
    409: {
        "description": "A stale `version` (`stale_version`), no update of the lead yet "
        "(`no_lead_update`), or the lead's report already approved (`lead_report_approved`)."
    },
    422: {"description": "Disagreeing without `comment`, or a bad period."},
}


@router.get(
    "/coordination",
    response_model=LeadCoordinationRead,
    summary="Who confirmed, who disagreed and who has not answered the lead unit's updates",
    responses={403: {"description": "Another unit's report, for a reporter."}},
)
def lead_coordination(
    unit: UnitPath, period: PeriodPath, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> LeadCoordinationRead:
    """The tasks `unit` leads with coordinating units, each one's answer (`pending` until it
    answers) and `stale` where the lead changed its update after the answer. The summary counts
    only tasks the lead has updated for the period."""
    return coordination.lead_view(
        db_session=db_session, actor=actor, clock=clock, unit=unit, period=period
    )


@router.get(
    "/coordinating",
    response_model=list[CoordinatingTaskRead],
    summary="The tasks a unit coordinates, with the lead's update and the unit's answer",
    responses={403: {"description": "Another unit, for a reporter."}},
)
def coordinating_tasks(
    unit: CoordinatingUnitPath,
    period: PeriodPath,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> list[CoordinatingTaskRead]:
    """`can_answer` is false, with `why_not`, before the lead's update and after the lead's
    report for the period is approved."""
    return coordination.coordinating_view(
        db_session=db_session, actor=actor, clock=clock, unit=unit, period=period
    )


@router.put(
    "/coordinating/{task}",
    response_model=CoordinatingTaskRead,
    summary="Confirm, or disagree with, the lead's update on a task the unit coordinates",
    responses=_ANSWER_ERRORS,
)
def answer_task(
    unit: CoordinatingUnitPath,
    period: PeriodPath,
    task: TaskPath,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    data: Annotated[AnswerWrite, Body()],
) -> CoordinatingTaskRead:
    """Only the coordinating unit itself answers (its reporters; admins for any unit). Send
    `version` 0 for a first answer, else the answer's `version` you saw. Audited."""
    return coordination_answer.answer(
        db_session=db_session,
        actor=actor,
        clock=clock,
        unit=unit,
        period=period,
        task=task,
        data=data,
    )
