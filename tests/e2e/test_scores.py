"""A committee member opens the score dashboard, its charts, a "Vì sao?" panel and a unit page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.scores.conftest import build_ward

pytestmark = pytest.mark.e2e


def test_dashboard_charts_and_why_panel(
    server: LiveServer,
    page: Page,
    shot: Shots,
    api: TestClient,
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
) -> None:
    build_ward(api, seeded, clock)
    make_user(clean_db, clock, username="lanh.dao", role="viewer", password="mat-khau-dung-1")
    login(page, server.url, "lanh.dao", "mat-khau-dung-1")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{server.url}/scores?period=2025-10")
    expect(
        page.get_by_role("heading", name="Điểm CCHC toàn phường — Tháng 10/2025")
    ).to_be_visible()
    expect(page.locator("svg.bar-chart")).to_be_visible()
    expect(page.locator("svg.sparkline").first).to_be_visible()
    assert page.locator("svg.sparkline").count() == 4
    expect(page.locator("#unit-vp")).to_contain_text("59,29")
    expect(page.locator("#unit-vp")).to_contain_text("3/47")  # coverage beside the score
    expect(page.locator("#unit-vp")).to_contain_text("Chờ duyệt")
    shot("overview")

    page.locator("#unit-vp").get_by_role("link", name="Vì sao?").click()
    panel = page.locator("#why-unit-vp")
    expect(panel).to_contain_text("Vì sao VP HĐND-UBND được 59,29 điểm")
    expect(panel).to_contain_text("40 × 0,035 + 40 × 0,947 + 20 × 1,000 = 59,29")
    expect(page).to_have_url(f"{server.url}/scores?period=2025-10")  # opened in place
    shot("why-panel")

    page.get_by_label("Kỳ báo cáo").select_option("2025-11")
    expect(
        page.get_by_role("heading", name="Điểm CCHC toàn phường — Tháng 11/2025")
    ).to_be_visible()
    expect(page.get_by_text("Kỳ này chưa có số liệu")).to_be_visible()
    shot("no-data-period")

    page.goto(f"{server.url}/scores/units/ttpvhcc?period=2025-10")
    expect(page.locator("svg.line-chart")).to_be_visible()
    expect(page.locator("#vi-sao")).to_contain_text("kém nhất trong 2 lĩnh vực")
    shot("unit-page")

    page.goto(f"{server.url}/scores/indicators/tthc_ontime?period=2025-10")
    expect(page.locator("svg.line-chart line.target")).to_have_count(1)
    shot("indicator-page")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors

    # On a phone the ranking is one card per unit, every figure labelled, no sideways scroll.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/scores?period=2025-10")
    card = page.locator("#unit-vp")
    expect(card.locator("td.unit-name")).to_have_text("VP HĐND-UBND")
    score = card.locator("td.score")
    assert score.evaluate("e => getComputedStyle(e, '::before').content") == '"Điểm"'
    box = card.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => !e.closest('.table-wrap'))"
        ".filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)"
    )
    assert not wide, wide
    card.scroll_into_view_if_needed()
    shot("ranking-phone")
