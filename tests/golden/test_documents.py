"""The golden month in the consolidated report: docx (python-docx), xlsx (openpyxl), PDF (pypdf).

Names of units and indicators are looked up once in the API (they are labels, not figures);
every figure is compared with the hand-computed table, to the decimals the document shows.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.golden.conftest import (
    EXPECTED_AREAS,
    EXPECTED_UNITS,
    NUMBER,
    PERIOD,
    UNIT_FIGURES,
    WARD_DOMAINS,
    WARD_INDICATORS,
    shows,
)

REPORT = "/api/v1/reports/consolidated"


def fetch(client: TestClient, fmt: str) -> bytes:
    resp = client.get(REPORT, params={"period": PERIOD, "format": fmt})
    assert resp.status_code == 200, resp.text
    return resp.content


def names(client: TestClient) -> dict[str, Any]:
    """Unit, indicator, area and domain names as the API gives them."""
    summary = client.get("/api/v1/scores", params={"period": PERIOD}).json()
    tthc = next(i for i in summary["indicators"] if i["code"] == "tthc_ontime")
    return {
        "units": {u["code"]: u["name"] for u in summary["units"]},
        "indicators": {i["code"]: i["name"] for i in summary["indicators"]},
        "areas": {a["code"]: a["name"] for a in summary["areas"]},
        "domains": {d["domain"]: d["domain_name"] for d in tthc["domains"]},
    }


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def check_text(text: str, labels: dict[str, Any]) -> None:
    """The figures of a document read as one text: areas, indicators (main table and annex),
    the per-domain rows and the ranking."""
    for code, percent in EXPECTED_AREAS.items():
        found = re.search(rf"{re.escape(labels['areas'][code])} \(mức đạt ({NUMBER})%\)", text)
        assert found, code
        assert shows(found.group(1), percent), (code, found.group(1))
    for code, (value, _, _) in WARD_INDICATORS.items():
        name = re.escape(labels["indicators"][code])
        shown = re.findall(rf"{name}(?: \(thấp nhất: [^)]*\))? ({NUMBER})%", text)
        assert len(shown) == 2, (code, shown)  # under its area, and in annex table 1
        assert all(shows(s, value) for s in shown), (code, shown)
    for domain, (value, target, _) in WARD_DOMAINS.items():
        name = re.escape(labels["domains"][domain])
        shown = re.findall(rf"– {name} ({NUMBER})% ≥ ({NUMBER})%", text)
        assert len(shown) == 2, (domain, shown)
        assert all(shows(v, value) and shows(t, target) for v, t in shown), (domain, shown)
    assert "(thấp nhất: Đất đai)" in text
    for code, want in EXPECTED_UNITS.items():
        name = re.escape(labels["units"][code])
        found = re.search(rf"(\d+) {name} ({NUMBER}) (\d+)/(\d+) nhiệm vụ ([^\d]+?nhiệm vụ)", text)
        assert found, code
        assert found.group(1) == str(want["rank"]), code
        assert shows(found.group(2), want["score"]), (code, found.group(2))
        figures = UNIT_FIGURES[code]
        assert (int(found.group(3)), int(found.group(4))) == (
            figures["reported"],
            figures["expected"],
        ), code  # coverage beside the score
        assert found.group(5).strip() == want["band"], code


def test_the_docx_shows_the_hand_computed_month(month: TestClient) -> None:
    document = Document(io.BytesIO(fetch(month, "docx")))
    parts = [p.text for p in document.paragraphs]
    parts += [" ".join(c.text for c in row.cells) for t in document.tables for row in t.rows]
    check_text(flat("\n".join(parts)), names(month))


def test_the_pdf_shows_the_hand_computed_month(month: TestClient) -> None:
    reader = PdfReader(io.BytesIO(fetch(month, "pdf")))
    check_text(flat(" ".join(page.extract_text() for page in reader.pages)), names(month))


def _sheet(book: Any, title: str) -> list[dict[str, Any]]:
    rows = list(book[title].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_xlsx_shows_the_hand_computed_month(month: TestClient) -> None:
    book = load_workbook(io.BytesIO(fetch(month, "xlsx")))
    ranking = {r["Mã"]: r for r in _sheet(book, "Xếp hạng")}
    for code, want in EXPECTED_UNITS.items():
        row = ranking[code]
        assert (row["Hạng"], row["Xếp loại"]) == (want["rank"], want["band"]), code
        assert row["Điểm"] == pytest.approx(want["score"], abs=0.005), code
    kpis = {r["Mã"]: r for r in _sheet(book, "Chỉ tiêu")}
    for code, (value, _, _) in WARD_INDICATORS.items():
        assert kpis[code]["Kết quả"] == pytest.approx(value / 100, abs=1e-6), code
    domains = {r["Mã LV"]: r for r in _sheet(book, "Theo lĩnh vực TTHC")}
    for domain, (value, target, _) in WARD_DOMAINS.items():
        assert domains[domain]["Kết quả"] == pytest.approx(value / 100, abs=1e-6), domain
        shown_target = re.search(NUMBER, domains[domain]["Mục tiêu"])
        assert shown_target and shows(shown_target.group(0), target), domain
    areas = {r["Mã"]: r for r in _sheet(book, "Lĩnh vực CCHC")}
    for code, percent in EXPECTED_AREAS.items():
        assert areas[code]["Mức đạt"] == pytest.approx(percent / 100, abs=0.00005), code
    states = {r["Mã"]: r["Tình hình"] for r in _sheet(book, "Gửi báo cáo")}
    assert states == {
        "vhxh": "Gửi trễ hạn",
        "vp": "Gửi đúng hạn",
        "ttpvhcc": "Gửi đúng hạn",
        "kthtdt": "Gửi trễ hạn",
        "mttq": "Chưa gửi (quá hạn)",
    }
