"""E-mail reminders through a real local SMTP server (aiosmtpd in a thread), never a mock.

The server requires a login, so the test also proves the password travels from settings; a server
that is down makes the pass record failures (not "sent") and carry on, and the next pass retries.
"""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.actors import SYSTEM
from app.clock import FixedClock
from app.config import Settings
from app.reminders.mail import Mailer
from app.reminders.models import Notification, ReminderDelivery
from app.reporting import reminder_pass as service
from tests.reminders.helpers import (
    PLAIN_AUTH_WARNING,
    SMTP_PASSWORD,
    SMTP_USER,
    free_port,
    on,
    people,
    smtp_server,
)

pytestmark = pytest.mark.filterwarnings(PLAIN_AUTH_WARNING)


def smtp_settings(settings: Settings, port: int) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_username": SMTP_USER,
            "smtp_password": SecretStr(SMTP_PASSWORD),
            "smtp_from": "nhacviec@phudinh.example.vn",
            "smtp_starttls": False,
            "reminder_base_url": "https://partrack.phudinh.example.vn",
        }
    )


def run(session: Session, settings: Settings, day: date) -> service.PassResult:
    return service.run_pass(
        db_session=session,
        actor=SYSTEM,
        clock=on(day),
        settings=settings,
        mailer=Mailer.from_settings(settings),
    )


def test_e_mail_is_off_without_a_host(settings: Settings) -> None:
    assert Mailer.from_settings(settings) is None


def test_a_late_reminder_reaches_the_unit_with_its_head_and_the_coordinator_copied(
    seeded: Session, clean_db: Engine, clock: FixedClock, settings: Settings
) -> None:
    who = people(clean_db, clock)
    with smtp_server() as inbox:
        config = smtp_settings(settings, inbox.port)
        result = run(seeded, config, date(2026, 1, 6))
        again = run(seeded, config, date(2026, 1, 6))
    # One message per late unit: vp (3 people), vhxh (its coordinator addressed) and the three
    # units without accounts, where only the copied coordinator hears of it.
    assert (result.emails_sent, result.emails_failed) == (3 + 1 + 3, 0)
    assert (again.reminders, again.emails_sent) == (0, 0)
    assert len(inbox.envelopes) == 5 and inbox.logins == [SMTP_USER] * 5
    index = next(i for i, e in enumerate(inbox.envelopes) if who["reporter"].email in e.rcpt_tos)
    envelope, vp = inbox.envelopes[index], inbox.messages[index]
    assert sorted(envelope.rcpt_tos) == sorted(u.email for u in who.values())
    assert envelope.mail_from == "nhacviec@phudinh.example.vn"
    assert who["reporter"].email in vp["To"]
    assert who["head"].email in vp["Cc"] and who["coordinator"].email in vp["Cc"]
    assert "Tháng 12/2025" in vp["Subject"] and "đã quá hạn 1 ngày làm việc" in vp["Subject"]
    text = vp.get_content()
    assert "hạn gửi ngày 05/01/2026" in text and "Các mục còn trống" in text
    assert "https://partrack.phudinh.example.vn/units/vp/periods/2025-12" in text
    assert SMTP_PASSWORD not in text
    sent = seeded.exec(select(ReminderDelivery).where(ReminderDelivery.channel == "email")).all()
    assert {d.status for d in sent} == {"sent"} and all(d.sent_at for d in sent)


def test_a_failing_server_does_not_stop_the_pass_and_the_next_pass_retries(
    seeded: Session, clean_db: Engine, clock: FixedClock, settings: Settings
) -> None:
    people(clean_db, clock)
    port = free_port()  # nothing listens here yet
    config = smtp_settings(settings, port)
    down = run(seeded, config, date(2025, 12, 30))
    assert down.reminders == 5 and down.emails_sent == 0 and down.emails_failed == 2
    assert seeded.exec(select(Notification)).all(), "the bell works without e-mail"
    log, _ = service.list_deliveries(db_session=seeded, actor=SYSTEM)
    failed = [d for d in log if d.channel == "email"]
    assert failed and all(d.status == "failed" and d.sent_at is None for d in failed)
    assert all("ConnectionRefusedError" in d.error for d in failed)

    with smtp_server(port) as inbox:
        retry = run(seeded, config, date(2025, 12, 31))
        quiet = run(seeded, config, date(2025, 12, 31))
    assert (retry.reminders, retry.emails_sent, retry.emails_failed) == (0, 2, 0)
    assert (quiet.emails_sent, quiet.emails_failed) == (0, 0)
    assert len(inbox.envelopes) == 2
    seeded.expire_all()
    rows = seeded.exec(
        select(ReminderDelivery).where(col(ReminderDelivery.channel) == "email")
    ).all()
    assert all(d.status == "sent" and d.attempts == 2 for d in rows)


def test_a_wrong_password_is_a_recorded_failure(
    seeded: Session, clean_db: Engine, clock: FixedClock, settings: Settings
) -> None:
    people(clean_db, clock)
    with smtp_server() as inbox:
        config = smtp_settings(settings, inbox.port).model_copy(
            update={"smtp_password": SecretStr("sai-mat-khau")}
        )
        result = run(seeded, config, date(2025, 12, 30))
    assert result.emails_failed == 2 and inbox.envelopes == []
    log, _ = service.list_deliveries(db_session=seeded, actor=SYSTEM)
    assert any("SMTPAuthenticationError" in d.error for d in log)
    assert all("sai-mat-khau" not in d.error for d in log)
