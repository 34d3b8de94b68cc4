"""Everything the consolidated report says, gathered once, so docx, xlsx and HTML cannot differ.

The KPI figures, area scores and rankings are the scores service's own answer for the period
(``app.scores.service.ward_summary``): the report and ``GET /api/v1/scores`` agree by construction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, select

from app.accounts.permissions import Permission, authorize
from app.actors import Actor
from app.clock import VIETNAM_TZ, Clock
from app.periods import Period
from app.plans import service as plan_service
from app.plans.models import Plan
from app.progress import service as progress_service
from app.reporting import service as reporting_service
from app.reporting.models import SubmissionStatus, Timeliness
from app.reports.labels import in_sentence
from app.reports.models import DEFAULT_RECIPIENTS, ReportConfig, ReportConfigRead
from app.scores import service as score_service
from app.scores.schemas import IndicatorScore, ScoreSummary
from app.textsort import vi_sort_key
from app.units.models import Unit

PROGRESS_LABELS = {
    "not_started": "Chưa thực hiện",
    "in_progress": "Đang thực hiện",
    "done": "Đã hoàn thành",
    "not_applicable": "Không áp dụng",
}


class UnitReport(BaseModel):
    unit: str
    unit_name: str
    status: str
    status_label: str
    percent: int | None
    result: str


class TaskSection(BaseModel):
    code: str
    text: str
    lead_unit_name: str
    reports: list[UnitReport]


class DomainRow(BaseModel):
    """One domain (lĩnh vực TTHC) of an indicator tracked per domain, with its own target."""

    domain: str
    domain_name: str
    value: float
    comparator: str
    target: float
    met: bool
    light: str


class KpiRow(BaseModel):
    code: str
    name: str
    area: str
    area_name: str
    measure: str
    comparator: str
    target: float
    value: float | None
    previous: float | None
    change: float | None
    met: bool | None
    light: str
    worst_domain: str | None
    worst_domain_name: str | None
    domains: list[DomainRow]


class AreaSection(BaseModel):
    code: str
    section: str
    name: str
    percent: float | None
    tasks: list[TaskSection]
    kpis: list[KpiRow]


class DisciplineRow(BaseModel):
    unit: str
    unit_name: str
    state: str  # on_time, late, missing, not_due
    status: str
    submitted_at: datetime | None
    due_date: date


class Note(BaseModel):
    unit_name: str
    task: str
    text: str


class Priority(BaseModel):
    code: str
    text: str
    due_date: date | None
    lead_unit_name: str
    overdue: bool


class ConsolidatedData(BaseModel):
    plan_number: str
    plan_title: str
    plan_issued: date
    issuer_name: str
    period: str
    period_label: str
    next_period_label: str
    report_date: date
    config: ReportConfigRead
    summary: ScoreSummary
    areas: list[AreaSection]
    kpis: list[KpiRow]
    discipline: list[DisciplineRow]
    difficulties: list[Note]
    proposals: list[Note]
    priorities: list[Priority]

    @property
    def subject(self) -> str:
        return (
            f"Kết quả thực hiện Kế hoạch số {self.plan_number} ngày "
            f"{self.plan_issued:%d/%m/%Y} của {self.issuer_name}, {in_sentence(self.period_label)}"
        )

    def discipline_of(self, state: str) -> list[DisciplineRow]:
        return [row for row in self.discipline if row.state == state]


def _issuer_name(*, db_session: Session, plan: Plan) -> str:
    issuer = db_session.get(Unit, plan.issuer_unit_id) if plan.issuer_unit_id else None
    return issuer.name if issuer else "Ủy ban nhân dân phường"


def config_for(*, db_session: Session, plan: Plan) -> ReportConfigRead:
    """The plan's report settings, or the defaults Phú Định uses (Decree 30/2020 layout)."""
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
        place="Phú Định",
        signer_title="TRƯỞNG PHÒNG",
        signer_name="",
        recipients=list(DEFAULT_RECIPIENTS),
        version=0,
    )


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
            )
        )
    return rows


