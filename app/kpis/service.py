"""TTHC domains, indicators (targets) and the readings units report against them."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import Integer, String, and_, bindparam, func, or_, true, update
from sqlalchemy import select as select_rows
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import Select

from app.accounts.permissions import Permission, authorize, authorize_read
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock, FixedClock
from app.db import insert_many, table_of
from app.errors import AppError, Conflict, FieldError, Invalid, NotFound
from app.formatting import format_number
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
    figures_differ,
    resolve_numbers,
)
from app.periods import Period
from app.plans import service as plan_service
from app.plans.models import Area, Assignment, Plan, TaskCadence
from app.reporting import service as reporting_service
from app.units import service as unit_service
from app.units.models import Unit

# --- optimistic concurrency, shared with progress updates -----------------------------------------


def claim_version(
    *,
    db_session: Session,
    model: type[SQLModel],
    row_id: int | None,
    seen: int,
    message: str,
    rollback: bool = True,
) -> int:
    """Move a row from version ``seen`` to the next one, or 409 if someone got there first.

    A compare-and-set in the database, because ``SELECT … FOR UPDATE`` locks nothing on SQLite:
    two requests that both read version 1 must not both write version 2.
    """
    columns = table_of(model).c
    claimed = db_session.exec(
        update(model)
        .where(columns.id == row_id, columns.version == seen)
        .values(version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        if rollback:  # a batch in progress is the caller's to roll back
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


def _reading_query() -> Select[Reading, str, str, str]:
    """Readings with their codes (the domain's code is None where the outer join found no
    domain: SQLAlchemy types a column by its own nullability, not by the join's)."""
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
        reported_value=row.reported_value,
        reported_numerator=row.reported_numerator,
        reported_denominator=row.reported_denominator,
        reported_note=row.reported_note,
        reported_source=row.reported_source,
        reported_at=row.reported_at,
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
                f"Tử số ({format_number(data.numerator)}) không được lớn hơn mẫu số "
                f"({format_number(data.denominator)}).",
            )
        computed = data.numerator / data.denominator * 100
        if data.value is not None and abs(data.value - computed) > 0.01:
            raise Invalid.one(
                "value",
                "value_mismatch",
                f"Giá trị {format_number(data.value)} không khớp với tử số/mẫu số "
                f"({format_number(computed, 2)}). "
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


class WriteAction(StrEnum):
    """What a validated write will do; ``UNCHANGED`` writes nothing at all (no audit row)."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


_MISSING: Any = object()
_T = TypeVar("_T")


@dataclass(frozen=True)
class ReadingContext:
    """The codes of a reading resolved to plain values, so checking a row reads no ORM state."""

    plan: Plan
    unit: Unit
    indicator: Indicator
    indicator_id: int
    indicator_code: str
    disaggregation: str
    unit_id: int
    unit_code: str
    domain_id: int | None
    codes: tuple[str, str, str | None]
    #: Months are accepted in quarterly years (an indicator of a monthly task).
    monthly: bool = False


def _is_monthly_assignment(*, db_session: Session, assignment_id: int) -> bool:
    cadence = db_session.exec(select(Assignment.cadence).where(Assignment.id == assignment_id))
    return cadence.first() == TaskCadence.MONTHLY


class Lookups:
    """Codes, periods and locks resolved once and remembered, for one write or a whole batch.

    A bulk import names the same plan, units and periods thousands of times; asking the database
    each time would cost more than the writes. A refusal is remembered too, and raised again as a
    fresh copy, so a row gets exactly the message a single write would get.
    """

    def __init__(self, *, db_session: Session, clock: Clock) -> None:
        self.db_session = db_session
        self.clock = clock
        # Values of many types, each key's kind always holding the type its loader returns.
        self._memo: dict[tuple[object, ...], Any] = {}

    def _hit(self, key: tuple[object, ...]) -> Any:
        """What a key holds when it holds a value (not a refusal): the hot path of an import,
        taken before the arguments of ``_cached`` are even built."""
        found = self._memo.get(key, _MISSING)
        return _MISSING if isinstance(found, AppError) else found

    def _cached(self, key: tuple[object, ...], load: Callable[..., _T], **kwargs: object) -> _T:
        found = self._memo.get(key, _MISSING)
        if found is _MISSING:
            try:
                found = load(**kwargs)
            except AppError as exc:
                found = exc
            self._memo[key] = found
        if isinstance(found, AppError):
            raise copy.copy(found)
        return found

    def prime(self) -> None:
        """Remember every unit and domain in two queries: a file names them thousands of times,
        and a bench file hundreds of distinct domains (codes not found still ask, once each)."""
        for unit in self.db_session.exec(select(Unit)):
            self._memo[("unit", unit.code)] = unit
        for domain in self.db_session.exec(select(Domain)):
            self._memo[("domain", domain.code)] = domain

    def plan(self, code: str | None) -> Plan:
        return self._cached(
            ("plan", code), plan_service.get_plan, db_session=self.db_session, code=code
        )

    def unit(self, code: str) -> Unit:
        return self._cached(
            ("unit", code), unit_service.get_by_code, db_session=self.db_session, code=code
        )

    def indicator(self, plan: Plan, code: str) -> Indicator:
        return self._cached(
            ("indicator", plan.id, code),
            get_indicator,
            db_session=self.db_session,
            plan=plan,
            code=code,
        )

    def domain(self, code: str) -> Domain:
        return self._cached(("domain", code), get_domain, db_session=self.db_session, code=code)

    def reading_context(
        self,
        actor: Actor,
        plan_code: str | None,
        indicator_code: str,
        unit_code: str,
        domain_code: str | None,
    ) -> ReadingContext:
        """Who may write, and what the codes of a reading name, checked once per combination
        in the single write's order (an import repeats each combination on many rows)."""
        # who counts only by role and unit: a dataclass in the key would be hashed per row
        key = (
            "reading",
            actor.role,
            actor.unit_code,
            plan_code,
            indicator_code,
            unit_code,
            domain_code,
        )
        if (found := self._hit(key)) is not _MISSING:
            return found
        return self._cached(
            key,
            self._reading_context,
            actor=actor,
            plan_code=plan_code,
            indicator_code=indicator_code,
            unit_code=unit_code,
            domain_code=domain_code,
        )

    def _reading_context(
        self,
        *,
        actor: Actor,
        plan_code: str | None,
        indicator_code: str,
        unit_code: str,
        domain_code: str | None,
    ) -> ReadingContext:
        plan, indicator, unit = self._cached(
            ("reading-base", actor.role, actor.unit_code, plan_code, indicator_code, unit_code),
            self._reading_base,
            actor=actor,
            plan_code=plan_code,
            indicator_code=indicator_code,
            unit_code=unit_code,
        )
        domain = self.domain(domain_code) if domain_code else None
        unit_service.ensure_active(unit)
        if not indicator.active:
            raise Invalid.one(
                "indicator",
                "indicator_inactive",
                f"Chỉ tiêu “{indicator.code}” đã ngừng theo dõi.",
            )
        assert indicator.id is not None and unit.id is not None
        return ReadingContext(
            plan=plan,
            unit=unit,
            indicator=indicator,
            indicator_id=indicator.id,
            indicator_code=indicator.code,
            disaggregation=indicator.disaggregation,
            unit_id=unit.id,
            unit_code=unit.code,
            domain_id=domain.id if domain else None,
            codes=(indicator.code, unit.code, domain.code if domain else None),
            monthly=self.monthly_indicator(indicator),
        )

    def _reading_base(
        self, *, actor: Actor, plan_code: str | None, indicator_code: str, unit_code: str
    ) -> tuple[Plan, Indicator, Unit]:
        """The part of a reading's context shared by all its domains (a file names each
        indicator and unit with every domain)."""
        authorize(actor, Permission.DATA_WRITE, unit_code=unit_code)
        plan = self.plan(plan_code)
        return plan, self.indicator(plan, indicator_code), self.unit(unit_code)

    def assignment(self, plan: Plan, code: str) -> Assignment:
        return self._cached(
            ("assignment", plan.id, code),
            plan_service.get_assignment,
            db_session=self.db_session,
            plan=plan,
            code=code,
        )

    def applies_to(self, assignment: Assignment, unit: Unit) -> bool:
        return bool(
            self._cached(
                ("applies", assignment.id, unit.id),
                plan_service.applies_to,
                db_session=self.db_session,
                assignment=assignment,
                unit=unit,
            )
        )

    def monthly_indicator(self, indicator: Indicator) -> bool:
        """Whether the indicator follows a task the plan reports monthly (socio-economic targets):
        its readings are monthly in quarterly years too."""
        if indicator.assignment_id is None:
            return False
        return bool(
            self._cached(
                ("monthly", indicator.assignment_id),
                _is_monthly_assignment,
                db_session=self.db_session,
                assignment_id=indicator.assignment_id,
            )
        )

    def period(self, plan: Plan, text: str, *, monthly: bool = False) -> str:
        """``monthly``: a month is accepted in a quarterly year too (monthly tasks, readings)."""
        key = ("period", plan.id, text, monthly)
        if (found := self._hit(key)) is not _MISSING:
            return found
        return self._cached(
            key,
            plan_service.validate_period,
            plan=plan,
            period=text,
            today=self.clock.today(),
            monthly=monthly,
        )

    def ensure_open(self, plan: Plan, unit: Unit, period: str, *, only_final: bool = False) -> None:
        key = ("open", plan.id, unit.id, period, only_final)
        if self._hit(key) is not _MISSING:
            return  # open, as found before
        self._cached(
            key,
            reporting_service.ensure_open,
            db_session=self.db_session,
            plan=plan,
            unit=unit,
            period=period,
            only_final=only_final,
        )


ReadingKey = tuple[int, int, str, int | None]


@dataclass
class PlannedReading:
    """A reading write that passed every rule, with the row it will create or change.

    ``reported``: a unit's figure for a key a feed covers, kept beside the computed value that
    still counts. ``takeover``: a computed value replacing the figure a unit had entered (which
    moves to the ``reported_*`` columns); the feed tells the unit when the two differ.
    """

    action: WriteAction
    key: ReadingKey
    codes: tuple[str, str, str | None]
    fields: dict[str, Any]  # column → value, as the row will hold them
    source: str
    existing: Reading | None
    message_prefix: str
    reported: bool = False
    takeover: bool = False

    @property
    def conflict(self) -> bool:
        """This write leaves both figures differing (one decimal) at a key a feed covers."""
        if self.existing is None or self.action == WriteAction.UNCHANGED:
            return False
        value = self.fields.get("value", self.existing.value)
        reported = self.fields.get("reported_value", self.existing.reported_value)
        return self.source == ReadingSource.COMPUTED and figures_differ(value, reported)


def _key_clause(keys: Sequence[ReadingKey], dialect: str = "sqlite") -> Any:
    """These keys, in a form each database answers by seeks in the unique indexes (callers keep
    the exact keys). SQLite gets a superset of ``IN`` lists (row-value ``IN`` makes it scan the
    whole index); PostgreSQL gets the exact row values (the superset makes its planner, before
    the table has statistics, walk every reading of the periods named: quadratic over an import)."""
    clauses = []
    for wanted, domain_ids in (
        ([k for k in keys if k[3] is not None], True),
        ([k for k in keys if k[3] is None], False),
    ):
        if not wanted:
            continue
        parts = [
            col(Reading.indicator_id).in_(sorted({k[0] for k in wanted})),
            col(Reading.unit_id).in_(sorted({k[1] for k in wanted})),
            col(Reading.period).in_(sorted({k[2] for k in wanted})),
        ]
        if domain_ids:
            parts.append(col(Reading.domain_id).in_(sorted({k[3] for k in wanted})))
        else:
            parts.append(col(Reading.domain_id).is_(None))
        clauses.append(and_(*parts))
    return or_(*clauses)


def _matching(
    keys: Sequence[ReadingKey],
    dialect: str,
    build: Callable[[Any], Any],
    *,
    lock: bool = False,
) -> list[Any]:
    """Statements for the readings at these keys: ``build(entity)`` is the select wanted.

    SQLite gets the ``IN``-list superset (callers keep the exact keys). PostgreSQL probes the
    unique index once per key: the keys go in as arrays (``unnest``) and each is looked up in a
    ``LATERAL … LIMIT 1``. ``IN`` or ``OR`` lists let its planner, before the table has
    statistics, walk every reading of an indicator, and a plain join may sort the whole table:
    either grows quadratic over an import.
    """
    if dialect != "postgresql":
        statement = build(Reading).where(_key_clause(keys))
        return [statement.with_for_update() if lock else statement]
    out = []
    for with_domain in (True, False):
        chosen = [k for k in keys if (k[3] is not None) == with_domain]
        if not chosen:
            continue
        names = ["indicator_id", "unit_id", "period"]
        types: list[Any] = [Integer, Integer, String]
        if with_domain:
            names.append("domain_id")
            types.append(Integer)
        arrays = [
            bindparam(None, [k[i] for k in chosen], type_=ARRAY(kind))
            for i, kind in enumerate(types)
        ]
        wanted = func.unnest(*arrays).table_valued(*names).render_derived()
        probe = select(Reading).where(*(getattr(Reading, n) == wanted.c[n] for n in names))
        if not with_domain:
            probe = probe.where(col(Reading.domain_id).is_(None))
        probe = probe.limit(1)
        if lock:
            probe = probe.with_for_update()
        found = probe.lateral()
        entity = aliased(Reading, found)
        out.append(build(entity).select_from(wanted).join(found, true()))
    return out


def _reading_ids(*, db_session: Session, keys: Sequence[ReadingKey]) -> dict[ReadingKey, int]:
    def build(r: Any) -> Any:
        return select_rows(r.id, r.indicator_id, r.unit_id, r.period, r.domain_id)

    dialect = db_session.get_bind().dialect.name
    rows = [r for q in _matching(keys, dialect, build) for r in db_session.execute(q).all()]
    wanted = set(keys)
    found = {(r[1], r[2], r[3], r[4]): r[0] for r in rows}
    return {k: v for k, v in found.items() if k in wanted}


def find_readings(
    *, db_session: Session, keys: Sequence[ReadingKey], lock: bool = True
) -> dict[ReadingKey, Reading]:
    """The stored readings at these natural keys, in one query (locked on PostgreSQL)."""
    if not keys:
        return {}
    if len(keys) == 1:  # one write: the exact key, as precise a lock as the database offers
        indicator_id, unit_id, period, domain_id = keys[0]
        domain_clause = (
            col(Reading.domain_id) == domain_id
            if domain_id is not None
            else col(Reading.domain_id).is_(None)
        )
        one = select(Reading).where(
            Reading.indicator_id == indicator_id,
            Reading.unit_id == unit_id,
            Reading.period == period,
            domain_clause,
        )
        row = db_session.exec(one.with_for_update() if lock else one).first()
        return {keys[0]: row} if row is not None else {}
    wanted = set(keys)
    found: dict[ReadingKey, Reading] = {}
    dialect = db_session.get_bind().dialect.name
    for statement in _matching(keys, dialect, select, lock=lock):
        for row in db_session.exec(statement):
            key = (row.indicator_id, row.unit_id, row.period, row.domain_id)
            if key in wanted:
                found[key] = row
    return found


@dataclass
class CheckedReading:
    """A reading write that passed every rule that does not depend on the stored row."""

    key: ReadingKey
    codes: tuple[str, str, str | None]
    fields: dict[str, object]
    source: str
    version: int | None
    label: str


def check_reading(
    *,
    lookups: Lookups,
    actor: Actor,
    data: ReadingWrite,
    source: ReadingSource = ReadingSource.API,
) -> CheckedReading:
    """The rules of a reading write that need no stored row: who, which codes, which period,
    whether it is open, and the value. A bulk import checks a chunk first, then fetches the
    stored rows of all the valid keys at once and ``decide_reading`` each."""
    ctx = lookups.reading_context(actor, data.plan, data.indicator, data.unit, data.domain)
    # In a quarterly year a month's figure stands beside the quarter's, each scored on its own:
    # feeds compute both (the committee meets monthly), and indicators of monthly tasks are
    # typed monthly. Other hand entries keep the quarter, so "2026-03" typed for "2026-Q1" is
    # refused with the hint rather than filed where the quarterly report never looks.
    monthly = source == ReadingSource.COMPUTED or ctx.monthly
    period = lookups.period(ctx.plan, data.period, monthly=monthly)
    # A computed figure is the feed's, not the unit's edit: it stops only at approval.
    lookups.ensure_open(ctx.plan, ctx.unit, period, only_final=source == ReadingSource.COMPUTED)
    if ctx.disaggregation == Disaggregation.DOMAIN and ctx.domain_id is None:
        raise Invalid.one(
            "domain",
            "domain_required",
            f"Chỉ tiêu “{ctx.indicator_code}” được theo dõi theo từng lĩnh vực: hãy ghi lĩnh vực.",
        )
    if ctx.disaggregation == Disaggregation.NONE and ctx.domain_id is not None:
        raise Invalid.one(
            "domain",
            "domain_not_allowed",
            f"Chỉ tiêu “{ctx.indicator_code}” không chia theo lĩnh vực: bỏ trống lĩnh vực.",
        )
    data = resolve_numbers(data, indicator=ctx.indicator)
    value = _resolve_value(indicator=ctx.indicator, data=data)
    return CheckedReading(
        key=(ctx.indicator_id, ctx.unit_id, period, ctx.domain_id),
        codes=ctx.codes,
        fields={
            "value": value,
            "numerator": data.numerator,
            "denominator": data.denominator,
            "note": data.note,
            "evidence_url": str(data.evidence_url) if data.evidence_url else "",
        },
        source=str(source),
        version=data.version,
        label=f"{ctx.indicator_code} / {ctx.unit_code} / {period}",
    )


def _as_reported(fields: Mapping[str, object], source: str) -> dict[str, object]:
    """A unit's figure as the ``reported_*`` columns hold it beside a computed value."""
    return {
        "reported_value": fields["value"],
        "reported_numerator": fields["numerator"],
        "reported_denominator": fields["denominator"],
        "reported_note": fields["note"],
        "reported_source": source,
    }


def decide_reading(checked: CheckedReading, existing: Reading | None) -> PlannedReading:
    """What a checked write does to the stored row: create, update, nothing, or 409.

    The rule between a feed and a unit (docs/api.md): once a feed covers a key, the computed
    value counts and stays in ``value``; the unit's figure, typed before or after, is kept in
    the ``reported_*`` columns. Neither write ever erases the other.
    """
    key, codes, fields, source, label = (
        checked.key,
        checked.codes,
        checked.fields,
        checked.source,
        checked.label,
    )
    if existing is None:
        if checked.version not in (None, 0):
            raise Conflict(
                "Số liệu này đã bị xóa hoặc chưa từng có; hãy tải lại trước khi sửa.",
                code="stale_version",
                errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
            )
        return PlannedReading(WriteAction.CREATE, key, codes, fields, source, None, label)
    computed = source == ReadingSource.COMPUTED
    if computed:
        fields = {**fields, "evidence_url": existing.evidence_url}  # the unit's link stays
        if existing.source != ReadingSource.COMPUTED:
            fields.update(_as_reported(_figures_of(existing), existing.source))
            fields["reported_at"] = existing.updated_at
            return PlannedReading(
                WriteAction.UPDATE, key, codes, fields, source, existing, label, takeover=True
            )
    echo = False
    if not computed and existing.source == ReadingSource.COMPUTED:
        # The computed figures sent back as exported (a re-imported export) are no unit figure.
        echo = existing.reported_source is None and _same_figures(fields, existing)
        fields = {**_as_reported(fields, source), "evidence_url": fields["evidence_url"]}
        source = ReadingSource.COMPUTED  # the computed value keeps counting
    if checked.version == 0:
        raise Conflict(
            f"Đã có số liệu cho {label} "
            f"(phiên bản {existing.version}); hãy tải lại để xem trước khi sửa.",
            code="already_exists",
            errors=[FieldError("version", "stale_version", "Số liệu đã có người nhập.")],
        )
    plan_service.check_version(current=existing.version, expected=checked.version, what="Số liệu")
    reported = not computed and existing.source == ReadingSource.COMPUTED
    action = (
        WriteAction.UNCHANGED
        if echo or all(getattr(existing, k) == v for k, v in fields.items())
        else WriteAction.UPDATE
    )
    return PlannedReading(action, key, codes, fields, source, existing, label, reported=reported)


def _same_figures(fields: Mapping[str, object], row: Reading) -> bool:
    """The same value, numerator and denominator; the value as an export writes it (eight
    decimals) still counts as the same."""
    if fields["numerator"] != row.numerator or fields["denominator"] != row.denominator:
        return False
    given, stored = fields["value"], row.value
    if not isinstance(given, int | float) or stored is None:
        return given is None and stored is None
    return math.isclose(given, stored, rel_tol=1e-9, abs_tol=1e-9)


def _figures_of(row: Reading) -> dict[str, object]:
    return {
        "value": row.value,
        "numerator": row.numerator,
        "denominator": row.denominator,
        "note": row.note,
    }


def plan_reading(
    *,
    lookups: Lookups,
    actor: Actor,
    data: ReadingWrite,
    source: ReadingSource = ReadingSource.API,
    existing: Reading | object | None = _MISSING,
) -> PlannedReading:
    """Every rule of a reading write, checked without writing; ``existing`` may be prefetched.

    The single write and the bulk import both go through ``check_reading`` and
    ``decide_reading``, so a row of a file is refused with exactly the message the form or
    ``PUT /readings`` would give.
    """
    checked = check_reading(lookups=lookups, actor=actor, data=data, source=source)
    if existing is _MISSING:
        existing = find_readings(db_session=lookups.db_session, keys=[checked.key]).get(checked.key)
    assert existing is None or isinstance(existing, Reading)
    return decide_reading(checked, existing)


def _snapshot(
    *, reading_id: int, codes: tuple[str, str, str | None], row: Mapping[str, Any], stamps: Any
) -> dict[str, Any]:
    """A reading as ``ReadingRead.model_dump(mode="json")`` would give it, built directly: an
    import makes one per row for the audit trail and cannot afford a model per row."""
    indicator, unit, domain = codes
    return {
        "id": reading_id,
        "indicator": indicator,
        "unit": unit,
        "period": row["period"],
        "domain": domain,
        "value": float(row["value"]),
        "numerator": None if row["numerator"] is None else float(row["numerator"]),
        "denominator": None if row["denominator"] is None else float(row["denominator"]),
        "note": row["note"],
        "evidence_url": row["evidence_url"],
        "source": str(row["source"]),
        "reported_value": None,
        "reported_numerator": None,
        "reported_denominator": None,
        "reported_note": None,
        "reported_source": None,
        "reported_at": None,
        "version": row["version"],
        "created_at": stamps(row["created_at"]),
        "updated_at": stamps(row["updated_at"]),
        "conflict": False,
    }


_JSON_MOMENT = TypeAdapter(datetime)


def _moment_json(value: datetime) -> str:
    return str(_JSON_MOMENT.dump_python(value, mode="json"))


def apply_readings(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    planned: Sequence[PlannedReading],
    results: bool = True,
    import_batch_id: int | None = None,
) -> list[UpsertResult]:
    """Write validated readings and their audit rows in the caller's transaction (no commit).

    New rows and audit rows go in through ``insert_many`` (the driver's bulk path), so a batch
    costs a few statements, not an ORM object per row. Someone else inserting the same key
    meanwhile surfaces as ``Conflict`` from the unique index; someone else updating it, from the
    version compare-and-set. Either way the caller rolls back. An import passes
    ``results=False`` (it reports counts, not rows) and its ``import_batch_id``: the rows it
    creates then name the batch, whose one audit event stands for their creation.
    """
    now = clock.now()
    stamp_of_now = _moment_json(now)

    def stamps(value: datetime) -> str:
        return stamp_of_now if value is now else _moment_json(value)

    out: list[UpsertResult] = []
    audits: list[dict[str, Any]] = []
    created: list[tuple[dict[str, Any], PlannedReading]] = []
    audit_of = partial(audit.row_values, actor=actor, clock=FixedClock(now), entity="reading")
    for item in planned:
        if item.action == WriteAction.UNCHANGED:
            assert item.existing is not None
            if results:
                out.append(UpsertResult(_to_read(item.existing, *item.codes), False, False))
            continue
        if item.action == WriteAction.CREATE:
            indicator_id, unit_id, period, domain_id = item.key
            p = Period.parse(period)
            values = {
                "indicator_id": indicator_id,
                "unit_id": unit_id,
                "period": period,
                "period_start": p.start_date,
                "period_end": p.end_date,
                "domain_id": domain_id,
                "source": str(item.source),
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "import_batch_id": import_batch_id,
                **item.fields,
            }
            created.append((values, item))
            continue
        existing = item.existing
        assert existing is not None
        before = _to_read(existing, *item.codes)
        existing.version = claim_version(
            db_session=db_session,
            model=Reading,
            row_id=existing.id,
            seen=existing.version,
            message=f"Số liệu {item.message_prefix} vừa được người khác sửa; "
            "hãy tải lại để xem thay đổi rồi nhập lại.",
            rollback=False,
        )
        for k, v in item.fields.items():
            setattr(existing, k, v)
        existing.source = item.source
        if item.reported:
            existing.reported_at = now
        existing.updated_at = now
        db_session.add(existing)
        after = _to_read(existing, *item.codes)
        audits.append(
            audit_of(
                action=AuditAction.UPDATE,
                key=reading_key(after),
                before=before.model_dump(mode="json"),
                after=after.model_dump(mode="json"),
            )
        )
        out.append(UpsertResult(after, created=False, changed=True))
    if created:
        table = table_of(Reading)
        try:
            insert_many(
                db_session,
                table,
                [v for v, _ in created],
                overlap=import_batch_id is not None,
            )
        except IntegrityError as exc:
            first = created[0][1].message_prefix if len(created) == 1 else "trong tệp"
            raise Conflict(
                f"Số liệu {first} vừa được người khác nhập; hãy tải lại để xem trước khi sửa.",
                code="already_exists",
                errors=[FieldError("version", "stale_version", "Đã có người khác vừa nhập.")],
            ) from exc
        if import_batch_id is not None and not results:
            created = []  # the batch's audit event records them; nobody asked for the rows
        # The new ids by key, in one query: RETURNING in parameter order would make SQLite
        # insert row by row.
        keys = [item.key for _, item in created]
        new_ids = _reading_ids(db_session=db_session, keys=keys) if keys else {}
        for values, item in created:
            snapshot = _snapshot(
                reading_id=new_ids[item.key], codes=item.codes, row=values, stamps=stamps
            )
            key = f"{snapshot['indicator']}/{snapshot['unit']}/{values['period']}/"
            audits.append(
                audit_of(
                    action=AuditAction.CREATE,
                    key=key + (snapshot["domain"] or "-"),
                    after=snapshot,
                )
            )
            if results:
                out.append(UpsertResult(ReadingRead.model_validate(snapshot), True, True))
    if audits:
        audit.record_many(db_session=db_session, rows=audits)
    db_session.flush()
    return out


def upsert_reading(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    data: ReadingWrite,
    source: ReadingSource = ReadingSource.API,
    commit: bool = True,
) -> UpsertResult:
    """Create or update the reading at its natural key, refusing stale versions (409).

    With ``commit=False`` the write joins the caller's transaction (an import, a recomputation)
    and the caller commits or rolls back; a refusal then leaves the caller's earlier writes alone.
    """
    lookups = Lookups(db_session=db_session, clock=clock)
    planned = plan_reading(lookups=lookups, actor=actor, data=data, source=source)
    if planned.action == WriteAction.UNCHANGED:
        assert planned.existing is not None
        if commit:
            db_session.rollback()
        return UpsertResult(_to_read(planned.existing, *planned.codes), False, False)
    if not commit:
        return apply_readings(db_session=db_session, actor=actor, clock=clock, planned=[planned])[0]
    try:
        result = apply_readings(db_session=db_session, actor=actor, clock=clock, planned=[planned])
        db_session.commit()
    except (Conflict, IntegrityError):
        db_session.rollback()
        raise
    return result[0]


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
    row, indicator_code, unit_code, domain_code = found
    before = _to_read(row, indicator_code, unit_code, domain_code)
    authorize(actor, Permission.DATA_WRITE, unit_code=before.unit)
    if row.source == ReadingSource.COMPUTED:
        raise Conflict(
            f"Số liệu {before.indicator} / {before.unit} / {before.period} do hệ thống tự tính từ "
            "dữ liệu gốc (source=computed) nên không xóa tay được. Hãy sửa dữ liệu gốc.",
            code="computed_reading",
        )
    indicator = db_session.get(Indicator, row.indicator_id)
    plan = db_session.get(Plan, indicator.plan_id) if indicator is not None else None
    unit = db_session.get(Unit, row.unit_id)
    assert plan is not None and unit is not None  # foreign keys: a reading's rows exist
    reporting_service.ensure_open(db_session=db_session, plan=plan, unit=unit, period=row.period)
    db_session.delete(row)
    _audit_reading(db_session, actor, clock, AuditAction.DELETE, before, None)
    db_session.commit()


def delete_computed_readings(
    *, db_session: Session, actor: Actor, clock: Clock, rows: Sequence[Reading]
) -> list[ReadingRead]:
    """Remove computed readings whose records are gone, audited, in the caller's transaction.

    Only a recomputation calls this: by hand a computed reading can be neither edited nor
    deleted. Where the unit had entered its own figure, the feed no longer covers the key and
    that figure counts again (an update, not a deletion); those readings are returned, so the
    caller can tell the unit.
    """
    restored: list[ReadingRead] = []
    if not rows:
        return restored
    indicators = {
        i.id: i.code
        for i in db_session.exec(
            select(Indicator).where(col(Indicator.id).in_({r.indicator_id for r in rows}))
        )
    }
    units = unit_service.codes_by_id(db_session=db_session, ids=[r.unit_id for r in rows])
    domain_ids = {r.domain_id for r in rows if r.domain_id is not None}
    domains = (
        {
            d.id: d.code
            for d in db_session.exec(select(Domain).where(col(Domain.id).in_(domain_ids)))
        }
        if domain_ids
        else {}
    )
    for row in rows:
        if row.source != ReadingSource.COMPUTED:
            raise Conflict("Chỉ xóa được số liệu tự tính.", code="not_computed")
        codes = (
            indicators[row.indicator_id],
            units[row.unit_id],
            domains.get(row.domain_id) if row.domain_id else None,
        )
        before = _to_read(row, *codes)
        authorize(actor, Permission.DATA_WRITE, unit_code=before.unit)
        if row.reported_value is None:
            db_session.delete(row)
            _audit_reading(db_session, actor, clock, AuditAction.DELETE, before, None)
            continue
        row.version = claim_version(
            db_session=db_session,
            model=Reading,
            row_id=row.id,
            seen=row.version,
            message=f"Số liệu {before.indicator} / {before.unit} / {before.period} vừa được "
            "người khác sửa; hãy gửi lại tệp.",
            rollback=False,
        )
        row.value = row.reported_value
        row.numerator, row.denominator = row.reported_numerator, row.reported_denominator
        row.note = row.reported_note or ""
        row.source = row.reported_source or ReadingSource.FORM
        row.reported_value = row.reported_numerator = row.reported_denominator = None
        row.reported_note = row.reported_source = None
        row.reported_at = None
        row.updated_at = clock.now()
        db_session.add(row)
        after = _to_read(row, *codes)
        _audit_reading(db_session, actor, clock, AuditAction.UPDATE, before, after)
        restored.append(after)
    db_session.flush()
    return restored
