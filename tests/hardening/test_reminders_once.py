"""Reminder passes run by several processes at once send every e-mail once (issue 17).

The pass is ``partrack remind``, started by a timer; with several servers, or a pass started by
hand while the timer's runs, two processes read the same unsent deliveries. Three real
processes run it here at the same moment against one database and one real SMTP server that
answers slowly, so their sending overlaps.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.clock import FixedClock
from app.reminders.models import Reminder, ReminderDelivery
from tests.conftest import TEST_SECRET
from tests.reminders.helpers import (
    PLAIN_AUTH_WARNING,
    SMTP_PASSWORD,
    SMTP_USER,
    Inbox,
    people,
    smtp_server,
)

pytestmark = pytest.mark.filterwarnings(PLAIN_AUTH_WARNING)

PASSES = 3


class SlowInbox(Inbox):
    """Takes a while over each message, as a real relay can: passes overlap while sending."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.4)
        return await super().handle_DATA(server, session, envelope)


def _env(database_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PARTRACK_DATABASE_URL": database_url,
        "PARTRACK_SECRET_KEY": TEST_SECRET,
        "PARTRACK_ENVIRONMENT": "test",
        "PARTRACK_PASSWORD_HASH_PROFILE": "cheapest",
        "PARTRACK_TODAY": "2026-01-06",
        "PARTRACK_SMTP_HOST": "127.0.0.1",
        "PARTRACK_SMTP_PORT": str(port),
        "PARTRACK_SMTP_USERNAME": SMTP_USER,
        "PARTRACK_SMTP_PASSWORD": SMTP_PASSWORD,
        "PARTRACK_SMTP_FROM": "nhacviec@phudinh.example.vn",
        "PARTRACK_SMTP_STARTTLS": "false",
    }


def _number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, text
    return int(found.group(1))


def test_three_simultaneous_passes_send_each_message_once(
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people(clean_db, clock)
    monkeypatch.setattr("tests.reminders.helpers.Inbox", SlowInbox)
    with smtp_server() as inbox:
        env = _env(database_url, inbox.port)
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "app.cli", "remind"],
                cwd=tmp_path,  # no .env of a developer's
                env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(PASSES)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    made = [_number(r"Đã tạo (\d+) lời nhắc", out) for out, _ in outputs]
    sent = [_number(r"(\d+) đã gửi", out) for out, _ in outputs]
    # The same day as tests/reminders/test_email.py: 5 late units' reminders, 5 messages to 7
    # addresses, whichever process made or sent which.
    assert sum(made) == 5
    assert sum(sent) == 7
    assert len(inbox.envelopes) == 5
    subjects = [m["Subject"] for m in inbox.messages]
    assert len(set(subjects)) == len(subjects)  # no message went out twice
    with Session(clean_db) as session:
        assert len(session.exec(select(Reminder)).all()) == 5
        emails = session.exec(
            select(ReminderDelivery).where(col(ReminderDelivery.channel) == "email")
        ).all()
        assert [(d.status, d.attempts) for d in emails] == [("sent", 1)] * 7
