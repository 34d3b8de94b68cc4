"""Logging in again in another tab never costs the row being typed in the first one."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login

pytestmark = pytest.mark.e2e

WS = "/units/ttpvhcc/periods/2025-10"
PASSWORD = "mat-khau-thu-nghiem"


def test_a_save_after_logging_in_again_in_another_tab_keeps_the_typed_row(
    server: LiveServer, page: Page, shot: Shots, clean_db: Engine, clock: FixedClock, seeded: object
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    login(page, server.url, "bc.ttpv", PASSWORD)
    expect(page).to_have_url(f"{server.url}/")
    page.goto(f"{server.url}{WS}")
    row = page.locator("#task-II-1-1-1")
    row.locator("select[name=status]").select_option("in_progress")
    row.locator("input[name=percent_complete]").fill("40")
    row.locator("textarea[name=result]").fill("Đã ban hành kế hoạch, đang lấy ý kiến các tổ")
    shot("typing-in-tab-1")

    # In a second tab of the same browser the session ends and a new one begins.
    other = page.context.new_page()
    other.goto(f"{server.url}{WS}")
    other.get_by_role("button", name="Đăng xuất").click()
    expect(other).to_have_url(f"{server.url}/login")
    login(other, server.url, "bc.ttpv", PASSWORD)
    expect(other).to_have_url(f"{server.url}/")
    other.close()

    # Back in the first tab, whose page still holds the old session's token.
    page.bring_to_front()
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if "/tasks/" in r.url else None)
    row.get_by_role("button", name="Lưu").click()
    expect(page.locator("#task-II-1-1-1 .saved")).to_be_visible()
    expect(page.locator("#task-II-1-1-1 textarea[name=result]")).to_have_value(
        "Đã ban hành kế hoạch, đang lấy ý kiến các tổ"
    )
    assert answers == [403, 200]  # refused for the old token, sent again with the new one
    shot("saved-after-relogin")
    page.reload()
    expect(page.locator("#task-II-1-1-1 textarea[name=result]")).to_have_value(
        "Đã ban hành kế hoạch, đang lấy ý kiến các tổ"
    )
