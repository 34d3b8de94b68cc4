"""Working days: weekends, the shipped 2025–2027 holidays (Tết included), and an override file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.reminders.workdays import SHIPPED_FILE, load_calendar


def test_shipped_holidays_cover_tet_and_the_national_days() -> None:
    cal = load_calendar(None)
    assert cal.version
    for day in (
        date(2025, 1, 1),
        date(2025, 1, 27),  # Tết Ất Tỵ, 25/01–02/02/2025
        date(2025, 4, 7),  # Giỗ Tổ Hùng Vương
        date(2025, 4, 30),
        date(2025, 5, 1),
        date(2025, 9, 1),
        date(2025, 9, 2),
        date(2026, 2, 16),  # Tết Bính Ngọ, 14/02–22/02/2026
        date(2026, 2, 20),
        date(2026, 4, 27),  # Giỗ Tổ on Sunday 26/4: compensatory Monday
        date(2027, 2, 8),  # Tết Đinh Mùi (provisional)
        date(2027, 4, 16),
    ):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2025, 4, 26)), "make-up Saturday for 02/5/2025"
    assert cal.is_working_day(date(2026, 2, 23))
    assert not cal.is_working_day(date(2026, 1, 3))  # a plain Saturday


def test_uncertain_days_are_marked_provisional() -> None:
    cal = load_calendar(None)
    assert all(cal.holidays[d].provisional for d in cal.holidays if d.year == 2027 and d.month == 2)
    assert not cal.holidays[date(2026, 2, 17)].provisional
    assert cal.holidays[date(2026, 9, 1)].provisional
    assert "Tết Nguyên đán" in cal.holidays[date(2026, 2, 17)].name


def test_counting_working_days_skips_weekends_and_tet() -> None:
    cal = load_calendar(None)
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert cal.add_working_days(date(2026, 2, 23), -1) == date(2026, 2, 13)
    assert cal.add_working_days(date(2026, 1, 5), -3) == date(2025, 12, 30)  # over 1/1 + weekend
    assert cal.add_working_days(date(2025, 11, 14), 0) == date(2025, 11, 14)
    assert cal.on_or_before(date(2025, 4, 6)) == date(2025, 4, 4)


def test_a_configured_file_replaces_the_shipped_list(tmp_path: Path) -> None:
    path = tmp_path / "ngay-nghi.toml"
    path.write_text(
        'version = "phuong-1"\n[[holiday]]\ndate = 2025-11-20\nname = "Ngày Nhà giáo (thử)"\n',
        encoding="utf-8",
    )
    cal = load_calendar(path)
    assert cal.version == "phuong-1"
    assert not cal.is_working_day(date(2025, 11, 20))
    assert cal.is_working_day(date(2026, 2, 16))  # the shipped Tết is gone, as documented


def test_a_broken_file_is_refused_in_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "hong.toml"
    path.write_text("[[holiday]]\nname = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="cần date"):
        load_calendar(path)
    assert SHIPPED_FILE.exists()
