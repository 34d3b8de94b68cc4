"""The plan as it stands: which plan a request means, its reporting calendar and due days, its PAR
areas, and its tasks (assignments): lookups, lists, and which units must report on each.

Changing the tasks is in ``app/plans/task_edits.py``; their codes in ``app/plans/codes.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import event, func, or_
from sqlmodel import Session, col, select

from app import found, tenancy
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import FieldError, Invalid, NotFound
from app.pagination import page_total
from app.periods import PeriodError, ReportingCalendar
from app.permissions import Permission, authorize
from app.plans.models import (
    Area,
    AreaRead,
    Assignment,
    AssignmentCoordinator,
    AssignmentRead,
    Footnote,
    Plan,
    PlanRead,
    ReportingRule,
    Scope,
)
from app.references import count_references
from app.units import service as unit_service
from app.units.models import Unit, contains_nul

# --- plans ---------------------------------------------------------------------------------------


def get_plan(*, db_session: Session, code: str | None) -> Plan:
    """The named plan of the request's ward; with no name, the one the user chose (``?plan=``,
    then the remembered choice), else the ward's current plan (``current_plan``).

    Outside any ward (the CLI, a test's bare session) an unnamed plan is the only one there is.
    Inside a ward, found once per session (``app/found.py``) until a plan is written in it.
    """
    scope = tenancy.scope_of(db_session)
    if scope is None:
        return _resolve_plan(db_session, code, scope)
    seen = found.memo(db_session, "plan")
    plan = seen.get((scope, code))
    if plan is None or not found.held(db_session, plan):
        plan = seen[(scope, code)] = _resolve_plan(db_session, code, scope)
    return plan


@event.listens_for(Session, "after_flush")
def _forget_plans(session: Session, _context: object) -> None:
    """A plan added, changed or deleted may change which plan a request means."""
    if any(isinstance(row, Plan) for row in (*session.new, *session.dirty, *session.deleted)):
        found.forget(session, "plan")


def _resolve_plan(db_session: Session, code: str | None, scope: tenancy.Scope | None) -> Plan:
    if code is None and scope is not None:
        code = scope.plan_code
        if code is None and scope.remembered_plan is not None:
            remembered = _find_plan(db_session, scope.remembered_plan)
            if remembered is not None:
                return remembered
    if code is not None:
        plan = _find_plan(db_session, code)
        if plan is None:
            raise NotFound(f"Không có kế hoạch mã “{code}”.", code="plan_not_found")
        return plan
    if scope is not None and scope.ward_id in (None, tenancy.NO_WARD):
        raise Invalid.one(
            "ward", "ward_required", "Hãy chọn phường, xã (ward) trước khi xem kế hoạch."
        )
    if scope is not None:
        return current_plan(db_session=db_session, today=scope.today)
    plans = db_session.exec(select(Plan).limit(2)).all()
    if len(plans) == 1:
        return plans[0]
    if not plans:
        raise NotFound("Chưa có kế hoạch nào được nạp.", code="plan_not_found")
    raise Invalid.one("plan", "plan_required", "Có nhiều kế hoạch: hãy ghi rõ mã kế hoạch (plan).")


def _find_plan(db_session: Session, code: str) -> Plan | None:
    if contains_nul(code):
        return None
    return db_session.exec(select(Plan).where(Plan.code == code)).first()


def current_plan(*, db_session: Session, today: date | None) -> Plan:
    """The ward's plan for this year: the latest issued whose years include today's; else the
    latest issued (a plan for next year issued in December waits until January)."""
    plans = db_session.exec(select(Plan)).all()
    chosen = pick_current(plans, today)
    if chosen is None:
        raise NotFound("Phường, xã này chưa có kế hoạch nào.", code="plan_not_found")
    return chosen


def pick_current(plans: Sequence[Plan], today: date | None) -> Plan | None:
    """Of one ward's plans, the current one (the rule of ``current_plan``), without a query."""
    ordered = sorted(plans, key=lambda p: p.issued_date, reverse=True)
    year = today.year if today is not None else None
    for plan in ordered:
        if year is not None and plan.first_year <= year <= plan.last_year:
            return plan
    return ordered[0] if ordered else None


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
    codes = unit_service.codes_by_id(
        db_session=db_session, ids=[plan.issuer_unit_id, plan.coordinator_unit_id]
    )
    n_assign = db_session.exec(
        select(func.count()).select_from(Assignment).where(Assignment.plan_id == plan.id)
    ).one()
    n_ind = count_references(
        db_session=db_session, table="plan", row_id=plan.id, only={"indicator"}
    ).get("indicator", 0)
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
        first_year=plan.first_year,
        last_year=plan.last_year,
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
    rows = db_session.exec(
        query.order_by(col(Assignment.sort_key), col(Assignment.id)).limit(limit).offset(offset)
    ).all()
    total = page_total(db_session, query, len(rows), limit=limit, offset=offset)
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


def expected_units(*, db_session: Session, plan: Plan) -> list[Unit]:
    """The units that owe reports: the active units below the plan's issuing committee."""
    units = list(db_session.exec(select(Unit).order_by(col(Unit.code))))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    found: list[Unit] = []
    stack = list(children.get(plan.issuer_unit_id, []))
    while stack:
        unit = stack.pop()
        if unit.active:
            found.append(unit)
        stack.extend(children.get(unit.id, []))
    return sorted(found, key=lambda u: u.code)
