"""JSON API for unit reports: the same service functions and rules as the pages."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import BackgroundTasks, Body, Query, Request

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.pagination import PagingDep
from app.reminders import returns
from app.reporting import flags, service, transitions
from app.routes import Routes
from app.schemas import Page
from app.submissions.models import SubmissionAction, SubmissionRead, SubmissionStatus

router = Routes(prefix="/submissions", tags=["submissions"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The role or unit may not do this."},
    409: {"description": "Not allowed from the report's current status, or a stale `version`."},
    422: {
        "description": "A return or reopen without `comment`, or a bad period; a `submit` "
        "breaking a blocking validation rule (`blocked_by_rules`, one error per rule); an "
        "`approve` of a report with flags without `comment` (`flags_need_comment`)."
    },
}


@router.get("", response_model=Page[SubmissionRead], summary="Reports expected and received")
def list_submissions(
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    paging: PagingDep,
    unit: str | None = None,
    period: Annotated[str | None, Query(examples=["2025-10"])] = None,
    status: SubmissionStatus | None = None,
    plan: str | None = None,
) -> Page[SubmissionRead]:
    """Every (unit, period) a report is expected for, with `status` `draft` where none was sent;
    oldest submission first (the review queue is `?status=submitted`, each report waiting with
    its `flag_count` for the reviewer)."""
    items, total = service.list_submissions(
        db_session=db_session,
        actor=actor,
        clock=clock,
        filters=service.SubmissionFilters(plan=plan, unit=unit, period=period, status=status),
        limit=paging.limit,
        offset=paging.offset,
        thresholds=flags.thresholds_of(request.app.state.settings),
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/{unit}/{period}", response_model=SubmissionRead)
def get_submission(
    unit: str,
    period: str,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    plan: str | None = None,
) -> SubmissionRead:
    return service.get_submission(
        db_session=db_session, actor=actor, clock=clock, unit=unit, period=period, plan=plan
    )


Action = Literal["submit", "approve", "return", "reopen"]


@router.post("/{unit}/{period}/{action}", response_model=SubmissionRead, responses=_ERRORS)
def act_on_submission(
    unit: str,
    period: str,
    action: Action,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    request: Request,
    tasks: BackgroundTasks,
    data: Annotated[SubmissionAction, Body()] = SubmissionAction(),
    plan: str | None = None,
) -> SubmissionRead:
    """`submit` (the unit), `approve`, `return` (with `comment`), `reopen` an approved report
    (with `comment`) — coordinators. Send the `version` you saw to refuse a stale action.

    A submitted report's data is locked until review (writes answer 409 `period_locked`); a
    return or reopen notifies the unit's reporters in the app, and by e-mail when configured."""
    result = transitions.act(
        action=action,
        db_session=db_session,
        actor=actor,
        clock=clock,
        unit=unit,
        period=period,
        plan=plan,
        comment=data.comment,
        version=data.version,
        by_email=bool(request.app.state.settings.smtp_host),
        thresholds=flags.thresholds_of(request.app.state.settings),
    )
    returns.mail_after_response(
        tasks, state=request.app.state, actor=actor, action=action, result=result
    )
    return result
