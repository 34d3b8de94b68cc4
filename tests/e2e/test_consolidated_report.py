"""The coordinator previews the consolidated report in a real browser and marks it final."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.reports.test_consolidated import reading

pytestmark = pytest.mark.e2e


def test_preview_download_and_finalise(
    server: LiveServer,
    page: Page,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: Session,
) -> None:
    reading(seeded, clock, "online_dossier", "ttpvhcc", 83.25)
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    login(page, server.url, "dp.vhxh", "mat-khau-thu-nghiem")
    page.goto(f"{server.url}/reports/consolidated?period=2025-10")
    report = page.locator("#report")
    expect(report).to_contain_text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    expect(report).to_contain_text("Kết quả thực hiện Kế hoạch số 84/KH-UBND")
    expect(report.locator("tr[data-code=online_dossier]").first).to_contain_text("83,25%")
    shot("preview")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    shot("print")
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.get_by_role("link", name="⬇ Tải Word (.docx)").click()
    assert download.value.suggested_filename == "bao-cao-ke-hoach-84-2025-10.docx"
    with page.expect_download() as download:
        page.get_by_role("link", name="⬇ Tải PDF").click()
    assert download.value.suggested_filename == "bao-cao-ke-hoach-84-2025-10.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    page.get_by_role("button", name="Chốt báo cáo (lưu phiên bản trình họp)").click()
    expect(page.get_by_role("status")).to_contain_text("phiên bản 1")
    expect(page.locator("#snapshots")).to_contain_text("Phiên bản 1")
    expect(page.locator("#snapshots")).to_contain_text("bởi Người dùng dp.vhxh")
    expect(page.locator("#snapshots").get_by_role("link", name="PDF")).to_be_visible()
    shot("finalised")
