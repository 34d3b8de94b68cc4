"""`/thanh-pho`: the city's table of wards, with a way into any ward's own dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from app.accounts.dependencies import WebUser, settings_of
from app.city import service
from app.clock import ClockDep
from app.db import SessionDep
from app.scores import cache, kept
from app.templating import templates

router = APIRouter(include_in_schema=False)

CONTENT = templates.get_template("city/_ranking_content.html")
BODY = templates.get_template("city/_ranking_body.html")


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
    only the frame around it is drawn per request."""
    key, result = service.kept_ranking(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        period=period or None,
        sort=sort,
        min_sample=settings_of(request).sipas_min_sample,
    )

    def draw() -> kept.Drawn:
        body = Markup(BODY.render(r=result))
        content = CONTENT.render(r=result, body_html=body)
        return kept.Drawn("Các phường, xã của Thành phố", content.encode(), body.encode())

    return kept.framed(request, "city/ranking.html", cache.RESULTS.get((*key, "page"), draw))
