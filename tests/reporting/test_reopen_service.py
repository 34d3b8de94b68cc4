"""Requests to reopen an approved report, through the service the pages and the API share."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.actors import SYSTEM, Actor
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.errors import Conflict, Forbidden, Invalid
from app.plans import service as plan_service
from app.reminders import returns
from app.reminders.models import Notification, Reminder
from app.reporting import history, reopen, transitions
from app.reporting import service as reporting_service
from app.reporting.reopen_models import ReopenRequest
from app.submissions import lock
from app.submissions.models import Submission
from app.units.models import Unit
from tests.conftest import make_user

UNIT, PERIOD = "ttpvhcc", "2025-10"
REASON = "Số hồ sơ trễ hạn lĩnh vực hộ tịch nhập thiếu 3 hồ sơ, cần sửa lại cho đúng."


def actor_of(user: User, unit: str | None) -> Actor:
    return Actor(username=user.username, role=user.role, unit_code=unit, user_id=user.id, via="web")


@pytest.fixture
def people(seeded: Session, clean_db: Engine, clock: FixedClock) -> dict[str, Actor]:
    """A reporter of the unit, one of another unit, the coordinating office (vhxh) and a
    reporter of vhxh, whose requests the vhxh coordinator may not decide."""
    made = {
        "reporter": (
            make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit=UNIT),
            UNIT,
        ),
        "other": (make_user(clean_db, clock, username="bc.vp", role="reporter", unit="vp"), "vp"),
        "coordinator": (
            make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"),
            "vhxh",
        ),
        "vhxh_reporter": (
            make_user(clean_db, clock, username="bc.vhxh", role="reporter", unit="vhxh"),
            "vhxh",
        ),
    }
    return {k: actor_of(user, unit) for k, (user, unit) in made.items()}


def approve(db: Session, clock: FixedClock, unit: str = UNIT) -> None:
    transitions.submit(db_session=db, actor=SYSTEM, clock=clock, unit=unit, period=PERIOD)
    transitions.approve(db_session=db, actor=SYSTEM, clock=clock, unit=unit, period=PERIOD)


def ask(
    db: Session, clock: FixedClock, actor: Actor, unit: str = UNIT, reason: str = REASON
) -> Any:
    return reopen.request_reopen(
        db_session=db, actor=actor, clock=clock, unit=unit, period=PERIOD, reason=reason
    )


def status_of(db: Session, unit: str = UNIT) -> str:
    db.expire_all()
    row = db.exec(
        select(Submission)
        .join(Unit, col(Unit.id) == col(Submission.unit_id))
        .where(Unit.code == unit, Submission.period == PERIOD)
    ).one()
    return row.status


def bell(db: Session, username: str) -> list[Notification]:
    user = db.exec(select(User).where(User.username == username)).one()
    return list(db.exec(select(Notification).where(Notification.user_id == user.id)))


def test_only_an_approved_period_can_be_asked_to_reopen(
    seeded: Session, clock: FixedClock, people: dict[str, Actor]
) -> None:
    with pytest.raises(Conflict) as draft:
        ask(seeded, clock, people["reporter"])
    assert draft.value.code == "not_approved" and "Chưa gửi" in draft.value.message
    transitions.submit(db_session=seeded, actor=SYSTEM, clock=clock, unit=UNIT, period=PERIOD)
    with pytest.raises(Conflict) as sent:
        ask(seeded, clock, people["reporter"])
    assert sent.value.code == "not_approved" and "chờ duyệt" in sent.value.message
    assert seeded.exec(select(ReopenRequest)).all() == []


def test_a_request_needs_a_reason_and_the_units_own_account(
    seeded: Session, clock: FixedClock, people: dict[str, Actor]
) -> None:
    approve(seeded, clock)
    with pytest.raises(Invalid) as blank:
        ask(seeded, clock, people["reporter"], reason="   ")
    assert blank.value.errors[0].field == "reason"
    assert blank.value.message == "Hãy ghi lý do cần mở lại báo cáo đã duyệt."
    with pytest.raises(Invalid) as long:
        ask(seeded, clock, people["reporter"], reason="x" * 2001)
    assert long.value.errors[0].code == "too_long"
    with pytest.raises(Forbidden) as other:
        ask(seeded, clock, people["other"])
    assert other.value.code == "other_unit"


def test_a_request_notifies_the_coordinating_office_and_is_audited(
    seeded: Session, clock: FixedClock, people: dict[str, Actor]
) -> None:
    approve(seeded, clock)
    made = ask(seeded, clock, people["reporter"])
    assert (made.number, made.status, made.reason, made.version) == (1, "pending", REASON, 1)

    notes = bell(seeded, "dp.vhxh")
    assert [n.title for n in notes] == ["TTPVHCC đề nghị mở lại báo cáo Tháng 10/2025"]
    assert f"Lý do: “{REASON}”" in notes[0].body
    assert notes[0].link == "/review/ttpvhcc/2025-10"
    for nobody in ("bc.ttpv", "bc.vp", "bc.vhxh"):  # the office's coordinators only
        assert bell(seeded, nobody) == []
    assert seeded.exec(select(Reminder.kind)).all() == ["asked-1"]
    event = seeded.exec(select(AuditEvent).where(AuditEvent.entity == "reopen_request")).one()
    assert (event.action, event.entity_key, event.actor_username) == (
        "create",
        "ttpvhcc/2025-10/1",
        "bc.ttpv",
    )
    assert event.after is not None and event.after["reason"] == REASON


def test_one_pending_request_at_a_time(
    seeded: Session, clock: FixedClock, people: dict[str, Actor]
) -> None:
    approve(seeded, clock)
    ask(seeded, clock, people["reporter"])
    with pytest.raises(Conflict) as second:
        ask(seeded, clock, people["reporter"], reason="Lần hai.")
    assert second.value.code == "reopen_pending"
    # Withdrawn, the period may be asked again: the next request is number 2.
    reopen.withdraw(
        db_session=seeded,
        actor=people["reporter"],
        clock=clock,
        unit=UNIT,
        period=PERIOD,
        number=1,
        version=1,
    )
    assert ask(seeded, clock, people["reporter"], reason="Lần hai.").number == 2


def test_two_requests_at_once_leave_one_pending(
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
    people: dict[str, Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two officers of the unit press “Đề nghị mở lại” together: both find nothing pending, the
    second's insert is refused by the database, and it hears that a request is waiting."""
    approve(seeded, clock)
    first_check = reopen.pending_row
    raced: list[Any] = []

    def check_then_lose_the_race(**kwargs: Any) -> Any:
        found = first_check(**kwargs)
        if not raced:  # the other officer's request commits right after this one's check
            raced.append(True)
            with Session(clean_db, expire_on_commit=False) as other:
                ask(other, clock, people["reporter"], reason="Cùng lúc.")
        return found

    monkeypatch.setattr(reopen, "pending_row", check_then_lose_the_race)
    with Session(clean_db, expire_on_commit=False) as mine, pytest.raises(Conflict) as lost:
        ask(mine, clock, people["reporter"])
    assert lost.value.code == "reopen_pending"
    with Session(clean_db) as check:
        rows = check.exec(select(ReopenRequest)).all()
    assert [(r.number, r.status, r.reason) for r in rows] == [(1, "pending", "Cùng lúc.")]


