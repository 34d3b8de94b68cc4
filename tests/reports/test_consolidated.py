"""The consolidated report: Decree 30 layout, figures equal to the scores API, frozen versions."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from docx import Document
from docx.shared import Mm
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.kpis.models import ReadingWrite
from app.kpis.readings import upsert_reading
from app.progress import service as progress_service
from app.progress.models import ProgressWrite
from app.reporting import transitions
from tests.conftest import make_token

API = "/api/v1"
REPORT = f"{API}/reports/consolidated"


def reading(
    session: Session, clock: FixedClock, indicator: str, unit: str, value: float, **kw: Any
):
    upsert_reading(
        db_session=session,
        actor=SYSTEM,
        clock=clock,
        data=ReadingWrite(
            indicator=indicator, unit=unit, period=kw.pop("period", "2025-10"), value=value, **kw
        ),
    )


@pytest.fixture
def month(seeded: Session, clock: FixedClock) -> Session:
    """October 2025: two units reported, one with difficulties and a proposal."""
    for unit, status, text in (
        ("ttpvhcc", "done", "Công khai đầy đủ TTHC"),
        ("vp", "in_progress", "Đang rà soát quy chế"),
    ):
        progress_service.upsert_progress(
            db_session=seeded,
            actor=SYSTEM,
            clock=clock,
            data=ProgressWrite(
                assignment="II.1.1.1",
                unit=unit,
                period="2025-10",
                status=status,
                percent_complete=100 if status == "done" else 60,
                result=text,
                difficulties="Thiếu máy quét" if unit == "vp" else "",
                proposals="Bổ sung kinh phí số hóa" if unit == "vp" else "",
            ),
        )
    reading(seeded, clock, "online_dossier", "ttpvhcc", 83.25)
    reading(seeded, clock, "tthc_ontime", "ttpvhcc", 97.5, domain="ho-tich")
    reading(seeded, clock, "tthc_ontime", "ttpvhcc", 99.0, domain="dat-dai")
    transitions.submit(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    return seeded


def docx_of(client: TestClient, **params: str) -> Any:
    resp = client.get(REPORT, params={"period": "2025-10", "format": "docx", **params})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    return Document(io.BytesIO(resp.content))


def all_text(document: Any) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_page_setup_fonts_and_heading(client: TestClient, month: Session) -> None:
    document = docx_of(client)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert section.page_width < section.page_height  # portrait
    assert abs(section.top_margin - Mm(20)) < Mm(0.5) and abs(section.bottom_margin - Mm(20)) < Mm(
        0.5
    )
    assert abs(section.left_margin - Mm(30)) < Mm(0.5) and abs(section.right_margin - Mm(15)) < Mm(
        0.5
    )
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt == 14
    head = document.tables[0]
    left, right = head.rows[0].cells
    assert left.text.splitlines() == ["ỦY BAN NHÂN DÂN PHƯỜNG PHÚ ĐỊNH", "PHÒNG VĂN HÓA - XÃ HỘI"]
    assert right.text.splitlines() == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    number, place = head.rows[1].cells
    assert number.text.startswith("Số:") and number.text.endswith("/BC-VHXH")
    assert place.text == "Phú Định, ngày 20 tháng 11 năm 2025"
    assert place.paragraphs[0].runs[0].italic
    texts = [p.text for p in document.paragraphs]
    title = texts.index("BÁO CÁO")
    assert "Kế hoạch số 84/KH-UBND" in texts[title + 1] and texts[title + 1].endswith(
        "tháng 10/2025"
    )
    # Page numbers from page 2: a PAGE field in the header, a different (empty) first page.
    assert section.different_first_page_header_footer
    assert (
        "PAGE" in section.header._element.xml
        and "PAGE" not in section.first_page_header._element.xml
    )


def test_sections_signer_and_recipients(client: TestClient, month: Session) -> None:
    text = all_text(docx_of(client))
    for heading in (
        "I. KẾT QUẢ THỰC HIỆN THEO LĨNH VỰC",
        "II. TÌNH HÌNH GỬI BÁO CÁO",
        "III. KHÓ KHĂN, VƯỚNG MẮC",
        "IV. ĐỀ XUẤT, KIẾN NGHỊ",
        "V. NHIỆM VỤ TRỌNG TÂM THÁNG 11/2025",
        "PHỤ LỤC",
    ):
        assert heading in text
    assert "TTPVHCC — nhiệm vụ II.1.1.1: Đã hoàn thành (100%). Công khai đầy đủ TTHC" in text
    assert "VP HĐND-UBND (nhiệm vụ II.1.1.1): Thiếu máy quét" in text
    assert "VP HĐND-UBND (nhiệm vụ II.1.1.1): Bổ sung kinh phí số hóa" in text
    assert "- Gửi trễ hạn: Trung tâm Phục vụ hành chính công." in text
    assert "- Chưa gửi (quá hạn): " in text and "Văn phòng Hội đồng nhân dân" in text
    assert "Nơi nhận:" in text and "TRƯỞNG PHÒNG" in text and "- Lưu: VT, VHXH." in text


def test_every_number_equals_the_scores_api(client: TestClient, month: Session) -> None:
    scores = client.get(f"{API}/scores", params={"period": "2025-10"}).json()
    document = docx_of(client)
    annex = next(
        t for t in document.tables if t.rows[0].cells[0].text == "Chỉ tiêu" and len(t.rows) > 10
    )
    rows = {r.cells[0].text.split(" (thấp nhất")[0]: r.cells[1].text for r in annex.rows[1:]}
    checked = 0
    for indicator in scores["indicators"]:
        shown = rows[indicator["name"]]
        if indicator["value"] is None:
            assert shown == "—"
        else:
            suffix = "%" if indicator["measure"] == "percent" else ""
            assert shown == f"{indicator['value']:.2f}".replace(".", ",") + suffix
            checked += 1
    assert checked == 2  # online_dossier and tthc_ontime (the worst domain: 97,50)
    assert rows["Tỷ lệ hồ sơ TTHC giải quyết đúng hạn"] == "97,50%"

    book = load_workbook(
        io.BytesIO(client.get(REPORT, params={"period": "2025-10", "format": "xlsx"}).content)
    )
    assert book.sheetnames[:4] == ["Chỉ tiêu", "Theo lĩnh vực TTHC", "Lĩnh vực CCHC", "Xếp hạng"]
    by_code = {row[-1].value: row for row in book["Chỉ tiêu"].iter_rows(min_row=2)}
    for indicator in scores["indicators"]:
        cell = by_code[indicator["code"]][2]
        if indicator["value"] is None:
            assert cell.value is None
        else:
            assert cell.value == pytest.approx(indicator["value"] / 100)
            assert cell.number_format == "0.00%"
    ranking = {row[-1].value: row[2] for row in book["Xếp hạng"].iter_rows(min_row=2)}
    for unit in scores["units"]:
        assert ranking[unit["code"]].value == pytest.approx(unit["score"], rel=1e-12)
        assert ranking[unit["code"]].number_format == "0.00"


def test_html_preview_is_a_page_and_the_api_answers_no_html(
    client: TestClient, month: Session, preview: Callable[..., str]
) -> None:
    html = preview(period="2025-10")
    assert '<article class="report" id="report">' in html
    assert "BÁO CÁO" in html and "83,25%" in html
    refused = client.get(REPORT, params={"period": "2025-10", "format": "html"})
    assert refused.status_code == 422


def test_a_final_report_is_frozen_and_versioned(
    client: TestClient, month: Session, clock: FixedClock
) -> None:
    first = client.post(f"{REPORT}/final", params={"period": "2025-10"})
    assert first.status_code == 201 and first.json()["version"] == 1
    frozen = client.get(f"{REPORT}/versions/2025-10/1", params={"format": "xlsx"}).content
    reading(month, clock, "online_dossier", "vp", 50.0)  # the data changes after the meeting
    live = load_workbook(
        io.BytesIO(client.get(REPORT, params={"period": "2025-10", "format": "xlsx"}).content)
    )
    again = client.get(f"{REPORT}/versions/2025-10/1", params={"format": "xlsx"}).content
    assert again == frozen
    old = load_workbook(io.BytesIO(frozen))
    value = {r[-1].value: r[2].value for r in old["Chỉ tiêu"].iter_rows(min_row=2)}
    now = {r[-1].value: r[2].value for r in live["Chỉ tiêu"].iter_rows(min_row=2)}
    assert value["online_dossier"] != now["online_dossier"]
    second = client.post(f"{REPORT}/final", params={"period": "2025-10"})
    assert second.json()["version"] == 2
    versions = client.get(f"{REPORT}/versions", params={"period": "2025-10"}).json()
    assert [v["version"] for v in versions] == [2, 1]
    data = client.get(f"{REPORT}/versions/2025-10/1", params={"format": "json"}).json()
    assert data["period"] == "2025-10" and data["summary"]["period"] == "2025-10"
    assert client.get(f"{REPORT}/versions/2025-10/9").status_code == 404


def test_settings_change_the_signer_and_only_coordinators_may(
    client: TestClient, anon: TestClient, month: Session, clean_db: Engine, clock: FixedClock
) -> None:
    resp = client.put(
        f"{API}/reports/config",
        json={
            "signer_name": "Nguyễn Thị Hoa",
            "signer_title": "KT. TRƯỞNG PHÒNG\nPHÓ TRƯỞNG PHÒNG",
        },
    )
    assert resp.status_code == 200, resp.text
    assert "Nguyễn Thị Hoa" in all_text(docx_of(client))
    reporter = make_token(clean_db, clock, username="bc", role="reporter", unit="vp")
    refused = anon.put(
        f"{API}/reports/config",
        headers={"Authorization": f"Bearer {reporter}"},
        json={"place": "X"},
    )
    assert refused.status_code == 403
    assert (
        anon.post(f"{REPORT}/final", headers={"Authorization": f"Bearer {reporter}"}).status_code
        == 403
    )
