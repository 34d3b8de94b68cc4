"""JSON API for the audit trail (coordinators and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query

from app.accounts.dependencies import CurrentActor
from app.audit import service
from app.audit.models import AuditEventRead
from app.db import SessionDep
from app.pagination import PagingDep
from app.permissions import Permission, authorize
from app.routes import Routes
from app.schemas import Page

router = Routes(tags=["audit"])


@router.get("/audit", response_model=Page[AuditEventRead], summary="Search the audit trail")
def list_audit(
    actor: CurrentActor,
    db_session: SessionDep,
    paging: PagingDep,
    entity: Annotated[str | None, Query(examples=["reading"])] = None,
    key: Annotated[str | None, Query(description="The record's key, as in the results.")] = None,
    user: Annotated[str | None, Query(description="Username of the actor.")] = None,
    action: Annotated[str | None, Query(examples=["update"])] = None,
    since: Annotated[datetime | None, Query(description="From this moment (inclusive).")] = None,
    until: Annotated[datetime | None, Query(description="Before this moment.")] = None,
) -> Page[AuditEventRead]:
    """Newest first: who changed what, when, through which channel, with before and after."""
    authorize(actor, Permission.AUDIT_READ)
    items, total = service.list_events(
        db_session=db_session,
        entity=entity,
        key=key,
        user=user,
        action=action,
        since=since,
        until=until,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)
