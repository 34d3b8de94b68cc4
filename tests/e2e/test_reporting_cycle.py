"""The reporting cycle in a real browser: fill, fail, fix, submit, return, resubmit, approve, lock.

Two people work at once, each in their own browser context, as they would on two office PCs.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.reporting.test_pages import rename

pytestmark = pytest.mark.e2e

WS = "/units/ttpvhcc/periods/2025-10"
PASSWORD = "mat-khau-thu-nghiem"


def counter(page: Page) -> tuple[int, int]:
    text = page.locator("#empty-counter").inner_text()
    tasks, kpis = map(int, re.findall(r"\d+", text)[:2])
    return tasks, kpis


def save(page: Page, form_id: str) -> None:
    page.locator(f"#{form_id}").get_by_role("button", name="Lưu").click()


def test_reporter_and_coordinator_run_a_month(
    server: LiveServer,
    page: Page,
    browser: Browser,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: object,
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    rename(clean_db, "dp.vhxh", "Trần Thị Phối")

    # The reporter lands on what needs action; October, overdue on 20/11/2025, comes first.
    login(page, server.url, "bc.ttpv", PASSWORD)
    expect(page).to_have_url(f"{server.url}/")
    page.locator("#home-todo .agenda-item a").first.click()
    expect(page).to_have_url(f"{server.url}{WS}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tháng 10/2025")
    expect(page.locator(".topbar .who")).to_have_text("Người dùng bc.ttpv · TTPVHCC")
    empty_tasks, empty_kpis = counter(page)
    shot("workspace")

    first = page.locator("#task-II-1-1-1")
    first.locator("select[name=status]").select_option("in_progress")
    first.locator("input[name=percent_complete]").fill("50")
    first.locator("textarea[name=result]").fill("Đã ban hành kế hoạch của đơn vị")
    save(page, "task-II-1-1-1")
    expect(page.locator("#task-II-1-1-1 .saved")).to_be_visible()

    second = page.locator("#task-II-2-3-1")
    second.locator("select[name=status]").select_option("done")
    second.locator("textarea[name=result]").fill("Đã công khai 100% TTHC")
    save(page, "task-II-2-3-1")
    expect(page.locator("#task-II-2-3-1 .saved")).to_be_visible()
    expect(page.locator("#empty-counter")).to_contain_text(f"{empty_tasks - 2} nhiệm vụ")

    kpi = page.locator("#kpi-online_dossier")
    kpi.locator("input[name=value]").fill("150")
    save(page, "kpi-online_dossier")
    expect(page.locator("#kpi-online_dossier .field-error")).to_have_text(
        "Tỷ lệ phải từ 0 đến 100%."
    )
    expect(page.locator("#kpi-online_dossier input[name=value]")).to_have_value("150")
    shot("kpi-error")
    page.locator("#kpi-online_dossier input[name=value]").fill("85,5")
    save(page, "kpi-online_dossier")
    expect(page.locator("#kpi-online_dossier .result")).to_have_text("✓ Đạt")
    expect(page.locator("#empty-counter")).to_contain_text(f"{empty_kpis - 1} chỉ tiêu")
    shot("kpi-fixed")

    page.get_by_role("link", name=re.compile("Gửi báo cáo")).click()
    expect(page.locator("#confirm-submit")).to_contain_text("chưa nhập")
    expect(page.locator("#confirm-submit")).not_to_contain_text("Nhiệm vụ II.1.1.1\n")
    shot("confirm")
    page.get_by_role("button", name="Xác nhận gửi báo cáo").click()
    expect(page.get_by_text("Đã gửi báo cáo.")).to_be_visible()

    # The coordinator, on another PC, returns it with a comment.
    other = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    coord = other.new_page()
    login(coord, server.url, "dp.vhxh", PASSWORD)
    expect(coord).to_have_url(f"{server.url}/")
    expect(coord.locator("#home-queue")).to_contain_text("Trung tâm Phục vụ hành chính công")
    coord.goto(f"{server.url}/review")
    coord.get_by_role("link", name="Xem và duyệt").click()
    expect(coord.get_by_text("Đã ban hành kế hoạch của đơn vị")).to_be_visible()
    coord.get_by_role("button", name=re.compile("Trả lại")).click()
    expect(coord.locator("#comment-error")).to_contain_text("lý do trả lại")
    coord.locator("#comment").fill("Bổ sung tỷ lệ hoàn thành nhiệm vụ II.1.1.1")
    coord.get_by_role("button", name=re.compile("Trả lại")).click()
    expect(coord).to_have_url(re.compile(r"/review\?xong=return"))
    expect(coord.get_by_text("Không có báo cáo nào đang chờ duyệt.")).to_be_visible()
    shot("returned")

    # The reporter sees the comment, changes one answer and sends it again.
    page.goto(f"{server.url}{WS}")
    expect(page.locator("#return-comment")).to_contain_text(
        "Bổ sung tỷ lệ hoàn thành nhiệm vụ II.1.1.1"
    )
    expect(page.locator("#return-comment")).to_contain_text("bởi Trần Thị Phối lúc")
    page.locator("#task-II-1-1-1 input[name=percent_complete]").fill("80")
    save(page, "task-II-1-1-1")
    expect(page.locator("#task-II-1-1-1 .saved")).to_be_visible()
    stale = page.context.new_page()  # a tab left open on the rows while the report goes on
    stale.goto(f"{server.url}{WS}")
    page.get_by_role("link", name=re.compile("Gửi báo cáo")).click()
    page.get_by_role("button", name="Xác nhận gửi báo cáo").click()
    expect(page.get_by_text("Đã gửi báo cáo.")).to_be_visible()
    page.goto(f"{server.url}{WS}")  # sent: read-only until review
    expect(page.locator("#submitted-notice")).to_be_visible()
    expect(page.locator("#task-II-2-3-1 textarea[name=result]")).to_be_disabled()

    coord.goto(f"{server.url}/review/ttpvhcc/2025-10")
    expect(coord.locator("table.compare").first).to_contain_text("80%")
    coord.get_by_role("button", name=re.compile("Duyệt báo cáo")).click()
    expect(coord).to_have_url(re.compile(r"/review\?xong=approve"))
    other.close()

    # The tab the reporter left open cannot save any more, and says why.
    stale.locator("#task-II-2-3-1 textarea[name=result]").fill("Sửa sau khi đã duyệt")
    save(stale, "task-II-2-3-1")
    refusal = stale.locator("#task-II-2-3-1 .row-error")
    expect(refusal).to_contain_text("đã được Trần Thị Phối duyệt")
    expect(refusal).to_contain_text("mở lại báo cáo")
    expect(stale.locator("#task-II-2-3-1 textarea[name=result]")).to_have_value(
        "Sửa sau khi đã duyệt"
    )
    shot("locked")
    stale.close()
    page.reload()
    expect(page.locator("#lock-notice")).to_be_visible()
    expect(page.locator("#task-II-2-3-1 textarea[name=result]")).to_be_disabled()
