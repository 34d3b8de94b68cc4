"""The coordinator's report to the committee's monthly meeting in a quarterly year (Plan 84,
III.2): February 2026, seen on 10/03/2026, before the first quarter's reports are due (10/04).

vp updated its monthly task II.2.2.5 for February (and a quarterly task for the quarter, which the
monthly report must leave out); kthtdt typed the socio-economic targets for February; the dossier
feed computed February's TTHC on time (1 of 2). For the quarter, ttpvhcc's report is approved and
vp's is sent; the three other units have sent nothing yet.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

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
from tests.reports.test_consolidated import REPORT, all_text
from tests.reports.test_documents import visible
from tests.reports.test_pdf import pdf_text
from tests.scores.conftest import browser_for, progress, put

FEBRUARY = "2026-02"
SUBJECT = (
    "Tiến độ thực hiện Kế hoạch số 84/KH-UBND ngày 08/10/2025 của Ủy ban nhân dân phường "
    "Phú Định tháng 02/2026"
)
MEETING = "(Báo cáo tại cuộc họp thường kỳ hằng tháng của Ủy ban nhân dân phường)"
DUE = (
    "Báo cáo quý I/2026 chưa đến hạn (hạn gửi 10/04/2026); "
    "đến nay 1/5 đơn vị đã được duyệt báo cáo quý I/2026."
)
BASIS = (
    "Số liệu của 1/5 đơn vị đã được duyệt; 1 đơn vị chờ duyệt, 3 đơn vị chưa gửi báo cáo — điểm "
    "có thể thay đổi. Số liệu tháng được gửi và duyệt cùng báo cáo quý I/2026."
)
PHRASES = (
    SUBJECT,
    BASIS,
    MEETING,
    "I. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ ĐỊNH KỲ HẰNG THÁNG",
    "VP HĐND-UBND — nhiệm vụ II.2.2.5: Đang thực hiện (60%)",
    "Điểm, xếp hạng tháng chỉ tính các nhiệm vụ định kỳ hằng tháng",
    "II. TÌNH HÌNH GỬI BÁO CÁO QUÝ I/2026",
    DUE,
    "Đã được duyệt: Trung tâm Phục vụ hành chính công.",
    "Đã gửi, chờ duyệt: Văn phòng Hội đồng nhân dân và Ủy ban nhân dân phường.",
    "Chưa gửi: ",
    "VP HĐND-UBND (nhiệm vụ II.2.2.5): Thiếu nhân lực trực đường dây nóng",
    "V. NHIỆM VỤ TRỌNG TÂM THÁNG 03/2026",
    "Bảng 2. Xếp loại các đơn vị (chỉ tính nhiệm vụ định kỳ hằng tháng)",
)


@pytest.fixture
def february(api: TestClient, seeded: Session, clock: FixedClock) -> TestClient:
    clock.current = FixedClock.on(date(2026, 3, 10)).current
    progress(
        api,
        assignment="II.2.2.5",
        unit="vp",
        period=FEBRUARY,
        status="in_progress",
        percent_complete=60,
        result="Đã tổng hợp 14 phản ánh qua tổng đài 1022",
        difficulties="Thiếu nhân lực trực đường dây nóng",
    )
    progress(api, assignment="II.2.2.1", unit="vp", period="2026-Q1", status="done")
    put(
        api,
        "/api/v1/readings",
        indicator="socioeconomic_targets",
        unit="kthtdt",
        period=FEBRUARY,
        value=90,
    )
    head = "code,unit,procedure_code,procedure_name,domain,channel,received_at,due_at,completed_at"
    rows = [
        "F1,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,online,2026-02-02,2026-02-05,2026-02-04",
        "F2,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,direct,2026-02-03,2026-02-05,2026-02-09",
    ]
    fed = api.post(
        "/api/v1/dossiers/bulk",
        content="\n".join([head, *rows]).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert fed.status_code == 200, fed.text
    for unit, actions in (
        ("ttpvhcc", (transitions.submit, transitions.approve)),
        ("vp", (transitions.submit,)),
    ):
        for action in actions:
            action(db_session=seeded, actor=SYSTEM, clock=clock, unit=unit, period="2026-Q1")
    return api


def _get(client: TestClient, fmt: str) -> bytes:
    resp = client.get(REPORT, params={"period": FEBRUARY, "format": fmt})
    assert resp.status_code == 200, resp.text
    return resp.content


def test_the_data_is_the_months_monthly_tasks_kpis_and_the_quarters_reports(
    february: TestClient,
) -> None:
    data = february.get(REPORT, params={"period": FEBRUARY, "format": "json"}).json()
    assert data["monthly"] is True and data["period"] == FEBRUARY
    tasks = {t["code"] for a in data["areas"] for t in a["tasks"]}
    assert "II.2.2.5" in tasks and "II.2.2.1" not in tasks
    assert tasks <= {"II.1.8.1", "II.2.1.9", "II.2.2.5", "II.2.3.6", "II.2.4.2", "II.2.4.4"} | {
        "III.2.1"
    }
    kpis = {k["code"]: k for k in data["kpis"]}
    assert kpis["socioeconomic_targets"]["value"] == pytest.approx(90)
    assert kpis["tthc_ontime"]["value"] == pytest.approx(50)  # computed from the feed
    assert kpis["online_dossier"]["value"] == pytest.approx(50)  # F1 online, F2 not
    assert kpis["disbursement"]["value"] is None
    quarter = data["quarter"]
    assert (quarter["period"], quarter["due"], quarter["due_date"]) == (
        "2026-Q1",
        False,
        "2026-04-10",
    )
    states = {r["unit"]: r["state"] for r in quarter["rows"]}
    assert states == {
        "ttpvhcc": "approved",
        "vp": "submitted",
        "kthtdt": "draft",
        "mttq": "draft",
        "vhxh": "draft",
    }
    assert data["discipline"] == []  # a month of 2026 has no report of its own
    assert all(u["report_state"] == "not_expected" for u in data["summary"]["units"])


def test_every_format_carries_the_monthly_content(
    february: TestClient, preview: Callable[..., str]
) -> None:
    docx = all_text(Document(io.BytesIO(_get(february, "docx"))))
    html = visible(preview(period=FEBRUARY))
    pdf = pdf_text(_get(february, "pdf"))
    for phrase in PHRASES:
        assert phrase in docx, phrase
        assert phrase in html, phrase
        assert phrase in pdf, phrase
    for text in (docx, html, pdf):
        assert "II.2.2.1" not in text  # a quarterly task: in the quarter's report only
        assert "Kết quả thực hiện Kế hoạch" not in text
        assert "đơn vị gửi báo cáo đúng hạn" not in text  # no report of its own this month
    document = Document(io.BytesIO(_get(february, "docx")))
    annex = [t for t in document.tables if t.rows[0].cells[0].text == "Chỉ tiêu"][-1]
    rows = {r.cells[0].text.split(" (thấp nhất")[0]: [c.text for c in r.cells] for r in annex.rows}
    socio = rows["Tỷ lệ hoàn thành chỉ tiêu phát triển kinh tế - xã hội được HĐND phường giao"]
    assert socio[1] == "90,00%"
    assert rows["Tỷ lệ hồ sơ TTHC giải quyết đúng hạn"][1] == "50,00%"
    disbursement = rows["Tỷ lệ giải ngân vốn đầu tư công"]
    assert (disbursement[1], disbursement[-1]) == ("—", "Chưa có số liệu")


def test_the_workbook_has_the_quarters_reports_and_the_months_tasks(
    february: TestClient,
) -> None:
    book = load_workbook(io.BytesIO(_get(february, "xlsx")))
    assert "Gửi báo cáo" not in book.sheetnames
    sheet = book["Báo cáo quý I-2026"]
    quarter = {row[-1].value: row[1].value for row in sheet.iter_rows(min_row=2)}
    assert quarter["ttpvhcc"] == "Đã được duyệt" and quarter["vp"] == "Đã gửi, chờ duyệt"
    assert quarter["mttq"] == "Chưa gửi"
    tasks = {row[1].value for row in book["Nhiệm vụ"].iter_rows(min_row=2)}
    assert tasks == {"II.2.2.5"}
    notes = [row[0].value for row in book["Căn cứ số liệu"].iter_rows(min_row=2)]
    assert notes[0] == SUBJECT and notes[-1].startswith("Điểm, xếp hạng tháng chỉ tính")


def test_a_due_quarter_names_the_late_units(
    february: TestClient, seeded: Session, clock: FixedClock, preview: Callable[..., str]
) -> None:
    clock.current = FixedClock.on(date(2026, 4, 20)).current
    html = visible(preview(period=FEBRUARY))
    assert "Báo cáo quý I/2026 đã đến hạn ngày 10/04/2026: 1/5 đơn vị đã được duyệt" in html
    assert "Chưa gửi (quá hạn): " in html and "chưa đến hạn" not in html


def test_the_page_offers_the_month_and_it_can_be_marked_final(
    application: FastAPI, clean_db: Engine, clock: FixedClock, february: TestClient
) -> None:
    with browser_for(
        application, clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"
    ) as browser:
        page = browser.get("/reports/consolidated", params={"period": FEBRUARY})
    assert page.status_code == 200, page.text
    assert '<option value="2026-02" selected>Tháng 02/2026 (nhiệm vụ hằng tháng)</option>' in (
        page.text
    )
    assert MEETING in page.text
    made = february.post(f"{REPORT}/final", params={"period": FEBRUARY})
    assert made.status_code == 201, made.text
    stored = february.get(f"{REPORT}/versions/{FEBRUARY}/1", params={"format": "json"}).json()
    assert stored["monthly"] is True and stored["basis"] == "approved"
    assert stored["quarter"]["period"] == "2026-Q1"
    refused = february.get(REPORT, params={"period": "2026-05", "format": "json"})
    assert refused.status_code == 422  # a month not yet begun


def test_a_units_data_state_in_a_month_follows_its_quarter_report(
    february: TestClient,
) -> None:
    data = february.get(REPORT, params={"period": FEBRUARY, "format": "json"}).json()
    states = {u["code"]: u["data_state"] for u in data["summary"]["units"]}
    assert (states["ttpvhcc"], states["vp"], states["mttq"]) == ("approved", "submitted", "draft")
