"""Reading one dossier or feedback row: dates, flags, codes, and the contradictions between them.

Hand-written rather than a pydantic model per row: a feed can carry a million rows, and these few
conversions are several times cheaper than a generic validator while saying exactly what is wrong
(in Vietnamese) for each field. Pure functions: no database, tested on their own.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from app.clock import VIETNAM_TZ
from app.dossiers.models import DossierChannel, FeedbackChannel, FeedbackKind
from app.errors import FieldError, Invalid
from app.schemas import CODE_PATTERN

_CODE = re.compile(CODE_PATTERN)
_RECORD_CODE = re.compile(r"^[\w.\-/:#]{1,64}$")
_VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TRUE = frozenset({"true", "1", "yes", "y", "x", "có", "co"})
_FALSE = frozenset({"false", "0", "no", "n", "không", "khong"})
#: "Not known" written out, as partrack's own exports write a flag no feed has told it: an empty
#: cell means "no" in a column the file carries, so unknown needs a word of its own.
UNKNOWN_FLAG = "không rõ"
UNKNOWN_SPELLINGS = frozenset({UNKNOWN_FLAG, "khong ro", "chưa rõ", "chua ro", "?", "unknown"})
#: Each accepted spelling (lower case, no spaces) and what it means.
FLAG_SPELLINGS = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
_DATE_HINT = "dùng dạng 2025-10-03, 2025-10-03T08:30, 03/10/2025 hoặc 03/10/2025 08:30"


class Moment(NamedTuple):
    """A point in time, whether the file gave a time of day or only a date, and its day in
    Vietnam (a tuple: a feed builds millions of them)."""

    at: datetime  # aware, UTC
    has_time: bool
    local_day: date


class RowProblems:
    """Collects every problem of a row, so one answer lists them all."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field_name: str, code: str, message: str) -> None:
        self.errors.append(FieldError(field_name, code, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise Invalid(self.errors, message=self.errors[0].message)


def parse_moment(value: Any, *, end_of_day: bool = False) -> Moment:
    """ISO 8601 or ``dd/mm/yyyy [HH:MM[:SS]]``; without a zone, Vietnam time.

    A date alone is the start of that day, or its end for a deadline ("đến hết ngày").
    """
    if isinstance(value, datetime | date) and not isinstance(value, str):
        text = value.isoformat()
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueError(f"Ngày giờ không hợp lệ: {_DATE_HINT}.")
    try:
        if len(text) >= 10 and text[4] == "-":  # ISO 8601, what systems send: parsed in C
            if len(text) == 10:
                moment = datetime.combine(date.fromisoformat(text), _MIDNIGHT, tzinfo=VIETNAM_TZ)
                has_time = False
            else:
                moment = datetime.fromisoformat(text.replace(" ", "T", 1))
                has_time = True
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=VIETNAM_TZ)
        elif found := _VN_DATE.match(text):
            d, m, y, hh, mm, ss = found.groups()
            day = date(int(y), int(m), int(d))
            has_time = hh is not None
            moment = datetime.combine(
                day, time(int(hh or 0), int(mm or 0), int(ss or 0)), tzinfo=VIETNAM_TZ
            )
        elif len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), _MIDNIGHT, tzinfo=VIETNAM_TZ)
            has_time = False
        else:  # the other shapes ISO 8601 allows (20251003T0830, …)
            moment = datetime.fromisoformat(text.replace(" ", "T", 1))
            has_time = True
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=VIETNAM_TZ)
    except ValueError:
        raise ValueError(f"Ngày giờ “{text}” không hợp lệ: {_DATE_HINT}.") from None
    if not 2000 <= moment.year <= 2100:
        raise ValueError(f"Ngày giờ “{text}” nằm ngoài khoảng năm 2000–2100.")
    if not has_time and end_of_day:
        moment = moment + _LAST_SECOND
    if moment.utcoffset() != _VIETNAM_OFFSET:
        moment = moment.astimezone(VIETNAM_TZ)
    return Moment(moment.astimezone(UTC), has_time, moment.date())


_MIDNIGHT = time(0, 0)
_LAST_SECOND = timedelta(days=1) - timedelta(seconds=1)
_VIETNAM_OFFSET = timedelta(hours=7)


def parse_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    meaning = FLAG_SPELLINGS.get(str(value).strip().lower())
    if meaning is not None:
        return meaning
    raise ValueError("Phải là true hoặc false (hoặc 1/0, có/không).")


def parse_code(value: Any) -> str:
    """A unit or domain code, as the single endpoints accept it (lower-cased)."""
    text = str(value).strip().lower()
    if not _CODE.match(text):
        raise ValueError("Mã chỉ gồm chữ thường không dấu, số, “-”, “_”, “.” (tối đa 64 ký tự).")
    return text


def parse_record_code(value: Any) -> str:
    """A dossier or feedback number as its own system writes it (``000.00.12.H29-251003-0001``)."""
    text = str(value).strip()
    if not _RECORD_CODE.match(text):
        raise ValueError(
            "Mã hồ sơ chỉ gồm chữ, số và các ký tự . - / : # _ (tối đa 64 ký tự, không dấu cách)."
        )
    return text


def parse_text(value: Any, *, max_length: int) -> str:
    text = str(value).strip()
    if "\x00" in text:
        raise ValueError("Không được chứa ký tự NUL (\\u0000).")
    if len(text) > max_length:
        raise ValueError(f"Quá dài (tối đa {max_length} ký tự).")
    return text


_CHOICES: dict[type, frozenset[str]] = {}


def parse_choice(value: Any, choices: type[DossierChannel | FeedbackChannel | FeedbackKind]) -> str:
    text = str(value).strip().lower()
    known = _CHOICES.get(choices)
    if known is None:
        known = _CHOICES[choices] = frozenset(c.value for c in choices)
    if text not in known:
        allowed = [c.value for c in choices]
        raise ValueError(f"Giá trị “{text}” không hợp lệ; chấp nhận: {', '.join(allowed)}.")
    return text


_MISSING_MESSAGE = "Thiếu trường bắt buộc."


def take(
    problems: RowProblems,
    values: dict[str, Any],
    name: str,
    parse: Any,
    *,
    required: bool = False,
    default: Any = None,
) -> Any:
    """One field through its parser; a failure is noted against the field and gives ``None``."""
    raw = values.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            problems.add(name, "missing", _MISSING_MESSAGE)
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        problems.add(name, "invalid", str(exc))
        return default


def check_unknown(problems: RowProblems, values: dict[str, Any], allowed: frozenset[str]) -> None:
    for name in values:
        if name not in allowed:
            problems.add(name, "extra_forbidden", "Trường này không được chấp nhận.")


def check_order(
    problems: RowProblems,
    earlier: Moment | None,
    later: Moment | None,
    *,
    field_name: str,
    code: str,
    message: str,
) -> None:
    """``later`` must not come before ``earlier``; by day when either has no time of day."""
    if earlier is None or later is None:
        return
    if earlier.has_time and later.has_time:
        wrong = later.at < earlier.at
    else:
        wrong = later.local_day < earlier.local_day
    if wrong:
        problems.add(field_name, code, message)


def check_not_future(
    problems: RowProblems, moment: Moment | None, *, field_name: str, now: datetime
) -> None:
    if moment is None:
        return
    late = (
        moment.at > now if moment.has_time else moment.local_day > now.astimezone(VIETNAM_TZ).date()
    )
    if late:
        problems.add(
            field_name, "in_future", "Thời điểm này chưa tới: không nhận ngày trong tương lai."
        )
