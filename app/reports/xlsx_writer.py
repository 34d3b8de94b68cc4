"""The consolidated report's numbers as an Excel workbook, one sheet per table.

Names first, codes last: each sheet reads like the Word document (domains, areas and units by
name) and keeps the codes in a narrow last column for anyone who filters or joins. Percentages are
numbers formatted ``0.00%``, scores numbers formatted ``0.00``, dates are dates. Text is always
stored as text: a cell never becomes a formula, and never shows Excel's apostrophe either.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from app.clock import VIETNAM_TZ
from app.reports.content import ConsolidatedData
from app.reports.labels import (
    LIGHT_LABELS,
    STATE_LABELS,
    data_state_vi,
    in_sentence,
    printable,
    target_vi,
)
from app.reports.monthly import QUARTER_STATES

Cell = str | float | int | date | datetime | None
PERCENT = "0.00%"
SCORE = "0.00"


def _write(sheet: Worksheet, row: int, column: int, value: Cell) -> None:
    """Text that starts with ``= + - @`` would otherwise be stored as a formula: writing every
    string with the string type keeps it inert (no ``<f>`` element) without the visible quote a
    ``'`` prefix or ``quotePrefix`` leaves in the cell."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = TYPE_STRING


def _sheet(
    book: Workbook,
    title: str,
    header: list[str],
    rows: list[list[Cell]],
    formats: dict[int, str] | None = None,
) -> Worksheet:
    sheet = book.create_sheet(title)
    for column, text in enumerate(header, start=1):
        _write(sheet, 1, column, text)
        sheet.cell(row=1, column=column).font = Font(bold=True)
    for number, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            _write(sheet, number, column, value)
            if formats and column - 1 in formats:
                sheet.cell(row=number, column=column).number_format = formats[column - 1]
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    sheet.freeze_panes = "A2"
    return sheet


def _percent(value: float | None, measure: str) -> float | None:
    if value is None:
        return None
    return value / 100 if measure == "percent" else value


def _kpi_sheets(book: Workbook, data: ConsolidatedData) -> None:
    """ "Chỉ tiêu" and "Theo lĩnh vực TTHC": a percentage is stored as a fraction formatted
    ``0.00%``, any other measure as a number formatted ``0.00``."""
    kpis = _sheet(
        book,
        "Chỉ tiêu",
        [
            "Chỉ tiêu",
            "Lĩnh vực CCHC",
            "Kết quả",
            "Mục tiêu",
            "Đánh giá",
            "Kỳ trước",
            "Thay đổi",
            "Lĩnh vực TTHC thấp nhất",
            "Số liệu",
            "Mã",
        ],
        [
            [
                k.name,
                k.area_name,
                _percent(k.value, k.measure),
                target_vi(k.comparator, k.target, k.measure),
                LIGHT_LABELS[k.light],
                _percent(k.previous, k.measure),
                _percent(k.change, k.measure),
                k.worst_domain_name,
                data_state_vi(k.data_state),
                k.code,
            ]
            for k in data.kpis
        ],
    )
    for row, k in zip(kpis.iter_rows(min_row=2), data.kpis, strict=True):
        for index in (2, 5, 6):
            row[index].number_format = PERCENT if k.measure == "percent" else SCORE
    domain_rows = [(k, d) for k in data.kpis for d in k.domains]
    by_domain = _sheet(
        book,
        "Theo lĩnh vực TTHC",
        ["Chỉ tiêu", "Lĩnh vực TTHC", "Kết quả", "Mục tiêu", "Đánh giá", "Mã chỉ tiêu", "Mã LV"],
        [
            [
                k.name,
                d.domain_name,
                _percent(d.value, k.measure),
                target_vi(d.comparator, d.target, k.measure),
                LIGHT_LABELS[d.light],
                k.code,
                d.domain,
            ]
            for k, d in domain_rows
        ],
    )
    for row, (k, _) in zip(by_domain.iter_rows(min_row=2), domain_rows, strict=True):
        row[2].number_format = PERCENT if k.measure == "percent" else SCORE


def _score_sheets(book: Workbook, data: ConsolidatedData) -> None:
    """ "Lĩnh vực CCHC" and "Xếp hạng": the exact values the scores API gives, formatted only."""
    _sheet(
        book,
        "Lĩnh vực CCHC",
        ["Lĩnh vực CCHC", "Mức đạt", "Điểm", "Điểm tối đa", "Mã"],
        [
            [a.name, None if a.percent is None else a.percent / 100, a.points, a.max_points, a.code]
            for a in data.summary.areas
        ],
        {1: PERCENT, 2: SCORE, 3: SCORE},
    )
    _sheet(
        book,
        "Xếp hạng",
        [
            "Hạng",
            "Đơn vị",
            "Điểm",
            "Xếp loại",
            "Nhiệm vụ quá hạn",
            "Nhiệm vụ đã báo cáo",
            "Nhiệm vụ phải báo cáo",
            "Số liệu",
            "Mã",
        ],
        [
            [
                u.rank,
                u.name,
                u.score,
                u.classification,
                u.overdue,
                u.coverage.reported,
                u.coverage.expected,
                data_state_vi(u.data_state),
                u.code,
            ]
            for u in data.summary.units
        ],
        {2: SCORE},
    )


def _reports_sheet(book: Workbook, data: ConsolidatedData) -> None:
    """Who sent the period's report; for a month of a quarterly year, the quarter's reports."""
    if data.quarter is None:
        _sheet(
            book,
            "Gửi báo cáo",
            ["Đơn vị", "Tình hình", "Gửi lần đầu", "Hạn", "Mã"],
            [
                [
                    r.unit_name,
                    STATE_LABELS[r.state],
                    r.submitted_at.astimezone(VIETNAM_TZ).replace(tzinfo=None)
                    if r.submitted_at
                    else None,
                    r.due_date,
                    r.unit,
                ]
                for r in data.discipline
            ],
        )
        return
    quarter = data.quarter
    _sheet(
        book,
        f"Báo cáo {in_sentence(quarter.period_label)}".replace("/", "-"),
        ["Đơn vị", "Tình hình", "Hạn", "Mã"],
        [
            [r.unit_name, quarter.label(r.state), quarter.due_date, r.unit]
            for state in QUARTER_STATES
            for r in quarter.of(state)
        ],
    )


def _text_sheets(book: Workbook, data: ConsolidatedData) -> None:
    """The units' words (tasks, difficulties, proposals), the priorities and the basis note."""
    _sheet(
        book,
        "Nhiệm vụ",
        ["Lĩnh vực CCHC", "Nhiệm vụ", "Đơn vị", "Tình trạng", "% hoàn thành", "Kết quả"],
        [
            [a.name, t.code, r.unit_name, r.status_label, r.percent, r.result]
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
    _sheet(
        book,
        "Căn cứ số liệu",
        ["Nội dung"],
        [[text] for text in (data.subject, data.basis_note, data.scope_note) if text],
    )


def _date_formats(book: Workbook) -> None:
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, datetime):
                    cell.number_format = "dd/mm/yyyy hh:mm"
                elif isinstance(cell.value, date):
                    cell.number_format = "dd/mm/yyyy"


def render(data: ConsolidatedData) -> bytes:
    """The workbook, its sheets in the order of the Word document."""
    data = printable(data)
    book = Workbook()
    book.remove(book.worksheets[0])  # the default sheet a new workbook opens with
    _kpi_sheets(book, data)
    _score_sheets(book, data)
    _reports_sheet(book, data)
    _text_sheets(book, data)
    _date_formats(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
