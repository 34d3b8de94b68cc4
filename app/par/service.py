"""A ward's PAR Index self-assessment of one year: the one service of its pages, API and imports.

The round, as Plan 84 section III.1 and the city's method run it:

1. the coordinator opens the year (one item per scored criterion, each with a responsible unit
   and the plan tasks that earn it, guessed from the plan and editable);
2. the responsible unit proposes points with evidence (files, links, or plan tasks whose updates
   and approved reports are the evidence); where the criterion has a rule, its indicator's value
   proposes the points, and other points need a reason; a criterion without evidence needs an
   explanation, and is listed as missing all year long, not only in December;
3. the coordinator accepts (compiling the ward's self-score) or returns with a comment — never
   for its own unit (segregation of duties, as with reports);
4. the self-score goes to the city; its appraisal (and the survey's points) come back, typed or
   imported, per criterion; the index is computed as appraised points over the maximum of the
   applicable criteria × 100, and every gap between self and appraised points is shown.

Every write is authorised here, audited, and optimistic (``version``): two officers editing the
same criterion never overwrite each other silently.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import AppError, Conflict, FieldError, Forbidden, Invalid, NotFound
from app.formatting import format_number
from app.par import framework as fw
from app.par.models import (
    AppraisalRow,
    AreaResult,
    AssessmentCreate,
    AssessmentRead,
    AssessmentStatus,
    EvidenceRef,
    IndexResult,
    ItemRead,
    ItemSettings,
    ItemStatus,
    Opportunity,
    ParAssessment,
    ParCriterion,
    ParEvidence,
    ParFramework,
    ParItem,
    ProposalWrite,
    PublishedResult,
    ReviewWrite,
    ScoredBy,
    YearGap,
)
from app.par.rules import propose
from app.permissions import Permission, Role, authorize, authorize_read, can
from app.plans import service as plan_service
from app.plans.models import Assignment, Plan
from app.progress.evidence import files
from app.progress.evidence.models import EvidenceLinkCreate
from app.progress.evidence.service import EvidenceLimits, checked_kind, spooled
from app.progress.evidence.store import EvidenceStore, EvidenceStoreUnavailable
from app.units import service as unit_service
from app.uploads.bulk import ImportOptions, ImportResult, Outcome, run_import
from app.uploads.files import Upload

API_EVIDENCE = "/api/v1/par-assessments/evidence/{key}"
MAX_EVIDENCE_PER_ITEM = 30
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

    calendar = plan_service.calendar_for(plan)
    today = clock.today()
    until = min(today, today.replace(year=year, month=12, day=31))
    try:
        periods = [p for p in calendar.periods(until=until) if p.year == year]
    except Exception:
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


def _plan_of(db_session: Session, assessment: ParAssessment) -> Plan | None:
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
    if with_values:
        codes = {criteria[i.criterion_id].indicator_code for i in items} - {""}
        ctx.values = _indicator_values(
            db_session, clock, _plan_of(db_session, assessment), year, codes
        )
    return ctx


def _evidence_ref(ev: ParEvidence) -> EvidenceRef:
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
        download_url=API_EVIDENCE.format(key=ev.public_key) if ev.kind == "file" else "",
    )


def _rule(ctx: Context, item: ParItem) -> tuple[float | None, str]:
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


def item_read(ctx: Context, item: ParItem) -> ItemRead:
    criterion = ctx.criterion(item)
    rule_points, rule_text = _rule(ctx, item)
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
        evidence=[_evidence_ref(e) for e in ctx.evidence.get(item.id or 0, [])],
        evidence_missing=evidence_missing(ctx, item),
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
        if missing and not read.evidence_missing:
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


def _index(points: float, maximum: float, *, what: str) -> IndexResult:
    if maximum <= 0:
        return IndexResult(value=None, points=points, max_points=maximum, formula="")
    value = round(points / maximum * 100, 2)
    return IndexResult(
        value=value,
        points=round(points, 4),
        max_points=round(maximum, 4),
        formula=f"{what}: {format_number(points)} / {format_number(maximum)} × 100 = "
        f"{format_number(value, 2)}",
    )


def summarise(ctx: Context) -> AssessmentRead:
    """The two indices and every area's points: each number says how it was computed."""
    applicable = [i for i in ctx.items if i.applicable]
    maximum = sum(ctx.criterion(i).max_points for i in applicable)
    self_points = sum(i.self_points or 0 for i in applicable)
    appraised = [i for i in applicable if i.appraised_points is not None]
    appraised_points = sum(i.appraised_points or 0 for i in appraised)
    top = {c.code: c for c in ctx.criteria.values() if c.level == 1}
    areas: list[AreaResult] = []
    for code, area in sorted(top.items(), key=lambda kv: kv[1].sort_key):
        mine = [i for i in applicable if ctx.criterion(i).code.split(".")[0] == code]
        got = [i for i in mine if i.appraised_points is not None]
        a_self = round(sum(i.self_points or 0 for i in mine), 4)
        a_appr = round(sum(i.appraised_points or 0 for i in got), 4) if got else None
        areas.append(
            AreaResult(
                code=code,
                title=area.title,
                max_points=round(sum(ctx.criterion(i).max_points for i in mine), 4),
                self_points=a_self,
                appraised_points=a_appr,
                gap=round(a_appr - a_self, 4) if a_appr is not None else None,
            )
        )
    a = ctx.assessment
    return AssessmentRead(
        year=a.year,
        framework=ctx.framework.code,
        framework_official=ctx.framework.official,
        plan=a.plan_code,
        status=AssessmentStatus(a.status),
        items=len(applicable),
        proposed=sum(1 for i in applicable if i.proposed_points is not None),
        accepted=sum(1 for i in applicable if i.status == ItemStatus.ACCEPTED),
        evidence_missing=sum(1 for i in applicable if evidence_missing(ctx, i)),
        self_index=_index(self_points, maximum, what="Điểm tự đánh giá"),
        appraised_index=_index(appraised_points, maximum, what="Điểm thẩm định")
        if appraised
        else IndexResult(value=None, points=0, max_points=round(maximum, 4), formula=""),
        published_index=a.published_index,
        published_rank=a.published_rank,
        published_of=a.published_of,
        areas=areas,
        version=a.version,
    )


