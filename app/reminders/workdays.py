"""Working days in Vietnam: weekends and public holidays off, make-up Saturdays on.

The holidays are data (``holidays.toml``, versioned with the code) because the government fixes
Tết and the swapped days each year; a ward can point ``PARTRACK_PUBLIC_HOLIDAYS_FILE`` at its own
copy without waiting for a release. Pure functions, no database.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

SHIPPED_FILE = Path(__file__).with_name("holidays.toml")


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    provisional: bool = False


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days count as working days; ``workdays`` are weekend days worked in exchange."""

    holidays: dict[date, Holiday] = field(default_factory=dict)
    workdays: dict[date, Holiday] = field(default_factory=dict)
    version: str = ""

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def on_or_before(self, day: date) -> date:
        """The day itself if people work then, else the last working day before it."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """``count`` working days after ``day`` (before it when negative); ``day`` not counted."""
        step = timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day


def _entries(raw: object, source: Path, table: str) -> dict[date, Holiday]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise ValueError(f"Tệp ngày nghỉ {source}: “{table}” phải là danh sách [[{table}]].")
    found: dict[date, Holiday] = {}
    for entry in raw:
        day = entry.get("date") if isinstance(entry, dict) else None
        if not isinstance(day, date):
            raise ValueError(f"Tệp ngày nghỉ {source}: mỗi [[{table}]] cần date = YYYY-MM-DD.")
        found[day] = Holiday(
            day=day, name=str(entry.get("name", "")), provisional=bool(entry.get("provisional"))
        )
    return found


@lru_cache(maxsize=8)
def load_calendar(path: Path | None = None) -> WorkingCalendar:
    """The shipped holidays, or the file configured instead of them (which replaces them)."""
    source = path or SHIPPED_FILE
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"Không đọc được tệp ngày nghỉ {source}: {exc}") from exc
    return WorkingCalendar(
        holidays=_entries(data.get("holiday"), source, "holiday"),
        workdays=_entries(data.get("workday"), source, "workday"),
        version=str(data.get("version", "")),
    )
