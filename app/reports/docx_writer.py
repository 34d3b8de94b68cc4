"""The consolidated report as a Word document laid out by Decree 30/2020/NĐ-CP.

A4 portrait; margins top/bottom 20 mm, left 30 mm, right 15 mm; Times New Roman 14 (13 in the
heading and tables); the two-column heading; number and place-date lines in italics; page numbers
centred at the top from page 2; the signer block and "Nơi nhận:".
"""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from app.reports.content import ConsolidatedData
from app.reports.labels import (
    LIGHT_LABELS,
    STATE_LABELS,
    STATE_ORDER,
    change_vi,
    coverage_vi,
    data_state_vi,
    fixed_vi,
    measure_vi,
    printable,
    target_vi,
)
from app.reports.models import ReportConfigRead
from app.reports.monthly import QUARTER_STATES

FONT = "Times New Roman"
PCT = "percent"


def para(
    container: object,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
) -> Paragraph:
    paragraph: Paragraph = container.add_paragraph()  # type: ignore[attr-defined]
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Mm(10)
    paragraph.paragraph_format.space_after = Pt(3)
    return paragraph


def _no_borders(table: Table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _page_number_header(document: DocxDocument) -> None:
    """A PAGE field centred in the header, suppressed on the first page (Decree 30)."""
    section = document.sections[0]
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)


def setup(document: DocxDocument) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    _page_number_header(document)


def _heading(document: DocxDocument, data: ConsolidatedData) -> None:
    heading(document, data.config, data.report_date, data.subject, data.meeting_note)


