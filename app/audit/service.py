"""Writing and reading the audit trail.

``record`` only adds a row to the session: the service that changes data commits it, so a change and
its audit row land together or not at all, and a refused or failed write leaves no trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit.models import AuditAction, AuditEvent, AuditEventRead
from app.clock import VIETNAM_TZ, Clock, SystemClock
from app.db import insert_many, table_of

Snapshot = BaseModel | Mapping[str, Any] | None


def _snapshot(value: Snapshot) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return dict(value)


def row_values(
    *,
    actor: Actor,
    action: AuditAction | str,
    entity: str,
    key: str,
    before: Snapshot = None,
    after: Snapshot = None,
    clock: Clock | None = None,
) -> dict[str, Any]:
    """The columns of one audit row: ``record`` and the bulk writers share this one definition."""
    return {
        "at": (clock or SystemClock()).now(),
        "actor_username": actor.username,
        "actor_user_id": actor.user_id,
        "ward_id": actor.ward_id,
        "via": actor.via,
        "action": str(action),
        "entity": entity,
        "entity_key": key[:255],
        "before": _snapshot(before),
        "after": _snapshot(after),
        "ip": actor.ip[:64],
    }


def record(
    *,
    db_session: Session,
    actor: Actor,
    action: AuditAction | str,
    entity: str,
    key: str,
    before: Snapshot = None,
    after: Snapshot = None,
    clock: Clock | None = None,
) -> AuditEvent:
    """Add the audit row for a change to the session; the caller's commit writes both."""
    event = AuditEvent(
        **row_values(
            actor=actor,
            action=action,
            entity=entity,
            key=key,
            before=before,
            after=after,
            clock=clock,
        )
    )
    db_session.add(event)
    return event


def record_many(*, db_session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert many ``row_values`` at once, in the caller's transaction: a million-row import
    cannot afford one ORM object, nor one Core parameter dict, per audit row."""
    insert_many(db_session, table_of(AuditEvent), rows)


def to_read(event: AuditEvent) -> AuditEventRead:
    return AuditEventRead(
        id=event.id or 0,
        at=event.at,
        actor_username=event.actor_username,
        via=event.via,
        action=event.action,
        entity=event.entity,
        key=event.entity_key,
        before=event.before,
        after=event.after,
        ip=event.ip,
    )


def _aware(moment: datetime | None) -> datetime | None:
    """A moment without a zone is read as Vietnam time: what a coordinator means by it."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=VIETNAM_TZ)


def list_events(
    *,
    db_session: Session,
    entity: str | None = None,
    key: str | None = None,
    user: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditEventRead], int]:
    """Newest first; ``until`` is exclusive so consecutive windows never count a row twice."""
    since, until = _aware(since), _aware(until)
    query = select(AuditEvent)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if key:
        query = query.where(AuditEvent.entity_key == key)
    if user:
        query = query.where(AuditEvent.actor_username == user)
    if action:
        query = query.where(AuditEvent.action == action)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(
        query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [to_read(r) for r in rows], total


def count_recent(
    *,
    db_session: Session,
    action: AuditAction,
    since: datetime,
    key: str | None = None,
    ip: str | None = None,
) -> int:
    """How many ``action`` rows since a moment, for one key or one address (login throttling)."""
    query = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == str(action), AuditEvent.at >= since)
    )
    if key is not None:
        query = query.where(AuditEvent.entity_key == key)
    if ip is not None:
        query = query.where(AuditEvent.ip == ip)
    return db_session.exec(query).one()