def test_grant_reopens_the_report_and_tells_the_unit_in_one_transaction(
    seeded: Session, clock: FixedClock, people: dict[str, Actor]
) -> None:
    approve(seeded, clock)
    ask(seeded, clock, people["reporter"])
    granted = reopen.grant(
        db_session=seeded,
        actor=people["coordinator"],
        clock=clock,
        unit=UNIT,
        period=PERIOD,
        number=1,
        version=1,
    )
    assert (granted.status, granted.decided_by, granted.decision_comment) == (
        "granted",
        "dp.vhxh",
        "",
    )
    assert status_of(seeded) == "returned"
    sub = reporting_service.get_submission(
        db_session=seeded, actor=SYSTEM, clock=clock, unit=UNIT, period=PERIOD, plan=None
    )
    assert sub.reopen_reason == REASON  # the unit's reason is the report's reopen reason
    notes = bell(seeded, "bc.ttpv")
    assert [n.title for n in notes] == [
        "Đề nghị mở lại báo cáo Tháng 10/2025 của TTPVHCC được đồng ý"
    ]
    assert "Gửi báo cáo" in notes[0].body
    # One message to the unit: the request's, not a second one from the reopen itself.
    assert sorted(seeded.exec(select(Reminder.kind)).all()) == ["asked-1", "granted-1"]
    # The unit's data is open again.
    lock.ensure_open(
        db_session=seeded,
        plan=plan_service.get_plan(db_session=seeded, code=None),
        unit=seeded.exec(select(Unit).where(Unit.code == UNIT)).one(),
        period=PERIOD,
    )


