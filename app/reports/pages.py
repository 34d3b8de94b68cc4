"""The consolidated report's HTML preview (with a print stylesheet) and the public progress page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import tenancy
from app.accounts.dependencies import WebUser
from app.clock import ClockDep
from app.db import SessionDep
from app.permissions import Permission, can
from app.reports import public, service
from app.reports.content import ConsolidatedData
from app.reports.labels import template_helpers
from app.reports.models import SnapshotRead
from app.routes import Routes
from app.scores import service as score_service
from app.scores.schemas import Basis
from app.templating import render
from app.wards import service as ward_service

router = Routes(include_in_schema=False)
public_router = Routes(include_in_schema=False)


def preview_response(
    request: Request,
    *,
    data: ConsolidatedData,
    snapshots: list[SnapshotRead],
    standalone: bool = False,
    extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "reports/consolidated.html",
        {
            "title": f"Báo cáo {data.period_label}",
            "d": data,
            "snapshots": snapshots,
            **template_helpers(),
            "standalone": standalone,
            **(extra or {}),
        },
        block="report" if standalone else None,
    )


@router.get("/reports/consolidated", response_class=HTMLResponse)
def consolidated_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    period: str | None = None,
    basis: Basis = "all",
    chot: str | None = None,
) -> Response:
    data = service.build(
        db_session=db_session, actor=identity.actor, clock=clock, period=period, basis=basis
    )
    snapshots = service.list_snapshots(
        db_session=db_session, actor=identity.actor, period=data.period
    )
    return preview_response(
        request,
        data=data,
        snapshots=snapshots,
        extra={
            "periods": score_service.period_choices(db_session=db_session, clock=clock),
            "can_finalise": can(identity.actor, Permission.REVIEW),
            "just_finalised": chot,
        },
    )


@router.get("/reports/consolidated/preview", response_class=HTMLResponse)
def consolidated_preview(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    period: str | None = None,
    basis: Basis = "all",
) -> Response:
    """The report alone, without the page around it: what the PDF prints, to read or print from
    the browser. It used to be ``GET /api/v1/reports/consolidated?format=html``; the JSON API
    answers files and JSON only."""
    data = service.build(
        db_session=db_session, actor=identity.actor, clock=clock, period=period, basis=basis
    )
    return preview_response(request, data=data, snapshots=[], standalone=True)


@router.post("/reports/consolidated/final")
async def finalise(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    form = await request.form()
    period = str(form.get("period", "")) or None
    snapshot = service.mark_final(
        db_session=db_session, actor=identity.actor, clock=clock, period=period
    )
    return RedirectResponse(
        f"/reports/consolidated?period={snapshot.period}&chot={snapshot.version}", status_code=303
    )


@public_router.get("/public/progress", response_class=HTMLResponse)
def public_progress(
    request: Request,
    db_session: SessionDep,
    clock: ClockDep,
    period: str | None = None,
    ward: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The public page of one ward (``?ward=``; the only ward of a one-ward installation)."""
    found = ward_service.ward_for(db_session=db_session, code=ward)
    tenancy.enter(db_session, tenancy.Scope(ward_id=found.id, today=clock.today()))
    view = public.build(db_session=db_session, clock=clock, period=period)
    response = render(
        request,
        "reports/public.html",
        {
            "title": "Tiến độ thực hiện Kế hoạch",
            "v": view,
            "ward_name": found.name.replace("Phường", "phường", 1).replace("Xã", "xã", 1),
            **template_helpers(),
        },
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    if view.etag:
        response.headers["ETag"] = f'"{view.etag}"'
        if request.headers.get("if-none-match") == f'"{view.etag}"':
            return Response(status_code=304, headers={"ETag": f'"{view.etag}"'})
    return response
