"""Everything the consolidated report says, gathered once, so docx, xlsx and HTML cannot differ.

The KPI figures, area scores and rankings are the scores service's own answer for the period
(``app.scores.service.ward_summary``): the report and ``GET /api/v1/scores`` agree by construction,
and every figure carries the review state of the data behind it. A draft report is built on
everything entered (``basis="all"``); a final one only on approved reports (``basis="approved"``).

A month of a quarterly year (2026) is the coordinator's report to the committee's monthly meeting:
only the tasks the plan marks monthly, the month's KPIs, and where the quarter's reports stand.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, select

from app.accounts.permissions import Permission, authorize
from app.actors import Actor
from app.clock import VIETNAM_TZ, Clock
from app.periods import Granularity, Period
from app.plans import service as plan_service
from app.plans.models import Plan, TaskCadence
from app.progress import service as progress_service
from app.reporting import service as reporting_service
from app.reporting.models import SubmissionStatus, Timeliness
from app.reports.labels import in_sentence
from app.reports.models import DEFAULT_RECIPIENTS, ReportConfig, ReportConfigRead
from app.reports.monthly import QuarterState, quarter_state
from app.scores import service as score_service
from app.scores.schemas import Basis, IndicatorScore, ScoreSummary
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
    #: Weakest review state of the readings behind the value ("none": no data).
    data_state: str = "none"


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
    #: Which data the figures are computed from; versions frozen before it existed used "all".
    basis: Basis = "all"
    #: A month of a quarterly year: the report to the committee's monthly meeting.
    monthly: bool = False
    #: For a monthly report, the quarterly reports of the enclosing quarter.
    quarter: QuarterState | None = None

    @property
    def subject(self) -> str:
        plan = f"Kế hoạch số {self.plan_number} ngày {self.plan_issued:%d/%m/%Y}"
        if self.monthly:
            return (
                f"Tiến độ thực hiện {plan} của {self.issuer_name} {in_sentence(self.period_label)}"
            )
        return f"Kết quả thực hiện {plan} của {self.issuer_name}, {in_sentence(self.period_label)}"

    @property
    def meeting_note(self) -> str:
        """Under a monthly report's subject: the meeting it is written for (Plan 84, III.2)."""
        if not self.monthly:
            return ""
        return "(Báo cáo tại cuộc họp thường kỳ hằng tháng của Ủy ban nhân dân phường)"

    @property
    def intro(self) -> str:
        head = self.summary.headline
        label = in_sentence(self.period_label)
        start = f"Thực hiện Kế hoạch số {self.plan_number}, Phòng Văn hóa - Xã hội tổng hợp "
        if self.monthly:
            return (
                f"{start}tiến độ thực hiện các nhiệm vụ định kỳ hằng tháng và các chỉ tiêu "
                f"{label} của các cơ quan, đơn vị như sau: "
                f"{head.targets_met}/{head.targets_total} chỉ tiêu đạt "
                f"({head.targets_with_data} chỉ tiêu có số liệu trong tháng); "
                f"{head.overdue_tasks} nhiệm vụ quá hạn."
            )
        return (
            f"{start}kết quả thực hiện {label} của các cơ quan, đơn vị như sau: "
            f"{head.targets_met}/{head.targets_total} chỉ tiêu đạt; "
            f"{head.units_on_time}/{head.units_expected} đơn vị gửi báo cáo đúng hạn; "
            f"{head.overdue_tasks} nhiệm vụ quá hạn."
        )

    def _review_counts(self) -> tuple[int, int, int]:
        """Units expected, approved, awaiting review. A month of a quarterly year has no report
        of its own: its data are sent and reviewed with the quarter's report, so they count."""
        if self.quarter is not None:
            q = self.quarter
            return len(q.rows), len(q.of("approved")), len(q.of("submitted"))
        head = self.summary.headline
        return head.units_expected, head.units_approved, head.units_submitted

    @property
    def basis_note(self) -> str:
        """What the figures rest on, at the top of section I: a reader must know before reading
        a score whether it may still change."""
        total, approved, submitted = self._review_counts()
        if self.basis == "approved":
            note = "Chỉ tính báo cáo đã được duyệt: " + (
                f"số liệu của cả {total}/{total} đơn vị đã được duyệt."
                if approved == total
                else f"số liệu của {approved}/{total} đơn vị; {total - approved} đơn vị chưa "
                "được duyệt không được tính điểm, xếp hạng."
            )
        elif approved == total:
            note = f"Số liệu của cả {total}/{total} đơn vị đã được duyệt."
        else:
            rest = [f"{submitted} đơn vị chờ duyệt"] if submitted else []
            if total - approved - submitted:
                rest.append(f"{total - approved - submitted} đơn vị chưa gửi báo cáo")
            note = (
                f"Số liệu của {approved}/{total} đơn vị đã được duyệt; {', '.join(rest)}"
                " — điểm có thể thay đổi."
            )
        if self.quarter is not None:
            label = in_sentence(self.quarter.period_label)
            note += f" Số liệu tháng được gửi và duyệt cùng báo cáo {label}."
        return note

    @property
    def scope_note(self) -> str:
        """A monthly ranking is not the quarter's: it covers the monthly tasks only."""
        if not self.monthly:
            return ""
        return (
            "Điểm, xếp hạng tháng chỉ tính các nhiệm vụ định kỳ hằng tháng và chỉ tiêu có số "
            "liệu trong tháng; kết quả chung được đánh giá theo báo cáo quý."
        )

    @property
    def results_title(self) -> str:
        if self.monthly:
            return "I. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ ĐỊNH KỲ HẰNG THÁNG"
        return "I. KẾT QUẢ THỰC HIỆN THEO LĨNH VỰC"

    @property
    def reports_title(self) -> str:
        if self.quarter is not None:
            return f"II. TÌNH HÌNH GỬI BÁO CÁO {self.quarter.period_label.upper()}"
        return "II. TÌNH HÌNH GỬI BÁO CÁO"

    @property
    def ranking_title(self) -> str:
        if self.monthly:
            return "Bảng 2. Xếp loại các đơn vị (chỉ tính nhiệm vụ định kỳ hằng tháng)"
        return "Bảng 2. Xếp loại các đơn vị"

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
    calendar = plan_service.calendar_for(plan_row)
    monthly = not calendar.is_regular(p)
    previous = _previous(
        db_session=db_session, actor=actor, clock=clock, plan=plan, p=p, basis=basis
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
        filters=plan_service.AssignmentFilters(
            plan=plan, active=True, cadence=TaskCadence.MONTHLY.value if monthly else None
        ),
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
    if monthly:
        discipline: list[DisciplineRow] = []
        quarter = quarter_state(
            db_session=db_session,
            actor=actor,
            clock=clock,
            plan=plan_row,
            quarter=p.parent(Granularity.QUARTER),
            names=full_names,
        )
    else:
        discipline = _discipline(
            db_session=db_session, actor=actor, clock=clock, plan=plan, p=p, names=full_names
        )
        quarter = None
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
        basis=basis,
        monthly=monthly,
        quarter=quarter,
    )


def is_fully_approved(items: list[object]) -> bool:
    return bool(items) and all(
        getattr(i, "status", None) == SubmissionStatus.APPROVED for i in items
    )
