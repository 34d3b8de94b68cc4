"""A coordinating unit's answer to the lead's update: who may answer, when, and the write.

The rules (``answer``) and the row with its audit record; what the pages and the API show is read
by ``coordination.py``, which this module's answer returns through.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Forbidden, Invalid
from app.periods import Period
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.plans.models import Assignment, Plan, Scope, TaskCadence
from app.progress.models import ProgressUpdate
from app.reporting.coordination import (
    answer_read,
    for_coordinator,
    lead_report,
    parse_period,
    why_not,
)
from app.reporting.coordination_models import (
    AnswerWrite,
    CoordinatingTaskRead,
    CoordinationAnswer,
    CoordinationReply,
)
from app.units import service as unit_service
from app.units.models import Unit
from app.versioning import claim_version


def _check_coordinator(*, db_session: Session, task: Assignment, unit: Unit) -> None:
    """403 unless the unit is named to coordinate the task: the lead cannot answer for its
    coordinating units, and a unit not named has no part to confirm. A task every unit reports
    on has no lead update to confirm (409)."""
    name = unit.short_name or unit.name
    if task.lead_unit_id == unit.id:
        raise Forbidden(
            f"{name} chủ trì nhiệm vụ {task.code}: xác nhận phần phối hợp là việc của các đơn vị "
            "phối hợp, đơn vị chủ trì không trả lời thay.",
            code="lead_unit",
        )
    assert task.id is not None
    named = plan_service.coordinator_ids(db_session=db_session, assignment_ids=[task.id])[task.id]
    if unit.id in named and task.scope != Scope.LEAD_UNIT:
        raise Conflict(
            f"Nhiệm vụ {task.code} giao cho mọi đơn vị cùng báo cáo, không có đơn vị chủ trì: "
            "không có cập nhật nào của đơn vị chủ trì để xác nhận.",
            code="no_lead_unit",
        )
    if unit.id not in named:
        raise Forbidden(
            f"{name} không được giao phối hợp nhiệm vụ {task.code}, nên không có phần nào để "
            "xác nhận.",
            code="not_coordinator",
        )


def answer(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str,
    period: str,
    task: str,
    data: AnswerWrite,
) -> CoordinatingTaskRead:
    """Confirm, or disagree with a comment, the lead's update on a task the unit coordinates;
    answering again replaces the answer (``version`` guarded), audited, in one transaction."""
    authorize(actor, Permission.DATA_WRITE, unit_code=unit)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit)
    assignment = plan_service.get_assignment(db_session=db_session, plan=plan, code=task)
    _check_coordinator(db_session=db_session, task=assignment, unit=unit_row)
    monthly = assignment.cadence == TaskCadence.MONTHLY
    p = parse_period(plan=plan, period=period, clock=clock, monthly=monthly)
    lead = db_session.get(Unit, assignment.lead_unit_id)
    assert lead is not None and assignment.id is not None and unit_row.id is not None
    update = db_session.exec(
        select(ProgressUpdate).where(
            ProgressUpdate.assignment_id == assignment.id,
            ProgressUpdate.unit_id == lead.id,
            ProgressUpdate.period == str(p),
        )
    ).first()
    report = lead_report(db_session=db_session, plan=plan, lead_unit_id=lead.id, period=p)
    why = why_not(lead=lead, update=update, report=report, period=p)
    if why:
        code = "no_lead_update" if update is None else "lead_report_approved"
        raise Conflict(why, code=code)
    assert update is not None
    if data.answer == CoordinationAnswer.DISAGREED and not data.comment:
        raise Invalid.one(
            "comment",
            "required",
            "Khi không đồng ý, hãy ghi rõ góp ý để đơn vị chủ trì biết cần sửa gì.",
        )
    _write(
        db_session=db_session,
        actor=actor,
        clock=clock,
        plan=plan,
        task=assignment,
        unit=unit_row,
        period=p,
        update=update,
        data=data,
    )
    db_session.commit()
    found = for_coordinator(db_session=db_session, actor=actor, plan=plan, unit=unit_row, period=p)
    return next(item for item in found if item.task == assignment.code)


def _stale() -> Conflict:
    return Conflict(
        "Ý kiến phối hợp này vừa được người khác cập nhật; hãy tải lại để xem trước khi trả lời.",
        code="stale_version",
        errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
    )


def _write(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan: Plan,
    task: Assignment,
    unit: Unit,
    period: Period,
    update: ProgressUpdate,
    data: AnswerWrite,
) -> None:
    """The reply row and its audit row, in the caller's transaction."""
    assert plan.id is not None and task.id is not None and unit.id is not None
    existing = db_session.exec(
        select(CoordinationReply).where(
            CoordinationReply.plan_id == plan.id,
            CoordinationReply.assignment_id == task.id,
            CoordinationReply.period == str(period),
            CoordinationReply.unit_id == unit.id,
        )
    ).first()
    now = clock.now()
    key = f"{task.code}/{unit.code}/{period}"
    if existing is None:
        if data.version != 0:
            raise _stale()
        row = CoordinationReply(
            plan_id=plan.id,
            assignment_id=task.id,
            period=str(period),
            unit_id=unit.id,
            answer=data.answer,
            comment=data.comment,
            lead_version=update.version,
            answered_by=actor.username,
            answered_at=now,
            created_at=now,
        )
        db_session.add(row)
        try:
            db_session.flush()
        except IntegrityError as exc:
            db_session.rollback()
            raise _stale() from exc
        before = None
    else:
        if data.version != existing.version:
            raise _stale()
        before = answer_read(existing, unit, update)
        existing.version = claim_version(
            db_session=db_session,
            model=CoordinationReply,
            row_id=existing.id,
            seen=existing.version,
            message=_stale().message,
        )
        existing.answer = data.answer
        existing.comment = data.comment
        existing.lead_version = update.version
        existing.answered_by = actor.username
        existing.answered_at = now
        db_session.add(existing)
        row = existing
    after = answer_read(row, unit, update).model_dump(mode="json")
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE if before is None else AuditAction.UPDATE,
        entity="coordination_reply",
        key=key,
        before=before,
        after={**after, "task": task.code, "period": str(period), "lead_version": update.version},
        clock=clock,
    )
