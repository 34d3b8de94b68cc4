"""What every page shares: Vietnamese validation messages (even in an English browser), the skip
link, the top bar on one line at 1366 px, the completeness matrix within the screen, and touch
targets of at least 44 px on a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.reporting.test_pages import rename

pytestmark = pytest.mark.e2e

PASSWORD = "mat-khau-thu-nghiem"


def test_validation_messages_are_ours_in_an_english_browser(
    server: LiveServer, browser: Browser, shot: Shots
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US")
    page = context.new_page()
    shot.page = page
    page.goto(f"{server.url}/login")
    page.get_by_role("button", name="Đăng nhập").click()
    message = page.locator("#vmsg-username")
    expect(message).to_have_text("Hãy điền ô này.")
    expect(message).to_have_class("field-error client-error")
    expect(page.locator("#username")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#username")).to_be_focused()
    expect(page).to_have_url(f"{server.url}/login")  # nothing was sent
    shot("empty-login")
    page.locator("#username").fill("bc.ttpv")
    expect(message).to_have_count(0)  # gone as soon as the field is valid
    expect(page.locator("#username")).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#vmsg-password")).to_have_text("Hãy điền ô này.")
    # Our message replaced the browser's: Chrome's own text for this field is English here.
    native = page.locator("#password").evaluate("el => el.validationMessage")
    assert native and native != "Hãy điền ô này."
    context.close()


def test_skip_link_top_bar_and_matrix_at_1366(
    server: LiveServer,
    page: Page,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: object,
) -> None:
    clock.advance(timedelta(days=395))  # 14/12/2026: every period of the plan so far, 7 columns
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    rename(clean_db, "dp.vhxh", "Trần Thị Phối Hợp")
    login(page, server.url, "dp.vhxh", PASSWORD)
    page.goto(f"{server.url}/completeness?tu=2025-10&den=2026-Q4")
    expect(page.locator("#matrix thead th")).to_have_count(9)  # unit, 7 periods, on time
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Bỏ qua, tới nội dung chính")
    expect(skip).to_be_in_viewport()
    shot("skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    bar = page.locator(".topbar").bounding_box()
    assert bar is not None and bar["height"] < 50, bar  # one line (two lines measured 106 px)
    tops = page.locator(".topbar nav > *").evaluate_all(
        "els => [...new Set(els.map(e => Math.round(e.getBoundingClientRect().top)))]"
    )
    assert len(tops) == 1, tops
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    matrix = page.locator("#matrix table").bounding_box()
    assert matrix is not None and matrix["x"] + matrix["width"] <= 1366
    shot("completeness-1366")


def test_touch_targets_on_a_phone(
    server: LiveServer,
    browser: Browser,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: object,
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="vi-VN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    shot.page = page
    login(page, server.url, "bc.ttpv", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Việc cần làm")
    heights = page.locator(".topbar nav a:visible, .topbar nav button:visible").evaluate_all(
        "els => els.map(e => [e.textContent.trim(), e.getBoundingClientRect().height])"
    )
    assert heights and all(h >= 44 for _, h in heights), heights
    shot("phone-landing")
    context.close()


def test_a_message_stays_with_its_own_row_when_names_repeat(server: LiveServer, page: Page) -> None:
    """Every row of a page like the workspace is a form with the same field names: the message of
    the second row's field appears under that field, not under the first row's."""
    page.goto(f"{server.url}/login")
    page.evaluate(
        """() => {
          for (const id of ["row-a", "row-b"]) {
            const form = document.createElement("form");
            form.id = id;
            form.innerHTML = '<input name="note" required><button>Lưu</button>';
            document.querySelector("main").append(form);
          }
        }"""
    )
    page.locator("#row-b button").click()
    expect(page.locator("#row-b .client-error")).to_have_text("Hãy điền ô này.")
    expect(page.locator("#row-a .client-error")).to_have_count(0)
    page.locator("#row-a button").click()
    expect(page.locator("#row-a .client-error")).to_have_text("Hãy điền ô này.")
    expect(page.locator("#row-b .client-error")).to_have_text("Hãy điền ô này.")
