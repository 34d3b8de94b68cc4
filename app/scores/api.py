"""JSON API for scores, rankings, trends and the scoring configuration."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.dependencies import ScoredPeriodQuery
from app.pagination import PagingDep
from app.permissions import Permission, authorize
from app.plans.api import PlanQuery
from app.routes import Routes
from app.schemas import Page
from app.scores import configuration, kept, service, trends
from app.scores import indicator_detail as indicator_service
from app.scores.kept import Body
from app.scores.models import (
    ScoringConfigChange,
    ScoringConfigRead,
    ScoringConfigReset,
    ScoringConfigWrite,
)
from app.scores.schemas import Basis, IndicatorDetail, ScoreSummary, Trend, UnitBreakdown

router = Routes(prefix="/scores", tags=["scores"])

_READ_ALL: dict[int | str, dict[str, Any]] = {
    403: {"description": "Reporters may only see their own unit's scores."}
}


@router.get("", response_model=ScoreSummary, responses=_READ_ALL)
async def ward_summary(
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    period: ScoredPeriodQuery = None,
    plan: PlanQuery = None,
    basis: Annotated[
        Basis,
        Query(
            description="`all` (default): everything entered, each figure with its `data_state`; "
            "`approved`: only units whose report for the period is approved are scored and ranked."
        ),
    ] = "all",
) -> Response:
    """The ward in one period: headline figures, each indicator against its target with a
    traffic light, the 8 PAR areas, the units with score, rank, classification and coverage,
    overdue tasks. A period with no data says so (`has_data: false`) and scores nobody.

    Computed once per version of the plan's data and kept (`docs/scores.md`): the body is the
    summary as serialised when it was computed, with an `ETag`; `If-None-Match` with it answers
    304 while the data has not changed."""

    def computed() -> Body:
        return kept.ward_summary_json(
            db_session=db_session, actor=actor, clock=clock, period=period, plan=plan, basis=basis
        )

    body = kept.kept_summary_json(
        db_session=db_session, actor=actor, clock=clock, period=period, plan=plan, basis=basis
    )
    if body is None:
        body = await run_in_threadpool(computed)
    headers = {"ETag": body.etag}
    if body.etag in request.headers.get("If-None-Match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body.content, media_type="application/json", headers=headers)


@router.get("/units/{code}", response_model=UnitBreakdown)
def unit_breakdown(
    code: str,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    period: ScoredPeriodQuery = None,
    plan: PlanQuery = None,
) -> UnitBreakdown:
    """Why a unit has its score: every task update, reading and report used, each formula, and
    the configuration applied. `components[].contribution` adds up to `score`."""
    return service.unit_breakdown(
        db_session=db_session, actor=actor, clock=clock, unit=code, period=period, plan=plan
    )


@router.get("/indicators/{code}", response_model=IndicatorDetail)
def indicator_detail(
    code: str,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    period: ScoredPeriodQuery = None,
    unit: Annotated[str | None, Query(description="One unit's figure instead of the ward's.")] = (
        None
    ),
    plan: PlanQuery = None,
) -> IndicatorDetail:
    """An indicator in one period: the ward's value (pooled over units) and each unit's readings."""
    return indicator_service.indicator_detail(
        db_session=db_session,
        actor=actor,
        clock=clock,
        indicator=code,
        period=period,
        plan=plan,
        unit=unit,
    )


@router.get("/trend", response_model=Trend)
def trend(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    unit: Annotated[str | None, Query(examples=["ttpvhcc"])] = None,
    indicator: Annotated[str | None, Query(examples=["tthc_ontime"])] = None,
    period_from: Annotated[str | None, Query(examples=["2025-10"])] = None,
    period_to: Annotated[str | None, Query(examples=["2026-Q4"])] = None,
    plan: PlanQuery = None,
) -> Trend:
    """A series over the plan's periods: `indicator` (ward-wide, or for `unit`), a `unit`'s score,
    or with neither the ward's mean score. Reporters get their own unit's series."""
    return trends.trend(
        db_session=db_session,
        actor=actor,
        clock=clock,
        unit=unit,
        indicator=indicator,
        period_from=period_from,
        period_to=period_to,
        plan=plan,
    )


@router.get("/config", response_model=ScoringConfigRead)
def get_config(db_session: SessionDep) -> ScoringConfigRead:
    """The weights, thresholds and bands in force, and whether an admin has overridden the file."""
    return configuration.get_config(db_session=db_session)


@router.put(
    "/config",
    response_model=ScoringConfigRead,
    responses={409: {"description": "Version label already used, or stale `base_version`."}},
)
def set_config(
    data: ScoringConfigWrite, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> ScoringConfigRead:
    """Replace the rules in force (admins); audited. The `version` label must be new."""
    return configuration.set_config(db_session=db_session, actor=actor, clock=clock, data=data)


@router.delete("/config", response_model=ScoringConfigRead)
def reset_config(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    data: ScoringConfigReset | None = None,
) -> ScoringConfigRead:
    """Go back to the shipped `default_config.toml` (admins); audited."""
    return configuration.reset_config(
        db_session=db_session, actor=actor, clock=clock, data=data or ScoringConfigReset()
    )


@router.get("/config/history", response_model=Page[ScoringConfigChange])
def config_history(
    actor: CurrentActor, db_session: SessionDep, paging: PagingDep
) -> Page[ScoringConfigChange]:
    """Every change of the rules, newest first, with the configuration each put in force.

    Who changed the rules and when: for those who read every unit (not a unit's reporter).
    """
    authorize(actor, Permission.READ_ALL)
    items, total = configuration.history(
        db_session=db_session, limit=paging.limit, offset=paging.offset
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)