def test_if_the_message_fails_the_grant_changes_nothing(
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
    people: dict[str, Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    approve(seeded, clock)
    ask(seeded, clock, people["reporter"])
    with Session(clean_db) as counting:
        audit_rows = len(counting.exec(select(AuditEvent)).all())

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("hộp thư hỏng")

    monkeypatch.setattr(returns, "queue_message", broken)
    with Session(clean_db, expire_on_commit=False) as db, pytest.raises(RuntimeError):
        reopen.grant(
            db_session=db,
            actor=people["coordinator"],
            clock=clock,
            unit=UNIT,
            period=PERIOD,
            number=1,
            version=1,
        )
    with Session(clean_db) as check:
        assert check.exec(select(ReopenRequest.status)).all() == ["pending"]
        assert status_of(check) == "approved"
        assert len(check.exec(select(AuditEvent)).all()) == audit_rows


def test_refuse_needs_a_comment_and_keeps_the_report_approved(
    seeded: Session, clock: FixedClock, people: dict[str, Actor]
) -> None:
    approve(seeded, clock)
    ask(seeded, clock, people["reporter"])
    args = {"db_session": seeded, "actor": people["coordinator"], "clock": clock}
    with pytest.raises(Invalid) as blank:
        reopen.refuse(**args, unit=UNIT, period=PERIOD, number=1, comment=" ", version=1)
    assert blank.value.errors[0].field == "comment"
    comment = "Số liệu đã chốt trong báo cáo tổng hợp gửi UBND quận."
    refused = reopen.refuse(**args, unit=UNIT, period=PERIOD, number=1, comment=comment, version=1)
    assert (refused.status, refused.decision_comment, refused.version) == ("refused", comment, 2)
    assert status_of(seeded) == "approved"
    notes = bell(seeded, "bc.ttpv")
    assert [n.title for n in notes] == [
        "Đề nghị mở lại báo cáo Tháng 10/2025 của TTPVHCC bị từ chối"
    ]
    assert f"Ý kiến của bộ phận điều phối: “{comment}”" in notes[0].body
    with pytest.raises(Conflict) as again:  # decided: neither a grant nor a withdrawal now
        reopen.grant(**args, unit=UNIT, period=PERIOD, number=1)
    assert again.value.code == "reopen_decided"


def test_a_stale_version_is_refused(
    seeded: Session, clock: FixedClock, people: dict[str, Actor]
) -> None:
    approve(seeded, clock)
    ask(seeded, clock, people["reporter"])
    with pytest.raises(Conflict) as stale:
        reopen.grant(
            db_session=seeded,
            actor=people["coordinator"],
            clock=clock,
            unit=UNIT,
            period=PERIOD,
            number=1,
            version=0,
        )
    assert stale.value.code == "stale_version" and stale.value.status_code == 409
    assert status_of(seeded) == "approved"


def test_a_reviewer_does_not_decide_its_own_units_request(
    seeded: Session, clock: FixedClock, people: dict[str, Actor]
) -> None:
    approve(seeded, clock, unit="vhxh")
    ask(seeded, clock, people["vhxh_reporter"], unit="vhxh")
    for decide in (reopen.grant, reopen.refuse):
        with pytest.raises(Forbidden) as own:
            decide(
                db_session=seeded,
                actor=people["coordinator"],
                clock=clock,
                unit="vhxh",
                period=PERIOD,
                number=1,
                comment="Tự quyết.",
            )
        assert own.value.code == "own_unit_review"
    with pytest.raises(Forbidden):  # a reporter decides nothing
        reopen.grant(
            db_session=seeded,
            actor=people["reporter"],
            clock=clock,
            unit="vhxh",
            period=PERIOD,
            number=1,
        )
    granted = reopen.grant(  # an admin may, as the ward's last resort
        db_session=seeded, actor=SYSTEM, clock=clock, unit="vhxh", period=PERIOD, number=1
    )
    assert granted.status == "granted" and status_of(seeded, "vhxh") == "returned"


def test_only_the_unit_withdraws_and_only_while_pending(
    seeded: Session, clock: FixedClock, people: dict[str, Actor]
) -> None:
    approve(seeded, clock)
    ask(seeded, clock, people["reporter"])
    with pytest.raises(Forbidden):
        reopen.withdraw(
            db_session=seeded,
            actor=people["other"],
            clock=clock,
            unit=UNIT,
            period=PERIOD,
            number=1,
        )
    done = reopen.withdraw(
        db_session=seeded, actor=people["reporter"], clock=clock, unit=UNIT, period=PERIOD, number=1
    )
    assert (done.status, done.decided_by) == ("withdrawn", "bc.ttpv")
    assert status_of(seeded) == "approved"
    with pytest.raises(Conflict):
        reopen.withdraw(
            db_session=seeded,
            actor=people["reporter"],
            clock=clock,
            unit=UNIT,
            period=PERIOD,
            number=1,
        )


def test_the_history_shows_each_step_with_who_and_why(
    seeded: Session, clock: FixedClock, people: dict[str, Actor]
) -> None:
    approve(seeded, clock)
    ask(seeded, clock, people["reporter"], reason="Lần một.")
    reopen.refuse(
        db_session=seeded,
        actor=people["coordinator"],
        clock=clock,
        unit=UNIT,
        period=PERIOD,
        number=1,
        comment="Không cần sửa.",
    )
    ask(seeded, clock, people["reporter"], reason="Lần hai: sai số liệu.")
    reopen.grant(
        db_session=seeded,
        actor=people["coordinator"],
        clock=clock,
        unit=UNIT,
        period=PERIOD,
        number=2,
        comment="Đồng ý.",
    )
    steps = history.steps(db_session=seeded, unit=UNIT, period=PERIOD)
    assert [(s.kind, s.username, s.comment) for s in steps] == [
        ("submitted", "system", ""),
        ("approved", "system", ""),
        ("asked", "bc.ttpv", "Lần một."),
        ("refused", "dp.vhxh", "Không cần sửa."),
        ("asked", "bc.ttpv", "Lần hai: sai số liệu."),
        ("granted", "dp.vhxh", "Đồng ý."),
        ("reopened", "dp.vhxh", "Lần hai: sai số liệu."),
    ]
    assert steps[2].label == "Đơn vị đề nghị mở lại báo cáo"
    keys = seeded.exec(
        select(AuditEvent.entity_key, AuditEvent.action)
        .where(AuditEvent.entity == "reopen_request")
        .order_by(col(AuditEvent.id))
    ).all()
    assert keys == [
        ("ttpvhcc/2025-10/1", "create"),
        ("ttpvhcc/2025-10/1", "update"),
        ("ttpvhcc/2025-10/2", "create"),
        ("ttpvhcc/2025-10/2", "update"),
    ]


def test_two_coordinators_deciding_at_once_do_not_overwrite_each_other(
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
    people: dict[str, Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One refuses while the other, having read the same version, grants: the grant is a 409
    and the report stays approved, rather than a refused request with a reopened report."""
    approve(seeded, clock)
    ask(seeded, clock, people["reporter"])
    read_first = reopen._decidable
    raced: list[bool] = []

    def read_then_lose_the_race(**kwargs: Any) -> Any:
        found = read_first(**kwargs)
        if not raced:
            raced.append(True)
            with Session(clean_db, expire_on_commit=False) as other:
                reopen.refuse(
                    db_session=other,
                    actor=SYSTEM,
                    clock=clock,
                    unit=UNIT,
                    period=PERIOD,
                    number=1,
                    comment="Đã chốt số liệu.",
                )
        return found

    monkeypatch.setattr(reopen, "_decidable", read_then_lose_the_race)
    with Session(clean_db, expire_on_commit=False) as mine, pytest.raises(Conflict) as lost:
        reopen.grant(
            db_session=mine,
            actor=people["coordinator"],
            clock=clock,
            unit=UNIT,
            period=PERIOD,
            number=1,
            version=1,
        )
    assert lost.value.code == "stale_version"
    with Session(clean_db) as check:
        assert check.exec(select(ReopenRequest.status)).all() == ["refused"]
        assert status_of(check) == "approved"


def test_a_direct_reopen_settles_the_request_waiting_for_one(
    seeded: Session, clock: FixedClock, people: dict[str, Actor]
) -> None:
    """The coordinator who uses the plain “Mở lại” button while a request waits has done what it
    asked: the request is granted with the reopen's reason, and the unit may ask again later."""
    approve(seeded, clock)
    ask(seeded, clock, people["reporter"])
    transitions.reopen(
        db_session=seeded,
        actor=people["coordinator"],
        clock=clock,
        unit=UNIT,
        period=PERIOD,
        comment="Mở lại theo đề nghị của đơn vị.",
    )
    seeded.expire_all()
    [row] = seeded.exec(select(ReopenRequest)).all()
    assert (row.status, row.decided_by) == ("granted", "dp.vhxh")
    assert row.decision_comment == "Mở lại theo đề nghị của đơn vị."
    assert status_of(seeded) == "returned"
    events = seeded.exec(
        select(AuditEvent).where(AuditEvent.entity == "reopen_request").order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["create", "update"]
    # nothing waits any more: after the unit sends and the office approves, it may ask again
    transitions.submit(db_session=seeded, actor=SYSTEM, clock=clock, unit=UNIT, period=PERIOD)
    transitions.approve(db_session=seeded, actor=SYSTEM, clock=clock, unit=UNIT, period=PERIOD)
    assert ask(seeded, clock, people["reporter"]).number == 2
