"""Plans, PAR areas and the plan's tasks (assignments)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from app.accounts.permissions import Permission, authorize
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Invalid, NotFound
from app.periods import PeriodError, ReportingCalendar
from app.plans.models import (
    Area,
    AreaRead,
    Assignment,
    AssignmentCoordinator,
    AssignmentCreate,
    AssignmentRead,
    AssignmentUpdate,
    Footnote,
    Plan,
    PlanRead,
    ReportingRule,
    Scope,
)
from app.units import service as unit_service
from app.units.models import Unit, contains_nul

_ROMAN_DIGITS = {"I": 1, "V": 5, "X": 10}


def roman_value(numeral: str) -> int:
    """``IV`` → 4, ``XIV`` → 14: the value of a section numeral the code pattern accepted."""
    total = 0
    for i, char in enumerate(numeral):
        value = _ROMAN_DIGITS[char]
        following = _ROMAN_DIGITS[numeral[i + 1]] if i + 1 < len(numeral) else 0
        total += -value if value < following else value
    return total


def sort_key_for(code: str) -> str:
    """``II.1.10`` → ``002.001.010`` so that SQL ordering follows the plan's order."""
    head, *rest = code.split(".")
    return ".".join([f"{roman_value(head):03d}", *(f"{int(p):03d}" for p in rest)])


def split_code(code: str) -> tuple[str, int]:
    """The section and 1-based position a task code names (``II.2.3.7`` → ``II.2.3``, 7)."""
    section, _, position = code.rpartition(".")
    return section, int(position)


# --- plans ---------------------------------------------------------------------------------------


def get_plan(*, db_session: Session, code: str | None) -> Plan:
    """The named plan; with no name, the only plan there is (a ward normally runs one)."""
    if code is not None:
        plan = (
            None
            if contains_nul(code)
            else db_session.exec(select(Plan).where(Plan.code == code)).first()
        )
        if plan is None:
            raise NotFound(f"Không có kế hoạch mã “{code}”.", code="plan_not_found")
        return plan
    plans = db_session.exec(select(Plan).limit(2)).all()
    if len(plans) == 1:
        return plans[0]
    if not plans:
        raise NotFound("Chưa có kế hoạch nào được nạp.", code="plan_not_found")
    raise Invalid.one("plan", "plan_required", "Có nhiều kế hoạch: hãy ghi rõ mã kế hoạch (plan).")


def calendar_for(plan: Plan) -> ReportingCalendar:
    return ReportingCalendar.from_rules(plan.reporting, start=plan.reporting_start)


def validate_period(
    *, plan: Plan, period: str, today: date, field_name: str = "period", monthly: bool = False
) -> str:
    """The canonical form of a reporting period of the plan, or a 422 naming the field.

    ``monthly`` accepts a month in any year (tasks reported monthly, feeds, the monthly meeting).
    """
    try:
        return str(calendar_for(plan).validate(period, today=today, monthly=monthly))
    except PeriodError as exc:
        raise Invalid.one(field_name, "period_invalid", exc.message) from exc


def list_plans(*, db_session: Session) -> list[PlanRead]:
    plans = db_session.exec(select(Plan).order_by(col(Plan.issued_date), col(Plan.id))).all()
    return [plan_read(db_session=db_session, plan=p) for p in plans]


def plan_read(*, db_session: Session, plan: Plan) -> PlanRead:
    from app.kpis.models import Indicator

    codes = unit_service.codes_by_id(
        db_session=db_session, ids=[plan.issuer_unit_id, plan.coordinator_unit_id]
    )
    n_assign = db_session.exec(
        select(func.count()).select_from(Assignment).where(Assignment.plan_id == plan.id)
    ).one()
    n_ind = db_session.exec(
        select(func.count()).select_from(Indicator).where(Indicator.plan_id == plan.id)
    ).one()
    return PlanRead(
        code=plan.code,
        number=plan.number,
        title=plan.title,
        issued_date=plan.issued_date,
        issuer_unit=codes[plan.issuer_unit_id],
        coordinator_unit=codes[plan.coordinator_unit_id],
        signer_name=plan.signer_name,
        signer_title=plan.signer_title,
        basis=plan.basis,
        reporting=[ReportingRule.model_validate(r) for r in plan.reporting],
        reporting_start=plan.reporting_start,
        assignment_count=n_assign,
        indicator_count=n_ind,
    )