def assessment_summary(
    *, db_session: Session, actor: Actor, clock: Clock, year: int
) -> AssessmentRead:
    require_ward(actor)
    return summarise(load(db_session, clock, year, with_values=False))


def opportunities(
    *, db_session: Session, actor: Actor, clock: Clock, year: int
) -> list[Opportunity]:
    """Where the points are: criteria by points still obtainable, most first — the plan's "how
    do we raise the index" answered from data. The best-known points count: appraised, else
    compiled, else proposed, else none."""
    require_ward(actor)
    ctx = load(db_session, clock, year, with_values=False)
    out = []
    for item in ctx.items:
        if not item.applicable:
            continue
        criterion = ctx.criterion(item)
        source, current = next(
            (name, float(points))
            for name, points in (
                ("appraised", item.appraised_points),
                ("self", item.self_points),
                ("proposed", item.proposed_points),
                ("none", 0.0),
            )
            if points is not None
        )
        out.append(
            Opportunity(
                criterion=criterion.code,
                title=criterion.title,
                area=criterion.area_code,
                max_points=criterion.max_points,
                current_points=current,
                current_source=source,
                obtainable=round(max(criterion.max_points - current, 0), 4),
                responsible_unit=ctx.units.get(item.responsible_unit_id or 0),
                tasks=list(item.task_codes),
                evidence_missing=evidence_missing(ctx, item),
            )
        )
    out.sort(key=lambda o: (-o.obtainable, fw.sort_key(o.criterion)))
    return out


def year_gaps(*, db_session: Session, actor: Actor) -> list[YearGap]:
    """Self and appraised points per criterion code, year over year (codes match across the
    city's tables of different years when the city keeps them)."""
    require_ward(actor)
    rows: dict[str, YearGap] = {}
    for assessment in db_session.exec(select(ParAssessment).order_by(col(ParAssessment.year))):
        criteria = {c.id: c for c in fw.criteria_of(db_session, assessment.framework_id)}
        for item in db_session.exec(select(ParItem).where(ParItem.assessment_id == assessment.id)):
            c = criteria[item.criterion_id]
            gap = rows.setdefault(c.code, YearGap(criterion=c.code, title=c.title, years={}))
            gap.years[assessment.year] = (item.self_points, item.appraised_points)
    return sorted(rows.values(), key=lambda g: fw.sort_key(g.criterion))


# --- opening a year ------------------------------------------------------------------------------


