"""The dashboard pages: full pages, htmx fragments, "Vì sao?" panels, errors, access."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.scores.conftest import browser_for

PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.fixture
def viewer(
    application: FastAPI, ward: TestClient, clean_db: Engine, clock: FixedClock
) -> Iterator[TestClient]:
    with browser_for(application, clean_db, clock, username="lanh.dao", role="viewer") as client:
        yield client


@pytest.fixture
def reporter(
    application: FastAPI, ward: TestClient, clean_db: Engine, clock: FixedClock
) -> Iterator[TestClient]:
    with browser_for(
        application, clean_db, clock, username="bc.vp", role="reporter", unit="vp"
    ) as client:
        yield client


def no_inline_styles(html: str) -> None:
    assert " style=" not in html and "<style" not in html and "<script>" not in html


def test_overview_full_page(viewer: TestClient) -> None:
    resp = viewer.get("/scores", params={"period": "2025-10"})
    assert resp.status_code == 200
    html = resp.text
    assert "<html" in html and '/static/scores.css"' in html
    assert "Điểm CCHC toàn phường — Tháng 10/2025" in html
    assert "3/15" in html and "chỉ tiêu đạt" in html  # targets met out of total
    assert "1/5" in html and "đơn vị nộp báo cáo đúng hạn" in html
    assert "59,29" in html and "50,63" in html  # vp and ttpvhcc, decimal commas
    assert "Hoàn thành nhiệm vụ" in html and "Không hoàn thành nhiệm vụ" in html  # vhxh: 0
    # Coverage beside every score, and how firm each figure is.
    assert 'title="Đã báo cáo 3 trên 47 nhiệm vụ phải báo cáo">3/47<' in html
    assert "0/54" in html  # vhxh reported nothing
    assert '<span class="data-state data-state-submitted">Chờ duyệt</span>' in html
    assert '<span class="data-state data-state-draft">Chưa gửi</span>' in html
    assert "0 đơn vị đã duyệt · 2 chờ duyệt · 3 chưa gửi" in html
    assert '<option value="approved">Chỉ báo cáo đã duyệt</option>' in html
    assert (
        "✓</span> Đạt" in html and "!</span> Gần đạt" in html and "–</span> Chưa có số liệu" in html
    )
    assert html.count('class="sparkline"') == 4  # the indicators with data draw a line
    assert 'class="bar-chart"' in html and "11,1%" in html  # par3 in the areas chart
    assert "Nhiệm vụ quá hạn" in html and "20/10/2025" in html
    assert 'hx-get="/scores/units/vp/why?period=2025-10"' in html
    assert 'href="/scores/units/vp?period=2025-10#vi-sao"' in html  # works without JavaScript
    no_inline_styles(html)
    assert "HX-Request" in resp.headers["Vary"]


def test_overview_fragment_is_only_the_body(viewer: TestClient) -> None:
    resp = viewer.get("/scores", params={"period": "2025-10"}, headers=PARTIAL)
    assert resp.status_code == 200
    assert "<html" not in resp.text and 'id="scores-body"' not in resp.text
    assert resp.text.lstrip().startswith("<h1>Điểm CCHC toàn phường — Tháng 10/2025</h1>")


def test_a_period_without_data_says_so(viewer: TestClient) -> None:
    html = viewer.get("/scores", params={"period": "2025-11"}).text
    assert "Kỳ này chưa có số liệu" in html and "chưa chấm" in html


def test_bad_period_is_422_page_and_fragment(viewer: TestClient) -> None:
    full = viewer.get("/scores", params={"period": "2025-13"})
    assert (
        full.status_code == 422 and "<html" in full.text and "tháng phải từ 01 đến 12" in full.text
    )
    part = viewer.get("/scores", params={"period": "2026-Q1"}, headers=PARTIAL)
    assert part.status_code == 422 and "<html" not in part.text and "chưa bắt đầu" in part.text


def test_unit_why_fragment_opens_the_breakdown_in_place(viewer: TestClient) -> None:
    resp = viewer.get("/scores/units/vp/why", params={"period": "2025-10"}, headers=PARTIAL)
    assert resp.status_code == 200 and "<html" not in resp.text
    html = resp.text
    assert "Vì sao VP HĐND-UBND được 59,29 điểm (Tháng 10/2025)?" in html
    assert "40 × 0,035 + 40 × 0,947 + 20 × 1,000 = 59,29" in html
    assert "(1 + 0,6 + 44 × 0 (chưa báo cáo)) / 46 = 0,035" in html
    assert "đang thực hiện 60% = 0,600" in html and "chưa báo cáo = 0" in html
    assert "đã báo cáo 3/47 nhiệm vụ phải báo cáo" in html
    assert "✗ quá hạn" in html and "Hạng 1/5" in html
    assert re.search(r"<strong>59,29</strong>", html)  # the components add up to the score
    no_inline_styles(html)


def test_why_without_javascript_goes_to_the_full_page(viewer: TestClient) -> None:
    resp = viewer.get("/scores/units/vp/why", params={"period": "2025-10"}, follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/scores/units/vp?period=2025-10#vi-sao"


def test_unit_page_has_its_trend_and_areas(viewer: TestClient) -> None:
    resp = viewer.get("/scores/units/ttpvhcc", params={"period": "2025-10"})
    assert resp.status_code == 200
    html = resp.text
    assert "Trung tâm Phục vụ hành chính công — Tháng 10/2025" in html
    assert 'class="line-chart"' in html and "T10/25" in html
    assert 'class="bar-chart"' in html
    assert 'id="vi-sao"' in html and "nộp trễ hạn" in html
    assert "kém nhất trong 2 lĩnh vực" in html
    part = viewer.get("/scores/units/ttpvhcc", params={"period": "2025-10"}, headers=PARTIAL)
    assert part.text.lstrip().startswith("<h1>")


def test_indicator_page_and_why(viewer: TestClient) -> None:
    resp = viewer.get("/scores/indicators/tthc_ontime", params={"period": "2025-10"})
    assert resp.status_code == 200
    html = resp.text
    assert "Mục tiêu ≥ 98%" in html and "trong từng lĩnh vực" in html
    assert 'class="line-chart"' in html and 'class="target"' in html
    assert "Đất đai" in html and "(kém nhất)" in html
    assert "tử số / mẫu số = 99 / 100 × 100 = 99 (1 đơn vị)" in html
    why = viewer.get(
        "/scores/indicators/complaint_ontime/why", params={"period": "2025-10"}, headers=PARTIAL
    )
    assert why.status_code == 200 and "<html" not in why.text
    assert "Σ tử số / Σ mẫu số = 190 / 200 × 100 = 95 (2 đơn vị)" in why.text
    assert "UBMTTQ" in why.text and "VP HĐND-UBND" in why.text


def test_unknown_indicator_is_a_404_page(viewer: TestClient) -> None:
    resp = viewer.get("/scores/indicators/khong-co")
    assert resp.status_code == 404 and "Không có chỉ tiêu" in resp.text


def test_reporters_are_sent_to_their_own_unit(reporter: TestClient) -> None:
    resp = reporter.get("/scores", params={"period": "2025-10"}, follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/scores/units/vp?period=2025-10"
    own = reporter.get("/scores/units/vp", params={"period": "2025-10"})
    assert own.status_code == 200 and "Bảng điểm toàn phường" not in own.text
    assert reporter.get("/scores/units/ttpvhcc").status_code == 403


def test_pages_need_a_session(anon: TestClient, seeded: Session) -> None:
    resp = anon.get("/scores", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=/scores")


def test_the_areas_why_names_targets_and_quotes_tasks(viewer: TestClient) -> None:
    html = viewer.get("/scores", params={"period": "2025-10"}).text
    items = re.findall(r'<details class="area-why">.*?</details>', html, re.S)
    assert len(items) == 8
    lines = [li for block in items for li in re.findall(r"<li>(.*?)</li>", block, re.S)]
    assert any(li.startswith("Chỉ tiêu “Tỷ lệ hồ sơ TTHC giải quyết đúng hạn”: ") for li in lines)
    assert not [li for li in lines if re.match(r"Chỉ tiêu [a-z_]+:", li)]  # no code where a name is
    task = next(li for li in lines if li.startswith("Nhiệm vụ II.1.1.1 "))
    assert '<span class="muted">Tiếp tục triển khai thực hiện hiệu quả Kế hoạch' in task


def test_a_units_indicator_page_names_the_unit(viewer: TestClient) -> None:
    resp = viewer.get(
        "/scores/indicators/tthc_ontime", params={"period": "2025-10", "unit": "ttpvhcc"}
    )
    assert resp.status_code == 200
    heading = re.search(r"<h1>(.*?)</h1>", resp.text, re.S)
    assert heading and heading.group(1) == (
        "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn — Trung tâm Phục vụ hành chính công — Tháng 10/2025"
    )
    title = re.search(r"<title>(.*?)</title>", resp.text, re.S)
    assert title and "Trung tâm Phục vụ hành chính công" in title.group(1)
    assert "ttpvhcc" not in title.group(1)
    assert "← Điểm của Trung tâm Phục vụ hành chính công</a>" in resp.text
    assert "đơn vị ttpvhcc" not in resp.text
