"""What a rule proposes points from: the indicators' values in the year (``reads.py``).

A plan whose reporting rules do not make a calendar proposes nothing, as documented; any other
failure is a bug and must surface, not turn silently into "no value" (the review of December
2026 found a bare ``except Exception`` doing that)."""

from __future__ import annotations

import pytest

from app.clock import FixedClock
from app.par import reads
from app.plans.models import Plan


def _plan(reporting: list[dict[str, object]], start: str = "2025-01") -> Plan:
    return Plan(code="kh-thu", number="1/KH", reporting=reporting, reporting_start=start)


@pytest.mark.parametrize(
    ("reporting", "start"),
    [
        ([], "2025-01"),  # no rule at all
        ([{"from_year": 2025, "cadence": "hằng tuần"}], "2025-01"),  # a cadence we do not know
        ([{"from_year": 2025, "cadence": "quarterly"}], "2025-01"),  # a month in a quarterly year
    ],
)
def test_a_plan_without_a_usable_calendar_proposes_nothing(
    reporting: list[dict[str, object]], start: str, clock: FixedClock
) -> None:
    values = reads._indicator_values(None, clock, _plan(reporting, start), 2025, {"x"})  # type: ignore[arg-type]
    assert values == {}


def test_any_other_failure_surfaces(monkeypatch: pytest.MonkeyPatch, clock: FixedClock) -> None:
    class Broken:
        def periods(self, **_: object) -> None:
            raise RuntimeError("a bug, not a plan's data")

    monkeypatch.setattr(reads.plan_service, "calendar_for", lambda plan: Broken())
    plan = _plan([{"from_year": 2025, "cadence": "monthly"}])
    with pytest.raises(RuntimeError, match="a bug"):
        reads._indicator_values(None, clock, plan, 2025, {"x"})  # type: ignore[arg-type]