def _defaults(db_session: Session, plan: Plan | None) -> dict[str, tuple[int | None, list[str]]]:
    """Per PAR area: the unit leading most of the plan's tasks there, and those tasks."""
    if plan is None:
        return {}
    from app.plans.models import Area

    areas = {a.id: a.code for a in db_session.exec(select(Area))}
    tasks = db_session.exec(
        select(Assignment)
        .where(Assignment.plan_id == plan.id, col(Assignment.active).is_(True))
        .order_by(col(Assignment.sort_key))
    ).all()
    counts: dict[str, dict[int, list[str]]] = {}
    for task in tasks:
        if task.lead_unit_id is None:
            continue
        area = areas.get(task.area_id, "")
        counts.setdefault(area, {}).setdefault(task.lead_unit_id, []).append(task.code)
    out: dict[str, tuple[int | None, list[str]]] = {}
    for area, by_unit in counts.items():
        unit_id, codes = max(by_unit.items(), key=lambda kv: len(kv[1]))
        out[area] = (unit_id, codes[:10])
    out[""] = (plan.coordinator_unit_id, [])
    return out


def create_assessment(
    *, db_session: Session, actor: Actor, clock: Clock, data: AssessmentCreate
) -> AssessmentRead:
    """Open the ward's round for a year: one item per scored criterion of the year's table."""
    require_ward(actor)
    authorize(actor, Permission.REVIEW)
    table = (
        fw.get_framework(db_session, data.framework)
        if data.framework
        else fw.framework_for_year(db_session, data.year)
    )
    plan: Plan | None
    try:
        plan = plan_service.get_plan(db_session=db_session, code=data.plan)
    except AppError:
        if data.plan:
            raise
        plan = None
    now = clock.now()
    assessment = ParAssessment(
        year=data.year,
        framework_id=table.id or 0,
        plan_code=plan.code if plan else "",
        created_by=actor.username,
        created_at=now,
        updated_at=now,
    )
    db_session.add(assessment)
    try:
        db_session.flush()
    except IntegrityError as exc:
        db_session.rollback()
        raise Conflict(f"Năm {data.year} đã có đợt tự đánh giá.", code="assessment_exists") from exc
    assert assessment.id is not None and table.id is not None
    defaults = _defaults(db_session, plan)
    fallback = defaults.get("", (None, []))
    for criterion in fw.leaves(fw.criteria_of(db_session, table.id)):
        unit_id, tasks = defaults.get(criterion.area_code, fallback)
        db_session.add(
            ParItem(
                assessment_id=assessment.id,
                criterion_id=criterion.id or 0,
                responsible_unit_id=unit_id,
                task_codes=tasks,
                updated_at=now,
            )
        )
    audit.record(
        db_session=db_session,
        actor=actor,
        clock=clock,
        action=AuditAction.CREATE,
        entity="par_assessment",
        key=str(data.year),
        after={"year": data.year, "framework": table.code, "plan": assessment.plan_code},
    )
    try:
        db_session.commit()
    except IntegrityError as exc:
        db_session.rollback()
        raise Conflict(f"Năm {data.year} đã có đợt tự đánh giá.", code="assessment_exists") from exc
    return summarise(load(db_session, clock, data.year, with_values=False))


# --- writes on one item --------------------------------------------------------------------------


def _check_version(item: ParItem, version: int | None, code: str) -> None:
    if version is not None and version != item.version:
        raise Conflict(
            f"Tiêu chí {code} vừa được người khác cập nhật; hãy tải lại trang để xem thay đổi "
            "rồi ghi lại.",
            code="version_conflict",
            errors=[FieldError("version", "version_conflict", "Phiên bản đã cũ.")],
        )


def _audit_item(
    db_session: Session,
    actor: Actor,
    clock: Clock,
    ctx: Context,
    item: ParItem,
    before: ItemRead,
    action: AuditAction = AuditAction.UPDATE,
) -> ItemRead:
    item.version += 1
    item.updated_by = actor.username
    item.updated_at = clock.now()
    db_session.add(item)
    db_session.flush()
    after = item_read(ctx, item)
    audit.record(
        db_session=db_session,
        actor=actor,
        clock=clock,
        action=action,
        entity="par_item",
        key=f"{ctx.assessment.year}/{ctx.criterion(item).code}",
        before=before,
        after=after,
    )
    db_session.commit()
    return after


def _open(ctx: Context) -> None:
    if ctx.assessment.status != AssessmentStatus.OPEN:
        raise Conflict(
            f"Đợt tự đánh giá năm {ctx.assessment.year} đã gửi Thành phố: không sửa điểm tự "
            "chấm được nữa.",
            code="assessment_closed",
        )


