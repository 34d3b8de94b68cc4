"""A reminder pass on a frozen clock: who is reminded when, idempotence, copies after the due date.

December 2025's report is due Monday 05/01/2026, across New Year (01/01) and a weekend; the pass
runs on real databases with the seeded Plan 84 and no mail server (e-mail off).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.actors import SYSTEM, Actor
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.config import Settings
from app.errors import Forbidden, NotFound
from app.reminders import notifications
from app.reminders.models import Notification, Reminder, ReminderDelivery
from app.reporting import reminder_pass as service
from app.reporting import transitions
from app.units.models import Unit
from tests.reminders.helpers import on, people


def run(session: Session, settings: Settings, day: date) -> service.PassResult:
    return service.run_pass(
        db_session=session, actor=SYSTEM, clock=on(day), settings=settings, mailer=None
    )


def kinds(session: Session, unit_code: str = "vp") -> list[str]:
    session.expire_all()
    rows = session.exec(select(Reminder).order_by(col(Reminder.id))).all()
    unit = session.exec(select(Unit).where(Unit.code == unit_code)).one()
    return [r.kind for r in rows if r.unit_id == unit.id and r.period == "2025-12"]


def test_schedule_across_new_year_and_a_weekend_sends_each_reminder_once(
    seeded: Session, clean_db: Engine, clock: FixedClock, settings: Settings
) -> None:
    who = people(clean_db, clock)
    assert run(seeded, settings, date(2025, 12, 29)).reminders == 0
    first = run(seeded, settings, date(2025, 12, 30))
    assert first.reminders == 5  # every unit below the committee still owes December
    assert kinds(seeded) == ["before_3"]
    for day in (date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 2)):  # repeat, holiday…
        assert run(seeded, settings, day).reminders == 0
    assert run(seeded, settings, date(2026, 1, 5)).reminders == 5
    after = run(seeded, settings, date(2026, 1, 6))
    assert after.reminders == 5
    assert run(seeded, settings, date(2026, 1, 6)).model_dump()["reminders"] == 0
    assert run(seeded, settings, date(2026, 1, 7)).reminders == 0
    assert run(seeded, settings, date(2026, 1, 8)).reminders == 5
    assert kinds(seeded) == ["before_3", "due", "after_1", "after_3"]

    reporter = notifications.list_notifications(
        db_session=seeded, actor=_actor(who["reporter"]), limit=50
    )[0]
    assert len(reporter) == 4
    newest = reporter[0]
    assert "Tháng 12/2025" in newest.title and "05/01/2026" in newest.title
    assert "đã quá hạn 3 ngày làm việc" in newest.title
    assert "Các mục còn trống" in newest.body and "- Nhiệm vụ " in newest.body
    assert newest.link == "/units/vp/periods/2025-12"
    # The head and the coordinator are copied only after the due date (after_1, after_3).
    head = notifications.unread_count(db_session=seeded, actor=_actor(who["head"]))
    coordinator = notifications.unread_count(db_session=seeded, actor=_actor(who["coordinator"]))
    assert head == 2
    # Addressed on its own unit's 4 reminders, copied on the other 4 units' 2 late ones.
    assert coordinator == 4 + 4 * 2
    copied = seeded.exec(
        select(ReminderDelivery).where(
            col(ReminderDelivery.copied), ReminderDelivery.channel == "app"
        )
    ).all()
    assert {d.recipient for d in copied} == {"lanh.dao.vp", "dieu.phoi"}


def test_a_unit_that_has_submitted_is_not_reminded(
    seeded: Session, clean_db: Engine, clock: FixedClock, settings: Settings
) -> None:
    people(clean_db, clock)
    run(seeded, settings, date(2025, 12, 30))
    transitions.submit(
        db_session=seeded, actor=SYSTEM, clock=on(date(2026, 1, 2)), unit="vp", period="2025-12"
    )
    assert run(seeded, settings, date(2026, 1, 5)).reminders == 4
    assert kinds(seeded) == ["before_3"]


def test_each_reminder_is_audited_and_needs_a_coordinator(
    seeded: Session, clean_db: Engine, clock: FixedClock, settings: Settings
) -> None:
    who = people(clean_db, clock)
    with pytest.raises(Forbidden):
        service.run_pass(
            db_session=seeded,
            actor=_actor(who["reporter"]),
            clock=on(date(2025, 12, 30)),
            settings=settings,
            mailer=None,
        )
    assert seeded.exec(select(Reminder)).first() is None
    run(seeded, settings, date(2025, 12, 30))
    events = seeded.exec(select(AuditEvent).where(AuditEvent.entity == "reminder")).all()
    assert sorted(e.entity_key for e in events)[0] == "kthtdt/2025-12/before_3"
    vp = next(e for e in events if e.entity_key == "vp/2025-12/before_3")
    assert vp.action == "create" and vp.via == "cli" and vp.after is not None
    assert vp.after["to"] == ["bao.cao.vp"] and vp.after["cc"] == [] and vp.after["emails"] == []


def test_marking_read_is_own_only_and_audited(
    seeded: Session, clean_db: Engine, clock: FixedClock, settings: Settings
) -> None:
    who = people(clean_db, clock)
    run(seeded, settings, date(2025, 12, 30))
    note = seeded.exec(select(Notification).where(Notification.user_id == who["reporter"].id)).one()

    with pytest.raises(NotFound):
        notifications.mark_read(
            db_session=seeded, actor=_actor(who["head"]), clock=clock, notification_id=note.id
        )
    reporter = _actor(who["reporter"])
    assert (
        notifications.mark_read(
            db_session=seeded, actor=reporter, clock=clock, notification_id=note.id
        )
        == 1
    )
    assert (
        notifications.mark_read(
            db_session=seeded, actor=reporter, clock=clock, notification_id=None
        )
        == 0
    )
    assert notifications.unread_count(db_session=seeded, actor=reporter) == 0
    event = seeded.exec(select(AuditEvent).where(AuditEvent.entity == "notification")).one()
    assert event.actor_username == "bao.cao.vp" and event.action == "update"


def _actor(user) -> Actor:
    """The person as a page request would see them (notifications only need the user id)."""
    return Actor(username=user.username, role=user.role, user_id=user.id, via="web")
