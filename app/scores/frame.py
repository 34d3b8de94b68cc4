"""What scoring needs of a plan besides its data, loaded once per request.

The units that report, the active tasks and indicators, the PAR areas and the TTHC domains: a few
hundred rows, read into plain values because each is consulted once per unit and period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from app.formatting import format_number
from app.kpis.models import Domain, Indicator
from app.periods import Period, ReportingCalendar
from app.plans import service as plan_service
from app.plans.models import Area, Assignment, Plan, Scope, TaskCadence
from app.scores import queries
from app.scores.models import ScoringConfigRead
from app.scores.schemas import TaskRole
from app.scoring.config import ScoringConfig
from app.units.models import Unit


def plain(value: float) -> str:
    """A number as people write it: ``98`` → ``98``, ``97.25`` → ``97,25`` (up to 2 decimals)."""
    return format_number(value)


@dataclass(frozen=True, slots=True)
class Task:
    """A task of the plan as scoring reads it: plain values, since each is read once per unit."""

    id: int
    code: str
    text: str
    area: str
    scope: str
    lead_unit_id: int | None
    coordinators: frozenset[int]
    due_date: date | None
    cadence: str = "plan"
    coordinators_report: bool = False


@dataclass(frozen=True)
class Frame:
    """What scoring needs of the plan besides the data: small, loaded once per request."""

    plan: Plan
    calendar: ReportingCalendar
    today: date
    config: ScoringConfig
    config_read: ScoringConfigRead
    units: list[Unit]
    units_by_id: dict[int, Unit]
    indicators: list[Indicator]
    areas: list[Area]
    tasks: list[Task]
    domains: dict[int, Domain]
    areas_by_id: dict[int, Area] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.areas_by_id.update((a.id, a) for a in self.areas if a.id is not None)

    def unit_code(self, unit_id: int | None) -> str | None:
        unit = self.units_by_id.get(unit_id) if unit_id is not None else None
        return unit.code if unit is not None else None

    @property
    def indicator_ids(self) -> list[int]:
        return [i.id for i in self.indicators if i.id is not None]

    @property
    def task_ids(self) -> list[int]:
        return [t.id for t in self.tasks]

    def area(self, area_id: int) -> Area:
        return self.areas_by_id[area_id]

    def area_code(self, area_id: int) -> str:
        return self.area(area_id).code

    def role(self, task: Task, unit_id: int) -> TaskRole | None:
        if task.scope == Scope.ALL_UNITS:
            return "all"
        if task.lead_unit_id == unit_id:
            return "lead"
        return "coordinator" if unit_id in task.coordinators else None

    def tasks_for(self, period: Period) -> list[Task]:
        """A month of a quarterly year concerns only the tasks the plan marks monthly; every
        other period concerns every task (a quarter counts its monthly tasks once, by their
        latest monthly update, so nothing is counted twice)."""
        if self.calendar.is_regular(period):
            return self.tasks
        return [t for t in self.tasks if t.cadence == TaskCadence.MONTHLY]

    def must_report(self, task: Task, unit_id: int) -> bool:
        """A coordinating unit reports only where the plan asks it to; lead and all-unit tasks
        always. What a unit must report on is what its task score is taken over."""
        role = self.role(task, unit_id)
        return role in ("all", "lead") or (role == "coordinator" and task.coordinators_report)

    def domain_targets(self, indicator: Indicator) -> dict[str, float]:
        return dict(indicator.domain_targets or {})


def load_frame(
    *, db_session: Session, plan: Plan, today: date, config: tuple[ScoringConfig, ScoringConfigRead]
) -> Frame:
    units = queries.reporting_units(db_session=db_session, issuer_id=plan.issuer_unit_id)
    indicators = list(
        db_session.exec(
            select(Indicator)
            .where(Indicator.plan_id == plan.id, col(Indicator.active))
            .order_by(col(Indicator.id))
        )
    )
    assignments = list(
        db_session.exec(
            select(Assignment)
            .where(Assignment.plan_id == plan.id, col(Assignment.active))
            .order_by(col(Assignment.sort_key), col(Assignment.id))
        )
    )
    others = {i.responsible_unit_id for i in indicators} | {a.lead_unit_id for a in assignments}
    wanted = {i for i in others if i is not None} - {u.id for u in units}
    extra = list(db_session.exec(select(Unit).where(col(Unit.id).in_(wanted)))) if wanted else []
    areas = list(db_session.exec(select(Area).order_by(col(Area.position))))
    codes = {a.id: a.code for a in areas}
    coordinators = plan_service.coordinator_ids(
        db_session=db_session, assignment_ids=[a.id for a in assignments if a.id is not None]
    )
    tasks = [
        Task(
            id=a.id,
            code=a.code,
            text=a.text,
            area=codes[a.area_id],
            scope=a.scope,
            lead_unit_id=a.lead_unit_id,
            coordinators=frozenset(coordinators[a.id]),
            due_date=a.due_date,
            cadence=a.cadence,
            coordinators_report=a.coordinators_report,
        )
        for a in assignments
        if a.id is not None
    ]
    return Frame(
        plan=plan,
        calendar=plan_service.calendar_for(plan),
        today=today,
        config=config[0],
        config_read=config[1],
        units=units,
        units_by_id={u.id: u for u in [*units, *extra] if u.id is not None},
        indicators=indicators,
        areas=areas,
        tasks=tasks,
        domains={d.id: d for d in db_session.exec(select(Domain)) if d.id is not None},
    )
