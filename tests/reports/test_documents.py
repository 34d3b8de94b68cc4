"""What a ward official reads in the signed documents: names, Vietnamese labels, two decimals.

Each test guards one slip found in the December 2026 read-through (issue 14, "documents"): it
fails if that slip comes back in the docx, the xlsx, the HTML preview or the public page.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.progress import service as progress_service
from app.progress.models import ProgressWrite
from tests.reports.test_consolidated import REPORT, all_text, reading
from tests.reports.test_public import approve_all
from tests.scores.conftest import browser_for

SEED = json.loads(
    (Path(__file__).resolve().parents[2] / "app/seed/data/plan84.json").read_text("utf-8")
)
DOMAIN_CODES = [d["code"] for d in SEED["domains"]]
AREA_CODES = [a["code"] for a in SEED["areas"]]
UNIT_CODES = [u["code"] for u in SEED["units"]]
INDICATOR_CODES = [i["code"] for i in SEED["indicators"]]
TWO_DECIMALS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*,\d{2}%?$")
DOUBLED = "từng lĩnh vực từng lĩnh vực"


@pytest.fixture
def quarter(seeded: Session, clock: FixedClock) -> Session:
    """Quý III/2026 (quarterly from 2026): TTHC on time in three domains, one of them below
    target; a unit's report with a difficulty written like a spreadsheet formula."""
    clock.current = FixedClock.on(date(2026, 10, 20)).current
    for domain, value in (("ho-tich", 99.1), ("khieu-nai-to-cao", 93.456), ("dat-dai", 98.0)):
        reading(seeded, clock, "tthc_ontime", "ttpvhcc", value, domain=domain, period="2026-Q3")
    reading(seeded, clock, "online_dossier", "ttpvhcc", 81.0, period="2026-Q3")
    progress_service.upsert_progress(
        db_session=seeded,
        actor=SYSTEM,
        clock=clock,
        data=ProgressWrite(
            assignment="II.1.1.1",
            unit="vp",
            period="2026-Q3",
            status="in_progress",
            percent_complete=50,
            result="- Đã rà soát 12 quy chế",
            difficulties='=HYPERLINK("http://x","bấm")',
        ),
    )
    return seeded


def _get(client: TestClient, fmt: str, period: str = "2026-Q3") -> bytes:
    resp = client.get(REPORT, params={"period": period, "format": fmt})
    assert resp.status_code == 200, resp.text
    return resp.content


def docx_text(client: TestClient) -> str:
    return all_text(Document(io.BytesIO(_get(client, "docx"))))


def visible(html: str) -> str:
    """The text a reader sees: tags and attributes (``data-code``) removed."""
    body = html.split('<article class="report"', 1)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def codes_in(text: str) -> list[str]:
    found = []
    for code in [*DOMAIN_CODES, *AREA_CODES, *UNIT_CODES, *INDICATOR_CODES, "admin"]:
        if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
            found.append(code)
    return found


def test_documents_show_names_not_codes(
    client: TestClient, quarter: Session, preview: Callable[..., str]
) -> None:
    docx = docx_text(client)
    html = visible(preview(period="2026-Q3"))
    assert codes_in(docx) == []
    assert codes_in(html) == []
    for name in ("Hộ tịch", "Giải quyết khiếu nại, tố cáo", "Cải cách thủ tục hành chính"):
        assert name in docx and name in html
    assert "(thấp nhất: Giải quyết khiếu nại, tố cáo)" in docx
    book = load_workbook(io.BytesIO(_get(client, "xlsx")))
    for sheet in book.worksheets:
        # Codes may stay in the last, narrow columns headed "Mã…"; every other cell is words.
        header = [c.value for c in sheet[1]]
        code_columns = [i for i, h in enumerate(header) if h.startswith("Mã")]
        assert code_columns == list(range(len(header) - len(code_columns), len(header)))
        for row in sheet.iter_rows(min_row=2):
            for index, cell in enumerate(row):
                if isinstance(cell.value, str) and index not in code_columns:
                    assert codes_in(cell.value) == [], (sheet.title, cell.coordinate)
    assert book["Nhiệm vụ"]["A2"].value == "Công tác chỉ đạo, điều hành CCHC"
    assert book["Chỉ tiêu"]["B2"].value == "Cải cách thủ tục hành chính"


