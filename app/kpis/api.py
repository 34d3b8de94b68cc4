"""JSON API for TTHC domains, indicators and readings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path, Query, Response, status

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.kpis import domains, indicators, readings
from app.kpis.models import (
    MAX_ROW_ID,
    DomainCreate,
    DomainRead,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
    ReadingRead,
    ReadingWrite,
)
from app.pagination import PagingDep
from app.plans.api import PlanQuery
from app.routes import Routes
from app.schemas import Page

router = Routes()

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Stale `version`, or a duplicate."}
}

_READING_EXAMPLES = {
    "value": {
        "summary": "A value, per domain",
        "value": {
            "indicator": "tthc_ontime",
            "unit": "ttpvhcc",
            "period": "2025-10",
            "domain": "ho-tich",
            "value": 98.5,
            "note": "Số liệu từ Hệ thống thông tin giải quyết TTHC",
        },
    },
    "fraction": {
        "summary": "Numerator and denominator (the value is computed)",
        "value": {
            "indicator": "online_dossier",
            "unit": "ttpvhcc",
            "period": "2025-10",
            "numerator": 412,
            "denominator": 500,
        },
    },
    "guarded": {
        "summary": "Update only if nobody changed it since version 3",
        "value": {
            "indicator": "disbursement",
            "unit": "kthtdt",
            "period": "2025-11",
            "value": 76.4,
            "version": 3,
        },
    },
}


@router.get("/domains", response_model=list[DomainRead], tags=["domains"])
def list_domains(db_session: SessionDep, active: bool | None = None) -> list[DomainRead]:
    return domains.list_domains(db_session=db_session, active=active)


@router.post(
    "/domains", response_model=DomainRead, status_code=status.HTTP_201_CREATED, tags=["domains"]
)
def create_domain(
    data: DomainCreate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> DomainRead:
    return domains.create_domain(db_session=db_session, actor=actor, clock=clock, data=data)


@router.get("/indicators", response_model=Page[IndicatorRead], tags=["indicators"])
def list_indicators(
    db_session: SessionDep,
    paging: PagingDep,
    plan: PlanQuery = None,
    area: str | None = None,
    unit: Annotated[str | None, Query(description="Responsible unit code.")] = None,
) -> Page[IndicatorRead]:
    items, total = indicators.list_indicators(
        db_session=db_session,
        plan_code=plan,
        area=area,
        unit=unit,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post(
    "/indicators",
    response_model=IndicatorRead,
    status_code=status.HTTP_201_CREATED,
    tags=["indicators"],
    responses=_CONFLICT,
)
def create_indicator(
    data: IndicatorCreate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> IndicatorRead:
    return indicators.create_indicator(db_session=db_session, actor=actor, clock=clock, data=data)


@router.get("/indicators/{code}", response_model=IndicatorRead, tags=["indicators"])
def get_indicator(code: str, db_session: SessionDep, plan: PlanQuery = None) -> IndicatorRead:
    from app.plans import service as plan_service

    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    row = indicators.get_indicator(db_session=db_session, plan=plan_row, code=code)
    return indicators.indicator_reads(db_session=db_session, plan=plan_row, rows=[row])[0]


@router.patch(
    "/indicators/{code}", response_model=IndicatorRead, tags=["indicators"], responses=_CONFLICT
)
def update_indicator(
    code: str,
    data: IndicatorUpdate,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    plan: PlanQuery = None,
) -> IndicatorRead:
    return indicators.update_indicator(
        db_session=db_session, actor=actor, clock=clock, plan_code=plan, code=code, data=data
    )


@router.get("/readings", response_model=Page[ReadingRead], tags=["readings"])
def list_readings(
    db_session: SessionDep,
    actor: CurrentActor,
    paging: PagingDep,
    plan: PlanQuery = None,
    indicator: str | None = None,
    unit: str | None = None,
    period: Annotated[str | None, Query(examples=["2025-10"])] = None,
    period_from: Annotated[str | None, Query(description="Periods starting on/after this.")] = None,
    period_to: Annotated[str | None, Query(description="Periods ending on/before this.")] = None,
    domain: str | None = None,
) -> Page[ReadingRead]:
    filters = readings.ReadingFilters(
        plan=plan,
        indicator=indicator,
        unit=unit,
        period=period,
        period_from=period_from,
        period_to=period_to,
        domain=domain,
    )
    items, total = readings.list_readings(
        db_session=db_session,
        actor=actor,
        filters=filters,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.put(
    "/readings",
    response_model=ReadingRead,
    tags=["readings"],
    responses={201: {"description": "Created", "model": ReadingRead}, **_CONFLICT},
    summary="Create or update one reading by its natural key",
)
def put_reading(
    response: Response,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    data: Annotated[ReadingWrite, Body(openapi_examples=_READING_EXAMPLES)],
) -> ReadingRead:
    """Upsert on (indicator, unit, period, domain): 201 when created, 200 when updated or
    unchanged. A body with `version` applies only if that version is still current (409)."""
    result = readings.upsert_reading(db_session=db_session, actor=actor, clock=clock, data=data)
    response.status_code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    return result.reading


@router.delete("/readings/{reading_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["readings"])
def delete_reading(
    reading_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)],
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> Response:
    readings.delete_reading(db_session=db_session, actor=actor, reading_id=reading_id, clock=clock)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
