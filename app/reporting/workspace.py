"""What a unit sees and edits for one period, and what a coordinator reviews side by side.

Read-only composition of the plan, the unit's progress and readings and its report's status; the
writes go through the progress and KPI services, the same ones the JSON API uses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.kpis import domains as kpi_domains
from app.kpis import indicators as kpi_indicators
from app.kpis import readings as kpi_readings
from app.kpis.models import DomainRead, IndicatorRead, ReadingRead
from app.periods import Granularity, Period, ReportingCalendar
from app.permissions import Permission, authorize_read, can
from app.plans import service as plan_service
from app.plans.models import AreaRead, AssignmentRead, Plan, TaskCadence
from app.progress import service as progress_service
from app.progress.evidence import service as evidence_service
from app.progress.evidence.models import EvidenceRead
from app.progress.models import ProgressRead
from app.registers import links as register_links
from app.registers.links import RegisterLink
from app.reporting import coordination
from app.reporting import service as reporting_service
from app.reporting.coordination_models import CoordinatingTaskRead, LeadCoordinationRead
from app.scoring import rules
from app.submissions import lock
from app.submissions.models import SubmissionRead, SubmissionStatus
from app.units import service as unit_service
from app.units.models import Unit


@dataclass
class TaskRow:
    task: AssignmentRead
    role: str
    progress: ProgressRead | None
    previous: ProgressRead | None = None
    #: Files and links attached to this period's update (issue 19).
    evidence: list[EvidenceRead] = field(default_factory=list)
    #: The unit's register rows that name this task (conclusions, initiatives, courses).
    registers: list[RegisterLink] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.task.code

    @property
    def dom_id(self) -> str:
        return "task-" + self.task.code.replace(".", "-")

    @property
    def empty(self) -> bool:
        return self.progress is None


@dataclass
class IndicatorRow:
    indicator: IndicatorRead
    domain: DomainRead | None
    reading: ReadingRead | None
    previous: ReadingRead | None = None

    @property
    def dom_id(self) -> str:
        suffix = f"-{self.domain.code}" if self.domain else ""
        return f"kpi-{self.indicator.code}{suffix}".replace(".", "-")

    @property
    def empty(self) -> bool:
        return self.reading is None

    @property
    def conflict_note(self) -> str | None:
        """Where the unit's own figure and a computed one differ: both, and which counts."""
        from app.dossiers.metrics import conflict_note

        r = self.reading
        if r is None or not r.conflict:
            return None
        return conflict_note(
            indicator=self.indicator.code,
            computed=r.value,
            reported=r.reported_value,
            percent=self.indicator.measure == "percent",
        )

    @property
    def met(self) -> bool | None:
        if self.reading is None:
            return None
        return rules.met(
            value=self.reading.value,
            target=self.indicator.target,
            comparator=self.indicator.comparator,
        )


@dataclass
class Workspace:
    plan: Plan
    unit: Unit
    period: Period
    previous_period: Period | None
    submission: SubmissionRead
    areas: list[tuple[AreaRead, list[TaskRow]]]
    indicators: list[IndicatorRow]
    periods: list[Period]
    can_edit: bool
    can_submit: bool
    lock_message: str = ""
    coordinator_name: str = ""
    missing: list[str] = field(default_factory=list)
    #: What is still empty, each with the row it links to: (label, dom id).
    missing_links: list[tuple[str, str]] = field(default_factory=list)
    #: The general report this page belongs to: itself, or the quarter of a month in 2026.
    report_period: Period | None = None
    #: In a quarterly year: the monthly tasks, reported on their own monthly pages (read-only
    #: here, with their latest monthly update) and the months that hold them.
    monthly_tasks: list[TaskRow] = field(default_factory=list)
    months: list[Period] = field(default_factory=list)
    #: The picker's label of each period ("Tháng 02/2026 (nhiệm vụ hằng tháng)").
    period_labels: dict[str, str] = field(default_factory=dict)
    #: Coordination (issue 19): this unit's led tasks with each coordinating unit's answer, and
    #: the tasks it coordinates with the lead's update (``coordination.py``).
    coordination: LeadCoordinationRead | None = None
    coordinating: list[CoordinatingTaskRead] = field(default_factory=list)

    @property
    def monthly_only(self) -> bool:
        """A month of a quarterly year: only the tasks the plan marks monthly, no report of its
        own (the updates go with the quarter's report)."""
        return self.report_period is not None and self.report_period != self.period

    @property
    def tasks(self) -> list[TaskRow]:
        return [row for _, rows in self.areas for row in rows]

    @property
    def empty_tasks(self) -> int:
        return sum(1 for row in self.tasks if row.empty)

    @property
    def empty_indicators(self) -> int:
        return sum(1 for row in self.indicators if row.empty)

    @property
    def locked(self) -> bool:
        """Approved: the data is final until a coordinator reopens the report."""
        return self.submission.status == SubmissionStatus.APPROVED

    @property
    def read_only(self) -> bool:
        """Approved, or sent and waiting for review: the service refuses every write, so the
        page shows the rows read-only instead of letting the officer type into a refusal."""
        return lock.editing_locked(self.submission.status)


