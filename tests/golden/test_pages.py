"""The golden month as the dashboard ``/scores`` and the ``/completeness`` page show it.

Numbers are read from the HTML with a regular expression and compared with the hand-computed
table to the decimals the page shows (Vietnamese decimal comma; dots for thousands tolerated).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.golden.conftest import (
    COMPLETENESS,
    EXPECTED_AREAS,
    EXPECTED_UNITS,
    NUMBER,
    PERIOD,
    UNIT_FIGURES,
    WARD_INDICATORS,
    WARD_SCORE,
    shows,
)
from tests.scores.conftest import browser_for


@pytest.fixture
def viewer(
    application: FastAPI, month: TestClient, clean_db: Engine, clock: FixedClock
) -> Iterator[TestClient]:
    with browser_for(application, clean_db, clock, username="lanh.dao", role="viewer") as client:
        yield client


def _cells(row_html: str) -> list[str]:
    """The text of each cell of a table row, tags stripped."""
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row_html, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", " ", c)).strip() for c in cells]


def _row(page: str, row_id: str) -> list[str]:
    found = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, flags=re.S)
    assert found, f"no row {row_id}"
    return _cells(found.group(1))


def _number(text: str) -> str:
    found = re.search(NUMBER, text)
    assert found, f"no number in {text!r}"
    return found.group(0)


def test_the_dashboard_shows_the_hand_computed_month(viewer: TestClient) -> None:
    resp = viewer.get("/scores", params={"period": PERIOD})
    assert resp.status_code == 200
    page = resp.text
    for code, want in EXPECTED_UNITS.items():
        rank, _name, score, band, tasks, coverage, indicators, *_ = _row(page, f"unit-{code}")
        figures = UNIT_FIGURES[code]
        assert rank == str(want["rank"]), code
        assert shows(_number(score), want["score"]), (code, score)
        assert band == want["band"], code
        assert shows(_number(tasks), 100 * figures["tasks"]), (code, tasks)
        assert shows(_number(indicators), 100 * figures["indicator_mean"]), (code, indicators)
        assert coverage.replace(" ", "").startswith(f"{figures['reported']}/{figures['expected']}")
    for code, (value, _, _) in WARD_INDICATORS.items():
        shown = _row(page, f"ind-{code}")[2]
        assert shows(_number(shown), value), (code, shown)
    for position, (code, percent) in enumerate(EXPECTED_AREAS.items(), start=1):
        found = re.search(rf"Vì sao\? {position}\. [^<]*?: ({NUMBER})%", page)
        assert found, code
        assert shows(found.group(1), percent), (code, found.group(1))
    ward = re.search(
        rf'<span class="figure">({NUMBER})</span>\s*<span class="caption">điểm bình quân', page
    )
    assert ward and shows(ward.group(1), WARD_SCORE)


def test_the_completeness_page_counts_october_only(viewer: TestClient) -> None:
    resp = viewer.get("/completeness")
    assert resp.status_code == 200
    totals = re.search(r'<ul class="stats" id="totals">(.*?)</ul>', resp.text, flags=re.S)
    assert totals
    text = html.unescape(re.sub(r"<[^>]+>", "", totals.group(1)))
    found: dict[str, re.Match[str]] = {}
    for label in ("Phải nộp", "Đã nhận", "Đúng hạn", "Trễ hạn", "Đã duyệt"):
        match = re.search(rf"{label}: ({NUMBER})(?: \(({NUMBER})%\))?", text)
        assert match, (label, text)
        found[label] = match
    assert shows(found["Phải nộp"].group(1), COMPLETENESS["expected"])
    assert shows(found["Đã nhận"].group(1), COMPLETENESS["received"])
    assert shows(found["Đã nhận"].group(2), COMPLETENESS["received_rate"])
    assert shows(found["Đúng hạn"].group(1), COMPLETENESS["on_time"])
    assert shows(found["Đúng hạn"].group(2), COMPLETENESS["on_time_rate"])
    assert shows(found["Trễ hạn"].group(1), COMPLETENESS["late"])
    assert shows(found["Đã duyệt"].group(1), COMPLETENESS["approved"])
