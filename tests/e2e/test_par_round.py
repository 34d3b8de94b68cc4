"""A whole PAR Index self-assessment round in Chromium: the coordinator opens the year, the
centre proposes points, is refused for want of evidence, attaches a PDF and sends; the
coordinator compiles the points, uploads the city's appraisal from Excel, and the overview shows
both indices, the gap and where the points still are."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login

pytestmark = pytest.mark.e2e

PASSWORD = "mat-khau-thu-nghiem"
ITEM = "/chi-so-cchc/2025/tieu-chi/3.5"


def _appraisal_xlsx(path: str) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mã tiêu chí", "Điểm thẩm định", "Ý kiến thẩm định"])
    sheet.append(["3.5", 2, "Thiếu văn bản xin lỗi tháng 10"])
    sheet.append(["8.2", "8,5", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    with open(path, "wb") as out:
        out.write(buffer.getvalue())


def test_a_self_assessment_round_in_the_browser(
    server: LiveServer,
    page: Page,
    browser: Browser,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: Session,
    tmp_path: pytest.TempPathFactory,
) -> None:
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")

    # The coordinator opens 2025 from the menu.
    login(page, server.url, "dp.vhxh", PASSWORD)
    page.get_by_role("link", name="Chỉ số CCHC").click()
    page.get_by_label("Năm đánh giá").fill("2025")
    page.get_by_role("button", name="Mở đợt đánh giá").click()
    expect(page.get_by_role("heading", name="Chỉ số cải cách hành chính năm 2025")).to_be_visible()
    expect(page.locator("body")).to_contain_text("chưa phải bảng chính thức của Thành phố")
    shot("year-opened")

    # The centre's officer proposes points; without evidence the reason is asked for in place.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    unit = context.new_page()
    login(unit, server.url, "bc.ttpv", PASSWORD)
    unit.goto(f"{server.url}{ITEM}")
    unit.get_by_label("Điểm đề xuất").fill("2,5")
    unit.get_by_label("Kết quả thực hiện").fill("Gửi văn bản xin lỗi cho 4 hồ sơ trễ hạn.")
    unit.get_by_role("button", name="Gửi bộ phận điều phối").click()
    expect(unit.locator("#par-proposal-reason-err")).to_contain_text("chưa có tài liệu kiểm chứng")
    expect(unit.get_by_label("Điểm đề xuất")).to_have_value("2,5")  # nothing typed is lost
    pdf = tmp_path / "van-ban-xin-loi.pdf"  # type: ignore[operator]
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    unit.locator("form.ev-file input[type=file]").set_input_files(str(pdf))
    unit.locator("form.ev-file").get_by_role("button", name="Đính kèm tệp").click()
    expect(unit.get_by_role("link", name="van-ban-xin-loi.pdf")).to_be_visible()
    unit.get_by_label("Điểm đề xuất").fill("2,5")
    unit.get_by_role("button", name="Gửi bộ phận điều phối").click()
    expect(unit.locator("dl.facts")).to_contain_text("Chờ điều phối xem xét")
    expect(unit.locator("#proposed")).to_have_text("2,5")
    shot("unit-proposed")
    context.close()

    # The coordinator compiles the points, then records the city's appraisal from Excel.
    page.goto(f"{server.url}{ITEM}")
    page.get_by_role("button", name="Tổng hợp điểm").click()
    expect(page.locator("#self-points")).to_have_text("2,5")
    page.goto(f"{server.url}/chi-so-cchc/2025")
    expect(page.locator(".cards")).to_contain_text("2,5 / 100 × 100 = 2,50")
    sheet = str(tmp_path / "tham-dinh.xlsx")  # type: ignore[operator]
    _appraisal_xlsx(sheet)
    page.locator("#par-appraisal input[type=file]").set_input_files(sheet)
    page.get_by_role("button", name="Nhập kết quả thẩm định").click()
    expect(page.locator("#par-appraisal")).to_contain_text("2 tiêu chí mới có điểm")
    page.reload()
    expect(page.locator(".cards")).to_contain_text("10,5 / 100 × 100 = 10,50")
    area3 = page.locator("table.data tr", has_text="Cải cách thủ tục hành chính").first
    expect(area3).to_contain_text("-0,5")
    expect(page.locator("#chances")).to_contain_text("3.1")
    page.evaluate("window.scrollTo(0, 0)")
    shot("appraised")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải bảng tự chấm (Excel)").click()
    assert download.value.suggested_filename == "tu-danh-gia-cchc-2025.xlsx"