def role(task: AssignmentRead, unit: Unit) -> str:
    if task.scope == "all_units":
        return "all"
    return "lead" if task.lead_unit == unit.code else "coordinator"


def progress_by_task(
    *, db_session: Session, actor: Actor, unit: Unit, period: Period | None
) -> dict[str, ProgressRead]:
    if period is None:
        return {}
    items, _ = progress_service.list_progress(
        db_session=db_session,
        actor=actor,
        filters=progress_service.ProgressFilters(unit=unit.code, period=str(period)),
        limit=10_000,
        offset=0,
    )
    return {p.assignment: p for p in items}


def _readings_by_key(
    *, db_session: Session, actor: Actor, unit: Unit, period: Period | None
) -> dict[tuple[str, str | None], ReadingRead]:
    if period is None:
        return {}
    items, _ = kpi_readings.list_readings(
        db_session=db_session,
        actor=actor,
        filters=kpi_readings.ReadingFilters(unit=unit.code, period=str(period)),
        limit=10_000,
        offset=0,
    )
    return {(r.indicator, r.domain): r for r in items}


def resolve_period(*, plan: Plan, period: str, clock: Clock) -> Period:
    """A period of the plan's calendar that has started (422 otherwise); in a quarterly year a
    month too, the page of the monthly tasks."""
    return Period.parse(
        plan_service.validate_period(plan=plan, period=period, today=clock.today(), monthly=True)
    )


def _latest_in(
    *, db_session: Session, actor: Actor, unit: Unit, months: list[Period]
) -> dict[str, ProgressRead]:
    """Each monthly task's latest update among the quarter's months (the quarter's figure)."""
    found: dict[str, ProgressRead] = {}
    for month in months:
        found |= progress_by_task(db_session=db_session, actor=actor, unit=unit, period=month)
    return found


def current_period_for(
    *, db_session: Session, actor: Actor, clock: Clock, unit_code: str
) -> Period:
    """Where a reporter should land: the oldest of the last two periods still open for its unit,
    else the period in progress (on 20/11/2025: October if not yet sent, else November)."""
    plan = plan_service.get_plan(db_session=db_session, code=None)
    periods = plan_service.calendar_for(plan).periods(until=clock.today())
    for candidate in periods[-2:]:
        sub = reporting_service.get_submission(
            db_session=db_session,
            actor=actor,
            clock=clock,
            unit=unit_code,
            period=str(candidate),
            plan=None,
        )
        if sub.status in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED):
            return candidate
    return periods[-1]


@dataclass(frozen=True)
class Head:
    """What every answer about a unit's period page starts from: the plan, the unit, where the
    period sits in the plan's calendar, and the status of the report it belongs to."""

    plan: Plan
    unit: Unit
    period: Period
    calendar: ReportingCalendar
    regular: bool
    report_period: Period
    previous: Period | None
    submission: SubmissionRead


