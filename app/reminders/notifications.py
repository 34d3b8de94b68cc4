"""The bell: a person's own notifications, the unread count, and marking them read.

Only the owner sees or changes a notification; marking read is a write, so it is audited like any
other (one row per click, however many it marks).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import NotFound
from app.reminders.models import Notification, NotificationRead


def _own(actor: Actor) -> int:
    """Notifications belong to a person; the CLI's ``system`` has none."""
    return actor.user_id if actor.user_id is not None else -1


def unread_count(*, db_session: Session, actor: Actor) -> int:
    return db_session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == _own(actor), col(Notification.read_at).is_(None))
    ).one()


def list_notifications(
    *,
    db_session: Session,
    actor: Actor,
    unread_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[NotificationRead], int]:
    """The actor's own notifications, unread first, newest first."""
    query = select(Notification).where(Notification.user_id == _own(actor))
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(
        query.order_by(
            col(Notification.read_at).is_not(None),
            col(Notification.created_at).desc(),
            col(Notification.id).desc(),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return [NotificationRead.model_validate(r) for r in rows], total


def mark_read(
    *, db_session: Session, actor: Actor, clock: Clock, notification_id: int | None
) -> int:
    """Mark one of the actor's notifications read (all of them when ``notification_id`` is None);
    someone else's is 404, as if it did not exist. Returns how many changed."""
    query = select(Notification).where(
        Notification.user_id == _own(actor), col(Notification.read_at).is_(None)
    )
    if notification_id is not None:
        row = db_session.get(Notification, notification_id)
        if row is None or row.user_id != _own(actor):
            raise NotFound("Không tìm thấy thông báo này.")
        query = query.where(Notification.id == notification_id)
    rows = list(db_session.exec(query))
    if not rows:
        return 0
    now = clock.now()
    for row in rows:
        row.read_at = now
        db_session.add(row)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="notification",
        key=str(notification_id) if notification_id is not None else "all",
        before={"unread": len(rows)},
        after={"unread": 0, "ids": [r.id for r in rows]},
        clock=clock,
    )
    db_session.commit()
    return len(rows)
