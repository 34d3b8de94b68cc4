"""HTML page of the Decision 766 scorecard: groups, metrics and the trend."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.accounts.dependencies import WebUser
from app.clock import ClockDep
from app.db import SessionDep
from app.dossiers import scorecard
from app.routes import Routes
from app.templating import render
from app.units import service as unit_service

router = Routes(include_in_schema=False)


def _width_class(points: float, maximum: float) -> str:
    """A CSS class for a bar (the CSP allows no inline ``style``): w0 … w100 in tens."""
    if maximum <= 0:
        return "w0"
    return f"w{round(points / maximum * 10) * 10}"


@router.get("/scorecards/766", response_class=HTMLResponse)
def scorecard_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    unit: str | None = None,
    period: str | None = None,
) -> HTMLResponse:
    """The groups, their metrics and the trend; the filter form swaps the ``scorecard`` block."""
    card = scorecard.scorecard_766(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        unit=unit or None,
        period=period or None,
    )
    units, _ = unit_service.list_units(
        db_session=db_session, active=True, parent=None, q=None, limit=1000, offset=0
    )
    periods = scorecard.scorecard_periods(db_session=db_session, today=clock.today())
    return render(
        request,
        "integration/scorecard.html",
        {
            "title": "Bộ chỉ số phục vụ (Quyết định 766/QĐ-TTg)",
            "card": card,
            "units": units,
            "periods": periods,
            "width": _width_class,
        },
        block="scorecard",
    )
