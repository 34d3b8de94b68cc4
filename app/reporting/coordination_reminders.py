"""Reminding coordinating units that have not answered the lead unit's update (issue 19).

Part of the reminder pass, through its machinery: a lead's report that is still open (draft,
returned or waiting for review) has its reminder slots (before, on and after its due date); on a
slot's day each coordinating unit with updates of those leads still unanswered — or answered
before the lead changed them — gets one reminder of kind ``coord-<slot>``. The row is claimed on
the same unique (plan, unit, period, kind) key, so a second pass sends nothing; the notifications,
pending e-mails and audit row are written in the claim's transaction, and ``send_pending`` mails
them with the other reminders.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.actors import Actor
from app.clock import Clock
from app.periods import Period, format_date_vi
from app.plans.models import Plan
from app.reminders import returns, schedule
from app.reminders.models import (
    Notification,
    PassResult,
    Reminder,
)
from app.reminders.recipients import recipients_for
from app.reminders.workdays import WorkingCalendar
from app.reporting import coordination
from app.submissions.models import SubmissionRead, SubmissionStatus
from app.units.models import Unit

#: The e-mail's call to action.
ACTION = schedule.COORDINATION_ACTION


def _texts(
    *, unit: Unit, period: Period, due: date, items: list[coordination.Unanswered]
) -> tuple[str, str, list[str]]:
    """The notification's title and body, and its lines (kept on the reminder row)."""
    title = (
        f"{schedule.COORDINATION_LABEL} {period.label_vi}: {len(items)} nhiệm vụ chờ ý kiến "
        f"của {unit.short_name or unit.name}"
    )
    lines = [
        f"Nhiệm vụ {i.task} (chủ trì: {i.lead.name}"
        + (f", cập nhật {i.period.label_vi}" if i.period != period else "")
        + (", đã sửa sau khi đơn vị trả lời" if i.changed else "")
        + ")"
        for i in items
    ]
    body = "\n".join(
        [
            f"Đơn vị chủ trì đã cập nhật các nhiệm vụ {unit.name} phối hợp thực hiện; báo cáo "
            f"{period.label_vi} hạn ngày {format_date_vi(due)}. Hãy xác nhận, hoặc góp ý nếu "
            "không đồng ý, ở mục “Việc phối hợp”:",
            "",
            *(f"- {line}" for line in lines),
        ]
    )
    return title, body, lines


def _claim(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    by_email: bool,
    plan: Plan,
    unit: Unit,
    period: Period,
    slot: schedule.Slot,
    due: date,
    items: list[coordination.Unanswered],
) -> Reminder | None:
    """The reminder, its notifications, pending e-mails and audit row, in one transaction;
    ``None`` when another pass claimed it first."""
    assert plan.id is not None
    title, body, lines = _texts(unit=unit, period=period, due=due, items=items)
    try:
        reminder = returns.queue_message(
            db_session=db_session,
            actor=actor,
            clock=clock,
            message=returns.Message(
                plan_id=plan.id,
                unit=unit,
                period=period,
                due_date=due,
                kind=schedule.coordination_kind(slot.kind),
                title=title,
                body=body,
                link=f"/units/{unit.code}/periods/{items[0].period}#coordinating",
                scheduled_date=slot.day,
                missing=tuple(lines),
                audit_extra={"due_date": due.isoformat(), "tasks": [i.task for i in items]},
            ),
            people=recipients_for(db_session=db_session, unit=unit, copy_heads=False).to,
            by_email=by_email,
        )
    except IntegrityError:  # another pass claimed this reminder first
        db_session.rollback()
        return None
    db_session.commit()
    return reminder


def remind(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    by_email: bool,
    plan: Plan,
    period: Period,
    subs: list[SubmissionRead],
    units: dict[str, Unit],
    calendar: WorkingCalendar,
    before: int,
    after: list[int],
    result: PassResult,
) -> None:
    """The coordination reminders of one period's pass (see the module's docstring)."""
    today = clock.today()
    slots: dict[int, tuple[schedule.Slot, date]] = {}
    for sub in subs:
        lead = units.get(sub.unit)
        if lead is None or lead.id is None or sub.status == SubmissionStatus.APPROVED:
            continue
        found = schedule.slots_for(sub.due_date, calendar, before=before, after=after)
        slot = schedule.slot_for_today(found, today, calendar)
        if slot is not None:
            slots[lead.id] = (slot, sub.due_date)
    if not slots:
        return
    waiting = coordination.unanswered(
        db_session=db_session, plan=plan, report_period=period, lead_ids=set(slots)
    )
    for unit_id in sorted(waiting):
        unit = db_session.get(Unit, unit_id)
        if unit is None or not unit.active:
            continue
        items = waiting[unit_id]
        assert items[0].lead.id is not None
        slot, due = slots[items[0].lead.id]  # one due-date rule per period: the same slot
        kind = schedule.coordination_kind(slot.kind)
        if _exists(db_session, plan=plan, unit=unit, period=period, kind=kind):
            continue
        reminder = _claim(
            db_session=db_session,
            actor=actor,
            clock=clock,
            by_email=by_email,
            plan=plan,
            unit=unit,
            period=period,
            slot=slot,
            due=due,
            items=items,
        )
        if reminder is None:
            continue
        count = len(
            db_session.exec(
                select(Notification.id).where(Notification.reminder_id == reminder.id)
            ).all()
        )
        result.reminders += 1
        result.notifications += count
        result.details.append(
            {"unit": unit.code, "period": str(period), "kind": kind, "notified": count}
        )


def _exists(db_session: Session, *, plan: Plan, unit: Unit, period: Period, kind: str) -> bool:
    found = db_session.exec(
        select(Reminder.id).where(
            Reminder.plan_id == plan.id,
            Reminder.unit_id == unit.id,
            Reminder.period == str(period),
            Reminder.kind == kind,
        )
    ).first()
    return found is not None
