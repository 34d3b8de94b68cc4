"""A coordinator previews the one-stop-shop system's workbook through the shipped mapping
profile, sees the misspelt domain with its suggestion, teaches the profile that spelling, and
previews again with every row read."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.imports.test_profiles import HEADERS

pytestmark = pytest.mark.e2e


def export_workbook(path: Path) -> None:
    """As the system exports it: a title row, Vietnamese headers, personal data, real dates."""
    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH HỒ SƠ TIẾP NHẬN THÁNG 10/2025"])
    sheet.append(HEADERS)
    sheet.append(
        [
            1,
            "000.00.12.H29-251003-0001",
            "Đăng ký khai sinh",
            "Hộ tịch",
            "Nguyễn Văn An",
            "0903123456",
            datetime(2025, 10, 3, 8, 30),
            datetime(2025, 10, 6, 17),
            datetime(2025, 10, 6, 10, 15),
            "Trực tuyến",
            "Đã trả kết quả",
        ]
    )
    sheet.append(
        [
            2,
            "000.00.12.H29-251006-0002",
            "Chứng thực bản sao",
            "Chứng thực",
            "Trần Thị Bình",
            "0912000111",
            "06/10/2025 14:05",
            "07/10/2025 17:00",
            None,
            "Trực tiếp",
            "Đang xử lý",
        ]
    )
    sheet.append(
        [
            3,
            "000.00.12.H29-251007-0003",
            "Đăng ký kết hôn",
            "Hộ tịc",
            "Lê Văn Cường",
            "0988777666",
            "07/10/2025 09:00",
            "10/10/2025 17:00",
            None,
            "Bưu chính",
            "Đang xử lý",
        ]
    )
    book.save(path)


def test_previewing_an_export_with_the_shipped_profile(
    server: LiveServer,
    page: Page,
    shot: Shots,
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    sample = tmp_path / "danh-sach-ho-so-10-2025.xlsx"
    export_workbook(sample)
    make_user(
        clean_db,
        clock,
        username="dp.vhxh",
        role="coordinator",
        unit="vhxh",
        password="mat-khau-dung-1",
    )
    login(page, server.url, "dp.vhxh", "mat-khau-dung-1")

    page.goto(f"{server.url}/admin")
    page.get_by_role("navigation", name="Quản trị").get_by_role("link", name="Hồ sơ ánh xạ").click()
    expect(page.get_by_role("heading", name="Hồ sơ ánh xạ tệp của hệ thống khác")).to_be_visible()
    shot("danh-sach")
    page.get_by_role("link", name="mot-cua-hcm").click()
    expect(page.get_by_role("heading", name="Xem trước một tệp mẫu")).to_be_visible()

    page.get_by_label("Tệp mẫu").set_input_files(str(sample))
    page.get_by_role("button", name="Xem trước").click()
    rows = page.locator("#preview-rows")
    expect(rows).to_contain_text("03/10/2025 08:30")
    expect(rows).to_contain_text("ho-tich")
    expect(rows).to_contain_text("chung-thuc")
    expect(rows).to_contain_text("postal")
    expect(page.locator("#preview-columns")).to_contain_text("Bỏ qua, không lưu")
    expect(page.locator("#preview")).not_to_contain_text("0903123456")
    problems = page.locator("#preview-problems")
    expect(problems).to_contain_text("Ý bạn là “Hộ tịch” (ho-tich)?")
    expect(problems).to_contain_text("(1 dòng: 5)")
    shot("xem-truoc-co-loi")

    values = page.get_by_label("Giá trị: mỗi dòng “trường: giá trị trong tệp = mã của partrack”")
    values.fill(values.input_value() + "\ndomain: Hộ tịc = ho-tich")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu hồ sơ ánh xạ.")).to_be_visible()
    shot("da-luu")

    page.get_by_label("Tệp mẫu").set_input_files(str(sample))
    page.get_by_role("button", name="Xem trước").click()
    expect(page.locator("#preview")).to_contain_text("Các dòng xem trước đều đọc được.")
    expect(page.locator("#preview-problems")).to_have_count(0)
    shot("xem-truoc-hop-le")
