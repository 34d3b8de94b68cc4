"""The public progress page: only periods whose every report was approved, and no personal data.

A period appears once each unit's report for it is approved, stamped with the date of the last
approval; reopening any one of them takes the period off the page again. The figures are asked
for on the approved basis all the same, so that figures of a unit without a report to approve
(the committee itself) never reach citizens unreviewed, and the page says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import VIETNAM_TZ, Clock
from app.plans import service as plan_service
from app.reporting import service as reporting_service
from app.scores import service as score_service
from app.scores.schemas import ScoreSummary
from app.submissions.models import SubmissionStatus


@dataclass
class PublicView:
    periods: list[tuple[str, str]]
    period: str | None
    period_label: str = ""
    approved_on: date | None = None
    summary: ScoreSummary | None = None
    etag: str = ""
    units_count: int = 0
    notes: list[str] = field(default_factory=list)


def approved_periods(*, db_session: Session, clock: Clock) -> dict[str, date]:
    """Periods every expected unit's report is approved for, with the last approval's date."""
    items, _ = reporting_service.list_submissions(
        db_session=db_session,
        actor=SYSTEM,
        clock=clock,
        filters=reporting_service.SubmissionFilters(),
        limit=100_000,
    )
    by_period: dict[str, list] = {}
    for item in items:
        by_period.setdefault(item.period, []).append(item)
    found: dict[str, date] = {}
    for period, rows in by_period.items():
        if rows and all(r.status == SubmissionStatus.APPROVED and r.reviewed_at for r in rows):
            found[period] = max(r.reviewed_at for r in rows).astimezone(VIETNAM_TZ).date()
    return found


def build(*, db_session: Session, clock: Clock, period: str | None) -> PublicView:
    approved = approved_periods(db_session=db_session, clock=clock)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    calendar = plan_service.calendar_for(plan)
    labels = {str(p): p.label_vi for p in calendar.periods(until=clock.today())}
    choices = [(p, labels.get(p, p)) for p in sorted(approved, reverse=True)]
    if not choices:
        return PublicView(periods=[], period=None)
    chosen = period if period in approved else choices[0][0]
    summary = score_service.ward_summary(
        db_session=db_session, actor=SYSTEM, clock=clock, period=chosen, basis="approved"
    )
    etag = hashlib.sha256(
        f"{chosen}:{approved[chosen].isoformat()}:{summary.model_dump_json()}".encode()
    ).hexdigest()[:32]
    return PublicView(
        periods=choices,
        period=chosen,
        period_label=labels.get(chosen, chosen),
        approved_on=approved[chosen],
        summary=summary,
        etag=etag,
    )
