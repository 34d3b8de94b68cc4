"""The figures the reviewer's flags judge, loaded once for many reports.

The review queue counts the flags of every report waiting, so everything they read (the plan's
indicators and domains, the active rules, the readings of the periods and of their history, the
tasks' updates) comes from one load (``load``) rather than a query per report. An earlier
quarter reported month by month is put together here as the quarter its months make
(``from_months``), so a quarter of 2026 has a history before four quarters of its own exist.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.kpis.models import Domain, Indicator, Reading
from app.periods import Granularity, Period
from app.plans.models import Assignment, Plan
from app.progress.models import ProgressUpdate
from app.reporting import rule_service, rules
from app.reporting.rules import TaskState


@dataclass
class Loaded:
    """One load of everything the flags of a set of reports need."""

    indicators: dict[int, Indicator]
    domains: dict[int, Domain]
    rules: list[rules.ValidationRule]
    #: (unit id, period) → that unit's readings of the period
    readings: dict[tuple[int, str], list[Reading]]
    #: (unit id, period) → (task code, status, percent)
    tasks: dict[tuple[int, str], list[TaskState]]

    @property
    def names(self) -> dict[str, str]:
        found = {i.code: i.name for i in self.indicators.values()}
        return found | {d.code: d.name for d in self.domains.values()}


def history_of(period: Period, count: int) -> list[Period]:
    found, current = [], period
    for _ in range(count):
        current = current.previous()
        found.append(current)
    return found


def load(
    *, db_session: Session, plan: Plan, unit_ids: set[int], periods: set[Period], depth: int
) -> Loaded:
    indicators = {
        i.id: i for i in db_session.exec(select(Indicator).where(Indicator.plan_id == plan.id))
    }
    domains = {d.id: d for d in db_session.exec(select(Domain))}
    earlier = {h for p in periods for h in history_of(p, depth)}
    wanted = {str(p) for p in periods} | {str(h) for h in earlier}
    wanted |= {
        str(m) for h in earlier if h.granularity is not Granularity.MONTH for m in h.months()
    }
    readings: dict[tuple[int, str], list[Reading]] = defaultdict(list)
    if indicators and wanted:
        query = select(Reading).where(
            col(Reading.indicator_id).in_(list(indicators)), col(Reading.period).in_(wanted)
        )
        for r in db_session.exec(query):
            readings[(r.unit_id, r.period)].append(r)
    tasks: dict[tuple[int, str], list[TaskState]] = defaultdict(list)
    if unit_ids and periods:
        progress = db_session.exec(
            select(ProgressUpdate, Assignment.code)
            .join(Assignment, col(Assignment.id) == col(ProgressUpdate.assignment_id))
            .where(
                Assignment.plan_id == plan.id,
                col(ProgressUpdate.unit_id).in_(unit_ids),
                col(ProgressUpdate.period).in_([str(p) for p in periods]),
            )
            .order_by(col(Assignment.sort_key))
        )
        for update, code in progress:
            tasks[(update.unit_id, update.period)].append(
                TaskState(task=code, status=update.status, percent_complete=update.percent_complete)
            )
    return Loaded(
        indicators={k: v for k, v in indicators.items() if k is not None},
        domains={k: v for k, v in domains.items() if k is not None},
        rules=rule_service.active_rules(db_session=db_session, plan=plan),
        readings=readings,
        tasks=tasks,
    )


def figure_key(r: Reading | QuarterFigures) -> tuple[int, int | None]:
    return (r.indicator_id, r.domain_id)


@dataclass(frozen=True)
class QuarterFigures:
    """A quarter's figures put together from its three months' readings."""

    indicator_id: int
    domain_id: int | None
    value: float | None
    numerator: float | None
    denominator: float | None


def from_months(loaded: Loaded, *, unit_id: int, period: Period) -> list[QuarterFigures]:
    """An earlier quarter the unit reported month by month (Plan 84's 2025), as one quarter, so
    a quarter of 2026 has a history before four quarters of its own exist. Only figures reported
    in every month of the quarter count: a quarter's volume from two months would look like a
    fall. Counts add up; a rate is the summed numerator over the summed denominator, else the
    months' mean."""
    months = [loaded.readings.get((unit_id, str(m)), []) for m in period.months()]
    by_key: dict[tuple[int, int | None], list[Reading]] = defaultdict(list)
    for readings in months:
        for r in readings:
            by_key[figure_key(r)].append(r)
    found = []
    for (indicator_id, domain_id), rows in by_key.items():
        if len(rows) != len(months):
            continue
        percent = loaded.indicators[indicator_id].measure == "percent"
        nums = [r.numerator for r in rows]
        dens = [r.denominator for r in rows]
        numerator = sum(n for n in nums if n is not None) if None not in nums else None
        denominator = sum(d for d in dens if d is not None) if None not in dens else None
        values = [r.value for r in rows if r.value is not None]
        value: float | None
        if percent and numerator is not None and denominator:
            value = numerator / denominator * 100
        elif len(values) != len(rows):
            value = None
        else:
            value = sum(values) / len(values) if percent else sum(values)
        found.append(QuarterFigures(indicator_id, domain_id, value, numerator, denominator))
    return found
