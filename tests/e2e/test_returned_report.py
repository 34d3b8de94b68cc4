"""A returned report reaches its reporter: the landing page lists it first with the reviewer's
comment, the bell counts it, the link opens the workspace; the answer shows in the review history.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.reporting.test_pages import rename

pytestmark = pytest.mark.e2e

WS = "/units/ttpvhcc/periods/2025-10"
PASSWORD = "mat-khau-thu-nghiem"
COMMENT = "Bổ sung minh chứng cho nhiệm vụ II.1.1.1"


def submit(page: Page, base: str) -> None:
    page.goto(f"{base}{WS}/submit")
    page.get_by_role("button", name="Xác nhận gửi báo cáo").click()
    expect(page.get_by_text("Đã gửi báo cáo.")).to_be_visible()


def test_a_returned_report_reaches_the_reporter(
    server: LiveServer,
    page: Page,
    browser: Browser,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: object,
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    rename(clean_db, "dp.vhxh", "Trần Thị Phối")
    rename(clean_db, "bc.ttpv", "Lê Văn Báo")
    login(page, server.url, "bc.ttpv", PASSWORD)
    submit(page, server.url)
    page.get_by_role("button", name="Đăng xuất").click()

    # The coordinator lands on the review queue and returns the report with a comment.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    coord = context.new_page()
    login(coord, server.url, "dp.vhxh", PASSWORD)
    queue = coord.locator("#home-queue")
    expect(queue).to_contain_text("Trung tâm Phục vụ hành chính công")
    expect(queue).to_contain_text("bởi Lê Văn Báo")  # a name, not a username
    coord.screenshot(path=str(shot.folder / "coordinator-landing.png"), full_page=True)
    queue.get_by_role("link").first.click()
    expect(coord).to_have_url(f"{server.url}/review/ttpvhcc/2025-10")
    coord.locator("#comment").fill(COMMENT)
    coord.get_by_role("button", name=re.compile("Trả lại")).click()
    expect(coord.locator("#done")).to_have_text(
        "✓ Đã trả lại báo cáo Tháng 10/2025 của Trung tâm Phục vụ hành chính công; "
        "đơn vị đã được thông báo kèm nhận xét."
    )
    coord.screenshot(path=str(shot.folder / "coordinator-returned.png"), full_page=True)

    # The reporter logs in: the returned report is first, with the comment; the bell counts it.
    login(page, server.url, "bc.ttpv", PASSWORD)
    expect(page).to_have_url(f"{server.url}/")
    first = page.locator("#home-todo .agenda-item").first
    expect(first).to_contain_text("Tháng 10/2025: bị trả lại, cần sửa và gửi lại")
    expect(first.locator(".review-comment")).to_have_text(COMMENT)
    expect(first).to_contain_text("Trả lại bởi Trần Thị Phối")
    expect(page.locator("#bell-count")).to_have_text("1")
    shot("reporter-landing")
    page.locator(".bell").click()
    expect(page.locator(".note.unread").first).to_contain_text(
        "Báo cáo Tháng 10/2025 của TTPVHCC bị trả lại"
    )
    shot("bell")
    page.goto(f"{server.url}/")
    first.get_by_role("link").click()
    expect(page).to_have_url(f"{server.url}{WS}")
    expect(page.locator("#return-comment")).to_contain_text(COMMENT)
    shot("workspace")

    # The answer: sent again; the coordinator sees it in the history, then approves.
    submit(page, server.url)
    coord.goto(f"{server.url}/review/ttpvhcc/2025-10")
    history = coord.locator("#review-history li")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("Gửi báo cáo · Lê Văn Báo")
    expect(history.nth(1)).to_contain_text("Trả lại để bổ sung · Trần Thị Phối")
    expect(history.nth(1)).to_contain_text(COMMENT)
    expect(history.nth(2)).to_contain_text("Gửi lại sau khi bị trả lại · Lê Văn Báo")
    coord.get_by_role("button", name=re.compile("Duyệt báo cáo")).click()
    expect(coord.locator("#done")).to_have_text(
        "✓ Đã duyệt báo cáo Tháng 10/2025 của Trung tâm Phục vụ hành chính công."
    )
    coord.screenshot(path=str(shot.folder / "coordinator-approved.png"), full_page=True)
    context.close()
