"""The Decision 766/QĐ-TTg service-quality scorecard: groups, metrics, points, trend.

The groups, metrics, maxima and the rate → points conversion live in ``scorecard_766.toml`` (a
reviewed, versioned edit, not code). Metrics fed by dossiers and feedback are counted from the
records; the others come from readings. Each metric is measured, "chưa đo" (no source, or no
data for the period: unknown, never 0) or "không áp dụng". A group is scored over the metrics it
measures, and the card says which share of the 100 points was actually measured.

The scorecard is monthly whatever the plan's reporting cadence (Plan 84 reports quarterly in
2026, the service centre reports this card each month); quarters are offered as well.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, col, select

from app.actors import Actor
from app.clock import Clock
from app.dossiers.counters import metric_groups
from app.dossiers.metrics import METRICS_BY_CODE, Feed, rate
from app.errors import AppError, Invalid
from app.formatting import format_number
from app.kpis import indicators as kpi_indicators
from app.kpis.models import Indicator, Reading
from app.periods import Granularity, Period, PeriodError
from app.permissions import authorize_read
from app.plans import service as plan_service
from app.plans.models import Plan
from app.units import service as unit_service
from app.units.models import Unit

CONFIG_PATH = Path(__file__).with_name("scorecard_766.toml")
TREND_PERIODS = 6


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MetricConfig(_Frozen):
    code: str
    label: str
    max: float = Field(ge=0)
    source: str = Field(pattern=r"^(computed|reading):[a-z0-9_.-]+$")
    applies: bool = True
    conversion: Literal["linear", "threshold"] | None = None
    full_at: float | None = Field(default=None, gt=0, le=100)


class GroupConfig(_Frozen):
    code: str
    label: str
    max: float = Field(ge=0)
    metrics: list[MetricConfig]

    @model_validator(mode="after")
    def _adds_up(self) -> GroupConfig:
        total = sum(m.max for m in self.metrics)
        if abs(total - self.max) > 1e-9:
            raise ValueError(
                f"Nhóm “{self.label}”: tổng điểm các chỉ số ({format_number(total)}) phải "
                f"bằng điểm của nhóm ({format_number(self.max)})."
            )
        for m in self.metrics:
            kind, _, name = m.source.partition(":")
            if kind == "computed" and name not in METRICS_BY_CODE:
                raise ValueError(f"Chỉ số “{m.code}”: không có chỉ số tự tính “{name}”.")
        return self


class ScorecardConfig(_Frozen):
    version: str
    conversion: Literal["linear", "threshold"] = "linear"
    full_at: float = Field(default=100, gt=0, le=100)
    groups: list[GroupConfig]


@lru_cache
def load_config(path: Path = CONFIG_PATH) -> ScorecardConfig:
    with path.open("rb") as handle:
        return ScorecardConfig.model_validate(tomllib.load(handle))


def points_for(value: float, maximum: float, *, conversion: str, full_at: float) -> float:
    """Rate (0–100) → points. Linear by default; ``threshold`` gives full points from
    ``full_at`` and proportionally less below it. Never more than the maximum, never negative."""
    share = value / 100 if conversion == "linear" else min(value / full_at, 1.0)
    return round(max(0.0, min(share, 1.0)) * maximum, 4)


# --- answers -------------------------------------------------------------------------------------

MetricStatus = Literal["measured", "not_measured", "not_applicable"]
STATUS_LABELS: dict[str, str] = {
    "measured": "đo được",
    "not_measured": "chưa đo",
    "not_applicable": "không áp dụng",
}


class MetricScore(BaseModel):
    code: str
    label: str
    source: str = Field(description="The configured source (`computed:…` or `reading:…`).")
    source_label: str = Field(description="Where the figure comes from, in Vietnamese.")
    numerator: float | None
    denominator: float | None
    rate: float | None
    points: float
    max: float
    status: MetricStatus
    status_label: str
    reason: str = Field(default="", description="Why a metric is not measured (Vietnamese).")
    note: str = Field(default="", description="E.g. records left out because a flag is unknown.")


class ScorecardGroupScore(BaseModel):
    code: str
    label: str
    max: float = Field(description="Configured maximum (Decision 766).")
    applicable_max: float = Field(description="Maximum over the metrics that apply here.")
    measured_max: float = Field(description="Maximum over the metrics measured this period.")
    points: float = Field(description="Points of the measured metrics (out of measured_max).")
    metrics: list[MetricScore]


class ScorecardTrendPoint(BaseModel):
    period: str
    points: float
    max: float
    measured_max: float
    groups: dict[str, float]


class PeriodChoice(BaseModel):
    value: str
    label: str


class Scorecard(BaseModel):
    unit: str | None = Field(description="None: the whole ward.")
    period: str
    period_label: str
    config_version: str
    points: float
    max: float = Field(description="Maximum over the metrics that apply (100 unless excluded).")
    measured_max: float = Field(description="Maximum over the metrics measured: 'đo được X/100'.")
    measured_share: float | None = Field(description="measured_max / max, in percent.")
    percent: float | None = Field(description="points / measured_max, in percent.")
    groups: list[ScorecardGroupScore]
    trend: list[ScorecardTrendPoint]


def _reading_figures(
    *, indicator: Indicator, db_session: Session, unit_ids: list[int], period: str
) -> tuple[float | None, float | None, float | None]:
    """Numerator, denominator and rate from readings (summed across units and domains); the
    value that counts (``value``) where a unit's figure and a computed one differ."""
    rows = db_session.exec(
        select(Reading).where(
            Reading.indicator_id == indicator.id,
            Reading.period == period,
            col(Reading.unit_id).in_(unit_ids),
        )
    ).all()
    if not rows:
        return None, None, None
    if all(r.numerator is not None and r.denominator for r in rows):
        num = sum(r.numerator or 0 for r in rows)
        den = sum(r.denominator or 0 for r in rows)
        return num, den, rate(num, den)
    return None, None, sum(r.value for r in rows) / len(rows)


