"""Sending the e-mails a pass or an act queued: one message per reminder, each claimed before it
goes out so two passes running at once never send it twice, each outcome recorded and audited.

The in-app notifications are written with the reminder (``app.reporting.reminder_pass``,
``app.reminders.returns``); this module only mails what is pending, so a mail server that is down
delays the e-mail and nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.config import Settings
from app.reminders import schedule
from app.reminders.mail import Mailer, MailError
from app.reminders.models import (
    Channel,
    DeliveryStatus,
    Notification,
    PassResult,
    Reminder,
    ReminderDelivery,
)
from app.units.models import Unit

#: A failing address is tried this many passes, then left for a coordinator to sort out.
MAX_EMAIL_ATTEMPTS = 5
#: A message marked as being sent for longer than this was left by a pass that died: resent.
SENDING_LEASE = timedelta(minutes=15)


def _email_text(
    *, body: str, link: str, settings: Settings, unit: Unit, action: str = "", greeting: str = ""
) -> str:
    return (
        f"{greeting or f'Kính gửi cán bộ báo cáo của {unit.name}'},\n\n{body}\n\n"
        f"{action or 'Cập nhật và gửi báo cáo tại'}: "
        f"{settings.reminder_base_url.rstrip('/')}{link}\n\n"
        "Thư này do hệ thống partrack gửi tự động; "
        "xin đừng trả lời thư này.\n"
    )


def _email_lines(kind: str) -> tuple[str, str]:
    """The greeting and call to action of an e-mail of this kind (see ``schedule.email_lines``);
    a coordination reminder invites the coordinating unit to answer."""
    greeting, action = schedule.email_lines(kind)
    if schedule.is_coordination_kind(kind):
        action = schedule.COORDINATION_ACTION
    return greeting, action


def _unsent(
    *, db_session: Session, clock: Clock, reminder_id: int | None
) -> list[ReminderDelivery]:
    """E-mail deliveries to try: pending, failed (under the attempt limit), or left ``sending``
    by a pass that died longer than ``SENDING_LEASE`` ago; in message order."""
    abandoned = clock.now() - SENDING_LEASE
    query = select(ReminderDelivery).where(
        ReminderDelivery.channel == Channel.EMAIL,
        col(ReminderDelivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.FAILED])
        | (
            (col(ReminderDelivery.status) == DeliveryStatus.SENDING)
            & (col(ReminderDelivery.last_attempt_at) < abandoned)
        ),
        ReminderDelivery.attempts < MAX_EMAIL_ATTEMPTS,
    )
    if reminder_id is not None:
        query = query.where(ReminderDelivery.reminder_id == reminder_id)
    return list(
        db_session.exec(
            query.order_by(col(ReminderDelivery.reminder_id), col(ReminderDelivery.id))
        ).all()
    )


def _message(
    *,
    db_session: Session,
    settings: Settings,
    mailer: Mailer,
    reminder: Reminder,
    unit: Unit,
    deliveries: list[ReminderDelivery],
) -> EmailMessage:
    """The reminder's e-mail (To: the unit, Cc: the copied). Every e-mail recipient also got the
    in-app notification: it holds the text to send."""
    note = db_session.exec(
        select(Notification).where(Notification.reminder_id == reminder.id)
    ).first()
    assert note is not None
    names = {
        u.id: u.full_name
        for u in db_session.exec(
            select(User).where(col(User.id).in_([d.user_id for d in deliveries]))
        )
    }
    greeting, action = _email_lines(reminder.kind)
    return mailer.build(
        to=[(names.get(d.user_id, ""), d.recipient) for d in deliveries if not d.copied],
        cc=[(names.get(d.user_id, ""), d.recipient) for d in deliveries if d.copied],
        subject=f"[partrack] {note.title}",
        body=_email_text(
            body=note.body,
            link=note.link,
            settings=settings,
            unit=unit,
            action=action,
            greeting=greeting,
        ),
    )


def _record(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    reminder: Reminder,
    unit: Unit,
    deliveries: list[ReminderDelivery],
    error: str,
    result: PassResult,
    now: datetime,
) -> None:
    """The outcome on each delivery, in the pass's counts and in the audit trail, committed."""
    for d in deliveries:  # attempts and last_attempt_at were set by the claim
        d.status = DeliveryStatus.FAILED if error else DeliveryStatus.SENT
        d.error = error
        d.sent_at = None if error else now
        db_session.add(d)
    if error:
        result.emails_failed += len(deliveries)
    else:
        result.emails_sent += len(deliveries)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="reminder_email",
        key=f"{unit.code}/{reminder.period}/{reminder.kind}",
        before={"status": "pending"},
        after={
            "status": "failed" if error else "sent",
            "recipients": [d.recipient for d in deliveries],
            "error": error,
        },
        clock=clock,
    )
    db_session.commit()


