"""How a register field is typed, read and shown: the one description the API schemas, the
forms, the imports and the exports of every register are made from.

A field reads what officers type (``31/12/2025``, ``1,5``, ``Nguyễn Văn An (vhxh)``) the same way
whether it came from a form, a JSON body or a spreadsheet cell, so a message is the same
wherever the mistake was made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic import Field as PydanticField

from app.formatting import NumberError, format_input, format_number, parse_number
from app.kpis.models import CleanStr, Number
from app.periods import format_date_vi

_VI_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def _read_date(value: Any) -> Any:
    """``31/12/2025``, ``2025-12-31`` or an Excel date cell; blank is none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        found = _VI_DATE.match(text)
        if found:
            day, month, year = (int(g) for g in found.groups())
            try:
                return date(year, month, day)
            except ValueError as exc:
                raise ValueError(
                    f"Ngày “{text}” không có thật; ghi theo dạng dd/mm/yyyy (ví dụ 31/12/2025)."
                ) from exc
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            raise ValueError(f"Ngày “{text}” không hợp lệ; ghi theo dạng dd/mm/yyyy.")
    return value


def _plausible(value: date | None) -> date | None:
    if value is not None and not 2000 <= value.year <= 2100:
        raise ValueError("Năm phải từ 2000 đến 2100.")
    return value


ViDate = Annotated[date, BeforeValidator(_read_date), AfterValidator(_plausible)]
_PERSON = re.compile(r"^(?P<name>[^()]+?)\s*(?:\((?P<unit>[^()]*)\))?$")


def _read_people(value: Any) -> Any:
    """``Nguyễn Văn An (vhxh); Trần Thị Bình (vp)`` or a JSON list → ``[{name, unit}]``."""
    if isinstance(value, str):
        people = []
        for part in (p.strip() for p in re.split(r"[;\n]", value)):
            if not part:
                continue
            found = _PERSON.match(part)
            if found is None:
                raise ValueError(f"Không đọc được “{part}”: ghi “Họ tên (mã đơn vị)”.")
            people.append({"name": found["name"].strip(), "unit": (found["unit"] or "").strip()})
        return people
    return value


_MONTH = re.compile(r"^\s*(?:tháng\s*)?(\d{1,2})\s*/\s*(\d{4})\s*$|^\s*(\d{4})-(\d{1,2})\s*$", re.I)


def _month_key(text: str) -> str:
    """``10/2025``, ``tháng 10/2025`` or ``2025-10`` → ``2025-10``."""
    found = _MONTH.match(text)
    if found is None:
        raise ValueError(f"Tháng “{text.strip()}” không hợp lệ; ghi theo dạng mm/yyyy (10/2025).")
    month, year = (found[1], found[2]) if found[1] else (found[4], found[3])
    if not 1 <= int(month) <= 12 or not 2000 <= int(year) <= 2100:
        raise ValueError(f"Tháng “{text.strip()}” không có thật.")
    return f"{int(year):04d}-{int(month):02d}"


def _month_value(month: str, value: Any, maximum: float) -> float:
    if isinstance(value, bool):
        raise ValueError(f"Tháng {month}: phải là một số.")
    try:
        number = (
            parse_number(value, minimum=0, maximum=maximum)
            if isinstance(value, str)
            else float(value)
        )
    except NumberError as exc:
        raise ValueError(f"Tháng {_month_shown(month)}: {exc.message}") from None
    except (TypeError, ValueError):
        raise ValueError(f"Tháng {_month_shown(month)}: phải là một số.") from None
    if not 0 <= number <= maximum:
        raise ValueError(f"Tháng {_month_shown(month)}: số phải từ 0 đến {format_number(maximum)}.")
    return number


def _month_shown(key: str) -> str:
    year, month = key.split("-")
    return f"{month}/{year}"


#: Twenty years of months: more is a mistake, or a body built to make the reading slow.
MAX_MONTHS = 240
_TOO_MANY = f"Tối đa {MAX_MONTHS} tháng."
_PART = re.compile(r"[^;\n]+")


def read_months(value: Any, maximum: float) -> Any:
    """``10/2025: 1.250,5; 11/2025: 2.400`` (a form, a spreadsheet cell) or a JSON object
    ``{"2025-10": 1250.5}`` → ``{"2025-10": 1250.5}``; a month written twice is refused."""
    if value is None:
        return None
    pairs: list[tuple[str, Any]] = []
    if isinstance(value, str):
        for found in _PART.finditer(value):
            part = found[0].strip()
            if not part:
                continue
            if len(pairs) == MAX_MONTHS:
                raise ValueError(_TOO_MANY)  # before reading the rest of a very long text
            month, sep, number = part.partition(":")
            if not sep:
                raise ValueError(f"Không đọc được “{part}”: ghi “tháng/năm: số” (10/2025: 1.250).")
            pairs.append((month, number.strip()))
    elif isinstance(value, dict):
        if len(value) > MAX_MONTHS:
            raise ValueError(_TOO_MANY)  # before copying a body's 100 000 keys
        pairs = [(str(k), v) for k, v in value.items()]
    else:
        raise ValueError('Ghi số liệu theo tháng dạng {"2025-10": 1250} hoặc “10/2025: 1.250”.')
    months: dict[str, float] = {}
    for text, number in pairs:
        key = _month_key(text)
        if key in months:
            raise ValueError(f"Tháng {_month_shown(key)} được ghi hai lần.")
        months[key] = _month_value(key, number, maximum)
    return dict(sorted(months.items()))


