"""A whole month for the service centre, counted: row by row from blank (the way the page was
first built, still possible), and from the previous month with "Lưu tất cả"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import Actor
from app.clock import FixedClock
from app.reporting import service as reporting_service
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.e2e.workspace_effort import UNIT, Officer, month, record, store

pytestmark = pytest.mark.e2e

PERIOD = "2025-11"
WS = f"/units/{UNIT}/periods/{PERIOD}"
PASSWORD = "mat-khau-thu-nghiem"
ADMIN = Actor(username="admin", role="admin")


def _october_reported(db_session: Session, clock: FixedClock) -> None:
    october = month(db_session=db_session, actor=ADMIN, clock=clock, period="2025-10", n=1)
    store(db_session=db_session, actor=ADMIN, clock=clock, period="2025-10", answers=october)


def _status(db_session: Session, clock: FixedClock) -> str:
    db_session.expire_all()
    sub = reporting_service.get_submission(
        db_session=db_session, actor=ADMIN, clock=clock, unit=UNIT, period=PERIOD, plan=None
    )
    return str(sub.status)


def test_a_month_typed_row_by_row_from_blank(
    server: LiveServer,
    page: Page,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: Session,
) -> None:
    _october_reported(seeded, clock)
    november = month(db_session=seeded, actor=ADMIN, clock=clock, period=PERIOD, n=2)
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit=UNIT)
    login(page, server.url, "bc.ttpv", PASSWORD)
    page.goto(f"{server.url}{WS}")
    officer = Officer(page)
    officer.fill_month(november, save_each=True)
    expect(page.locator("#empty-counter")).to_contain_text("0 nhiệm vụ")
    officer.click(page.get_by_role("link", name=re.compile("Gửi báo cáo")))
    officer.click(page.get_by_role("button", name="Xác nhận gửi báo cáo"))
    expect(page.get_by_text("Đã gửi báo cáo.")).to_be_visible()
    shot("submitted")
    assert _status(seeded, clock) == "submitted"
    figures = record("row_by_row_from_blank", officer)
    assert figures["clicks"] > 0 and figures["keystrokes"] > 0