def update_settings(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    criterion: str,
    data: ItemSettings,
) -> ItemRead:
    """Who answers for a criterion, which tasks earn it, whether it applies to the ward."""
    require_ward(actor)
    authorize(actor, Permission.REVIEW)
    ctx = load(db_session, clock, year)
    item = ctx.item(criterion)
    _check_version(item, data.version, criterion)
    before = item_read(ctx, item)
    if data.responsible_unit is not None:
        unit = unit_service.get_by_code(
            db_session=db_session, code=data.responsible_unit, field_name="responsible_unit"
        )
        unit_service.ensure_active(unit)
        item.responsible_unit_id = unit.id
        ctx.units[unit.id or 0] = unit.code
    if data.tasks is not None:
        plan = _plan_of(db_session, ctx.assessment)
        if plan is None and data.tasks:
            raise Invalid.one("tasks", "no_plan", "Đợt đánh giá chưa gắn với kế hoạch nào.")
        if plan is not None and data.tasks:
            known = set(
                db_session.exec(
                    select(Assignment.code).where(
                        Assignment.plan_id == plan.id, col(Assignment.code).in_(data.tasks)
                    )
                )
            )
            unknown = [t for t in data.tasks if t not in known]
            if unknown:
                raise Invalid.one(
                    "tasks",
                    "assignment_not_found",
                    f"Kế hoạch {plan.number} không có nhiệm vụ {', '.join(unknown)}.",
                )
        item.task_codes = list(data.tasks)
    if data.applicable is not None:
        item.applicable = data.applicable
    return _audit_item(db_session, actor, clock, ctx, item, before)


def save_proposal(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    criterion: str,
    data: ProposalWrite,
) -> ItemRead:
    """The responsible unit's points, note and reasons; sent to the coordinator or kept as a
    draft. Points that differ from the rule's proposal, and a criterion without evidence, need
    a reason: the city reads both."""
    require_ward(actor)
    ctx = load(db_session, clock, year)
    item = ctx.item(criterion)
    unit = ctx.units.get(item.responsible_unit_id or 0)
    authorize(actor, Permission.DATA_WRITE, unit_code=unit)
    _open(ctx)
    _check_version(item, data.version, criterion)
    c = ctx.criterion(item)
    if c.scored_by == ScoredBy.SURVEY:
        raise Invalid.one(
            "points",
            "survey_criterion",
            f"Tiêu chí {criterion} do Thành phố chấm qua điều tra xã hội học: không tự chấm.",
        )
    if not item.applicable:
        raise Invalid.one("points", "not_applicable", f"Tiêu chí {criterion} không áp dụng.")
    if item.status == ItemStatus.ACCEPTED:
        raise Conflict(
            f"Tiêu chí {criterion} đã được tổng hợp; hãy đề nghị bộ phận điều phối trả lại nếu "
            "cần sửa.",
            code="item_accepted",
        )
    errors: list[FieldError] = []
    if data.points > c.max_points + TOLERANCE:
        errors.append(
            FieldError(
                "points",
                "above_max",
                f"Điểm đề xuất {format_number(data.points)} vượt điểm tối đa "
                f"{format_number(c.max_points)} của tiêu chí {criterion}.",
            )
        )
    rule_points, rule_text = _rule(ctx, item)
    differs = rule_points is not None and abs(rule_points - data.points) > TOLERANCE
    if differs and not data.reason.strip():
        errors.append(
            FieldError(
                "reason",
                "reason_required",
                f"Điểm khác điểm đề xuất theo chỉ tiêu ({rule_text}): hãy ghi lý do.",
            )
        )
    if data.submit and not ctx.evidence.get(item.id or 0) and not data.reason.strip():
        errors.append(
            FieldError(
                "reason",
                "evidence_or_reason",
                "Tiêu chí chưa có tài liệu kiểm chứng: hãy đính kèm minh chứng, hoặc giải trình "
                "lý do chưa có.",
            )
        )
    if errors:
        raise Invalid(errors, message=errors[0].message)
    before = item_read(ctx, item)
    item.proposed_points = float(data.points)
    item.rule_points = rule_points
    item.proposal_note = data.note
    item.reason = data.reason.strip()
    item.status = ItemStatus.SUBMITTED if data.submit else ItemStatus.DRAFT
    return _audit_item(db_session, actor, clock, ctx, item, before)


