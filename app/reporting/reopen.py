"""Requests to reopen an approved report: the unit asks with a reason, the coordinator decides.

An approved report locks the unit's data for the period (``lock.ensure_open``). Rather than
phoning the coordinating office, the unit asks here; the office grants (the report goes back to
the unit, in the same transaction as the decision) or refuses with a comment, and the unit may
withdraw its request while it waits. Each step is audited (entity ``reopen_request``), notifies
the other side in its own transaction, and appears in the period's history.

A grant needs no comment: it does what the unit asked for the reason the unit gave, which is
already on record. A refusal must say why, since the unit has to live with the approved figures.
"""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from app.names import names_for
from app.periods import Period
from app.permissions import Permission, Role, authorize
from app.plans.models import Plan
from app.reporting import reopen_messages, transitions
from app.reporting.reopen_models import (
    MAX_TEXT,
    ReopenRequest,
    ReopenRequestRead,
    ReopenStatus,
)
from app.reporting.reopen_reads import (
    Target,
    key_of,
    pending_row,
    read_request,
    submission_of,
    target_of,
)
from app.submissions.models import STATUS_LABELS, SubmissionStatus
from app.units.models import Unit

ENTITY = "reopen_request"


def _text(value: str, *, field: str, required: str) -> str:
    text = value.strip()
    if required and not text:
        raise Invalid.one(field, "required", required)
    if len(text) > MAX_TEXT:
        raise Invalid.one(field, "too_long", f"Quá dài (tối đa {MAX_TEXT} ký tự).")
    return text


def _pending_conflict(row: ReopenRequest | None, db_session: Session) -> Conflict:
    who = f" của {names_for(db_session).person(row.requested_by)}" if row else ""
    return Conflict(
        f"Kỳ này đã có một đề nghị mở lại{who} đang chờ bộ phận điều phối quyết định; "
        "hãy chờ quyết định hoặc rút đề nghị đó trước khi gửi đề nghị mới.",
        code="reopen_pending",
    )


def _insert(
    *, db_session: Session, actor: Actor, clock: Clock, target: Target, reason: str
) -> ReopenRequest:
    """The period's next request, numbered after the last; a request that raced in first wins."""
    plan_id, unit_id = target.ids
    last = db_session.exec(
        select(func.max(ReopenRequest.number)).where(
            ReopenRequest.plan_id == plan_id,
            ReopenRequest.unit_id == unit_id,
            ReopenRequest.period == str(target.period),
        )
    ).one()
    now = clock.now()
    row = ReopenRequest(
        plan_id=plan_id,
        unit_id=unit_id,
        period=str(target.period),
        number=(last or 0) + 1,
        reason=reason,
        status=ReopenStatus.PENDING,
        requested_by=actor.username,
        requested_at=now,
        version=1,
    )
    db_session.add(row)
    try:
        db_session.flush()
    except IntegrityError:
        # Another request for the period got in between the check and this insert: the
        # partial unique index (or the number's) refused the second one.
        db_session.rollback()
        raise _pending_conflict(
            pending_row(db_session=db_session, target=target), db_session
        ) from None
    return row


def request_reopen(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str,
    period: str,
    reason: str,
    plan: str | None = None,
    by_email: bool = False,
) -> ReopenRequestRead:
    """The unit asks to reopen its approved report for the period, with a reason; the
    coordinating office is notified in the same transaction."""
    authorize(actor, Permission.DATA_WRITE, unit_code=unit)
    text = _text(reason, field="reason", required="Hãy ghi lý do cần mở lại báo cáo đã duyệt.")
    target = target_of(db_session=db_session, clock=clock, plan=plan, unit=unit, period=period)
    submission = submission_of(db_session=db_session, target=target)
    status = SubmissionStatus(submission.status) if submission else SubmissionStatus.DRAFT
    if status != SubmissionStatus.APPROVED:
        raise Conflict(
            f"Chỉ đề nghị mở lại được báo cáo đã duyệt; báo cáo {target.period.label_vi} của "
            f"đơn vị đang ở trạng thái “{STATUS_LABELS[status]}”.",
            code="not_approved",
        )
    assert submission is not None
    waiting = pending_row(db_session=db_session, target=target)
    if waiting is not None:
        raise _pending_conflict(waiting, db_session)
    row = _insert(db_session=db_session, actor=actor, clock=clock, target=target, reason=text)
    after = read_request(row, target.unit)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity=ENTITY,
        key=key_of(target.unit.code, row.period, row.number),
        after=after,
        clock=clock,
    )
    reopen_messages.tell_office(
        db_session=db_session,
        actor=actor,
        clock=clock,
        plan=target.plan,
        unit=target.unit,
        period=target.period,
        row=row,
        due_date=submission.due_date,
        by_email=by_email,
    )
    db_session.commit()
    return after


