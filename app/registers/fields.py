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

from app.formatting import format_number
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


class FieldKind(StrEnum):
    TEXT = "text"  # one line
    LONG = "long"  # a paragraph
    DATE = "date"
    NUMBER = "number"
    CHOICE = "choice"
    PEOPLE = "people"


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

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.choices)

    def annotation(self) -> Any:
        """The pydantic type of the field in the API's input."""
        if self.kind is FieldKind.DATE:
            return ViDate
        if self.kind is FieldKind.NUMBER:
            return Annotated[Number, PydanticField(ge=0, le=1_000_000)]
        if self.kind is FieldKind.CHOICE:
            return Annotated[str, AfterValidator(self._check_choice)]
        if self.kind is FieldKind.PEOPLE:
            return Annotated[list[dict[str, str]], BeforeValidator(_read_people),
                             AfterValidator(_check_people)]  # fmt: skip
        return Annotated[CleanStr, PydanticField(max_length=self.max_length)]

    def _check_choice(self, value: str) -> str:
        folded = value.strip().lower()
        for key, label in self.choices:
            if folded in (key, label.lower()):
                return key
        allowed = ", ".join(f"{k} ({v})" for k, v in self.choices)
        raise ValueError(f"“{value}” không có trong danh sách: {allowed}.")

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
        if self.kind is FieldKind.PEOPLE:
            return "; ".join(
                f"{p['name']} ({p['unit']})" if p.get("unit") else p["name"] for p in value
            )
        return str(value)


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
