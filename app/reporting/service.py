"""The reporting cycle: which units owe which period's report, submission, review and locking.

Section III of Plan 84: every unit reports to the committee through Phòng Văn hóa - Xã hội,
monthly during 2025 and quarterly after. A report moves draft → submitted → approved or returned
(→ submitted again); an approved report locks the unit's data for that period until a coordinator
reopens it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from app.accounts.permissions import Permission, Role, authorize, authorize_read, can
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import VIETNAM_TZ, Clock
from app.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from app.names import names_for
from app.periods import Granularity, Period, PeriodError
from app.plans import service as plan_service
from app.plans.models import Plan
from app.reminders import returns
from app.reporting import flags
from app.reporting.models import (
    Submission,
    SubmissionRead,
    SubmissionStatus,
    Timeliness,
)
from app.units import service as unit_service
from app.units.models import Unit

_GRANULARITY_KEY = {Granularity.MONTH: "month", Granularity.QUARTER: "quarter"}
_DEFAULT_DUE_DAYS = {"month": 5, "quarter": 10}


def due_date_for(plan: Plan, period: Period) -> date:
    """The plan's rule: day N of the month after the period (5th for months, 10th for quarters)."""
    key = _GRANULARITY_KEY.get(period.granularity, "quarter")
    day = int((plan.due_days or {}).get(key, _DEFAULT_DUE_DAYS[key]))
    return (period.end_date + timedelta(days=1)).replace(day=max(1, min(day, 28)))


def is_counted(*, due_date: date, today: date) -> bool:
    """A period counts in completeness and scores once its due day is over, never before: the
    completeness page and the scores must agree, and a report still in time is nobody's fault."""
    return today > due_date


def timeliness_of(
    *, first_submitted_at: datetime | None, due_date: date, today: date | None = None
) -> Timeliness:
    """On time when first sent by the end of the due day (Vietnam time); a return does not undo
    that, since the unit did report on time. Nothing sent is ``not_due`` until the due day is
    over (when ``today`` is given), then ``missing``."""
    if first_submitted_at is None:
        if today is not None and not is_counted(due_date=due_date, today=today):
            return Timeliness.NOT_DUE
        return Timeliness.MISSING
    sent_on = first_submitted_at.astimezone(VIETNAM_TZ).date()
    return Timeliness.ON_TIME if sent_on <= due_date else Timeliness.LATE


def expected_units(*, db_session: Session, plan: Plan) -> list[Unit]:
    """The units that owe reports: the active units below the plan's issuing committee."""
    units = list(db_session.exec(select(Unit).order_by(col(Unit.code))))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    found: list[Unit] = []
    stack = list(children.get(plan.issuer_unit_id, []))
    while stack:
        unit = stack.pop()
        if unit.active:
            found.append(unit)
        stack.extend(children.get(unit.id, []))
    return sorted(found, key=lambda u: u.code)


def _read(
    row: Submission | None, *, unit: Unit, period: Period, plan: Plan, today: date
) -> SubmissionRead:
    if row is None:
        due = due_date_for(plan, period)
        return SubmissionRead(
            unit=unit.code,
            period=str(period),
            status=SubmissionStatus.DRAFT,
            due_date=due,
            timeliness=timeliness_of(first_submitted_at=None, due_date=due, today=today),
            counted=is_counted(due_date=due, today=today),
            first_submitted_at=None,
            submitted_at=None,
            submitted_by="",
            reviewed_at=None,
            reviewed_by="",
            review_comment="",
            reopen_reason="",
            version=0,
        )
    return SubmissionRead(
        unit=unit.code,
        period=row.period,
        status=SubmissionStatus(row.status),
        due_date=row.due_date,
        timeliness=timeliness_of(
            first_submitted_at=row.first_submitted_at, due_date=row.due_date, today=today
        ),
        counted=is_counted(due_date=row.due_date, today=today),
        first_submitted_at=row.first_submitted_at,
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        reviewed_at=row.reviewed_at,
        reviewed_by=row.reviewed_by,
        review_comment=row.review_comment,
        reopen_reason=row.reopen_reason,
        version=row.version,
    )


def _row(*, db_session: Session, plan: Plan, unit: Unit, period: str) -> Submission | None:
    return db_session.exec(
        select(Submission).where(
            Submission.plan_id == plan.id,
            Submission.unit_id == unit.id,
            Submission.period == period,
        )
    ).first()


def _parse(*, plan: Plan, period: str, clock: Clock) -> Period:
    return Period.parse(plan_service.validate_period(plan=plan, period=period, today=clock.today()))


