"""Reading a ward's PAR assessment: the year with its table, items, evidence and the indicator
values its rules read, loaded once per request and shown the same way by pages, API and files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import and_
from sqlmodel import Session, col, select

from app.actors import Actor
from app.clock import Clock
from app.errors import AppError, Invalid, NotFound
from app.par import framework as fw
from app.par.models import (
    EvidenceRef,
    ItemRead,
    ItemStatus,
    ParAssessment,
    ParCriterion,
    ParEvidence,
    ParFramework,
    ParItem,
    ScoredBy,
)
from app.par.rules import propose
from app.periods import PeriodError
from app.permissions import authorize_read
from app.plans import service as plan_service
from app.plans.models import Assignment, Plan
from app.progress.models import PROGRESS_LABELS, ProgressUpdate
from app.submissions.models import STATUS_LABELS as SUBMISSION_LABELS
from app.submissions.models import Submission
from app.units import service as unit_service

API_EVIDENCE = "/api/v1/par-assessments/evidence/{key}"
#: Points are compared with this slack: 2,5 typed is 2.5 stored, not 2.4999….
TOLERANCE = 1e-6


# --- reading -------------------------------------------------------------------------------------


def require_ward(actor: Actor) -> None:
    if actor.ward_id is None:
        raise Invalid.one(
            "ward",
            "ward_required",
            "Hãy chọn phường, xã (thanh trên cùng) để xem hoặc nhập tự đánh giá Chỉ số CCHC.",
        )


def get_assessment(db_session: Session, year: int) -> ParAssessment:
    found = db_session.exec(select(ParAssessment).where(ParAssessment.year == year)).first()
    if found is None:
        raise NotFound(
            f"Phường, xã chưa mở đợt tự đánh giá Chỉ số CCHC năm {year}.",
            code="assessment_not_found",
        )
    return found


def list_assessments(db_session: Session, actor: Actor) -> list[ParAssessment]:
    require_ward(actor)
    return list(db_session.exec(select(ParAssessment).order_by(col(ParAssessment.year).desc())))


@dataclass
class Context:
    """An assessment with everything its items are read against, loaded once."""

    assessment: ParAssessment
    framework: ParFramework
    criteria: dict[int, ParCriterion]
    items: list[ParItem]
    units: dict[int, str]
    evidence: dict[int, list[ParEvidence]] = field(default_factory=dict)
    values: dict[str, tuple[float, str]] = field(default_factory=dict)
    #: Evidencing task code → its latest update and report state in the year.
    tasks: dict[str, TaskState] = field(default_factory=dict)

    def criterion(self, item: ParItem) -> ParCriterion:
        return self.criteria[item.criterion_id]

    def item(self, code: str) -> ParItem:
        for item in self.items:
            if self.criteria[item.criterion_id].code == code:
                return item
        raise NotFound(
            f"Đợt tự đánh giá năm {self.assessment.year} không có tiêu chí chấm điểm {code}.",
            code="criterion_not_found",
        )


def _indicator_values(
    db_session: Session, clock: Clock, plan: Plan | None, year: int, codes: set[str]
) -> dict[str, tuple[float, str]]:
    """Each indicator's latest value in the year (the newest period of the plan that has one),
    with that period's label: what a rule proposes points from. From the same kept computation
    as the dashboard, so the proposal and the dashboard never disagree."""
    if plan is None or not codes:
        return {}
    from app.scores import service as score_service

    today = clock.today()
    until = min(today, today.replace(year=year, month=12, day=31))
    try:  # a plan whose reporting rules do not make a calendar proposes nothing
        calendar = plan_service.calendar_for(plan)
        periods = [p for p in calendar.periods(until=until) if p.year == year]
    except PeriodError:
        return {}
    found: dict[str, tuple[float, str]] = {}
    for period in reversed(periods[-12:]):
        try:
            summary = score_service.plan_summary(
                db_session=db_session, clock=clock, plan=plan, period=str(period)
            )
        except AppError:
            continue
        for indicator in summary.indicators:
            if (
                indicator.code in codes
                and indicator.code not in found
                and indicator.value is not None
            ):
                found[indicator.code] = (indicator.value, summary.period_label)
        if codes <= found.keys():
            break
    return found


def plan_of(db_session: Session, assessment: ParAssessment) -> Plan | None:
    if not assessment.plan_code:
        return None
    return db_session.exec(select(Plan).where(Plan.code == assessment.plan_code)).first()


def load(db_session: Session, clock: Clock, year: int, *, with_values: bool = True) -> Context:
    assessment = get_assessment(db_session, year)
    framework = db_session.get(ParFramework, assessment.framework_id)
    assert framework is not None and framework.id is not None and assessment.id is not None
    criteria = {c.id: c for c in fw.criteria_of(db_session, framework.id) if c.id is not None}
    items = list(db_session.exec(select(ParItem).where(ParItem.assessment_id == assessment.id)))
    items.sort(key=lambda i: criteria[i.criterion_id].sort_key)
    units = unit_service.codes_by_id(
        db_session=db_session, ids=[i.responsible_unit_id for i in items]
    )
    ctx = Context(assessment, framework, criteria, items, units)
    item_ids = [i.id for i in items if i.id is not None]
    if item_ids:
        for ev in db_session.exec(
            select(ParEvidence)
            .where(col(ParEvidence.item_id).in_(item_ids))
            .order_by(col(ParEvidence.id))
        ):
            ctx.evidence.setdefault(ev.item_id, []).append(ev)
    task_codes = {e.task_code for evs in ctx.evidence.values() for e in evs if e.task_code}
    ctx.tasks = task_states(db_session, plan_of(db_session, assessment), year, task_codes)
    if with_values:
        codes = {criteria[i.criterion_id].indicator_code for i in items} - {""}
        ctx.values = _indicator_values(
            db_session, clock, plan_of(db_session, assessment), year, codes
        )
    return ctx


class TaskState(NamedTuple):
    text: str
    #: The latest update's report is approved: the task is evidence the city can rely on.
    approved: bool


def task_states(
    db_session: Session, plan: Plan | None, year: int, codes: set[str]
) -> dict[str, TaskState]:
    """Each evidencing task's latest update in the year, with its report's review state: the
    reviewer sees at a glance whether the task's work is there and approved."""
    if plan is None or not codes:
        return {}
    rows = db_session.exec(
        select(Assignment.code, ProgressUpdate, Submission.status)
        .join(ProgressUpdate, col(ProgressUpdate.assignment_id) == Assignment.id)
        .outerjoin(
            Submission,
            and_(
                col(Submission.plan_id) == Assignment.plan_id,
                col(Submission.unit_id) == ProgressUpdate.unit_id,
                col(Submission.period) == ProgressUpdate.period,
            ),
        )
        .where(
            Assignment.plan_id == plan.id,
            col(Assignment.code).in_(codes),
            col(ProgressUpdate.period_start) >= date(year, 1, 1),
            col(ProgressUpdate.period_start) <= date(year, 12, 31),
        )
        .order_by(col(ProgressUpdate.period_start))
    ).all()
    found: dict[str, TaskState] = {}
    for code, update, state in rows:
        percent = f" {update.percent_complete}%" if update.percent_complete is not None else ""
        report = SUBMISSION_LABELS.get(state or "", "chưa gửi")
        found[code] = TaskState(
            f"kỳ {update.period}: {PROGRESS_LABELS.get(update.status, update.status)}{percent}"
            f" · báo cáo: {report.lower()}",
            state == "approved",
        )
    return found


