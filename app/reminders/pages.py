"""The bell, the notifications page and the coordinators' reminder log, in the browser.

The bell's count is a tiny fragment the top bar loads and polls; marking a notification read
swaps just that item (and the count, out of band), and without JavaScript the same form posts
and redirects back.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.dependencies import WebUser
from app.clock import ClockDep
from app.db import SessionDep
from app.reminders import notifications
from app.reporting import reminder_pass as service
from app.routes import Routes
from app.templating import is_partial_request, render

router = Routes(include_in_schema=False)

_PAGE_SIZE = 100


@router.get("/notifications/count", response_class=HTMLResponse)
def bell_count(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    count = notifications.unread_count(db_session=db_session, actor=identity.actor)
    response = render(request, "reminders/bell.html", {"count": count})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    items, total = notifications.list_notifications(
        db_session=db_session, actor=identity.actor, limit=_PAGE_SIZE
    )
    unread = notifications.unread_count(db_session=db_session, actor=identity.actor)
    return render(
        request,
        "reminders/notifications.html",
        {"title": "Thông báo", "items": items, "total": total, "count": unread},
        block="list",
    )


@router.post("/notifications/{notification_id}/read", response_class=HTMLResponse)
def mark_one_read(
    request: Request,
    notification_id: int,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    notifications.mark_read(
        db_session=db_session, actor=identity.actor, clock=clock, notification_id=notification_id
    )
    if not is_partial_request(request):
        return RedirectResponse("/notifications", status_code=303)
    items, _ = notifications.list_notifications(
        db_session=db_session, actor=identity.actor, limit=_PAGE_SIZE
    )
    item = next(i for i in items if i.id == notification_id)
    count = notifications.unread_count(db_session=db_session, actor=identity.actor)
    return render(
        request, "reminders/notifications.html", {"item": item, "count": count}, block="read_item"
    )


@router.post("/notifications/read-all", response_class=HTMLResponse)
def mark_all_read(identity: WebUser, db_session: SessionDep, clock: ClockDep) -> Response:
    notifications.mark_read(
        db_session=db_session, actor=identity.actor, clock=clock, notification_id=None
    )
    return RedirectResponse("/notifications", status_code=303)


@router.get("/reminders", response_class=HTMLResponse)
def reminders_page(
    request: Request, identity: WebUser, db_session: SessionDep, offset: int = 0
) -> Response:
    """Coordinators: what was sent to whom and when, failed e-mails included."""
    items, total = service.list_deliveries(
        db_session=db_session, actor=identity.actor, limit=_PAGE_SIZE, offset=max(offset, 0)
    )
    return render(
        request,
        "reminders/log.html",
        {
            "title": "Nhắc việc đã gửi",
            "items": items,
            "total": total,
            "offset": max(offset, 0),
            "page_size": _PAGE_SIZE,
            "failed": sum(1 for i in items if i.status == "failed"),
        },
        block="log",
    )