def review(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    criterion: str,
    data: ReviewWrite,
) -> ItemRead:
    """Accept (the points enter the ward's self-score) or return with a comment."""
    require_ward(actor)
    authorize(actor, Permission.REVIEW)
    ctx = load(db_session, clock, year)
    item = ctx.item(criterion)
    unit = ctx.units.get(item.responsible_unit_id or 0)
    if unit is not None and actor.unit_code == unit and actor.role != Role.ADMIN:
        raise Forbidden(
            "Không được tự duyệt hoặc trả lại điểm của chính đơn vị mình: việc này do cán bộ "
            "điều phối của đơn vị khác hoặc quản trị hệ thống thực hiện.",
            code="own_unit_review",
        )
    _open(ctx)
    _check_version(item, data.version, criterion)
    if item.status != ItemStatus.SUBMITTED:
        raise Conflict(
            f"Tiêu chí {criterion} chưa được đơn vị gửi đề xuất điểm.", code="not_submitted"
        )
    before = item_read(ctx, item)
    c = ctx.criterion(item)
    if data.decision == "return":
        if not data.comment.strip():
            raise Invalid.one("comment", "required", "Hãy ghi điều đơn vị cần bổ sung khi trả lại.")
        item.status = ItemStatus.RETURNED
    else:
        points = data.points if data.points is not None else item.proposed_points
        if points is None or points > c.max_points + TOLERANCE:
            raise Invalid.one(
                "points",
                "above_max",
                f"Điểm tổng hợp phải từ 0 đến {format_number(c.max_points)}.",
            )
        item.self_points = float(points)
        item.status = ItemStatus.ACCEPTED
    item.review_comment = data.comment.strip()
    return _audit_item(db_session, actor, clock, ctx, item, before)


def reopen_item(
    *, db_session: Session, actor: Actor, clock: Clock, year: int, criterion: str, comment: str
) -> ItemRead:
    """Send an accepted criterion back to its unit (new evidence came in)."""
    require_ward(actor)
    authorize(actor, Permission.REVIEW)
    ctx = load(db_session, clock, year)
    _open(ctx)
    item = ctx.item(criterion)
    if item.status != ItemStatus.ACCEPTED:
        raise Conflict(f"Tiêu chí {criterion} chưa được tổng hợp.", code="not_accepted")
    if not comment.strip():
        raise Invalid.one("comment", "required", "Hãy ghi lý do trả lại.")
    before = item_read(ctx, item)
    item.status = ItemStatus.RETURNED
    item.self_points = None
    item.review_comment = comment.strip()
    return _audit_item(db_session, actor, clock, ctx, item, before)


# --- evidence ------------------------------------------------------------------------------------


def _evidence_target(
    db_session: Session, actor: Actor, clock: Clock, year: int, criterion: str
) -> tuple[Context, ParItem]:
    require_ward(actor)
    ctx = load(db_session, clock, year, with_values=False)
    item = ctx.item(criterion)
    authorize(actor, Permission.DATA_WRITE, unit_code=ctx.units.get(item.responsible_unit_id or 0))
    _open(ctx)
    if len(ctx.evidence.get(item.id or 0, [])) >= MAX_EVIDENCE_PER_ITEM:
        raise Invalid.one(
            "file",
            "too_many_files",
            f"Mỗi tiêu chí có tối đa {MAX_EVIDENCE_PER_ITEM} tài liệu kiểm chứng.",
        )
    return ctx, item


def _add_evidence(
    db_session: Session, actor: Actor, clock: Clock, ctx: Context, item: ParItem, ev: ParEvidence
) -> EvidenceRef:
    db_session.add(ev)
    db_session.flush()
    ref = _evidence_ref(ev)
    audit.record(
        db_session=db_session,
        actor=actor,
        clock=clock,
        action=AuditAction.CREATE,
        entity="par_evidence",
        key=f"{ctx.assessment.year}/{ctx.criterion(item).code}/{ev.public_key}",
        after=ref,
    )
    db_session.commit()
    return ref


