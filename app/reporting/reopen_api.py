"""JSON API for requests to reopen an approved report: the same service as the pages.

A request is named by its unit, period and number (``ttpvhcc/2025-10/1``), never an internal id.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import BackgroundTasks, Body, Path, Query, Request

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.pagination import PagingDep
from app.reminders import returns
from app.reporting import reopen, reopen_messages, reopen_reads
from app.reporting.reopen_models import (
    ReopenDecision,
    ReopenRequestCreate,
    ReopenRequestRead,
    ReopenStatus,
)
from app.routes import Routes
from app.schemas import Page

router = Routes(tags=["reopen-requests"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The role or unit may not do this (a reviewer on its own unit)."},
    404: {"description": "No such unit, plan or request."},
    409: {
        "description": "The report is not approved (`not_approved`), a request is already "
        "pending (`reopen_pending`), the request was decided (`reopen_decided`), or a stale "
        "`version`."
    },
    422: {"description": "No `reason` (request) or `comment` (refuse), or a bad period."},
}

Number = Annotated[int, Path(ge=1, le=2**31 - 1, examples=[1])]
PeriodPath = Annotated[str, Path(examples=["2025-10"])]


@router.post(
    "/units/{unit}/periods/{period}/reopen-requests",
    response_model=ReopenRequestRead,
    status_code=201,
    responses=_ERRORS,
    summary="Ask to reopen an approved report",
)
def create_reopen_request(
    unit: str,
    period: PeriodPath,
    data: ReopenRequestCreate,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    request: Request,
    tasks: BackgroundTasks,
    plan: str | None = None,
) -> ReopenRequestRead:
    """The unit (its reporters) asks the coordinating office to reopen its approved report for
    the period, with a `reason`; the office is notified. One request may wait per period."""
    result = reopen.request_reopen(
        db_session=db_session,
        actor=actor,
        clock=clock,
        unit=unit,
        period=period,
        reason=data.reason,
        plan=plan,
        by_email=bool(request.app.state.settings.smtp_host),
    )
    returns.mail_kind_after_response(
        tasks,
        state=request.app.state,
        actor=actor,
        unit=result.unit,
        period=result.period,
        kind=reopen_messages.kind_of(result),
    )
    return result


@router.get(
    "/units/{unit}/periods/{period}/reopen-requests",
    response_model=list[ReopenRequestRead],
    responses=_ERRORS,
    summary="The period's reopen requests",
)
def list_period_requests(
    unit: str,
    period: PeriodPath,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    plan: str | None = None,
) -> list[ReopenRequestRead]:
    """Every request for the unit's period, newest first, with its decision."""
    return reopen_reads.list_for_period(
        db_session=db_session, actor=actor, clock=clock, unit=unit, period=period, plan=plan
    )


@router.get(
    "/reopen-requests",
    response_model=Page[ReopenRequestRead],
    summary="Reopen requests across units",
)
def list_reopen_requests(
    db_session: SessionDep,
    actor: CurrentActor,
    paging: PagingDep,
    status: Annotated[ReopenStatus | None, Query(examples=["pending"])] = None,
    unit: str | None = None,
    plan: str | None = None,
) -> Page[ReopenRequestRead]:
    """Oldest first; the coordinator's list is `?status=pending`. A unit's own account sees
    only its unit's requests."""
    items, total = reopen_reads.list_requests(
        db_session=db_session,
        actor=actor,
        status=status,
        unit=unit,
        plan=plan,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post(
    "/reopen-requests/{unit}/{period}/{number}/{decision}",
    response_model=ReopenRequestRead,
    responses=_ERRORS,
    summary="Grant, refuse or withdraw a reopen request",
)
def decide_reopen_request(
    unit: str,
    period: PeriodPath,
    number: Number,
    decision: Literal["grant", "refuse", "withdraw"],
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    request: Request,
    tasks: BackgroundTasks,
    data: Annotated[ReopenDecision, Body()] = ReopenDecision(),
    plan: str | None = None,
) -> ReopenRequestRead:
    """`grant` (the report goes back to the unit at once; `comment` optional) or `refuse`
    (`comment` required) — coordinators of another unit, or admins; `withdraw` — the unit,
    while the request waits. Send the `version` you saw to refuse a stale decision. The unit is
    notified of a grant or a refusal."""
    by_email = bool(request.app.state.settings.smtp_host)
    common: dict[str, Any] = {
        "db_session": db_session,
        "actor": actor,
        "clock": clock,
        "unit": unit,
        "period": period,
        "number": number,
        "comment": data.comment,
        "version": data.version,
        "plan": plan,
    }
    if decision == "withdraw":
        return reopen.withdraw(**common)
    decide = reopen.grant if decision == "grant" else reopen.refuse
    result = decide(**common, by_email=by_email)
    returns.mail_kind_after_response(
        tasks,
        state=request.app.state,
        actor=actor,
        unit=result.unit,
        period=result.period,
        kind=reopen_messages.kind_of(result),
    )
    return result