def evidence_ref(ev: ParEvidence, states: dict[str, TaskState] | None = None) -> EvidenceRef:
    state = (states or {}).get(ev.task_code)
    return EvidenceRef(
        key=ev.public_key,
        kind=ev.kind,
        filename=ev.filename,
        url=ev.url,
        task=ev.task_code,
        note=ev.note,
        size=ev.size,
        added_by=ev.added_by,
        created_at=ev.created_at,
        task_state=(state.text if state else "Chưa có cập nhật trong năm.")
        if ev.kind == "task"
        else "",
        download_url=API_EVIDENCE.format(key=ev.public_key) if ev.kind == "file" else "",
    )


def rule_proposal(ctx: Context, item: ParItem) -> tuple[float | None, str]:
    criterion = ctx.criterion(item)
    if not criterion.rule or not criterion.indicator_code:
        return None, ""
    value = ctx.values.get(criterion.indicator_code)
    proposal = propose(
        bands=criterion.rule,
        value=value[0] if value else None,
        max_points=criterion.max_points,
        indicator=criterion.indicator_code,
    )
    text = proposal.explanation + (f" ({value[1]})" if value else "")
    return proposal.points, text


def evidence_missing(ctx: Context, item: ParItem) -> bool:
    """A self-scored criterion with neither evidence nor the explanation of its absence."""
    if not item.applicable or ctx.criterion(item).scored_by == ScoredBy.SURVEY:
        return False
    return not ctx.evidence.get(item.id or 0) and not item.reason.strip()


