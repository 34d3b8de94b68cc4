"""The bell in the top bar, the notifications page (full, fragment, marking read) and the
coordinators' log, through a real browser session and CSRF."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.models import User
from app.actors import SYSTEM
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.config import Settings
from app.reminders.models import Notification
from app.reporting import reminder_pass as service
from tests.accounts.test_pages import hidden, login
from tests.reminders.helpers import on, people

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.fixture
def reminded(seeded: Session, clean_db: Engine, clock: FixedClock, settings: Settings):
    """Reminders sent on 06/01/2026 (one day late): vp's reporter, head and coordinator notified."""
    who = people(clean_db, clock)
    service.run_pass(
        db_session=seeded,
        actor=SYSTEM,
        clock=on(date(2026, 1, 6)),
        settings=settings,
        mailer=None,
    )
    return who


@pytest.fixture
def browser(application: FastAPI, reminded) -> TestClient:
    with TestClient(application) as client:
        yield client


def test_the_bell_shows_the_unread_count(browser: TestClient, reminded) -> None:
    assert login(browser, "bao.cao.vp").status_code == 303
    page = browser.get("/notifications")
    assert 'id="bell-count" hx-get="/notifications/count"' in page.text
    assert 'hx-trigger="load, every 60s"' in page.text
    count = browser.get("/notifications/count", headers=HX)
    assert count.status_code == 200
    assert '<span class="bell-count" aria-label="1 thông báo chưa đọc">1</span>' in count.text
    assert "<html" not in count.text and count.headers["Cache-Control"] == "no-store"
    assert 'href="/reminders"' not in page.text  # the log is for coordinators


def test_notifications_page_full_fragment_and_marking_read(
    browser: TestClient, reminded, db_session: Session
) -> None:
    login(browser, "bao.cao.vp")
    page = browser.get("/notifications")
    assert page.status_code == 200 and "<h1>Thông báo</h1>" in page.text
    assert 'Chưa đọc: <strong id="unread-count">1</strong>' in page.text
    assert "Tháng 12/2025" in page.text and "05/01/2026" in page.text
    assert "đã quá hạn 1 ngày làm việc" in page.text
    fragment = browser.get("/notifications", headers=HX)
    assert fragment.text.lstrip().startswith('<div id="notes">') and "<html" not in fragment.text
    note = db_session.exec(
        select(Notification).where(Notification.user_id == reminded["reporter"].id)
    ).one()
    csrf = hidden(page.text, "csrf_token")
    form = page.text.split(f'action="/notifications/{note.id}/read"')[1].split("</form>")[0]
    assert f'name="csrf_token" value="{csrf}"' in form  # the plain form works without htmx
    refused = browser.post(f"/notifications/{note.id}/read", headers=HX)
    assert refused.status_code == 403  # no CSRF token
    swapped = browser.post(f"/notifications/{note.id}/read", headers={**HX, "X-CSRF-Token": csrf})
    assert swapped.status_code == 200
    assert f'<li id="note-{note.id}" class="note read">' in swapped.text
    assert '<span id="bell-count" hx-swap-oob="innerHTML"></span>' in swapped.text
    assert '<strong id="unread-count" hx-swap-oob="true">0</strong>' in swapped.text
    assert browser.get("/notifications/count").text == ""
    db_session.expire_all()
    event = db_session.exec(select(AuditEvent).where(AuditEvent.entity == "notification")).one()
    assert event.actor_username == "bao.cao.vp" and event.via == "web"


def test_without_javascript_forms_post_and_redirect(
    browser: TestClient, reminded, db_session: Session
) -> None:
    login(browser, "dieu.phoi")
    page = browser.get("/notifications")
    csrf = hidden(page.text, "csrf_token")
    resp = browser.post(
        "/notifications/read-all", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/notifications"
    assert 'Chưa đọc: <strong id="unread-count">0</strong>' in browser.get("/notifications").text


def test_someone_elses_notification_is_not_found(
    browser: TestClient, reminded, db_session: Session
) -> None:
    note = db_session.exec(
        select(Notification).where(Notification.user_id == reminded["reporter"].id)
    ).one()
    login(browser, "lanh.dao.vp")
    csrf = hidden(browser.get("/notifications").text, "csrf_token")
    resp = browser.post(
        f"/notifications/{note.id}/read", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert resp.status_code == 404
    db_session.expire_all()
    assert db_session.get(Notification, note.id).read_at is None


def test_coordinators_see_what_was_sent_to_whom(browser: TestClient, reminded) -> None:
    login(browser, "dieu.phoi")
    page = browser.get("/reminders")
    assert page.status_code == 200 and "<h1>Nhắc việc đã gửi</h1>" in page.text
    assert "Quá hạn 1 ngày làm việc" in page.text and "Tháng 12/2025" in page.text
    assert "lanh.dao.vp" in page.text and "(đồng gửi)" in page.text and "Đã gửi" in page.text
    fragment = browser.get("/reminders", headers=HX)
    assert fragment.text.lstrip().startswith('<div id="log">')
    api = browser.get("/api/v1/reminders").json()
    assert api["total"] >= 3 and {"unit", "recipient", "status", "sent_at"} <= set(api["items"][0])


def test_reporters_may_not_see_the_log(browser: TestClient, reminded) -> None:
    login(browser, "bao.cao.vp")
    assert browser.get("/reminders").status_code == 403
    assert browser.get("/api/v1/reminders").status_code == 403
    mine = browser.get("/api/v1/notifications?unread=true").json()
    assert mine["total"] == 1 and "Tháng 12/2025" in mine["items"][0]["title"]


def test_in_app_reminders_name_the_person(browser: TestClient, reminded, clean_db: Engine) -> None:
    with Session(clean_db) as session:
        head = session.exec(select(User).where(User.username == "lanh.dao.vp")).one()
        head.full_name = "Đỗ Văn Trưởng"
        session.add(head)
        session.commit()
    login(browser, "dieu.phoi")
    page = browser.get("/reminders").text
    cells = re.findall(
        r"<td>([^<]*)(?: <span class=\"small muted\">\(đồng gửi\)</span>)?</td>", page
    )
    assert "Đỗ Văn Trưởng" in cells and "lanh.dao.vp" not in cells
