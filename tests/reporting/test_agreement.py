"""The completeness page and the scores count reports the same way, on every period of a year.

A seeded year (October 2025 to Q4 2026, seen from 20/12/2026): each unit sends each period's
report early, late or never by a fixed pattern; Q4 2026 (due 10/01/2027) is not due yet, and
one unit has already sent it. For every period the matrix's "Phải nộp / đúng hạn / trễ" and the
dashboard's headline must be the same numbers, and the period not yet due must count nowhere.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from app.actors import Actor
from app.clock import FixedClock
from app.plans import service as plan_service
from app.reporting import completeness, submission_state, transitions
from app.scores import service as score_service

ADMIN = Actor(username="admin", role="admin")
TODAY = FixedClock.on(date(2026, 12, 20))


def test_completeness_and_scores_agree_on_every_period_of_a_year(seeded: Session) -> None:
    plan = plan_service.get_plan(db_session=seeded, code=None)
    periods = plan_service.calendar_for(plan).periods(until=TODAY.today())
    assert [str(p) for p in periods] == [
        "2025-10",
        "2025-11",
        "2025-12",
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
    units = plan_service.expected_units(db_session=seeded, plan=plan)
    sent = {"early": 0, "late": 0}
    for j, period in enumerate(periods):
        due = submission_state.due_date_for(plan, period)
        for i, unit in enumerate(units):
            mode = (i + j) % 3
            if due >= TODAY.today():  # not due yet: only the first unit has sent it
                day = TODAY.today() - timedelta(days=1) if i == 0 else None
            else:
                day = {0: due - timedelta(days=2), 1: due + timedelta(days=3), 2: None}[mode]
                if day is not None:
                    sent["early" if mode == 0 else "late"] += 1
            if day is not None:
                transitions.submit(
                    db_session=seeded,
                    actor=ADMIN,
                    clock=FixedClock.on(day),
                    unit=unit.code,
                    period=str(period),
                )
    matrix = completeness.build(db_session=seeded, actor=ADMIN, clock=TODAY, since=None, until=None)
    for period in periods:
        totals = matrix.by_period[str(period)]
        headline = score_service.ward_summary(
            db_session=seeded, actor=ADMIN, clock=TODAY, period=str(period)
        ).headline
        assert totals.on_time == headline.units_on_time, period
        assert totals.late == headline.units_late, period
        assert totals.expected - totals.received == headline.units_missing, period
        assert totals.expected == (
            headline.units_on_time + headline.units_late + headline.units_missing
        ), period
        if str(period) == "2026-Q4":  # not due: nothing counts, though one report was sent
            assert totals.expected == 0 and headline.units_not_due == len(units)
        else:
            assert totals.expected == len(units) and headline.units_not_due == 0
    assert matrix.total.on_time == sent["early"] and matrix.total.late == sent["late"]
    assert matrix.total.expected == 6 * len(units)