def evidence_weak(ctx: Context, item: ParItem) -> bool:
    """Evidence that is only plan tasks whose reports are not approved: it may not convince the
    city's appraisal, so it is listed beside the missing evidence."""
    found = ctx.evidence.get(item.id or 0, [])
    if not found or any(e.kind != "task" for e in found):
        return False
    return not any(ctx.tasks.get(e.task_code, TaskState("", False)).approved for e in found)


def item_read(ctx: Context, item: ParItem) -> ItemRead:
    criterion = ctx.criterion(item)
    rule_points, rule_text = rule_proposal(ctx, item)
    return ItemRead(
        criterion=criterion.code,
        title=criterion.title,
        area=criterion.area_code,
        max_points=criterion.max_points,
        method=criterion.method,
        evidence_required=criterion.evidence,
        scored_by=ScoredBy(criterion.scored_by),
        applicable=item.applicable,
        responsible_unit=ctx.units.get(item.responsible_unit_id or 0),
        tasks=list(item.task_codes),
        status=ItemStatus(item.status),
        rule_points=rule_points,
        rule_explanation=rule_text,
        proposed_points=item.proposed_points,
        proposal_note=item.proposal_note,
        reason=item.reason,
        self_points=item.self_points,
        review_comment=item.review_comment,
        appraised_points=item.appraised_points,
        appraisal_comment=item.appraisal_comment,
        evidence=[evidence_ref(e, ctx.tasks) for e in ctx.evidence.get(item.id or 0, [])],
        evidence_missing=evidence_missing(ctx, item),
        evidence_weak=evidence_weak(ctx, item),
        version=item.version,
    )


def list_items(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    unit: str | None = None,
    area: str | None = None,
    missing: bool = False,
) -> list[ItemRead]:
    """The year's criteria; a unit's officer sees its own unit's, the office every unit's."""
    require_ward(actor)
    unit = authorize_read(actor, unit)
    ctx = load(db_session, clock, year)
    out = []
    for item in ctx.items:
        read = item_read(ctx, item)
        if unit is not None and read.responsible_unit != unit:
            continue
        if area is not None and read.area != area:
            continue
        if missing and not (read.evidence_missing or read.evidence_weak):
            continue
        out.append(read)
    return out


def read_item(
    *, db_session: Session, actor: Actor, clock: Clock, year: int, criterion: str
) -> ItemRead:
    require_ward(actor)
    ctx = load(db_session, clock, year)
    item = ctx.item(criterion)
    authorize_read(actor, ctx.units.get(item.responsible_unit_id or 0))
    return item_read(ctx, item)
