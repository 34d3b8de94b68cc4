"""``update_due_days``: the rule behind every unit's on-time status, authorised and audited."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.actors import Actor
from app.audit import service as audit_service
from app.clock import FixedClock
from app.errors import Forbidden, Invalid
from app.periods import Period
from app.plans import service as plan_service
from app.reporting.submission_state import due_date_for

COORDINATOR = Actor(username="dp.vhxh", role="coordinator", unit_code="vhxh", via="web")


def test_the_new_rule_moves_the_due_date(seeded: Session, clock: FixedClock) -> None:
    plan_service.update_due_days(
        db_session=seeded,
        actor=COORDINATOR,
        clock=clock,
        plan_code=None,
        due_days={"month": 8, "quarter": 15},
    )
    plan = plan_service.get_plan(db_session=seeded, code=None)
    assert due_date_for(plan, Period.parse("2025-10")).isoformat() == "2025-11-08"
    events, _ = audit_service.list_events(db_session=seeded, entity="plan", key=plan.code)
    assert events[0].actor_username == "dp.vhxh" and events[0].via == "web"


@pytest.mark.parametrize(
    "days", [{"month": 0, "quarter": 10}, {"month": 5}, {"month": 5, "quarter": 29}]
)
def test_out_of_range_days_are_refused(
    seeded: Session, clock: FixedClock, days: dict[str, int]
) -> None:
    with pytest.raises(Invalid):
        plan_service.update_due_days(
            db_session=seeded, actor=COORDINATOR, clock=clock, plan_code=None, due_days=days
        )


def test_reporters_may_not_change_the_rule(seeded: Session, clock: FixedClock) -> None:
    reporter = Actor(username="bc", role="reporter", unit_code="ttpvhcc")
    with pytest.raises(Forbidden):
        plan_service.update_due_days(
            db_session=seeded,
            actor=reporter,
            clock=clock,
            plan_code=None,
            due_days={"month": 6, "quarter": 10},
        )
    assert audit_service.list_events(db_session=seeded, entity="plan")[1] == 0
