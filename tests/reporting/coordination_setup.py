"""Shared set-up for the coordination tests: Plan 84's task II.2.3.4 (led by Trung tâm Phục vụ
hành chính công, coordinated by Phòng Văn hóa - Xã hội) with two more coordinating units, so the
three answers (confirmed, disagreed, not answered) can be seen at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from app.actors import Actor
from app.clock import Clock
from app.plans.models import Assignment, AssignmentCoordinator
from app.progress import service as progress_service
from app.progress.models import ProgressRead, ProgressWrite
from app.reporting import coordination_answer
from app.reporting.coordination_models import AnswerWrite, CoordinatingTaskRead
from app.units.models import Unit

TASK = "II.2.3.4"
PERIOD = "2025-10"
LEAD = Actor(username="bc.ttpv", role="reporter", unit_code="ttpvhcc")
VHXH = Actor(username="bc.vhxh", role="reporter", unit_code="vhxh")
KTHTDT = Actor(username="bc.kthtdt", role="reporter", unit_code="kthtdt")
MTTQ = Actor(username="bc.mttq", role="reporter", unit_code="mttq")
VP = Actor(username="bc.vp", role="reporter", unit_code="vp")
REVIEWER = Actor(username="dp.vhxh", role="coordinator", unit_code="vhxh")


def add_coordinators(session: Session, codes: tuple[str, ...] = ("kthtdt", "mttq")) -> None:
    task = session.exec(select(Assignment).where(Assignment.code == TASK)).one()
    for code in codes:
        unit = session.exec(select(Unit).where(Unit.code == code)).one()
        assert task.id is not None and unit.id is not None
        session.add(AssignmentCoordinator(assignment_id=task.id, unit_id=unit.id))
    session.commit()


def lead_update(
    session: Session,
    clock: Clock,
    *,
    result: str = "Đã kiểm tra 12 hồ sơ trễ hạn tại bộ phận một cửa",
    version: int | None = None,
    period: str = PERIOD,
) -> ProgressRead:
    data = ProgressWrite(
        assignment=TASK,
        unit="ttpvhcc",
        period=period,
        status="in_progress",
        percent_complete=60,
        result=result,
        version=version,
    )
    return progress_service.upsert_progress(
        db_session=session, actor=LEAD, clock=clock, data=data
    ).progress


def reply(
    session: Session,
    clock: Clock,
    actor: Actor,
    answer: str,
    *,
    comment: str = "",
    version: int = 0,
    unit: str | None = None,
    task: str = TASK,
    period: str = PERIOD,
) -> CoordinatingTaskRead:
    return coordination_answer.answer(
        db_session=session,
        actor=actor,
        clock=clock,
        unit=unit or actor.unit_code or "",
        period=period,
        task=task,
        data=AnswerWrite(answer=answer, comment=comment, version=version),  # type: ignore[arg-type]
    )


def _answer_case(ctx: Any) -> tuple[str, dict[str, Any]]:
    """For the authorisation matrix: a task ``ctx.unit`` coordinates, updated by its lead."""
    from app.actors import SYSTEM

    lead, code = ("ttpvhcc", TASK) if ctx.unit == "vp" else ("vp", "II.2.2.1")
    task = ctx.session.exec(select(Assignment).where(Assignment.code == code)).one()
    unit = ctx.session.exec(select(Unit).where(Unit.code == ctx.unit)).one()
    if ctx.session.get(AssignmentCoordinator, (task.id, unit.id)) is None:
        ctx.session.add(AssignmentCoordinator(assignment_id=task.id, unit_id=unit.id))
        ctx.session.commit()
    progress_service.upsert_progress(
        db_session=ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        data=ProgressWrite(
            assignment=code, unit=lead, period=PERIOD, status="done", result="Đã hoàn thành"
        ),
    )
    url = f"/api/v1/units/{ctx.unit}/periods/{PERIOD}/coordinating/{code}"
    return url, {"answer": "confirmed", "version": 0}


_ROUTE = ("PUT", "/api/v1/units/{unit}/periods/{period}/coordinating/{task}")
#: Wired into ``tests/accounts/test_authorization_matrix.py`` and ``tests/audit/test_audit.py``:
#: only the coordinating unit itself (admins for any unit) answers, and an answer is audited.
COORDINATION_CASES: dict[tuple[str, str], tuple[str, Callable[[Any], Any]]] = {
    _ROUTE: ("unit", _answer_case)
}
COORDINATION_AUDIT: dict[tuple[str, str], tuple[str, str]] = {
    _ROUTE: ("coordination_reply", "create")
}
