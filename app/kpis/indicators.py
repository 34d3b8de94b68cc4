"""Indicators: the plan's targets (a comparator and a figure, per TTHC domain where disaggregated)
that units report readings against."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Invalid, NotFound
from app.kpis.models import (
    Disaggregation,
    Domain,
    Indicator,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
    Measure,
    Reading,
)
from app.pagination import page_total
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.plans.models import Area, Assignment, Plan
from app.units import service as unit_service
from app.versioning import check_version


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
            domain_targets=dict(r.domain_targets or {}),
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
    rows = db_session.exec(query.order_by(col(Indicator.id)).limit(limit).offset(offset)).all()
    total = page_total(db_session, query, len(rows), limit=limit, offset=offset)
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
    row.domain_targets = _domain_targets(
        db_session=db_session, row=row, targets=data.domain_targets or {}
    )
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


def _domain_targets(
    *, db_session: Session, row: Indicator, targets: dict[str, float]
) -> dict[str, float]:
    """Per-domain targets only make sense on a disaggregated indicator, for domains that exist."""
    if not targets:
        return {}
    if row.disaggregation != Disaggregation.DOMAIN:
        raise Invalid.one(
            "domain_targets",
            "not_disaggregated",
            "Chỉ đặt chỉ tiêu riêng theo lĩnh vực cho chỉ tiêu được chia theo lĩnh vực.",
        )
    known = set(db_session.exec(select(Domain.code).where(col(Domain.code).in_(list(targets)))))
    unknown = sorted(set(targets) - known)
    if unknown:
        raise Invalid.one(
            "domain_targets",
            "domain_not_found",
            f"Không có lĩnh vực mã {', '.join(f'“{c}”' for c in unknown)}.",
        )
    for code, target in targets.items():
        if target < 0 or (row.measure == Measure.PERCENT and target > 100):
            raise Invalid.one(
                f"domain_targets.{code}",
                "out_of_range",
                "Chỉ tiêu phần trăm phải từ 0 đến 100."
                if target >= 0
                else "Chỉ tiêu không được âm.",
            )
    return {code: float(targets[code]) for code in sorted(targets)}


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
    check_version(current=row.version, expected=data.version, what=f"Chỉ tiêu {code}")
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
    if changes.get("domain_targets") is not None:
        targets = changes.pop("domain_targets")
        assert isinstance(targets, dict)
        changes["domain_targets"] = _domain_targets(db_session=db_session, row=row, targets=targets)
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
