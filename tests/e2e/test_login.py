"""A real browser logs in, is refused with a Vietnamese message, logs in, and logs out."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login

pytestmark = pytest.mark.e2e


def test_login_wrong_password_then_right_then_logout(
    server: LiveServer, page: Page, shot: Shots, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="xem.lanhdao", role="viewer", password="mat-khau-dung-1")
    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/login?next=/")
    shot("login-page")

    login(page, server.url, "xem.lanhdao", "sai-mat-khau")
    expect(page.locator("#login-error")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("xem.lanhdao")
    shot("wrong-password")

    page.get_by_label("Mật khẩu").fill("mat-khau-dung-1")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{server.url}/completeness")  # where a leader lands
    expect(page.get_by_text("Người dùng xem.lanhdao")).to_be_visible()
    shot("logged-in")

    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(f"{server.url}/login")
    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/login?next=/")
