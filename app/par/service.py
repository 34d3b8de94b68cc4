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

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import AppError, Conflict, FieldError, Forbidden, Invalid
from app.formatting import format_number
from app.par import framework as fw
from app.par.models import (
    AssessmentCreate,
    AssessmentRead,
    AssessmentStatus,
    ItemRead,
    ItemSettings,
    ItemStatus,
    ParAssessment,
    ParItem,
    ProposalWrite,
    ReviewWrite,
    ScoredBy,
)
from app.par.reads import (
    TOLERANCE,
    Context,
    item_read,
    load,
    plan_of,
    require_ward,
    rule_proposal,
)
from app.par.results import summarise
from app.permissions import Permission, Role, authorize
from app.plans import service as plan_service
from app.plans.models import Assignment, Plan
from app.units import service as unit_service
from app.versioning import check_version, claim_version

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
    """A write made from a stale page is refused early; ``_audit_item`` claims the version in
    the database, where two requests that read the same version are told apart."""
    check_version(current=item.version, expected=version, what=f"Tiêu chí {code}")


def _audit_item(
    db_session: Session,
    actor: Actor,
    clock: Clock,
    ctx: Context,
    item: ParItem,
    before: ItemRead,
    action: AuditAction = AuditAction.UPDATE,
) -> ItemRead:
    code = ctx.criterion(item).code
    item.updated_by = actor.username
    item.updated_at = clock.now()
    db_session.add(item)
    item.version = claim_version(
        db_session=db_session,
        model=ParItem,
        row_id=item.id,
        seen=before.version,
        message=f"Tiêu chí {code} vừa được người khác cập nhật; hãy tải lại trang để xem thay "
        "đổi rồi ghi lại.",
    )
    db_session.flush()
    after = item_read(ctx, item)
    audit.record(
        db_session=db_session,
        actor=actor,
        clock=clock,
        action=action,
        entity="par_item",
        key=f"{ctx.assessment.year}/{code}",
        before=before,
        after=after,
    )
    db_session.commit()
    return after


def ensure_open(ctx: Context) -> None:
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
        plan = plan_of(db_session, ctx.assessment)
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
    ensure_open(ctx)
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
    rule_points, rule_text = rule_proposal(ctx, item)
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
    ensure_open(ctx)
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
    ensure_open(ctx)
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


# --- the round as a whole ------------------------------------------------------------------------


def submit_assessment(
    *, db_session: Session, actor: Actor, clock: Clock, year: int, version: int | None = None
) -> AssessmentRead:
    """The compiled self-score goes to the city: every applicable self-scored criterion must
    be accepted first; the refusal lists those that are not."""
    require_ward(actor)
    authorize(actor, Permission.REVIEW)
    ctx = load(db_session, clock, year, with_values=False)
    ensure_open(ctx)
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
