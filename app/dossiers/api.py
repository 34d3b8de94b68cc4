"""JSON API of the dossier and feedback feeds: their lists, the records behind a computed
reading, and the Decision 766 scorecard. (Their bulk imports are in ``app/imports/api.py``.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.dossiers import lists, scorecard
from app.dossiers.models import (
    DossierRead,
    DossierStatus,
    FeedbackChannel,
    FeedbackKind,
    FeedbackRead,
)
from app.kpis.models import MAX_ROW_ID
from app.pagination import PagingDep
from app.routes import Routes
from app.schemas import Page

#: The scorecard route follows the exports in the OpenAPI document, as it always has
#: (``app.main`` includes the routers in that order).
router = Routes()
scorecard_router = Routes()

PlanParam = Annotated[
    str | None, Query(description="Plan whose calendar and indicators the rates are for.")
]


@router.get("/dossiers", tags=["dossiers"], response_model=Page[DossierRead])
def list_dossiers(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    paging: PagingDep,
    unit: str | None = None,
    domain: str | None = None,
    period: Annotated[str | None, Query(description="Received in this period.")] = None,
    completed_period: Annotated[str | None, Query(description="Completed in this period.")] = None,
    status: Annotated[
        DossierStatus | None, Query(description="`overdue`: open and past its due date.")
    ] = None,
    procedure_code: str | None = None,
) -> Page[DossierRead]:
    """Most urgent first (by due date), so the service centre can chase overdue dossiers."""
    filters = lists.DossierFilters(
        unit=unit,
        domain=domain,
        period=period,
        completed_period=completed_period,
        status=status,
        procedure_code=procedure_code,
    )
    items, total = lists.list_dossiers(
        db_session=db_session,
        actor=actor,
        clock=clock,
        filters=filters,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/feedback", tags=["feedback"], response_model=Page[FeedbackRead])
def list_feedback(
    db_session: SessionDep,
    actor: CurrentActor,
    paging: PagingDep,
    unit: str | None = None,
    period: Annotated[str | None, Query(description="Resolved in this period.")] = None,
    kind: FeedbackKind | None = None,
    channel: FeedbackChannel | None = None,
) -> Page[FeedbackRead]:
    filters = lists.FeedbackFilters(
        unit=unit,
        period=period,
        kind=kind.value if kind else None,
        channel=channel.value if channel else None,
    )
    items, total = lists.list_feedback(
        db_session=db_session,
        actor=actor,
        filters=filters,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/readings/{reading_id}/records", tags=["readings"])
def reading_records(
    reading_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)],
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    paging: PagingDep,
) -> dict[str, Any]:
    """The dossiers or feedback a computed reading was counted from; `counted` marks the
    numerator. 404 for a reading typed by hand."""
    return lists.reading_records(
        db_session=db_session,
        actor=actor,
        clock=clock,
        reading_id=reading_id,
        limit=paging.limit,
        offset=paging.offset,
    )


@scorecard_router.get("/scorecards/766", tags=["scorecards"], response_model=scorecard.Scorecard)
def scorecard_766(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    unit: Annotated[str | None, Query(description="A unit; empty: the whole ward.")] = None,
    period: Annotated[str | None, Query(description="Default: the current period.")] = None,
    plan: PlanParam = None,
) -> scorecard.Scorecard:
    """Decision 766/QĐ-TTg: 5 groups worth 100 points, each metric with numerator,
    denominator, rate, points and maximum, and the last periods' totals (trend). Metrics that do
    not apply are left out of `applicable_max`; the configuration is `scorecard_766.toml`."""
    return scorecard.scorecard_766(
        db_session=db_session, actor=actor, clock=clock, unit=unit, period=period, plan_code=plan
    )
