"""What the conclusions register adds to the shared code: the monthly tally the Văn phòng reports
to the committee (done on time, done late, not done), and the overdue reminders that climb from
the unit's officers to its head and the coordinating office as the delay grows.

The tally is of the conclusions and assigned tasks whose deadline falls in the period, and of
those carried over overdue from before it; the escalation runs with ``partrack remind``, once a
day, and writes each step once per deadline (a new deadline starts the steps again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import Field as PydanticField
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.clock import Clock
from app.errors import Invalid
from app.periods import Period, PeriodError, format_date_vi
from app.permissions import Permission, authorize
from app.registers.models import Conclusion, InspectionFinding
from app.registers.service import require_ward
from app.reminders.models import Notification
from app.reminders.recipients import recipients_for
from app.schemas import ReadModel
from app.units.models import Unit

#: Days past the deadline at which each step is taken: the unit's officers, then also its head
#: and the coordinating office, then all of them again.
STEPS = (1, 7, 15)


class OverdueItem(ReadModel):
    code: str
    unit: str
    content: str
    deadline: date
    days_overdue: int


class Tally(ReadModel):
    """The period's conclusions and assigned tasks, as the monthly report counts them."""

    period: str
    due: int = PydanticField(description="Deadline within the period.")
    done_on_time: int
    done_late: int
    not_done: int = PydanticField(description="Due in the period and still open.")
    carried_overdue: int = PydanticField(description="Due before the period, still open.")
    overdue: list[OverdueItem]


def tally(*, db_session: Session, actor: Actor, clock: Clock, period: str) -> Tally:
    require_ward(actor)
    authorize(actor, Permission.READ_ALL)
    try:
        p = Period.parse(period)
    except PeriodError as exc:
        raise Invalid.one("period", "period_invalid", exc.message) from exc
    start, end = p.start_date, p.end_date
    today = clock.today()
    rows = db_session.exec(
        select(Conclusion, Unit.code)
        .join(Unit, col(Unit.id) == Conclusion.unit_id)
        .where(col(Conclusion.deadline).is_not(None), col(Conclusion.deadline) <= end)
        .where(Conclusion.state != "cancelled")
        .order_by(col(Conclusion.deadline), col(Conclusion.code))
    ).all()
    due = [r for r, _ in rows if r.deadline is not None and r.deadline >= start]
    on_time = [
        r for r in due
        if r.state == "done" and r.done_on and r.deadline and r.done_on <= r.deadline
    ]  # fmt: skip
    late = [r for r in due if r.state == "done" and r not in on_time]
    # "overdue" is judged on the period's last day, or today while the period runs
    judge = min(end, today)
    overdue = [
        OverdueItem(
            code=r.code,
            unit=unit,
            content=r.content,
            deadline=r.deadline,
            days_overdue=(judge - r.deadline).days,
        )
        for r, unit in rows
        if r.state == "open" and r.deadline is not None and r.deadline < judge
    ]
    return Tally(
        period=str(p),
        due=len(due),
        done_on_time=len(on_time),
        done_late=len(late),
        not_done=sum(1 for r in due if r.state == "open"),
        carried_overdue=len(
            [r for r, _ in rows if r.state == "open" and r.deadline and r.deadline < start]
        ),
        overdue=overdue,
    )


@dataclass
class Escalated:
    #: Rows escalated: conclusions, assigned tasks and inspection findings.
    conclusions: int = 0
    notifications: int = 0


def _step(days: int) -> int:
    return sum(1 for threshold in STEPS if days >= threshold)


def escalate(*, db_session: Session, actor: Actor, clock: Clock) -> Escalated:
    """Today's overdue reminders for one ward (the session is inside it): each open conclusion,
    assigned task or inspection finding past its deadline gets the step its delay has reached,
    once per deadline."""
    done = Escalated()
    for model, slug in ((Conclusion, "ket-luan"), (InspectionFinding, "ton-tai-sau-kiem-tra")):
        _escalate(db_session, actor, clock, model, slug, done)
    db_session.commit()
    return done


def _escalate(
    db_session: Session, actor: Actor, clock: Clock, model: Any, slug: str, done: Escalated
) -> None:
    today = clock.today()
    rows = db_session.exec(
        select(model).where(
            model.state == "open", col(model.deadline).is_not(None), col(model.deadline) < today
        )
    ).all()
    for row in rows:
        assert row.deadline is not None
        sent = row.escalation if row.escalated_for == row.deadline else 0
        step = _step((today - row.deadline).days)
        if step <= sent:
            continue
        unit = db_session.get(Unit, row.unit_id)
        assert unit is not None
        people = recipients_for(db_session=db_session, unit=unit, copy_heads=step >= 2)
        days = (today - row.deadline).days
        for user in [*people.to, *people.cc]:
            db_session.add(
                Notification(
                    user_id=user.id or 0,
                    title=f"Quá hạn {days} ngày: {row.code} ({unit.short_name or unit.name})",
                    body=f"{row.content[:300]} — thời hạn {format_date_vi(row.deadline)}.",
                    link=f"/so-theo-doi/{slug}/{row.code}",
                    created_at=clock.now(),
                )
            )
            done.notifications += 1
        audit.record(
            db_session=db_session, actor=actor, clock=clock, action="escalate",
            entity=model.__tablename__, key=row.code,
            before={"escalation": sent}, after={"escalation": step, "days_overdue": days},
        )  # fmt: skip
        row.escalation, row.escalated_for = step, row.deadline
        db_session.add(row)
        done.conclusions += 1