def _decidable(
    *,
    db_session: Session,
    clock: Clock,
    plan: str | None,
    unit: str,
    period: str,
    number: int,
    version: int | None,
) -> tuple[Target, ReopenRequest]:
    """The pending request named, at the version the actor saw."""
    target = target_of(db_session=db_session, clock=clock, plan=plan, unit=unit, period=period)
    plan_id, unit_id = target.ids
    row = db_session.exec(
        select(ReopenRequest).where(
            ReopenRequest.plan_id == plan_id,
            ReopenRequest.unit_id == unit_id,
            ReopenRequest.period == str(target.period),
            ReopenRequest.number == number,
        )
    ).first()
    if row is None:
        raise NotFound(
            f"Không có đề nghị mở lại số {number} cho báo cáo {target.period.label_vi} "
            f"của đơn vị “{unit}”.",
            code="reopen_request_not_found",
        )
    if version is not None and version != row.version:
        raise _stale()
    if row.status != ReopenStatus.PENDING:
        raise Conflict(
            f"Đề nghị mở lại này đã được xử lý ({_status_label(row.status)}).",
            code="reopen_decided",
        )
    return target, row


def _stale() -> Conflict:
    return Conflict(
        "Đề nghị mở lại vừa được người khác thay đổi; hãy tải lại trang để xem trạng thái mới.",
        code="stale_version",
        errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
    )


def _status_label(status: str) -> str:
    from app.reporting.reopen_models import REOPEN_STATUS_LABELS

    return REOPEN_STATUS_LABELS[status].lower()


def _authorize_decision(actor: Actor, unit: str) -> None:
    """Segregation of duties as for approval: a reviewer never decides its own unit's request
    (admins may, as the ward's last resort)."""
    authorize(actor, Permission.REVIEW)
    if actor.unit_code == unit and actor.role != Role.ADMIN:
        raise Forbidden(
            "Không được tự quyết định đề nghị mở lại báo cáo của chính đơn vị mình: việc này do "
            "cán bộ điều phối của đơn vị khác hoặc quản trị hệ thống thực hiện.",
            code="own_unit_review",
        )