# --- areas ---------------------------------------------------------------------------------------


def list_areas(*, db_session: Session) -> list[AreaRead]:
    areas = db_session.exec(select(Area).order_by(col(Area.position))).all()
    return [AreaRead.model_validate(a) for a in areas]


def get_area(*, db_session: Session, code: str, field_name: str = "area") -> Area:
    area = (
        None
        if contains_nul(code)
        else db_session.exec(select(Area).where(Area.code == code)).first()
    )
    if area is None:
        raise NotFound(f"Không có lĩnh vực mã “{code}” ({field_name}).", code="area_not_found")
    return area


# --- assignments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentFilters:
    plan: str | None = None
    unit: str | None = None
    area: str | None = None
    scope: Scope | None = None
    cadence: str | None = None
    due_before: date | None = None
    active: bool | None = None


def get_assignment(*, db_session: Session, plan: Plan, code: str) -> Assignment:
    row = (
        None
        if contains_nul(code)
        else db_session.exec(
            select(Assignment).where(Assignment.plan_id == plan.id, Assignment.code == code)
        ).first()
    )
    if row is None:
        raise NotFound(
            f"Không có nhiệm vụ mã “{code}” trong Kế hoạch {plan.number}.",
            code="assignment_not_found",
        )
    return row


def coordinator_ids(*, db_session: Session, assignment_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = list(assignment_ids)
    out: dict[int, list[int]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = db_session.exec(
        select(AssignmentCoordinator).where(col(AssignmentCoordinator.assignment_id).in_(ids))
    ).all()
    for r in rows:
        out[r.assignment_id].append(r.unit_id)
    return out


def applies_to(*, db_session: Session, assignment: Assignment, unit: Unit) -> bool:
    """Whether a unit must report on this task: every unit for all-units tasks, else lead or
    coordinating units."""
    if assignment.scope == Scope.ALL_UNITS:
        return True
    if assignment.lead_unit_id == unit.id:
        return True
    assert assignment.id is not None
    return (
        unit.id
        in coordinator_ids(db_session=db_session, assignment_ids=[assignment.id])[assignment.id]
    )


def list_assignments(
    *, db_session: Session, filters: AssignmentFilters, limit: int, offset: int
) -> tuple[list[AssignmentRead], int]:
    plan = get_plan(db_session=db_session, code=filters.plan)
    query = select(Assignment).where(Assignment.plan_id == plan.id)
    if filters.unit is not None:
        unit = unit_service.get_by_code(db_session=db_session, code=filters.unit)
        coordinated = select(AssignmentCoordinator.assignment_id).where(
            AssignmentCoordinator.unit_id == unit.id
        )
        query = query.where(
            or_(
                col(Assignment.scope) == Scope.ALL_UNITS,
                col(Assignment.lead_unit_id) == unit.id,
                col(Assignment.id).in_(coordinated),
            )
        )
    if filters.area is not None:
        query = query.where(
            Assignment.area_id == get_area(db_session=db_session, code=filters.area).id
        )
    if filters.scope is not None:
        query = query.where(Assignment.scope == filters.scope)
    if filters.cadence is not None:
        query = query.where(Assignment.cadence == filters.cadence)
    if filters.due_before is not None:
        query = query.where(col(Assignment.due_date).is_not(None))
        query = query.where(col(Assignment.due_date) <= filters.due_before)
    if filters.active is not None:
        query = query.where(Assignment.active == filters.active)
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(
        query.order_by(col(Assignment.sort_key), col(Assignment.id)).limit(limit).offset(offset)
    ).all()
    return assignment_reads(db_session=db_session, plan=plan, rows=rows), total


def assignment_reads(
    *, db_session: Session, plan: Plan, rows: Sequence[Assignment]
) -> list[AssignmentRead]:
    coords = coordinator_ids(db_session=db_session, assignment_ids=[r.id for r in rows if r.id])
    unit_ids = {r.lead_unit_id for r in rows if r.lead_unit_id} | {
        u for ids in coords.values() for u in ids
    }
    units = unit_service.codes_by_id(db_session=db_session, ids=unit_ids)
    areas = {a.id: a.code for a in db_session.exec(select(Area)).all()}
    out = []
    for r in rows:
        assert r.id is not None
        out.append(
            AssignmentRead(
                code=r.code,
                plan=plan.code,
                section=r.section,
                position=r.position,
                text=r.text,
                area=areas[r.area_id],
                scope=r.scope,
                lead_unit=units[r.lead_unit_id] if r.lead_unit_id else None,
                coordinating_units=sorted(units[u] for u in coords[r.id]),
                coordinators_report=r.coordinators_report,
                cadence=r.cadence,
                due_date=r.due_date,
                expected_product=r.expected_product,
                footnotes=[Footnote(marker=m, text=plan.footnotes.get(m, "")) for m in r.footnotes],
                active=r.active,
                version=r.version,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
        )
    return out


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


def check_version(*, current: int, expected: int | None, what: str) -> None:
    """Refuse an update made from a stale copy: no silent overwrite of someone else's change."""
    if expected is not None and expected != current:
        raise Conflict(
            f"{what} đã được người khác sửa (phiên bản hiện tại {current}, bạn gửi {expected}). "
            "Hãy tải lại để xem thay đổi rồi nhập lại.",
            code="stale_version",
            errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
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
    seen = row.version
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
    row.version = _claim_version(db_session=db_session, row=row, seen=seen, code=code)
    row.updated_at = clock.now()
    db_session.add(row)
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


def _claim_version(*, db_session: Session, row: Assignment, seen: int, code: str) -> int:
    """Move the task from version ``seen`` to the next in the database, or 409.

    Comparing versions in Python cannot see another request that read the same version and is
    saving at the same moment; this compare-and-set can, on SQLite as on PostgreSQL.
    """
    claimed = db_session.exec(
        update(Assignment)
        .where(col(Assignment.id) == row.id, col(Assignment.version) == seen)
        .values(version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db_session.rollback()
        raise Conflict(
            f"Nhiệm vụ {code} vừa được người khác sửa. Hãy tải lại để xem thay đổi rồi nhập lại.",
            code="stale_version",
            errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
        )
    return seen + 1


def delete_assignment(
    *,
    db_session: Session,
    actor: Actor,
    plan_code: str | None,
    code: str,
    clock: Clock | None = None,
) -> None:
    authorize(actor, Permission.PLAN_WRITE)
    from app.kpis.models import Indicator
    from app.progress.models import ProgressUpdate

    plan = get_plan(db_session=db_session, code=plan_code)
    row = get_assignment(db_session=db_session, plan=plan, code=code)
    for model, label in ((ProgressUpdate, "báo cáo tiến độ"), (Indicator, "chỉ tiêu")):
        n = db_session.exec(
            select(func.count()).select_from(model).where(model.assignment_id == row.id)
        ).one()
        if n:
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


# --- reporting settings --------------------------------------------------------------------------

#: Period lengths a due-date rule exists for, and the days a rule may name: the 28th is the last
#: day every month has, so a rule never names a day some month lacks.
DUE_DAY_KEYS = ("month", "quarter")
MAX_DUE_DAY = 28


def update_due_days(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan_code: str | None,
    due_days: dict[str, int],
) -> dict[str, int]:
    """Change the day of the next month a report is due, per period length; audited as "plan"
    because the rule lives on the plan row and decides every unit's on-time status."""
    authorize(actor, Permission.PLAN_WRITE)
    plan = get_plan(db_session=db_session, code=plan_code)
    errors = [
        FieldError(key, "out_of_range", f"Ngày hạn phải từ 1 đến {MAX_DUE_DAY}.")
        for key in DUE_DAY_KEYS
        if not isinstance(due_days.get(key), int) or not 1 <= due_days[key] <= MAX_DUE_DAY
    ]
    unknown = sorted(set(due_days) - set(DUE_DAY_KEYS))
    errors += [FieldError(k, "unknown", "Loại kỳ báo cáo không có.") for k in unknown]
    if errors:
        raise Invalid(errors, message=errors[0].message)
    before = {"due_days": dict(plan.due_days or {})}
    plan.due_days = {key: due_days[key] for key in DUE_DAY_KEYS}
    plan.updated_at = clock.now()
    db_session.add(plan)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="plan",
        key=plan.code,
        before=before,
        after={"due_days": dict(plan.due_days)},
        clock=clock,
    )
    db_session.commit()
    return dict(plan.due_days)
