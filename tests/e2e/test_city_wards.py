"""A city administrator adds a ward from the city view and finds it in the top bar's chooser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login

pytestmark = pytest.mark.e2e

PASSWORD = "mat-khau-dung-1"


def test_city_admin_creates_a_ward_and_sees_it_in_the_chooser(
    server: LiveServer, page: Page, shot: Shots, seeded: Session, clean_db: Engine,
    clock: FixedClock,
) -> None:  # fmt: skip
    make_user(clean_db, clock, username="thanh.pho", role="city_admin", password=PASSWORD)
    login(page, server.url, "thanh.pho", PASSWORD)
    expect(page).to_have_url(f"{server.url}/thanh-pho")
    page.get_by_role("link", name="Danh sách và thêm phường, xã").click()
    expect(page).to_have_url(f"{server.url}/thanh-pho/phuong-xa")
    expect(page.locator("#ward-list")).to_contain_text("Phường Phú Định")
    page.get_by_label("Mã phường, xã").fill("Bình Đông")  # not a code: refused next to the field
    page.get_by_label("Tên", exact=True).fill("Phường Bình Đông")
    page.get_by_role("button", name="Tạo phường, xã").click()
    expect(page.locator("#ward-new-code-err")).to_be_visible()
    shot("ward-refused")
    page.get_by_label("Mã phường, xã").fill("binh-dong")
    page.get_by_role("button", name="Tạo phường, xã").click()
    expect(page.get_by_role("status")).to_contain_text("Đã tạo Phường Bình Đông.")
    expect(page.locator("#ward-list")).to_contain_text("Phường Bình Đông")
    shot("ward-created")
    page.goto(f"{server.url}/thanh-pho")
    chooser = page.locator("#chon-ward")
    expect(chooser.locator("option[value='binh-dong']")).to_have_text("Phường Bình Đông")
    chooser.select_option("binh-dong")  # chooser.js submits the form
    expect(page.locator("#chon-ward")).to_have_value("binh-dong")
