"""Changing the plan's tasks (create, edit, delete): authorised, checked and audited.

Reading the tasks (lists, lookups, who must report) is in ``app/plans/service.py``.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Invalid
from app.permissions import Permission, authorize
from app.plans.codes import sort_key_for, split_code
from app.plans.models import (
    Assignment,
    AssignmentCoordinator,
    AssignmentCreate,
    AssignmentRead,
    AssignmentUpdate,
    Scope,
)
from app.plans.service import assignment_reads, coordinator_ids, get_area, get_assignment, get_plan
from app.references import count_references
from app.units import service as unit_service
from app.versioning import check_version, update_versioned


def _check_scope(scope: str, lead_unit_id: int | None) -> None:
    if scope == Scope.LEAD_UNIT and lead_unit_id is None:
        raise Invalid.one(
            "lead_unit", "lead_unit_required", "Nhiệm vụ có đơn vị chủ trì phải ghi đơn vị chủ trì."
        )
    if scope == Scope.ALL_UNITS and lead_unit_id is not None:
        raise Invalid.one(
            "lead_unit",
            "lead_unit_not_allowed",
            "Nhiệm vụ giao cho tất cả đơn vị không có đơn vị chủ trì riêng.",
        )


def _set_coordinators(*, db_session: Session, assignment: Assignment, codes: list[str]) -> None:
    units = unit_service.get_many(
        db_session=db_session, codes=codes, field_name="coordinating_units"
    )
    if assignment.lead_unit_id is not None and assignment.lead_unit_id in {u.id for u in units}:
        raise Invalid.one(
            "coordinating_units",
            "lead_is_coordinator",
            "Đơn vị chủ trì không đồng thời là đơn vị phối hợp.",
        )
    db_session.exec(
        delete(AssignmentCoordinator).where(
            col(AssignmentCoordinator.assignment_id) == assignment.id
        )
    )
    for unit in units:
        assert unit.id is not None and assignment.id is not None
        db_session.add(AssignmentCoordinator(assignment_id=assignment.id, unit_id=unit.id))


def create_assignment(
    *, db_session: Session, actor: Actor, clock: Clock, data: AssignmentCreate
) -> AssignmentRead:
    authorize(actor, Permission.PLAN_WRITE)
    plan = get_plan(db_session=db_session, code=data.plan)
    exists = db_session.exec(
        select(Assignment.id).where(Assignment.plan_id == plan.id, Assignment.code == data.code)
    ).first()
    if exists is not None:
        raise Conflict(
            f"Nhiệm vụ mã “{data.code}” đã có trong Kế hoạch {plan.number}.",
            code="assignment_exists",
            errors=[FieldError("code", "duplicate", "Mã nhiệm vụ đã tồn tại.")],
        )
    area = get_area(db_session=db_session, code=data.area)
    lead = (
        unit_service.get_by_code(db_session=db_session, code=data.lead_unit, field_name="lead_unit")
        if data.lead_unit
        else None
    )
    _check_scope(data.scope, lead.id if lead else None)
    section, position = split_code(data.code)
    now = clock.now()
    assert plan.id is not None and area.id is not None
    row = Assignment(
        plan_id=plan.id,
        code=data.code,
        section=section,
        position=position,
        sort_key=sort_key_for(data.code),
        text=data.text,
        area_id=area.id,
        scope=data.scope,
        lead_unit_id=lead.id if lead else None,
        cadence=data.cadence,
        coordinators_report=data.coordinators_report,
        due_date=data.due_date,
        expected_product=data.expected_product,
        footnotes=[],
        active=data.active,
        created_at=now,
        updated_at=now,
    )
    db_session.add(row)
    db_session.flush()
    _set_coordinators(db_session=db_session, assignment=row, codes=data.coordinating_units)
    db_session.flush()
    after = assignment_reads(db_session=db_session, plan=plan, rows=[row])[0]
    _audit(
        db_session, actor, clock, AuditAction.CREATE, code=f"{plan.code}/{row.code}", after=after
    )
    db_session.commit()
    return after


def _audit(
    db_session: Session,
    actor: Actor,
    clock: Clock | None,
    action: AuditAction,
    *,
    code: str,
    before: AssignmentRead | None = None,
    after: AssignmentRead | None = None,
) -> None:
    audit.record(
        db_session=db_session,
        actor=actor,
        action=action,
        entity="assignment",
        key=code,
        before=before,
        after=after,
        clock=clock,
    )


#: Fields an update may change but never empty (``due_date`` and ``lead_unit`` may be null).
_REQUIRED_ON_UPDATE = (
    "text",
    "area",
    "scope",
    "coordinating_units",
    "coordinators_report",
    "cadence",
    "active",
)


def update_assignment(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan_code: str | None,
    code: str,
    data: AssignmentUpdate,
) -> AssignmentRead:
    authorize(actor, Permission.PLAN_WRITE)
    plan = get_plan(db_session=db_session, code=plan_code)
    row = get_assignment(db_session=db_session, plan=plan, code=code)
    check_version(current=row.version, expected=data.version, what=f"Nhiệm vụ {code}")
    before = assignment_reads(db_session=db_session, plan=plan, rows=[row])[0]
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    for name in _REQUIRED_ON_UPDATE:
        if name in changes and changes[name] is None:
            raise Invalid.one(name, "required", "Không được để trống.")
    if "area" in changes:
        row.area_id = get_area(db_session=db_session, code=changes.pop("area")).id  # type: ignore[assignment]
    if "lead_unit" in changes:
        lead_code = changes.pop("lead_unit")
        row.lead_unit_id = (
            unit_service.get_by_code(
                db_session=db_session, code=lead_code, field_name="lead_unit"
            ).id
            if lead_code
            else None
        )
    coordinating = changes.pop("coordinating_units", None)
    edits = ("text", "scope", "cadence", "coordinators_report", "due_date", "expected_product")
    for name in (*edits, "active"):
        if name in changes:
            setattr(row, name, changes[name])
    if row.expected_product is None:
        row.expected_product = ""
    _check_scope(row.scope, row.lead_unit_id)
    if coordinating is not None:
        _set_coordinators(db_session=db_session, assignment=row, codes=coordinating)
    elif row.lead_unit_id is not None:
        assert row.id is not None
        current = coordinator_ids(db_session=db_session, assignment_ids=[row.id])[row.id]
        if row.lead_unit_id in current:
            raise Invalid.one(
                "lead_unit",
                "lead_is_coordinator",
                "Đơn vị chủ trì đang là đơn vị phối hợp của nhiệm vụ: "
                "hãy gửi kèm danh sách đơn vị phối hợp mới (coordinating_units).",
            )
    update_versioned(
        db_session=db_session,
        model=Assignment,
        row=row,
        changes={},
        now=clock.now(),
        message=f"Nhiệm vụ {code} vừa được người khác sửa. "
        "Hãy tải lại để xem thay đổi rồi nhập lại.",
    )
    db_session.flush()
    after = assignment_reads(db_session=db_session, plan=plan, rows=[row])[0]
    _audit(
        db_session,
        actor,
        clock,
        AuditAction.UPDATE,
        code=f"{plan.code}/{code}",
        before=before,
        after=after,
    )
    db_session.commit()
    return after


#: What a row of each table that refers to a task is called when it blocks the task's delete.
_IN_USE_LABELS = {
    "progress_update": "báo cáo tiến độ",
    "indicator": "chỉ tiêu",
    "evidence_item": "minh chứng",
    "coordination_reply": "ý kiến phối hợp",
}


def delete_assignment(
    *,
    db_session: Session,
    actor: Actor,
    plan_code: str | None,
    code: str,
    clock: Clock | None = None,
) -> None:
    authorize(actor, Permission.PLAN_WRITE)
    plan = get_plan(db_session=db_session, code=plan_code)
    row = get_assignment(db_session=db_session, plan=plan, code=code)
    # the task's own list of coordinating units goes with it; anything else keeps it
    refs = count_references(
        db_session=db_session, table="assignment", row_id=row.id, skip={"assignment_coordinator"}
    )
    for table, n in refs.items():
        label = _IN_USE_LABELS.get(table, table)
        raise Conflict(
            f"Không xóa được nhiệm vụ {code}: còn {n} {label} gắn với nhiệm vụ này. "
            "Hãy chuyển nhiệm vụ sang ngừng theo dõi (active = false).",
            code="assignment_in_use",
        )
    before = assignment_reads(db_session=db_session, plan=plan, rows=[row])[0]
    db_session.exec(
        delete(AssignmentCoordinator).where(col(AssignmentCoordinator.assignment_id) == row.id)
    )
    db_session.delete(row)
    _audit(db_session, actor, clock, AuditAction.DELETE, code=f"{plan.code}/{code}", before=before)
    db_session.commit()
