"""The per-write (or per-import) cache of codes, periods and locks that every reading and progress
write checks against."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session, select

from app.actors import Actor
from app.clock import Clock
from app.errors import AppError, Invalid
from app.kpis.domains import get_domain
from app.kpis.indicators import get_indicator
from app.kpis.models import Domain, Indicator
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.plans.models import Assignment, Plan, TaskCadence
from app.submissions import lock as period_lock
from app.units import service as unit_service
from app.units.models import Unit

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
            period_lock.ensure_open,
            db_session=self.db_session,
            plan=plan,
            unit=unit,
            period=period,
            only_final=only_final,
        )
