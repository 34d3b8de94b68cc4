"""Readings: the figures units report against indicators. Listing them, and writing or deleting
one, each write checked by ``reading_rules`` and written by ``store``.

A bulk import calls the same pieces chunk by chunk (``app/uploads``); a feed's recomputation
writes computed readings and removes those whose records are gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, Invalid, NotFound
from app.kpis.domains import get_domain
from app.kpis.indicators import get_indicator
from app.kpis.lookups import Lookups
from app.kpis.models import Domain, Indicator, Reading, ReadingRead, ReadingSource, ReadingWrite
from app.kpis.reading_rules import PlannedReading, check_reading, decide_reading
from app.kpis.store import (
    UpsertResult,
    apply_readings,
    find_readings,
    read_of,
    reading_key,
    reading_query,
)
from app.pagination import page_total
from app.periods import Period, PeriodError
from app.permissions import Permission, authorize, authorize_read
from app.plans import service as plan_service
from app.plans.models import Plan
from app.submissions import lock as period_lock
from app.units import service as unit_service
from app.units.models import Unit
from app.versioning import WriteAction, update_versioned

#: ``plan_reading`` fetches the stored row itself unless the caller passes one (or None).
_UNFETCHED: Any = object()


@dataclass(frozen=True)
class ReadingFilters:
    indicator: str | None = None
    unit: str | None = None
    period: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    domain: str | None = None
    plan: str | None = None


def parse_filter_period(text: str, field_name: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise Invalid.one(field_name, "period_invalid", exc.message) from exc


def list_readings(
    *, db_session: Session, actor: Actor, filters: ReadingFilters, limit: int, offset: int
) -> tuple[list[ReadingRead], int]:
    """Readings matching the filters; a reporter sees its own unit's only (403 for another)."""
    filters = replace(filters, unit=authorize_read(actor, filters.unit))
    plan = plan_service.get_plan(db_session=db_session, code=filters.plan)
    query = reading_query().where(Indicator.plan_id == plan.id)
    if filters.indicator:
        query = query.where(
            Reading.indicator_id
            == get_indicator(db_session=db_session, plan=plan, code=filters.indicator).id
        )
    if filters.unit:
        query = query.where(
            Reading.unit_id == unit_service.get_by_code(db_session=db_session, code=filters.unit).id
        )
    if filters.domain:
        query = query.where(
            Reading.domain_id == get_domain(db_session=db_session, code=filters.domain).id
        )
    if filters.period:
        query = query.where(Reading.period == str(parse_filter_period(filters.period, "period")))
    if filters.period_from:
        start = parse_filter_period(filters.period_from, "period_from").start_date
        query = query.where(col(Reading.period_start) >= start)
    if filters.period_to:
        end = parse_filter_period(filters.period_to, "period_to").end_date
        query = query.where(col(Reading.period_end) <= end)
    rows = db_session.exec(
        query.order_by(
            col(Reading.period_start),
            col(Indicator.code),
            col(Unit.code),
            col(Domain.code),
            col(Reading.id),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    total = page_total(db_session, query, len(rows), limit=limit, offset=offset)
    return [read_of(*r) for r in rows], total


def plan_reading(
    *,
    lookups: Lookups,
    actor: Actor,
    data: ReadingWrite,
    source: ReadingSource = ReadingSource.API,
    existing: Reading | object | None = _UNFETCHED,
) -> PlannedReading:
    """Every rule of a reading write, checked without writing; ``existing`` may be prefetched.

    The single write and the bulk import both go through ``check_reading`` and
    ``decide_reading``, so a row of a file is refused with exactly the message the form or
    ``PUT /readings`` would give.
    """
    checked = check_reading(lookups=lookups, actor=actor, data=data, source=source)
    if existing is _UNFETCHED:
        existing = find_readings(db_session=lookups.db_session, keys=[checked.key]).get(checked.key)
    assert existing is None or isinstance(existing, Reading)
    return decide_reading(checked, existing)


def upsert_reading(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    data: ReadingWrite,
    source: ReadingSource = ReadingSource.API,
    commit: bool = True,
) -> UpsertResult:
    """Create or update the reading at its natural key, refusing stale versions (409).

    With ``commit=False`` the write joins the caller's transaction (an import, a recomputation)
    and the caller commits or rolls back; a refusal then leaves the caller's earlier writes alone.
    """
    lookups = Lookups(db_session=db_session, clock=clock)
    planned = plan_reading(lookups=lookups, actor=actor, data=data, source=source)
    if planned.action == WriteAction.UNCHANGED:
        assert planned.existing is not None
        if commit:
            db_session.rollback()
        return UpsertResult(read_of(planned.existing, *planned.codes), False, False)
    if not commit:
        return apply_readings(db_session=db_session, actor=actor, clock=clock, planned=[planned])[0]
    try:
        result = apply_readings(db_session=db_session, actor=actor, clock=clock, planned=[planned])
        db_session.commit()
    except (Conflict, IntegrityError):
        db_session.rollback()
        raise
    return result[0]


def _audit_reading(
    db_session: Session,
    actor: Actor,
    clock: Clock | None,
    action: AuditAction,
    before: ReadingRead | None,
    after: ReadingRead | None,
) -> None:
    read = after or before
    assert read is not None
    audit.record(
        db_session=db_session,
        actor=actor,
        action=action,
        entity="reading",
        key=reading_key(read),
        before=before,
        after=after,
        clock=clock,
    )


def delete_reading(
    *, db_session: Session, actor: Actor, reading_id: int, clock: Clock | None = None
) -> None:
    found = db_session.exec(reading_query().where(Reading.id == reading_id)).first()
    if found is None:
        raise NotFound(f"Không có số liệu số {reading_id}.", code="reading_not_found")
    row, indicator_code, unit_code, domain_code = found
    before = read_of(row, indicator_code, unit_code, domain_code)
    authorize(actor, Permission.DATA_WRITE, unit_code=before.unit)
    if row.source == ReadingSource.COMPUTED:
        raise Conflict(
            f"Số liệu {before.indicator} / {before.unit} / {before.period} do hệ thống tự tính từ "
            "dữ liệu gốc (source=computed) nên không xóa tay được. Hãy sửa dữ liệu gốc.",
            code="computed_reading",
        )
    indicator = db_session.get(Indicator, row.indicator_id)
    plan = db_session.get(Plan, indicator.plan_id) if indicator is not None else None
    unit = db_session.get(Unit, row.unit_id)
    assert plan is not None and unit is not None  # foreign keys: a reading's rows exist
    period_lock.ensure_open(db_session=db_session, plan=plan, unit=unit, period=row.period)
    db_session.delete(row)
    _audit_reading(db_session, actor, clock, AuditAction.DELETE, before, None)
    db_session.commit()


def delete_computed_readings(
    *, db_session: Session, actor: Actor, clock: Clock, rows: Sequence[Reading]
) -> list[ReadingRead]:
    """Remove computed readings whose records are gone, audited, in the caller's transaction.

    Only a recomputation calls this: by hand a computed reading can be neither edited nor
    deleted. Where the unit had entered its own figure, the feed no longer covers the key and
    that figure counts again (an update, not a deletion); those readings are returned, so the
    caller can tell the unit.
    """
    restored: list[ReadingRead] = []
    if not rows:
        return restored
    indicators = {
        i.id: i.code
        for i in db_session.exec(
            select(Indicator).where(col(Indicator.id).in_({r.indicator_id for r in rows}))
        )
    }
    units = unit_service.codes_by_id(db_session=db_session, ids=[r.unit_id for r in rows])
    domain_ids = {r.domain_id for r in rows if r.domain_id is not None}
    domains = (
        {
            d.id: d.code
            for d in db_session.exec(select(Domain).where(col(Domain.id).in_(domain_ids)))
        }
        if domain_ids
        else {}
    )
    for row in rows:
        if row.source != ReadingSource.COMPUTED:
            raise Conflict("Chỉ xóa được số liệu tự tính.", code="not_computed")
        codes = (
            indicators[row.indicator_id],
            units[row.unit_id],
            domains.get(row.domain_id) if row.domain_id else None,
        )
        before = read_of(row, *codes)
        authorize(actor, Permission.DATA_WRITE, unit_code=before.unit)
        if row.reported_value is None:
            db_session.delete(row)
            _audit_reading(db_session, actor, clock, AuditAction.DELETE, before, None)
            continue
        update_versioned(
            db_session=db_session,
            model=Reading,
            row=row,
            changes=_unit_figure_restored(row),
            now=clock.now(),
            message=f"Số liệu {before.indicator} / {before.unit} / {before.period} vừa được "
            "người khác sửa; hãy gửi lại tệp.",
            rollback=False,
        )
        after = read_of(row, *codes)
        _audit_reading(db_session, actor, clock, AuditAction.UPDATE, before, after)
        restored.append(after)
    db_session.flush()
    return restored


def _unit_figure_restored(row: Reading) -> dict[str, object]:
    """The unit's own figure, kept beside a computed value, counting again as the reading."""
    return {
        "value": row.reported_value,
        "numerator": row.reported_numerator,
        "denominator": row.reported_denominator,
        "note": row.reported_note or "",
        "source": row.reported_source or ReadingSource.FORM,
        "reported_value": None,
        "reported_numerator": None,
        "reported_denominator": None,
        "reported_note": None,
        "reported_source": None,
        "reported_at": None,
    }