def build(
    *, db_session: Session, actor: Actor, clock: Clock, period: str | None, plan: str | None = None
) -> ConsolidatedData:
    """The report's content for one period, from the data as it stands now."""
    authorize(actor, Permission.READ_ALL)
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    summary = score_service.ward_summary(
        db_session=db_session, actor=actor, clock=clock, period=period, plan=plan
    )
    p = Period.parse(summary.period)
    calendar = plan_service.calendar_for(plan_row)
    before = calendar.previous(p)
    previous = (
        score_service.ward_summary(
            db_session=db_session, actor=actor, clock=clock, period=str(before), plan=plan
        )
        if before is not None
        else None
    )
    every_unit = db_session.exec(select(Unit)).all()
    names = {u.code: u.short_name or u.name for u in every_unit}
    full_names = {u.code: u.name for u in every_unit}
    updates, _ = progress_service.list_progress(
        db_session=db_session,
        actor=actor,
        filters=progress_service.ProgressFilters(plan=plan, period=str(p)),
        limit=100_000,
        offset=0,
    )
    by_task: dict[str, list[UnitReport]] = defaultdict(list)
    difficulties: list[Note] = []
    proposals: list[Note] = []
    for u in updates:
        name = names.get(u.unit, u.unit)
        by_task[u.assignment].append(
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
            difficulties.append(
                Note(unit_name=name, task=u.assignment, text=u.difficulties.strip())
            )
        if u.proposals.strip():
            proposals.append(Note(unit_name=name, task=u.assignment, text=u.proposals.strip()))
    tasks, _ = plan_service.list_assignments(
        db_session=db_session,
        filters=plan_service.AssignmentFilters(plan=plan, active=True),
        limit=10_000,
        offset=0,
    )
    lead_names = {
        code: names.get(code, code) for code in {t.lead_unit for t in tasks if t.lead_unit}
    }
    kpis = _kpis(summary, previous)
    area_percent = {a.code: a.percent for a in summary.areas}
    areas = []
    for area in plan_service.list_areas(db_session=db_session):
        sections = [
            TaskSection(
                code=t.code,
                text=t.text,
                lead_unit_name=lead_names.get(t.lead_unit or "", "Mọi đơn vị"),
                reports=sorted(by_task.get(t.code, []), key=lambda r: vi_sort_key(r.unit_name)),
            )
            for t in tasks
            if t.area == area.code
        ]
        areas.append(
            AreaSection(
                code=area.code,
                section=area.section,
                name=area.name,
                percent=area_percent.get(area.code),
                tasks=sections,
                kpis=[k for k in kpis if k.area == area.code],
            )
        )
    submissions, _ = reporting_service.list_submissions(
        db_session=db_session,
        actor=actor,
        clock=clock,
        filters=reporting_service.SubmissionFilters(plan=plan, period=str(p)),
        limit=10_000,
    )
    discipline = []
    for s in submissions:
        state = s.timeliness.value
        if s.timeliness == Timeliness.MISSING and s.due_date >= clock.today():
            state = "not_due"
        discipline.append(
            DisciplineRow(
                unit=s.unit,
                unit_name=full_names.get(s.unit, s.unit),
                state=state,
                status=s.status,
                submitted_at=s.first_submitted_at,
                due_date=s.due_date,
            )
        )
    discipline.sort(key=lambda r: vi_sort_key(r.unit_name))
    nxt = p.next()
    priorities = [
        Priority(
            code=o.assignment,
            text=o.text,
            due_date=o.due_date,
            lead_unit_name=o.lead_unit_name or "Mọi đơn vị",
            overdue=True,
        )
        for o in summary.overdue
    ]
    for t in tasks:
        if t.due_date and p.end_date < t.due_date <= nxt.end_date:
            reports = by_task.get(t.code, [])
            if not reports or any(r.status != "done" for r in reports):
                priorities.append(
                    Priority(
                        code=t.code,
                        text=t.text,
                        due_date=t.due_date,
                        lead_unit_name=lead_names.get(t.lead_unit or "", "Mọi đơn vị"),
                        overdue=False,
                    )
                )
    return ConsolidatedData(
        plan_number=plan_row.number,
        plan_title=plan_row.title,
        plan_issued=plan_row.issued_date,
        issuer_name=_issuer_name(db_session=db_session, plan=plan_row),
        period=str(p),
        period_label=p.label_vi,
        next_period_label=nxt.label_vi,
        report_date=clock.now().astimezone(VIETNAM_TZ).date(),
        config=config_for(db_session=db_session, plan=plan_row),
        summary=summary,
        areas=areas,
        kpis=kpis,
        discipline=discipline,
        difficulties=difficulties,
        proposals=proposals,
        priorities=priorities,
    )


def is_fully_approved(items: list[object]) -> bool:
    return bool(items) and all(
        getattr(i, "status", None) == SubmissionStatus.APPROVED for i in items
    )