def attach_file(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    store: EvidenceStore,
    limits: EvidenceLimits,
    year: int,
    criterion: str,
    stream: IO[bytes],
    filename: str,
    note: str = "",
) -> EvidenceRef:
    """A document (decision, report, photo) as the criterion's evidence; checked like a task's
    evidence: size, kind read from the bytes, the name agreeing with them."""
    ctx, item = _evidence_target(db_session, actor, clock, year, criterion)
    name = files.clean_filename(filename)
    with spooled(stream, limits.max_bytes) as (spool, size, sha256):
        if size == 0:
            raise Invalid.one("file", "file_empty", f"Tệp “{name}” rỗng (0 byte).")
        kind = checked_kind(spool, name, limits)
        storage_key = store.put(spool)
    try:
        return _add_evidence(
            db_session,
            actor,
            clock,
            ctx,
            item,
            ParEvidence(
                public_key=secrets.token_urlsafe(18),
                item_id=item.id or 0,
                kind="file",
                filename=name,
                content_type=kind.content_type,
                size=size,
                sha256=sha256,
                storage_key=storage_key,
                note=files.clean_note(note),
                added_by=actor.username,
                created_at=clock.now(),
            ),
        )
    except BaseException:
        with contextlib.suppress(OSError, EvidenceStoreUnavailable):
            store.delete(storage_key)
        raise


def attach_link(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    criterion: str,
    data: EvidenceLinkCreate,
) -> EvidenceRef:
    ctx, item = _evidence_target(db_session, actor, clock, year, criterion)
    if data.url.scheme not in ("http", "https"):
        raise Invalid.one("url", "url_scheme", "Liên kết phải bắt đầu bằng http:// hoặc https://.")
    return _add_evidence(
        db_session,
        actor,
        clock,
        ctx,
        item,
        ParEvidence(
            public_key=secrets.token_urlsafe(18),
            item_id=item.id or 0,
            kind="link",
            url=str(data.url),
            note=data.note,
            added_by=actor.username,
            created_at=clock.now(),
        ),
    )


def attach_task(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    criterion: str,
    task: str,
    note: str = "",
) -> EvidenceRef:
    """A plan task as evidence: its updates, evidence files and approved reports are the
    documents; the reviewer opens them from the task."""
    ctx, item = _evidence_target(db_session, actor, clock, year, criterion)
    plan = _plan_of(db_session, ctx.assessment)
    code = task.strip()
    found = (
        db_session.exec(
            select(Assignment).where(Assignment.plan_id == plan.id, Assignment.code == code)
        ).first()
        if plan is not None
        else None
    )
    if found is None:
        raise Invalid.one("task", "assignment_not_found", f"Kế hoạch không có nhiệm vụ “{code}”.")
    if any(e.task_code == code for e in ctx.evidence.get(item.id or 0, [])):
        raise Conflict(f"Nhiệm vụ {code} đã là minh chứng của tiêu chí này.", code="duplicate")
    return _add_evidence(
        db_session,
        actor,
        clock,
        ctx,
        item,
        ParEvidence(
            public_key=secrets.token_urlsafe(18),
            item_id=item.id or 0,
            kind="task",
            task_code=code,
            note=files.clean_note(note),
            added_by=actor.username,
            created_at=clock.now(),
        ),
    )


def _evidence_row(db_session: Session, key: str) -> tuple[ParEvidence, ParItem]:
    ev = db_session.exec(select(ParEvidence).where(ParEvidence.public_key == key)).first()
    item = db_session.get(ParItem, ev.item_id) if ev is not None else None
    if ev is None or item is None:
        raise NotFound("Không có tài liệu kiểm chứng này.", code="evidence_not_found")
    return ev, item


def remove_evidence(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    store: EvidenceStore,
    key: str,
) -> None:
    require_ward(actor)
    ev, item = _evidence_row(db_session, key)
    assessment = db_session.get(ParAssessment, item.assessment_id)
    criterion = db_session.get(ParCriterion, item.criterion_id)
    assert assessment is not None and criterion is not None
    unit = unit_service.codes_by_id(db_session=db_session, ids=[item.responsible_unit_id])
    authorize(actor, Permission.DATA_WRITE, unit_code=unit.get(item.responsible_unit_id or 0))
    if assessment.status != AssessmentStatus.OPEN:
        raise Conflict("Đợt tự đánh giá đã gửi Thành phố: không gỡ minh chứng được.",
                       code="assessment_closed")  # fmt: skip
    before = _evidence_ref(ev)
    storage_key = ev.storage_key
    db_session.delete(ev)
    audit.record(
        db_session=db_session,
        actor=actor,
        clock=clock,
        action=AuditAction.DELETE,
        entity="par_evidence",
        key=f"{assessment.year}/{criterion.code}/{key}",
        before=before,
    )
    db_session.commit()
    if storage_key:
        # the row is gone; an orphan file is never served
        with contextlib.suppress(OSError, EvidenceStoreUnavailable):
            store.delete(storage_key)


