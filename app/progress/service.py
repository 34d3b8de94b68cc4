"""Progress updates: what each unit reports on each of its tasks, period by period."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.permissions import Permission, authorize, authorize_read
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Invalid
from app.kpis.service import claim_version, insert_or_conflict, parse_filter_period
from app.periods import Period
from app.plans import service as plan_service
from app.plans.models import Assignment
from app.progress.models import ProgressRead, ProgressStatus, ProgressUpdate, ProgressWrite
from app.reporting import service as reporting_service
from app.units import service as unit_service
from app.units.models import Unit


@dataclass(frozen=True)
class ProgressFilters:
    unit: str | None = None
    period: str | None = None
    assignment: str | None = None
    plan: str | None = None


def _to_read(row: ProgressUpdate, assignment: str, unit: str) -> ProgressRead:
    assert row.id is not None
    return ProgressRead(
        id=row.id,
        assignment=assignment,
        unit=unit,
        period=row.period,
        status=row.status,
        percent_complete=row.percent_complete,
        result=row.result,
        difficulties=row.difficulties,
        proposals=row.proposals,
        evidence=row.evidence,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def list_progress(
    *, db_session: Session, actor: Actor, filters: ProgressFilters, limit: int, offset: int
) -> tuple[list[ProgressRead], int]:
    """Reports matching the filters; a reporter sees its own unit's only (403 for another)."""
    filters = replace(filters, unit=authorize_read(actor, filters.unit))
    plan = plan_service.get_plan(db_session=db_session, code=filters.plan)
    query = (
        select(ProgressUpdate, Assignment.code, Unit.code)
        .join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
        .join(Unit, col(Unit.id) == ProgressUpdate.unit_id)
        .where(Assignment.plan_id == plan.id)
    )
    if filters.unit:
        unit = unit_service.get_by_code(db_session=db_session, code=filters.unit)
        query = query.where(ProgressUpdate.unit_id == unit.id)
    if filters.assignment:
        assignment = plan_service.get_assignment(
            db_session=db_session, plan=plan, code=filters.assignment
        )
        query = query.where(ProgressUpdate.assignment_id == assignment.id)
    if filters.period:
        query = query.where(
            ProgressUpdate.period == str(parse_filter_period(filters.period, "period"))
        )
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(
        query.order_by(
            col(ProgressUpdate.period_start),
            col(Assignment.sort_key),
            col(Unit.code),
            col(ProgressUpdate.id),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return [_to_read(*r) for r in rows], total


def _resolve_percent(data: ProgressWrite) -> int | None:
    """Status and percent must tell the same story; the obvious percent is filled in."""
    status, percent = data.status, data.percent_complete
    if status == ProgressStatus.DONE:
        if percent not in (None, 100):
            raise Invalid.one(
                "percent_complete",
                "inconsistent",
                "Nhiệm vụ đã hoàn thành thì tỷ lệ hoàn thành là 100%.",
            )
        return 100
    if status == ProgressStatus.NOT_STARTED:
        if percent not in (None, 0):
            raise Invalid.one(
                "percent_complete", "inconsistent", "Nhiệm vụ chưa triển khai thì tỷ lệ là 0%."
            )
        return 0
    if status == ProgressStatus.NOT_APPLICABLE:
        if percent is not None:
            raise Invalid.one(
                "percent_complete",
                "inconsistent",
                "Nhiệm vụ không áp dụng cho đơn vị thì bỏ trống tỷ lệ hoàn thành.",
            )
        return None
    if percent is None or percent >= 100:
        raise Invalid.one(
            "percent_complete",
            "required" if percent is None else "inconsistent",
            "Nhiệm vụ đang thực hiện: nhập tỷ lệ hoàn thành từ 0 đến 99%."
            if percent is None
            else "Tỷ lệ 100% nghĩa là đã hoàn thành: hãy chọn trạng thái “Đã hoàn thành”.",
        )
    return percent


@dataclass(frozen=True)
class ProgressResult:
    progress: ProgressRead
    created: bool
    changed: bool


def upsert_progress(
    *, db_session: Session, actor: Actor, clock: Clock, data: ProgressWrite
) -> ProgressResult:
    """Create or update a unit's report on one task for one period (409 on a stale version)."""
    authorize(actor, Permission.DATA_WRITE, unit_code=data.unit)
    plan = plan_service.get_plan(db_session=db_session, code=data.plan)
    assignment = plan_service.get_assignment(db_session=db_session, plan=plan, code=data.assignment)
    unit = unit_service.get_by_code(db_session=db_session, code=data.unit)
    if not unit.active:
        raise Invalid.one("unit", "unit_inactive", f"Đơn vị “{unit.code}” đã ngừng hoạt động.")
    if not assignment.active:
        raise Invalid.one(
            "assignment",
            "assignment_inactive",
            f"Nhiệm vụ {assignment.code} đã ngừng theo dõi: không nhận báo cáo mới.",
        )
    if not plan_service.applies_to(db_session=db_session, assignment=assignment, unit=unit):
        raise Invalid.one(
            "unit",
            "not_assigned",
            f"Đơn vị “{unit.code}” không chủ trì, không phối hợp nhiệm vụ {assignment.code}.",
        )
    period = plan_service.validate_period(plan=plan, period=data.period, today=clock.today())
    reporting_service.ensure_open(db_session=db_session, plan=plan, unit=unit, period=period)
    percent = _resolve_percent(data)
    fields = {
        "status": str(data.status),
        "percent_complete": percent,
        "result": data.result,
        "difficulties": data.difficulties,
        "proposals": data.proposals,
        "evidence": data.evidence,
    }
    existing = db_session.exec(
        select(ProgressUpdate)
        .where(
            ProgressUpdate.assignment_id == assignment.id,
            ProgressUpdate.unit_id == unit.id,
            ProgressUpdate.period == period,
        )
        .with_for_update()
    ).first()
    now = clock.now()
    if existing is None:
        if data.version not in (None, 0):
            raise Conflict(
                "Báo cáo này đã bị xóa hoặc chưa từng có; hãy tải lại trước khi sửa.",
                code="stale_version",
                errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
            )
        p = Period.parse(period)
        assert assignment.id is not None and unit.id is not None
        row = ProgressUpdate(
            assignment_id=assignment.id,
            unit_id=unit.id,
            period=period,
            period_start=p.start_date,
            period_end=p.end_date,
            created_at=now,
            updated_at=now,
            **fields,  # type: ignore[arg-type]
        )
        insert_or_conflict(
            db_session=db_session,
            row=row,
            message=f"Báo cáo của {unit.code} cho nhiệm vụ {assignment.code} kỳ {period} vừa được "
            "người khác nhập; hãy tải lại để xem trước khi sửa.",
            before_commit=lambda: _audit(
                db_session, actor, clock, None, _to_read(row, assignment.code, unit.code)
            ),
        )
        return ProgressResult(_to_read(row, assignment.code, unit.code), True, True)
    if data.version == 0:
        raise Conflict(
            f"Đã có báo cáo của {unit.code} cho nhiệm vụ {assignment.code} kỳ {period} "
            f"(phiên bản {existing.version}); hãy tải lại để xem trước khi sửa.",
            code="already_exists",
            errors=[FieldError("version", "stale_version", "Báo cáo đã có người nhập.")],
        )
    plan_service.check_version(current=existing.version, expected=data.version, what="Báo cáo")
    if all(getattr(existing, k) == v for k, v in fields.items()):
        db_session.rollback()
        return ProgressResult(_to_read(existing, assignment.code, unit.code), False, False)
    before = _to_read(existing, assignment.code, unit.code)
    existing.version = claim_version(
        db_session=db_session,
        model=ProgressUpdate,
        row_id=existing.id,
        seen=existing.version,
        message=f"Báo cáo của {unit.code} cho nhiệm vụ {assignment.code} kỳ {period} vừa được "
        "người khác sửa; hãy tải lại để xem thay đổi rồi nhập lại.",
    )
    for k, v in fields.items():
        setattr(existing, k, v)
    existing.updated_at = now
    db_session.add(existing)
    after = _to_read(existing, assignment.code, unit.code)
    _audit(db_session, actor, clock, before, after)
    db_session.commit()
    return ProgressResult(after, False, True)


def _audit(
    db_session: Session,
    actor: Actor,
    clock: Clock,
    before: ProgressRead | None,
    after: ProgressRead,
) -> None:
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE if before is None else AuditAction.UPDATE,
        entity="progress",
        key=f"{after.assignment}/{after.unit}/{after.period}",
        before=before,
        after=after,
        clock=clock,
    )
