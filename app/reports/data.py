"""Everything the consolidated report says, gathered once, so docx, xlsx and HTML cannot differ.

The KPI figures, area scores and rankings are the scores service's own answer for the period
(``app.scores.service.ward_summary``): the report and ``GET /api/v1/scores`` agree by construction,
and every figure carries the review state of the data behind it. A draft report is built on
everything entered (``basis="all"``); a final one only on approved reports (``basis="approved"``).

A month of a quarterly year (2026) is the coordinator's report to the committee's monthly meeting:
only the tasks the plan marks monthly, the month's KPIs, and where the quarter's reports stand.
The shape of what is gathered lives in ``app.reports.content``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from app.actors import Actor
from app.clock import VIETNAM_TZ, Clock
from app.periods import Granularity, Period
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.plans.models import AssignmentRead, Plan, TaskCadence
from app.progress import service as progress_service
from app.progress.models import PROGRESS_LABELS
from app.registers import report as register_report
from app.reporting import service as reporting_service
from app.reports.content import (
    AreaSection,
    ConsolidatedData,
    DisciplineRow,
    DomainRow,
    KpiRow,
    Note,
    Priority,
    TaskSection,
    UnitReport,
)
from app.reports.models import DEFAULT_RECIPIENTS, ReportConfig, ReportConfigRead
from app.reports.monthly import QuarterState, quarter_state
from app.scores import service as score_service
from app.scores.schemas import Basis, IndicatorScore, ScoreSummary
from app.submissions.models import Timeliness
from app.textsort import vi_sort_key
from app.units.models import Unit
from app.wards.models import Ward

#: Who leads a task that no single unit leads.
EVERY_UNIT = "Mọi đơn vị"


def _issuer_name(*, db_session: Session, plan: Plan) -> str:
    issuer = db_session.get(Unit, plan.issuer_unit_id) if plan.issuer_unit_id else None
    return issuer.name if issuer else "Ủy ban nhân dân phường"


def config_for(*, db_session: Session, plan: Plan) -> ReportConfigRead:
    """The plan's report settings, or defaults from the plan's ward (Decree 30/2020 layout)."""
    row = db_session.exec(select(ReportConfig).where(ReportConfig.plan_id == plan.id)).first()
    if row is not None:
        return ReportConfigRead.model_validate(row)
    issuer = db_session.get(Unit, plan.issuer_unit_id) if plan.issuer_unit_id else None
    coordinator = (
        db_session.get(Unit, plan.coordinator_unit_id) if plan.coordinator_unit_id else None
    )
    return ReportConfigRead(
        authority=(issuer.name if issuer else "Ủy ban nhân dân phường").upper(),
        issuer=(coordinator.name if coordinator else "Phòng Văn hóa - Xã hội").upper(),
        number_suffix="BC-VHXH",
        place=_place(db_session, plan),
        signer_title="TRƯỞNG PHÒNG",
        signer_name="",
        recipients=list(DEFAULT_RECIPIENTS),
        version=0,
    )


def _place(db_session: Session, plan: Plan) -> str:
    """Where the report is signed: the ward's name without "Phường"/"Xã" ("Phú Định")."""
    ward = db_session.get(Ward, plan.ward_id) if plan.ward_id is not None else None
    if ward is None:
        return ""
    for prefix in ("Phường ", "Xã ", "Thị trấn ", "Đặc khu "):
        if ward.name.startswith(prefix):
            return ward.name.removeprefix(prefix)
    return ward.name


def _domains(ind: IndicatorScore) -> list[DomainRow]:
    """Every domain with data, by name. The scores service judges each domain against the
    indicator's target today; a domain value carrying a ``target`` of its own (khiếu nại, tố cáo
    may get 95%) is shown with that target instead."""
    if ind.disaggregation != "domain":
        return []
    return [
        DomainRow(
            domain=d.domain,
            domain_name=d.domain_name or d.domain,
            value=d.value,
            comparator=str(getattr(d, "comparator", ind.comparator)),
            target=float(getattr(d, "target", ind.target)),
            met=d.met,
            light=d.light,
        )
        for d in ind.domains
        if d.domain is not None
    ]


def _kpis(current: ScoreSummary, previous: ScoreSummary | None) -> list[KpiRow]:
    before = {i.code: i.value for i in previous.indicators} if previous else {}
    rows = []
    for ind in current.indicators:
        prev = before.get(ind.code)
        domains = _domains(ind)
        rows.append(
            KpiRow(
                code=ind.code,
                name=ind.name,
                area=ind.area,
                area_name=ind.area_name,
                measure=ind.measure,
                comparator=ind.comparator,
                target=ind.target,
                value=ind.value,
                previous=prev,
                change=ind.value - prev if ind.value is not None and prev is not None else None,
                met=ind.met,
                light=ind.light,
                worst_domain=ind.worst_domain,
                worst_domain_name=next(
                    (d.domain_name for d in domains if d.domain == ind.worst_domain), None
                ),
                domains=domains,
                data_state=ind.data_state if ind.value is not None else "none",
            )
        )
    return rows


