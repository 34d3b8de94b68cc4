"""Reminder passes, the coordinators' log and the notification bell.

A pass (``partrack remind``) looks at the recent periods, finds each unit whose report is still a
draft or returned, and — when today is one of that period's reminder days — claims the
(plan, unit, period, kind) row, writes the notifications and the audit row in one transaction, and
only then sends the e-mail. The claim makes a second pass a no-op; an e-mail that fails is recorded
as failed (never as sent) and retried by the next pass, without stopping this one.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.config import Settings
from app.periods import Period, format_date_vi
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.plans.models import Plan
from app.reminders import schedule
from app.reminders.mail import Mailer
from app.reminders.models import (
    Channel,
    DeliveryRead,
    DeliveryStatus,
    Notification,
    PassResult,
    Reminder,
    ReminderDelivery,
)
from app.reminders.recipients import recipients_for
from app.reminders.sending import send_pending
from app.reminders.workdays import WorkingCalendar, load_calendar
from app.reporting import coordination_reminders, workspace
from app.reporting import service as reporting_service
from app.submissions.models import SubmissionRead, SubmissionStatus
from app.units.models import Unit

#: Periods a pass looks back over: the current one and the two before (enough for "after 3").
LOOKBACK_PERIODS = 3
_NOT_SUBMITTED = {SubmissionStatus.DRAFT, SubmissionStatus.RETURNED}


def working_calendar(settings: Settings) -> WorkingCalendar:
    """The shipped holidays, or the configured file that replaces them."""
    return load_calendar(settings.public_holidays_file)


def _timing_vi(slot: schedule.Slot) -> str:
    name, _, days = slot.kind.partition("_")
    if slot.kind == schedule.DUE:
        return "hôm nay là hạn cuối"
    if name == "before":
        return f"còn {days} ngày làm việc"
    return f"đã quá hạn {days} ngày làm việc"


def _title(*, unit: Unit, period: Period, slot: schedule.Slot, due: date) -> str:
    return (
        f"Nhắc báo cáo {period.label_vi} của {unit.short_name or unit.name}: "
        f"hạn {format_date_vi(due)}, {_timing_vi(slot)}"
    )


def _body(
    *, unit: Unit, period: Period, slot: schedule.Slot, sub: SubmissionRead, missing: list[str]
) -> str:
    status = "bị trả lại, cần gửi lại" if sub.status == SubmissionStatus.RETURNED else "chưa gửi"
    lines = [
        f"Báo cáo {period.label_vi} của {unit.name} {status}; hạn gửi ngày "
        f"{format_date_vi(sub.due_date)} ({_timing_vi(slot)}).",
        "",
    ]
    if missing:
        lines.append(f"Các mục còn trống ({len(missing)}):")
        lines.extend(f"- {item}" for item in missing)
    else:
        lines.append("Các mục đã điền đủ; chỉ còn bấm “Gửi báo cáo”.")
    return "\n".join(lines)


def _notify(
    *,
    db_session: Session,
    reminder_id: int,
    people: list[tuple[User, bool]],
    title: str,
    body: str,
    link: str,
    now: datetime,
) -> None:
    """Each person's bell (a notification) and its delivery row in the coordinators' log."""
    for user, copied in people:
        assert user.id is not None
        db_session.add(
            Notification(
                user_id=user.id,
                reminder_id=reminder_id,
                title=title,
                body=body,
                link=link,
                created_at=now,
            )
        )
        db_session.add(
            ReminderDelivery(
                reminder_id=reminder_id,
                channel=Channel.APP,
                recipient=user.username,
                user_id=user.id,
                copied=copied,
                status=DeliveryStatus.SENT,
                attempts=1,
                last_attempt_at=now,
                sent_at=now,
            )
        )


def _queue_emails(
    *, db_session: Session, reminder_id: int, people: list[tuple[User, bool]]
) -> list[str]:
    """A pending e-mail per distinct address (the first mention decides To or Cc), sent by
    ``app.reminders.sending`` after the claim commits; the addresses, sorted."""
    addresses: dict[str, tuple[User, bool]] = {}
    for user, copied in people:
        if user.email and user.email.lower() not in addresses:
            addresses[user.email.lower()] = (user, copied)
    for address, (user, copied) in addresses.items():
        db_session.add(
            ReminderDelivery(
                reminder_id=reminder_id,
                channel=Channel.EMAIL,
                recipient=address,
                user_id=user.id,
                copied=copied,
                status=DeliveryStatus.PENDING,
            )
        )
    return sorted(addresses)


def _claim(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    mailer: Mailer | None,
    plan: Plan,
    unit: Unit,
    period: Period,
    sub: SubmissionRead,
    slot: schedule.Slot,
) -> Reminder | None:
    """One reminder, its notifications, pending e-mails and audit row, in one transaction;
    ``None`` when another pass claimed it first."""
    ws = workspace.build(
        db_session=db_session, actor=actor, clock=clock, unit_code=unit.code, period=str(period)
    )
    people = recipients_for(db_session=db_session, unit=unit, copy_heads=slot.after_due)
    now = clock.now()
    assert plan.id is not None and unit.id is not None
    reminder = Reminder(
        plan_id=plan.id,
        unit_id=unit.id,
        period=str(period),
        kind=slot.kind,
        due_date=sub.due_date,
        scheduled_date=slot.day,
        missing=list(ws.missing),
        created_at=now,
    )
    db_session.add(reminder)
    try:
        db_session.flush()
    except IntegrityError:
        db_session.rollback()
        return None
    assert reminder.id is not None
    everyone = [(u, False) for u in people.to] + [(u, True) for u in people.cc]
    _notify(
        db_session=db_session,
        reminder_id=reminder.id,
        people=everyone,
        title=_title(unit=unit, period=period, slot=slot, due=sub.due_date),
        body=_body(unit=unit, period=period, slot=slot, sub=sub, missing=ws.missing),
        link=f"/units/{unit.code}/periods/{period}",
        now=now,
    )
    emails = []
    if mailer is not None:
        emails = _queue_emails(db_session=db_session, reminder_id=reminder.id, people=everyone)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="reminder",
        key=f"{unit.code}/{period}/{slot.kind}",
        after={
            "unit": unit.code,
            "period": str(period),
            "kind": slot.kind,
            "due_date": sub.due_date.isoformat(),
            "to": [u.username for u in people.to],
            "cc": [u.username for u in people.cc],
            "emails": emails,
            "missing": len(ws.missing),
        },
        clock=clock,
    )
    db_session.commit()
    return reminder


def _remind_units(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    settings: Settings,
    mailer: Mailer | None,
    plan: Plan,
    period: Period,
    subs: list[SubmissionRead],
    units: dict[str, Unit],
    calendar: WorkingCalendar,
    result: PassResult,
) -> None:
    """Each unit whose report of ``period`` is not sent and whose reminder day is today."""
    today = clock.today()
    for sub in sorted(subs, key=lambda s: s.unit):
        unit = units.get(sub.unit)
        if unit is None or sub.status not in _NOT_SUBMITTED:
            continue
        slots = schedule.slots_for(
            sub.due_date,
            calendar,
            before=settings.reminder_days_before,
            after=settings.reminder_days_after,
        )
        slot = schedule.slot_for_today(slots, today, calendar)
        if slot is None or _exists(db_session, plan=plan, unit=unit, period=period, slot=slot):
            continue
        reminder = _claim(
            db_session=db_session,
            actor=actor,
            clock=clock,
            mailer=mailer,
            plan=plan,
            unit=unit,
            period=period,
            sub=sub,
            slot=slot,
        )
        if reminder is None:
            continue
        result.reminders += 1
        count = db_session.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.reminder_id == reminder.id)
        ).one()
        result.notifications += count
        result.details.append(
            {"unit": unit.code, "period": str(period), "kind": slot.kind, "notified": count}
        )


def run_pass(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    settings: Settings,
    mailer: Mailer | None,
) -> PassResult:
    """One pass for today; safe to repeat (nothing is sent twice)."""
    authorize(actor, Permission.REVIEW)
    calendar = working_calendar(settings)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    periods = plan_service.calendar_for(plan).periods(until=clock.today())[-LOOKBACK_PERIODS:]
    units = {u.code: u for u in plan_service.expected_units(db_session=db_session, plan=plan)}
    result = PassResult()
    for period in periods:
        subs, _ = reporting_service.list_submissions(
            db_session=db_session,
            actor=actor,
            clock=clock,
            filters=reporting_service.SubmissionFilters(period=str(period)),
            limit=10_000,
        )
        _remind_units(
            db_session=db_session,
            actor=actor,
            clock=clock,
            settings=settings,
            mailer=mailer,
            plan=plan,
            period=period,
            subs=subs,
            units=units,
            calendar=calendar,
            result=result,
        )
        coordination_reminders.remind(  # coordinating units yet to answer the leads' updates
            db_session=db_session,
            actor=actor,
            clock=clock,
            by_email=mailer is not None,
            plan=plan,
            period=period,
            subs=subs,
            units=units,
            calendar=calendar,
            before=settings.reminder_days_before,
            after=list(settings.reminder_days_after),
            result=result,
        )
    if mailer is not None:
        send_pending(
            db_session=db_session,
            actor=actor,
            clock=clock,
            settings=settings,
            mailer=mailer,
            result=result,
        )
    return result


def _exists(
    db_session: Session, *, plan: Plan, unit: Unit, period: Period, slot: schedule.Slot
) -> bool:
    return (
        db_session.exec(
            select(Reminder.id).where(
                Reminder.plan_id == plan.id,
                Reminder.unit_id == unit.id,
                Reminder.period == str(period),
                Reminder.kind == slot.kind,
            )
        ).first()
        is not None
    )


def list_deliveries(
    *, db_session: Session, actor: Actor, limit: int = 100, offset: int = 0
) -> tuple[list[DeliveryRead], int]:
    """The coordinators' log, newest first: every delivery, including failed e-mails."""
    authorize(actor, Permission.REVIEW)
    query = (
        select(ReminderDelivery, Reminder, Unit)
        .join(Reminder, col(Reminder.id) == col(ReminderDelivery.reminder_id))
        .join(Unit, col(Unit.id) == col(Reminder.unit_id))
    )
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(
        query.order_by(
            col(Reminder.created_at).desc(),
            col(Reminder.id).desc(),
            col(ReminderDelivery.channel),
            col(ReminderDelivery.copied),
            col(ReminderDelivery.recipient),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    items = [
        DeliveryRead(
            unit=unit.code,
            unit_name=unit.name,
            period=reminder.period,
            kind=reminder.kind,
            kind_label=schedule.kind_label(reminder.kind),
            due_date=reminder.due_date,
            channel=Channel(delivery.channel),
            recipient=delivery.recipient,
            copied=delivery.copied,
            status=DeliveryStatus(delivery.status),
            attempts=delivery.attempts,
            error=delivery.error,
            created_at=reminder.created_at,
            sent_at=delivery.sent_at,
        )
        for delivery, reminder, unit in rows
    ]
    return items, total
