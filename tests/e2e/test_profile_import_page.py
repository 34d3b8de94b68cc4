"""The service centre sends the one-stop-shop system's export as it came (an .xlsx with the
system's own headers, dd/mm/yyyy HH:MM dates, names instead of codes, the applicant's name and
phone) on the upload page, choosing the shipped mapping profile: the dossiers go in, personal
data stays out."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import FixedClock
from app.dossiers.models import Dossier
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.imports.test_profiles import HEADERS, ROWS

pytestmark = pytest.mark.e2e


def export(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH HỒ SƠ TIẾP NHẬN THÁNG 10/2025"])
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    book.save(path)
    return path


def test_the_one_stop_shop_export_goes_in_with_its_profile(
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
    page.locator("select[name=kind]").select_option("dossiers")
    page.get_by_label("Tệp xuất từ hệ thống khác").select_option("mot-cua-hcm")
    page.get_by_label("Tệp dữ liệu").set_input_files(str(export(tmp_path / "xuat.xlsx")))
    shot("profile-chosen")
    page.get_by_role("button", name="Gửi tệp").click()
    expect(page.locator("#count-created")).to_have_text("2")
    shot("profile-imported")
    with Session(clean_db) as session:
        stored = {d.code: d for d in session.exec(select(Dossier))}
    assert set(stored) == {row[1] for row in ROWS}
    assert stored[ROWS[0][1]].channel == "online" and stored[ROWS[1][1]].channel == "direct"
    with clean_db.connect() as conn:
        raw = " ".join(str(v) for r in conn.exec_driver_sql("SELECT * FROM dossier") for v in r)
    assert "Nguyễn Văn An" not in raw and "0903123456" not in raw