def _previous(
    *, db_session: Session, actor: Actor, clock: Clock, plan: str | None, p: Period, basis: Basis
) -> ScoreSummary | None:
    """What the KPIs are compared against: the previous general period, or for a month of a
    quarterly year the previous month (the meeting compares month with month)."""
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    calendar = plan_service.calendar_for(plan_row)
    if calendar.is_regular(p):
        before = calendar.previous(p)
    else:
        before = p.previous() if p.start_date > calendar.start.start_date else None
    if before is None:
        return None
    return score_service.ward_summary(
        db_session=db_session, actor=actor, clock=clock, period=str(before), plan=plan, basis=basis
    )


def _discipline(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan: str | None,
    p: Period,
    names: dict[str, str],
) -> list[DisciplineRow]:
    submissions, _ = reporting_service.list_submissions(
        db_session=db_session,
        actor=actor,
        clock=clock,
        filters=reporting_service.SubmissionFilters(plan=plan, period=str(p)),
        limit=10_000,
    )
    rows = []
    for s in submissions:
        state = s.timeliness.value
        if s.timeliness == Timeliness.MISSING and s.due_date >= clock.today():
            state = "not_due"
        rows.append(
            DisciplineRow(
                unit=s.unit,
                unit_name=names.get(s.unit, s.unit),
                state=state,
                status=s.status,
                submitted_at=s.first_submitted_at,
                due_date=s.due_date,
            )
        )
    rows.sort(key=lambda r: vi_sort_key(r.unit_name))
    return rows


@dataclass
class _UnitReports:
    """The units' progress reports of the period by task, and the notes they carry."""

    by_task: dict[str, list[UnitReport]] = field(default_factory=lambda: defaultdict(list))
    difficulties: list[Note] = field(default_factory=list)
    proposals: list[Note] = field(default_factory=list)


def _unit_reports(
    *, db_session: Session, actor: Actor, plan: str | None, p: Period, names: dict[str, str]
) -> _UnitReports:
    updates, _ = progress_service.list_progress(
        db_session=db_session,
        actor=actor,
        filters=progress_service.ProgressFilters(plan=plan, period=str(p)),
        limit=100_000,
        offset=0,
    )
    found = _UnitReports()
    for u in updates:
        name = names.get(u.unit, u.unit)
        found.by_task[u.assignment].append(
            UnitReport(
                unit=u.unit,
                unit_name=name,
                status=u.status,
                status_label=PROGRESS_LABELS.get(u.status, u.status),
                percent=u.percent_complete,
                result=u.result,
            )
        )
        if u.difficulties.strip():
            found.difficulties.append(
                Note(unit_name=name, task=u.assignment, text=u.difficulties.strip())
            )
        if u.proposals.strip():
            found.proposals.append(
                Note(unit_name=name, task=u.assignment, text=u.proposals.strip())
            )
    return found


def _areas(
    *,
    db_session: Session,
    summary: ScoreSummary,
    tasks: list[AssignmentRead],
    reports: _UnitReports,
    lead_names: dict[str, str],
    kpis: list[KpiRow],
    monthly: bool,
) -> list[AreaSection]:
    """Section I, area by area: each task with every unit's report on it, then the area's KPIs."""
    area_percent = {a.code: a.percent for a in summary.areas}
    areas = []
    for area in plan_service.list_areas(db_session=db_session):
        sections = [
            TaskSection(
                code=t.code,
                text=t.text,
                lead_unit_name=lead_names.get(t.lead_unit or "", EVERY_UNIT),
                reports=sorted(
                    reports.by_task.get(t.code, []), key=lambda r: vi_sort_key(r.unit_name)
                ),
            )
            for t in tasks
            if t.area == area.code
        ]
        area_kpis = [k for k in kpis if k.area == area.code]
        if monthly:
            # The meeting hears the areas that have monthly tasks or a figure this month.
            area_kpis = [k for k in area_kpis if k.value is not None]
            if not sections and not area_kpis:
                continue
        areas.append(
            AreaSection(
                code=area.code,
                section=area.section,
                name=area.name,
                percent=area_percent.get(area.code),
                tasks=sections,
                kpis=area_kpis,
            )
        )
    return areas


