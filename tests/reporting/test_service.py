"""Due dates, timeliness and who owes reports: pure rules and the expected-units tree."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from app.periods import Period
from app.plans import service as plan_service
from app.reporting import submission_state
from app.submissions.models import Timeliness


@pytest.mark.parametrize(
    ("period", "due"),
    [
        ("2025-10", date(2025, 11, 5)),
        ("2025-12", date(2026, 1, 5)),
        ("2026-Q1", date(2026, 4, 10)),
        ("2026-Q4", date(2027, 1, 10)),
    ],
)
def test_default_due_dates(seeded: Session, period: str, due: date) -> None:
    plan = plan_service.get_plan(db_session=seeded, code=None)
    assert submission_state.due_date_for(plan, Period.parse(period)) == due


def test_due_days_are_configurable_per_plan(seeded: Session) -> None:
    plan = plan_service.get_plan(db_session=seeded, code=None)
    plan.due_days = {"month": 3, "quarter": 15}
    assert submission_state.due_date_for(plan, Period.parse("2025-11")) == date(2025, 12, 3)
    assert submission_state.due_date_for(plan, Period.parse("2026-Q2")) == date(2026, 7, 15)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (None, Timeliness.MISSING),
        (datetime(2025, 11, 5, 16, 59, tzinfo=UTC), Timeliness.ON_TIME),  # 23:59 in Vietnam
        (datetime(2025, 11, 5, 17, 0, tzinfo=UTC), Timeliness.LATE),  # 00:00 on the 6th
        (datetime(2025, 10, 31, 2, 0, tzinfo=UTC), Timeliness.ON_TIME),
    ],
)
def test_timeliness_counts_the_due_day_in_vietnam_time(
    sent: datetime | None, expected: Timeliness
) -> None:
    found = submission_state.timeliness_of(first_submitted_at=sent, due_date=date(2025, 11, 5))
    assert found == expected


def test_expected_units_are_the_active_units_under_the_committee(seeded: Session) -> None:
    plan = plan_service.get_plan(db_session=seeded, code=None)
    codes = [u.code for u in plan_service.expected_units(db_session=seeded, plan=plan)]
    assert codes == ["kthtdt", "mttq", "ttpvhcc", "vhxh", "vp"]
