"""A whole month for the service centre, counted: row by row from blank (the way the page was
first built, still possible), and from the previous month with "Lưu tất cả"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
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


def test_a_month_from_carry_forward_to_submission_on_a_phone(
    server: LiveServer,
    browser: Browser,
    clean_db: Engine,
    clock: FixedClock,
    seeded: Session,
) -> None:
    _october_reported(seeded, clock)
    november = month(db_session=seeded, actor=ADMIN, clock=clock, period=PERIOD, n=2)
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit=UNIT)
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        has_touch=True,
        is_mobile=True,
    )
    context.set_default_timeout(10_000)
    phone = context.new_page()
    shot = Shots(phone, "test_a_month_from_carry_forward_to_submission_on_a_phone")
    login(phone, server.url, "bc.ttpv", PASSWORD)
    phone.goto(f"{server.url}{WS}")
    shot("blank-month")
    # Touch targets in the workspace are at least 44 px tall on a phone.
    small = phone.evaluate(
        """() => Array.from(document.querySelectorAll(
             '#workspace button:not([hidden]), #workspace select,'
             + ' #workspace input:not([type=hidden]), #workspace textarea, #workspace a.button'))
           .filter((el) => el.offsetParent !== null)
           .map((el) => el.getBoundingClientRect().height)
           .filter((h) => h < 44).length"""
    )
    assert small == 0
    officer = Officer(phone)
    officer.click(phone.get_by_role("button", name=re.compile("Chép từ kỳ trước")).last)
    carried = phone.locator("form.row-form.carried")
    expect(carried).to_have_count(72)
    expect(carried.first.locator(".row-state")).to_contain_text("chưa xác nhận")
    expect(phone.locator("#empty-counter")).to_contain_text("48 nhiệm vụ")  # not yet reported
    shot("carried")
    officer.fill_month(november, save_each=False)
    officer.click(phone.locator("#save-all"))
    expect(phone.locator("#ws-bar-status")).to_contain_text("Đã lưu 72 dòng")
    expect(phone.locator("#empty-counter")).to_contain_text("0 nhiệm vụ")
    expect(phone.locator("form.row-form.dirty")).to_have_count(0)
    shot("saved-all")
    officer.click(phone.get_by_role("link", name=re.compile("Gửi báo cáo")))
    officer.click(phone.get_by_role("button", name="Xác nhận gửi báo cáo"))
    expect(phone.get_by_text("Đã gửi báo cáo.")).to_be_visible()
    shot("submitted")
    assert _status(seeded, clock) == "submitted"
    figures = record("carry_forward_and_save_all_on_a_phone", officer)
    context.close()
    assert figures["clicks"] > 0
