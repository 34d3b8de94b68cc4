"""Progress updates: what each unit reports on each of its tasks, period by period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Invalid
from app.kpis.lookups import Lookups
from app.kpis.readings import parse_filter_period
from app.pagination import page_total
from app.periods import Granularity, Period
from app.permissions import Permission, authorize, authorize_read
from app.plans import service as plan_service
from app.plans.models import Assignment, TaskCadence
from app.progress.evidence.models import EvidenceItem
from app.progress.models import ProgressRead, ProgressStatus, ProgressUpdate, ProgressWrite
from app.units import service as unit_service
from app.units.models import Unit
from app.versioning import WriteAction, check_version, claim_version


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


def _reports_of(plan_id: int) -> Select[ProgressUpdate, str, str]:
    """The plan's reports with their task's and unit's codes (what ``_to_read`` takes)."""
    return (
        select(ProgressUpdate, Assignment.code, Unit.code)
        .join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
        .join(Unit, col(Unit.id) == ProgressUpdate.unit_id)
        .where(Assignment.plan_id == plan_id)
    )


def list_progress(
    *, db_session: Session, actor: Actor, filters: ProgressFilters, limit: int, offset: int
) -> tuple[list[ProgressRead], int]:
    """Reports matching the filters; a reporter sees its own unit's only (403 for another)."""
    filters = replace(filters, unit=authorize_read(actor, filters.unit))
    plan = plan_service.get_plan(db_session=db_session, code=filters.plan)
    assert plan.id is not None
    query = _reports_of(plan.id)
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
    total = page_total(db_session, query, len(rows), limit=limit, offset=offset)
    return [_to_read(*r) for r in rows], total


def task_progress(
    *,
    db_session: Session,
    actor: Actor,
    plan_id: int,
    unit: Unit,
    assignment: str,
    periods: Sequence[str],
) -> dict[str, ProgressRead]:
    """One unit's reports on one task in some periods, by period, in one statement: what a saved
    row shows (this period's report and the last one's). ``list_progress`` for each period read
    every report of the unit twice to keep one of each (issue #17)."""
    authorize_read(actor, unit.code)
    if not periods:
        return {}
    rows = db_session.exec(
        _reports_of(plan_id).where(
            Assignment.code == assignment,
            ProgressUpdate.unit_id == unit.id,
            col(ProgressUpdate.period).in_(list(periods)),
        )
    ).all()
    return {row.period: _to_read(row, code, unit_code) for row, code, unit_code in rows}


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


def _ensure_product_shown(
    db_session: Session, assignment: Assignment, key: ProgressKey, data: ProgressWrite
) -> None:
    """A task whose plan entry names a product is done only with a result and evidence (a file
    or link attached, or the document named in ``evidence``): the rule of issue 19, here so the
    page, the API and bulk imports all obey it."""
    product = (assignment.expected_product or "").strip()
    if not product:
        return
    errors: list[FieldError] = []
    if not data.result.strip():
        errors.append(
            FieldError(
                "result",
                "result_required",
                f"Ghi kết quả đạt được: kế hoạch yêu cầu sản phẩm “{product}”.",
            )
        )
    if not data.evidence.strip() and not evidence_count(db_session=db_session, key=key):
        errors.append(
            FieldError(
                "evidence",
                "evidence_required",
                f"Đính kèm tệp, thêm liên kết hoặc ghi số, ký hiệu văn bản minh chứng cho "
                f"“{product}”.",
            )
        )
    if errors:
        raise Invalid(
            errors,
            message=f"Kế hoạch yêu cầu sản phẩm: “{product}”. Hãy ghi kết quả và đính kèm minh "
            "chứng trước khi đánh dấu hoàn thành.",
        )


def evidence_count(*, db_session: Session, key: ProgressKey) -> int:
    """Files and links attached to one task's update, for the done rule."""
    assignment_id, unit_id, period = key
    return db_session.exec(
        select(func.count()).where(
            EvidenceItem.assignment_id == assignment_id,
            EvidenceItem.unit_id == unit_id,
            EvidenceItem.period == period,
        )
    ).one()


@dataclass(frozen=True)
class ProgressResult:
    progress: ProgressRead
    created: bool
    changed: bool


ProgressKey = tuple[int, int, str]


@dataclass
class PlannedProgress:
    """A progress write that passed every rule, with the row it will create or change."""

    action: WriteAction
    key: ProgressKey
    codes: tuple[str, str]
    fields: dict[str, object]
    existing: ProgressUpdate | None


