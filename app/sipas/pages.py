"""SIPAS pages for officers: the index with its charts, comments and exports (the counter's pages
are in ``counter.py``). Each calls the same service function as its JSON twin in ``api.py``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, col, select
from starlette.responses import Response

from app.accounts.dependencies import WebUser
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.dependencies import SurveyPeriodQuery
from app.errors import Invalid
from app.kpis.models import Domain
from app.periods import Period
from app.plans import service as plan_service
from app.routes import Routes
from app.sipas import comments, counter, export, service, ward_version
from app.sipas.config import formula
from app.sipas.dependencies import CodeQuery, VersionQuery, min_sample
from app.templating import render
from app.units.models import Unit

router = Routes(include_in_schema=False)
router.include_router(counter.router)


def _choices(db_session: Session, clock: Clock) -> dict[str, Any]:
    """Periods, units and domains for the filter forms."""
    plan = plan_service.get_plan(db_session=db_session, code=None)
    periods = plan_service.calendar_for(plan).periods(until=clock.today())
    years = sorted({p.year for p in periods}, reverse=True)
    options = [(str(p), p.label_vi) for p in reversed(periods)]
    options += [(str(y), f"Cả năm {y}") for y in years]
    units = db_session.exec(select(Unit).where(col(Unit.active)).order_by(col(Unit.id))).all()
    domains = db_session.exec(
        select(Domain).where(col(Domain.active)).order_by(col(Domain.position))
    ).all()
    return {
        "period_options": options,
        "units": units,
        "domains": domains,
        "channels": service.CHANNEL_LABELS,
    }


def _filters(
    period: str | None,
    unit: str | None,
    domain: str | None,
    channel: str | None,
    version: str | None = None,
) -> service.SipasFilters:
    return service.SipasFilters(
        period=period or None,
        unit=unit or None,
        domain=domain or None,
        channel=channel or None,
        version=version or None,
    )


def _version_links(found: service.SipasReport, query: dict[str, str]) -> list[dict[str, Any]]:
    """One link per questionnaire version answered in the period: each has its own index."""
    return [
        {
            "version": v.version,
            "responses": v.responses,
            "current": v.version == found.questionnaire_version,
            "url": "/sipas?" + urlencode({**query, "period": found.period, "version": v.version}),
        }
        for v in found.versions
    ]


def _index_page(
    request: Request,
    identity: WebUser,
    db_session: Session,
    clock: Clock,
    filters: service.SipasFilters,
    *,
    store_error: str | None = None,
    stored: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = service.report(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        filters=filters,
        min_sample=min_sample(request),
    )
    query = {k: v for k, v in vars(filters).items() if v}
    return render(
        request,
        "sipas/index.html",
        {
            "title": "Chỉ số hài lòng SIPAS",
            "report": found,
            "filters": filters,
            "version_links": _version_links(found, query),
            "may_choose_version": ward_version.may_choose(identity.actor),
            "query": urlencode(query),
            "target": formula().indicator.target,
            "indicator": formula().indicator,
            "can_store": comments.may_moderate(identity.actor),
            "store_error": store_error,
            "stored": stored,
            **_choices(db_session, clock),
        },
        block="report",
        status_code=status_code,
    )


@router.get("/sipas", response_class=HTMLResponse)
def index_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    period: SurveyPeriodQuery = None,
    unit: CodeQuery = None,
    domain: CodeQuery = None,
    channel: CodeQuery = None,
    version: VersionQuery = None,
    stored: Annotated[str | None, Query(max_length=1)] = None,
) -> HTMLResponse:
    filters = _filters(period, unit, domain, channel, version)
    try:
        return _index_page(request, identity, db_session, clock, filters, stored=stored)
    except Invalid as exc:
        return _index_or_default(
            request, identity, db_session, clock, service.SipasFilters(), store_error=exc.message
        )


def _index_or_default(
    request: Request,
    identity: WebUser,
    db_session: Session,
    clock: Clock,
    filters: service.SipasFilters,
    *,
    store_error: str,
) -> HTMLResponse:
    """A 422 page saying what was wrong, with the filters, or the default ones if they are bad."""
    try:
        return _index_page(
            request, identity, db_session, clock, filters, store_error=store_error, status_code=422
        )
    except Invalid:
        return _index_page(
            request,
            identity,
            db_session,
            clock,
            service.SipasFilters(),
            store_error=store_error,
            status_code=422,
        )


@router.post("/sipas/chi-so", response_class=HTMLResponse)
def store_reading_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    period: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    try:
        reading = service.store_index_reading(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            period=period,
            min_sample=min_sample(request),
        )
    except Invalid as exc:
        db_session.rollback()
        return _index_or_default(
            request,
            identity,
            db_session,
            clock,
            service.SipasFilters(period=period or None),
            store_error=exc.message,
        )
    target = "/sipas?" + urlencode({"period": reading.period, "stored": "1"})
    return RedirectResponse(target, status_code=303)


# --- comments ------------------------------------------------------------------------------------


def _comments_page(
    request: Request,
    identity: WebUser,
    db_session: Session,
    clock: Clock,
    filters: service.SipasFilters,
    *,
    errors: dict[str, str] | None = None,
    reasons: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    items, total = comments.list_comments(
        db_session=db_session, actor=identity.actor, clock=clock, filters=filters, limit=500
    )
    period = (
        Period.parse(filters.period)
        if filters.period
        else service.default_period(db_session=db_session, clock=clock)
    )
    return render(
        request,
        "sipas/comments.html",
        {
            "title": "Góp ý của người dân",
            "comments": items,
            "total": total,
            "filters": filters,
            "period": period,
            "can_moderate": comments.may_moderate(identity.actor),
            "errors": errors or {},
            "reasons": reasons or {},
            **_choices(db_session, clock),
        },
        block="comments",
        status_code=status_code,
    )


@router.get("/sipas/gop-y", response_class=HTMLResponse)
def comments_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    period: SurveyPeriodQuery = None,
    unit: CodeQuery = None,
    domain: CodeQuery = None,
    version: VersionQuery = None,
) -> HTMLResponse:
    """The comments on the version the results page showed (``?version=``, else the ward's)."""
    return _comments_page(
        request, identity, db_session, clock, _filters(period, unit, domain, None, version)
    )


CommentId = Annotated[str, Path(max_length=32, pattern="^[0-9a-f]{32}$")]


def _moderate(
    request: Request,
    identity: WebUser,
    db_session: Session,
    clock: Clock,
    comment_id: str,
    *,
    hidden: bool,
    reason: str,
    period: str,
    version: str,
) -> Response:
    filters = service.SipasFilters(period=period or None, version=version or None)
    try:
        comments.set_comment_hidden(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            response_id=comment_id,
            hidden=hidden,
            reason=reason,
        )
    except Invalid as exc:
        return _comments_page(
            request,
            identity,
            db_session,
            clock,
            filters,
            errors={comment_id: exc.message},
            reasons={comment_id: reason},
            status_code=422,
        )
    from app.templating import is_partial_request

    if is_partial_request(request):
        return _comments_page(request, identity, db_session, clock, filters)
    query = urlencode({k: v for k, v in (("period", period), ("version", version)) if v})
    return RedirectResponse(f"/sipas/gop-y?{query}#c-{comment_id}", status_code=303)


@router.post("/sipas/gop-y/{comment_id}/an", response_class=HTMLResponse)
def hide_comment_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    comment_id: CommentId,
    reason: Annotated[str, Form(max_length=600)] = "",
    period: Annotated[str, Form(max_length=16)] = "",
    version: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    return _moderate(request, identity, db_session, clock, comment_id, hidden=True,
                     reason=reason, period=period, version=version)  # fmt: skip


@router.post("/sipas/gop-y/{comment_id}/hien", response_class=HTMLResponse)
def show_comment_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    comment_id: CommentId,
    period: Annotated[str, Form(max_length=16)] = "",
    version: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    return _moderate(request, identity, db_session, clock, comment_id, hidden=False,
                     reason="", period=period, version=version)  # fmt: skip


# --- exports -------------------------------------------------------------------------------------


@router.get("/sipas/xuat", response_class=HTMLResponse)
def export_page(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    period: SurveyPeriodQuery = None,
    version: VersionQuery = None,
) -> HTMLResponse:
    chosen = period or str(service.default_period(db_session=db_session, clock=clock))
    return render(
        request,
        "sipas/export.html",
        {
            "title": "Xuất phiếu khảo sát",
            "period": chosen,
            "query": urlencode({"period": chosen, **({"version": version} if version else {})}),
            "version": version or "",
            "allowed": comments.may_moderate(identity.actor),
            **_choices(db_session, clock),
        },
    )


@router.get("/sipas/xuat.{kind}")
def export_download(
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    kind: Annotated[str, Path(pattern="^(csv|xlsx)$")],
    period: SurveyPeriodQuery = None,
    unit: CodeQuery = None,
    domain: CodeQuery = None,
    version: VersionQuery = None,
) -> Response:
    return export.download(
        db_session=db_session,
        actor=identity.actor,
        clock=clock,
        filters=_filters(period, unit, domain, None, version),
        kind=kind,
    )