def open_evidence(
    *, db_session: Session, actor: Actor, store: EvidenceStore, key: str
) -> tuple[ParEvidence, IO[bytes]]:
    require_ward(actor)
    ev, item = _evidence_row(db_session, key)
    unit = unit_service.codes_by_id(db_session=db_session, ids=[item.responsible_unit_id])
    authorize_read(actor, unit.get(item.responsible_unit_id or 0))
    if ev.kind != "file":
        raise NotFound("Minh chứng này là liên kết, không có tệp.", code="evidence_not_found")
    return ev, store.open(ev.storage_key)


# --- the round as a whole ------------------------------------------------------------------------


def submit_assessment(
    *, db_session: Session, actor: Actor, clock: Clock, year: int, version: int | None = None
) -> AssessmentRead:
    """The compiled self-score goes to the city: every applicable self-scored criterion must
    be accepted first; the refusal lists those that are not."""
    require_ward(actor)
    authorize(actor, Permission.REVIEW)
    ctx = load(db_session, clock, year, with_values=False)
    _open(ctx)
    a = ctx.assessment
    if version is not None and version != a.version:
        raise Conflict(
            "Đợt đánh giá vừa được cập nhật; hãy tải lại trang.", code="version_conflict"
        )
    pending = [
        ctx.criterion(i).code
        for i in ctx.items
        if i.applicable
        and ctx.criterion(i).scored_by == ScoredBy.SELF
        and i.status != ItemStatus.ACCEPTED
    ]
    if pending:
        shown = ", ".join(pending[:15]) + (" …" if len(pending) > 15 else "")
        raise Conflict(
            f"Còn {len(pending)} tiêu chí chưa tổng hợp điểm: {shown}.", code="items_pending"
        )
    before = {"status": a.status}
    a.status = AssessmentStatus.SUBMITTED
    a.version += 1
    a.updated_at = clock.now()
    db_session.add(a)
    audit.record(
        db_session=db_session,
        actor=actor,
        clock=clock,
        action=AuditAction.UPDATE,
        entity="par_assessment",
        key=str(year),
        before=before,
        after={"status": a.status},
    )
    db_session.commit()
    return summarise(load(db_session, clock, year, with_values=False))


def _authorize_appraisal(actor: Actor) -> None:
    """The city's appraisal: a city administrator enters it, or the ward's office transcribes
    the city's published decision."""
    if can(actor, Permission.WARDS_MANAGE):
        return
    authorize(actor, Permission.REVIEW)


@dataclass
class _Appraisal:
    """Apply appraisal rows to an assessment's items (shared by JSON and files)."""

    db_session: Session
    actor: Actor
    clock: Clock
    ctx: Context
    changed: list[dict[str, Any]] = field(default_factory=list)

    def check(self, row: AppraisalRow) -> tuple[ParItem, ParCriterion]:
        item = self.ctx.item(row.criterion)
        criterion = self.ctx.criterion(item)
        if not item.applicable:
            raise Invalid.one(
                "criterion", "not_applicable", f"Tiêu chí {row.criterion} không áp dụng."
            )
        if row.points > criterion.max_points + TOLERANCE:
            raise Invalid.one(
                "points",
                "above_max",
                f"Điểm thẩm định {format_number(row.points)} vượt điểm tối đa "
                f"{format_number(criterion.max_points)} của tiêu chí {row.criterion}.",
            )
        return item, criterion

    def apply(self, row: AppraisalRow, *, write: bool) -> Outcome:
        item, criterion = self.check(row)
        same = (
            item.appraised_points is not None
            and abs(item.appraised_points - row.points) < TOLERANCE
            and item.appraisal_comment == row.comment
        )
        if same:
            return Outcome.UNCHANGED
        outcome = Outcome.CREATED if item.appraised_points is None else Outcome.UPDATED
        if write:
            self.changed.append(
                {
                    "criterion": criterion.code,
                    "before": item.appraised_points,
                    "after": float(row.points),
                }
            )
            item.appraised_points = float(row.points)
            item.appraisal_comment = row.comment
            item.version += 1
            item.updated_by = self.actor.username
            item.updated_at = self.clock.now()
            self.db_session.add(item)
        return outcome

    def finish(self) -> None:
        a = self.ctx.assessment
        if self.changed:
            a.status = AssessmentStatus.APPRAISED
            a.version += 1
            a.updated_at = self.clock.now()
            self.db_session.add(a)
            audit.record(
                db_session=self.db_session,
                actor=self.actor,
                clock=self.clock,
                action=AuditAction.UPDATE,
                entity="par_appraisal",
                key=str(a.year),
                after={"rows": self.changed[:500], "count": len(self.changed)},
            )


