"""Reminder days on a frozen calendar: before, on and after the due date, in working days."""

from __future__ import annotations

from datetime import date

from app.reminders.schedule import slot_for_today, slots_for
from app.reminders.workdays import load_calendar

CAL = load_calendar(None)


def _slots(due: date) -> list[tuple[str, date, bool]]:
    return [(s.kind, s.day, s.after_due) for s in slots_for(due, CAL, before=3, after=[1, 3])]


def test_december_2025_report_across_new_year_and_a_weekend() -> None:
    # Due Monday 05/01/2026; 01/01 is a holiday, 03–04/01 a weekend.
    assert _slots(date(2026, 1, 5)) == [
        ("before_3", date(2025, 12, 30), False),
        ("due", date(2026, 1, 5), False),
        ("after_1", date(2026, 1, 6), True),
        ("after_3", date(2026, 1, 8), True),
    ]


def test_a_due_date_on_saturday_before_gio_to_hung_vuong() -> None:
    # March 2025 report due Saturday 05/04/2025; Monday 07/04 is Giỗ Tổ Hùng Vương.
    assert _slots(date(2025, 4, 5)) == [
        ("before_3", date(2025, 4, 2), False),
        ("due", date(2025, 4, 4), False),
        ("after_1", date(2025, 4, 8), True),
        ("after_3", date(2025, 4, 10), True),
    ]


def test_a_pass_sends_the_newest_slot_only_and_stops_after_a_few_days() -> None:
    slots = slots_for(date(2026, 1, 5), CAL, before=3, after=[1, 3])
    kind = {
        d: (s.kind if (s := slot_for_today(slots, d, CAL)) else None)
        for d in (
            date(2025, 12, 29),
            date(2025, 12, 30),
            date(2026, 1, 2),
            date(2026, 1, 5),
            date(2026, 1, 7),
            date(2026, 1, 8),
            date(2026, 1, 15),
            date(2026, 1, 16),
        )
    }
    assert kind == {
        date(2025, 12, 29): None,
        date(2025, 12, 30): "before_3",
        date(2026, 1, 2): "before_3",  # already sent by then: the claim makes this a no-op
        date(2026, 1, 5): "due",
        date(2026, 1, 7): "after_1",
        date(2026, 1, 8): "after_3",
        date(2026, 1, 15): "after_3",  # 5 working days of catching up
        date(2026, 1, 16): None,
    }


def test_offsets_come_from_configuration() -> None:
    slots = slots_for(date(2026, 1, 5), CAL, before=0, after=[2])
    assert [(s.kind, s.day) for s in slots] == [
        ("due", date(2026, 1, 5)),
        ("after_2", date(2026, 1, 7)),
    ]
