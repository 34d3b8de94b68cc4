"""The period lock: whether a unit's data for a period may still change, and why not.

A low-level module on purpose: readings, progress and the file imports all ask it before they
write, so it depends only on the report's table, the plan's and unit's models and the core, and
never on the reporting service (which builds on the readings: asking it would be a cycle).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.clock import VIETNAM_TZ
from app.errors import Conflict
from app.names import names_for
from app.periods import Period, PeriodError, ReportingCalendar
from app.plans.models import Plan
from app.submissions.models import Submission, SubmissionStatus
from app.units.models import Unit

#: The statuses in which a unit's data for the period cannot change.
LOCKED_STATUSES = frozenset({SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED})


def submission_row(
    *, db_session: Session, plan: Plan, unit: Unit, period: str
) -> Submission | None:
    """The unit's report row for the period, if it was ever moved out of draft."""
    return db_session.exec(
        select(Submission).where(
            Submission.plan_id == plan.id,
            Submission.unit_id == unit.id,
            Submission.period == period,
        )
    ).first()


def report_period_of(plan: Plan, period: str) -> str:
    """The general report a period's data belongs to: a month of a quarterly year (monthly
    tasks) is part of its quarter's report, reviewed and locked with it."""
    found = Period.parse(period)
    # the plan's calendar, as plans.service.calendar_for builds it (not imported: a lower layer)
    calendar = ReportingCalendar.from_rules(plan.reporting, start=plan.reporting_start)
    try:
        if calendar.is_regular(found):
            return period
        return str(calendar.period_for(found.start_date))
    except PeriodError:
        return period


def ensure_open(
    *, db_session: Session, plan: Plan, unit: Unit, period: str, only_final: bool = False
) -> None:
    """Refuse a change to a report that is waiting for review or approved (409 ``period_locked``),
    saying since when and whom to ask.

    The rule after submission: the unit's edits are locked until review, so a reviewer approves
    exactly what was sent. A unit that must change something asks the coordinator to return the
    report. ``only_final``: the feeds (the one-stop-shop system's dossiers, and the readings
    computed from them) keep flowing while a report waits for review, as late completions arrive
    every night; only an approved report stops them.
    """
    period = report_period_of(plan, period)
    row = submission_row(db_session=db_session, plan=plan, unit=unit, period=period)
    locked = {SubmissionStatus.APPROVED} if only_final else LOCKED_STATUSES
    if row is None or row.status not in locked:
        return
    raise Conflict(
        lock_message(db_session=db_session, plan=plan, unit=unit, row=row), code="period_locked"
    )


def lock_message(*, db_session: Session, plan: Plan, unit: Unit, row: Submission) -> str:
    """Why the period's data cannot change, in words for the unit: the same sentence for a page,
    the API and an import."""
    coordinator = (
        db_session.get(Unit, plan.coordinator_unit_id) if plan.coordinator_unit_id else None
    )
    who = coordinator.name if coordinator else "bộ phận điều phối"
    label = (
        f"Báo cáo kỳ {Period.parse(row.period).label_vi} của đơn vị {unit.short_name or unit.code}"
    )
    names = names_for(db_session)
    if row.status == SubmissionStatus.SUBMITTED:
        return (
            f"{label} đã được {names.person(row.submitted_by)} gửi lúc {_at(row.submitted_at)} "
            "và đang chờ duyệt nên tạm khóa, để người duyệt xem đúng bản đã gửi. "
            f"Nếu cần sửa, hãy đề nghị {who} trả lại báo cáo."
        )
    return (
        f"{label} đã được {names.person(row.reviewed_by)} duyệt lúc {_at(row.reviewed_at)} "
        "nên không sửa được nữa. "
        f"Nếu cần sửa, hãy đề nghị {who} mở lại báo cáo."
    )


def editing_locked(status: SubmissionStatus | str) -> bool:
    """Whether a report in this status keeps its data read-only (the workspace shows it so)."""
    return status in LOCKED_STATUSES


def _at(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y %H:%M") if moment else ""
