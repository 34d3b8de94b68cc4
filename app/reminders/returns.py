"""A returned or reopened report reaches the unit's reporters: in the bell, and by e-mail.

Written in the review's own transaction, so a return is never recorded without its message. The
rows reuse the reminders' tables: the coordinators' log (`/reminders`) lists them with the other
messages, and an e-mail that fails is retried by the next ``partrack remind`` pass. The e-mail
itself goes out after the response (``send_now``): a slow mail server must not hold the reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from fastapi import BackgroundTasks
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app import tenancy
from app.accounts.models import User
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.config import Settings
from app.names import names_for
from app.periods import Period
from app.reminders.mail import Mailer
from app.reminders.models import (
    Channel,
    DeliveryStatus,
    Notification,
    PassResult,
    Reminder,
    ReminderDelivery,
)
from app.reminders.recipients import recipients_for
from app.units.models import Unit


class SubmissionLike(Protocol):
    unit: str
    period: str
    version: int


def kind_for(*, reopening: bool, version: int) -> str:
    """One log row per act: the report's version after it keeps (unit, period, kind) unique."""
    return f"{'reopened' if reopening else 'returned'}-{version}"


def _texts(
    *, db_session: Session, actor: Actor, unit: Unit, period: Period, comment: str, reopening: bool
) -> tuple[str, str]:
    who = names_for(db_session).person(actor.username)
    name = unit.short_name or unit.name
    if reopening:
        title = f"Báo cáo {period.label_vi} của {name} được mở lại để sửa"
        lines = [
            f"{who} đã mở lại báo cáo {period.label_vi} của {unit.name} (đã duyệt) để đơn vị sửa.",
            f"Lý do: “{comment}”",
        ]
    else:
        title = f"Báo cáo {period.label_vi} của {name} bị trả lại"
        lines = [
            f"{who} đã trả lại báo cáo {period.label_vi} của {unit.name}.",
            f"Nhận xét: “{comment}”",
        ]
    lines += ["", "Hãy sửa theo nhận xét rồi bấm “Gửi báo cáo” lần nữa."]
    return title, "\n".join(lines)


def notify(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan_id: int,
    unit: Unit,
    period: Period,
    due_date: date,
    version: int,
    comment: str,
    reopening: bool,
    by_email: bool,
) -> Reminder:
    """The notifications (and pending e-mails when mail is on) for the unit's reporters, in the
    caller's transaction; the caller commits."""
    title, body = _texts(
        db_session=db_session,
        actor=actor,
        unit=unit,
        period=period,
        comment=comment,
        reopening=reopening,
    )
    return queue_message(
        db_session=db_session,
        actor=actor,
        clock=clock,
        message=Message(
            plan_id=plan_id,
            unit=unit,
            period=period,
            due_date=due_date,
            kind=kind_for(reopening=reopening, version=version),
            title=title,
            body=body,
            link=f"/units/{unit.code}/periods/{period}",
        ),
        people=recipients_for(db_session=db_session, unit=unit, copy_heads=False).to,
        by_email=by_email,
    )


@dataclass(frozen=True)
class Message:
    """One message about a unit's period: ``kind`` keeps (plan, unit, period, kind) unique, so
    each act is its own row of the coordinators' log."""

    plan_id: int
    unit: Unit
    period: Period
    due_date: date
    kind: str
    title: str
    body: str
    link: str
    #: The pass's slot day for a scheduled reminder; today for a message sent on an act.
    scheduled_date: date | None = None
    #: What the message is about, as the coordinators' log lists it (a reminder's tasks).
    missing: tuple[str, ...] = ()
    #: More of the message for its audit record.
    audit_extra: dict[str, Any] = field(default_factory=dict)


