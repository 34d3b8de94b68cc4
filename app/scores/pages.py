"""Dashboard pages: the ward overview, a unit, an indicator, and the "Vì sao?" fragments.

Each page calls the same service functions as its JSON twin under ``/api/v1/scores``; a period
change swaps only the page body (htmx), and a "Vì sao?" link loads a breakdown in place, or opens
the full page without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from app.accounts.credentials import WebIdentity
from app.accounts.dependencies import WebUser
from app.accounts.request_state import request_identity
from app.actors import Actor
from app.clock import ClockDep
from app.db import SessionDep
from app.names import Names, NamesDep, names_of
from app.permissions import Permission, can
from app.plans.models import TASK_ROLE_LABELS
from app.progress.models import PROGRESS_LABELS
from app.routes import Routes
from app.scores import cache, charts, indicator_detail, kept, service, trends
from app.scores.schemas import (
    DATA_STATE_LABELS,
    Basis,
    IndicatorScore,
    ScoreSummary,
    UnitBreakdown,
)
from app.scoring.rules import COMPARATOR_SYMBOLS as COMPARATORS
from app.templating import format_number_vi, is_partial_request, render, templates

router = Routes(prefix="/scores", include_in_schema=False)

REPORT_STATES = {
    "on_time": ("✓", "Đúng hạn"),
    "late": ("!", "Trễ hạn"),
    "missing": ("✗", "Chưa nộp"),
    "not_due": ("…", "Chưa đến hạn"),
    "not_expected": ("–", "Không phải nộp"),
}


@dataclass(frozen=True)
class Where:
    """The period and plan a page shows; ``plan`` only matters where several plans are loaded."""

    period: str | None
    plan: str | None
    basis: Basis = "all"

    def query(self, period: str | None = None, **extra: str | None) -> str:
        """``?period=2025-10&unit=vp``, leaving out what is empty (``""`` if nothing is left)."""
        basis = self.basis if self.basis != "all" else None
        params = {"period": period or self.period, **extra, "plan": self.plan, "basis": basis}
        kept = {k: v for k, v in params.items() if v}
        return "?" + urlencode(kept) if kept else ""


async def _where(
    period: Annotated[str | None, Query()] = None,
    plan: Annotated[str | None, Query()] = None,
    basis: Annotated[Basis, Query()] = "all",
) -> Where:
    """Async: a plain function dependency would cost every page a worker thread."""
    return Where(period=period, plan=plan, basis=basis)


WhereDep = Annotated[Where, Depends(_where)]


def _common(
    db_session: SessionDep,
    clock: ClockDep,
    where: Where,
    periods: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    if periods is None:
        periods = service.period_choices(db_session=db_session, clock=clock, plan=where.plan)
    return {
        "periods": periods,
        "plan_code": where.plan,
        "lights": charts.LIGHTS,
        "report_states": REPORT_STATES,
        "status_labels": PROGRESS_LABELS,
        "role_labels": TASK_ROLE_LABELS,
        "comparators": COMPARATORS,
        "query": where.query,
        "basis": where.basis,
        "data_states": DATA_STATE_LABELS,
    }


def _signed_in(request: Request) -> WebIdentity:
    """Who the page router's ``require_web_identity`` let in (it runs before every page of
    ``build_page_router``'s protected routers); outside them this fails loudly, never anonymous."""
    identity = request_identity(request)
    if identity is None:
        raise RuntimeError("a page reading the signed-in person outside the protected router")
    return identity


def _target_text(indicator: IndicatorScore) -> str:
    unit = "%" if indicator.measure == "percent" else ""
    return f"{COMPARATORS[indicator.comparator]} {format_number_vi(indicator.target, 1)}{unit}"


def _overview_key(where: Where) -> tuple[str, str | None, str | None, Basis]:
    period = where.period.strip() if where.period else None
    return ("overview.page", period, where.plan, where.basis)