def head(*, db_session: Session, actor: Actor, clock: Clock, unit_code: str, period: str) -> Head:
    """The page's plan, unit, period and report (403/404/422 as the page itself would)."""
    authorize_read(actor, unit_code)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    unit = unit_service.get_by_code(db_session=db_session, code=unit_code)
    p = resolve_period(plan=plan, period=period, clock=clock)
    calendar = plan_service.calendar_for(plan)
    regular = calendar.is_regular(p)
    report_period = p if regular else calendar.period_for(p.start_date)
    previous = calendar.previous(p) if regular else (p.previous() if p.index > 1 else None)
    submission = reporting_service.get_submission(
        db_session=db_session,
        actor=actor,
        clock=clock,
        unit=unit.code,
        period=str(report_period),
        plan=None,
    )
    return Head(plan, unit, p, calendar, regular, report_period, previous, submission)


def workspace_of(
    h: Head,
    *,
    actor: Actor,
    areas: list[tuple[AreaRead, list[TaskRow]]],
    indicators: list[IndicatorRow],
    periods: list[Period],
) -> Workspace:
    """The workspace of a page's head and rows, with what the person may do on it."""
    editor = can(actor, Permission.DATA_WRITE, unit_code=h.unit.code)
    ws = Workspace(
        plan=h.plan,
        unit=h.unit,
        period=h.period,
        previous_period=h.previous,
        submission=h.submission,
        areas=areas,
        indicators=indicators,
        periods=periods,
        can_edit=editor,
        can_submit=editor and h.regular,
        report_period=h.report_period,
    )
    if ws.read_only:
        ws.can_edit = ws.can_submit = False
    return ws


def build(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit_code: str,
    period: str,
    with_previous: bool = False,
) -> Workspace:
    """Everything the unit's page for a period shows; ``with_previous`` adds the last period's
    answers for the coordinator's side-by-side review."""
    h = head(db_session=db_session, actor=actor, clock=clock, unit_code=unit_code, period=period)
    plan, unit, p, calendar = h.plan, h.unit, h.period, h.calendar
    page = Page(db_session, actor, unit, p, h.previous if with_previous else None, h.regular)
    areas, monthly_tasks = _task_rows(page)
    ws = workspace_of(
        h,
        actor=actor,
        areas=areas,
        indicators=indicator_rows(page, monthly_tasks),
        periods=list(reversed(calendar.periods(until=clock.today(), monthly=True))),
    )
    ws.period_labels = {
        str(x): x.label_vi + ("" if calendar.is_regular(x) else " (nhiệm vụ hằng tháng)")
        for x in ws.periods
    }
    if h.regular and monthly_tasks:
        months = [m for m in p.months() if m.start_date <= clock.today()]
        latest = _latest_in(db_session=db_session, actor=actor, unit=unit, months=months)
        ws.months = months
        ws.monthly_tasks = [
            TaskRow(task, role(task, unit), latest.get(task.code)) for task in monthly_tasks
        ]
    coordinator = (
        db_session.get(Unit, plan.coordinator_unit_id) if plan.coordinator_unit_id else None
    )
    ws.coordinator_name = coordinator.name if coordinator else "bộ phận điều phối"
    ws.coordination, ws.coordinating = coordination.for_unit(
        db_session=db_session, actor=actor, plan=plan, unit=unit, period=p
    )
    list_missing(ws)
    return ws


@dataclass(frozen=True)
class Page:
    """What the page's rows are read for: whose page, which period, and the one compared."""

    db_session: Session
    actor: Actor
    unit: Unit
    period: Period
    previous: Period | None  # set only when the last period's answers are shown beside
    regular: bool


def page_tasks(page: Page) -> tuple[list[AssignmentRead], list[AssignmentRead]]:
    """The tasks reported on the page (``on_this_page``), and the monthly tasks of a quarterly
    year."""
    tasks, _ = plan_service.list_assignments(
        db_session=page.db_session,
        filters=plan_service.AssignmentFilters(unit=page.unit.code, active=True),
        limit=10_000,
        offset=0,
    )
    monthly_tasks = [t for t in tasks if _monthly_apart(page, t)]
    return [t for t in tasks if on_this_page(page, t)], monthly_tasks


def _monthly_apart(page: Page, task: AssignmentRead) -> bool:
    """A monthly task of a quarterly year: reported on the months' pages, not the quarter's."""
    quarterly_year = page.period.granularity is not Granularity.MONTH or not page.regular
    return quarterly_year and task.cadence == TaskCadence.MONTHLY


