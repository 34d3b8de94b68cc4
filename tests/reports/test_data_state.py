"""How firm every figure is, in every rendering: the "Số liệu" column (Đã duyệt / Chờ duyệt /
Chưa gửi), coverage beside each score, the basis at the top of section I; a final report and the
public page count approved reports only.

October 2025 (clock on 20/11/2025): vp's report approved, ttpvhcc's sent and awaiting review,
the three other units have sent nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from docx import Document
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.reporting import transitions
from app.reports import public
from app.scores import service as score_service
from tests.reports.test_consolidated import REPORT, all_text, month, reading  # noqa: F401
from tests.reports.test_pdf import pdf_text
from tests.reports.test_public import approve_all
from tests.scores.conftest import browser_for

ALL_NOTE = (
    "Số liệu của 1/5 đơn vị đã được duyệt; 1 đơn vị chờ duyệt, 3 đơn vị chưa gửi báo cáo "
    "— điểm có thể thay đổi."
)
APPROVED_NOTE = (
    "Chỉ tính báo cáo đã được duyệt: số liệu của 1/5 đơn vị; 4 đơn vị chưa được duyệt "
    "không được tính điểm, xếp hạng."
)
VP = "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân phường"
TTPVHCC = "Trung tâm Phục vụ hành chính công"


@pytest.fixture
def reviewed(month: Session, clock: FixedClock) -> Session:  # noqa: F811
    """The ``month`` ward with vp's report approved (ttpvhcc's is already sent)."""
    for action in (transitions.submit, transitions.approve):
        action(db_session=month, actor=SYSTEM, clock=clock, unit="vp", period="2025-10")
    return month


def _get(client: TestClient, fmt: str, **params: str) -> Any:
    resp = client.get(REPORT, params={"period": "2025-10", "format": fmt, **params})
    assert resp.status_code == 200, resp.text
    return resp


def _docx(client: TestClient, **params: str) -> Any:
    return Document(io.BytesIO(_get(client, "docx", **params).content))


def _table(document: Any, first: str) -> list[list[str]]:
    table = [t for t in document.tables if t.rows[0].cells[0].text == first][-1]
    return [[c.text for c in row.cells] for row in table.rows]


def test_docx_marks_every_kpi_and_unit_row_and_says_what_the_figures_rest_on(
    client: TestClient, reviewed: Session
) -> None:
    document = _docx(client)
    texts = [p.text for p in document.paragraphs]
    section = texts.index("I. KẾT QUẢ THỰC HIỆN THEO LĨNH VỰC")
    assert texts[section + 1] == ALL_NOTE
    kpis = _table(document, "Chỉ tiêu")
    assert kpis[0][-1] == "Số liệu"
    by_name = {row[0].split(" (thấp nhất")[0]: row for row in kpis[1:]}
    # online_dossier is ttpvhcc's figure alone: its report is sent, not yet approved.
    online = by_name["Tỷ lệ hồ sơ TTHC được xử lý trực tuyến"]
    assert (online[1], online[-1]) == ("83,25%", "Chờ duyệt")
    assert by_name["Tỷ lệ giải ngân vốn đầu tư công"][-1] == "Chưa có số liệu"
    ranking = _table(document, "Hạng")
    assert ranking[0] == ["Hạng", "Đơn vị", "Điểm", "Đã báo cáo", "Xếp loại", "Số liệu"]
    units = {row[1]: row for row in ranking[1:]}
    assert (units[VP][3], units[VP][5]) == ("1/47 nhiệm vụ", "Đã duyệt")
    assert (units[TTPVHCC][3], units[TTPVHCC][5]) == ("1/48 nhiệm vụ", "Chờ duyệt")
    assert units["Phòng Văn hóa - Xã hội"][5] == "Chưa gửi"
    assert all(row[2] != "—" for row in units.values())  # the draft shows every unit's score


def test_xlsx_html_and_pdf_carry_the_same_states(
    client: TestClient, reviewed: Session, preview: Callable[..., str]
) -> None:
    book = load_workbook(io.BytesIO(_get(client, "xlsx").content))
    header = [c.value for c in book["Chỉ tiêu"][1]]
    state = header.index("Số liệu")
    kpis = {row[-1].value: row[state].value for row in book["Chỉ tiêu"].iter_rows(min_row=2)}
    assert kpis["online_dossier"] == "Chờ duyệt" and kpis["disbursement"] == "Chưa có số liệu"
    sheet = book["Xếp hạng"]
    header = [c.value for c in sheet[1]]
    assert header[-4:] == ["Nhiệm vụ đã báo cáo", "Nhiệm vụ phải báo cáo", "Số liệu", "Mã"]
    units = {row[-1].value: [c.value for c in row] for row in sheet.iter_rows(min_row=2)}
    assert units["vp"][-4:-1] == [1, 47, "Đã duyệt"]
    assert units["ttpvhcc"][-4:-1] == [1, 48, "Chờ duyệt"]
    assert units["mttq"][-2] == "Chưa gửi"
    assert ALL_NOTE in [row[0].value for row in book["Căn cứ số liệu"].iter_rows(min_row=2)]

    html = preview(period="2025-10")
    assert f'id="data-basis">{ALL_NOTE}</p>' in html
    vp_row = html.split('data-unit="vp"', 1)[1].split("</tr>", 1)[0]
    assert "1/47 nhiệm vụ" in vp_row and "Đã duyệt" in vp_row
    online = html.split('data-code="online_dossier"', 1)[1].split("</tr>", 1)[0]
    assert "Chờ duyệt" in online

    text = pdf_text(_get(client, "pdf").content)
    assert ALL_NOTE in text
    assert "Số liệu" in text and "Chờ duyệt" in text and "1/48 nhiệm vụ" in text


def test_approved_basis_leaves_out_the_unapproved_units_scores(
    client: TestClient, reviewed: Session
) -> None:
    data = _get(client, "json", basis="approved").json()
    assert data["basis"] == "approved" and data["summary"]["basis"] == "approved"
    scored = {u["code"] for u in data["summary"]["units"] if u["score"] is not None}
    assert scored == {"vp"}
    kpis = {k["code"]: k for k in data["kpis"]}
    assert kpis["online_dossier"]["value"] is None  # ttpvhcc's reading awaits review
    document = _docx(client, basis="approved")
    texts = [p.text for p in document.paragraphs]
    assert texts[texts.index("I. KẾT QUẢ THỰC HIỆN THEO LĨNH VỰC") + 1] == APPROVED_NOTE
    units = {row[1]: row for row in _table(document, "Hạng")[1:]}
    assert units[VP][0] == "1" and units[VP][2] != "—"
    assert (units[TTPVHCC][0], units[TTPVHCC][2]) == ("—", "—")
    everything = _get(client, "json").json()
    assert {u["code"] for u in everything["summary"]["units"] if u["score"] is not None} == {
        "vp",
        "ttpvhcc",
        "kthtdt",
        "mttq",
        "vhxh",
    }


def test_marking_final_stores_an_approved_basis_version(
    client: TestClient, reviewed: Session
) -> None:
    made = client.post(f"{REPORT}/final", params={"period": "2025-10"})
    assert made.status_code == 201, made.text
    assert made.json()["basis"] == "approved"
    stored = client.get(f"{REPORT}/versions/2025-10/1", params={"format": "json"}).json()
    assert stored["basis"] == "approved" and stored["summary"]["basis"] == "approved"
    assert {u["code"] for u in stored["summary"]["units"] if u["score"] is not None} == {"vp"}
    frozen = client.get(f"{REPORT}/versions/2025-10/1", params={"format": "docx"})
    assert APPROVED_NOTE in all_text(Document(io.BytesIO(frozen.content)))
    listed = client.get(f"{REPORT}/versions", params={"period": "2025-10"}).json()
    assert listed[0]["basis"] == "approved"


def test_the_page_offers_the_basis_and_keeps_it_in_the_downloads(
    application: FastAPI, clean_db: Engine, clock: FixedClock, reviewed: Session
) -> None:
    with browser_for(
        application, clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"
    ) as browser:
        page = browser.get("/reports/consolidated", params={"period": "2025-10"}).text
        assert '<option value="all" selected>' in page
        assert "Bản chốt chỉ tính báo cáo đã được duyệt" in page
        approved = browser.get(
            "/reports/consolidated", params={"period": "2025-10", "basis": "approved"}
        ).text
    assert '<option value="approved" selected>Chỉ báo cáo đã duyệt</option>' in approved
    assert "period=2025-10&basis=approved&format=docx" in approved
    assert APPROVED_NOTE in approved


def test_the_public_page_asks_for_approved_data(
    anon: TestClient, seeded: Session, clock: FixedClock
) -> None:
    """The committee itself owes no report, so its figures are never approved: with every
    unit's report approved, the everything-entered pool would still include them."""
    reading(seeded, clock, "online_dossier", "ttpvhcc", 83.25)
    reading(seeded, clock, "online_dossier", "phu-dinh", 10.0)
    approve_all(seeded, clock, "2025-10")
    view = public.build(db_session=seeded, clock=clock, period="2025-10")
    assert view.summary is not None and view.summary.basis == "approved"
    online = next(i for i in view.summary.indicators if i.code == "online_dossier")
    assert online.value == pytest.approx(83.25)
    pooled = score_service.ward_summary(
        db_session=seeded, actor=SYSTEM, clock=clock, period="2025-10", basis="all"
    )
    assert next(i for i in pooled.indicators if i.code == "online_dossier").value != (
        pytest.approx(83.25)
    )  # what the page would show on the everything-entered basis
    page = anon.get("/public/progress").text
    assert "83,25%" in page
    assert "Chỉ tính số liệu trong báo cáo đã được duyệt của 5/5 đơn vị." in page