def test_period_and_status_wording(
    client: TestClient, quarter: Session, preview: Callable[..., str]
) -> None:
    docx = docx_text(client)
    html = visible(preview(period="2026-Q3"))
    for text in (docx, html):
        assert "phường Phú Định, quý III/2026" in text
        assert "kết quả thực hiện quý III/2026 của" in text
        assert "V. NHIỆM VỤ TRỌNG TÂM QUÝ IV/2026" in text
        assert "Chưa gửi (quá hạn): " in text
        assert "Gửi chưa gửi" not in text and "chưa gửi (quá hạn)" not in text
    assert "quý iii/2026" not in docx and "quý iii/2026" not in html
    book = load_workbook(io.BytesIO(_get(client, "xlsx")))
    states = {row[1].value for row in book["Gửi báo cáo"].iter_rows(min_row=2)}
    assert states == {"Chưa gửi (quá hạn)"}


def test_scores_have_exactly_two_decimals(
    client: TestClient, quarter: Session, preview: Callable[..., str]
) -> None:
    document = Document(io.BytesIO(_get(client, "docx")))
    annex = [t for t in document.tables if t.rows[0].cells[0].text == "Chỉ tiêu"][-1]
    values = [r.cells[1].text for r in annex.rows[1:] if r.cells[1].text != "—"]
    assert "93,46%" in values and "98,00%" in values and "81,00%" in values
    assert all(TWO_DECIMALS.match(v) for v in values), values
    ranking = next(t for t in document.tables if t.rows[0].cells[0].text == "Hạng")
    scores = [r.cells[2].text for r in ranking.rows[1:] if r.cells[2].text != "—"]
    assert scores and all(TWO_DECIMALS.match(s) for s in scores), scores
    headings = [p.text for p in document.paragraphs if "(mức đạt " in p.text]
    assert headings and all(re.search(r"\(mức đạt \d+,\d{2}%\)$", h) for h in headings)
    html = preview(period="2026-Q3")
    shown = re.findall(r'<td class="num score">([^<]*)</td>', html.split('id="ranking"', 1)[1])
    assert shown and all(TWO_DECIMALS.match(s) for s in shown if s != "—"), shown


