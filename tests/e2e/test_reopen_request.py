"""A unit asks to reopen its approved report, the coordinator grants it, the unit edits again:
htmx swaps the request box, the queue lists the request, the bell tells each side."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.reporting import transitions
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.reporting.test_pages import rename

pytestmark = pytest.mark.e2e

WS = "/units/ttpvhcc/periods/2025-10"
PASSWORD = "mat-khau-thu-nghiem"
REASON = "Nhập thiếu 3 hồ sơ hộ tịch trả kết quả đúng hạn, cần sửa lại."


def test_a_unit_asks_to_reopen_and_the_coordinator_grants(
    server: LiveServer,
    page: Page,
    browser: Browser,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: Session,
) -> None:
    for action in ("submit", "approve"):
        transitions.act(
            action=action,
            db_session=seeded,
            actor=SYSTEM,
            clock=clock,
            unit="ttpvhcc",
            period="2025-10",
        )
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    rename(clean_db, "bc.ttpv", "Lê Văn Báo")
    rename(clean_db, "dp.vhxh", "Trần Thị Phối")

    # The reporter asks on the approved period's page; a blank reason is refused in place.
    login(page, server.url, "bc.ttpv", PASSWORD)
    page.goto(f"{server.url}{WS}")
    box = page.locator("#reopen-box")
    box.get_by_role("button", name="Đề nghị mở lại").click()
    expect(page.locator("#reopen-reason-error")).to_have_text(
        "Hãy ghi lý do cần mở lại báo cáo đã duyệt."
    )
    page.locator("#reopen-reason").fill(REASON)
    page.locator("#reopen-box").get_by_role("button", name="Đề nghị mở lại").click()
    expect(page.locator("#reopen-pending")).to_contain_text("Đang chờ bộ phận điều phối")
    expect(page.locator("#reopen-pending")).to_contain_text("Lê Văn Báo")
    shot("reporter-asked")

    # The coordinator finds it in the queue and grants it from the review page.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    coord = context.new_page()
    login(coord, server.url, "dp.vhxh", PASSWORD)
    expect(coord.locator("#bell-count")).to_have_text("1")
    coord.goto(f"{server.url}/review")
    queue = coord.locator("#reopen-queue")
    expect(queue).to_contain_text("Trung tâm Phục vụ hành chính công")
    queue.get_by_role("link", name="Xem và quyết định").click()
    decision = coord.locator("#reopen-decision")
    expect(decision).to_contain_text(REASON)
    decision.get_by_role("button", name="Từ chối").click()  # no comment: refused in place
    expect(coord.locator("#reopen-comment-error")).to_have_text(
        "Hãy ghi lý do từ chối để đơn vị biết vì sao."
    )
    coord.locator("#reopen-decision").get_by_role("button", name="Đồng ý mở lại").click()
    expect(coord.locator("#reopen-done")).to_have_text(
        "✓ Đã đồng ý mở lại báo cáo theo đề nghị; đơn vị đã được thông báo."
    )
    history = coord.locator("#review-history li")
    expect(history.nth(3)).to_contain_text("Đồng ý đề nghị mở lại · Trần Thị Phối")
    expect(history.nth(4)).to_contain_text("Mở lại báo cáo đã duyệt")
    coord.screenshot(path=str(shot.folder / "coordinator-granted.png"), full_page=True)
    context.close()

    # The reporter hears of it and can edit the rows again.
    page.goto(f"{server.url}{WS}")
    expect(page.locator("#return-comment")).to_contain_text(REASON)
    expect(page.locator("#task-II-1-1-1 fieldset")).to_be_enabled()
    expect(page.locator("#bell-count")).to_have_text("1")
    shot("reporter-reopened")
