"""`/thanh-pho`: the city's table of wards, with a way into any ward's own dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.accounts.dependencies import WebUser, settings_of
from app.city import service
from app.clock import ClockDep
from app.db import SessionDep
from app.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/thanh-pho", response_class=HTMLResponse)
def city_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    period: Annotated[str | None, Query(max_length=16)] = None,
    sort: Annotated[str, Query(max_length=64)] = service.SORT_SCORE,
) -> HTMLResponse:
    result = service.city_ranking(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        period=period or None,
        sort=sort,
        min_sample=settings_of(request).sipas_min_sample,
    )
    return render(
        request,
        "city/ranking.html",
        {"title": "Các phường, xã của Thành phố", "r": result},
        block="body",
    )