def heading(
    document: DocxDocument, cfg: ReportConfigRead, d: date, subject: str, note: str = ""
) -> None:
    """Decree 30's two-column heading, the number and place-date lines, and the title: the
    consolidated report and the PAR self-assessment report share it."""
    table = document.add_table(rows=2, cols=2)
    _no_borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.width, right.width = Mm(70), Mm(95)
    left.paragraphs[0].text = ""
    run = left.paragraphs[0].add_run(cfg.authority)
    run.font.size = Pt(13)
    left.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    para(left, cfg.issuer, bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    run = right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    run.bold = True
    run.font.size = Pt(13)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    para(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    number, place = table.rows[1].cells
    number.paragraphs[0].add_run(f"Số:       /{cfg.number_suffix}").font.size = Pt(13)
    number.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = place.paragraphs[0].add_run(
        f"{cfg.place}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"
    )
    run.italic = True
    place.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    para(document)
    para(document, "BÁO CÁO", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(document, subject, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    if note:
        para(document, note, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)


def grid(document: DocxDocument, header: list[str], rows: list[list[str]]) -> Table:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.paragraphs[0].add_run(text)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(12)
    return table


def kpi_rows(data: ConsolidatedData, area: str | None = None) -> list[list[str]]:
    """The KPI table: one row per indicator, then, for an indicator tracked per domain (TTHC
    on time), one row per domain with its own value and target."""
    rows = []
    for k in data.kpis:
        if area is not None and k.area != area:
            continue
        worst = f" (thấp nhất: {k.worst_domain_name})" if k.worst_domain_name else ""
        rows.append(
            [
                k.name + worst,
                measure_vi(k.value, k.measure),
                target_vi(k.comparator, k.target, k.measure),
                LIGHT_LABELS[k.light],
                change_vi(k.change),
                data_state_vi(k.data_state),
            ]
        )
        rows.extend(
            [
                f"{DOMAIN_BULLET}{d.domain_name}",
                measure_vi(d.value, k.measure),
                target_vi(d.comparator, d.target, k.measure),
                LIGHT_LABELS[d.light],
                "",
                "",
            ]
            for d in k.domains
        )
    return rows


#: How a per-domain row starts, under its indicator ("– Hộ tịch").
DOMAIN_BULLET = "– "

KPI_HEADER = ["Chỉ tiêu", "Kết quả", "Mục tiêu", "Đánh giá", "So với kỳ trước", "Số liệu"]
RANKING_HEADER = ["Hạng", "Đơn vị", "Điểm", "Đã báo cáo", "Xếp loại", "Số liệu"]


def ranking_rows(data: ConsolidatedData) -> list[list[str]]:
    """Each unit's score with the coverage and review state that say how firm it is."""
    return [
        [
            str(u.rank) if u.rank is not None else "—",
            u.name,
            fixed_vi(u.score),
            coverage_vi(u.coverage),
            u.classification or "—",
            data_state_vi(u.data_state),
        ]
        for u in data.summary.units
    ]


def _reports(document: DocxDocument, data: ConsolidatedData) -> None:
    """Section II: who sent the period's report, or for a monthly report where the quarter's
    reports stand (a month of 2026 has none of its own)."""
    para(document, data.reports_title, bold=True)
    quarter = data.quarter
    if quarter is None:
        for state in STATE_ORDER:
            names = [row.unit_name for row in data.discipline_of(state)]
            if names:
                para(document, f"- {STATE_LABELS[state]}: {', '.join(names)}.", indent=True)
        return
    para(document, quarter.due_sentence, indent=True)
    for state in QUARTER_STATES:
        names = [row.unit_name for row in quarter.of(state)]
        if names:
            para(document, f"- {quarter.label(state)}: {', '.join(names)}.", indent=True)


def _registers(document: DocxDocument, data: ConsolidatedData) -> None:
    """What the registers say of the period, after the areas' results."""
    if not data.registers:
        return
    para(document, "Theo dõi kết luận, sáng kiến, đào tạo", bold=True)
    for section in data.registers:
        para(document, section.title, italic=True, indent=True)
        for line in section.lines:
            para(document, f"- {line}", indent=True)


def render(data: ConsolidatedData) -> bytes:
    data = printable(data)
    document = Document()
    setup(document)
    _heading(document, data)
    para(document, data.intro, indent=True)
    para(document, data.results_title, bold=True)
    para(document, data.basis_note, italic=True, indent=True)
    if data.scope_note:
        para(document, data.scope_note, italic=True, indent=True)
    for number, area in enumerate(data.areas, start=1):
        percent = "" if area.percent is None else f" (mức đạt {measure_vi(area.percent, PCT)})"
        para(document, f"{number}. {area.name}{percent}", bold=True)
        reported = [t for t in area.tasks if t.reports]
        if area.tasks and not reported:
            para(
                document,
                "Chưa có đơn vị báo cáo nhiệm vụ thuộc lĩnh vực này.",
                italic=True,
                indent=True,
            )
        for task in reported:
            for report in task.reports:
                detail = f" ({report.percent}%)" if report.percent is not None else ""
                text = f"- {report.unit_name} — nhiệm vụ {task.code}: {report.status_label}{detail}"
                para(document, text + (f". {report.result}" if report.result else "."), indent=True)
        if area.kpis:
            grid(document, KPI_HEADER, kpi_rows(data, area.code))
    _registers(document, data)
    _reports(document, data)
    para(document, "III. KHÓ KHĂN, VƯỚNG MẮC", bold=True)
    for note in data.difficulties or []:
        para(document, f"- {note.unit_name} (nhiệm vụ {note.task}): {note.text}", indent=True)
    if not data.difficulties:
        para(document, "Các đơn vị không báo cáo khó khăn, vướng mắc.", indent=True)
    para(document, "IV. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
    for note in data.proposals:
        para(document, f"- {note.unit_name} (nhiệm vụ {note.task}): {note.text}", indent=True)
    if not data.proposals:
        para(document, "Các đơn vị không có đề xuất, kiến nghị.", indent=True)
    para(document, f"V. NHIỆM VỤ TRỌNG TÂM {data.next_period_label.upper()}", bold=True)
    for item in data.priorities:
        when = f"hạn {item.due_date:%d/%m/%Y}" if item.due_date else "không có hạn"
        tag = "quá hạn" if item.overdue else "sắp đến hạn"
        para(
            document,
            f"- Nhiệm vụ {item.code} ({tag}, {when}; chủ trì: {item.lead_unit_name}): {item.text}",
            indent=True,
        )
    if not data.priorities:
        para(document, "Không có nhiệm vụ quá hạn hoặc sắp đến hạn.", indent=True)
    _signature(document, data)
    document.add_page_break()
    para(document, "PHỤ LỤC", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(document, "Bảng 1. Kết quả các chỉ tiêu định lượng", bold=True)
    grid(document, KPI_HEADER, kpi_rows(data))
    para(document, data.ranking_title, bold=True)
    para(document, data.basis_note, italic=True)
    grid(document, RANKING_HEADER, ranking_rows(data))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _signature(document: DocxDocument, data: ConsolidatedData) -> None:
    signature(document, data.config)


def signature(document: DocxDocument, config: ReportConfigRead) -> None:
    """The signer block and "Nơi nhận:" (Decree 30)."""
    para(document)
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    left.width, right.width = Mm(85), Mm(80)
    run = left.paragraphs[0].add_run("Nơi nhận:")
    run.bold, run.italic = True, True
    run.font.size = Pt(12)
    for recipient in config.recipients:
        paragraph = left.add_paragraph()
        paragraph.add_run(f"- {recipient}").font.size = Pt(11)
        paragraph.paragraph_format.space_after = Pt(0)
    right.paragraphs[0].add_run(config.signer_title).bold = True
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(3):
        right.add_paragraph()
    name = right.add_paragraph()
    name.add_run(config.signer_name).bold = True
    name.alignment = WD_ALIGN_PARAGRAPH.CENTER
