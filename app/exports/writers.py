"""Exports: the lists as CSV or Excel, with Vietnamese headers and values that stay values.

Every dataset is a list of columns (header, how to get the value, its kind) over the rows a list
service returns, so an export always matches the list it comes from, filters included. Text that
begins with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is prefixed with ``'``: a
spreadsheet then shows it as text and never runs it as a formula.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import IO, Any

from app.clock import VIETNAM_TZ
from app.dossiers.records import UNKNOWN_FLAG
from app.formatting import format_machine

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
PAGE = 1000


def neutralise(value: str) -> str:
    """``=HYPERLINK(…)`` becomes ``'=HYPERLINK(…)``: text, never a formula (OWASP's advice);
    control characters, which no spreadsheet can hold, are dropped."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # lazy: openpyxl costs memory

    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(_DANGEROUS) else value


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"  # a count or an amount: shown 1.250 or 1.250,50 in a Vietnamese Excel
    COUNT = "count"  # always whole (versions, ranks)
    PERCENT = "percent"  # a number 0–100, written as a number (never "98,5%" text)
    DATE = "date"
    DATETIME = "datetime"
    FLAG = "flag"


@dataclass(frozen=True)
class Column:
    header: str
    get: Callable[[Any], Any]
    kind: Kind = Kind.TEXT


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def _local(value: datetime | None) -> datetime | None:
    """Spreadsheets have no time zones: write the Vietnam wall-clock time people expect."""
    return None if value is None else value.astimezone(VIETNAM_TZ).replace(tzinfo=None)


_END_OF_DAY = time(23, 59, 59, 999_999)


def _moment_text(local: datetime) -> str:
    """As precise as the stored moment, so the file re-imports unchanged: a due date given as a
    day (stored as the day's last instant) goes back as the day; seconds only when there are."""
    if local.time() == _END_OF_DAY:
        return local.date().isoformat()
    if local.second or local.microsecond:
        return local.isoformat(sep=" ")
    return local.strftime("%Y-%m-%d %H:%M")


def _csv_value(value: Any, kind: Kind) -> str:
    if value is None:
        return UNKNOWN_FLAG if kind == Kind.FLAG else ""
    if kind == Kind.FLAG:
        return "có" if value else "không"
    if kind == Kind.DATETIME and isinstance(value, datetime):
        local = _local(value)
        assert local is not None
        return _moment_text(local)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format_machine(value)
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def csv_chunks(columns: list[Column], rows: Iterable[Any]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel shows the diacritics), comma-separated, one chunk per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_value(c.get(row), c.kind) for c in columns])
        yield buffer.getvalue().encode("utf-8")


_NUMBER_FORMATS = {
    Kind.DATE: "DD/MM/YYYY",
    Kind.DATETIME: "DD/MM/YYYY HH:MM",
    Kind.COUNT: "#,##0",
}
#: Numbers stay numbers; the format only shows them. Excel draws the separators of the reader's
#: locale, so a Vietnamese Excel shows ``#,##0.00`` as 1.250,50.
_WHOLE_FORMATS = {Kind.NUMBER: "#,##0", Kind.PERCENT: "0"}
_DECIMAL_FORMATS = {Kind.NUMBER: "#,##0.00", Kind.PERCENT: "0.00"}


def _number_format(value: object, kind: Kind) -> str | None:
    if kind in _NUMBER_FORMATS:
        return _NUMBER_FORMATS[kind]
    if kind in _WHOLE_FORMATS and isinstance(value, int | float):
        whole = isinstance(value, int) or value.is_integer()
        return (_WHOLE_FORMATS if whole else _DECIMAL_FORMATS)[kind]
    return None


def xlsx_file(columns: list[Column], rows: Iterable[Any], *, title: str) -> IO[bytes]:
    """An Excel workbook on disk (write-only mode: memory stays flat for long lists)."""
    from openpyxl import Workbook  # imported on first use: ~MiB per process otherwise
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([c.header for c in columns])
    for row in rows:
        cells = []
        for column in columns:
            value = column.get(row)
            if column.kind == Kind.DATETIME and isinstance(value, datetime):
                value = _local(value)
            elif column.kind == Kind.FLAG:
                value = UNKNOWN_FLAG if value is None else ("có" if value else "không")
            if isinstance(value, str):
                value = neutralise(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text even if it still looked like a formula
            elif value is not None and (shown := _number_format(value, column.kind)):
                cell.number_format = shown
            cells.append(cell)
        sheet.append(cells)
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(out)
    out.seek(0)
    return out
