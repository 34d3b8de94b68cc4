"""In Chromium: the bell loads its count with htmx, and marking read updates it in place."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.config import Settings
from app.reporting import reminder_pass as service
from tests.e2e.conftest import LiveServer, Shots, login
from tests.reminders.helpers import on, people

pytestmark = pytest.mark.e2e


def test_reporter_sees_the_bell_and_marks_a_reminder_read(
    server: LiveServer,
    page: Page,
    shot: Shots,
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
    settings: Settings,
) -> None:
    people(clean_db, clock)
    service.run_pass(
        db_session=seeded, actor=SYSTEM, clock=on(date(2026, 1, 6)), settings=settings, mailer=None
    )
    failed: list[str] = []  # any request of ours that did not succeed (the favicon aside)
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    login(page, server.url, "bao.cao.vp", "mat-khau-thu-nghiem")
    expect(page.locator("#bell-count")).to_have_text("1")
    shot("bell")
    page.locator("a.bell").click()
    expect(page).to_have_url(f"{server.url}/notifications")
    expect(page.locator(".note-title")).to_contain_text("đã quá hạn 1 ngày làm việc")
    page.get_by_role("button", name="Đánh dấu đã đọc").click()
    expect(page.locator("li.note.read")).to_have_count(1)
    expect(page.locator("#bell-count")).to_have_text("")
    expect(page.locator("#unread-count")).to_have_text("0")
    shot("read")
    assert failed == []
