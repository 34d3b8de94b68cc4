"""Reading the feeds back: dossier and feedback lists, and the records behind a computed reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.actors import Actor
from app.clock import Clock
from app.dossiers.counters import counted
from app.dossiers.metrics import METRICS_BY_CODE, Basis, Feed, Metric, dossier_status, on_time
from app.dossiers.models import (
    Dossier,
    DossierRead,
    DossierStatus,
    Feedback,
    FeedbackRead,
)
from app.errors import NotFound
from app.kpis import domains as kpi_domains
from app.kpis import readings as kpi_readings
from app.kpis.models import Domain, Indicator, Reading, ReadingRead, ReadingSource
from app.permissions import authorize_read
from app.units import service as unit_service
from app.units.models import Unit


@dataclass(frozen=True)
class DossierFilters:
    unit: str | None = None
    domain: str | None = None
    period: str | None = None  # received in this period
    completed_period: str | None = None
    status: DossierStatus | None = None
    procedure_code: str | None = None


def _dossier_read(row: Dossier, unit: str, domain: str, now: datetime) -> DossierRead:
    return DossierRead(
        code=row.code,
        unit=unit,
        procedure_code=row.procedure_code,
        procedure_name=row.procedure_name,
        domain=domain,
        channel=row.channel,
        received_at=row.received_at,
        due_at=row.due_at,
        completed_at=row.completed_at,
        returned_at=row.returned_at,
        rescheduled=row.rescheduled,
        fully_online=row.fully_online,
        digitized=row.digitized,
        e_result=row.e_result,
        reused_data=row.reused_data,
        paid_online=row.paid_online,
        status=dossier_status(due_at=row.due_at, completed_at=row.completed_at, now=now),
        version=row.version,
    )


def _status_clause(status: DossierStatus, now: datetime) -> Any:
    done = col(Dossier.completed_at).is_not(None)
    return {
        DossierStatus.OVERDUE: and_(col(Dossier.completed_at).is_(None), col(Dossier.due_at) < now),
        DossierStatus.PROCESSING: and_(
            col(Dossier.completed_at).is_(None), col(Dossier.due_at) >= now
        ),
        DossierStatus.ON_TIME: and_(done, col(Dossier.completed_at) <= col(Dossier.due_at)),
        DossierStatus.LATE: and_(done, col(Dossier.completed_at) > col(Dossier.due_at)),
    }[status]


def dossier_query(
    *, db_session: Session, actor: Actor, clock: Clock, filters: DossierFilters
) -> Select[Dossier, str, str]:
    """The filtered, stably ordered query behind the list and the export (reporters: own unit)."""
    unit = authorize_read(actor, filters.unit)
    query = (
        select(Dossier, Unit.code, Domain.code)
        .join(Unit, col(Unit.id) == Dossier.unit_id)
        .join(Domain, col(Domain.id) == Dossier.domain_id)
    )
    if unit:
        query = query.where(
            Dossier.unit_id == unit_service.get_by_code(db_session=db_session, code=unit).id
        )
    if filters.domain:
        domain = kpi_domains.get_domain(db_session=db_session, code=filters.domain)
        query = query.where(Dossier.domain_id == domain.id)
    if filters.period:
        p = kpi_readings.parse_filter_period(filters.period, "period")
        query = query.where(
            col(Dossier.received_on) >= p.start_date, col(Dossier.received_on) <= p.end_date
        )
    if filters.completed_period:
        p = kpi_readings.parse_filter_period(filters.completed_period, "completed_period")
        query = query.where(
            col(Dossier.completed_on) >= p.start_date, col(Dossier.completed_on) <= p.end_date
        )
    if filters.status:
        query = query.where(_status_clause(filters.status, clock.now()))
    if filters.procedure_code:
        query = query.where(Dossier.procedure_code == filters.procedure_code)
    return query.order_by(col(Dossier.due_at), col(Dossier.code))


def list_dossiers(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    filters: DossierFilters,
    limit: int,
    offset: int,
) -> tuple[list[DossierRead], int]:
    """Dossiers by due date (the most urgent first), so overdue ones can be chased (II.2.3)."""
    query = dossier_query(db_session=db_session, actor=actor, clock=clock, filters=filters)
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    now = clock.now()
    rows = db_session.exec(query.limit(limit).offset(offset)).all()
    return [_dossier_read(r, u, d, now) for r, u, d in rows], total


@dataclass(frozen=True)
class FeedbackFilters:
    unit: str | None = None
    period: str | None = None  # resolved in this period
    kind: str | None = None
    channel: str | None = None


def _feedback_read(row: Feedback, unit: str) -> FeedbackRead:
    return FeedbackRead(
        code=row.code,
        unit=unit,
        channel=row.channel,
        kind=row.kind,
        received_at=row.received_at,
        due_at=row.due_at,
        resolved_at=row.resolved_at,
        satisfied=row.satisfied,
        on_time=on_time(row.resolved_at, row.due_at),
        version=row.version,
    )


def list_feedback(
    *, db_session: Session, actor: Actor, filters: FeedbackFilters, limit: int, offset: int
) -> tuple[list[FeedbackRead], int]:
    unit = authorize_read(actor, filters.unit)
    query = select(Feedback, Unit.code).join(Unit, col(Unit.id) == Feedback.unit_id)
    if unit:
        query = query.where(
            Feedback.unit_id == unit_service.get_by_code(db_session=db_session, code=unit).id
        )
    if filters.period:
        p = kpi_readings.parse_filter_period(filters.period, "period")
        query = query.where(
            col(Feedback.resolved_on) >= p.start_date, col(Feedback.resolved_on) <= p.end_date
        )
    if filters.kind:
        query = query.where(Feedback.kind == filters.kind)
    if filters.channel:
        query = query.where(Feedback.channel == filters.channel)
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(
        query.order_by(col(Feedback.received_at), col(Feedback.code)).limit(limit).offset(offset)
    ).all()
    return [_feedback_read(r, u) for r, u in rows], total


# --- the records behind a computed reading -------------------------------------------------------


def _between(column: Any, start: date, end: date) -> Any:
    return and_(col(column) >= start, col(column) <= end)


def reading_records(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    reading_id: int,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """A computed reading with the records it was counted from, each marked ``counted`` when it
    is in the numerator: how anyone checks a rate the system computed."""
    found = db_session.exec(
        select(Reading, Indicator.code, Unit.code, Domain.code)
        .join(Indicator, col(Indicator.id) == Reading.indicator_id)
        .join(Unit, col(Unit.id) == Reading.unit_id)
        .outerjoin(Domain, col(Domain.id) == Reading.domain_id)
        .where(Reading.id == reading_id)
    ).first()
    if found is None:
        raise NotFound(f"Không có số liệu số {reading_id}.", code="reading_not_found")
    reading, indicator_code, unit_code, domain_code = found
    authorize_read(actor, unit_code)
    metric = METRICS_BY_CODE.get(indicator_code)
    if reading.source != ReadingSource.COMPUTED or metric is None:
        raise NotFound(
            f"Số liệu số {reading_id} không do hệ thống tự tính từ hồ sơ, phản ánh.",
            code="not_computed",
        )
    page = (db_session, reading, metric, limit, offset)
    if metric.feed == Feed.DOSSIER:
        items, total = _dossier_records(*page, now=clock.now())
    else:
        items, total = _feedback_records(*page)
    read = ReadingRead.model_validate(
        {
            **reading.model_dump(),
            "indicator": indicator_code,
            "unit": unit_code,
            "domain": domain_code,
        }
    )
    return {
        "reading": read.model_dump(mode="json"),
        "metric": metric.code,
        "feed": metric.feed.value,
        "basis": metric.basis.value,
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
    }


def _dossier_records(
    db_session: Session,
    reading: Reading,
    metric: Metric,
    limit: int,
    offset: int,
    *,
    now: datetime,
) -> tuple[list[dict[str, Any]], int]:
    """The dossiers a reading counted: its unit, period (by the metric's day) and domain, and
    only those whose flag is known when the rate is over those."""
    day = Dossier.completed_on if metric.basis == Basis.COMPLETED else Dossier.received_on
    query = (
        select(Dossier, Unit.code, Domain.code)
        .join(Unit, col(Unit.id) == Dossier.unit_id)
        .join(Domain, col(Domain.id) == Dossier.domain_id)
        .where(
            Dossier.unit_id == reading.unit_id,
            _between(day, reading.period_start, reading.period_end),
        )
    )
    if reading.domain_id is not None:
        query = query.where(Dossier.domain_id == reading.domain_id)
    if metric.flag_column is not None:  # the rate is over the records whose flag is known
        query = query.where(col(getattr(Dossier, metric.flag_column)).is_not(None))
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(query.order_by(col(Dossier.code)).limit(limit).offset(offset))
    is_counted = counted(metric)
    items = []
    for r, u, d in rows:
        dread = _dossier_read(r, u, d, now)
        items.append({**dread.model_dump(mode="json"), "counted": bool(is_counted(dread))})
    return items, total


def _feedback_records(
    db_session: Session, reading: Reading, metric: Metric, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The feedback a reading counted: its unit, resolved in its period, of the metric's kinds
    (and answered, for the satisfaction rate)."""
    query = (
        select(Feedback, Unit.code)
        .join(Unit, col(Unit.id) == Feedback.unit_id)
        .where(
            Feedback.unit_id == reading.unit_id,
            _between(Feedback.resolved_on, reading.period_start, reading.period_end),
        )
    )
    if metric.kinds is not None:
        query = query.where(col(Feedback.kind).in_(sorted(metric.kinds)))
    if metric.denominator == "answered":
        query = query.where(col(Feedback.satisfied).is_not(None))
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(query.order_by(col(Feedback.code)).limit(limit).offset(offset))
    is_counted = counted(metric)
    items = []
    for f, u in rows:
        fread = _feedback_read(f, u)
        items.append({**fread.model_dump(mode="json"), "counted": bool(is_counted(fread))})
    return items, total