def find_progress(
    *, db_session: Session, keys: Sequence[ProgressKey], lock: bool = True
) -> dict[ProgressKey, ProgressUpdate]:
    """The stored reports at these keys, in one query (locked on PostgreSQL)."""
    if not keys:
        return {}
    query = select(ProgressUpdate).where(
        col(ProgressUpdate.assignment_id).in_({k[0] for k in keys}),
        col(ProgressUpdate.unit_id).in_({k[1] for k in keys}),
        col(ProgressUpdate.period).in_({k[2] for k in keys}),
    )
    if len(keys) == 1:
        assignment_id, unit_id, period = keys[0]
        query = select(ProgressUpdate).where(
            ProgressUpdate.assignment_id == assignment_id,
            ProgressUpdate.unit_id == unit_id,
            ProgressUpdate.period == period,
        )
    if lock:
        query = query.with_for_update()
    wanted = set(keys)
    rows = [db_session.exec(query).first()] if len(keys) == 1 else db_session.exec(query).all()
    found: dict[ProgressKey, ProgressUpdate] = {}
    for row in rows:
        if row is not None and (key := (row.assignment_id, row.unit_id, row.period)) in wanted:
            found[key] = row
    return found


def progress_natural_key(*, lookups: Lookups, data: ProgressWrite) -> ProgressKey:
    """The ids behind a write's codes; raises what the write itself would raise for a bad code."""
    plan = lookups.plan(data.plan)
    assignment = lookups.assignment(plan, data.assignment)
    unit = lookups.unit(data.unit)
    period = lookups.period(plan, data.period, monthly=is_monthly(assignment))
    assert assignment.id is not None and unit.id is not None
    return (assignment.id, unit.id, period)


def is_monthly(assignment: Assignment) -> bool:
    """Tasks the plan marks "Định kỳ hằng tháng" report every month, in quarterly years too."""
    return assignment.cadence == TaskCadence.MONTHLY


_MISSING = object()


def plan_progress(
    *,
    lookups: Lookups,
    actor: Actor,
    data: ProgressWrite,
    existing: ProgressUpdate | object | None = _MISSING,
) -> PlannedProgress:
    """Every rule of a progress write, checked without writing; ``existing`` may be prefetched.

    The single write and the bulk import share it, so both refuse with the same messages.
    """
    authorize(actor, Permission.DATA_WRITE, unit_code=data.unit)
    plan = lookups.plan(data.plan)
    assignment = lookups.assignment(plan, data.assignment)
    unit = lookups.unit(data.unit)
    unit_service.ensure_active(unit)
    if not assignment.active:
        raise Invalid.one(
            "assignment",
            "assignment_inactive",
            f"Nhiệm vụ {assignment.code} đã ngừng theo dõi: không nhận báo cáo mới.",
        )
    if not lookups.applies_to(assignment, unit):
        raise Invalid.one(
            "unit",
            "not_assigned",
            f"Đơn vị “{unit.code}” không chủ trì, không phối hợp nhiệm vụ {assignment.code}.",
        )
    period = lookups.period(plan, data.period, monthly=is_monthly(assignment))
    if is_monthly(assignment) and Period.parse(period).granularity is not Granularity.MONTH:
        months = ", ".join(str(m) for m in Period.parse(period).months())
        raise Invalid.one(
            "period",
            "monthly_task",
            f"Nhiệm vụ {assignment.code} báo cáo định kỳ hằng tháng: cập nhật theo từng tháng "
            f"({months}), báo cáo quý dùng cập nhật mới nhất trong quý.",
        )
    lookups.ensure_open(plan, unit, period)
    percent = _resolve_percent(data)
    assert assignment.id is not None and unit.id is not None
    if data.status == ProgressStatus.DONE:
        _ensure_product_shown(
            lookups.db_session, assignment, (assignment.id, unit.id, period), data
        )
    fields: dict[str, object] = {
        "status": str(data.status),
        "percent_complete": percent,
        "result": data.result,
        "difficulties": data.difficulties,
        "proposals": data.proposals,
        "evidence": data.evidence,
    }
    assert assignment.id is not None and unit.id is not None
    key: ProgressKey = (assignment.id, unit.id, period)
    if existing is _MISSING:
        existing = find_progress(db_session=lookups.db_session, keys=[key]).get(key)
    assert existing is None or isinstance(existing, ProgressUpdate)
    codes = (assignment.code, unit.code)
    if existing is None:
        if data.version not in (None, 0):
            raise Conflict(
                "Báo cáo này đã bị xóa hoặc chưa từng có; hãy tải lại trước khi sửa.",
                code="stale_version",
                errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
            )
        return PlannedProgress(WriteAction.CREATE, key, codes, fields, None)
    if data.version == 0:
        raise Conflict(
            f"Đã có báo cáo của {unit.code} cho nhiệm vụ {assignment.code} kỳ {period} "
            f"(phiên bản {existing.version}); hãy tải lại để xem trước khi sửa.",
            code="already_exists",
            errors=[FieldError("version", "stale_version", "Báo cáo đã có người nhập.")],
        )
    check_version(current=existing.version, expected=data.version, what="Báo cáo")
    if all(getattr(existing, k) == v for k, v in fields.items()):
        return PlannedProgress(WriteAction.UNCHANGED, key, codes, fields, existing)
    return PlannedProgress(WriteAction.UPDATE, key, codes, fields, existing)


