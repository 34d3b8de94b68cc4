"""JSON API for reminders: a person's notifications and the coordinators' delivery log (reads).

Marking notifications read is done on the notifications page (a browser action); the pass itself
runs from the command line (``partrack remind``), so no write endpoint is exposed here.
"""

from __future__ import annotations

from app.accounts.dependencies import CurrentActor
from app.db import SessionDep
from app.pagination import PagingDep
from app.reminders import notifications
from app.reminders.models import DeliveryRead, NotificationRead
from app.reporting import reminder_pass as service
from app.routes import Routes
from app.schemas import Page

router = Routes()


@router.get(
    "/notifications",
    response_model=Page[NotificationRead],
    tags=["notifications"],
    summary="My notifications",
)
def list_notifications(
    db_session: SessionDep, actor: CurrentActor, paging: PagingDep, unread: bool = False
) -> Page[NotificationRead]:
    """The caller's own notifications, unread first, newest first."""
    items, total = notifications.list_notifications(
        db_session=db_session,
        actor=actor,
        unread_only=unread,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get(
    "/reminders",
    response_model=Page[DeliveryRead],
    tags=["reminders"],
    summary="Reminders sent, to whom, and e-mail failures",
    responses={403: {"description": "Coordinators and admins only."}},
)
def list_deliveries(
    db_session: SessionDep, actor: CurrentActor, paging: PagingDep
) -> Page[DeliveryRead]:
    """Every delivery of every reminder, newest first; `status` `failed` with its `error` is an
    e-mail the next pass will try again."""
    items, total = service.list_deliveries(
        db_session=db_session, actor=actor, limit=paging.limit, offset=paging.offset
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)
