"""`/thanh-pho`: the city's table of wards, with a way into any ward's own dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from app.accounts.dependencies import WebUser, settings_of
from app.city import service
from app.clock import ClockDep
from app.db import SessionDep
from app.periods import PeriodError, optional_period
from app.routes import Routes
from app.scores import cache, kept
from app.templating import templates

router = Routes(include_in_schema=False)

CONTENT = templates.get_template("city/_ranking_content.html")
BODY = templates.get_template("city/_ranking_body.html")
TITLE = "Các phường, xã của Thành phố"


@router.get("/thanh-pho", response_class=HTMLResponse)
def city_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    period: Annotated[str | None, Query(max_length=16)] = None,
    sort: Annotated[str, Query(max_length=64)] = service.SORT_SCORE,
) -> HTMLResponse:
    """The ranking drawn once per state of the city's data (kept with the ranking itself);
    only the frame around it is drawn per request. A period nobody could mean is refused next
    to the field (422), with each ward's own period below it, and is not kept."""
    error = ""
    try:
        asked = optional_period(period)
    except PeriodError as exc:
        asked, error = None, exc.message
    key, result = service.kept_ranking(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        period=asked,
        sort=sort,
        min_sample=settings_of(request).sipas_min_sample,
    )
    if error:
        shown = {"period_error": error, "typed_period": period or ""}
        body = Markup(BODY.render(r=result, **shown))
        content = CONTENT.render(r=result, body_html=body, **shown)
        refused = kept.Drawn(TITLE, content.encode(), body.encode())
        response = kept.framed(request, "city/ranking.html", refused)
        response.status_code = 422
        return response

    def draw() -> kept.Drawn:
        body = Markup(BODY.render(r=result))
        content = CONTENT.render(r=result, body_html=body)
        return kept.Drawn(TITLE, content.encode(), body.encode())

    return kept.framed(request, "city/ranking.html", cache.RESULTS.get((*key, "page"), draw))