_FEED_SOURCE = {
    Feed.DOSSIER: "Tính từ hồ sơ TTHC",
    Feed.FEEDBACK: "Tính từ phản ánh, kiến nghị",
}
_NO_DATA = "Chưa có số liệu kỳ này."


def _computed(
    *, db_session: Session, name: str, unit_ids: list[int], period: Period
) -> tuple[float | None, float | None, float | None, str, str]:
    """Figures of a metric counted from records, the reason it is not measured, and a note."""
    metric = METRICS_BY_CODE[name]
    num = den = total = 0
    for unit_id in unit_ids:
        for tally in metric_groups(
            db_session=db_session, metric=metric, unit_id=unit_id, period=period, by_domain=False
        ).values():
            num, den, total = num + tally.numerator, den + tally.denominator, total + tally.total
    if not den:
        return None, None, None, _NO_DATA, ""
    note = ""
    if total > den:
        note = (
            f"Tính trên {format_number(den)}/{format_number(total)} hồ sơ: "
            f"{format_number(total - den)} hồ sơ chưa có thông tin ở cột {metric.flag_column}."
        )
    return float(num), float(den), rate(num, den), "", note


def _unscored(
    base: dict[str, Any], source_label: str, status: str, reason: str = ""
) -> MetricScore:
    """A metric that gives no points: not applicable to the ward, or not measured this period."""
    return MetricScore(
        **base,
        source_label=source_label,
        numerator=None,
        denominator=None,
        rate=None,
        points=0,
        status=status,
        status_label=STATUS_LABELS[status],
        reason=reason,
    )


def _metric_score(
    *,
    db_session: Session,
    config: ScorecardConfig,
    plan: Plan,
    m: MetricConfig,
    unit_ids: list[int],
    period: Period,
) -> MetricScore:
    kind, _, name = m.source.partition(":")
    base = {"code": m.code, "label": m.label, "source": m.source, "max": m.max}
    if kind == "computed":
        source_label = _FEED_SOURCE[METRICS_BY_CODE[name].feed]
    else:
        try:
            indicator = kpi_indicators.get_indicator(db_session=db_session, plan=plan, code=name)
            source_label = f"Chỉ tiêu: {indicator.name}"
        except AppError:
            indicator, source_label = None, "Chưa có nguồn số liệu"
    if not m.applies:
        return _unscored(base, source_label, "not_applicable")
    note = ""
    if kind == "computed":
        numerator, denominator, value, reason, note = _computed(
            db_session=db_session, name=name, unit_ids=unit_ids, period=period
        )
    elif indicator is None:
        numerator = denominator = value = None
        reason = "Chưa có nguồn số liệu: kế hoạch chưa theo dõi chỉ tiêu này."
    else:
        numerator, denominator, value = _reading_figures(
            indicator=indicator, db_session=db_session, unit_ids=unit_ids, period=str(period)
        )
        reason = _NO_DATA if value is None else ""
    if value is None:
        return _unscored(base, source_label, "not_measured", reason)
    points = points_for(
        value,
        m.max,
        conversion=m.conversion or config.conversion,
        full_at=m.full_at or config.full_at,
    )
    return MetricScore(
        **base,
        source_label=source_label,
        numerator=numerator,
        denominator=denominator,
        rate=value,
        points=points,
        status="measured",
        status_label=STATUS_LABELS["measured"],
        note=note,
    )


