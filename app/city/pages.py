"""`/thanh-pho`: the city's table of wards, with a way into any ward's own dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.accounts.dependencies import WebUser, settings_of
from app.city import service
from app.clock import ClockDep
from app.db import SessionDep
from app.periods import PeriodError, optional_period
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
    # A period nobody could mean is refused next to the field (422), with each ward's own
    # period below it, rather than a table whose every row says the period is wrong.
    error = ""
    try:
        asked = optional_period(period)
    except PeriodError as exc:
        asked, error = None, exc.message
    result = service.city_ranking(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        period=asked,
        sort=sort,
        min_sample=settings_of(request).sipas_min_sample,
    )
    return render(
        request,
        "city/ranking.html",
        {
            "title": "Các phường, xã của Thành phố",
            "r": result,
            "period_error": error,
            "typed_period": period or "",
        },
        block="body",
        status_code=422 if error else 200,
    )
