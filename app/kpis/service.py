"""TTHC domains, indicators (targets) and the readings units report against them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import Select

from app.accounts.permissions import Permission, authorize, authorize_read
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Invalid, NotFound
from app.kpis.models import (
    Disaggregation,
    Domain,
    DomainCreate,
    DomainRead,
    Indicator,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
    Measure,
    Reading,
    ReadingRead,
    ReadingSource,
    ReadingWrite,
)
from app.periods import Period
from app.plans import service as plan_service
from app.plans.models import Area, Assignment, Plan
from app.reporting import service as reporting_service
from app.units import service as unit_service
from app.units.models import Unit

# --- optimistic concurrency, shared with progress updates -----------------------------------------


def insert_or_conflict(
    *,
    db_session: Session,
    row: SQLModel,
    message: str,
    before_commit: Callable[[], object] | None = None,
) -> None:
    """Insert a row keyed by a natural key; someone else inserting it first is a 409, not a 500.

    Looking the key up first cannot see a row another request is creating at the same moment; the
    unique index does, and this turns its refusal into the answer a stale version gets.
    """
    db_session.add(row)
    try:
        db_session.flush()
        if before_commit is not None:
            before_commit()  # the audit row, which needs the new row's id
        db_session.commit()
    except IntegrityError as exc:
        db_session.rollback()
        raise Conflict(
            message,
            code="already_exists",
            errors=[FieldError("version", "stale_version", "Đã có người khác vừa nhập.")],
        ) from exc


def claim_version(
    *, db_session: Session, model: type[SQLModel], row_id: int | None, seen: int, message: str
) -> int:
    """Move a row from version ``seen`` to the next one, or 409 if someone got there first.

    A compare-and-set in the database, because ``SELECT … FOR UPDATE`` locks nothing on SQLite:
    two requests that both read version 1 must not both write version 2.
    """
    table_id, table_version = model.id, model.version  # type: ignore[attr-defined]
    claimed = db_session.execute(
        update(model)
        .where(table_id == row_id, table_version == seen)
        .values(version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db_session.rollback()
        raise Conflict(
            message,
            code="stale_version",
            errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
        )
    return seen + 1


# --- domains -------------------------------------------------------------------------------------


def list_domains(*, db_session: Session, active: bool | None = None) -> list[DomainRead]:
    query = select(Domain)
    if active is not None:
        query = query.where(Domain.active == active)
    rows = db_session.exec(query.order_by(col(Domain.position), col(Domain.code))).all()
    return [DomainRead.model_validate(d) for d in rows]


def get_domain(*, db_session: Session, code: str) -> Domain:
    row = db_session.exec(select(Domain).where(Domain.code == code)).first()
    if row is None:
        raise NotFound(f"Không có lĩnh vực TTHC mã “{code}” (domain).", code="domain_not_found")
    return row


def create_domain(
    *, db_session: Session, actor: Actor, clock: Clock, data: DomainCreate
) -> DomainRead:
    authorize(actor, Permission.PLAN_WRITE)
    if db_session.exec(select(Domain.id).where(Domain.code == data.code)).first() is not None:
        raise Conflict(
            f"Lĩnh vực mã “{data.code}” đã có.",
            code="domain_exists",
            errors=[FieldError("code", "duplicate", "Mã lĩnh vực đã được dùng.")],
        )
    row = Domain(code=data.code, name=data.name, position=data.position, created_at=clock.now())
    db_session.add(row)
    db_session.flush()
    after = DomainRead.model_validate(row)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="domain",
        key=row.code,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


# --- indicators ----------------------------------------------------------------------------------


def get_indicator(*, db_session: Session, plan: Plan, code: str) -> Indicator:
    row = db_session.exec(
        select(Indicator).where(Indicator.plan_id == plan.id, Indicator.code == code)
    ).first()
    if row is None:
        raise NotFound(f"Không có chỉ tiêu mã “{code}” (indicator).", code="indicator_not_found")
    return row


def indicator_reads(
    *, db_session: Session, plan: Plan, rows: Sequence[Indicator]
) -> list[IndicatorRead]:
    areas = {a.id: a.code for a in db_session.exec(select(Area)).all()}
    units = unit_service.codes_by_id(
        db_session=db_session, ids=[r.responsible_unit_id for r in rows]
    )
    assignment_ids = {r.assignment_id for r in rows if r.assignment_id}
    assignments = (
        dict(
            db_session.exec(
                select(Assignment.id, Assignment.code).where(col(Assignment.id).in_(assignment_ids))
            ).all()
        )
        if assignment_ids
        else {}
    )
    return [
        IndicatorRead(
            code=r.code,
            plan=plan.code,
            name=r.name,
            description=r.description,
            area=areas[r.area_id],
            measure=r.measure,
            comparator=r.comparator,
            target=r.target,
            due_date=r.due_date,
            responsible_unit=units.get(r.responsible_unit_id) if r.responsible_unit_id else None,
            disaggregation=r.disaggregation,
            source_section=r.source_section,
            assignment=assignments.get(r.assignment_id) if r.assignment_id else None,
            active=r.active,
            version=r.version,
        )
        for r in rows
    ]


def list_indicators(
    *,
    db_session: Session,
    plan_code: str | None,
    area: str | None,
    unit: str | None,
    limit: int,
    offset: int,
) -> tuple[list[IndicatorRead], int]:
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    query = select(Indicator).where(Indicator.plan_id == plan.id)
    if area is not None:
        query = query.where(
            Indicator.area_id == plan_service.get_area(db_session=db_session, code=area).id
        )
    if unit is not None:
        query = query.where(
            Indicator.responsible_unit_id
            == unit_service.get_by_code(db_session=db_session, code=unit).id
        )
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(query.order_by(col(Indicator.id)).limit(limit).offset(offset)).all()
    return indicator_reads(db_session=db_session, plan=plan, rows=rows), total


def _apply_indicator_refs(
    *, db_session: Session, plan: Plan, row: Indicator, changes: dict[str, object]
) -> None:
    if "area" in changes:
        area = plan_service.get_area(db_session=db_session, code=str(changes.pop("area")))
        assert area.id is not None
        row.area_id = area.id
    if "responsible_unit" in changes:
        code = changes.pop("responsible_unit")
        row.responsible_unit_id = (
            unit_service.get_by_code(
                db_session=db_session, code=str(code), field_name="responsible_unit"
            ).id
            if code
            else None
        )
    if "assignment" in changes:
        code = changes.pop("assignment")
        row.assignment_id = (
            plan_service.get_assignment(db_session=db_session, plan=plan, code=str(code)).id
            if code
            else None
        )


def create_indicator(
    *, db_session: Session, actor: Actor, clock: Clock, data: IndicatorCreate
) -> IndicatorRead:
    authorize(actor, Permission.PLAN_WRITE)
    plan = plan_service.get_plan(db_session=db_session, code=data.plan)
    exists = db_session.exec(
        select(Indicator.id).where(Indicator.plan_id == plan.id, Indicator.code == data.code)
    ).first()
    if exists is not None:
        raise Conflict(
            f"Chỉ tiêu mã “{data.code}” đã có.",
            code="indicator_exists",
            errors=[FieldError("code", "duplicate", "Mã chỉ tiêu đã được dùng.")],
        )
    now = clock.now()
    assert plan.id is not None
    row = Indicator(
        plan_id=plan.id,
        code=data.code,
        name=data.name,
        description=data.description,
        area_id=0,
        measure=data.measure,
        comparator=data.comparator,
        target=data.target,
        due_date=data.due_date,
        disaggregation=data.disaggregation,
        source_section=data.source_section,
        active=data.active,
        created_at=now,
        updated_at=now,
    )
    changes: dict[str, object] = {"area": data.area}
    if data.responsible_unit:
        changes["responsible_unit"] = data.responsible_unit
    if data.assignment:
        changes["assignment"] = data.assignment
    _apply_indicator_refs(db_session=db_session, plan=plan, row=row, changes=changes)
    _check_target(row)
    db_session.add(row)
    db_session.flush()
    after = indicator_reads(db_session=db_session, plan=plan, rows=[row])[0]
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="indicator",
        key=f"{plan.code}/{row.code}",
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def _check_target(row: Indicator) -> None:
    if row.measure == Measure.PERCENT and not 0 <= row.target <= 100:
        raise Invalid.one("target", "out_of_range", "Chỉ tiêu phần trăm phải từ 0 đến 100.")
    if row.target < 0:
        raise Invalid.one("target", "negative", "Chỉ tiêu không được âm.")


def update_indicator(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan_code: str | None,
    code: str,
    data: IndicatorUpdate,
) -> IndicatorRead:
    authorize(actor, Permission.PLAN_WRITE)
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    row = get_indicator(db_session=db_session, plan=plan, code=code)
    plan_service.check_version(current=row.version, expected=data.version, what=f"Chỉ tiêu {code}")
    before = indicator_reads(db_session=db_session, plan=plan, rows=[row])[0]
    changes: dict[str, object] = data.model_dump(exclude_unset=True, exclude={"version"})
    if "disaggregation" in changes and changes["disaggregation"] != row.disaggregation:
        n = db_session.exec(
            select(func.count()).select_from(Reading).where(Reading.indicator_id == row.id)
        ).one()
        if n:
            raise Conflict(
                f"Không đổi cách chia số liệu của chỉ tiêu {code}: đã có {n} số liệu được nhập.",
                code="indicator_in_use",
            )
    _apply_indicator_refs(db_session=db_session, plan=plan, row=row, changes=changes)
    for name, value in changes.items():
        if value is None and name not in {"due_date"}:
            raise Invalid.one(name, "required", "Không được để trống.")
        setattr(row, name, value)
    _check_target(row)
    row.version += 1
    row.updated_at = clock.now()
    db_session.add(row)
    db_session.flush()
    after = indicator_reads(db_session=db_session, plan=plan, rows=[row])[0]
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="indicator",
        key=f"{plan.code}/{row.code}",
        before=before,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


# --- readings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingFilters:
    indicator: str | None = None
    unit: str | None = None
    period: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    domain: str | None = None
    plan: str | None = None


def _reading_query() -> Select[tuple[Reading, str, str, str | None]]:
    return (
        select(Reading, Indicator.code, Unit.code, Domain.code)
        .join(Indicator, col(Indicator.id) == Reading.indicator_id)
        .join(Unit, col(Unit.id) == Reading.unit_id)
        .outerjoin(Domain, col(Domain.id) == Reading.domain_id)
    )


def _to_read(row: Reading, indicator: str, unit: str, domain: str | None) -> ReadingRead:
    assert row.id is not None
    return ReadingRead(
        id=row.id,
        indicator=indicator,
        unit=unit,
        period=row.period,
        domain=domain,
        value=row.value,
        numerator=row.numerator,
        denominator=row.denominator,
        note=row.note,
        evidence_url=row.evidence_url,
        source=row.source,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def parse_filter_period(text: str, field_name: str) -> Period:
    from app.periods import PeriodError

    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise Invalid.one(field_name, "period_invalid", exc.message) from exc


def list_readings(
    *, db_session: Session, actor: Actor, filters: ReadingFilters, limit: int, offset: int
) -> tuple[list[ReadingRead], int]:
    """Readings matching the filters; a reporter sees its own unit's only (403 for another)."""
    filters = replace(filters, unit=authorize_read(actor, filters.unit))
    plan = plan_service.get_plan(db_session=db_session, code=filters.plan)
    query = _reading_query().where(Indicator.plan_id == plan.id)
    if filters.indicator:
        query = query.where(
            Reading.indicator_id
            == get_indicator(db_session=db_session, plan=plan, code=filters.indicator).id
        )
    if filters.unit:
        query = query.where(
            Reading.unit_id == unit_service.get_by_code(db_session=db_session, code=filters.unit).id
        )
    if filters.domain:
        query = query.where(
            Reading.domain_id == get_domain(db_session=db_session, code=filters.domain).id
        )
    if filters.period:
        query = query.where(Reading.period == str(parse_filter_period(filters.period, "period")))
    if filters.period_from:
        start = parse_filter_period(filters.period_from, "period_from").start_date
        query = query.where(col(Reading.period_start) >= start)
    if filters.period_to:
        end = parse_filter_period(filters.period_to, "period_to").end_date
        query = query.where(col(Reading.period_end) <= end)
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(
        query.order_by(
            col(Reading.period_start),
            col(Indicator.code),
            col(Unit.code),
            col(Domain.code),
            col(Reading.id),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return [_to_read(*r) for r in rows], total


def _resolve_value(*, indicator: Indicator, data: ReadingWrite) -> float:
    """The value to store: given directly, or computed from numerator and denominator."""
    errors: list[FieldError] = []
    has_parts = data.numerator is not None or data.denominator is not None
    if has_parts:
        if data.numerator is None or data.denominator is None:
            missing = "numerator" if data.numerator is None else "denominator"
            raise Invalid.one(missing, "required", "Cần nhập cả tử số và mẫu số.")
        if indicator.measure != Measure.PERCENT:
            raise Invalid.one(
                "numerator", "not_a_rate", "Chỉ nhập tử số/mẫu số cho chỉ tiêu tính theo tỷ lệ %."
            )
        if data.denominator == 0:
            raise Invalid.one("denominator", "zero_denominator", "Mẫu số phải lớn hơn 0.")
        if data.numerator > data.denominator:
            raise Invalid.one(
                "numerator",
                "numerator_above_denominator",
                f"Tử số ({data.numerator:g}) không được lớn hơn mẫu số ({data.denominator:g}).",
            )
        computed = data.numerator / data.denominator * 100
        if data.value is not None and abs(data.value - computed) > 0.01:
            raise Invalid.one(
                "value",
                "value_mismatch",
                f"Giá trị {data.value:g} không khớp với tử số/mẫu số ({computed:.2f}). "
                "Hãy bỏ trống giá trị để hệ thống tự tính.",
            )
        return computed
    if data.value is None:
        errors.append(FieldError("value", "required", "Nhập giá trị, hoặc tử số và mẫu số."))
        raise Invalid(errors, message=errors[0].message)
    if data.value < 0:
        raise Invalid.one("value", "negative", "Giá trị không được âm.")
    if indicator.measure == Measure.PERCENT and data.value > 100:
        raise Invalid.one("value", "out_of_range", "Tỷ lệ phải từ 0 đến 100%.")
    return data.value


@dataclass(frozen=True)
class UpsertResult:
    reading: ReadingRead
    created: bool
    changed: bool


def upsert_reading(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    data: ReadingWrite,
    source: ReadingSource = ReadingSource.API,
) -> UpsertResult:
    """Create or update the reading at its natural key, refusing stale versions (409)."""
    authorize(actor, Permission.DATA_WRITE, unit_code=data.unit)
    plan = plan_service.get_plan(db_session=db_session, code=data.plan)
    indicator = get_indicator(db_session=db_session, plan=plan, code=data.indicator)
    unit = unit_service.get_by_code(db_session=db_session, code=data.unit)
    domain = get_domain(db_session=db_session, code=data.domain) if data.domain else None
    if not unit.active:
        raise Invalid.one("unit", "unit_inactive", f"Đơn vị “{unit.code}” đã ngừng hoạt động.")
    if not indicator.active:
        raise Invalid.one(
            "indicator", "indicator_inactive", f"Chỉ tiêu “{indicator.code}” đã ngừng theo dõi."
        )
    period = plan_service.validate_period(plan=plan, period=data.period, today=clock.today())
    reporting_service.ensure_open(db_session=db_session, plan=plan, unit=unit, period=period)
    if indicator.disaggregation == Disaggregation.DOMAIN and domain is None:
        raise Invalid.one(
            "domain",
            "domain_required",
            f"Chỉ tiêu “{indicator.code}” được theo dõi theo từng lĩnh vực: hãy ghi lĩnh vực.",
        )
    if indicator.disaggregation == Disaggregation.NONE and domain is not None:
        raise Invalid.one(
            "domain",
            "domain_not_allowed",
            f"Chỉ tiêu “{indicator.code}” không chia theo lĩnh vực: bỏ trống lĩnh vực.",
        )
    value = _resolve_value(indicator=indicator, data=data)
    domain_clause = (
        col(Reading.domain_id) == domain.id if domain else col(Reading.domain_id).is_(None)
    )
    query = select(Reading).where(
        Reading.indicator_id == indicator.id,
        Reading.unit_id == unit.id,
        Reading.period == period,
        domain_clause,
    )
    existing = db_session.exec(query.with_for_update()).first()
    fields = {
        "value": value,
        "numerator": data.numerator,
        "denominator": data.denominator,
        "note": data.note,
        "evidence_url": str(data.evidence_url) if data.evidence_url else "",
    }
    now = clock.now()
    codes = (indicator.code, unit.code, domain.code if domain else None)
    if existing is None:
        if data.version not in (None, 0):
            raise Conflict(
                "Số liệu này đã bị xóa hoặc chưa từng có; hãy tải lại trước khi sửa.",
                code="stale_version",
                errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
            )
        p = Period.parse(period)
        assert indicator.id is not None and unit.id is not None
        row = Reading(
            indicator_id=indicator.id,
            unit_id=unit.id,
            period=period,
            period_start=p.start_date,
            period_end=p.end_date,
            domain_id=domain.id if domain else None,
            source=source,
            created_at=now,
            updated_at=now,
            **fields,  # type: ignore[arg-type]
        )
        insert_or_conflict(
            db_session=db_session,
            row=row,
            message=f"Số liệu {indicator.code} / {unit.code} / {period} vừa được người khác nhập; "
            "hãy tải lại để xem trước khi sửa.",
            before_commit=lambda: _audit_reading(
                db_session, actor, clock, AuditAction.CREATE, None, _to_read(row, *codes)
            ),
        )
        return UpsertResult(_to_read(row, *codes), created=True, changed=True)
    if data.version == 0:
        raise Conflict(
            f"Đã có số liệu cho {indicator.code} / {unit.code} / {period} "
            f"(phiên bản {existing.version}); hãy tải lại để xem trước khi sửa.",
            code="already_exists",
            errors=[FieldError("version", "stale_version", "Số liệu đã có người nhập.")],
        )
    plan_service.check_version(current=existing.version, expected=data.version, what="Số liệu")
    if all(getattr(existing, k) == v for k, v in fields.items()):
        db_session.rollback()
        return UpsertResult(_to_read(existing, *codes), created=False, changed=False)
    before = _to_read(existing, *codes)
    existing.version = claim_version(
        db_session=db_session,
        model=Reading,
        row_id=existing.id,
        seen=existing.version,
        message=f"Số liệu {indicator.code} / {unit.code} / {period} vừa được người khác sửa; "
        "hãy tải lại để xem thay đổi rồi nhập lại.",
    )
    for k, v in fields.items():
        setattr(existing, k, v)
    existing.source = source
    existing.updated_at = now
    db_session.add(existing)
    after = _to_read(existing, *codes)
    _audit_reading(db_session, actor, clock, AuditAction.UPDATE, before, after)
    db_session.commit()
    return UpsertResult(after, created=False, changed=True)


def reading_key(read: ReadingRead) -> str:
    """The natural key as the audit trail names it: ``tthc_ontime/ttpvhcc/2025-10/ho-tich``."""
    return f"{read.indicator}/{read.unit}/{read.period}/{read.domain or '-'}"


def _audit_reading(
    db_session: Session,
    actor: Actor,
    clock: Clock | None,
    action: AuditAction,
    before: ReadingRead | None,
    after: ReadingRead | None,
) -> None:
    read = after or before
    assert read is not None
    audit.record(
        db_session=db_session,
        actor=actor,
        action=action,
        entity="reading",
        key=reading_key(read),
        before=before,
        after=after,
        clock=clock,
    )


def delete_reading(
    *, db_session: Session, actor: Actor, reading_id: int, clock: Clock | None = None
) -> None:
    found = db_session.exec(_reading_query().where(Reading.id == reading_id)).first()
    if found is None:
        raise NotFound(f"Không có số liệu số {reading_id}.", code="reading_not_found")
    row, *codes = found
    before = _to_read(row, *codes)
    authorize(actor, Permission.DATA_WRITE, unit_code=before.unit)
    indicator = db_session.get(Indicator, row.indicator_id)
    assert indicator is not None
    reporting_service.ensure_open(
        db_session=db_session,
        plan=db_session.get(Plan, indicator.plan_id),  # type: ignore[arg-type]
        unit=db_session.get(Unit, row.unit_id),  # type: ignore[arg-type]
        period=row.period,
    )
    db_session.delete(row)
    _audit_reading(db_session, actor, clock, AuditAction.DELETE, before, None)
    db_session.commit()
