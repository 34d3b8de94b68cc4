"""The Department of Home Affairs ranks the wards, opens one, and a ward's coordinator switches
between this year's plan and next year's in the top bar."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from app.seed import service as seed_service
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login

pytestmark = pytest.mark.e2e

PASSWORD = "mat-khau-dung-1"


def test_city_viewer_ranks_the_wards_and_opens_one(
    server: LiveServer, page: Page, shot: Shots, seeded: Session, clean_db: Engine,
    clock: FixedClock,
) -> None:  # fmt: skip
    other = seed_service.load_data()
    other["ward"] = {"code": "binh-dong", "name": "Phường Bình Đông"}
    seed_service.seed_plan(db_session=seeded, clock=clock, data=other)
    make_user(clean_db, clock, username="so.noi.vu", role="city_viewer", password=PASSWORD)
    login(page, server.url, "so.noi.vu", PASSWORD)
    expect(page).to_have_url(f"{server.url}/thanh-pho")
    expect(
        page.get_by_role("heading", name="Các phường, xã — Điểm thực hiện kế hoạch")
    ).to_be_visible()
    table = page.locator("table.data")
    expect(table).to_contain_text("Phường Bình Đông")
    expect(table).to_contain_text("Phường Phú Định")
    shot("city")
    page.get_by_label("Xếp theo").select_option("online_dossier")
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_role("heading", name="Các phường, xã — Tỷ lệ hồ sơ")).to_be_visible()
    page.get_by_role("link", name="Phường Bình Đông").click()
    expect(page).to_have_url(f"{server.url}/scores")
    chooser = page.locator("#chon-ward")
    expect(chooser).to_have_value("binh-dong")
    shot("ward-opened")
    chooser.select_option("phu-dinh")  # chooser.js submits the form
    expect(page.locator("#chon-ward")).to_have_value("phu-dinh")
    expect(page).to_have_url(f"{server.url}/scores")


def test_coordinator_switches_to_next_years_plan(
    server: LiveServer, page: Page, shot: Shots, api: TestClient, seeded: Session,
    clean_db: Engine, clock: FixedClock,
) -> None:  # fmt: skip
    copied = api.post(
        "/api/v1/plans/kh-84-2025/copy",
        json={"code": "kh-cchc-2026", "number": "12/KH-UBND", "issued_date": "2026-01-15",
              "first_year": 2026},
    )  # fmt: skip
    assert copied.status_code == 201, copied.text
    make_user(clean_db, clock, username="dieu.phoi", role="coordinator", unit="vhxh",
              password=PASSWORD)  # fmt: skip
    login(page, server.url, "dieu.phoi", PASSWORD)
    page.goto(f"{server.url}/plan")
    plan = page.locator("#chon-plan")
    expect(plan).to_have_value("kh-84-2025")  # today's plan
    expect(page.locator("main")).to_contain_text("84/KH-UBND")
    plan.select_option("kh-cchc-2026")
    expect(page.locator("#chon-plan")).to_have_value("kh-cchc-2026")
    expect(page).to_have_url(f"{server.url}/plan")
    expect(page.locator("main")).to_contain_text("12/KH-UBND")
    shot("next-year")
    page.goto(f"{server.url}/scores")  # the choice is remembered on the next page
    expect(page.locator("#chon-plan")).to_have_value("kh-cchc-2026")
