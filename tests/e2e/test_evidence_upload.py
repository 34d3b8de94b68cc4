"""An officer attaches a PDF to a task in the workspace, and what was typed in the row stays."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.progress.evidence_helpers import PDF, PRODUCT

pytestmark = pytest.mark.e2e

WS = "/units/ttpvhcc/periods/2025-10"
ROW = "#task-II-1-6-1"
PART = "#ev-task-II-1-6-1"


def test_a_pdf_attached_without_losing_the_rows_text_then_done_is_saved(
    server: LiveServer,
    page: Page,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: object,
    tmp_path: Path,
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    login(page, server.url, "bc.ttpv", "mat-khau-thu-nghiem")
    page.goto(f"{server.url}{WS}")
    row = page.locator(ROW)
    row.locator("select[name=status]").select_option("done")
    row.locator("textarea[name=result]").fill("Đã ban hành kế hoạch giải ngân năm 2025.")
    row.get_by_role("button", name="Lưu", exact=True).click()
    expect(row.locator(".field-error").first).to_contain_text(PRODUCT)
    shot("done-asks-for-evidence")

    pdf = tmp_path / "Kế hoạch giải ngân.pdf"
    pdf.write_bytes(PDF)
    part = page.locator(PART)
    part.locator("input[type=file]").set_input_files(str(pdf))
    part.get_by_role("button", name="Đính kèm").click()
    expect(page.locator(PART)).to_contain_text("Kế hoạch giải ngân.pdf")
    # the row's unsaved answer is still there, as typed
    expect(row.locator("textarea[name=result]")).to_have_value(
        "Đã ban hành kế hoạch giải ngân năm 2025."
    )
    shot("pdf-attached")

    row.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator(f"{ROW} .saved")).to_be_visible()
    link = page.locator(PART).get_by_role("link", name="Kế hoạch giải ngân.pdf")
    answer = page.request.get(f"{server.url}{link.get_attribute('href')}")
    assert answer.status == 200 and answer.body() == PDF
