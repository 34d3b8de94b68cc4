"""The reporting cycle in the browser, put together: each person's landing page and the
completeness overview here; the workspace, submission and review pages in their own modules.

``router`` carries them all (no two of them share a path, so their order does not matter).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.dependencies import WebUser
from app.clock import ClockDep
from app.db import SessionDep
from app.permissions import CITY_ROLES, Role
from app.reporting import (
    agenda,
    completeness,
    flags,
    review_pages,
    submission_pages,
    workspace_pages,
)
from app.routes import Routes
from app.submissions.models import STATUS_LABELS
from app.templating import render

_overview = Routes(include_in_schema=False)


@_overview.get("/", response_class=HTMLResponse)
def home(request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep) -> Response:
    """Each person lands on what needs them: a reporter on its unit's returned, overdue and
    coming reports (most urgent first), a coordinator on the review queue and then its own unit's
    list; a leader, who acts on nothing here, on the completeness overview."""
    actor = identity.actor
    if actor.role == Role.VIEWER:
        return RedirectResponse("/completeness", status_code=303)
    if actor.role in CITY_ROLES:
        return RedirectResponse("/thanh-pho", status_code=303)
    return render(
        request,
        "reporting/home.html",
        {
            "title": "Việc cần làm",
            "agenda": agenda.build(
                db_session=db_session,
                actor=actor,
                clock=clock,
                thresholds=flags.thresholds_of(request.app.state.settings),
            ),
            "status_labels": STATUS_LABELS,
        },
    )


@_overview.get("/completeness", response_class=HTMLResponse)
def completeness_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    tu: str | None = None,
    den: str | None = None,
) -> Response:
    matrix = completeness.build(
        db_session=db_session, actor=identity.actor, clock=clock, since=tu, until=den
    )
    return render(
        request,
        "reporting/completeness.html",
        {"title": "Tình hình gửi báo cáo", "m": matrix, "status_labels": STATUS_LABELS},
        block="matrix",
    )


router = Routes(include_in_schema=False)
for _part in (_overview, workspace_pages.router, submission_pages.router, review_pages.router):
    router.include_router(_part)
