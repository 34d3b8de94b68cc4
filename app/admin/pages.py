"""All administration pages under ``/admin``, one router for ``app.main`` to include."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.dependencies import WebUser
from app.admin import audit, people, plan, plan_copy, profiles, rules, settings, targets, units
from app.permissions import Permission, authorize, can
from app.routes import Routes
from app.templating import render

router = Routes(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def hub(request: Request, identity: WebUser) -> Response:
    """Coordinators manage the plan; only admins see units, people and tokens."""
    authorize(identity.actor, Permission.PLAN_WRITE)
    return render(
        request,
        "admin/index.html",
        {"title": "Quản trị", "is_admin": can(identity.actor, Permission.USERS_MANAGE)},
    )


for module in (units, people, plan, plan_copy, targets, rules, settings, profiles, audit):
    router.include_router(module.router)
