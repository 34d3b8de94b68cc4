"""The reminder pass also reminds coordinating units that have not answered the lead's update:
on the lead report's own slots, once per slot, through the reminders' tables (and e-mail)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.actors import SYSTEM, Actor
from app.clock import FixedClock
from app.config import Settings
from app.reminders.mail import Mailer
from app.reminders.models import Notification, Reminder
from app.reporting import reminder_pass as service
from app.reporting import transitions
from app.units.models import Unit
from tests.conftest import make_user
from tests.reminders.helpers import PLAIN_AUTH_WARNING, on, smtp_server
from tests.reminders.test_email import smtp_settings
from tests.reporting.coordination_setup import LEAD, REVIEWER, VHXH, lead_update, reply

DECEMBER = "2025-12"  # due Monday 05/01/2026; "3 working days before" is 30/12/2025


def run(session: Session, settings: Settings, day: date, mailer: Mailer | None = None):
    return service.run_pass(
        db_session=session, actor=SYSTEM, clock=on(day), settings=settings, mailer=mailer
    )


def coordination_kinds(session: Session, unit: str = "vhxh") -> list[str]:
    session.expire_all()
    unit_id = session.exec(select(Unit.id).where(Unit.code == unit)).one()
    rows = session.exec(
        select(Reminder).where(Reminder.unit_id == unit_id).order_by(col(Reminder.id))
    ).all()
    return [r.kind for r in rows if r.kind.startswith("coord-")]


@pytest.fixture
def vhxh_reporter(seeded: Session, clean_db: Engine, clock: FixedClock):
    """The coordinating unit's reporter (addressed), and the lead's update for December."""
    user = make_user(clean_db, clock, username="bc.vhxh", role="reporter", unit="vhxh")
    lead_update(seeded, on(date(2025, 12, 30)), period=DECEMBER)
    return user


def test_a_coordinating_unit_is_reminded_once_per_slot_with_the_tasks_and_the_lead(
    seeded: Session, settings: Settings, vhxh_reporter
) -> None:
    first = run(seeded, settings, date(2025, 12, 30))
    assert {"unit": "vhxh", "period": DECEMBER, "kind": "coord-before_3", "notified": 1} in (
        first.details
    )
    assert first.reminders == 5 + 1  # the five units' own reports, and vhxh's coordination
    assert run(seeded, settings, date(2025, 12, 30)).reminders == 0  # once only
    assert coordination_kinds(seeded) == ["coord-before_3"]
    [note] = seeded.exec(
        select(Notification).where(
            Notification.user_id == vhxh_reporter.id, col(Notification.title).contains("phối hợp")
        )
    ).all()
    assert note.title == "Nhắc xác nhận phối hợp Tháng 12/2025: 1 nhiệm vụ chờ ý kiến của VH-XH"
    assert "- Nhiệm vụ II.2.3.4 (chủ trì: Trung tâm Phục vụ hành chính công)" in note.body
    assert "hạn ngày 05/01/2026" in note.body
    assert note.link == "/units/vhxh/periods/2025-12#coordinating"
    log, _ = service.list_deliveries(db_session=seeded, actor=REVIEWER)
    labels = {d.kind_label for d in log if d.kind.startswith("coord-")}
    assert labels == {"Nhắc xác nhận phối hợp (trước hạn 3 ngày làm việc)"}


def test_an_answer_stops_the_reminders_and_a_changed_update_brings_them_back(
    seeded: Session, settings: Settings, vhxh_reporter
) -> None:
    run(seeded, settings, date(2025, 12, 30))
    day = on(date(2025, 12, 31))
    reply(seeded, day, VHXH, "confirmed", period=DECEMBER)
    run(seeded, settings, date(2026, 1, 5))
    assert coordination_kinds(seeded) == ["coord-before_3"]  # answered: nothing on the due day
    lead_update(
        seeded, on(date(2026, 1, 5)), result="Đã kiểm tra 15 hồ sơ", version=1, period=DECEMBER
    )
    run(seeded, settings, date(2026, 1, 6))
    assert coordination_kinds(seeded) == ["coord-before_3", "coord-after_1"]
    newest = seeded.exec(
        select(Notification)
        .where(
            Notification.user_id == vhxh_reporter.id, col(Notification.title).contains("phối hợp")
        )
        .order_by(col(Notification.id).desc())
    ).first()
    assert newest is not None and "đã sửa sau khi đơn vị trả lời" in newest.body


def test_no_reminder_once_the_leads_report_is_approved(
    seeded: Session, settings: Settings, vhxh_reporter
) -> None:
    day = on(date(2026, 1, 2))
    transitions.act(
        action="submit", db_session=seeded, actor=LEAD, clock=day, unit="ttpvhcc", period=DECEMBER
    )
    transitions.act(
        action="approve",
        db_session=seeded,
        actor=Actor(username="dp.vhxh", role="coordinator", unit_code="vhxh"),
        clock=day,
        unit="ttpvhcc",
        period=DECEMBER,
    )
    run(seeded, settings, date(2026, 1, 5))
    assert coordination_kinds(seeded) == []


@pytest.mark.filterwarnings(PLAIN_AUTH_WARNING)
def test_the_reminder_is_mailed_with_its_own_call_to_action(
    seeded: Session, clean_db: Engine, settings: Settings, vhxh_reporter
) -> None:
    with Session(clean_db) as session:
        from app.accounts.models import User

        row = session.exec(select(User).where(User.username == "bc.vhxh")).one()
        row.email = "bc.vhxh@phudinh.example.vn"
        session.add(row)
        session.commit()
    with smtp_server() as inbox:
        config = smtp_settings(settings, inbox.port)
        run(seeded, config, date(2025, 12, 30), Mailer.from_settings(config))
    mails = [m for m in inbox.messages if "phối hợp" in str(m["Subject"])]
    assert len(mails) == 1
    text = mails[0].get_content()
    assert "bc.vhxh@phudinh.example.vn" in mails[0]["To"]
    assert "Nhiệm vụ II.2.3.4 (chủ trì: Trung tâm Phục vụ hành chính công)" in text
    assert (
        "Xác nhận hoặc góp ý về phần phối hợp tại: "
        "https://partrack.phudinh.example.vn/units/vhxh/periods/2025-12#coordinating"
    ) in text