def report_period_of(plan: Plan, period: str) -> str:
    """The general report a period's data belongs to: a month of a quarterly year (monthly
    tasks) is part of its quarter's report, reviewed and locked with it."""
    found = Period.parse(period)
    calendar = plan_service.calendar_for(plan)
    try:
        if calendar.is_regular(found):
            return period
        return str(calendar.period_for(found.start_date))
    except PeriodError:
        return period


def ensure_open(
    *, db_session: Session, plan: Plan, unit: Unit, period: str, only_final: bool = False
) -> None:
    """Refuse a change to a report that is waiting for review or approved (409 ``period_locked``),
    saying since when and whom to ask.

    The rule after submission: the unit's edits are locked until review, so a reviewer approves
    exactly what was sent. A unit that must change something asks the coordinator to return the
    report. ``only_final``: the feeds (the one-stop-shop system's dossiers, and the readings
    computed from them) keep flowing while a report waits for review, as late completions arrive
    every night; only an approved report stops them.
    """
    period = report_period_of(plan, period)
    row = _row(db_session=db_session, plan=plan, unit=unit, period=period)
    locked = {SubmissionStatus.APPROVED} if only_final else LOCKED_STATUSES
    if row is None or row.status not in locked:
        return
    raise Conflict(
        lock_message(db_session=db_session, plan=plan, unit=unit, row=row), code="period_locked"
    )


#: The statuses in which a unit's data for the period cannot change.
LOCKED_STATUSES = frozenset({SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED})


def lock_message(*, db_session: Session, plan: Plan, unit: Unit, row: Submission) -> str:
    """Why the period's data cannot change, in words for the unit: the same sentence for a page,
    the API and an import."""
    coordinator = (
        db_session.get(Unit, plan.coordinator_unit_id) if plan.coordinator_unit_id else None
    )
    who = coordinator.name if coordinator else "bộ phận điều phối"
    label = (
        f"Báo cáo kỳ {Period.parse(row.period).label_vi} của đơn vị {unit.short_name or unit.code}"
    )
    names = names_for(db_session)
    if row.status == SubmissionStatus.SUBMITTED:
        return (
            f"{label} đã được {names.person(row.submitted_by)} gửi lúc {_at(row.submitted_at)} "
            "và đang chờ duyệt nên tạm khóa, để người duyệt xem đúng bản đã gửi. "
            f"Nếu cần sửa, hãy đề nghị {who} trả lại báo cáo."
        )
    return (
        f"{label} đã được {names.person(row.reviewed_by)} duyệt lúc {_at(row.reviewed_at)} "
        "nên không sửa được nữa. "
        f"Nếu cần sửa, hãy đề nghị {who} mở lại báo cáo."
    )


def editing_locked(status: SubmissionStatus | str) -> bool:
    """Whether a report in this status keeps its data read-only (the workspace shows it so)."""
    return status in LOCKED_STATUSES


def _at(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y %H:%M") if moment else ""


def get_submission(
    *, db_session: Session, actor: Actor, clock: Clock, unit: str, period: str, plan: str | None
) -> SubmissionRead:
    authorize_read(actor, unit)
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit)
    p = _parse(plan=plan_row, period=period, clock=clock)
    row = _row(db_session=db_session, plan=plan_row, unit=unit_row, period=str(p))
    return _read(row, unit=unit_row, period=p, plan=plan_row, today=clock.today())


@dataclass(frozen=True)
class SubmissionFilters:
    plan: str | None = None
    unit: str | None = None
    period: str | None = None
    status: SubmissionStatus | None = None


def list_submissions(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    filters: SubmissionFilters,
    limit: int = 100,
    offset: int = 0,
    thresholds: flags.Thresholds | None = None,
) -> tuple[list[SubmissionRead], int]:
    """Every expected (unit, period) pair, reported or not, so a missing report is visible.

    Sorted oldest submission first for the review queue, then by period and unit; in the queue
    (``status`` submitted) each report carries its count of flags for the reviewer (``flags``).
    """
    unit_filter = authorize_read(actor, filters.unit)
    plan = plan_service.get_plan(db_session=db_session, code=filters.plan)
    calendar = plan_service.calendar_for(plan)
    if filters.period:
        periods = [_parse(plan=plan, period=filters.period, clock=clock)]
    else:
        periods = calendar.periods(until=clock.today())
    units = expected_units(db_session=db_session, plan=plan)
    if unit_filter:
        units = [u for u in units if u.code == unit_filter] or [
            unit_service.get_by_code(db_session=db_session, code=unit_filter)
        ]
    rows: dict[tuple[int | None, str], Submission] = {
        (r.unit_id, r.period): r
        for r in db_session.exec(
            select(Submission).where(
                Submission.plan_id == plan.id,
                col(Submission.period).in_([str(p) for p in periods]),
            )
        )
    }
    items = [
        _read(rows.get((u.id, str(p))), unit=u, period=p, plan=plan, today=clock.today())
        for p in periods
        for u in units
    ]
    if filters.status is not None:
        items = [i for i in items if i.status == filters.status]
    far = datetime.max.replace(tzinfo=VIETNAM_TZ)
    items.sort(key=lambda i: (i.submitted_at or far, Period.parse(i.period).sort_key, i.unit))
    page = items[offset : offset + limit]
    if filters.status == SubmissionStatus.SUBMITTED:  # the review queue, not every listing
        _count_flags(db_session=db_session, plan=plan, items=page, thresholds=thresholds)
    return page, len(items)


