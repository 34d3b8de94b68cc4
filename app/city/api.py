"""The city view in JSON and as a spreadsheet: `/api/v1/city/...` (city accounts only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import AfterValidator

from app.accounts.dependencies import CurrentActor, settings_of
from app.city import service
from app.city.export import ranking_file
from app.clock import ClockDep
from app.db import SessionDep
from app.exports.writers import ExportFormat
from app.periods import optional_period
from app.routes import Routes
from app.scores import cache
from app.wards import service as ward_service
from app.wards.models import WardCreate, WardRead

router = Routes(tags=["city"])

PeriodParam = Annotated[
    str | None,
    Query(max_length=16, description="A month or quarter, e.g. 2025-10 or 2026-Q1."),
    AfterValidator(optional_period),
]
SortParam = Annotated[
    str, Query(max_length=64, description="score, sipas, or a target's code (online_dossier …).")
]


@router.get("/city/ranking", response_model=service.CityRanking, summary="Wards ranked")
def ranking(
    request: Request,
    actor: CurrentActor,
    db_session: SessionDep,
    clock: ClockDep,
    period: PeriodParam = None,
    sort: SortParam = service.SORT_SCORE,
) -> Response:
    """Every ward's plan score, targets and SIPAS index for a period, ranked (city accounts).

    Kept per state of every ward's data and SIPAS answers (`docs/scores.md`): the body is the
    ranking as serialised when it was computed."""
    key, result = service.kept_ranking(
        db_session=db_session,
        actor=actor,
        clock=clock,
        period=period,
        sort=sort,
        min_sample=settings_of(request).sipas_min_sample,
    )
    body = cache.RESULTS.get((*key, "json"), lambda: result.model_dump_json().encode())
    return Response(body, media_type="application/json")


@router.get(
    "/city/ranking.{fmt}",
    response_class=StreamingResponse,
    summary="Wards ranked, as CSV or Excel",
    responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument"
                                 ".spreadsheetml.sheet": {}}}},
)  # fmt: skip
def ranking_export(
    request: Request,
    fmt: ExportFormat,
    actor: CurrentActor,
    db_session: SessionDep,
    clock: ClockDep,
    period: PeriodParam = None,
    sort: SortParam = service.SORT_SCORE,
) -> Response:
    result = service.city_ranking(
        db_session=db_session,
        actor=actor,
        clock=clock,
        period=period,
        sort=sort,
        min_sample=settings_of(request).sipas_min_sample,
    )
    return ranking_file(result, fmt)


@router.get("/wards", response_model=list[WardRead], summary="Wards", tags=["wards"])
def list_wards(actor: CurrentActor, db_session: SessionDep) -> list[WardRead]:
    """Every ward for city accounts; a ward's own accounts see their ward."""
    wards = ward_service.list_wards(db_session=db_session, actor=actor)
    return [ward_service.to_read(w) for w in wards]


@router.post("/wards", response_model=WardRead, status_code=201, summary="Create a ward",
             tags=["wards"])  # fmt: skip
def create_ward(
    data: WardCreate, actor: CurrentActor, db_session: SessionDep, clock: ClockDep
) -> WardRead:
    """A new ward, empty: load its plan with `POST /api/v1/plans/{code}/copy` (city admins)."""
    return ward_service.create_ward(db_session=db_session, actor=actor, clock=clock, data=data)
