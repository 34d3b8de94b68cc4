"""Plans from templates: a ward's plan copied to another ward, or to the next year, then edited.

A copy is the source plan written out in the seed's own format (``plan84.json``: units, plan,
tasks, targets) and loaded by the same loader that loads Plan 84, so a copied plan and a seeded
one cannot drift apart. Units the target ward lacks are created from the source's tree; the
copy's deadlines move by as many years as the plan does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field as PydanticField
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import tenancy
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Invalid
from app.kpis.models import Domain, Indicator
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.plans.models import Area, Assignment, AssignmentCoordinator, Plan
from app.schemas import Code, NewCode, NonEmptyStr, ReadModel, StrictInput
from app.seed import service as seed_service
from app.units.models import Unit
from app.wards.models import Ward
from app.wards.scope import ward_by_code


class PlanCopy(StrictInput):
    code: NewCode = PydanticField(examples=["kh-cchc-2026"], description="The new plan's code.")
    number: NonEmptyStr = PydanticField(max_length=64, examples=["12/KH-UBND"])
    issued_date: date = PydanticField(examples=["2026-01-15"])
    first_year: int = PydanticField(ge=2000, le=2100, examples=[2026])
    last_year: int | None = PydanticField(default=None, ge=2000, le=2100, examples=[2026])
    title: NonEmptyStr | None = PydanticField(default=None, max_length=2000)
    ward: Code | None = PydanticField(
        default=None,
        examples=["binh-dong"],
        description="Copy into another ward (city administrators); the plan's own by default.",
    )
    with_targets: bool = PydanticField(
        default=True, description="Copy the quantitative targets (indicators) too."
    )


class PlanCopied(ReadModel):
    ward: str
    plan: str
    units_created: int
    tasks: int
    targets: int


def _shift(value: date | None, years: int) -> str | None:
    if value is None:
        return None
    try:
        return value.replace(year=value.year + years).isoformat()
    except ValueError:  # 29 February into a common year
        return value.replace(year=value.year + years, day=28).isoformat()


def _units(db_session: Session) -> tuple[list[dict[str, Any]], dict[int, str]]:
    rows = list(db_session.exec(select(Unit).order_by(col(Unit.id))))
    codes = {u.id or 0: u.code for u in rows}
    ordered: list[Unit] = []
    placed: set[int] = set()
    while len(ordered) < len(rows):  # parents before their children, as the loader expects
        for unit in rows:
            ready = unit.parent_id is None or unit.parent_id in placed
            if (unit.id or 0) not in placed and ready:
                ordered.append(unit)
                placed.add(unit.id or 0)
    units = [
        {
            "code": u.code,
            "name": u.name,
            "short_name": u.short_name,
            "kind": u.kind,
            "parent": codes.get(u.parent_id) if u.parent_id else None,
        }
        for u in ordered
    ]
    return units, codes


def _tasks(db_session: Session, plan: Plan, units: dict[int, str], years: int) -> list[Any]:
    tasks = list(
        db_session.exec(
            select(Assignment)
            .where(Assignment.plan_id == plan.id, col(Assignment.active))
            .order_by(col(Assignment.sort_key))
        )
    )
    helpers: dict[int, list[str]] = {}
    for link in db_session.exec(
        select(AssignmentCoordinator).where(
            col(AssignmentCoordinator.assignment_id).in_([t.id for t in tasks])
        )
    ):
        helpers.setdefault(link.assignment_id, []).append(units[link.unit_id])
    areas = {a.id: a.code for a in db_session.exec(select(Area))}
    return [
        {
            "code": t.code,
            "section": t.section,
            "position": t.position,
            "area": areas[t.area_id],
            "scope": t.scope,
            "lead_unit": units.get(t.lead_unit_id) if t.lead_unit_id else None,
            "coordinating_units": sorted(helpers.get(t.id or 0, [])),
            "cadence": t.cadence,
            "due_date": _shift(t.due_date, years),
            "expected_product": t.expected_product,
            "footnotes": list(t.footnotes),
            "text": t.text,
        }
        for t in tasks
    ]


def _targets(db_session: Session, plan: Plan, units: dict[int, str], years: int) -> list[Any]:
    areas = {a.id: a.code for a in db_session.exec(select(Area))}
    tasks = {
        a.id: a.code
        for a in db_session.exec(select(Assignment).where(Assignment.plan_id == plan.id))
    }
    indicators = db_session.exec(
        select(Indicator)
        .where(Indicator.plan_id == plan.id, col(Indicator.active))
        .order_by(col(Indicator.id))
    )
    return [
        {
            "code": i.code,
            "name": i.name,
            "area": areas[i.area_id],
            "measure": i.measure,
            "comparator": i.comparator,
            "target": i.target,
            "due_date": _shift(i.due_date, years),
            "responsible_unit": units.get(i.responsible_unit_id) if i.responsible_unit_id else None,
            "disaggregation": i.disaggregation,
            **({"domain_targets": dict(i.domain_targets)} if i.domain_targets else {}),
            "source_section": i.source_section,
            "assignment": tasks.get(i.assignment_id) if i.assignment_id else None,
            "description": i.description,
        }
        for i in indicators
    ]


def plan_as_data(db_session: Session, plan: Plan, *, years: int = 0) -> dict[str, Any]:
    """The plan of the session's ward in the seed's format (deadlines moved by ``years``)."""
    units, codes = _units(db_session)
    areas = [
        {
            "code": a.code,
            "position": a.position,
            "section": a.section,
            "name": a.name,
            "max_points": a.max_points,
        }
        for a in db_session.exec(select(Area).order_by(col(Area.position)))
    ]
    domains = [
        {"code": d.code, "name": d.name}
        for d in db_session.exec(select(Domain).order_by(col(Domain.position)))
    ]
    spec = {
        "code": plan.code,
        "number": plan.number,
        "title": plan.title,
        "issued_date": plan.issued_date.isoformat(),
        "issuer_unit": codes[plan.issuer_unit_id],
        "signer_name": plan.signer_name,
        "signer_title": plan.signer_title,
        "basis": plan.basis,
        "reporting": list(plan.reporting),
        "reporting_start": plan.reporting_start,
        "coordinator_unit": codes[plan.coordinator_unit_id],
        "first_year": plan.first_year,
        "last_year": plan.last_year,
    }
    return {
        "format": 1,
        "units": units,
        "areas": areas,
        "domains": domains,
        "plan": spec,
        "footnotes": dict(plan.footnotes),
        "assignments": _tasks(db_session, plan, codes, years),
        "indicators": _targets(db_session, plan, codes, years),
    }


def _first_period(reporting: list[dict[str, Any]], year: int) -> str:
    """The first reporting period of a year under the plan's rules (``2026-Q1``, ``2025-01``)."""
    cadence = "monthly"
    for rule in sorted(reporting, key=lambda r: int(r.get("from_year", 0))):
        if int(rule.get("from_year", 0)) <= year:
            cadence = str(rule.get("cadence", cadence))
    return f"{year}-Q1" if cadence == "quarterly" else f"{year}-01"


