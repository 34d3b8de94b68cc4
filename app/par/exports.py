"""The self-assessment's documents: the table the city asks for (.xlsx) and the self-assessment
report (.docx, Decree 30 layout, with the explanation of every criterion lacking evidence).

Both are made from the service's reads (``summarise``, ``item_read``), so the files say what the
pages say. The letterhead and signer are the ward's report settings (``app.reports``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlmodel import Session, select

from app.actors import Actor
from app.clock import Clock
from app.exports.writers import neutralise
from app.formatting import format_number
from app.par import reads, results
from app.par.models import ITEM_STATUS_LABELS, SCORED_BY_LABELS, AssessmentRead, ItemRead
from app.permissions import Permission, authorize
from app.reports import data as report_data
from app.reports.docx_writer import grid, heading, para, setup, signature
from app.reports.models import ReportConfigRead
from app.units.models import Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TABLE_HEADER = (
    "Mã tiêu chí",
    "Nội dung tiêu chí",
    "Điểm tối đa",
    "Điểm tự đánh giá",
    "Điểm thẩm định",
    "Đơn vị chịu trách nhiệm",
    "Tài liệu kiểm chứng",
    "Giải trình",
    "Trạng thái",
)


@dataclass(frozen=True)
class Bundle:
    summary: AssessmentRead
    rows: list[tuple[int, str, str, float, ItemRead | None]]  # level, code, title, max, item
    framework_title: str
    framework_source: str
    #: Unit code → name: a document taken to a meeting names units, not codes.
    unit_names: dict[str, str]


def _bundle(db_session: Session, actor: Actor, clock: Clock, year: int) -> Bundle:
    reads.require_ward(actor)
    authorize(actor, Permission.READ_ALL)
    ctx = reads.load(db_session, clock, year)
    by_criterion = {ctx.criterion(i).id: reads.item_read(ctx, i) for i in ctx.items}
    rows = [
        (c.level, c.code, c.title, c.max_points, by_criterion.get(c.id))
        for c in sorted(ctx.criteria.values(), key=lambda c: c.sort_key)
    ]
    names = {u.code: u.name for u in db_session.exec(select(Unit))}
    return Bundle(results.summarise(ctx), rows, ctx.framework.title, ctx.framework.source, names)


def _points(value: float | None) -> str:
    return "" if value is None else format_number(value)


def _evidence_text(item: ItemRead) -> str:
    parts = []
    for e in item.evidence:
        if e.kind == "file":
            parts.append(e.filename)
        elif e.kind == "link":
            parts.append(e.url)
        else:
            parts.append(f"Nhiệm vụ {e.task}")
    return "; ".join(parts)


def xlsx(*, db_session: Session, actor: Actor, clock: Clock, year: int) -> bytes:
    """The self-assessment table: one row per criterion, areas in bold with their sums."""
    b = _bundle(db_session, actor, clock, year)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"Tu danh gia {year}"
    sheet.append([neutralise(_config(db_session, b.summary).issuer)])
    sheet.append([f"BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {year}"])
    sheet.append([neutralise(b.framework_title)])
    sheet.append(list(TABLE_HEADER))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    areas = {a.code: a for a in b.summary.areas}
    for level, code, title, maximum, item in b.rows:
        if item is None:
            area = areas.get(code) if level == 1 else None
            sheet.append(
                [
                    code,
                    neutralise(title),
                    maximum,
                    area.self_points if area else None,
                    area.appraised_points if area else None,
                ]
            )
            if level == 1:
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
            continue
        sheet.append(
            [
                code,
                neutralise(title),
                maximum,
                item.self_points,
                item.appraised_points,
                b.unit_names.get(item.responsible_unit or "", item.responsible_unit or ""),
                neutralise(_evidence_text(item)),
                neutralise(item.reason),
                ITEM_STATUS_LABELS[item.status] if item.applicable else "Không áp dụng",
            ]
        )
    s = b.summary
    sheet.append([])
    appraised_total = s.appraised_index.points if s.appraised_index.value is not None else None
    sheet.append(["", "Tổng điểm", s.self_index.max_points, s.self_index.points, appraised_total])
    sheet.append(["", "Chỉ số CCHC", 100, s.self_index.value, s.appraised_index.value])
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row[2:5]:
            cell.number_format = "#,##0.00"
        for wrapped in (*row[1:2], *row[6:8]):
            wrapped.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEFGHI", (10, 60, 10, 12, 12, 16, 40, 40, 18), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = f"C{header_row + 1}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _config(db_session: Session, summary: AssessmentRead) -> ReportConfigRead:
    from sqlmodel import select

    from app.plans.models import Plan

    plan = db_session.exec(select(Plan).where(Plan.code == summary.plan)).first()
    if plan is None:
        from app.plans import service as plan_service

        plan = plan_service.get_plan(db_session=db_session, code=None)
    return report_data.config_for(db_session=db_session, plan=plan)


def docx(*, db_session: Session, actor: Actor, clock: Clock, year: int) -> bytes:
    """The self-assessment report: results by area, the indices with their formulas, every
    criterion without evidence with its explanation, then the table as an appendix."""
    b = _bundle(db_session, actor, clock, year)
    s = b.summary
    document = Document()
    setup(document)
    heading(
        document,
        _config(db_session, s),
        clock.today(),
        f"Kết quả tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm {year}",
    )
    para(document, "I. KẾT QUẢ TỰ ĐÁNH GIÁ", bold=True)
    para(document, s.self_index.formula or "Chưa có điểm tự đánh giá.", indent=True)
    if s.appraised_index.value is not None:
        para(document, s.appraised_index.formula, indent=True)
    if s.published_rank is not None:
        of = f"/{s.published_of}" if s.published_of else ""
        para(document, f"Thứ hạng Thành phố công bố: {s.published_rank}{of}.", indent=True)
    if not b.rows or not s.items:
        para(document, "Bảng tiêu chí chưa có tiêu chí chấm điểm.", italic=True, indent=True)
    grid(
        document,
        ["Lĩnh vực", "Điểm tối đa", "Tự đánh giá", "Thẩm định", "Chênh lệch"],
        [
            [
                f"{a.code}. {a.title}",
                _points(a.max_points),
                _points(a.self_points),
                _points(a.appraised_points),
                _points(a.gap),
            ]
            for a in s.areas
        ],
    )
    para(document, "II. TIÊU CHÍ CHƯA CÓ TÀI LIỆU KIỂM CHỨNG VÀ GIẢI TRÌNH", bold=True)
    explained = [
        item for _l, _c, _t, _m, item in b.rows
        if item is not None and item.applicable and not item.evidence and item.scored_by == "self"
    ]  # fmt: skip
    for item in explained:
        text = item.reason or "Chưa có giải trình."
        para(document, f"- Tiêu chí {item.criterion} ({item.title}): {text}", indent=True)
    if not explained:
        para(document, "Mọi tiêu chí tự chấm đều có tài liệu kiểm chứng.", indent=True)
    para(document, "III. NGUỒN BẢNG TIÊU CHÍ", bold=True)
    para(document, f"{b.framework_title}. {b.framework_source}", italic=True, indent=True)
    signature(document, _config(db_session, s))
    document.add_page_break()
    para(document, "PHỤ LỤC: BẢNG TỰ CHẤM ĐIỂM", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    grid(
        document,
        ["Mã", "Tiêu chí", "Tối đa", "Tự chấm", "Thẩm định", "Hình thức"],
        [
            [
                code,
                title,
                _points(maximum),
                _points(item.self_points) if item else "",
                _points(item.appraised_points) if item else "",
                SCORED_BY_LABELS[item.scored_by] if item else "",
            ]
            for _level, code, title, maximum, item in b.rows
        ],
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
