"""Cells as Excel leaves them, turned into what the row parsers read.

Excel changes what an officer types: ``2025-10`` becomes the date 01/10/2025 shown ``Oct-25``,
a code ``2025`` becomes a number, a date column holds real dates. Each is taken back where the
meaning is certain; a period that became a day other than the first of a month is refused with
the way to keep Excel from changing it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from app.errors import FieldError, Invalid
from app.uploads.headers import normalise

#: Fields that take numbers, dates or yes/no as they are; every other field is text.
TYPED_FIELDS = frozenset(
    {
        "value",
        "numerator",
        "denominator",
        "percent_complete",
        "version",
        "received_at",
        "due_at",
        "completed_at",
        "returned_at",
        "resolved_at",
        "rescheduled",
        "fully_online",
        "digitized",
        "e_result",
        "reused_data",
        "paid_online",
        "satisfied",
    }
)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_CANONICAL = re.compile(r"^\d{4}-(0[1-9]|1[0-2]|q[1-4])$", re.IGNORECASE)
_MON_YY = re.compile(r"^([a-z]{3})[a-z]*[-/ ](\d{2}|\d{4})$")
_THG_YY = re.compile(r"^th(?:g|ang)\.? ?(\d{1,2})[-/ ,]+(\d{2}|\d{4})$")
_MM_YYYY = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
_DD_MM_YYYY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: 0?0:00(?::00)?)?$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ t]00:00(?::00)?)?$")
_QUARTER = re.compile(r"^(?:quy|q) ?([1-4])[-/ ]+(\d{4})$")

PERIOD_HINT = (
    "Excel đã đổi kỳ báo cáo thành một ngày. Hãy định dạng cột Kỳ báo cáo là Văn bản "
    "(chuột phải → Định dạng ô → Văn bản) rồi nhập lại dạng 2025-10 (tháng) hoặc 2026-Q1 (quý)."
)


def _year(text: str) -> int:
    year = int(text)
    return 2000 + year if year < 100 else year


def _month(year: int, month: int) -> str:
    if not 1 <= month <= 12:
        raise ValueError
    return f"{year:04d}-{month:02d}"


def excel_period(value: Any) -> Any:
    """``Oct-25``, ``thg 10-25``, ``10/2025``, ``01/10/2025``, a date cell of the 1st → ``2025-10``;
    ``Quý 1/2026`` → ``2026-Q1``. A day other than the 1st is refused (``ValueError``): it is
    no period, and ``10/01/2025`` could be either order."""
    if isinstance(value, datetime | date):
        if value.day != 1:
            raise ValueError(value.strftime("%d/%m/%Y"))
        return _month(value.year, value.month)
    if not isinstance(value, str):
        return value
    text = value.strip()
    if _CANONICAL.match(text):
        return text
    plain = normalise(text)
    try:
        if found := _MON_YY.match(plain):
            month = _MONTHS.get(found.group(1))
            return _month(_year(found.group(2)), month) if month else text
        if found := _THG_YY.match(plain):
            return _month(_year(found.group(2)), int(found.group(1)))
        if found := _MM_YYYY.match(plain):
            return _month(int(found.group(2)), int(found.group(1)))
        if found := _QUARTER.match(plain):
            return f"{found.group(2)}-Q{found.group(1)}"
        if found := _DD_MM_YYYY.match(plain):
            day, month, year = (int(g) for g in found.groups())
            if day != 1:
                raise ValueError(text)
            return _month(year, month)
        if found := _ISO_DAY.match(plain):
            year, month, day = (int(g) for g in found.groups())
            if day != 1:
                raise ValueError(text)
            return _month(year, month)
    except ValueError:
        raise ValueError(text) from None
    return text


def _as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


def period_error(text: str) -> Invalid:
    return Invalid(
        [
            FieldError(
                "period", "period_is_a_date", f"Kỳ báo cáo “{text}” là một ngày. {PERIOD_HINT}"
            )
        ],
        message=f"Kỳ báo cáo “{text}” là một ngày. {PERIOD_HINT}",
    )


def coerce(values: dict[str, Any], *, typed: bool) -> dict[str, Any]:
    """The row's period made a period; with ``typed`` cells (a workbook), numbers and dates in
    text fields back to the text that was typed. Raises ``Invalid`` for a period that is a day."""
    period = values.get("period")
    if period is not None and not (isinstance(period, str) and _CANONICAL.match(period)):
        try:
            values["period"] = excel_period(period)
        except ValueError as exc:
            raise period_error(str(exc)) from None
    if typed:
        for name, value in values.items():
            # ``type`` first: most cells are text, and this runs twice on every row of a file
            if type(value) is not str and name not in TYPED_FIELDS and not isinstance(value, str):
                values[name] = _as_text(value)
    return values


Coercer = Callable[[dict[str, Any]], dict[str, Any]]
