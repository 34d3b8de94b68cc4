"""The upload page: full page, htmx fragment, 422 with every rejected row and their download."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_user
from tests.uploads.conftest import counts

#: A coordinator writes data for its own unit (Phòng VH-XH), as the permission table says.
GOOD = "indicator,unit,period,value\nplan_targets_completed,vhxh,2025-10,81\n"
BAD = GOOD + "plan_targets_completed,vhxh,2025-11,120\nty_le_x,vhxh,2025-10,5\n"


@pytest.fixture
def coordinator(application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock):
    make_user(clean_db, clock, username="dieu.phoi", role="coordinator", unit="vhxh")
    with TestClient(application) as browser:
        assert login(browser, "dieu.phoi").status_code == 303
        yield browser


def csrf(browser: TestClient) -> str:
    return hidden(browser.get("/imports").text, "csrf_token")


def test_the_page_offers_the_form_and_the_templates(coordinator: TestClient) -> None:
    page = coordinator.get("/imports")
    assert page.status_code == 200
    assert "Nhập dữ liệu hàng loạt" in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert "/api/v1/imports/templates/dossiers.csv" in page.text
    assert "/static/integration.js" in page.text
    assert "style=" not in page.text  # the CSP allows no inline styles


def test_a_plain_form_post_gets_the_whole_page_with_the_summary(
    coordinator: TestClient, clean_db: Engine
) -> None:
    resp = coordinator.post(
        "/imports",
        data={"kind": "readings", "csrf_token": csrf(coordinator)},
        files={"file": ("so-lieu.csv", GOOD.encode(), "text/csv")},
    )
    assert resp.status_code == 200
    assert "<html" in resp.text and "Kết quả nhập" in resp.text
    assert re.search(r'id="count-created">1<', resp.text)
    assert counts(clean_db)["Reading"] == 1


def test_htmx_gets_the_fragment_and_422_lists_every_rejected_row(
    coordinator: TestClient, clean_db: Engine
) -> None:
    resp = coordinator.post(
        "/imports",
        data={"kind": "readings"},
        files={"file": ("so-lieu.csv", BAD.encode(), "text/csv")},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf(coordinator)},
    )
    assert resp.status_code == 422
    assert "<html" not in resp.text
    assert "Không ghi dòng nào" in resp.text
    assert "Tỷ lệ phải từ 0 đến 100%." in resp.text and "ty_le_x" in resp.text
    assert counts(clean_db)["Reading"] == 0
    link = re.search(r'href="(/imports/reports/[^"]+/dong-bi-tu-choi.csv)"', resp.text)
    assert link
    download = coordinator.get(link.group(1))
    assert download.status_code == 200
    rejected = download.content.decode("utf-8")
    lines = rejected.removeprefix("\ufeff").splitlines()
    assert lines[0].startswith("_dong,") and lines[0].endswith(",_errors") and len(lines) == 3
    assert "value: Tỷ lệ phải từ 0 đến 100%." in lines[1]
    fixed = rejected.replace(",120,", ",99,").replace("ty_le_x", "plan_targets_completed")
    fixed = fixed.replace("vhxh,2025-10,,5", "vhxh,2025-11,,5").replace(
        "2025-11,,99", "2025-10,,99"
    )
    again = coordinator.post(
        "/imports",
        data={"kind": "readings", "partial": "on"},
        files={"file": ("sua.csv", fixed.encode("utf-8"), "text/csv")},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf(coordinator)},
    )
    assert again.status_code == 200, again.text
    assert re.search(r'id="count-created">2<', again.text)


def test_a_dry_run_from_the_page_writes_nothing(coordinator: TestClient, clean_db: Engine) -> None:
    resp = coordinator.post(
        "/imports",
        data={"kind": "readings", "dry_run": "on"},
        files={"file": ("so-lieu.csv", GOOD.encode(), "text/csv")},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf(coordinator)},
    )
    assert resp.status_code == 200 and "Kết quả chạy thử" in resp.text
    assert counts(clean_db)["Reading"] == 0


def test_reporters_are_sent_to_the_api_instead(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="bc.mc", role="reporter", unit="ttpvhcc")
    with TestClient(application) as browser:
        login(browser, "bc.mc")
        resp = browser.get("/imports")
        assert resp.status_code == 403
        assert "bộ phận điều phối" in resp.text


def test_a_post_without_csrf_is_refused(coordinator: TestClient, clean_db: Engine) -> None:
    resp = coordinator.post(
        "/imports",
        data={"kind": "readings"},
        files={"file": ("so-lieu.csv", GOOD.encode(), "text/csv")},
    )
    assert resp.status_code == 403
    assert counts(clean_db)["Reading"] == 0


def test_rejected_rows_name_the_column_in_vietnamese_and_keep_codes_as_hints(
    coordinator: TestClient,
) -> None:
    resp = coordinator.post(
        "/imports",
        data={"kind": "readings"},
        files={"file": ("so-lieu.csv", BAD.encode(), "text/csv")},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf(coordinator)},
    )
    assert resp.status_code == 422
    rows = resp.text.split('id="error-rows"', 1)[1]
    assert "<th>Dòng</th><th>Cột</th><th>Lỗi</th><th>Chi tiết</th>" in rows
    assert re.search(
        r'<td title="value">[^<]*Giá trị[^<]*</td><td title="out_of_range">[^<]+</td>'
        r"<td>Tỷ lệ phải từ 0 đến 100%.</td>",
        rows,
    ), rows[:2000]
    assert re.search(r'<td title="indicator">[^<]*[Cc]hỉ tiêu[^<]*</td>', rows)
    assert "<code>value</code>" not in resp.text and "<code>out_of_range</code>" not in resp.text
