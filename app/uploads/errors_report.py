"""Errors of an import that stay small: grouped for the answer, complete in a file on disk.

A file where most rows are wrong has as many errors as rows. Listing them all in the answer made
an 11 MB JSON and hundreds of MB of server memory for one bad unit code, so the answer carries
groups (field, code, value) with a count and their first rows, plus the first errors in row
order; every error goes, as it is found, to a CSV file on disk that the sender downloads. The
rows that were refused go to a second file, as read, with their errors in ``_errors``: fix them
there and send that file again.
"""

from __future__ import annotations

import contextlib
import csv
import heapq
import secrets
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel
from pydantic import Field as PydanticField

from app.errors import NotFound

#: Errors listed one by one in the answer (the smallest row numbers).
ERRORS_SHOWN = 100
#: Groups listed in the answer (the largest first).
GROUPS_SHOWN = 50
#: Rows named per group.
ROWS_PER_GROUP = 5
#: Distinct groups remembered; past this, new values of a (field, code) share one group.
MAX_GROUPS = 2000
#: How long a report stays downloadable.
KEEP_SECONDS = 24 * 3600
REPORTS_DIR = Path(tempfile.gettempdir()) / "partrack-import-reports"
ERRORS_FILE = "loi.csv"
REJECTED_FILE = "dong-bi-tu-choi.csv"
_VALUE_SHOWN = 80
_OTHER_VALUES = "(các giá trị khác)"


#: Error codes as a page shows them (the message says the rest).
CODE_LABELS = {
    "duplicate_key": "Trùng khóa",
    "unit_not_found": "Không có đơn vị",
    "indicator_not_found": "Không có chỉ tiêu",
    "domain_not_found": "Không có lĩnh vực",
    "plan_not_found": "Không có kế hoạch",
    "assignment_not_found": "Không có nhiệm vụ",
    "other_unit": "Đơn vị khác",
    "forbidden": "Không có quyền",
    "period_locked": "Kỳ đã khóa",
    "period_invalid": "Kỳ không hợp lệ",
    "period_is_a_date": "Kỳ bị Excel đổi thành ngày",
    "stale_version": "Phiên bản cũ",
    "not_a_number": "Không phải số",
    "ambiguous_number": "Số có hai cách hiểu",
    "not_whole": "Phải là số nguyên",
    "out_of_range": "Ngoài khoảng cho phép",
    "missing": "Thiếu giá trị",
    "missing_column": "Thiếu cột",
    "unknown_column": "Cột lạ",
    "duplicate_column": "Cột lặp",
    "invalid": "Giá trị không hợp lệ",
    "extra_forbidden": "Trường không được nhận",
    "extra_cells": "Thừa ô",
    "not_utf8": "Sai bảng mã",
    "legacy_encoding": "Bảng mã cũ",
    "xls_not_supported": "Tệp .xls",
    "xlsx_invalid": "Tệp Excel hỏng",
    "sheet_not_found": "Không có trang tính",
    "empty_file": "Tệp rỗng",
    "no_rows": "Không có dòng dữ liệu",
    "csv_invalid": "Dòng CSV hỏng",
    "json_invalid": "JSON hỏng",
    "wrong_delimiter": "Sai dấu phân cách",
    "enum": "Không thuộc danh sách",
    "less_than_equal": "Quá lớn",
    "greater_than_equal": "Quá nhỏ",
}


class RowError(BaseModel):
    row: int = PydanticField(
        description="The spreadsheet's row number (the header is row 1); for JSON the 1-based "
        "position in the list; 0 = the whole file."
    )
    field: str
    code: str
    message: str


class ErrorGroup(BaseModel):
    """Every error with the same field, code and value: one line however many rows."""

    field: str
    code: str
    value: str | None = PydanticField(description="The value the rows gave (shortened).")
    message: str
    count: int
    rows: list[int] = PydanticField(description=f"The first {ROWS_PER_GROUP} rows.")


def shown_value(value: Any) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, datetime | date) else str(value)
    return text if len(text) <= _VALUE_SHOWN else text[: _VALUE_SHOWN - 1] + "…"


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


