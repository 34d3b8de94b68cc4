"""An administrator uploads a file of readings: the bar shows the upload, then the summary, the
rejected row and its download appear in place, and the accepted rows are in the database."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.kpis.models import Domain, Reading
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login

pytestmark = pytest.mark.e2e

#: Enough bytes that, at the throttled speed below, the upload takes a few seconds.
NOTE = "Số liệu trích từ hệ thống một cửa điện tử của phường, đã đối chiếu sổ theo dõi. " * 45


def readings_file(domains: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["indicator", "unit", "period", "domain", "value", "note"])
    for period in ("2025-10", "2025-11"):
        for unit in ("ttpvhcc", "vp", "vhxh"):
            for domain in domains:
                writer.writerow(["tthc_ontime", unit, period, domain, "98.5", NOTE])
    writer.writerow(["online_dossier", "ttpvhcc", "2025-10", "", "150", ""])  # above 100%
    return out.getvalue()


def test_the_upload_shows_its_progress_then_the_summary_and_the_rejected_row(
    server: LiveServer,
    page: Page,
    shot: Shots,
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    domains = list(seeded.exec(select(Domain.code).where(Domain.active)))
    body = readings_file(domains)
    rows = len(domains) * 6
    file = tmp_path / "so-lieu-thang-10-11.csv"
    file.write_text(body, encoding="utf-8")
    assert file.stat().st_size > 400_000
    make_user(clean_db, clock, username="quan.tri", role="admin", password="mat-khau-dung-1")
    login(page, server.url, "quan.tri", "mat-khau-dung-1")

    page.goto(f"{server.url}/imports")
    expect(page.get_by_role("heading", name="Nhập dữ liệu hàng loạt")).to_be_visible()
    # Throttle the upload so the bar has something to show (about 2 MB/s takes a few
    # tenths of a second per 500 KB; 150 KB/s takes several seconds).
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": -1,
            "uploadThroughput": 150 * 1024,
        },
    )
    # Every value the bar takes, as the officer would see it change.
    page.evaluate(
        """() => {
          window.barValues = [];
          const bar = document.getElementById('import-progress');
          new MutationObserver(() => window.barValues.push(bar.value))
            .observe(bar, {attributes: true, childList: true, characterData: true, subtree: true});
        }"""
    )
    page.get_by_label("Loại dữ liệu").select_option("readings")
    page.get_by_label("Tệp dữ liệu").set_input_files(str(file))
    page.get_by_label("Ghi các dòng hợp lệ, bỏ qua dòng lỗi").check()
    page.get_by_role("button", name="Gửi tệp").click()

    progress = page.locator("#import-progress")
    expect(progress).to_be_visible()
    button = page.get_by_role("button", name="Gửi tệp")
    expect(button).to_be_disabled()
    assert button.evaluate("b => getComputedStyle(b).opacity") == "0.55"  # visibly waiting
    page.wait_for_function(
        "() => { const v = document.getElementById('import-progress').value;"
        " return v > 0 && v < 100; }"
    )
    expect(page.locator("#import-progress-text")).to_contain_text("Đã gửi")
    shot("uploading")

    summary = page.locator(".import-summary")
    expect(summary).to_be_visible(timeout=60_000)
    expect(page.locator("#import-progress-text")).to_have_text("Hoàn tất.")
    expect(page.locator("#count-created")).to_have_text(str(rows))
    expect(page.locator("#count-rejected")).to_have_text("1")
    row = page.locator("#error-rows tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"Dòng {rows + 2}")  # Excel's row: the header is row 1
    expect(row).to_contain_text("Tỷ lệ phải từ 0 đến 100%")
    expect(row.locator("td").nth(1)).to_have_text("Giá trị (%)")  # its label, not "value"
    shot("summary")

    values = page.evaluate("window.barValues")
    assert any(0 < v < 100 for v in values) and values[-1] == 100, values
    assert values == sorted(values), values  # the bar only moves forward

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải các dòng bị từ chối").click()
    rejected = Path(download.value.path()).read_text(encoding="utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(rejected)))
    assert len(lines) == 1 and lines[0]["value"] == "150"
    assert "Tỷ lệ phải từ 0 đến 100%" in lines[0]["_errors"]

    with Session(clean_db) as session:
        stored = session.exec(select(func.count()).select_from(Reading)).one()
    assert stored == rows