def _score_period(
    *, db_session: Session, config: ScorecardConfig, plan: Plan, units: list[Unit], period: Period
) -> list[ScorecardGroupScore]:
    unit_ids = [u.id for u in units if u.id is not None]
    groups: list[ScorecardGroupScore] = []
    for group in config.groups:
        metrics = [
            _metric_score(
                db_session=db_session,
                config=config,
                plan=plan,
                m=m,
                unit_ids=unit_ids,
                period=period,
            )
            for m in group.metrics
        ]
        measured = [s for s in metrics if s.status == "measured"]
        groups.append(
            ScorecardGroupScore(
                code=group.code,
                label=group.label,
                max=group.max,
                applicable_max=sum(s.max for s in metrics if s.status != "not_applicable"),
                measured_max=sum(s.max for s in measured),
                points=round(sum(s.points for s in measured), 4),
                metrics=metrics,
            )
        )
    return groups


# --- periods -------------------------------------------------------------------------------------


def _first_month(plan: Plan) -> Period:
    start = plan_service.calendar_for(plan).start
    return Period(start.year, Granularity.MONTH, start.start_date.month)


def scorecard_period(*, plan: Plan, period: str | None, today: date) -> Period:
    """The month (or quarter) asked for, from the plan's first month up to the one in progress;
    default: the month in progress. The plan's own reporting cadence does not matter here."""
    first = _first_month(plan)
    current = Period(today.year, Granularity.MONTH, today.month)
    if not period:
        return current if current.start_date >= first.start_date else first
    try:
        chosen = Period.parse(period)
    except PeriodError as exc:
        raise Invalid.one("period", "period_invalid", exc.message) from exc
    if chosen.granularity == Granularity.YEAR:
        raise Invalid.one(
            "period", "period_invalid", "Bộ chỉ số tính theo tháng (hoặc quý), không theo năm."
        )
    if chosen.end_date < first.start_date:
        raise Invalid.one(
            "period",
            "period_invalid",
            f"Kỳ {chosen} nằm trước tháng đầu tiên của kế hoạch ({first.label_vi}).",
        )
    if chosen.start_date > today:
        raise Invalid.one("period", "period_invalid", f"Kỳ {chosen} chưa bắt đầu.")
    return chosen


def scorecard_periods(
    *, db_session: Session, today: date, plan_code: str | None = None
) -> list[PeriodChoice]:
    """What the page's picker offers, newest first: every month from the plan's first one to
    the month in progress, then the quarters."""
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    first = _first_month(plan)
    months: list[Period] = []
    current = first
    while current.start_date <= today:
        months.append(current)
        current = current.next()
    quarters: list[Period] = []
    for month in months:
        quarter = month.parent(Granularity.QUARTER)
        if quarter not in quarters:
            quarters.append(quarter)
    return [PeriodChoice(value=str(p), label=p.label_vi) for p in reversed(months)] + [
        PeriodChoice(value=str(p), label=p.label_vi) for p in reversed(quarters)
    ]


def scorecard_766(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str | None = None,
    period: str | None = None,
    plan_code: str | None = None,
    config: ScorecardConfig | None = None,
) -> Scorecard:
    """The scorecard of one unit (or the whole ward) for one month or quarter, with its trend."""
    unit = authorize_read(actor, unit)
    config = config or load_config()
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    chosen = scorecard_period(plan=plan, period=period, today=clock.today())
    if unit:
        units = [unit_service.get_by_code(db_session=db_session, code=unit)]
    else:
        units = plan_service.expected_units(db_session=db_session, plan=plan)
    groups = _score_period(
        db_session=db_session, config=config, plan=plan, units=units, period=chosen
    )
    first = _first_month(plan)
    trend: list[ScorecardTrendPoint] = []
    current = chosen
    while current.end_date >= first.start_date and len(trend) < TREND_PERIODS:
        past = (
            groups
            if current == chosen
            else _score_period(
                db_session=db_session, config=config, plan=plan, units=units, period=current
            )
        )
        trend.append(
            ScorecardTrendPoint(
                period=str(current),
                points=round(sum(g.points for g in past), 4),
                max=sum(g.applicable_max for g in past),
                measured_max=sum(g.measured_max for g in past),
                groups={g.code: g.points for g in past},
            )
        )
        current = current.previous()
    trend.reverse()
    total_max = sum(g.applicable_max for g in groups)
    measured_max = sum(g.measured_max for g in groups)
    total = round(sum(g.points for g in groups), 4)
    return Scorecard(
        unit=unit,
        period=str(chosen),
        period_label=chosen.label_vi,
        config_version=config.version,
        points=total,
        max=total_max,
        measured_max=measured_max,
        measured_share=measured_max / total_max * 100 if total_max else None,
        percent=total / measured_max * 100 if measured_max else None,
        groups=groups,
        trend=trend,
    )
