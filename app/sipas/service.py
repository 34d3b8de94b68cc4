"""The satisfaction index read from stored answers: per unit, domain, channel and period, trends,
and the computed reading that feeds the scores.

Queries only count raw answers per item and level; the arithmetic is in ``app.sipas.index``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func
from sqlalchemy import select as select_rows
from sqlmodel import Session, col, select

from app.actors import SYSTEM, Actor
from app.clock import Clock
from app.errors import Invalid, NotFound
from app.kpis import domains as kpi_domains
from app.kpis import indicators as kpi_indicators
from app.kpis import readings as kpi_readings
from app.kpis.models import (
    Domain,
    IndicatorCreate,
    Measure,
    ReadingRead,
    ReadingSource,
    ReadingWrite,
)
from app.periods import Period, PeriodError
from app.permissions import Permission, authorize, authorize_read
from app.plans import service as plan_service
from app.sipas import ward_version
from app.sipas.config import formula
from app.sipas.index import (
    ExpectationScore,
    FactorSpec,
    IndexScore,
    compute_index,
    score_expectation,
)
from app.sipas.models import (
    AnswerSource,
    Channel,
    Questionnaire,
    Rating,
    RatingKind,
    Response,
)
from app.sipas.questionnaire import content_of, get_version
from app.units import service as unit_service
from app.units.models import Unit

CHANNEL_LABELS = {
    Channel.COUNTER: "Trực tiếp",
    Channel.ONLINE: "Trực tuyến",
    Channel.BOTH: "Cả hai",
}
SOURCE_LABELS = {
    AnswerSource.CODE: "Có mã khảo sát",
    AnswerSource.KIOSK: "Máy tại quầy",
    AnswerSource.OPEN: "Trực tuyến không mã",
}


@dataclass(frozen=True)
class SipasFilters:
    period: str | None = None  # a month, a quarter or a year; default: the plan's current period
    unit: str | None = None
    domain: str | None = None
    channel: str | None = None
    #: The questionnaire version whose answers are read; default: the ward's version in force.
    version: str | None = None


class SipasGroupScore(BaseModel):
    key: str
    label: str
    responses: int
    sufficient_sample: bool
    satisfaction: float | None
    mean_score: float | None


class SipasTrendPoint(SipasGroupScore):
    pass


class SipasVersionCount(BaseModel):
    """Answers of the period on one questionnaire version (each version has its own index)."""

    version: str
    title: str
    responses: int
    in_force: bool


class SipasReport(BaseModel):
    period: str
    period_label: str
    unit: str | None
    domain: str | None
    channel: str | None
    formula_version: str
    satisfied_levels: list[int]
    questionnaire_version: str
    questionnaire_title: str
    #: The version the ward's survey uses now (the index above may read an earlier one).
    ward_version: str
    #: Every version with answers in the period, and the one in force even without any.
    versions: list[SipasVersionCount]
    index: IndexScore
    expectations: list[ExpectationScore]
    by_unit: list[SipasGroupScore]
    by_domain: list[SipasGroupScore]
    by_channel: list[SipasGroupScore]
    by_source: list[SipasGroupScore]
    trend: list[SipasTrendPoint]
    comments: int


# --- structure and counting ----------------------------------------------------------------------


def shown_version(*, db_session: Session, clock: Clock, filters: SipasFilters) -> Questionnaire:
    """The version whose answers are read: the one asked for, else the ward's in force. The
    index, the comments and the exports all read one version, so that what a page lists is what
    its index counted."""
    if filters.version:
        return get_version(db_session=db_session, version=filters.version)
    return ward_version.in_force(db_session=db_session, clock=clock)


def answer_filters(
    *, db_session: Session, filters: SipasFilters, period: Period | None
) -> list[Any]:
    clauses: list[Any] = []
    if period is not None:
        clauses += [
            col(Response.period_start) >= period.start_date,
            col(Response.period_start) <= period.end_date,
        ]
    if filters.unit:
        unit = unit_service.get_by_code(db_session=db_session, code=filters.unit)
        clauses.append(Response.unit_id == unit.id)
    if filters.domain:
        domain = kpi_domains.get_domain(db_session=db_session, code=filters.domain)
        clauses.append(Response.domain_id == domain.id)
    if filters.channel:
        clauses.append(Response.channel == filters.channel)
    return clauses


def _counts(
    db_session: Session, where: list[Any], group: Any | None, kind: RatingKind
) -> dict[Any, dict[str, dict[int, int]]]:
    """group → item → level → number of answers (one group, ``None``, without ``group``)."""
    keys = [] if group is None else [group]
    query = (
        select_rows(*keys, col(Rating.item), col(Rating.value), func.count())
        .join(Response, col(Response.id) == Rating.response_id)
        .where(*where, col(Rating.kind) == kind)
        .group_by(*keys, col(Rating.item), col(Rating.value))
    )
    out: dict[Any, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in db_session.execute(query).all():
        key = None if group is None else row[0]
        item, value, n = row[-3:]
        out[key][item][int(value)] = int(n)
    return out


def _responses(db_session: Session, where: list[Any], group: Any | None) -> dict[Any, int]:
    """group → answers with at least one rated criterion (the sample size)."""
    keys = [] if group is None else [group]
    query = (
        select_rows(*keys, func.count(func.distinct(Response.id)))
        .join(Rating, col(Rating.response_id) == Response.id)
        .where(*where, col(Rating.kind) == RatingKind.CRITERION)
        .group_by(*keys)
    )
    return {
        (None if group is None else row[0]): int(row[-1]) for row in db_session.execute(query).all()
    }


def _groups(
    db_session: Session,
    where: list[Any],
    group: Any,
    labels: dict[Any, str],
    factors: Sequence[FactorSpec],
    min_sample: int,
) -> list[SipasGroupScore]:
    counts = _counts(db_session, where, group, RatingKind.CRITERION)
    sizes = _responses(db_session, where, group)
    out = []
    for key, n in sorted(sizes.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        score = compute_index(
            factors=factors,
            counts=counts.get(key, {}),
            responses=n,
            satisfied_levels=formula().satisfied_levels,
            min_sample=min_sample,
        )
        out.append(
            SipasGroupScore(
                key="" if key is None else str(key),
                label=labels.get(key, "Không rõ") if key is not None else "Không ghi",
                responses=n,
                sufficient_sample=score.sufficient_sample,
                satisfaction=score.satisfaction,
                mean_score=score.mean_score,
            )
        )
    return out


def parse_period_filter(text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise Invalid.one("period", "period_invalid", exc.message) from exc


def default_period(*, db_session: Session, clock: Clock) -> Period:
    plan = plan_service.get_plan(db_session=db_session, code=None)
    calendar = plan_service.calendar_for(plan)
    try:
        return calendar.period_for(clock.today())
    except PeriodError:
        return calendar.start


def _trend(
    db_session: Session,
    filters: SipasFilters,
    period: Period,
    factors: Sequence[FactorSpec],
    min_sample: int,
    clock: Clock,
    same_version: Any,
) -> list[SipasTrendPoint]:
    """One point per reporting period of the plan, from its start to the period asked for."""
    plan = plan_service.get_plan(db_session=db_session, code=None)
    calendar = plan_service.calendar_for(plan)
    until = min(period.end_date, clock.today())
    periods = calendar.periods(until=until)[-12:]
    if not periods:
        return []
    where = [
        *answer_filters(db_session=db_session, filters=filters, period=None),
        same_version,
        col(Response.period_start) >= periods[0].start_date,
        col(Response.period_start) <= periods[-1].end_date,
    ]
    by_month = _counts(db_session, where, Response.month, RatingKind.CRITERION)
    sizes = _responses(db_session, where, Response.month)
    points = []
    for p in periods:
        counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        n = 0
        for month in p.months():
            n += sizes.get(str(month), 0)
            for item, levels in by_month.get(str(month), {}).items():
                for level, k in levels.items():
                    counts[item][level] += k
        score = compute_index(
            factors=factors,
            counts=counts,
            responses=n,
            satisfied_levels=formula().satisfied_levels,
            min_sample=min_sample,
        )
        points.append(
            SipasTrendPoint(
                key=str(p),
                label=p.label_vi,
                responses=n,
                sufficient_sample=score.sufficient_sample,
                satisfaction=score.satisfaction,
                mean_score=score.mean_score,
            )
        )
    return points


def report(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    filters: SipasFilters,
    min_sample: int,
    with_breakdowns: bool = True,
) -> SipasReport:
    """The index for the filters with its factor breakdown, sample sizes, groups and trend."""
    filters = replace(filters, unit=authorize_read(actor, filters.unit))
    if filters.channel and filters.channel not in {c.value for c in Channel}:
        raise Invalid.one("channel", "channel_invalid", "Kênh phải là counter, online hoặc both.")
    in_force = ward_version.in_force(db_session=db_session, clock=clock)
    # as shown_version picks it, without reading the version in force twice
    shown = (
        get_version(db_session=db_session, version=filters.version) if filters.version else in_force
    )
    content = content_of(shown)
    period = (
        parse_period_filter(filters.period)
        if filters.period
        else default_period(db_session=db_session, clock=clock)
    )
    factors = content.factor_specs()
    expectation_items = [(e.code, e.text) for e in content.expectations]
    every_version = answer_filters(db_session=db_session, filters=filters, period=period)
    same_version = Response.questionnaire_id == shown.id
    where = [*every_version, same_version]
    n = _responses(db_session, where, None).get(None, 0)
    index = compute_index(
        factors=factors,
        counts=_counts(db_session, where, None, RatingKind.CRITERION).get(None, {}),
        responses=n,
        satisfied_levels=formula().satisfied_levels,
        min_sample=min_sample,
    )
    wanted = _counts(db_session, where, None, RatingKind.EXPECTATION).get(None, {})
    comments = db_session.exec(
        select(func.count()).select_from(Response).where(*where, Response.comment != "")
    ).one()
    by_unit = by_domain = by_channel = by_source = []
    trend: list[SipasTrendPoint] = []
    if with_breakdowns:
        units = {u.id: u.short_name or u.name for u in db_session.exec(select(Unit)).all()}
        domains = {d.id: d.name for d in db_session.exec(select(Domain)).all()}
        by_unit = _groups(db_session, where, Response.unit_id, units, factors, min_sample)
        by_domain = _groups(db_session, where, Response.domain_id, domains, factors, min_sample)
        channels: dict[Any, str] = dict(CHANNEL_LABELS)
        by_channel = _groups(db_session, where, Response.channel, channels, factors, min_sample)
        sources: dict[Any, str] = dict(SOURCE_LABELS)
        by_source = _groups(db_session, where, Response.source, sources, factors, min_sample)
        trend = _trend(db_session, filters, period, factors, min_sample, clock, same_version)
    return SipasReport(
        period=str(period),
        period_label=period.label_vi,
        unit=filters.unit,
        domain=filters.domain,
        channel=filters.channel,
        formula_version=formula().version,
        satisfied_levels=sorted(formula().satisfied_levels),
        questionnaire_version=shown.version,
        questionnaire_title=shown.title,
        ward_version=in_force.version,
        versions=_versions(db_session, every_version, in_force),
        index=index,
        expectations=[
            score_expectation(code, text, wanted.get(code, {})) for code, text in expectation_items
        ],
        by_unit=by_unit,
        by_domain=by_domain,
        by_channel=by_channel,
        by_source=by_source,
        trend=trend,
        comments=int(comments),
    )


def _versions(
    db_session: Session, where: list[Any], in_force: Questionnaire
) -> list[SipasVersionCount]:
    """Answers per version under the filters; the version in force is listed even with none."""
    sizes = _responses(db_session, where, Response.questionnaire_id)
    sizes.setdefault(in_force.id, 0)
    rows = db_session.exec(
        select(Questionnaire).where(col(Questionnaire.id).in_(list(sizes)))
    ).all()
    return [
        SipasVersionCount(
            version=q.version,
            title=q.title,
            responses=sizes.get(q.id, 0),
            in_force=q.id == in_force.id,
        )
        for q in sorted(rows, key=lambda q: q.id or 0)
    ]


# --- the computed reading ------------------------------------------------------------------------


def ensure_sipas_indicator(*, db_session: Session, clock: Clock) -> str:
    """The SIPAS indicator of the plan, created once (by the system, audited) from index.toml."""
    spec = formula().indicator
    plan = plan_service.get_plan(db_session=db_session, code=None)
    try:
        kpi_indicators.get_indicator(db_session=db_session, plan=plan, code=spec.code)
    except NotFound:
        kpi_indicators.create_indicator(
            db_session=db_session,
            actor=SYSTEM,
            clock=clock,
            data=IndicatorCreate(
                code=spec.code,
                plan=plan.code,
                name=spec.name,
                description="Tính tự động từ phiếu khảo sát SIPAS của phường (xem docs/sipas.md).",
                area=spec.area,
                measure=Measure.PERCENT,
                comparator=spec.comparator,
                target=spec.target,
                responsible_unit=spec.unit,
                source_section=spec.source_section,
            ),
        )
    return spec.code


def store_index_reading(
    *, db_session: Session, actor: Actor, clock: Clock, period: str, min_sample: int
) -> ReadingRead:
    """Write the period's overall index as a computed reading of the SIPAS indicator.

    Triggered by a coordinator, never by an answer: a reading rewritten after each answer would
    put each answer's effect, with its time, into the audit trail. The reading is written with the
    system's rights (a coordinator may not write the service centre's readings) but in the name
    of the coordinator, so its one audit row says who asked for it.
    """
    authorize(actor, Permission.REVIEW)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    canonical = plan_service.validate_period(plan=plan, period=period, today=clock.today())
    code = ensure_sipas_indicator(db_session=db_session, clock=clock)
    found = report(
        db_session=db_session,
        actor=SYSTEM,
        clock=clock,
        filters=SipasFilters(period=canonical),
        min_sample=min_sample,
        with_breakdowns=False,
    )
    if found.index.satisfaction is None:
        raise Invalid.one(
            "period",
            "sample_too_small",
            f"Kỳ {found.period_label}: {found.index.warning} Chưa ghi chỉ số vào chỉ tiêu.",
        )
    value = round(found.index.satisfaction, 2)
    on_behalf = replace(
        SYSTEM, username=actor.username, user_id=actor.user_id, via=actor.via, ip=actor.ip
    )
    result = kpi_readings.upsert_reading(
        db_session=db_session,
        actor=on_behalf,
        clock=clock,
        data=ReadingWrite(
            indicator=code,
            unit=formula().indicator.unit,
            period=canonical,
            value=value,
            note=f"Tính tự động từ {found.index.responses} phiếu khảo sát SIPAS "
            f"phiên bản {found.questionnaire_version} (công thức {found.formula_version}).",
        ),
        source=ReadingSource.COMPUTED,
    )
    return result.reading
