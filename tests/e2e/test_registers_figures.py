"""The investment register in Chromium, as the economic office keeps it: a project's capital
plan and its monthly disbursement typed the Vietnamese way, a month to come refused next to its
field, the share disbursed shown on the row, and the plan's disbursement indicator filled in the
unit's report of the month without anyone typing it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login

pytestmark = pytest.mark.e2e


def test_disbursement_typed_in_the_register_fills_the_report(
    server: LiveServer,
    page: Page,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: Session,
) -> None:
    make_user(clean_db, clock, username="bc.kt", role="reporter", unit="kthtdt")
    login(page, server.url, "bc.kt", "mat-khau-thu-nghiem")
    page.get_by_role("link", name="Sổ theo dõi").click()
    page.get_by_role("link", name="Đầu tư công và thu ngân sách").click()
    page.get_by_role("link", name="Thêm dự án, khoản thu").click()
    form = page.locator("#register-form")
    form.get_by_label("Loại").select_option("project")
    form.get_by_label("Năm *", exact=True).fill("2025")
    form.get_by_label("Tên dự án, khoản thu").fill("Nâng cấp hẻm 1135 Hưng Phú")
    form.get_by_label("Kế hoạch vốn, dự toán").fill("4.800,5")
    monthly = form.get_by_label("Giải ngân, thu theo tháng", exact=False)
    monthly.fill("10/2025: 1.200,5\n12/2025: 300")  # December has not come (today: 20/11/2025)
    form.get_by_role("button", name="Thêm vào sổ").click()
    expect(page.locator("#register-form-monthly-err")).to_contain_text("12/2025")
    expect(page.locator("#register-form")).to_contain_text("Nâng cấp hẻm")  # nothing lost
    form = page.locator("#register-form")
    form.get_by_label("Giải ngân, thu theo tháng", exact=False).fill(
        "10/2025: 1.200,5\n11/2025: 1.199,5"
    )
    form.get_by_role("button", name="Thêm vào sổ").click()
    figures = page.locator("#register-figures")
    expect(figures).to_contain_text("2.400")  # 1.200,5 + 1.199,5
    expect(figures).to_contain_text("11/2025")
    shot("project")
    page.goto(f"{server.url}/units/kthtdt/periods/2025-10")
    row = page.locator("form[data-key='disbursement']")
    expect(row).to_contain_text("Tự tính")
    expect(row).to_contain_text("25")  # 1.200,5 of 4.800,5 by the end of October
    shot("report")