def send_pending(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    settings: Settings,
    mailer: Mailer,
    result: PassResult,
    reminder_id: int | None = None,
) -> None:
    """Each reminder's unsent e-mail as one message (To: the unit, Cc: the copied); a failure is
    recorded on its deliveries and the pass goes on with the next reminder. ``reminder_id``
    sends just that one (a returned report's message, right after the return)."""
    rows = _unsent(db_session=db_session, clock=clock, reminder_id=reminder_id)
    by_reminder: dict[int, list[ReminderDelivery]] = {}
    for row in rows:
        by_reminder.setdefault(row.reminder_id, []).append(row)
    # What this pass read, as plain values: a rollback reloads the rows with what others wrote.
    seen = {row.id: (row.status, row.attempts) for row in rows}
    for one_id, deliveries in by_reminder.items():
        if not _claim_sending(
            db_session=db_session, deliveries=deliveries, seen=seen, now=clock.now()
        ):
            continue  # another pass (another process) is sending this message
        reminder = db_session.get(Reminder, one_id)
        assert reminder is not None
        unit = db_session.get(Unit, reminder.unit_id)
        assert unit is not None
        message = _message(
            db_session=db_session,
            settings=settings,
            mailer=mailer,
            reminder=reminder,
            unit=unit,
            deliveries=deliveries,
        )
        now = clock.now()
        error = ""
        try:
            mailer.send(message)
        except MailError as exc:
            error = str(exc)
        _record(
            db_session=db_session,
            actor=actor,
            clock=clock,
            reminder=reminder,
            unit=unit,
            deliveries=deliveries,
            error=error,
            result=result,
            now=now,
        )


def _claim_sending(
    *,
    db_session: Session,
    deliveries: list[ReminderDelivery],
    seen: dict[int | None, tuple[str, int]],
    now: datetime,
) -> bool:
    """Take one message's deliveries for this pass before its e-mail goes out, committed.

    Two passes may run at once (a timer on two servers, a pass started by hand during the
    scheduled one); both read the same unsent rows. Each row is taken by a compare-and-set on
    the status and attempts this pass read, which marks it ``sending``: the first pass to commit
    wins, the other's UPDATE matches no row, it gives its claim back and leaves the message
    alone, and a pass that reads later does not see the row as unsent at all. The unique
    ``reminder`` row already makes the reminders themselves once only. A pass that dies in the
    middle leaves ``sending`` rows; after ``SENDING_LEASE`` the next pass sends them again.
    """
    for d in deliveries:
        status, attempts = seen[d.id]
        taken = db_session.execute(
            update(ReminderDelivery)
            .where(
                col(ReminderDelivery.id) == d.id,
                col(ReminderDelivery.status) == status,
                col(ReminderDelivery.attempts) == attempts,
            )
            .values(status=DeliveryStatus.SENDING, attempts=attempts + 1, last_attempt_at=now)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            db_session.rollback()
            return False
    db_session.commit()
    for d in deliveries:
        db_session.refresh(d)
    return True
