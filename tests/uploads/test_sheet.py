"""The sheet reader reads every cell as openpyxl's read-only worksheet does (made plain: text
stripped, empty as None, a midnight date-time as its date), on workbooks written both ways
openpyxl writes them (shared strings; inline strings in write-only mode)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from app.uploads.files import FileProblem
from app.uploads.sheet import BadWorkbook, Workbook
from app.uploads.xlsx import XlsxTable

ROWS = [
    ["Mã chỉ tiêu", "Đơn vị", "Kỳ", "Giá trị", "Ngày", "Có", "Ghi chú"],
    ["tthc_ontime", " ttpvhcc ", "2025-10", 98.5, datetime(2025, 10, 1), True, ""],
    [],
    [None, "vp", None, 12, datetime(2025, 10, 3, 8, 30), False, "  "],
    ["x", None, None, None, None, None, None, None, "cột J"],
    [1e21, -3, 0, 2.5e-7, date(2025, 1, 31), time(7, 45), "Tổng cộng"],
    ["=1+1", 20251003, "1.250", "98,5", timedelta(hours=36), None, "dòng\ncuối"],
]


def _plain(value: object) -> object:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date()
    return value


def _openpyxl_rows(data: bytes, sheet: int = 0) -> list[tuple[int, list[object]]]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    book.worksheets[sheet].reset_dimensions()
    out = []
    for number, row in enumerate(book.worksheets[sheet].iter_rows(values_only=True), start=1):
        cells = [_plain(v) for v in row]
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            out.append((number, cells))
    book.close()
    return out


def _ours(data: bytes, sheet: int = 0) -> list[tuple[int, list[object]]]:
    book = Workbook(io.BytesIO(data))
    try:
        return list(book.rows(list(book.sheets)[sheet]))
    finally:
        book.close()


def _saved(book: OpenpyxlWorkbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("write_only", [False, True], ids=["shared strings", "inline strings"])
def test_cells_read_as_openpyxl_reads_them(write_only: bool) -> None:
    book = OpenpyxlWorkbook(write_only=write_only)
    sheet = book.create_sheet("Số liệu") if write_only else book.active
    for row in ROWS:
        sheet.append(row)
    data = _saved(book)
    assert _ours(data) == _openpyxl_rows(data)
    assert _ours(data)[0] == (1, ROWS[0])
    assert [n for n, _ in _ours(data)] == [1, 2, 4, 5, 6, 7]  # the blank row keeps its number


def test_rich_text_gaps_and_the_1904_epoch() -> None:
    book = OpenpyxlWorkbook()
    book.epoch = datetime(1904, 1, 1)
    sheet = book.active
    sheet["B3"] = CellRichText(["Mã ", TextBlock(InlineFont(b=True), "đơn vị")])
    sheet["D3"] = datetime(2025, 10, 1, 12, 0)
    sheet["AA7"] = 5
    sheet["A9"] = "=SUM(A1:A2)"
    second = book.create_sheet("Khác")
    second["C2"] = "ở trang hai"
    data = _saved(book)
    assert _ours(data) == _openpyxl_rows(data)
    assert _ours(data, 1) == _openpyxl_rows(data, 1) == [(2, [None, None, "ở trang hai"])]
    [(_, first), (_, far)] = _ours(data)
    assert first == [None, "Mã đơn vị", None, datetime(2025, 10, 1, 12, 0)]
    assert len(far) == 27 and far[-1] == 5


def test_a_broken_workbook_is_refused_with_the_fix() -> None:
    with pytest.raises(BadWorkbook):
        Workbook(io.BytesIO(b"PK\x03\x04 not really a zip"))
    good = io.BytesIO()
    book = OpenpyxlWorkbook()
    book.active.append(["indicator", "unit", "period"])
    book.active.append(["tthc_ontime", "vp", "2025-10"])
    book.save(good)
    broken = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good.getvalue())) as source,
        zipfile.ZipFile(broken, "w") as target,
    ):
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body[: len(body) // 2]  # cut in the middle of the sheet's XML
            target.writestr(item, body)
    with pytest.raises(FileProblem) as refused:
        table = XlsxTable(broken, fields=["indicator", "unit", "period"])
        list(table.rows())
    assert refused.value.errors[0][1].code == "xlsx_invalid"