def shown_months(value: dict[str, float], *, typed: bool = False) -> str:
    """``09/2025: 1.020,5; 10/2025: 1.130`` to read; ``typed``: as a form or a spreadsheet
    cell holds it to be read back (``1130``: no thousands dot to be taken for a decimal)."""
    number = format_input if typed else format_number
    return "; ".join(f"{_month_shown(k)}: {number(v)}" for k, v in sorted(value.items()))


class FieldKind(StrEnum):
    TEXT = "text"  # one line
    LONG = "long"  # a paragraph
    DATE = "date"
    NUMBER = "number"
    YEAR = "year"  # the year a target or an allocation is for
    CHOICE = "choice"
    PEOPLE = "people"
    MONTHLY = "monthly"  # a figure per month: {"2025-10": 1250.5}


@dataclass(frozen=True)
class FieldSpec:
    """One column of a register, in every place it shows."""

    name: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    max_length: int = 4000
    example: Any = None
    #: Shown in the list's table (the rest is on the row's page).
    listed: bool = False
    #: The largest number a NUMBER or MONTHLY field takes (money in millions of đồng needs more
    #: than a count of hours).
    maximum: float = 1_000_000
    hint: str = ""
    #: A TEXT field naming a code of another row (``kt-2025-001``): lower-cased where the value
    #: is read, whether a form, a JSON body or a spreadsheet cell sent it (the inputs strip
    #: spaces), so that what is stored and checked is the code as the other row holds it.
    lower: bool = False

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.choices)

    def annotation(self) -> Any:
        """The pydantic type of the field in the API's input."""
        if self.kind is FieldKind.DATE:
            return ViDate
        if self.kind is FieldKind.NUMBER:
            return Annotated[Number, PydanticField(ge=0, le=self.maximum)]
        if self.kind is FieldKind.YEAR:
            return Annotated[int, BeforeValidator(_read_year), PydanticField(ge=2000, le=2100)]
        if self.kind is FieldKind.MONTHLY:
            return Annotated[dict[str, float],
                             BeforeValidator(lambda v: read_months(v, self.maximum))]  # fmt: skip
        if self.kind is FieldKind.CHOICE:
            return Annotated[str, AfterValidator(self._check_choice)]
        if self.kind is FieldKind.PEOPLE:
            return Annotated[list[dict[str, str]], BeforeValidator(_read_people),
                             AfterValidator(_check_people)]  # fmt: skip
        text = Annotated[CleanStr, PydanticField(max_length=self.max_length)]
        return Annotated[text, AfterValidator(_lowered)] if self.lower else text

    def _check_choice(self, value: str) -> str:
        folded = value.strip().lower()
        for key, label in self.choices:
            if folded in (key, label.lower()):
                return key
        allowed = ", ".join(f"{k} ({v})" for k, v in self.choices)
        raise ValueError(f"“{value}” không có trong danh sách: {allowed}.")

    def typed(self, value: Any) -> str:
        """The value as a form field or an exported cell holds it, to be read back unchanged."""
        if value is None:
            return ""
        if self.kind is FieldKind.NUMBER:
            return format_input(value)
        if self.kind is FieldKind.MONTHLY:
            return shown_months(value, typed=True).replace("; ", "\n")
        if self.kind is FieldKind.PEOPLE:
            return self.shown(value).replace("; ", "\n")
        return self.shown(value) if self.kind is FieldKind.DATE else str(value)

    def shown(self, value: Any) -> str:
        """The value as a page, a report or a spreadsheet cell of text says it."""
        if value is None or value == "":
            return ""
        if self.kind is FieldKind.DATE:
            return format_date_vi(value)
        if self.kind is FieldKind.NUMBER:
            return format_number(value)
        if self.kind is FieldKind.CHOICE:
            return self.labels.get(value, str(value))
        if self.kind is FieldKind.MONTHLY:
            return shown_months(value)
        if self.kind is FieldKind.PEOPLE:
            return "; ".join(
                f"{p['name']} ({p['unit']})" if p.get("unit") else p["name"] for p in value
            )
        return str(value)


def _lowered(value: str) -> str:
    return value.strip().lower()


def _read_year(value: Any) -> Any:
    """``2025`` typed, or ``2025.0`` from a spreadsheet cell."""
    if isinstance(value, bool):
        raise ValueError("Năm phải là một số (2025).")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _check_people(value: list[dict[str, str]]) -> list[dict[str, str]]:
    if len(value) > 500:
        raise ValueError("Tối đa 500 người mỗi khóa học.")
    cleaned = []
    for person in value:
        name = str(person.get("name", "")).strip()
        if not name or len(name) > 255:
            raise ValueError("Mỗi người cần họ tên (tối đa 255 ký tự).")
        cleaned.append({"name": name, "unit": str(person.get("unit", "")).strip().lower()})
    return cleaned