def _count_flags(
    *,
    db_session: Session,
    plan: Plan,
    items: list[SubmissionRead],
    thresholds: flags.Thresholds | None,
) -> None:
    """The reviewer's flag count of each report waiting for review, from one load."""
    waiting = [i for i in items if i.status == SubmissionStatus.SUBMITTED]
    if not waiting:
        return
    units = {u.code: u for u in db_session.exec(select(Unit))}
    counted = flags.counts(
        db_session=db_session,
        plan=plan,
        reports=[(units[i.unit], Period.parse(i.period)) for i in waiting],
        thresholds=thresholds or flags.Thresholds(),
    )
    for item in waiting:
        item.flag_count = counted.get((item.unit, item.period), 0)


def _transition(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan_code: str | None,
    unit: str,
    period: str,
    allowed_from: set[SubmissionStatus],
    to: SubmissionStatus,
    version: int | None,
    comment: str = "",
    reopening: bool = False,
    by_email: bool = False,
    guard: Callable[[Plan, Unit, Period], None] | None = None,
    notify: bool = True,
    commit: bool = True,
) -> SubmissionRead:
    """Move the report and audit the move; a return or reopen notifies the unit (unless
    ``notify`` is off, for a caller that words its own message). ``commit=False`` leaves the
    commit to a caller whose own rows must land in the same transaction."""
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit)
    p = _parse(plan=plan, period=period, clock=clock)
    row = _row(db_session=db_session, plan=plan, unit=unit_row, period=str(p))
    before = _read(row, unit=unit_row, period=p, plan=plan, today=clock.today())
    if version is not None and version != before.version:
        raise Conflict(
            "Báo cáo vừa được người khác thay đổi; hãy tải lại trang để xem trạng thái mới.",
            code="stale_version",
            errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
        )
    if before.status not in allowed_from:
        raise Conflict(
            f"Báo cáo đang ở trạng thái “{_label(before.status)}”, không thể chuyển sang "
            f"“{_label(to)}”.",
            code="bad_transition",
        )
    if guard is not None:  # what the report's flags forbid (a blocking rule, a silent approval)
        guard(plan, unit_row, p)
    now = clock.now()
    if row is None:
        assert plan.id is not None and unit_row.id is not None
        row = Submission(
            plan_id=plan.id,
            unit_id=unit_row.id,
            period=str(p),
            period_start=p.start_date,
            status=SubmissionStatus.DRAFT,
            due_date=before.due_date,
            created_at=now,
            updated_at=now,
            version=0,
        )
    row.status = to
    if to == SubmissionStatus.SUBMITTED:
        row.submitted_at = now
        row.submitted_by = actor.username
        row.first_submitted_at = row.first_submitted_at or now
    else:
        row.reviewed_at = now
        row.reviewed_by = actor.username
        row.review_comment = comment
        if reopening:  # an approved report goes back to its unit, with the reason kept apart
            row.reopen_reason = comment
    row.version += 1
    row.updated_at = now
    db_session.add(row)
    db_session.flush()
    after = _read(row, unit=unit_row, period=p, plan=plan, today=clock.today())
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE if before.version == 0 else AuditAction.UPDATE,
        entity="submission",
        key=f"{unit_row.code}/{p}",
        before=None if before.version == 0 else before,
        after=after,
        clock=clock,
    )
    if reopening and notify:  # a direct reopen also settles a request waiting for one
        from app.reporting import reopen  # reopen builds on this module

        reopen.settle_on_reopen(
            db_session=db_session,
            actor=actor,
            clock=clock,
            plan=plan,
            unit=unit_row,
            period=p,
            comment=comment,
        )
    if to == SubmissionStatus.RETURNED and notify:  # the unit hears of it in the same transaction
        assert plan.id is not None
        returns.notify(
            db_session=db_session,
            actor=actor,
            clock=clock,
            plan_id=plan.id,
            unit=unit_row,
            period=p,
            due_date=row.due_date,
            version=row.version,
            comment=comment,
            reopening=reopening,
            by_email=by_email,
        )
    if commit:
        db_session.commit()
    return after