@router.get("", response_class=HTMLResponse)
async def overview(
    request: Request,
    db_session: SessionDep,
    clock: ClockDep,
    period: Annotated[str | None, Query()] = None,
    plan: Annotated[str | None, Query()] = None,
    basis: Annotated[Basis, Query()] = "all",
) -> Response:
    """The ward in one period; a reporter is sent to its own unit's page instead.

    Drawn once per version of the plan's data and kept (``kept.Drawn``): a request whose plan has
    not changed costs one query and no worker thread (``app/scores/kept.py``). The signed-in
    person is the one the page router's ``require_web_identity`` checked (``_signed_in``): naming
    ``WebUser`` here again made FastAPI walk its four dependencies a second time per request.
    """
    where = Where(period=period, plan=plan, basis=basis)  # not ``WhereDep``: a dependency less
    actor = _signed_in(request).actor
    if not can(actor, Permission.READ_ALL) and actor.unit_code:
        return RedirectResponse(f"/scores/units/{actor.unit_code}{where.query()}", 303)
    service.require_ward(actor)
    scope = kept.locate(db_session=db_session, clock=clock, plan=where.plan)
    found = kept.kept(scope, where.period, *_overview_key(where))
    page = (
        found
        if isinstance(found, kept.Drawn)
        else await run_in_threadpool(_drawn, request, db_session, actor, clock, where)
    )
    return kept.framed(request, "scores/overview.html", page)


def _drawn(
    request: Request, db_session: SessionDep, actor: Actor, clock: ClockDep, where: Where
) -> kept.Drawn:
    """The overview computed (or its summary and body taken from what is kept) and kept."""
    plan, scope = service.scoped(db_session=db_session, clock=clock, plan=where.plan)

    def draw() -> kept.Drawn:
        summary = service.plan_summary(
            db_session=db_session,
            clock=clock,
            plan=plan,
            period=where.period,
            basis=where.basis,
            scope=scope,
        )
        periods = service.kept_period_choices(plan, scope)
        context = _common(db_session, clock, where, periods) | {"s": summary}
        names = {"names": names_of(request)}

        drawn = _overview_body(db_session, actor, clock, summary, where)
        body = Markup(OVERVIEW_BODY.render(context | drawn | names))
        content = OVERVIEW_CONTENT.render(context | names | {"body_html": body})
        return kept.Drawn(
            title=f"Điểm CCHC — {summary.period_label}",
            content=content.encode(),
            body=body.encode(),
        )

    return cache.RESULTS.get(scope.key_for(where.period, *_overview_key(where)), draw)


OVERVIEW_CONTENT = templates.get_template("scores/_overview_content.html")
OVERVIEW_BODY = templates.get_template("scores/_overview_body.html")


def _overview_body(
    db_session: SessionDep, actor: Actor, clock: ClockDep, summary: ScoreSummary, where: Where
) -> dict[str, Any]:
    """What the overview's body draws besides the summary: the indicators' sparklines (twelve
    periods of readings), the target texts, the areas' bars."""
    lines = trends.indicator_sparklines(
        db_session=db_session, actor=actor, clock=clock, period_to=summary.period, plan=where.plan
    )
    by_code = {i.code: i for i in summary.indicators}
    sparklines = {
        code: charts.line_chart(
            points=points,
            target=by_code[code].target,
            percent=by_code[code].measure == "percent",
            width=120,
            height=30,
            compact=True,
        )
        for code, points in lines.items()
    }
    return {
        "sparklines": sparklines,
        "targets": {i.code: _target_text(i) for i in summary.indicators},
        "bars": charts.area_bars(areas=summary.areas),
    }


def _total(breakdown: UnitBreakdown) -> float:
    """Shown under the components, so that the reader sees them add up to the score."""
    return sum(c.contribution for c in breakdown.components)


