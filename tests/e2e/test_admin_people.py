"""An admin creates a reporter and a token in a real browser; the reporter must change the
temporary password at first login; the admin revokes the token, which then stops working."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login

pytestmark = pytest.mark.e2e

PASSWORD = "mat-khau-thu-nghiem"
TEMPORARY = "Mat-khau-tam-2025"
CHOSEN = "Mat-khau-rieng-cua-toi"


def whoami(server: LiveServer, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{server.url}/api/v1/auth/me", headers=headers).status_code


def test_admin_creates_a_reporter_and_revokes_a_token(
    server: LiveServer,
    page: Page,
    browser: Browser,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: object,
) -> None:
    make_user(clean_db, clock, username="qt.admin", role="admin")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    login(page, server.url, "qt.admin", PASSWORD)
    page.get_by_role("link", name="Quản trị").click()
    page.get_by_role("link", name="Tài khoản").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tài khoản")

    # A mistake first: the message is next to the field and what was typed is still there.
    page.locator("#user-create-username").fill("bc.ttpv")
    page.locator("#user-create-full_name").fill("Lê Văn Cường")
    page.locator("#user-create-role").select_option("reporter")
    page.locator("#user-create-password").fill("ngan")
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.locator("#user-create-password-err")).to_contain_text("ít nhất 10 ký tự")
    expect(page.locator("#user-create-full_name")).to_have_value("Lê Văn Cường")
    shot("create-refused")

    page.locator("#user-create-unit").select_option("ttpvhcc")
    page.locator("#user-create-password").fill(TEMPORARY)
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page).to_have_url(f"{server.url}/admin/people/bc.ttpv?da_tao=1")
    expect(page.get_by_role("status").first).to_contain_text("mật khẩu tạm")

    # A token for the reporter's scripts: shown once, copied with the button.
    page.locator("#user-issue-name").fill("Đồng bộ số liệu")
    page.get_by_role("button", name="Cấp mã").click()
    secret = page.locator("#issued-token")
    expect(secret).to_contain_text("ptk_")
    token = secret.inner_text().strip()
    page.get_by_role("button", name="Sao chép").click()
    expect(page.locator(".copied")).to_contain_text("Đã chép")
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert whoami(server, token) == 200
    shot("token-issued")

    # The reporter, on another PC, logs in with the temporary password and must change it.
    other = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    reporter = other.new_page()
    login(reporter, server.url, "bc.ttpv", TEMPORARY)
    expect(reporter).to_have_url(f"{server.url}/account/password")
    expect(reporter.get_by_role("status")).to_contain_text("mật khẩu tạm")
    reporter.goto(f"{server.url}/units/ttpvhcc")
    expect(reporter).to_have_url(f"{server.url}/account/password")  # nowhere else first
    reporter.get_by_label("Mật khẩu hiện tại").fill(TEMPORARY)
    reporter.get_by_label("Mật khẩu mới (ít nhất 10 ký tự)").fill(CHOSEN)
    reporter.get_by_label("Nhập lại mật khẩu mới").fill(CHOSEN)
    reporter.get_by_role("button", name="Lưu mật khẩu mới").click()
    expect(reporter).to_have_url(f"{server.url}/")
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Việc cần làm")
    reporter.screenshot(path=str(shot.folder / "reporter-workspace.png"), full_page=True)
    other.close()

    # The admin sees the last login, then revokes the token: confirmation first.
    page.reload()
    expect(page.locator("p.muted").first).to_contain_text("20/11/2025")
    row = page.locator("#tokens tbody tr").first
    row.get_by_role("button", name="Thu hồi").click()
    expect(page.locator("#tokens tbody tr").first).to_contain_text("Hãy đánh dấu xác nhận")
    row = page.locator("#tokens tbody tr").first
    row.get_by_label("Xác nhận").check()
    row.get_by_role("button", name="Thu hồi").click()
    expect(page.locator("#tokens tbody tr").first).to_contain_text("Đã thu hồi")
    shot("token-revoked")
    assert whoami(server, token) == 401