def test_per_domain_rows_in_both_documents(
    client: TestClient, quarter: Session, preview: Callable[..., str]
) -> None:
    document = Document(io.BytesIO(_get(client, "docx")))
    annex = [t for t in document.tables if t.rows[0].cells[0].text == "Chỉ tiêu"][-1]
    rows = [[c.text for c in r.cells] for r in annex.rows]
    start = next(i for i, r in enumerate(rows) if r[0].startswith("Tỷ lệ hồ sơ TTHC giải quyết"))
    domain_rows = {r[0]: r[1:4] for r in rows[start + 1 : start + 4]}
    assert domain_rows == {
        "– Đất đai": ["98,00%", "≥ 98%", "Đạt"],
        "– Hộ tịch": ["99,10%", "≥ 98%", "Đạt"],
        "– Giải quyết khiếu nại, tố cáo": ["93,46%", "≥ 95%", "Gần đạt"],
    }
    sheet = load_workbook(io.BytesIO(_get(client, "xlsx")))["Theo lĩnh vực TTHC"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Chỉ tiêu", "Lĩnh vực TTHC", "Kết quả", "Mục tiêu", "Đánh giá"]
    found = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(found) == {"Đất đai", "Hộ tịch", "Giải quyết khiếu nại, tố cáo"}
    complaints = found["Giải quyết khiếu nại, tố cáo"]
    assert complaints[2].value == pytest.approx(0.93456)
    assert complaints[2].number_format == "0.00%"
    assert complaints[3].value == "≥ 95%" and complaints[4].value == "Gần đạt"
    assert complaints[-1].value == "khieu-nai-to-cao"  # the code, kept in the last column
    html = preview(period="2026-Q3")
    assert html.count('class="domain-row"') == 6  # section I and the annex, three domains each


def test_xlsx_text_cells_have_no_apostrophe_and_no_formula(
    client: TestClient, quarter: Session
) -> None:
    content = _get(client, "xlsx")
    book = load_workbook(io.BytesIO(content))
    by_code = {row[-1].value: row for row in book["Chỉ tiêu"].iter_rows(min_row=2)}
    target = by_code["tthc_ontime"][3]
    assert target.value == "≥ 98%" and target.data_type == "s"
    assert not target.quotePrefix
    exact = by_code["disbursement"][3]
    assert exact.value == "= 100%" and exact.data_type == "s" and not exact.quotePrefix
    difficulty = book["Khó khăn"]["C2"]
    assert difficulty.value == '=HYPERLINK("http://x","bấm")' and difficulty.data_type == "s"
    result = next(r for r in book["Nhiệm vụ"].iter_rows(min_row=2) if r[2].value == "VP HĐND-UBND")
    assert result[5].value == "- Đã rà soát 12 quy chế"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        for name in sheets:
            xml = archive.read(name).decode()
            assert "<f>" not in xml and "<f " not in xml, name
        styles = archive.read("xl/styles.xml").decode()
    assert 'quotePrefix="1"' not in styles
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert not (isinstance(cell.value, str) and cell.value.startswith("'")), (
                    sheet.title,
                    cell.coordinate,
                )


def test_xlsx_numbers_are_numbers_with_formats(client: TestClient, quarter: Session) -> None:
    book = load_workbook(io.BytesIO(_get(client, "xlsx")))
    ranking = {row[-1].value: row for row in book["Xếp hạng"].iter_rows(min_row=2)}
    score = ranking["ttpvhcc"][2]
    assert isinstance(score.value, float) and score.number_format == "0.00"
    areas = {row[-1].value: row for row in book["Lĩnh vực CCHC"].iter_rows(min_row=2)}
    assert isinstance(areas["par3"][1].value, float) and areas["par3"][1].number_format == "0.00%"
    kpi = {row[-1].value: row for row in book["Chỉ tiêu"].iter_rows(min_row=2)}["online_dossier"]
    assert kpi[2].value == pytest.approx(0.81) and kpi[2].number_format == "0.00%"


def test_no_doubled_wording_anywhere(
    client: TestClient, quarter: Session, preview: Callable[..., str]
) -> None:
    assert DOUBLED not in docx_text(client)
    assert DOUBLED not in visible(preview(period="2026-Q3"))
    book = load_workbook(io.BytesIO(_get(client, "xlsx")))
    assert all(
        DOUBLED not in str(c.value) for s in book.worksheets for r in s.iter_rows() for c in r
    )
    plan_page = client.get("/plan")
    assert plan_page.status_code == 200 and DOUBLED not in visible(plan_page.text)
    tthc = next(i for i in SEED["indicators"] if i["code"] == "tthc_ontime")
    assert tthc["name"] == "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn"


def _doubled_phrases(text: str) -> list[str]:
    words = [w.strip(",;.:()").lower() for w in text.split()]
    found = []
    for n in range(2, 6):
        for i in range(len(words) - 2 * n + 1):
            if words[i : i + n] == words[i + n : i + 2 * n]:
                found.append(" ".join(words[i : i + 2 * n]))
    return found


def test_seed_names_have_no_doubled_phrase() -> None:
    """Names the pages decorate ("… từng lĩnh vực" tags, "(thấp nhất: …)") must not already
    carry the decoration, nor repeat a phrase of their own."""
    names: list[str] = [i["name"] for i in SEED["indicators"]]
    names += [a["name"] for a in SEED["areas"]] + [d["name"] for d in SEED["domains"]]
    assert [n for n in names if _doubled_phrases(n)] == []
    per_domain = [i["name"] for i in SEED["indicators"] if i["disaggregation"] == "domain"]
    assert [n for n in per_domain if n.endswith("từng lĩnh vực")] == []


def test_public_page_two_decimals_and_domain_names(
    anon: TestClient, quarter: Session, clock: FixedClock
) -> None:
    approve_all(quarter, clock, "2026-Q3")
    page = anon.get("/public/progress")
    text = visible(page.text.split("<main", 1)[1])
    assert "Quý III/2026 — số liệu đã được duyệt ngày 20/10/2026" in text
    assert "– Giải quyết khiếu nại, tố cáo 93,46% ≥ 95%" in text
    # The PAR area "Cải cách thủ tục hành chính": its 16 tasks unreported (0) and tthc_ontime at
    # its worst domain, khiếu nại, tố cáo 93,456 against 95: (16 × 0 + 93,456 / 95) / 17.
    assert "5,79%" in text
    assert codes_in(text) == []


def test_preview_page_names_who_marked_final_and_offers_pdf(
    application: FastAPI, clean_db: Engine, clock: FixedClock, quarter: Session
) -> None:
    browser = browser_for(
        application, clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"
    )
    page = browser.get("/reports/consolidated", params={"period": "2026-Q3"})
    assert "format=pdf" in page.text and "⬇ Tải PDF" in page.text
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert token
    done = browser.post(
        "/reports/consolidated/final",
        data={"period": "2026-Q3", "csrf_token": token.group(1)},
        follow_redirects=True,
    )
    assert done.status_code == 200
    listing = done.text.split('id="snapshots"', 1)[1].split("</ul>", 1)[0]
    assert "bởi Người dùng dp.vhxh" in listing and "bởi dp.vhxh" not in listing
    assert "versions/2026-Q3/1?format=pdf" in listing
    assert "Đã chốt báo cáo quý III/2026, phiên bản 1." in done.text