def copy_plan(
    *, db_session: Session, actor: Actor, clock: Clock, source: str, data: PlanCopy
) -> PlanCopied:
    """Copy a plan of the actor's ward to the next year, or (city admins) to another ward."""
    authorize(actor, Permission.PLAN_WRITE)
    plan = plan_service.get_plan(db_session=db_session, code=source)
    last_year = data.last_year or data.first_year
    if last_year < data.first_year:
        raise Invalid.one("last_year", "before_first", "Năm kết thúc phải từ năm bắt đầu trở đi.")
    here = tenancy.scope_of(db_session)
    target = ward_by_code(db_session, data.ward) if data.ward else None
    if target is not None and target.id != (here.ward_id if here else None):
        authorize(actor, Permission.WARDS_MANAGE)
    content = plan_as_data(db_session, plan, years=data.first_year - plan.first_year)
    ward = target or db_session.get(Ward, here.ward_id if here else None)
    if ward is None:
        raise Invalid.one("ward", "ward_required", "Hãy ghi rõ phường, xã nhận bản sao (ward).")
    ward_code = ward.code
    tenancy.enter(db_session, tenancy.Scope(ward_id=ward.id, today=clock.today()))
    try:
        return _load(db_session, actor, clock, plan, data, content, ward, last_year)
    except IntegrityError:
        # Another copy to the same code (or creating the same units) committed between our
        # check and our insert: the database's unique keys refused ours. Say why, never a 500.
        db_session.rollback()
        _refuse_taken(db_session, ward_code, data.code)
        raise Conflict(
            f"Phường, xã “{ward_code}” vừa được thay đổi cùng lúc; hãy thử sao chép lại.",
            code="concurrent_change",
        ) from None
    finally:
        if here is not None:
            tenancy.enter(db_session, here)


def _refuse_taken(db_session: Session, ward_code: str, code: str) -> None:
    """409 when the ward (the session's) already has a plan with that code."""
    if db_session.exec(select(Plan.id).where(Plan.code == code)).first() is not None:
        raise Conflict(
            f"Phường, xã “{ward_code}” đã có kế hoạch mã “{code}”.",
            code="plan_exists",
            errors=[FieldError("code", "duplicate", "Mã kế hoạch này đã được dùng.")],
        )


def _load(
    db_session: Session, actor: Actor, clock: Clock, plan: Plan, data: PlanCopy,
    content: dict[str, Any], ward: Ward, last_year: int,
) -> PlanCopied:  # fmt: skip
    _refuse_taken(db_session, ward.code, data.code)
    content["ward"] = {"code": ward.code, "name": ward.name, "city": ward.city}
    content["plan"].update(
        code=data.code,
        number=data.number,
        issued_date=data.issued_date.isoformat(),
        first_year=data.first_year,
        last_year=last_year,
        reporting_start=_first_period(content["plan"]["reporting"], data.first_year),
    )
    if data.title:
        content["plan"]["title"] = data.title
    if not data.with_targets:
        content["indicators"] = []
    report = seed_service.seed_plan(db_session=db_session, clock=clock, data=content, commit=False)
    copied = PlanCopied(
        ward=ward.code,
        plan=data.code,
        units_created=report.created.get("units", 0),
        tasks=len(content["assignments"]),
        targets=len(content["indicators"]),
    )
    audit.record(
        db_session=db_session,
        actor=actor.inside(ward.id, ward.code),
        action=AuditAction.CREATE,
        entity="plan",
        key=data.code,
        after={"copied_from": plan.code, **copied.model_dump()},
        clock=clock,
    )
    db_session.commit()
    return copied
