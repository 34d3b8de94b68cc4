"""Comments left with answers: listed per period, hidden by coordinators, never edited.

Hiding keeps the text unchanged (it can be shown again); the audit trail records who hid it and
why, never the text itself.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Invalid, NotFound
from app.kpis.models import Domain
from app.permissions import Permission, authorize, authorize_read, can
from app.sipas.models import CommentRead, Response
from app.sipas.service import (
    SipasFilters,
    answer_filters,
    default_period,
    parse_period_filter,
    shown_version,
)
from app.units import service as unit_service


def may_moderate(actor: Actor) -> bool:
    """Coordinators and admins: they hide comments, store the index and export answers."""
    return can(actor, Permission.REVIEW)


def _comment_read(
    row: Response, units: dict[int, str], domains: dict[int, str], reveal: bool
) -> CommentRead:
    return CommentRead(
        id=row.id,
        month=row.month,
        unit=units.get(row.unit_id, ""),
        domain=domains.get(row.domain_id) if row.domain_id else None,
        procedure_name=row.procedure_name,
        channel=row.channel,
        text=row.comment if (reveal or not row.comment_hidden) else None,
        hidden=row.comment_hidden,
    )


def list_comments(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    filters: SipasFilters,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[CommentRead], int]:
    """The period's comments on the version being viewed (``filters.version``, else the ward's in
    force: the comments the results page counted); a hidden one's text only for those who may
    moderate."""
    filters = replace(filters, unit=authorize_read(actor, filters.unit))
    period = (
        parse_period_filter(filters.period)
        if filters.period
        else default_period(db_session=db_session, clock=clock)
    )
    where = [
        *answer_filters(db_session=db_session, filters=filters, period=period),
        Response.comment != "",
        Response.questionnaire_id
        == shown_version(db_session=db_session, clock=clock, filters=filters).id,
    ]
    total = db_session.exec(select(func.count()).select_from(Response).where(*where)).one()
    rows = db_session.exec(
        select(Response)
        .where(*where)
        .order_by(col(Response.period_start).desc(), col(Response.id))
        .limit(limit)
        .offset(offset)
    ).all()
    units = unit_service.codes_by_id(db_session=db_session, ids=[r.unit_id for r in rows])
    domains = {d.id: d.code for d in db_session.exec(select(Domain)).all() if d.id is not None}
    reveal = may_moderate(actor)
    return [_comment_read(r, units, domains, reveal) for r in rows], int(total)


def set_comment_hidden(
    *, db_session: Session, actor: Actor, clock: Clock, response_id: str, hidden: bool, reason: str
) -> CommentRead:
    """Hide (or show again) a comment; its text is never changed, and the audit keeps the reason."""
    authorize(actor, Permission.REVIEW)
    row = db_session.get(Response, response_id) if len(response_id) <= 32 else None
    if row is None or not row.comment:
        raise NotFound("Không có góp ý này.", code="comment_not_found")
    reason = reason.strip()
    if hidden and not reason:
        raise Invalid.one("reason", "required", "Hãy ghi lý do ẩn, ví dụ “lời lẽ xúc phạm”.")
    if len(reason) > 500:
        raise Invalid.one("reason", "too_long", "Lý do tối đa 500 ký tự.")
    if row.comment_hidden != hidden:
        before = {"hidden": row.comment_hidden}
        row.comment_hidden = hidden
        db_session.add(row)
        audit.record(
            db_session=db_session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity="sipas_comment",
            key=row.id,
            before=before,
            after={"hidden": hidden, "reason": reason},  # never the text itself
            clock=clock,
        )
        db_session.commit()
    units = unit_service.codes_by_id(db_session=db_session, ids=[row.unit_id])
    domains = {d.id: d.code for d in db_session.exec(select(Domain)).all() if d.id is not None}
    return _comment_read(row, units, domains, True)
