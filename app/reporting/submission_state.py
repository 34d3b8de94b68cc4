"""How a unit's report for a period stands: when it is due, whether it was on time, and its
public form (``SubmissionRead``), for a report that exists or one never started.

Shared by the transitions and the listings, below both, so neither imports the other.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.clock import VIETNAM_TZ, Clock
from app.periods import Granularity, Period
from app.plans import service as plan_service
from app.plans.models import Plan
from app.submissions.models import Submission, SubmissionRead, SubmissionStatus, Timeliness
from app.units.models import Unit

_GRANULARITY_KEY = {Granularity.MONTH: "month", Granularity.QUARTER: "quarter"}
_DEFAULT_DUE_DAYS = {"month": 5, "quarter": 10}


def due_date_for(plan: Plan, period: Period) -> date:
    """The plan's rule: day N of the month after the period (5th for months, 10th for quarters)."""
    key = _GRANULARITY_KEY.get(period.granularity, "quarter")
    day = int((plan.due_days or {}).get(key, _DEFAULT_DUE_DAYS[key]))
    return (period.end_date + timedelta(days=1)).replace(day=max(1, min(day, 28)))


def is_counted(*, due_date: date, today: date) -> bool:
    """A period counts in completeness and scores once its due day is over, never before: the
    completeness page and the scores must agree, and a report still in time is nobody's fault."""
    return today > due_date


def timeliness_of(
    *, first_submitted_at: datetime | None, due_date: date, today: date | None = None
) -> Timeliness:
    """On time when first sent by the end of the due day (Vietnam time); a return does not undo
    that, since the unit did report on time. Nothing sent is ``not_due`` until the due day is
    over (when ``today`` is given), then ``missing``."""
    if first_submitted_at is None:
        if today is not None and not is_counted(due_date=due_date, today=today):
            return Timeliness.NOT_DUE
        return Timeliness.MISSING
    sent_on = first_submitted_at.astimezone(VIETNAM_TZ).date()
    return Timeliness.ON_TIME if sent_on <= due_date else Timeliness.LATE


def read_submission(
    row: Submission | None, *, unit: Unit, period: Period, plan: Plan, today: date
) -> SubmissionRead:
    """The report's public form; a report never moved out of draft has no row yet."""
    if row is None:
        due = due_date_for(plan, period)
        return SubmissionRead(
            unit=unit.code,
            period=str(period),
            status=SubmissionStatus.DRAFT,
            due_date=due,
            timeliness=timeliness_of(first_submitted_at=None, due_date=due, today=today),
            counted=is_counted(due_date=due, today=today),
            first_submitted_at=None,
            submitted_at=None,
            submitted_by="",
            reviewed_at=None,
            reviewed_by="",
            review_comment="",
            reopen_reason="",
            version=0,
        )
    return SubmissionRead(
        unit=unit.code,
        period=row.period,
        status=SubmissionStatus(row.status),
        due_date=row.due_date,
        timeliness=timeliness_of(
            first_submitted_at=row.first_submitted_at, due_date=row.due_date, today=today
        ),
        counted=is_counted(due_date=row.due_date, today=today),
        first_submitted_at=row.first_submitted_at,
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        reviewed_at=row.reviewed_at,
        reviewed_by=row.reviewed_by,
        review_comment=row.review_comment,
        reopen_reason=row.reopen_reason,
        version=row.version,
    )


def parse_period(*, plan: Plan, period: str, clock: Clock) -> Period:
    """A reporting period of the plan, or a 422 naming the field."""
    return Period.parse(plan_service.validate_period(plan=plan, period=period, today=clock.today()))
