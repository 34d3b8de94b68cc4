"""Reporting periods of Plan 84: monthly during 2025, quarterly from 2026.

Stdlib only, so scoring, validation and templates can share one notion of a period
without pulling in the database or the web framework. Every error carries a plain
Vietnamese message because it is shown as-is to ward office staff.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property, total_ordering
from itertools import pairwise

MIN_YEAR = 2000
MAX_YEAR = 2100
_FORMS = "dùng dạng 2025-10 (tháng), 2026-Q1 (quý) hoặc 2026 (năm)"
_PATTERN = re.compile(r"([0-9]{4})(?:-([0-9]{2})|-[Qq]([0-9]))?")
_SHORT_MONTH = re.compile(r"([0-9]{4})-([0-9])")
_ROMAN = ("I", "II", "III", "IV")


class Granularity(StrEnum):
    """Values are stored in the database and JSON, so they must never be renamed."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Cadence(StrEnum):
    """How often units report in a plan year; the plan switches cadence between years."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


_PER_YEAR = {Granularity.MONTH: 12, Granularity.QUARTER: 4, Granularity.YEAR: 1}
_SPAN = {g: 12 // n for g, n in _PER_YEAR.items()}  # months in one period
_NAME_VI = {Granularity.MONTH: "tháng", Granularity.QUARTER: "quý", Granularity.YEAR: "năm"}


class PeriodError(ValueError):
    """Raised with a message meant for office staff, so callers can show it verbatim."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def format_date_vi(d: date) -> str:
    """Vietnamese offices read dates as dd/mm/yyyy; never let the locale decide."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def _invalid(text: str, reason: str) -> PeriodError:
    return PeriodError(f'Kỳ báo cáo "{text}" không hợp lệ: {reason}.')


def _format(year: int, granularity: Granularity, index: int) -> str:
    if granularity is Granularity.MONTH:
        return f"{year}-{index:02d}"
    return f"{year}-Q{index}" if granularity is Granularity.QUARTER else str(year)


def _problem(year: int, granularity: Granularity, index: int) -> str | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return f"năm phải từ {MIN_YEAR} đến {MAX_YEAR}"
    if 1 <= index <= _PER_YEAR[granularity]:
        return None
    return {
        Granularity.MONTH: "tháng phải từ 01 đến 12",
        Granularity.QUARTER: "quý phải từ Q1 đến Q4",
        Granularity.YEAR: "kỳ cả năm luôn có chỉ số 1",
    }[granularity]


@total_ordering
@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year; the unit every report and target is keyed by."""

    year: int
    granularity: Granularity
    index: int

    def __post_init__(self) -> None:
        # Validate on construction so an impossible period can never reach scoring code.
        try:
            granularity = Granularity(self.granularity)
        except ValueError:
            raise PeriodError(f'Loại kỳ "{self.granularity}" không hợp lệ.') from None
        object.__setattr__(self, "granularity", granularity)
        problem = _problem(self.year, granularity, self.index)
        if problem is not None:
            raise _invalid(_format(self.year, granularity, self.index), problem)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Strict on shape (so "2025-1" is not silently guessed), lenient on case and spaces.

        Periods are immutable, so a text parsed once is answered from memory: an import names
        the same few periods on every one of its rows.
        """
        found = _PARSED.get(text) if isinstance(text, str) else None
        if found is not None:
            return found
        period = cls._parse(text)
        if len(_PARSED) < 4096:
            _PARSED[text] = period
        return period

    @classmethod
    def _parse(cls, text: str) -> Period:
        if not isinstance(text, str):
            raise _invalid(str(text), _FORMS)
        raw = text.strip()
        if not raw:
            raise PeriodError(f"Chưa nhập kỳ báo cáo: {_FORMS}.")
        match = _PATTERN.fullmatch(raw)
        if match is None:
            short = _SHORT_MONTH.fullmatch(raw)
            if short is not None:
                fix = f"{short[1]}-0{short[2]}"
                raise _invalid(raw, f"tháng phải viết đủ hai chữ số, ví dụ {fix}")
            raise _invalid(raw, _FORMS)
        year, month, quarter = match.groups()
        if month is not None:
            granularity, index = Granularity.MONTH, int(month)
        elif quarter is not None:
            granularity, index = Granularity.QUARTER, int(quarter)
        else:
            granularity, index = Granularity.YEAR, 1
        problem = _problem(int(year), granularity, index)
        if problem is not None:
            raise _invalid(raw, problem)
        return cls(int(year), granularity, index)

    def __str__(self) -> str:
        return _format(self.year, self.granularity, self.index)

    @cached_property
    def start_date(self) -> date:
        return date(self.year, (self.index - 1) * _SPAN[self.granularity] + 1, 1)

    @cached_property
    def end_date(self) -> date:
        """Inclusive, because deadlines and Vietnamese documents speak of "đến hết ngày"."""
        month = self.index * _SPAN[self.granularity]
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def _shift(self, steps: int) -> Period:
        per_year = _PER_YEAR[self.granularity]
        ordinal = self.year * per_year + self.index - 1 + steps
        return Period(ordinal // per_year, self.granularity, ordinal % per_year + 1)

    def next(self) -> Period:
        return self._shift(1)

    def previous(self) -> Period:
        return self._shift(-1)

    def contains(self, other: Period) -> bool:
        return self.start_date <= other.start_date and other.end_date <= self.end_date

    def months(self) -> list[Period]:
        months = range(self.start_date.month, self.end_date.month + 1)
        return [Period(self.year, Granularity.MONTH, m) for m in months]

    def parent(self, granularity: Granularity) -> Period:
        """Lets month-level data roll up into quarterly and yearly figures."""
        parent = _period_of(self.start_date, Granularity(granularity))
        if not parent.contains(self):
            raise PeriodError(f"Kỳ {self} không nằm trọn trong một {_NAME_VI[parent.granularity]}.")
        return parent

    @property
    def sort_key(self) -> tuple[date, date]:
        # End date breaks ties so a month sorts before its quarter and the quarter before its year.
        return (self.start_date, self.end_date)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self.sort_key < other.sort_key

    @property
    def label_vi(self) -> str:
        if self.granularity is Granularity.MONTH:
            return f"Tháng {self.index:02d}/{self.year}"
        if self.granularity is Granularity.QUARTER:
            return f"Quý {_ROMAN[self.index - 1]}/{self.year}"
        return f"Năm {self.year}"


def _period_of(day: date, granularity: Granularity) -> Period:
    index = (day.month - 1) // _SPAN[granularity] + 1
    return Period(day.year, granularity, index)


def parse_period(text: str) -> Period:
    """Function form for use as a validator or converter callback."""
    return Period.parse(text)


def optional_period(text: str | None) -> str | None:
    """A query's period, written the canonical way; blank is none. A validator (``AfterValidator``):
    a period nobody could mean is the asker's 422 in its own words, not a table of row errors."""
    if text is None or not text.strip():
        return None
    return str(Period.parse(text))


