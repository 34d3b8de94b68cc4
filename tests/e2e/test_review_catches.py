"""Issue 19 end to end, in the browser: the review catches what is wrong before approval.

A reporter attaches a PDF as the product a task names and marks it done, reports on a task it
leads with a coordinating unit, types a volume ten times the other units' (``1.180`` for about
``118``), and sends. The coordinating unit confirms its part from its own workspace. The
coordinator sees the confirmation, the file and the outlier with its reason, cannot approve
without a comment, then approves with one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.kpis.models import ReadingWrite
from app.kpis.readings import upsert_reading
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.progress.evidence_helpers import PDF

pytestmark = pytest.mark.e2e

PASSWORD = "mat-khau-thu-nghiem"
WS = "/units/ttpvhcc/periods/2025-10"
REVIEW = "/review/ttpvhcc/2025-10"
#: The other units' volume of dossiers for the same indicator and month: a median of 50.
PEERS = {"vp": (40, 48), "vhxh": (42, 50), "kthtdt": (45, 50), "mttq": (40, 52)}
COMMENT = "Đã gọi điện: TTPVHCC tính cả hồ sơ liên thông, số 1.180 là đúng."


def save(page: Page, row: str) -> None:
    page.locator(row).get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator(f"{row} .saved")).to_be_visible()


def new_tab(browser: Browser) -> Page:
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def test_a_review_that_catches_what_is_wrong(
    server: LiveServer,
    page: Page,
    browser: Browser,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: Session,
    tmp_path: Path,
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    make_user(clean_db, clock, username="bc.vhxh", role="reporter", unit="vhxh")
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    for unit, (numerator, denominator) in PEERS.items():
        upsert_reading(
            db_session=seeded,
            actor=SYSTEM,
            clock=clock,
            data=ReadingWrite.model_validate(
                {
                    "indicator": "online_dossier",
                    "unit": unit,
                    "period": "2025-10",
                    "numerator": numerator,
                    "denominator": denominator,
                }
            ),
        )

    # The reporter: a product with its file, a task shared with VH-XH, a figure, then send.
    login(page, server.url, "bc.ttpv", PASSWORD)
    page.goto(f"{server.url}{WS}")
    pdf = tmp_path / "Kế hoạch giải ngân 2025.pdf"
    pdf.write_bytes(PDF)
    evidence = page.locator("#ev-task-II-1-6-1")
    evidence.locator("input[type=file]").set_input_files(str(pdf))
    evidence.get_by_role("button", name="Đính kèm").click()
    expect(page.locator("#ev-task-II-1-6-1")).to_contain_text("Kế hoạch giải ngân 2025.pdf")
    product = page.locator("#task-II-1-6-1")
    product.locator("select[name=status]").select_option("done")
    product.locator("textarea[name=result]").fill("Đã ban hành kế hoạch giải ngân năm 2025.")
    save(page, "#task-II-1-6-1")

    shared = page.locator("#task-II-2-3-4")
    shared.locator("select[name=status]").select_option("in_progress")
    shared.locator("input[name=percent_complete]").fill("60")
    shared.locator("textarea[name=result]").fill("Đã rà soát 12 quy trình nội bộ cùng VH-XH.")
    save(page, "#task-II-2-3-4")
    expect(page.locator("#coord-answers-II-2-3-4")).to_contain_text("chưa trả lời")

    kpi = page.locator("#kpi-online_dossier")
    kpi.locator("input[name=numerator]").fill("1.000")
    kpi.locator("input[name=denominator]").fill("1.180")
    save(page, "#kpi-online_dossier")
    shot("reporter-before-sending")
    page.locator("#task-II-1-6-1").screenshot(path=str(shot.folder / "evidence-row.png"))
    page.goto(f"{server.url}{WS}/submit")
    page.get_by_role("button", name="Xác nhận gửi báo cáo").click()
    expect(page.get_by_text("Đã gửi báo cáo.")).to_be_visible()

    # The coordinating unit confirms its part from its own workspace.
    partner = new_tab(browser)
    login(partner, server.url, "bc.vhxh", PASSWORD)
    partner.goto(f"{server.url}/units/vhxh/periods/2025-10")
    item = partner.locator("#coord-II-2-3-4")
    expect(item).to_contain_text("Đã rà soát 12 quy trình nội bộ cùng VH-XH.")
    item.get_by_role("button", name="Xác nhận").click()
    expect(partner.locator("#coord-II-2-3-4")).to_contain_text("đã xác nhận")
    partner.locator("#coordinating").screenshot(path=str(shot.folder / "partner-confirmed.png"))
    partner.context.close()

    # The coordinator: the confirmation, the file, the outlier and why; approval needs a comment.
    reviewer = new_tab(browser)
    login(reviewer, server.url, "dp.vhxh", PASSWORD)
    expect(reviewer.locator("#home-queue")).to_contain_text("⚠ 1 cảnh báo")
    reviewer.goto(f"{server.url}/review")
    expect(reviewer.locator("td.flag-count")).to_contain_text("1")
    reviewer.goto(f"{server.url}{REVIEW}")
    expect(reviewer.locator("#coord-summary")).to_contain_text("1 đã xác nhận")
    expect(reviewer.locator("#coord-answers-II-2-3-4")).to_contain_text("đã xác nhận")
    link = reviewer.get_by_role("link", name="Kế hoạch giải ngân 2025.pdf")
    download = reviewer.request.get(f"{server.url}{link.get_attribute('href')}")
    assert download.status == 200 and download.body() == PDF
    flags = reviewer.locator("#review-flags .flag")
    expect(flags).to_have_count(1)
    expect(flags.first).to_contain_text(
        "Mẫu số 1.180: gấp 23,6 lần trung vị của 4 đơn vị khác cùng kỳ (50)"
    )
    reviewer.locator("#review-flags").screenshot(path=str(shot.folder / "review-flags.png"))

    approve = reviewer.get_by_role("button", name=re.compile("Duyệt báo cáo"))
    approve.click()
    expect(reviewer.locator("#comment-error")).to_have_text(
        "Báo cáo còn 1 cảnh báo; hãy ghi nhận xét khi duyệt."
    )
    reviewer.locator("#comment").fill(COMMENT)
    reviewer.get_by_role("button", name=re.compile("Duyệt báo cáo")).click()
    expect(reviewer.locator("#done")).to_contain_text("Đã duyệt báo cáo Tháng 10/2025")
    reviewer.goto(f"{server.url}{REVIEW}")
    expect(reviewer.locator("#review-history")).to_contain_text(COMMENT)
    reviewer.screenshot(path=str(shot.folder / "approved-with-comment.png"), full_page=True)
    reviewer.context.close()