class ErrorCollector:
    """Takes each refused row once, with all its errors; keeps counts, never the whole list."""

    def __init__(self, *, columns: Sequence[str], keep_rejected: bool) -> None:
        self.columns = list(columns)
        self.keep_rejected = keep_rejected
        self.total = 0
        self.groups: dict[tuple[str, str, str | None], ErrorGroup] = {}
        self._first: list[tuple[int, int, RowError]] = []  # a max-heap of the smallest rows
        self._seq = 0
        self.token: str | None = None
        self._errors_file: IO[str] | None = None
        self._rejected_file: IO[str] | None = None
        self._errors_csv: Any = None
        self._rejected_csv: Any = None

    def add(self, row: int, errors: Sequence[RowError], values: dict[str, Any]) -> None:
        if self._errors_csv is None:
            self._open()
        for error in errors:
            self.total += 1
            value = shown_value(values.get(error.field)) if values else None
            self._group(error, value)
            self._seq += 1
            entry = (-error.row, -self._seq, error)
            if len(self._first) < ERRORS_SHOWN:
                heapq.heappush(self._first, entry)
            elif entry > self._first[0]:
                heapq.heapreplace(self._first, entry)
            self._errors_csv.writerow(
                [
                    error.row,
                    error.field,
                    error.code,
                    error.message,
                    cell_text(values.get(error.field)),
                ]
            )
        if self.keep_rejected:
            problems = " | ".join(f"{e.field}: {e.message}" for e in errors)
            self._rejected_csv.writerow(
                [row, *(cell_text(values.get(c)) for c in self.columns), problems]
            )

    def _group(self, error: RowError, value: str | None) -> None:
        key = (error.field, error.code, value)
        group = self.groups.get(key)
        if group is None and len(self.groups) >= MAX_GROUPS:
            key = (error.field, error.code, _OTHER_VALUES)
            group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = ErrorGroup(
                field=error.field,
                code=error.code,
                value=key[2],
                message=error.message,
                count=0,
                rows=[],
            )
        group.count += 1
        if len(group.rows) < ROWS_PER_GROUP:
            group.rows.append(error.row)

    def first_errors(self) -> list[RowError]:
        ordered = sorted(self._first, key=lambda e: (-e[0], -e[1]))
        return [error for _, _, error in ordered]

    def largest_groups(self) -> list[ErrorGroup]:
        ordered = sorted(self.groups.values(), key=lambda g: (-g.count, g.rows[0] if g.rows else 0))
        return ordered[:GROUPS_SHOWN]

    def _open(self) -> None:
        REPORTS_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        _sweep()
        self.token = secrets.token_urlsafe(18)
        self._errors_file = _report_path(self.token, ERRORS_FILE).open(
            "w", encoding="utf-8-sig", newline=""
        )
        self._errors_csv = csv.writer(self._errors_file, lineterminator="\r\n")
        self._errors_csv.writerow(["Dòng", "Cột", "Mã lỗi", "Lỗi", "Giá trị"])
        if self.keep_rejected:
            self._rejected_file = _report_path(self.token, REJECTED_FILE).open(
                "w", encoding="utf-8-sig", newline=""
            )
            self._rejected_csv = csv.writer(self._rejected_file, lineterminator="\r\n")
            self._rejected_csv.writerow(["_dong", *self.columns, "_errors"])

    def close(self, owner: str) -> str | None:
        """Finish the files on disk and name their owner; the token to download them."""
        for handle in (self._errors_file, self._rejected_file):
            if handle is not None:
                handle.close()
        if self.token is not None:
            _report_path(self.token, "owner").write_text(owner, encoding="utf-8")
        return self.token


def _report_path(token: str, name: str) -> Path:
    return REPORTS_DIR / f"{token}-{name}"


def _sweep() -> None:
    """Reports older than a day are gone: they were for fixing a file, not for keeping."""
    limit = time.time() - KEEP_SECONDS
    for path in REPORTS_DIR.glob("*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()


def open_report(*, token: str, name: str, username: str) -> Iterator[bytes]:
    """A report's bytes in blocks, for its owner only (anyone else gets the same 404)."""
    if (
        name not in (ERRORS_FILE, REJECTED_FILE)
        or not token.replace("-", "").replace("_", "").isalnum()
    ):
        raise _gone()
    owner = _report_path(token, "owner")
    path = _report_path(token, name)
    try:
        if owner.read_text(encoding="utf-8") != username or not path.exists():
            raise _gone()
        handle = path.open("rb")
    except OSError:
        raise _gone() from None

    def blocks() -> Iterator[bytes]:
        with handle:
            while block := handle.read(64 * 1024):
                yield block

    return blocks()


def _gone() -> NotFound:
    return NotFound(
        "Không tìm thấy báo cáo lỗi này (báo cáo chỉ giữ trong 24 giờ và chỉ người gửi tệp tải "
        "được). Hãy gửi lại tệp để có báo cáo mới.",
        code="report_not_found",
    )
