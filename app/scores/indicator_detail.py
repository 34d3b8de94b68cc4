"""One indicator in one period: the ward's figure (or one unit's) and every unit's readings."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from app.actors import Actor
from app.clock import Clock
from app.errors import NotFound
from app.kpis.indicators import get_indicator
from app.kpis.models import Indicator
from app.permissions import authorize_read
from app.scores import indicators as indicator_scores
from app.scores import queries
from app.scores.frame import Frame
from app.scores.schemas import IndicatorDetail, IndicatorScore, UnitRef, UnitValue
from app.scores.service import frame_for, resolve_period
from app.units import service as unit_service
from app.units.models import Unit


def _ref(unit: Unit) -> UnitRef:
    return UnitRef(code=unit.code, name=unit.name, short_name=unit.short_name)


def indicator_row(*, db_session: Session, frame: Frame, code: str) -> Indicator:
    row = get_indicator(db_session=db_session, plan=frame.plan, code=code)
    if not row.active:
        raise NotFound(f"Chỉ tiêu “{code}” đã ngừng theo dõi.", code="indicator_inactive")
    return row


def _units_by_id(*, db_session: Session, frame: Frame, ids: set[int]) -> dict[int, Unit]:
    found = {i: u for i, u in frame.units_by_id.items() if i in ids}
    missing = ids - set(found)
    if missing:
        found |= {
            u.id: u
            for u in db_session.exec(select(Unit).where(col(Unit.id).in_(missing)))
            if u.id is not None
        }
    return found


def indicator_detail(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    indicator: str,
    period: str | None = None,
    plan: str | None = None,
    unit: str | None = None,
) -> IndicatorDetail:
    """An indicator in one period: the ward's figure (or one unit's) and every unit's readings."""
    unit = authorize_read(actor, unit)
    frame = frame_for(db_session=db_session, clock=clock, plan=plan)
    row = indicator_row(db_session=db_session, frame=frame, code=indicator)
    chosen = resolve_period(db_session=db_session, frame=frame, period=period)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit) if unit else None
    readings = queries.unit_readings(
        db_session=db_session,
        indicator_ids=[row.id or 0],
        periods=[str(chosen)],
        unit_ids=None if unit_row is None else [unit_row.id or 0],
    )
    by_unit: dict[int, list[queries.ReadingRow]] = defaultdict(list)
    for reading in readings:
        by_unit[reading.unit_id].append(reading)
    units = _units_by_id(db_session=db_session, frame=frame, ids=set(by_unit))
    values = [
        UnitValue(unit=_ref(units[i]), result=indicator_scores.unit_indicator(frame, row, rows))
        for i, rows in sorted(by_unit.items(), key=lambda item: units[item[0]].code)
    ]
    if unit_row is not None:
        judged: IndicatorScore = indicator_scores.unit_indicator(
            frame, row, by_unit.get(unit_row.id or 0, [])
        )
    else:
        aggregates = queries.ward_aggregates(
            db_session=db_session, indicator_ids=[row.id or 0], periods=[str(chosen)]
        )
        ward = indicator_scores.ward_indicators(frame, aggregates).get(str(chosen), {})
        judged = ward.get(row.id or 0) or indicator_scores.no_data_indicator(frame, row)
    return IndicatorDetail(
        plan=frame.plan.code,
        period=str(chosen),
        period_label=chosen.label_vi,
        unit=unit_row.code if unit_row else None,
        indicator=IndicatorScore(**judged.model_dump(exclude={"readings"})),
        units=values,
    )