def _priorities(
    *,
    summary: ScoreSummary,
    tasks: list[AssignmentRead],
    reports: _UnitReports,
    lead_names: dict[str, str],
    p: Period,
) -> list[Priority]:
    """Section V: the overdue tasks, then those due next period that not every unit has done."""
    nxt = p.next()
    priorities = [
        Priority(
            code=o.assignment,
            text=o.text,
            due_date=o.due_date,
            lead_unit_name=o.lead_unit_name or EVERY_UNIT,
            overdue=True,
        )
        for o in summary.overdue
    ]
    for t in tasks:
        if t.due_date and p.end_date < t.due_date <= nxt.end_date:
            done = reports.by_task.get(t.code, [])
            if not done or any(r.status != "done" for r in done):
                priorities.append(
                    Priority(
                        code=t.code,
                        text=t.text,
                        due_date=t.due_date,
                        lead_unit_name=lead_names.get(t.lead_unit or "", EVERY_UNIT),
                        overdue=False,
                    )
                )
    return priorities


def _reporting_state(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan_row: Plan,
    plan: str | None,
    p: Period,
    monthly: bool,
    names: dict[str, str],
) -> tuple[list[DisciplineRow], QuarterState | None]:
    """Section II: each unit's report of a general period, or for a month of a quarterly year
    (which has no report of its own) where the enclosing quarter's reports stand."""
    if not monthly:
        discipline = _discipline(
            db_session=db_session, actor=actor, clock=clock, plan=plan, p=p, names=names
        )
        return discipline, None
    quarter = quarter_state(
        db_session=db_session,
        actor=actor,
        clock=clock,
        plan=plan_row,
        quarter=p.parent(Granularity.QUARTER),
        names=names,
    )
    return [], quarter


def _tasks(*, db_session: Session, plan: str | None, monthly: bool) -> list[AssignmentRead]:
    """The active tasks reported on: in a month of a quarterly year only the monthly ones."""
    tasks, _ = plan_service.list_assignments(
        db_session=db_session,
        filters=plan_service.AssignmentFilters(
            plan=plan, active=True, cadence=TaskCadence.MONTHLY.value if monthly else None
        ),
        limit=10_000,
        offset=0,
    )
    return tasks


def build(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    period: str | None,
    plan: str | None = None,
    basis: Basis = "all",
) -> ConsolidatedData:
    """The report's content for one period, from the data as it stands now.

    ``basis="approved"`` (a final report) scores only units whose report is approved; in a month
    of a quarterly year only the monthly tasks are reported on and ranked.
    """
    authorize(actor, Permission.READ_ALL)
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    summary = score_service.ward_summary(
        db_session=db_session, actor=actor, clock=clock, period=period, plan=plan, basis=basis
    )
    p = Period.parse(summary.period)
    monthly = not plan_service.calendar_for(plan_row).is_regular(p)
    previous = _previous(
        db_session=db_session, actor=actor, clock=clock, plan=plan, p=p, basis=basis
    )
    every_unit = db_session.exec(select(Unit)).all()
    names = {u.code: u.short_name or u.name for u in every_unit}
    full_names = {u.code: u.name for u in every_unit}
    reports = _unit_reports(db_session=db_session, actor=actor, plan=plan, p=p, names=names)
    tasks = _tasks(db_session=db_session, plan=plan, monthly=monthly)
    lead_names = {
        code: names.get(code, code) for code in {t.lead_unit for t in tasks if t.lead_unit}
    }
    kpis = _kpis(summary, previous)
    areas = _areas(
        db_session=db_session,
        summary=summary,
        tasks=tasks,
        reports=reports,
        lead_names=lead_names,
        kpis=kpis,
        monthly=monthly,
    )
    discipline, quarter = _reporting_state(
        db_session=db_session,
        actor=actor,
        clock=clock,
        plan_row=plan_row,
        plan=plan,
        p=p,
        monthly=monthly,
        names=full_names,
    )
    return ConsolidatedData(
        plan_number=plan_row.number,
        plan_title=plan_row.title,
        plan_issued=plan_row.issued_date,
        issuer_name=_issuer_name(db_session=db_session, plan=plan_row),
        period=str(p),
        period_label=p.label_vi,
        next_period_label=p.next().label_vi,
        report_date=clock.now().astimezone(VIETNAM_TZ).date(),
        config=config_for(db_session=db_session, plan=plan_row),
        summary=summary,
        areas=areas,
        kpis=kpis,
        discipline=discipline,
        difficulties=reports.difficulties,
        proposals=reports.proposals,
        priorities=_priorities(
            summary=summary, tasks=tasks, reports=reports, lead_names=lead_names, p=p
        ),
        basis=basis,
        monthly=monthly,
        quarter=quarter,
        registers=register_report.sections(
            db_session=db_session, actor=actor, clock=clock, period=str(p)
        ),
    )