def _unit_context(
    db_session: SessionDep, identity: WebUser, clock: ClockDep, code: str, where: Where
) -> dict[str, Any]:
    actor = identity.actor
    breakdown = service.unit_breakdown(
        db_session=db_session,
        actor=actor,
        clock=clock,
        unit=code,
        period=where.period,
        plan=where.plan,
    )
    return _common(db_session, clock, where) | {
        "title": f"Điểm của {breakdown.unit.short_name} — {breakdown.period_label}",
        "b": breakdown,
        "targets": {i.code: _target_text(i) for i in breakdown.indicators.items},
        "can_read_all": can(actor, Permission.READ_ALL),
        "total": _total(breakdown),
    }


@router.get("/units/{code}", response_class=HTMLResponse)
def unit_page(
    code: str,
    request: Request,
    db_session: SessionDep,
    identity: WebUser,
    clock: ClockDep,
    where: WhereDep,
) -> Response:
    """A unit's score, its trend over the periods and its full breakdown."""
    context = _unit_context(db_session, identity, clock, code, where)
    breakdown: UnitBreakdown = context["b"]
    series = trends.trend(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        unit=code,
        period_to=breakdown.period,
        plan=where.plan,
        last=12,
    )
    context["chart"] = charts.line_chart(points=series.points, unit_suffix="")
    context["bars"] = charts.area_bars(areas=breakdown.areas)
    return render(request, "scores/unit.html", context, block="body")


@router.get("/units/{code}/why", response_class=HTMLResponse)
def unit_why(
    code: str,
    request: Request,
    db_session: SessionDep,
    identity: WebUser,
    clock: ClockDep,
    where: WhereDep,
) -> Response:
    """The breakdown alone, for the "Vì sao?" panel; a plain visit goes to the full page."""
    if not is_partial_request(request):
        return RedirectResponse(f"/scores/units/{code}{where.query()}#vi-sao", 303)
    context = _unit_context(db_session, identity, clock, code, where)
    return render(request, "scores/unit.html", context, block="why")


def _indicator_context(
    db_session: SessionDep,
    identity: WebUser,
    clock: ClockDep,
    code: str,
    where: Where,
    unit: str | None,
    names: Names,
) -> dict[str, Any]:
    detail = indicator_detail.indicator_detail(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        indicator=code,
        period=where.period,
        plan=where.plan,
        unit=unit,
    )
    scope = f" — {names.unit_name(detail.unit)}" if detail.unit else ""
    return _common(db_session, clock, where) | {
        "title": f"{detail.indicator.name}{scope} — {detail.period_label}",
        "d": detail,
        "i": detail.indicator,
        "target": _target_text(detail.indicator),
    }


@router.get("/indicators/{code}", response_class=HTMLResponse)
def indicator_page(
    code: str,
    request: Request,
    db_session: SessionDep,
    identity: WebUser,
    clock: ClockDep,
    where: WhereDep,
    names: NamesDep,
    unit: Annotated[str | None, Query()] = None,
) -> Response:
    """An indicator: the ward's (or a unit's) value, its trend against the target, per unit."""
    context = _indicator_context(db_session, identity, clock, code, where, unit, names)
    detail = context["d"]
    series = trends.trend(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        unit=detail.unit,
        indicator=code,
        period_to=detail.period,
        plan=where.plan,
        last=12,
    )
    percent = detail.indicator.measure == "percent"
    context["chart"] = charts.line_chart(
        points=series.points,
        target=detail.indicator.target,
        percent=percent,
        unit_suffix="%" if percent else "",
    )
    return render(request, "scores/indicator.html", context, block="body")


@router.get("/indicators/{code}/why", response_class=HTMLResponse)
def indicator_why(
    code: str,
    request: Request,
    db_session: SessionDep,
    identity: WebUser,
    clock: ClockDep,
    where: WhereDep,
    names: NamesDep,
    unit: Annotated[str | None, Query()] = None,
) -> Response:
    """How an indicator's value was obtained, for the "Vì sao?" panel."""
    if not is_partial_request(request):
        return RedirectResponse(f"/scores/indicators/{code}{where.query(unit=unit)}#vi-sao", 303)
    context = _indicator_context(db_session, identity, clock, code, where, unit, names)
    return render(request, "scores/indicator.html", context, block="why")