def _close(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    target: Target,
    row: ReopenRequest,
    status: ReopenStatus,
    comment: str,
) -> ReopenRequestRead:
    """Move the request out of pending and audit it; the caller commits.

    A compare-and-set on (version, pending): two coordinators deciding at the same moment both
    read version 1, and only the first update matches; the second is a 409, on SQLite as on
    PostgreSQL, before it touches the report.
    """
    before = read_request(row, target.unit)
    seen = row.version
    claimed = db_session.exec(
        update(ReopenRequest)
        .where(
            col(ReopenRequest.id) == row.id,
            col(ReopenRequest.version) == seen,
            col(ReopenRequest.status) == ReopenStatus.PENDING,
        )
        .values(
            status=status,
            decided_by=actor.username,
            decided_at=clock.now(),
            decision_comment=comment,
            version=seen + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db_session.rollback()
        raise _stale()
    db_session.refresh(row)
    after = read_request(row, target.unit)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity=ENTITY,
        key=key_of(target.unit.code, row.period, row.number),
        before=before,
        after=after,
        clock=clock,
    )
    return after


def settle_on_reopen(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan: Plan,
    unit: Unit,
    period: Period,
    comment: str,
) -> None:
    """A coordinator who reopens the report directly (the old button) does what a waiting
    request asked: the request is marked granted with the reopen's reason, in the reopen's
    transaction, so it neither waits for a decision on a report that is open again nor blocks
    the unit's next request. No message of its own: the reopen already tells the unit."""
    row = pending_row(db_session=db_session, target=Target(plan, unit, period))
    if row is None:
        return
    _close(
        db_session=db_session,
        actor=actor,
        clock=clock,
        target=Target(plan, unit, period),
        row=row,
        status=ReopenStatus.GRANTED,
        comment=comment,
    )


def grant(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str,
    period: str,
    number: int,
    comment: str = "",
    version: int | None = None,
    plan: str | None = None,
    by_email: bool = False,
) -> ReopenRequestRead:
    """Grant the request: the report goes back to the unit (status “returned”, the unit's reason
    kept as the reopen reason) and the unit is told, all in one transaction."""
    _authorize_decision(actor, unit)
    text = _text(comment, field="comment", required="")
    target, row = _decidable(
        db_session=db_session,
        clock=clock,
        plan=plan,
        unit=unit,
        period=period,
        number=number,
        version=version,
    )
    submission = submission_of(db_session=db_session, target=target)
    if submission is None or submission.status != SubmissionStatus.APPROVED:
        raise Conflict(
            "Báo cáo không còn ở trạng thái đã duyệt nên không cần mở lại; hãy từ chối đề nghị "
            "kèm lý do hoặc để đơn vị rút đề nghị.",
            code="not_approved",
        )
    result = _close(
        db_session=db_session,
        actor=actor,
        clock=clock,
        target=target,
        row=row,
        status=ReopenStatus.GRANTED,
        comment=text,
    )
    transitions.reopen_in_transaction(
        db_session=db_session,
        actor=actor,
        clock=clock,
        plan=target.plan.code,
        unit=unit,
        period=str(target.period),
        reason=row.reason,
    )
    reopen_messages.tell_unit(
        db_session=db_session,
        actor=actor,
        clock=clock,
        plan=target.plan,
        unit=target.unit,
        period=target.period,
        row=row,
        due_date=submission.due_date,
        by_email=by_email,
    )
    db_session.commit()
    return result


def refuse(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str,
    period: str,
    number: int,
    comment: str,
    version: int | None = None,
    plan: str | None = None,
    by_email: bool = False,
) -> ReopenRequestRead:
    """Refuse the request, saying why; the report stays approved and the unit is told."""
    _authorize_decision(actor, unit)
    text = _text(comment, field="comment", required="Hãy ghi lý do từ chối để đơn vị biết vì sao.")
    target, row = _decidable(
        db_session=db_session,
        clock=clock,
        plan=plan,
        unit=unit,
        period=period,
        number=number,
        version=version,
    )
    submission = submission_of(db_session=db_session, target=target)
    result = _close(
        db_session=db_session,
        actor=actor,
        clock=clock,
        target=target,
        row=row,
        status=ReopenStatus.REFUSED,
        comment=text,
    )
    reopen_messages.tell_unit(
        db_session=db_session,
        actor=actor,
        clock=clock,
        plan=target.plan,
        unit=target.unit,
        period=target.period,
        row=row,
        due_date=submission.due_date if submission else row.requested_at.date(),
        by_email=by_email,
    )
    db_session.commit()
    return result


def withdraw(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str,
    period: str,
    number: int,
    comment: str = "",
    version: int | None = None,
    plan: str | None = None,
) -> ReopenRequestRead:
    """The unit takes back its request while it waits (nobody needs to hear of it: the office's
    list simply no longer shows it)."""
    authorize(actor, Permission.DATA_WRITE, unit_code=unit)
    text = _text(comment, field="comment", required="")
    target, row = _decidable(
        db_session=db_session,
        clock=clock,
        plan=plan,
        unit=unit,
        period=period,
        number=number,
        version=version,
    )
    result = _close(
        db_session=db_session,
        actor=actor,
        clock=clock,
        target=target,
        row=row,
        status=ReopenStatus.WITHDRAWN,
        comment=text,
    )
    db_session.commit()
    return result


#: What a decision is called in the API and on the pages, and the function that makes it.
DECISIONS = {"grant": grant, "refuse": refuse, "withdraw": withdraw}
