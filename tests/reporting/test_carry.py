"""“Chép từ kỳ trước” on both databases: a proposal from last period, written only when saved."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.actors import Actor
from app.clock import FixedClock
from app.errors import Conflict, Forbidden
from app.permissions import Role
from app.reporting import carry, save_all, transitions, workspace

REPORTER = Actor(username="bc.ttpv", role=Role.REPORTER, unit_code="ttpvhcc", via="web")
OTHER = Actor(username="bc.vp", role=Role.REPORTER, unit_code="vp", via="web")
COORDINATOR = Actor(username="dp.vhxh", role=Role.COORDINATOR, unit_code="vhxh", via="web")


def _october(db_session: Session, clock: FixedClock) -> None:
    result = save_all.save_rows(
        db_session=db_session,
        actor=REPORTER,
        clock=clock,
        unit="ttpvhcc",
        period="2025-10",
        tasks=[
            {
                "assignment": "II.1.1.1",
                "status": "in_progress",
                "percent_complete": "40",
                "result": "Đã ban hành kế hoạch",
                "version": 0,
            },
            {"assignment": "II.1.1.2", "status": "done", "evidence": "QĐ 12/QĐ-UBND"},
        ],
        readings=[{"indicator": "online_dossier", "value": "85,5"}],
    )
    assert result.failed == 0


def _empty_tasks(db_session: Session, clock: FixedClock, period: str) -> int:
    db_session.expire_all()
    return workspace.build(
        db_session=db_session, actor=REPORTER, clock=clock, unit_code="ttpvhcc", period=period
    ).empty_tasks


def test_the_previous_periods_answers_are_offered_as_the_form_shows_them(
    seeded: Session, clock: FixedClock
) -> None:
    _october(seeded, clock)
    before = _empty_tasks(seeded, clock, "2025-11")
    found = carry.proposal(
        db_session=seeded, actor=REPORTER, clock=clock, unit="ttpvhcc", period="2025-11"
    )
    assert found.previous_period == "2025-10"
    rows = {row.key: row for row in found.rows}
    assert set(rows) == {"II.1.1.1", "II.1.1.2", "online_dossier"}
    assert rows["II.1.1.1"].fields["percent_complete"] == "40"
    assert rows["II.1.1.1"].fields["result"] == "Đã ban hành kế hoạch"
    assert rows["II.1.1.2"].fields["percent_complete"] == ""  # "done" says 100% by itself
    assert rows["online_dossier"].fields["value"] == "85,5"
    assert rows["II.1.1.1"].empty and rows["II.1.1.1"].dom_id == "task-II-1-1-1"
    # A carry is a proposal: until the officer saves, nothing counts as reported.
    assert _empty_tasks(seeded, clock, "2025-11") == before
    confirmed = save_all.save_rows(
        db_session=seeded,
        actor=REPORTER,
        clock=clock,
        unit="ttpvhcc",
        period="2025-11",
        tasks=[{"assignment": "II.1.1.1", **rows["II.1.1.1"].fields, "version": 0}],
    )
    assert confirmed.saved == 1
    assert _empty_tasks(seeded, clock, "2025-11") == before - 1
    again = carry.proposal(
        db_session=seeded, actor=REPORTER, clock=clock, unit="ttpvhcc", period="2025-11"
    )
    assert {r.key: r.empty for r in again.rows}["II.1.1.1"] is False


def test_the_first_period_has_nothing_to_carry(seeded: Session, clock: FixedClock) -> None:
    found = carry.proposal(
        db_session=seeded, actor=REPORTER, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    assert found.previous_period is None and found.rows == []


def test_another_units_reporter_cannot_carry(seeded: Session, clock: FixedClock) -> None:
    _october(seeded, clock)
    with pytest.raises(Forbidden):
        carry.proposal(
            db_session=seeded, actor=OTHER, clock=clock, unit="ttpvhcc", period="2025-11"
        )


def test_an_approved_period_cannot_be_carried_into(seeded: Session, clock: FixedClock) -> None:
    _october(seeded, clock)
    for action, actor in (("submit", REPORTER), ("approve", COORDINATOR)):
        transitions.act(
            action=action,
            db_session=seeded,
            actor=actor,
            clock=clock,
            unit="ttpvhcc",
            period="2025-11",
        )
    with pytest.raises(Conflict) as refused:
        carry.proposal(
            db_session=seeded, actor=REPORTER, clock=clock, unit="ttpvhcc", period="2025-11"
        )
    assert refused.value.code == "period_locked"
