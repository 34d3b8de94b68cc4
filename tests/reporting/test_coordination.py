"""Coordinating units answer the lead unit's update: states, rules, versions and the audit row."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.errors import Conflict, Forbidden, Invalid
from app.reporting import coordination, transitions
from app.reporting.coordination_models import CoordinationReply
from tests.reporting.coordination_setup import (
    KTHTDT,
    LEAD,
    MTTQ,
    PERIOD,
    REVIEWER,
    TASK,
    VHXH,
    VP,
    add_coordinators,
    lead_update,
    reply,
)


def lead_view(session: Session, clock: FixedClock, actor=LEAD):
    return coordination.lead_view(
        db_session=session, actor=actor, clock=clock, unit="ttpvhcc", period=PERIOD
    )


def states(session: Session, clock: FixedClock) -> dict[str, str]:
    task = next(t for t in lead_view(session, clock).tasks if t.task == TASK)
    return {a.unit: a.state for a in task.coordinators}


def test_the_lead_sees_who_confirmed_who_disagreed_and_who_has_not_answered(
    seeded: Session, clock: FixedClock
) -> None:
    add_coordinators(seeded)
    before = lead_view(seeded, clock)
    assert [t.task for t in before.tasks] == [TASK]
    assert before.tasks[0].lead_update is None  # nothing to answer yet, and nothing counted
    assert before.summary.pending == 0
    lead_update(seeded, clock)
    assert states(seeded, clock) == {"kthtdt": "pending", "mttq": "pending", "vhxh": "pending"}

    reply(seeded, clock, VHXH, "confirmed")
    reply(seeded, clock, KTHTDT, "disagreed", comment="Phòng chưa nhận được danh sách hồ sơ.")
    view = lead_view(seeded, clock)
    assert states(seeded, clock) == {
        "kthtdt": "disagreed",
        "mttq": "pending",
        "vhxh": "confirmed",
    }
    comments = {a.unit: a.comment for a in view.tasks[0].coordinators}
    assert comments["kthtdt"] == "Phòng chưa nhận được danh sách hồ sơ."
    assert (view.summary.confirmed, view.summary.disagreed, view.summary.pending) == (1, 1, 1)
    assert view.tasks[0].lead_update is not None
    assert view.tasks[0].lead_update.result.startswith("Đã kiểm tra 12 hồ sơ")


def test_an_answer_is_audited_and_answering_again_updates_it_with_its_version(
    seeded: Session, clock: FixedClock
) -> None:
    lead_update(seeded, clock)
    first = reply(seeded, clock, VHXH, "confirmed")
    assert (first.answer.state, first.answer.version) == ("confirmed", 1)
    again = reply(
        seeded, clock, VHXH, "disagreed", comment="Số hồ sơ là 15, không phải 12.", version=1
    )
    assert (again.answer.state, again.answer.version) == ("disagreed", 2)
    rows = seeded.exec(select(CoordinationReply)).all()
    assert len(rows) == 1 and rows[0].comment == "Số hồ sơ là 15, không phải 12."
    events = seeded.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "coordination_reply")
        .order_by(col(AuditEvent.id))
    ).all()
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].entity_key == f"{TASK}/vhxh/{PERIOD}"
    assert events[1].actor_username == "bc.vhxh"
    assert events[1].before["state"] == "confirmed"
    assert events[1].after["state"] == "disagreed"


def test_a_stale_version_is_409_and_changes_nothing(seeded: Session, clock: FixedClock) -> None:
    lead_update(seeded, clock)
    reply(seeded, clock, VHXH, "confirmed")
    reply(seeded, clock, VHXH, "confirmed", comment="Đồng ý.", version=1)
    for seen in (1, 0):  # an old version, or "first answer" when one exists
        with pytest.raises(Conflict) as exc:
            reply(seeded, clock, VHXH, "disagreed", comment="Không đúng.", version=seen)
        assert exc.value.code == "stale_version"
        seeded.rollback()
    row = seeded.exec(select(CoordinationReply)).one()
    assert (row.answer, row.comment, row.version) == ("confirmed", "Đồng ý.", 2)


def test_only_the_coordinating_unit_itself_answers(seeded: Session, clock: FixedClock) -> None:
    lead_update(seeded, clock)
    cases = [
        (LEAD, "vhxh", "other_unit"),  # the lead cannot answer for its coordinating unit
        (LEAD, "ttpvhcc", "lead_unit"),  # nor answer its own task as if coordinating
        (VP, "vp", "not_coordinator"),  # a unit not named as coordinator
        (VP, "vhxh", "other_unit"),  # a reporter of another unit
    ]
    for actor, unit, code in cases:
        with pytest.raises(Forbidden) as exc:
            reply(seeded, clock, actor, "confirmed", unit=unit)
        assert exc.value.code == code, (actor.username, unit)
    assert seeded.exec(select(CoordinationReply)).first() is None


def test_disagreeing_needs_a_comment(seeded: Session, clock: FixedClock) -> None:
    lead_update(seeded, clock)
    for comment in ("", "   "):
        with pytest.raises(Invalid) as exc:
            reply(seeded, clock, VHXH, "disagreed", comment=comment)
        assert exc.value.status_code == 422
        assert exc.value.errors[0].field == "comment"
        assert "ghi rõ góp ý" in exc.value.message
    assert seeded.exec(select(CoordinationReply)).first() is None


def test_nothing_to_answer_before_the_lead_updates(seeded: Session, clock: FixedClock) -> None:
    with pytest.raises(Conflict) as exc:
        reply(seeded, clock, VHXH, "confirmed")
    assert exc.value.code == "no_lead_update"
    assert "chưa cập nhật nhiệm vụ này kỳ Tháng 10/2025" in exc.value.message
    item = coordination.coordinating_view(
        db_session=seeded, actor=VHXH, clock=clock, unit="vhxh", period=PERIOD
    )[0]
    assert (item.task, item.can_answer, item.lead_update) == (TASK, False, None)


def test_answers_are_taken_while_the_report_waits_and_refused_once_approved(
    seeded: Session, clock: FixedClock
) -> None:
    lead_update(seeded, clock)
    transitions.act(
        action="submit", db_session=seeded, actor=LEAD, clock=clock, unit="ttpvhcc", period=PERIOD
    )
    reply(seeded, clock, VHXH, "confirmed")  # the reviewer is about to read it: still open
    transitions.act(
        action="approve",
        db_session=seeded,
        actor=REVIEWER,
        clock=clock,
        unit="ttpvhcc",
        period=PERIOD,
    )
    with pytest.raises(Conflict) as exc:
        reply(seeded, clock, VHXH, "disagreed", comment="Muộn rồi.", version=1)
    assert exc.value.code == "lead_report_approved"
    assert "đã được duyệt" in exc.value.message and "mở lại" in exc.value.message
    item = coordination.coordinating_view(
        db_session=seeded, actor=VHXH, clock=clock, unit="vhxh", period=PERIOD
    )[0]
    assert item.can_answer is False and "đã được duyệt" in item.why_not
    assert item.lead_report_status == "approved"
    assert seeded.exec(select(CoordinationReply)).one().answer == "confirmed"


def test_an_answer_to_an_older_update_is_marked_stale(seeded: Session, clock: FixedClock) -> None:
    first = lead_update(seeded, clock)
    reply(seeded, clock, VHXH, "confirmed")
    lead_update(seeded, clock, result="Đã kiểm tra 15 hồ sơ trễ hạn", version=first.version)
    view = lead_view(seeded, clock)
    answer = view.tasks[0].coordinators[0]
    assert (answer.state, answer.stale) == ("confirmed", True)
    assert view.summary.stale == 1
    mine = coordination.coordinating_view(
        db_session=seeded, actor=VHXH, clock=clock, unit="vhxh", period=PERIOD
    )[0]
    assert mine.answer.stale and mine.lead_update is not None
    assert mine.lead_update.result == "Đã kiểm tra 15 hồ sơ trễ hạn"
    again = reply(seeded, clock, VHXH, "confirmed", version=1)
    assert again.answer.stale is False


def test_the_coordinating_units_list_and_who_may_read_it(
    seeded: Session, clock: FixedClock
) -> None:
    lead_update(seeded, clock)
    items = coordination.coordinating_view(
        db_session=seeded, actor=VHXH, clock=clock, unit="vhxh", period=PERIOD
    )
    assert [(i.task, i.lead_unit, i.can_answer) for i in items] == [(TASK, "ttpvhcc", True)]
    assert items[0].answer.state == "pending"
    assert (
        coordination.coordinating_view(
            db_session=seeded, actor=MTTQ, clock=clock, unit="mttq", period=PERIOD
        )
        == []
    )  # mttq coordinates nothing in Plan 84
    with pytest.raises(Forbidden):
        coordination.coordinating_view(
            db_session=seeded, actor=VP, clock=clock, unit="vhxh", period=PERIOD
        )
    with pytest.raises(Forbidden):
        lead_view(seeded, clock, actor=VHXH)  # a reporter reads only its own unit's report


def test_a_task_every_unit_reports_has_no_lead_update_to_confirm(
    seeded: Session, clock: FixedClock
) -> None:
    # II.1.1.5 names vhxh as coordinating, but every unit reports on it: there is no lead.
    with pytest.raises(Conflict) as exc:
        reply(seeded, clock, VHXH, "confirmed", task="II.1.1.5")
    assert exc.value.code == "no_lead_unit"
    assert [
        i.task
        for i in coordination.coordinating_view(
            db_session=seeded, actor=VHXH, clock=clock, unit="vhxh", period=PERIOD
        )
    ] == [TASK]


def test_a_workspace_reads_both_roles_at_once_and_the_same(
    seeded: Session, clock: FixedClock
) -> None:
    """``for_unit`` (the workspace: the tasks a unit leads and those it coordinates, from one
    read) answers as ``for_lead`` and ``for_coordinator`` do apart, for every unit, in fewer
    statements."""
    from app.actors import Actor
    from app.periods import Period
    from app.plans import service as plan_service
    from app.plans.models import Assignment, AssignmentCoordinator
    from app.plans.models import Scope as PlanScope
    from app.units.models import Unit
    from tests.conftest import statements

    add_coordinators(seeded)
    lead_update(seeded, clock)
    reply(seeded, clock, VHXH, "confirmed")
    plan = plan_service.get_plan(db_session=seeded, code=None)
    period = Period.parse(PERIOD)
    # The lead of TASK also coordinates another unit's task on the same page.
    ttpvhcc = seeded.exec(select(Unit).where(Unit.code == "ttpvhcc")).one()
    calendar = plan_service.calendar_for(plan)
    other = next(
        t
        for t in seeded.exec(select(Assignment).order_by(col(Assignment.sort_key))).all()
        if t.scope == PlanScope.LEAD_UNIT
        and t.lead_unit_id not in (None, ttpvhcc.id)
        and coordination.on_page(t, period, calendar)
    )
    assert other.id is not None and ttpvhcc.id is not None
    seeded.add(AssignmentCoordinator(assignment_id=other.id, unit_id=ttpvhcc.id))
    seeded.commit()
    both = 0
    for unit in seeded.exec(select(Unit).order_by(col(Unit.code))).all():
        actor = Actor(username=f"bc.{unit.code}", role="reporter", unit_code=unit.code)
        engine = seeded.get_bind()
        with statements(engine) as apart_seen:  # type: ignore[arg-type]
            apart = (
                coordination.for_lead(db_session=seeded, plan=plan, unit=unit, period=period),
                coordination.for_coordinator(
                    db_session=seeded, actor=actor, plan=plan, unit=unit, period=period
                ),
            )
        with statements(engine) as together_seen:  # type: ignore[arg-type]
            together = coordination.for_unit(
                db_session=seeded, actor=actor, plan=plan, unit=unit, period=period
            )
        assert together == apart, unit.code
        if apart[0].tasks and apart[1]:
            both += 1
            assert len(together_seen) < len(apart_seen), unit.code
    assert both >= 1  # a unit leading some coordinated tasks and coordinating others