def _deliver(
    *,
    db_session: Session,
    reminder_id: int,
    message: Message,
    people: list[User],
    by_email: bool,
    now: datetime,
) -> set[str]:
    """Each person's notification and its log row, and a pending e-mail per distinct address
    when ``by_email``; the addresses queued."""
    emails: set[str] = set()
    for user in people:
        assert user.id is not None
        db_session.add(
            Notification(
                user_id=user.id,
                reminder_id=reminder_id,
                title=message.title,
                body=message.body,
                link=message.link,
                created_at=now,
            )
        )
        db_session.add(
            ReminderDelivery(
                reminder_id=reminder_id,
                channel=Channel.APP,
                recipient=user.username,
                user_id=user.id,
                status=DeliveryStatus.SENT,
                attempts=1,
                last_attempt_at=now,
                sent_at=now,
            )
        )
        if by_email and user.email and user.email.lower() not in emails:
            emails.add(user.email.lower())
            db_session.add(
                ReminderDelivery(
                    reminder_id=reminder_id,
                    channel=Channel.EMAIL,
                    recipient=user.email.lower(),
                    user_id=user.id,
                    status=DeliveryStatus.PENDING,
                )
            )
    return emails


def queue_message(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    message: Message,
    people: list[User],
    by_email: bool,
) -> Reminder:
    """Put a message in the bell of ``people`` (and their pending e-mails when ``by_email``) and
    audit it, in the caller's transaction: a review's or a reopen request's message is never
    recorded without the act, nor the act without it. The caller commits."""
    unit = message.unit
    assert unit.id is not None
    now = clock.now()
    reminder = Reminder(
        plan_id=message.plan_id,
        unit_id=unit.id,
        period=str(message.period),
        kind=message.kind,
        due_date=message.due_date,
        scheduled_date=message.scheduled_date or clock.today(),
        missing=list(message.missing),
        created_at=now,
    )
    db_session.add(reminder)
    db_session.flush()  # the (plan, unit, period, kind) key: a second claim fails here
    assert reminder.id is not None
    emails = _deliver(
        db_session=db_session,
        reminder_id=reminder.id,
        message=message,
        people=people,
        by_email=by_email,
        now=now,
    )
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="reminder",
        key=f"{unit.code}/{message.period}/{reminder.kind}",
        after={
            "unit": unit.code,
            "period": str(message.period),
            "kind": reminder.kind,
            "to": [u.username for u in people],
            "emails": sorted(emails),
            **message.audit_extra,
        },
        clock=clock,
    )
    return reminder


def send_now(
    *,
    engine: Engine,
    settings: Settings,
    clock: Clock,
    actor: Actor,
    unit: str,
    period: str,
    kind: str,
) -> PassResult:
    """Send the pending e-mail of one return right away (run after the response); a failure is
    recorded and left for the next pass. Nothing to do when mail is off."""
    # The pass's sender, one code path; imported here because the pass reads the reporting
    # cycle, which imports this module.
    from app.reminders.sending import send_pending

    result = PassResult()
    mailer = Mailer.from_settings(settings)
    if mailer is None:
        return result
    with Session(engine, expire_on_commit=False) as db_session:
        # A new session, after the response: back inside the ward the return was made in.
        tenancy.enter(db_session, tenancy.Scope(ward_id=actor.ward_id, user_id=actor.user_id))
        reminder_id = db_session.exec(
            select(Reminder.id)
            .join(Unit, col(Unit.id) == col(Reminder.unit_id))
            .where(Unit.code == unit, Reminder.period == period, Reminder.kind == kind)
        ).first()
        if reminder_id is None:
            return result
        send_pending(
            db_session=db_session,
            actor=actor,
            clock=clock,
            settings=settings,
            mailer=mailer,
            result=result,
            reminder_id=reminder_id,
        )
    return result


def mail_after_response(
    tasks: BackgroundTasks, *, state: Any, actor: Actor, action: str, result: SubmissionLike
) -> None:
    """Queue ``send_now`` after a return or reopen, for the page and the API alike."""
    if action not in {"return", "reopen"}:
        return
    mail_kind_after_response(
        tasks,
        state=state,
        actor=actor,
        unit=result.unit,
        period=result.period,
        kind=kind_for(reopening=action == "reopen", version=result.version),
    )


def mail_kind_after_response(
    tasks: BackgroundTasks, *, state: Any, actor: Actor, unit: str, period: str, kind: str
) -> None:
    """Queue ``send_now`` for one message of a unit's period, when mail is configured."""
    if not state.settings.smtp_host:
        return
    tasks.add_task(
        send_now,
        engine=state.engine,
        settings=state.settings,
        clock=state.clock,
        actor=actor,
        unit=unit,
        period=period,
        kind=kind,
    )
