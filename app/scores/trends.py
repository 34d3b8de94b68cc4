"""Series over the plan's periods for charts: an indicator, a unit's score, the ward's score.

One query serves every period and indicator of a series where the data is an aggregate
(readings); a score series scores each period in turn, with the same functions as the summary,
and keeps each point under the versions of that period's data (``cache.Scope.key_for``): a
unit's page scores again only the periods whose data changed, not the year behind them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import partial

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.errors import Invalid
from app.kpis.models import Indicator
from app.kpis.readings import parse_filter_period
from app.periods import Period, periods_overlapping
from app.permissions import authorize_read
from app.scores import cache, engine, queries
from app.scores import indicators as indicator_scores
from app.scores.engine import PeriodResult
from app.scores.frame import Frame
from app.scores.indicator_detail import indicator_row
from app.scores.schemas import IndicatorScore, Trend, TrendPoint
from app.scores.service import frame_for, require_ward, scoped, ward_score
from app.scoring import rules
from app.units import service as unit_service
from app.units.models import Unit

#: Longest series a trend returns: six years of quarters, far more than a chart can show.
MAX_TREND_PERIODS = 36


def trend_periods(
    *, frame: Frame, period_from: str | None, period_to: str | None, last: int | None = None
) -> list[Period]:
    """The plan's reporting periods up to today, within [from, to]; at most ``last`` of them."""
    start = parse_filter_period(period_from, "period_from") if period_from else None
    end = parse_filter_period(period_to, "period_to") if period_to else None
    if start is not None and end is not None and end.end_date < start.start_date:
        raise Invalid.one(
            "period_to", "period_order", "Kỳ cuối (period_to) phải không trước kỳ đầu."
        )
    found = [
        p for p in frame.calendar.periods(until=frame.today) if periods_overlapping(start, end, p)
    ]
    return found[-(last or MAX_TREND_PERIODS) :]


def _indicator_points(
    *,
    db_session: Session,
    frame: Frame,
    indicators: Sequence[Indicator],
    periods: Sequence[Period],
    unit: Unit | None,
) -> dict[int, list[TrendPoint]]:
    """One query for all the indicators and periods: the ward's GROUP BY, or one unit's rows."""
    keys = [str(p) for p in periods]
    ids = [i.id for i in indicators if i.id is not None]
    by_period: dict[str, dict[int, IndicatorScore]] = defaultdict(dict)
    if unit is None:
        aggregates = queries.ward_aggregates(db_session=db_session, indicator_ids=ids, periods=keys)
        by_period.update(indicator_scores.ward_indicators(frame, aggregates))
    else:
        rows: dict[tuple[str, int], list[queries.ReadingRow]] = defaultdict(list)
        for row in queries.unit_readings(
            db_session=db_session, indicator_ids=ids, periods=keys, unit_ids=[unit.id or 0]
        ):
            rows[(row.period, row.indicator_id)].append(row)
        wanted = {i.id: i for i in indicators}
        for (key, indicator_id), found in rows.items():
            if indicator_id in wanted:
                by_period[key][indicator_id] = indicator_scores.unit_indicator(
                    frame, wanted[indicator_id], found
                )
    out: dict[int, list[TrendPoint]] = {}
    for indicator in indicators:
        points = []
        for period in periods:
            judged = by_period.get(str(period), {}).get(indicator.id or 0)
            points.append(
                TrendPoint(
                    period=str(period),
                    label=period.label_vi,
                    value=judged.value if judged else None,
                    attainment=judged.attainment if judged else None,
                    met=judged.met if judged else None,
                    light=judged.light if judged else "grey",
                    classification=None,
                    formula=judged.formula if judged else "chưa có số liệu",
                )
            )
        out[indicator.id or 0] = points
    return out


def _score_point(frame: Frame, result: PeriodResult, unit: Unit | None) -> TrendPoint:
    if unit is not None:
        score, formula = result.units[0].score.score, result.units[0].score.formula
    else:
        score, formula = ward_score(result.units) if result.has_data else (None, engine.NO_DATA)
    return TrendPoint(
        period=str(result.period),
        label=result.period.label_vi,
        value=score,
        attainment=None,
        met=None,
        light=None,
        classification=rules.classify(score=score, config=frame.config),
        formula=formula,
    )


def trend(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str | None = None,
    indicator: str | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
    plan: str | None = None,
    last: int | None = None,
) -> Trend:
    """A series for a chart: an indicator (the ward's, or one unit's), a unit's score, or, with
    neither, the ward's mean score. A period without data is a point without a value."""
    unit = authorize_read(actor, unit)
    plan_row, scope = scoped(db_session=db_session, clock=clock, plan=plan)
    frame = cache.kept_frame(db_session=db_session, scope=scope, plan=plan_row)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit) if unit else None
    periods = trend_periods(frame=frame, period_from=period_from, period_to=period_to, last=last)
    if indicator is not None:
        row = indicator_row(db_session=db_session, frame=frame, code=indicator)
        points = _indicator_points(
            db_session=db_session, frame=frame, indicators=[row], periods=periods, unit=unit_row
        )[row.id or 0]
        target, comparator, kind = row.target, row.comparator, "indicator"
    else:

        def point(period: Period) -> TrendPoint:
            units = None if unit_row is None else [unit_row]
            return _score_point(
                frame,
                engine.score_period(
                    db_session=db_session, frame=frame, period=period, units=units, ward=False
                ),
                unit_row,
            )

        points = [
            cache.RESULTS.get(scope.key_for(str(p), "trend point", str(p), unit), partial(point, p))
            for p in periods
        ]
        target, comparator = None, None
        kind = "ward_score" if unit_row is None else "unit_score"
    return Trend(
        plan=frame.plan.code,
        kind=kind,
        unit=unit_row.code if unit_row else None,
        indicator=indicator,
        target=target,
        comparator=comparator,
        config_version=frame.config.version,
        points=points,
    )


def indicator_sparklines(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    period_to: str,
    last: int = 12,
    plan: str | None = None,
) -> dict[str, list[TrendPoint]]:
    """The ward's series of every indicator up to a period, in one GROUP BY (dashboard lines)."""
    require_ward(actor)
    frame = frame_for(db_session=db_session, clock=clock, plan=plan)
    periods = trend_periods(frame=frame, period_from=None, period_to=period_to, last=last)
    points = _indicator_points(
        db_session=db_session, frame=frame, indicators=frame.indicators, periods=periods, unit=None
    )
    return {i.code: points[i.id or 0] for i in frame.indicators}
