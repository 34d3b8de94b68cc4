"""The coordinator previews the consolidated report in a real browser, sees how firm each figure
is, restricts it to approved data, marks it final, and opens the monthly meeting report of 2026."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.progress import service as progress_service
from app.progress.models import ProgressWrite
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
    expect(report.locator("tr[data-code=online_dossier]").first).to_contain_text("Chưa gửi")
    expect(report.locator("#data-basis")).to_contain_text(
        "Số liệu của 0/5 đơn vị đã được duyệt; 5 đơn vị chưa gửi báo cáo — điểm có thể thay đổi."
    )
    expect(report.locator("#ranking tr[data-unit=ttpvhcc]")).to_contain_text("0/48 nhiệm vụ")
    shot("preview")
    page.locator("#basis").select_option("approved")
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("#data-basis")).to_contain_text("Chỉ tính báo cáo đã được duyệt")
    expect(page.locator("#ranking tr[data-unit=ttpvhcc] td.score")).to_have_text("—")
    expect(page.get_by_role("link", name="⬇ Tải Word (.docx)")).to_have_attribute(
        "href", "/api/v1/reports/consolidated?period=2025-10&basis=approved&format=docx"
    )
    shot("approved-only")
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
    expect(page.locator("#snapshots")).to_contain_text("(chỉ tính báo cáo đã được duyệt)")
    shot("finalised")


def test_the_monthly_meeting_report_of_2026(
    server: LiveServer,
    page: Page,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: Session,
) -> None:
    clock.current = FixedClock.on(date(2026, 3, 10)).current
    progress_service.upsert_progress(
        db_session=seeded,
        actor=SYSTEM,
        clock=clock,
        data=ProgressWrite(
            assignment="II.2.2.5",
            unit="vp",
            period="2026-02",
            status="in_progress",
            percent_complete=60,
        ),
    )
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    login(page, server.url, "dp.vhxh", "mat-khau-thu-nghiem")
    page.goto(f"{server.url}/reports/consolidated")
    page.locator("#period").select_option("2026-02")
    page.get_by_role("button", name="Xem").click()
    report = page.locator("#report")
    expect(report.locator("#meeting-note")).to_have_text(
        "(Báo cáo tại cuộc họp thường kỳ hằng tháng của Ủy ban nhân dân phường)"
    )
    expect(report).to_contain_text("VP HĐND-UBND — nhiệm vụ II.2.2.5: Đang thực hiện (60%)")
    expect(report).to_contain_text("II. TÌNH HÌNH GỬI BÁO CÁO QUÝ I/2026")
    expect(report.locator("#quarter-due")).to_contain_text(
        "Báo cáo quý I/2026 chưa đến hạn (hạn gửi 10/04/2026)"
    )
    shot("monthly")