def cadence_granularity(cadence: Cadence) -> Granularity:
    return Granularity.MONTH if Cadence(cadence) is Cadence.MONTHLY else Granularity.QUARTER


def periods_overlapping(
    period_from: Period | None, period_to: Period | None, candidate: Period
) -> bool:
    """List filters: keep a candidate lying within [from.start, to.end]; None leaves a side open."""
    if period_from is not None and candidate.start_date < period_from.start_date:
        return False
    return period_to is None or candidate.end_date <= period_to.end_date


def _to_year(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise PeriodError(f'Năm áp dụng "{value}" không hợp lệ: phải là số năm, ví dụ 2026.')


def _to_cadence(value: object) -> Cadence:
    try:
        return Cadence(str(value).strip().lower())
    except ValueError:
        raise PeriodError(
            f'Nhịp báo cáo "{value}" không hợp lệ: dùng "monthly" (theo tháng) '
            'hoặc "quarterly" (theo quý).'
        ) from None


def _to_rule(rule: Mapping[str, object] | tuple[object, object]) -> tuple[int, Cadence]:
    try:
        year, cadence = (rule["from_year"], rule["cadence"]) if isinstance(rule, Mapping) else rule
    except (KeyError, TypeError, ValueError):
        raise PeriodError(
            f'Quy tắc lịch báo cáo "{rule}" phải có năm áp dụng (from_year) và nhịp (cadence).'
        ) from None
    return _to_year(year), _to_cadence(cadence)


@dataclass(frozen=True)
class ReportingCalendar:
    """Which periods units must report on; the cadence can change from one plan year to the next."""

    rules: tuple[tuple[int, Cadence], ...]
    start: Period

    def __post_init__(self) -> None:
        rules = tuple(_to_rule(rule) for rule in self.rules)
        if not rules:
            raise PeriodError("Lịch báo cáo cần ít nhất một quy tắc (năm áp dụng, nhịp báo cáo).")
        for (before, _), (after, _) in pairwise(rules):
            if after <= before:
                raise PeriodError(
                    "Các quy tắc lịch báo cáo phải xếp theo năm tăng dần, mỗi năm một quy tắc "
                    f"(năm {after} bị trùng hoặc sai thứ tự)."
                )
        object.__setattr__(self, "rules", rules)
        if isinstance(self.start, str):
            object.__setattr__(self, "start", Period.parse(self.start))
        self._check_shape(self.start)  # the first period must itself be a reporting period

    @classmethod
    def from_rules(
        cls,
        rules: Iterable[Mapping[str, object]] | Iterable[tuple[int, str]],
        start: str | Period,
    ) -> ReportingCalendar:
        """Builds from config/seed data, where rule order carries no meaning."""
        first = start if isinstance(start, Period) else Period.parse(start)
        return cls(tuple(sorted(_to_rule(rule) for rule in rules)), first)

    def cadence_for_year(self, year: int) -> Cadence:
        if year < self.rules[0][0]:
            raise PeriodError(
                f"Năm {year} chưa có lịch báo cáo: lịch áp dụng từ năm {self.rules[0][0]}."
            )
        return [cadence for from_year, cadence in self.rules if from_year <= year][-1]

    def _check_shape(self, period: Period) -> None:
        """Refuses a period whose granularity is not the one its year reports in."""
        expected = cadence_granularity(self.cadence_for_year(period.year))
        if period.granularity is expected:
            return
        first = Period(period.year, expected, 1)
        last = Period(period.year, expected, _PER_YEAR[expected])
        label = period.label_vi[0].lower() + period.label_vi[1:]
        if period.granularity is Granularity.YEAR:
            hint = "cả năm không phải là kỳ báo cáo"
        elif expected is Granularity.QUARTER:
            hint = f"{label} thuộc kỳ {period.parent(Granularity.QUARTER)}"
        else:
            hint = f"{label} gồm các kỳ " + ", ".join(map(str, period.months()))
        raise PeriodError(
            f"Năm {period.year} báo cáo theo {_NAME_VI[expected]}: dùng dạng {first} … {last}, "
            f'không dùng "{period}" ({hint}).'
        )

    def _before_start(self, what: str) -> PeriodError:
        return PeriodError(
            f"{what} nằm trước kỳ báo cáo đầu tiên {self.start} "
            f"(bắt đầu từ {format_date_vi(self.start.start_date)})."
        )

    def is_regular(self, period: Period) -> bool:
        """Whether the period is one of the year's general reporting periods (a quarter in 2026),
        as opposed to a month of a quarterly year, which only monthly tasks report on."""
        expected = cadence_granularity(self.cadence_for_year(period.year))
        return period.granularity is expected

    def validate(self, period: Period | str, *, today: date, monthly: bool = False) -> Period:
        """Gatekeeper for submitted reports; a period still in progress may be reported on.

        ``monthly``: the data is reported every month whatever the year's cadence (the tasks the
        plan marks "Định kỳ hằng tháng", readings computed from feeds, the monthly meeting).
        """
        found = Period.parse(period) if isinstance(period, str) else period
        if found.end_date < self.start.start_date:
            raise self._before_start(f"Kỳ {found}")
        if not (monthly and found.granularity is Granularity.MONTH):
            self._check_shape(found)
        if found.start_date > today:
            raise PeriodError(
                f"Kỳ {found} chưa bắt đầu (bắt đầu từ {format_date_vi(found.start_date)})."
            )
        return found

    def period_for(self, day: date) -> Period:
        """Raises for days before the plan starts, where no reporting period exists."""
        if day < self.start.start_date:
            raise self._before_start(f"Ngày {format_date_vi(day)}")
        return _period_of(day, cadence_granularity(self.cadence_for_year(day.year)))

    def periods(
        self, *, until: date, since: Period | None = None, monthly: bool = False
    ) -> list[Period]:
        """Begins with the period in progress on `since`'s first day, never before `start`.

        ``monthly`` adds, in quarterly years, each month before its quarter: the periods of the
        monthly tasks and of the committee's monthly meeting, side by side with the quarters.
        """
        first_day = self.start.start_date
        if since is not None and since.start_date > first_day:
            first_day = since.start_date
        if until < first_day:
            return []
        current = self.period_for(first_day)
        found = [current]
        while current.end_date < until:
            current = self.period_for(current.end_date + timedelta(days=1))
            found.append(current)
        if not monthly:
            return found
        out: list[Period] = []
        for period in found:
            if period.granularity is not Granularity.MONTH:
                out += [m for m in period.months() if m.start_date <= until]
            out.append(period)
        return out

    def previous(self, period: Period) -> Period | None:
        """What a report should be compared against; None for the plan's first period."""
        if period.start_date <= self.start.start_date:
            return None
        self._check_shape(period)
        return self.period_for(period.start_date - timedelta(days=1))

    def default_due_date(self, period: Period) -> date:
        """Monthly reports are due on the 5th, quarterly ones on the 10th, of the next month."""
        self._check_shape(period)
        day = 5 if period.granularity is Granularity.MONTH else 10
        return (period.end_date + timedelta(days=1)).replace(day=day)


_PARSED: dict[str, Period] = {}
