"""The plan indicators two registers compute instead of a figure typed by hand: the share of the
ward council's socio-economic targets met (``socioeconomic_targets``, from the targets register)
and the share of the year's public investment capital disbursed (``disbursement``, from the
investment register).

After every write to those registers (one row, or a whole import) the readings of each of the
ward's plans that tracks the indicator are brought in line for the year written: one computed
reading per period from the first month with a figure to the last month begun, monthly and, in a
quarterly year, per quarter too (as the dossier feeds do). They are ``source=computed``
readings, exactly like the dossier feeds': the unit's own typed figure is kept beside the
computed one and the unit is told where they differ; a period already approved keeps its
figure; a reading whose figures are gone is removed (the unit's own figure counts again).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.actors import Actor
from app.clock import Clock
from app.dossiers.metrics import Feed
from app.dossiers.recompute import notify_units
from app.errors import AppError
from app.kpis import readings as kpi_readings
from app.kpis import store as reading_store
from app.kpis.lookups import Lookups
from app.kpis.models import Indicator, Reading, ReadingSource, ReadingWrite
from app.kpis.reading_rules import PlannedReading
from app.periods import Period, PeriodError
from app.permissions import Role
from app.plans import service as plan_service
from app.plans.models import Plan
from app.registers import figures
from app.registers.figures import Ratio
from app.registers.spec import RegisterSpec
from app.units.models import Unit
from app.versioning import WriteAction

#: ``(rows of the year, year, last month)`` → the ward's figure as of that month.
Count = Callable[[Sequence[Any], int, str], Ratio | None]


def recompute_targets(
    spec: RegisterSpec, db_session: Session, actor: Actor, clock: Clock, years: set[int]
) -> None:
    _recompute(spec, db_session, actor, clock, years, "socioeconomic_targets",
               figures.targets_met)  # fmt: skip


def recompute_disbursement(
    spec: RegisterSpec, db_session: Session, actor: Actor, clock: Clock, years: set[int]
) -> None:
    _recompute(spec, db_session, actor, clock, years, "disbursement", figures.disbursed)


def _recompute(
    spec: RegisterSpec,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    years: set[int],
    code: str,
    count: Count,
) -> None:
    # The register's write was authorised on its own unit; the computed figure is the
    # register's, filed under the indicator's responsible unit, as a feed files it.
    feed_actor = replace(actor, role=Role.ADMIN, via="register")
    lookups = Lookups(db_session=db_session, clock=clock)
    planned: list[PlannedReading] = []
    model: Any = spec.model
    stale: list[Reading] = []
    for year in sorted(y for y in years if y is not None):
        rows = db_session.exec(select(model).where(model.year == year)).all()
        for plan, indicator, unit in _tracking(db_session, code, year):
            wanted = _periods(plan, rows, spec.monthly_field, year, clock.today())
            made: set[str] = set()
            for period, last in wanted:
                ratio = count(rows, year, last)
                if ratio is None:
                    continue
                data = ReadingWrite(
                    indicator=code, unit=unit.code, period=str(period), plan=plan.code,
                    numerator=ratio.numerator, denominator=ratio.denominator, note=ratio.note,
                )  # fmt: skip
                try:
                    planned.append(kpi_readings.plan_reading(
                        lookups=lookups, actor=feed_actor, data=data,
                        source=ReadingSource.COMPUTED,
                    ))  # fmt: skip
                    made.add(str(period))
                except AppError:
                    continue  # an approved period keeps its figure; one before the plan has none
            stale += _gone(db_session, lookups, plan, indicator, unit, year, made)
    restored = kpi_readings.delete_computed_readings(
        db_session=db_session, actor=feed_actor, clock=clock, rows=stale
    )
    reading_store.apply_readings(db_session=db_session, actor=feed_actor, clock=clock,
                                 planned=planned, results=False)  # fmt: skip
    # the unit is told when its own figure gives way, or differs from a figure that moved
    changed = [p for p in planned
               if p.takeover or (p.conflict and p.action == WriteAction.UPDATE)]  # fmt: skip
    notify_units(db_session=db_session, clock=clock, feed=Feed.REGISTER, changed=changed,
                 restored=restored)  # fmt: skip


def _tracking(db_session: Session, code: str, year: int) -> list[tuple[Plan, Indicator, Unit]]:
    """The ward's plans running in ``year`` that track the indicator, with the unit it is
    filed under."""
    found = []
    for plan in db_session.exec(select(Plan).order_by(col(Plan.code))):
        if not plan.first_year <= year <= plan.last_year:
            continue
        indicator = db_session.exec(
            select(Indicator).where(Indicator.plan_id == plan.id, Indicator.code == code)
        ).first()
        if indicator is None or not indicator.active or indicator.responsible_unit_id is None:
            continue
        unit = db_session.get(Unit, indicator.responsible_unit_id)
        if unit is not None and unit.active:
            found.append((plan, indicator, unit))
    return found


def _periods(
    plan: Plan, rows: Sequence[Any], monthly: str | None, year: int, today: date
) -> list[tuple[Period, str]]:
    """The plan's periods of ``year`` from the first month with a figure to the last begun,
    each with the month its figure is judged at (its last, or this month while it runs)."""
    if monthly is None:
        return []
    months = sorted(m for r in rows for m in getattr(r, monthly) or {})
    in_year = [m for m in months if m.startswith(f"{year:04d}-")]
    if not in_year or date(year, 1, 1) > today:
        return []
    first = Period.parse(in_year[0])
    until = min(today, date(year, 12, 31))
    calendar = plan_service.calendar_for(plan)
    try:
        periods = calendar.periods(until=until, since=first, monthly=True)
    except PeriodError:
        return []
    latest = figures.last_month(year, today)
    return [
        (p, min(figures.month_of(p.end_date), latest))
        for p in periods
        if p.year == year and p.end_date >= first.start_date
    ]


def _gone(
    db_session: Session,
    lookups: Lookups,
    plan: Plan,
    indicator: Indicator,
    unit: Unit,
    year: int,
    kept: set[str],
) -> list[Reading]:
    """The computed readings of the year that no figure stands behind any more (not those of
    an approved period: its report keeps what it said)."""
    rows = db_session.exec(
        select(Reading).where(
            Reading.indicator_id == indicator.id,
            Reading.unit_id == unit.id,
            Reading.source == ReadingSource.COMPUTED,
            col(Reading.period).startswith(f"{year:04d}"),
        )
    ).all()
    gone = []
    for row in rows:
        if row.period in kept:
            continue
        try:
            lookups.ensure_open(plan, unit, row.period, only_final=True)
        except AppError:
            continue
        gone.append(row)
    return gone
