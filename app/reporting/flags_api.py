"""JSON API for the reviewer's flags and the validation rules behind them: the same service
functions as the pages (`/review/…` and `/admin/rules`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path, Query, Request
from pydantic import Field as PydanticField

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.reporting import flags, rule_service
from app.reporting.rules import RuleCreate, RuleRead, RuleUpdate
from app.routes import Routes
from app.schemas import StrictInput

router = Routes()

_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Only admins and coordinators edit the rules."},
    404: {"description": "No rule with this code."},
    409: {"description": "The code is taken (`rule_exists`), or a stale `version`."},
    422: {"description": "A missing operand or operator, an unknown indicator or domain."},
}


class RuleActive(StrictInput):
    active: bool = PydanticField(default=False, examples=[False])
    version: int | None = PydanticField(default=None, ge=1, examples=[2])


@router.get(
    "/units/{unit}/periods/{period}/flags",
    response_model=flags.FlagList,
    tags=["submissions"],
    summary="Flags for the reviewer of a unit's report",
)
def report_flags(
    unit: Annotated[str, Path(max_length=32, examples=["ttpvhcc"])],
    period: Annotated[str, Path(max_length=16, examples=["2025-10"])],
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    plan: str | None = None,
) -> flags.FlagList:
    """Outliers against the unit's last periods and the other units, broken validation rules
    (`severity` `block` ones refuse `submit`) and computed figures that differ from the unit's.
    Approving a report with any flag needs a `comment`."""
    return flags.report_flags(
        db_session=db_session,
        actor=actor,
        clock=clock,
        unit=unit,
        period=period,
        plan=plan,
        thresholds=flags.thresholds_of(request.app.state.settings),
    )


@router.get("/validation-rules", response_model=list[RuleRead], tags=["validation rules"])
def list_rules(
    db_session: SessionDep,
    actor: CurrentActor,
    active: Annotated[bool | None, Query()] = None,
    plan: str | None = None,
) -> list[RuleRead]:
    """The plan's validation rules by code (`active=true`: those in force)."""
    return rule_service.list_rules(db_session=db_session, plan_code=plan, active=active)


@router.get("/validation-rules/{code}", response_model=RuleRead, tags=["validation rules"])
def get_rule(
    code: str, db_session: SessionDep, actor: CurrentActor, plan: str | None = None
) -> RuleRead:
    return rule_service.get_rule(db_session=db_session, plan_code=plan, code=code)


@router.post(
    "/validation-rules",
    response_model=RuleRead,
    status_code=201,
    tags=["validation rules"],
    responses=_WRITE_ERRORS,
)
def create_rule(
    data: Annotated[RuleCreate, Body()],
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> RuleRead:
    """A comparison (`kind` `compare`: `left_*` `operator` `right_*`, each side an indicator's
    `value`, `numerator` or `denominator`, optionally of one `domain`, or a `constant`), or a
    progress rule (`percent_100_only_when_done`, `done_means_100`)."""
    return rule_service.create_rule(db_session=db_session, actor=actor, clock=clock, data=data)


@router.put(
    "/validation-rules/{code}",
    response_model=RuleRead,
    tags=["validation rules"],
    responses=_WRITE_ERRORS,
)
def update_rule(
    code: str,
    data: Annotated[RuleUpdate, Body()],
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    plan: str | None = None,
) -> RuleRead:
    """The whole rule as it should be; send the `version` you saw."""
    return rule_service.update_rule(
        db_session=db_session, actor=actor, clock=clock, plan_code=plan, code=code, data=data
    )


@router.post(
    "/validation-rules/{code}/active",
    response_model=RuleRead,
    tags=["validation rules"],
    responses=_WRITE_ERRORS,
)
def set_active(
    code: str,
    data: Annotated[RuleActive, Body()],
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    plan: str | None = None,
) -> RuleRead:
    """Deactivate (`active: false`) or bring back a rule."""
    return rule_service.set_active(
        db_session=db_session,
        actor=actor,
        clock=clock,
        plan_code=plan,
        code=code,
        active=data.active,
        version=data.version,
    )
