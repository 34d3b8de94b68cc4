"""The reporting cycle's listings: which units owe which period's report, and how each stands.

Section III of Plan 84: every unit reports to the committee through Phòng Văn hóa - Xã hội,
monthly during 2025 and quarterly after. The moves of a report live in ``transitions``, the
period lock in ``lock``, the due days and the public form in ``submission_state``; the names
re-exported below keep the other packages' imports of this module working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.actors import Actor
from app.clock import VIETNAM_TZ, Clock
from app.periods import Period
from app.permissions import authorize_read
from app.plans import service as plan_service
from app.reporting import flags
from app.reporting.submission_state import (
    parse_period,
    read_submission,
)
from app.submissions.lock import submission_row
from app.submissions.models import Submission, SubmissionRead, SubmissionStatus
from app.units import service as unit_service


def get_submission(
    *, db_session: Session, actor: Actor, clock: Clock, unit: str, period: str, plan: str | None
) -> SubmissionRead:
    authorize_read(actor, unit)
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit)
    p = parse_period(plan=plan_row, period=period, clock=clock)
    row = submission_row(db_session=db_session, plan=plan_row, unit=unit_row, period=str(p))
    return read_submission(row, unit=unit_row, period=p, plan=plan_row, today=clock.today())


@dataclass(frozen=True)
class SubmissionFilters:
    plan: str | None = None
    unit: str | None = None
    period: str | None = None
    status: SubmissionStatus | None = None


def list_submissions(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    filters: SubmissionFilters,
    limit: int = 100,
    offset: int = 0,
    thresholds: flags.Thresholds | None = None,
) -> tuple[list[SubmissionRead], int]:
    """Every expected (unit, period) pair, reported or not, so a missing report is visible.

    Sorted oldest submission first for the review queue, then by period and unit; in the queue
    (``status`` submitted) each report carries its count of flags for the reviewer (``flags``).
    """
    unit_filter = authorize_read(actor, filters.unit)
    plan = plan_service.get_plan(db_session=db_session, code=filters.plan)
    calendar = plan_service.calendar_for(plan)
    if filters.period:
        periods = [parse_period(plan=plan, period=filters.period, clock=clock)]
    else:
        periods = calendar.periods(until=clock.today())
    units = plan_service.expected_units(db_session=db_session, plan=plan)
    if unit_filter:
        units = [u for u in units if u.code == unit_filter] or [
            unit_service.get_by_code(db_session=db_session, code=unit_filter)
        ]
    rows: dict[tuple[int | None, str], Submission] = {
        (r.unit_id, r.period): r
        for r in db_session.exec(
            select(Submission).where(
                Submission.plan_id == plan.id,
                col(Submission.period).in_([str(p) for p in periods]),
            )
        )
    }
    items = [
        read_submission(rows.get((u.id, str(p))), unit=u, period=p, plan=plan, today=clock.today())
        for p in periods
        for u in units
    ]
    if filters.status is not None:
        items = [i for i in items if i.status == filters.status]
    far = datetime.max.replace(tzinfo=VIETNAM_TZ)
    items.sort(key=lambda i: (i.submitted_at or far, Period.parse(i.period).sort_key, i.unit))
    page = items[offset : offset + limit]
    if filters.status == SubmissionStatus.SUBMITTED:  # the review queue, not every listing
        flags.count_waiting(db_session=db_session, plan=plan, items=page, thresholds=thresholds)
    return page, len(items)
