"""``partrack remind``: one pass from the shell (cron, systemd timer), idempotent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.cli import app as cli
from app.clock import FixedClock
from app.config import get_settings
from app.reminders.models import Reminder
from tests.reminders.helpers import people


@pytest.fixture
def remind(database_url: str, seeded: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    monkeypatch.setenv("PARTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("PARTRACK_PASSWORD_HASH_PROFILE", "cheapest")
    monkeypatch.delenv("PARTRACK_SMTP_HOST", raising=False)
    runner = CliRunner()

    def invoke(today: str):
        monkeypatch.setenv("PARTRACK_TODAY", today)
        get_settings.cache_clear()
        return runner.invoke(cli, ["remind"])

    yield invoke
    get_settings.cache_clear()


def test_remind_runs_one_pass_and_a_second_one_sends_nothing(
    remind, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    people(clean_db, clock)
    first = remind("2025-12-30")
    assert first.exit_code == 0, first.output
    assert "Đã tạo 5 lời nhắc, 2 thông báo" in first.output
    second = remind("2025-12-30")
    assert second.exit_code == 0 and "Đã tạo 0 lời nhắc, 0 thông báo" in second.output
    assert len(seeded.exec(select(Reminder)).all()) == 5
    events = seeded.exec(select(AuditEvent).where(AuditEvent.entity == "reminder")).all()
    assert len(events) == 5 and {e.via for e in events} == {"cli"}
