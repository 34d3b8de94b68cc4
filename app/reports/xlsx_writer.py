"""The consolidated report's numbers as an Excel workbook, one sheet per table.

Percentages are numbers (a cell formatted ``0.00%``), dates are dates, and any text that would
start a formula is prefixed so a report can never run one when opened.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from app.clock import VIETNAM_TZ
from app.reports.data import ConsolidatedData
from app.reports.docx_writer import LIGHT_LABELS, STATE_LABELS

Cell = str | float | int | date | datetime | None


def safe(value: Cell) -> Cell:
    """Text beginning with ``= + - @`` (or a tab/CR) is data, not a formula: quote it."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Cell]]) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe(v) for v in row])
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    sheet.freeze_panes = "A2"
    return sheet


def _percent(value: float | None, measure: str) -> float | None:
    if value is None:
        return None
    return value / 100 if measure == "percent" else value


def render(data: ConsolidatedData) -> bytes:
    book = Workbook()
    book.remove(book.active)
    kpis = _sheet(
        book,
        "Chỉ tiêu",
        [
            "Mã",
            "Chỉ tiêu",
            "Lĩnh vực",
            "Kết quả",
            "Mục tiêu",
            "So sánh",
            "Đạt",
            "Đánh giá",
            "Kỳ trước",
            "Thay đổi",
            "Lĩnh vực thấp nhất",
        ],
        [
            [
                k.code,
                k.name,
                k.area,
                _percent(k.value, k.measure),
                _percent(k.target, k.measure),
                k.comparator,
                None if k.met is None else ("Có" if k.met else "Không"),
                LIGHT_LABELS[k.light],
                _percent(k.previous, k.measure),
                _percent(k.change, k.measure),
                k.worst_domain,
            ]
            for k in data.kpis
        ],
    )
    for row, k in zip(kpis.iter_rows(min_row=2), data.kpis, strict=True):
        if k.measure == "percent":
            for index in (3, 4, 8, 9):
                row[index].number_format = "0.00%"
    areas = _sheet(
        book,
        "Lĩnh vực",
        ["Mã", "Lĩnh vực", "Mức đạt", "Điểm", "Điểm tối đa"],
        [
            [a.code, a.name, None if a.percent is None else a.percent / 100, a.points, a.max_points]
            for a in data.summary.areas
        ],
    )
    for row in areas.iter_rows(min_row=2):
        row[2].number_format = "0.00%"
    _sheet(
        book,
        "Xếp hạng",
        ["Hạng", "Mã", "Đơn vị", "Điểm", "Xếp loại", "Nhiệm vụ quá hạn"],
        [
            [u.rank, u.code, u.name, u.score, u.classification, u.overdue]
            for u in data.summary.units
        ],
    )
    _sheet(
        book,
        "Gửi báo cáo",
        ["Mã", "Đơn vị", "Tình hình", "Gửi lần đầu", "Hạn"],
        [
            [
                r.unit,
                r.unit_name,
                STATE_LABELS[r.state],
                r.submitted_at.astimezone(VIETNAM_TZ).replace(tzinfo=None)
                if r.submitted_at
                else None,
                r.due_date,
            ]
            for r in data.discipline
        ],
    )
    _sheet(
        book,
        "Nhiệm vụ",
        ["Lĩnh vực", "Nhiệm vụ", "Đơn vị", "Tình trạng", "% hoàn thành", "Kết quả"],
        [
            [a.code, t.code, r.unit_name, r.status_label, r.percent, r.result]
            for a in data.areas
            for t in a.tasks
            for r in t.reports
        ],
    )
    _sheet(
        book,
        "Khó khăn",
        ["Đơn vị", "Nhiệm vụ", "Nội dung"],
        [[n.unit_name, n.task, n.text] for n in data.difficulties],
    )
    _sheet(
        book,
        "Đề xuất",
        ["Đơn vị", "Nhiệm vụ", "Nội dung"],
        [[n.unit_name, n.task, n.text] for n in data.proposals],
    )
    _sheet(
        book,
        "Trọng tâm kỳ tới",
        ["Nhiệm vụ", "Nội dung", "Hạn", "Chủ trì", "Quá hạn"],
        [
            [p.code, p.text, p.due_date, p.lead_unit_name, "Có" if p.overdue else "Không"]
            for p in data.priorities
        ],
    )
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, datetime):
                    cell.number_format = "dd/mm/yyyy hh:mm"
                elif isinstance(cell.value, date):
                    cell.number_format = "dd/mm/yyyy"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
