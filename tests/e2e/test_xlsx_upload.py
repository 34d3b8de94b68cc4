"""An administrator uploads an Excel workbook with a wrong row: the grouped errors name Excel's row
in Vietnamese, a dry run creates nothing, and the fixed workbook imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.kpis.models import Reading
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login

pytestmark = pytest.mark.e2e


def workbook(path: Path, unit_of_second_row: str) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["Số liệu chỉ tiêu tháng 10/2025"])
    sheet.append(["Mã chỉ tiêu", "Đơn vị", "Kỳ báo cáo", "Giá trị (%)"])
    sheet.append(["online_dossier", "ttpvhcc", "2025-10", 81.5])
    sheet.append(["online_dossier", unit_of_second_row, "2025-10", 90])
    book.save(path)
    return path


def test_an_officer_uploads_a_workbook(
    server: LiveServer,
    page: Page,
    shot: Shots,
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    make_user(clean_db, clock, username="quan.tri", role="admin", password="mat-khau-dung-1")
    login(page, server.url, "quan.tri", "mat-khau-dung-1")
    page.goto(f"{server.url}/imports")
    page.get_by_label("Tệp dữ liệu").set_input_files(str(workbook(tmp_path / "sai.xlsx", "vpx")))
    page.get_by_role("button", name="Gửi tệp").click()
    groups = page.locator("#error-groups")
    expect(groups).to_contain_text("Không có đơn vị")
    expect(groups).to_contain_text("dòng 4")  # Excel's row: title, header, then data
    expect(page.locator("#error-rows")).to_contain_text("Dòng 4")
    expect(page.locator("#would-have")).to_contain_text("tạo mới 1")
    expect(page.locator("#download-errors")).to_be_visible()
    shot("xlsx-refused")
    with Session(clean_db) as session:
        assert session.exec(select(func.count()).select_from(Reading)).one() == 0

    page.get_by_label("Tệp dữ liệu").set_input_files(str(workbook(tmp_path / "dung.xlsx", "vp")))
    page.get_by_role("button", name="Gửi tệp").click()
    expect(page.locator("#count-created")).to_have_text("2")
    shot("xlsx-imported")
    with Session(clean_db) as session:
        assert session.exec(select(func.count()).select_from(Reading)).one() == 2