def reopen_in_transaction(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan: str | None,
    unit: str,
    period: str,
    reason: str,
) -> SubmissionRead:
    """Reopen an approved report as part of the caller's transaction, which commits it: a
    granted reopen request changes the request and the report together or not at all. The
    caller has authorised the actor and notifies the unit itself."""
    return _transition(
        db_session=db_session,
        actor=actor,
        clock=clock,
        plan_code=plan,
        unit=unit,
        period=period,
        allowed_from={SubmissionStatus.APPROVED},
        to=SubmissionStatus.RETURNED,
        version=None,
        comment=reason,
        reopening=True,
        notify=False,
        commit=False,
    )


def _label(status: SubmissionStatus) -> str:
    from app.reporting.models import STATUS_LABELS

    return STATUS_LABELS[status]


@dataclass(frozen=True)
class _Rule:
    permission: Permission
    allowed_from: frozenset[SubmissionStatus]
    to: SubmissionStatus
    comment_required: str = ""  # the message when a comment is required and missing
    reopening: bool = False


#: Who may move a report, from where, to where; the pages and the API both go through ``act``.
TRANSITIONS: dict[str, _Rule] = {
    "submit": _Rule(
        Permission.DATA_WRITE,
        frozenset({SubmissionStatus.DRAFT, SubmissionStatus.RETURNED}),
        SubmissionStatus.SUBMITTED,
    ),
    "approve": _Rule(
        Permission.REVIEW, frozenset({SubmissionStatus.SUBMITTED}), SubmissionStatus.APPROVED
    ),
    "return": _Rule(
        Permission.REVIEW,
        frozenset({SubmissionStatus.SUBMITTED}),
        SubmissionStatus.RETURNED,
        comment_required="Hãy ghi rõ lý do trả lại để đơn vị sửa.",
    ),
    "reopen": _Rule(
        Permission.REVIEW,
        frozenset({SubmissionStatus.APPROVED}),
        SubmissionStatus.RETURNED,
        comment_required="Hãy ghi lý do mở lại báo cáo.",
        reopening=True,
    ),
}


#: Segregation of duties: a reviewer never approves or returns its own unit's report (admins may,
#: as the ward's last resort; there is no separate chairman role, leaders only read).
_SEPARATED = frozenset({"approve", "return"})


def act(
    *,
    action: str,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str,
    period: str,
    plan: str | None = None,
    comment: str = "",
    version: int | None = None,
    by_email: bool = False,
    thresholds: flags.Thresholds | None = None,
) -> SubmissionRead:
    """Submit (the unit), approve, return or reopen (coordinators) a unit's period report.

    A return says what to fix and a reopen why, so both require a comment; both notify the unit's
    reporters (``by_email``: also queue their e-mails, when mail is configured). A report that
    breaks a blocking validation rule cannot be sent, and one with flags for the reviewer is
    approved only with a comment (``flags.guard``; ``thresholds``: the outlier settings).
    """
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise NotFound(f"Không có thao tác “{action}” với báo cáo.", code="unknown_action")
    if rule.permission is Permission.DATA_WRITE:
        authorize(actor, rule.permission, unit_code=unit)
    else:
        authorize(actor, rule.permission)
    if action in _SEPARATED and actor.unit_code == unit and actor.role != Role.ADMIN:
        raise Forbidden(
            "Không được tự duyệt hoặc trả lại báo cáo của chính đơn vị mình: việc này do cán bộ "
            "điều phối của đơn vị khác hoặc quản trị hệ thống thực hiện.",
            code="own_unit_review",
        )
    if rule.comment_required and not comment.strip():
        raise Invalid.one("comment", "required", rule.comment_required)
    return _transition(
        db_session=db_session,
        actor=actor,
        clock=clock,
        plan_code=plan,
        unit=unit,
        period=period,
        allowed_from=set(rule.allowed_from),
        to=rule.to,
        version=version,
        comment=comment.strip(),
        reopening=rule.reopening,
        by_email=by_email,
        guard=lambda plan_row, unit_row, p: flags.guard(
            action=action,
            db_session=db_session,
            plan=plan_row,
            unit=unit_row,
            period=p,
            comment=comment,
            thresholds=thresholds or flags.Thresholds(),
        ),
    )


def submit(**kwargs: object) -> SubmissionRead:
    return act(action="submit", **kwargs)  # type: ignore[arg-type]


def approve(**kwargs: object) -> SubmissionRead:
    return act(action="approve", **kwargs)  # type: ignore[arg-type]


def return_report(**kwargs: object) -> SubmissionRead:
    return act(action="return", **kwargs)  # type: ignore[arg-type]


def reopen(**kwargs: object) -> SubmissionRead:
    return act(action="reopen", **kwargs)  # type: ignore[arg-type]


def can_review(actor: Actor) -> bool:
    return can(actor, Permission.REVIEW)
