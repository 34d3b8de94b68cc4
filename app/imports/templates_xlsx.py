"""Excel templates an officer fills in Excel and uploads back as they are.

The data sheet has the Vietnamese column labels (matched on import like the field names), an
example row, drop-down lists of the codes that exist today (units, indicators, domains,
periods, statuses, channels) taken from a hidden "Danh mục" sheet, and text-formatted code and
period columns so Excel does not turn ``2025-10`` into a date. A second sheet explains it all.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.dossiers.models import DossierChannel, FeedbackChannel, FeedbackKind
from app.imports.templates import _EXAMPLES, COLUMNS, LABELS, ImportKind
from app.permissions import Permission, authorize
from app.progress.models import ProgressStatus
from app.uploads.headers import field_label

DATA_SHEET = "Dữ liệu"
LISTS_SHEET = "Danh mục"
HELP_SHEET = "Hướng dẫn"
#: Rows of the data sheet that carry the drop-down lists.
LIST_ROWS = 5000
_TEXT_FIELDS = ("indicator", "unit", "period", "domain", "assignment", "code", "procedure_code")
_FLAGS = ("rescheduled", "fully_online", "digitized", "e_result", "reused_data", "paid_online")


def _choices(db_session: Session, clock: Clock) -> dict[str, list[str]]:
    """Each field with a closed list, and the codes it may take today."""
    from app.kpis import domains as kpi_domains
    from app.kpis import indicators as kpi_indicators
    from app.plans import service as plan_service
    from app.units import service as unit_service

    units, _ = unit_service.list_units(
        db_session=db_session, active=True, parent=None, q=None, limit=1000, offset=0
    )
    indicators, _ = kpi_indicators.list_indicators(
        db_session=db_session, plan_code=None, area=None, unit=None, limit=1000, offset=0
    )
    domains = kpi_domains.list_domains(db_session=db_session, active=True)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    periods = plan_service.calendar_for(plan).periods(until=clock.today())
    flags = ["có", "không"]
    return {
        "unit": [u.code for u in units],
        "indicator": [i.code for i in indicators],
        "domain": [d.code for d in domains],
        "period": [str(p) for p in reversed(periods)],
        "status": [s.value for s in ProgressStatus],
        "channel": [c.value for c in DossierChannel],
        "feedback_channel": [c.value for c in FeedbackChannel],
        "kind": [k.value for k in FeedbackKind],
        **dict.fromkeys(_FLAGS, flags),
        "satisfied": flags,
    }


def _help_lines(kind: ImportKind, columns: tuple[str, ...]) -> list[str]:
    return [
        f"Mẫu nhập dữ liệu: {LABELS[kind]}",
        "",
        "1. Điền dữ liệu vào trang “Dữ liệu”, mỗi dòng một bản ghi, bắt đầu từ dòng 2 (có thể "
        "xóa dòng ví dụ). Không đổi tên dòng tiêu đề; có thể xóa các cột không dùng.",
        "2. Các ô có mũi tên ▼ chọn từ danh sách (đơn vị, chỉ tiêu, lĩnh vực, kỳ, trạng thái…). "
        "Danh sách lấy từ hệ thống lúc tải mẫu.",
        "3. Kỳ báo cáo ghi dạng 2025-10 (tháng) hoặc 2026-Q1 (quý). Cột kỳ đã định dạng Văn bản "
        "để Excel không đổi thành ngày.",
        "4. Số thập phân dùng dấu phẩy (98,5); ngày giờ nhập như Excel (03/10/2025 08:30).",
        "5. Lưu tệp dạng Excel (.xlsx) và gửi tại trang Nhập dữ liệu hàng loạt. Nên chọn “Chỉ "
        "kiểm tra, không ghi” trước: hệ thống báo lỗi theo số dòng của Excel.",
        "6. Nếu có dòng bị từ chối, tải tệp “các dòng bị từ chối”, sửa theo cột _errors rồi gửi "
        "lại tệp đó.",
        "",
        "Các cột:",
        *(f"• {field_label(c)} ({c})" for c in columns),
    ]


def template_xlsx(*, db_session: Session, actor: Actor, clock: Clock, kind: ImportKind) -> bytes:
    """The workbook's bytes (a few kilobytes: lists are formulas over one hidden sheet)."""
    authorize(actor, Permission.DATA_WRITE)
    columns = COLUMNS[kind]
    choices = _choices(db_session, clock)
    if kind == ImportKind.FEEDBACK:
        choices["channel"] = choices["feedback_channel"]
    workbook = Workbook()
    data = workbook.active
    assert isinstance(data, Worksheet)  # a new workbook opens on one plain worksheet
    data.title = DATA_SHEET
    data.append([field_label(c) for c in columns])
    for example in _EXAMPLES[kind]:
        data.append([example.get(c) or None for c in columns])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in data[1]:
        cell.font, cell.fill = bold, fill
    data.freeze_panes = "A2"
    lists = workbook.create_sheet(LISTS_SHEET)
    list_column = 0
    for index, name in enumerate(columns, start=1):
        letter = get_column_letter(index)
        data.column_dimensions[letter].width = max(14, len(field_label(name)) + 4)
        if name in _TEXT_FIELDS:
            for row in range(2, LIST_ROWS + 1):
                data.cell(row=row, column=index).number_format = "@"
        values = choices.get(name)
        if not values or name == "feedback_channel":
            continue
        list_column += 1
        list_letter = get_column_letter(list_column)
        lists.cell(row=1, column=list_column, value=field_label(name))
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=list_column, value=value)
        rule = DataValidation(
            type="list",
            formula1=f"='{LISTS_SHEET}'!${list_letter}$2:${list_letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Giá trị không có trong danh sách",
            error=f"Hãy chọn {field_label(name).lower()} từ danh sách.",
        )
        rule.add(f"{letter}2:{letter}{LIST_ROWS}")
        data.add_data_validation(rule)
    lists.sheet_state = "hidden"
    help_sheet = workbook.create_sheet(HELP_SHEET)
    help_sheet.column_dimensions["A"].width = 110
    for line in _help_lines(kind, columns):
        help_sheet.append([line])
    help_sheet["A1"].font = Font(bold=True, size=14)
    for row in help_sheet.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