def on_this_page(page: Page, task: AssignmentRead) -> bool:
    """Whether the page has a row for the task (one of the unit's active tasks).

    In a quarterly year the monthly tasks live on the months' pages, the others on the
    quarter's: each task has one place to be reported, so nothing is counted twice."""
    return _monthly_apart(page, task) if not page.regular else not _monthly_apart(page, task)


def by_area(db_session: Session, rows: list[TaskRow]) -> list[tuple[AreaRead, list[TaskRow]]]:
    """The rows under their areas, in the plan's order; areas without a row left out."""
    grouped: dict[str, list[TaskRow]] = defaultdict(list)
    for row in rows:
        grouped[row.task.area].append(row)
    areas = [(a, grouped[a.code]) for a in plan_service.list_areas(db_session=db_session)]
    return [(a, r) for a, r in areas if r]


def _task_rows(
    page: Page,
) -> tuple[list[tuple[AreaRead, list[TaskRow]]], list[AssignmentRead]]:
    """The page's tasks by area, each with its update, evidence and registers, and the monthly
    tasks of a quarterly year (``page_tasks``)."""
    db_session, actor, unit, p = page.db_session, page.actor, page.unit, page.period
    tasks, monthly_tasks = page_tasks(page)
    progress = progress_by_task(db_session=db_session, actor=actor, unit=unit, period=p)
    before = (
        progress_by_task(db_session=db_session, actor=actor, unit=unit, period=page.previous)
        if page.previous is not None
        else {}
    )
    evidence = evidence_service.list_for_period(
        db_session=db_session, actor=actor, unit=unit.code, period=str(p)
    )
    registered = register_links.by_task(db_session, unit.id)
    rows = [
        TaskRow(
            task,
            role(task, unit),
            progress.get(task.code),
            before.get(task.code),
            evidence.get(task.code, []),
            registered.get(task.code, []),
        )
        for task in tasks
    ]
    return by_area(db_session, rows), monthly_tasks


def indicator_rows(page: Page, monthly_tasks: list[AssignmentRead]) -> list[IndicatorRow]:
    """One row per active indicator and domain of the unit (a month's page: the monthly tasks'
    indicators only)."""
    db_session, actor, unit = page.db_session, page.actor, page.unit
    indicators, _ = kpi_indicators.list_indicators(
        db_session=db_session, plan_code=None, area=None, unit=unit.code, limit=1000, offset=0
    )
    if not page.regular:
        monthly_codes = {t.code for t in monthly_tasks}
        indicators = [i for i in indicators if i.assignment in monthly_codes]
    domains = kpi_domains.list_domains(db_session=db_session, active=True)
    readings = _readings_by_key(db_session=db_session, actor=actor, unit=unit, period=page.period)
    earlier = (
        _readings_by_key(db_session=db_session, actor=actor, unit=unit, period=page.previous)
        if page.previous is not None
        else {}
    )
    rows: list[IndicatorRow] = []
    for ind in (i for i in indicators if i.active):
        for dom in domains if ind.disaggregation == "domain" else [None]:
            key = (ind.code, dom.code if dom else None)
            rows.append(IndicatorRow(ind, dom, readings.get(key), earlier.get(key)))
    return rows


def list_missing(ws: Workspace) -> None:
    """What the unit has not answered yet, as the send box lists it, with links to each row."""
    empty_kpis = [row for row in ws.indicators if row.empty]
    kpi_labels = [
        f"Chỉ tiêu {row.indicator.name}" + (f" – {row.domain.name}" if row.domain else "")
        for row in empty_kpis
    ]
    ws.missing = [f"Nhiệm vụ {row.task.code}" for row in ws.tasks if row.empty] + kpi_labels
    ws.missing_links = [
        (f"Nhiệm vụ {row.task.code}: {_short(row.task.text)}", row.dom_id)
        for row in ws.tasks
        if row.empty
    ] + [(label, row.dom_id) for label, row in zip(kpi_labels, empty_kpis, strict=True)]


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def due_label(due: date, today: date) -> str:
    days = (due - today).days
    if days > 0:
        return f"còn {days} ngày"
    if days == 0:
        return "hạn hôm nay"
    return f"quá hạn {-days} ngày"
