"""The PDF for signing: A4, the same figures, names and period as the Word file, nothing fetched."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import update
from sqlmodel import Session
from weasyprint.urls import URLFetchingError

from app.clock import FixedClock
from app.reports import pdf_writer
from app.reports.content import ConsolidatedData
from app.reports.models import ReportSnapshot
from tests.reports.test_consolidated import REPORT, all_text
from tests.reports.test_documents import quarter  # noqa: F401 - the fixture
from tests.reports.test_public import approve_all

A4_POINTS = (595.28, 841.89)


def pdf_of(client: TestClient, period: str = "2026-Q3") -> bytes:
    resp = client.get(REPORT, params={"period": period, "format": "pdf"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/pdf"
    assert f'filename="bao-cao-ke-hoach-84-{period}.pdf"' in resp.headers["content-disposition"]
    return resp.content


def pdf_text(content: bytes) -> str:
    """Extracted text with line breaks and runs of spaces made single spaces (table cells and
    long unit names wrap in the PDF but not in the docx)."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_pdf_is_a4_with_the_docx_figures_names_and_period(
    client: TestClient,
    quarter: Session,  # noqa: F811
) -> None:
    content = pdf_of(client)
    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 2  # the annex starts on a page of its own
    for page in reader.pages:
        box = page.mediabox
        assert float(box.width) == pytest.approx(A4_POINTS[0], abs=1)
        assert float(box.height) == pytest.approx(A4_POINTS[1], abs=1)
    text = pdf_text(content)
    document = Document(io.BytesIO(client.get(REPORT, params={"period": "2026-Q3"}).content))
    annex = [t for t in document.tables if t.rows[0].cells[0].text == "Chỉ tiêu"][-1]
    figures = {r.cells[1].text for r in annex.rows[1:]} - {"—"}
    assert figures >= {"93,46%", "99,10%", "98,00%", "81,00%"}
    for figure in figures:
        assert figure in text, figure
    ranking = next(t for t in document.tables if t.rows[0].cells[0].text == "Hạng")
    for row in ranking.rows[1:]:
        assert row.cells[1].text in text and row.cells[2].text in text
    docx = all_text(document)
    for phrase in (
        "phường Phú Định, quý III/2026",
        "V. NHIỆM VỤ TRỌNG TÂM QUÝ IV/2026",
        "Chưa gửi (quá hạn):",
        "– Giải quyết khiếu nại, tố cáo",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ):
        assert phrase in docx and phrase in text, phrase


def test_pdf_embeds_a_serif_font_with_vietnamese_glyphs(
    client: TestClient,
    quarter: Session,  # noqa: F811
) -> None:
    reader = PdfReader(io.BytesIO(pdf_of(client)))
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+", 1)[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("Serif" in f or "Times" in f for f in fonts), fonts
    # One family only: a font lacking Vietnamese letters would pull DejaVu in mid-word.
    assert len({f.split("-Bold")[0].split("-Italic")[0] for f in fonts}) == 1, fonts


def test_the_renderer_fetches_nothing(client: TestClient, quarter: Session) -> None:  # noqa: F811
    with pytest.raises(URLFetchingError):
        pdf_writer._refusing_fetcher().fetch("http://127.0.0.1:9/x.css")
    with pytest.raises(URLFetchingError):
        pdf_writer._refusing_fetcher().fetch("file:///etc/passwd")
    data = client.get(REPORT, params={"period": "2026-Q3", "format": "json"}).json()
    page = pdf_writer.html(ConsolidatedData.model_validate(data))
    assert "<link" not in page and "src=" not in page and "url(" not in page


def test_marking_final_keeps_the_pdf(
    client: TestClient,
    quarter: Session,  # noqa: F811
    clock: FixedClock,
) -> None:
    approve_all(quarter, clock, "2026-Q3")  # a final report counts approved reports only
    made = client.post(f"{REPORT}/final", params={"period": "2026-Q3"})
    assert made.status_code == 201 and made.json()["has_pdf"] is True
    frozen = client.get(f"{REPORT}/versions/2026-Q3/1", params={"format": "pdf"})
    assert frozen.status_code == 200 and frozen.content.startswith(b"%PDF")
    assert frozen.headers["content-type"] == "application/pdf"
    assert "93,46%" in pdf_text(frozen.content)
    again = client.get(f"{REPORT}/versions/2026-Q3/1", params={"format": "pdf"})
    assert again.content == frozen.content
    # A version frozen before the PDF existed answers 404 with a way forward.
    quarter.exec(update(ReportSnapshot).values(pdf=None))
    quarter.commit()
    old = client.get(f"{REPORT}/versions/2026-Q3/1", params={"format": "pdf"})
    assert old.status_code == 404
    assert old.json()["detail"]["code"] == "snapshot_pdf_missing"
    listed = client.get(f"{REPORT}/versions", params={"period": "2026-Q3"}).json()
    assert listed[0]["has_pdf"] is False and listed[0]["created_by_name"]
