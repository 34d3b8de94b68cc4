"""The Decision 766/QĐ-TTg service-quality scorecard: groups, metrics, points, trend.

The groups, metrics, maxima and the rate → points conversion live in ``scorecard_766.toml`` (a
reviewed, versioned edit, not code). Metrics fed by dossiers and feedback are counted from the
records; the others come from readings. A metric that does not apply to the ward is left out of
the maximum and never awarded; one that applies but has no data scores 0 and says so.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, col, select

from app.accounts.permissions import authorize_read
from app.actors import Actor
from app.clock import Clock
from app.errors import AppError
from app.integration.feeds import metric_groups
from app.integration.metrics import METRICS_BY_CODE, rate
from app.kpis import service as kpi_service
from app.kpis.models import Reading
from app.periods import Period
from app.plans import service as plan_service
from app.plans.models import Plan
from app.reporting import service as reporting_service
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
                f"Nhóm “{self.label}”: tổng điểm các chỉ số ({total:g}) phải bằng điểm của nhóm "
                f"({self.max:g})."
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


class MetricScore(BaseModel):
    code: str
    label: str
    source: str
    numerator: float | None
    denominator: float | None
    rate: float | None
    points: float
    max: float
    status: Literal["ok", "no_data", "not_applicable"]


class GroupScore(BaseModel):
    code: str
    label: str
    max: float = Field(description="Configured maximum (Decision 766).")
    applicable_max: float = Field(description="Maximum over the metrics that apply here.")
    points: float
    metrics: list[MetricScore]


class TrendPoint(BaseModel):
    period: str
    points: float
    max: float
    groups: dict[str, float]


class Scorecard(BaseModel):
    unit: str | None = Field(description="None: the whole ward.")
    period: str
    period_label: str
    config_version: str
    points: float
    max: float
    percent: float | None
    groups: list[GroupScore]
    trend: list[TrendPoint]


def _reading_figures(
    *, db_session: Session, plan: Plan, indicator_code: str, unit_ids: list[int], period: str
) -> tuple[float | None, float | None, float | None]:
    """Numerator, denominator and rate from readings (summed across units and domains)."""
    try:
        indicator = kpi_service.get_indicator(db_session=db_session, plan=plan, code=indicator_code)
    except AppError:
        return None, None, None
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


def _score_period(
    *, db_session: Session, config: ScorecardConfig, plan: Plan, units: list[Unit], period: Period
) -> list[GroupScore]:
    unit_ids = [u.id for u in units if u.id is not None]
    groups: list[GroupScore] = []
    for group in config.groups:
        metrics: list[MetricScore] = []
        for m in group.metrics:
            kind, _, name = m.source.partition(":")
            if not m.applies:
                metrics.append(
                    MetricScore(
                        code=m.code,
                        label=m.label,
                        source=m.source,
                        numerator=None,
                        denominator=None,
                        rate=None,
                        points=0,
                        max=m.max,
                        status="not_applicable",
                    )
                )
                continue
            if kind == "computed":
                metric = METRICS_BY_CODE[name]
                num = den = 0
                for unit_id in unit_ids:
                    for n, d in metric_groups(
                        db_session=db_session,
                        metric=metric,
                        unit_id=unit_id,
                        period=period,
                        by_domain=False,
                    ).values():
                        num, den = num + n, den + d
                numerator, denominator, value = (
                    (float(num), float(den), rate(num, den)) if den else (None, None, None)
                )
            else:
                numerator, denominator, value = _reading_figures(
                    db_session=db_session,
                    plan=plan,
                    indicator_code=name,
                    unit_ids=unit_ids,
                    period=str(period),
                )
            points = (
                0.0
                if value is None
                else points_for(
                    value,
                    m.max,
                    conversion=m.conversion or config.conversion,
                    full_at=m.full_at or config.full_at,
                )
            )
            metrics.append(
                MetricScore(
                    code=m.code,
                    label=m.label,
                    source=m.source,
                    numerator=numerator,
                    denominator=denominator,
                    rate=value,
                    points=points,
                    max=m.max,
                    status="ok" if value is not None else "no_data",
                )
            )
        applicable = [s for s in metrics if s.status != "not_applicable"]
        groups.append(
            GroupScore(
                code=group.code,
                label=group.label,
                max=group.max,
                applicable_max=sum(s.max for s in applicable),
                points=round(sum(s.points for s in applicable), 4),
                metrics=metrics,
            )
        )
    return groups


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
    """The scorecard of one unit (or the whole ward) for one period, with its recent trend."""
    unit = authorize_read(actor, unit)
    config = config or load_config()
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    calendar = plan_service.calendar_for(plan)
    if period:
        chosen = Period.parse(
            plan_service.validate_period(plan=plan, period=period, today=clock.today())
        )
    else:
        periods = calendar.periods(until=clock.today())
        chosen = periods[-1] if periods else calendar.start
    if unit:
        units = [unit_service.get_by_code(db_session=db_session, code=unit)]
    else:
        units = reporting_service.expected_units(db_session=db_session, plan=plan)
    groups = _score_period(
        db_session=db_session, config=config, plan=plan, units=units, period=chosen
    )
    trend: list[TrendPoint] = []
    current: Period | None = chosen
    while current is not None and len(trend) < TREND_PERIODS:
        past = (
            groups
            if current == chosen
            else _score_period(
                db_session=db_session, config=config, plan=plan, units=units, period=current
            )
        )
        trend.append(
            TrendPoint(
                period=str(current),
                points=round(sum(g.points for g in past), 4),
                max=sum(g.applicable_max for g in past),
                groups={g.code: g.points for g in past},
            )
        )
        current = calendar.previous(current)
    trend.reverse()
    total_max = sum(g.applicable_max for g in groups)
    total = round(sum(g.points for g in groups), 4)
    return Scorecard(
        unit=unit,
        period=str(chosen),
        period_label=chosen.label_vi,
        config_version=config.version,
        points=total,
        max=total_max,
        percent=total / total_max * 100 if total_max else None,
        groups=groups,
        trend=trend,
    )