@dataclass
class AppraisalOutcome:
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[FieldError] = field(default_factory=list)


def record_appraisal(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    rows: Sequence[AppraisalRow],
    dry_run: bool = False,
) -> AppraisalOutcome:
    """The city's appraised points, all rows or none; a dry run reports what would change."""
    require_ward(actor)
    _authorize_appraisal(actor)
    ctx = load(db_session, clock, year, with_values=False)
    work = _Appraisal(db_session, actor, clock, ctx)
    result = AppraisalOutcome(dry_run=dry_run)
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if row.criterion in seen:
            result.errors.append(
                FieldError(f"{number}.criterion", "duplicate", f"Tiêu chí {row.criterion} lặp lại.")
            )
            continue
        seen.add(row.criterion)
        try:
            work.check(row)
        except AppError as exc:
            name = exc.errors[0].field if exc.errors else "criterion"
            result.errors.append(FieldError(f"{number}.{name}", exc.code, exc.message))
    if result.errors or dry_run:
        for row in rows if not result.errors else []:
            outcome = work.apply(row, write=False)
            setattr(result, outcome.value, getattr(result, outcome.value) + 1)
        db_session.rollback()
        return result
    for row in rows:
        outcome = work.apply(row, write=True)
        setattr(result, outcome.value, getattr(result, outcome.value) + 1)
    work.finish()
    db_session.commit()
    return result


APPRAISAL_COLUMNS = ("criterion", "points", "comment")


@dataclass
class AppraisalImporter:
    """The city's appraisal table (.xlsx or CSV) through the common import runner."""

    work: _Appraisal
    actor: Actor
    clock: Clock
    kind: str = "par_appraisal"
    columns: Sequence[str] = APPRAISAL_COLUMNS
    required: Sequence[str] = ("criterion", "points")
    batch_id: int | None = None

    def key(self, values: dict[str, Any]) -> str | None:
        code = values.get("criterion")
        return str(code).strip() if code not in (None, "") else None

    def parse(self, values: dict[str, Any]) -> AppraisalRow:
        clean = {k: v for k, v in values.items() if v not in (None, "")}
        if "criterion" in clean:
            clean["criterion"] = str(clean["criterion"]).strip()
        return AppraisalRow.model_validate(clean)

    def process(
        self, rows: Sequence[tuple[int, AppraisalRow]], *, write: bool
    ) -> Iterable[tuple[int, Outcome | AppError]]:
        for number, row in rows:
            try:
                yield number, self.work.apply(row, write=write)
            except AppError as exc:
                yield number, exc

    def finish(self) -> None:
        self.work.finish()


def import_appraisal(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    upload: Upload,
    options: ImportOptions,
) -> ImportResult:
    require_ward(actor)
    _authorize_appraisal(actor)
    ctx = load(db_session, clock, year, with_values=False)
    work = _Appraisal(db_session, actor, clock, ctx)
    importer = AppraisalImporter(work=work, actor=actor, clock=clock)
    return run_import(
        db_session=db_session,
        importer=importer,
        upload=upload,
        options=options,
        key_label="criterion",
    )


def publish_result(
    *, db_session: Session, actor: Actor, clock: Clock, year: int, data: PublishedResult
) -> AssessmentRead:
    """The index and rank the city announced for the ward, kept beside the computed ones."""
    require_ward(actor)
    _authorize_appraisal(actor)
    a = get_assessment(db_session, year)
    if data.rank is not None and data.of is not None and data.rank > data.of:
        raise Invalid.one("rank", "invalid", "Thứ hạng không thể lớn hơn số đơn vị xếp hạng.")
    before = {"index": a.published_index, "rank": a.published_rank, "of": a.published_of}
    a.published_index = data.index
    a.published_rank = data.rank
    a.published_of = data.of
    a.appraisal_note = data.note
    a.version += 1
    a.updated_at = clock.now()
    db_session.add(a)
    audit.record(
        db_session=db_session,
        actor=actor,
        clock=clock,
        action=AuditAction.UPDATE,
        entity="par_assessment",
        key=str(year),
        before=before,
        after={"index": data.index, "rank": data.rank, "of": data.of},
    )
    db_session.commit()
    return summarise(load(db_session, clock, year, with_values=False))
