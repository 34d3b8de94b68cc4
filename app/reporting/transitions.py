"""A report's moves: submit (the unit), approve, return or reopen (the coordinators).

Section III of Plan 84: a report moves draft → submitted → approved or returned (→ submitted
again); an approved report locks the unit's data for that period (``lock``) until a coordinator
reopens it. Every move is authorised here, checked against the version the actor saw, audited,
and a return or reopen tells the unit in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from app.periods import Period
from app.permissions import Permission, Role, authorize
from app.plans import service as plan_service
from app.plans.models import Plan
from app.reminders import returns
from app.reporting import flags
from app.reporting.submission_state import parse_period, read_submission
from app.submissions.lock import submission_row
from app.submissions.models import STATUS_LABELS, Submission, SubmissionRead, SubmissionStatus
from app.units import service as unit_service
from app.units.models import Unit


@dataclass(frozen=True)
class _Move:
    """One move of one report, as the caller asked for it."""

    actor: Actor
    clock: Clock
    to: SubmissionStatus
    comment: str
    reopening: bool
    by_email: bool
    notify: bool


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
    move = _Move(actor, clock, to, comment, reopening, by_email, notify)
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit)
    p = parse_period(plan=plan, period=period, clock=clock)
    row = submission_row(db_session=db_session, plan=plan, unit=unit_row, period=str(p))
    before = read_submission(row, unit=unit_row, period=p, plan=plan, today=clock.today())
    _check(before, version=version, allowed_from=allowed_from, to=to)
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
    _apply(row, move, now=now)
    db_session.add(row)
    db_session.flush()
    after = read_submission(row, unit=unit_row, period=p, plan=plan, today=clock.today())
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
    _tell(db_session, move, plan=plan, unit=unit_row, period=p, row=row)
    if commit:
        db_session.commit()
    return after


def _check(
    before: SubmissionRead,
    *,
    version: int | None,
    allowed_from: set[SubmissionStatus],
    to: SubmissionStatus,
) -> None:
    """Refuse a move from a version the actor did not see, or from the wrong status."""
    if version is not None and version != before.version:
        raise Conflict(
            "Báo cáo vừa được người khác thay đổi; hãy tải lại trang để xem trạng thái mới.",
            code="stale_version",
            errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
        )
    if before.status not in allowed_from:
        raise Conflict(
            f"Báo cáo đang ở trạng thái “{STATUS_LABELS[before.status]}”, không thể chuyển sang "
            f"“{STATUS_LABELS[to]}”.",
            code="bad_transition",
        )


def _apply(row: Submission, move: _Move, *, now: datetime) -> None:
    """Set the row's status and who did it when; a submission keeps its first sending time."""
    row.status = move.to
    if move.to == SubmissionStatus.SUBMITTED:
        row.submitted_at = now
        row.submitted_by = move.actor.username
        row.first_submitted_at = row.first_submitted_at or now
    else:
        row.reviewed_at = now
        row.reviewed_by = move.actor.username
        row.review_comment = move.comment
        if move.reopening:  # an approved report goes back to its unit, with the reason kept apart
            row.reopen_reason = move.comment
    row.version += 1
    row.updated_at = now


def _tell(
    db_session: Session, move: _Move, *, plan: Plan, unit: Unit, period: Period, row: Submission
) -> None:
    """A direct reopen settles a request waiting for one; a return tells the unit, both in the
    move's transaction."""
    if move.reopening and move.notify:
        from app.reporting import reopen  # reopen builds on this module

        reopen.settle_on_reopen(
            db_session=db_session,
            actor=move.actor,
            clock=move.clock,
            plan=plan,
            unit=unit,
            period=period,
            comment=move.comment,
        )
    if move.to == SubmissionStatus.RETURNED and move.notify:
        assert plan.id is not None
        returns.notify(
            db_session=db_session,
            actor=move.actor,
            clock=move.clock,
            plan_id=plan.id,
            unit=unit,
            period=period,
            due_date=row.due_date,
            version=row.version,
            comment=move.comment,
            reopening=move.reopening,
            by_email=move.by_email,
        )


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


def reopen(**kwargs: object) -> SubmissionRead:
    return act(action="reopen", **kwargs)  # type: ignore[arg-type]