def apply_progress(
    *, db_session: Session, actor: Actor, clock: Clock, planned: Sequence[PlannedProgress]
) -> list[ProgressResult]:
    """Write validated reports and their audit rows in the caller's transaction (no commit)."""
    now = clock.now()
    results: list[ProgressResult] = []
    created: list[tuple[ProgressUpdate, PlannedProgress]] = []
    for item in planned:
        assignment_code, unit_code = item.codes
        _, _, period = item.key
        if item.action == WriteAction.UNCHANGED:
            assert item.existing is not None
            results.append(ProgressResult(_to_read(item.existing, *item.codes), False, False))
            continue
        if item.action == WriteAction.CREATE:
            assignment_id, unit_id, _ = item.key
            p = Period.parse(period)
            row = ProgressUpdate(
                assignment_id=assignment_id,
                unit_id=unit_id,
                period=period,
                period_start=p.start_date,
                period_end=p.end_date,
                created_at=now,
                updated_at=now,
                **item.fields,  # type: ignore[arg-type]
            )
            db_session.add(row)
            created.append((row, item))
            continue
        existing = item.existing
        assert existing is not None
        before = _to_read(existing, *item.codes)
        existing.version = claim_version(
            db_session=db_session,
            model=ProgressUpdate,
            row_id=existing.id,
            seen=existing.version,
            message=f"Báo cáo của {unit_code} cho nhiệm vụ {assignment_code} kỳ {period} vừa "
            "được người khác sửa; hãy tải lại để xem thay đổi rồi nhập lại.",
            rollback=False,
        )
        for k, v in item.fields.items():
            setattr(existing, k, v)
        existing.updated_at = now
        db_session.add(existing)
        after = _to_read(existing, *item.codes)
        _audit(db_session, actor, clock, before, after)
        results.append(ProgressResult(after, False, True))
    if created:
        try:
            db_session.flush()
        except IntegrityError as exc:
            assignment_code, unit_code = created[0][1].codes
            period = created[0][1].key[2]
            raise Conflict(
                f"Báo cáo của {unit_code} cho nhiệm vụ {assignment_code} kỳ {period} vừa được "
                "người khác nhập; hãy tải lại để xem trước khi sửa.",
                code="already_exists",
                errors=[FieldError("version", "stale_version", "Đã có người khác vừa nhập.")],
            ) from exc
        for row, item in created:
            after = _to_read(row, *item.codes)
            _audit(db_session, actor, clock, None, after)
            results.append(ProgressResult(after, True, True))
    return results


def upsert_progress(
    *, db_session: Session, actor: Actor, clock: Clock, data: ProgressWrite, commit: bool = True
) -> ProgressResult:
    """Create or update a unit's report on one task for one period (409 on a stale version).

    With ``commit=False`` the write joins the caller's transaction, which commits or rolls back.
    """
    lookups = Lookups(db_session=db_session, clock=clock)
    planned = plan_progress(lookups=lookups, actor=actor, data=data)
    if planned.action == WriteAction.UNCHANGED:
        assert planned.existing is not None
        if commit:
            db_session.rollback()
        return ProgressResult(_to_read(planned.existing, *planned.codes), False, False)
    if not commit:
        return apply_progress(db_session=db_session, actor=actor, clock=clock, planned=[planned])[0]
    try:
        result = apply_progress(db_session=db_session, actor=actor, clock=clock, planned=[planned])
        db_session.commit()
    except (Conflict, IntegrityError):
        db_session.rollback()
        raise
    return result[0]


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
