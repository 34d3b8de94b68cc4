"""The answers of the scores API: every number travels with the formula that produced it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.scores.models import ConfigSource
from app.scoring.config import ScoringConfig

Light = Literal["green", "amber", "red", "grey"]
#: How a unit stands with its report for the period: ``not_due`` is left out of the score.
ReportState = Literal["on_time", "late", "missing", "not_due", "not_expected"]
TaskRole = Literal["all", "lead", "coordinator"]
#: How firm a figure is: the weakest review state of the reports behind it. ``approved`` figures
#: are final; ``submitted`` await review; ``draft`` are still being typed (or were returned).
DataState = Literal["approved", "submitted", "draft", "none"]
DATA_STATE_LABELS: dict[str, str] = {
    "approved": "Đã duyệt",
    "submitted": "Chờ duyệt",
    "draft": "Chưa gửi",
    "none": "Chưa có số liệu",
}
#: Which data a summary is computed from: everything entered, or approved reports only.
Basis = Literal["all", "approved"]


class Coverage(BaseModel):
    """Tasks reported against tasks the unit must report on: a score over 3 of 40 tasks is weak."""

    reported: int
    expected: int
    updated: int = Field(description="Reported in this very period (the others carry forward).")

    @property
    def percent(self) -> float | None:
        return 100 * self.reported / self.expected if self.expected else None


class UnitRef(BaseModel):
    code: str
    name: str
    short_name: str


class DomainValue(BaseModel):
    """One domain's value judged against the target (``domain`` null when not disaggregated)."""

    domain: str | None
    domain_name: str | None
    target: float = Field(description="The target this domain was judged against.")
    value: float
    attainment: float
    met: bool
    light: Light
    units: int = Field(description="How many units' readings the value is made of.")
    aggregation: str = Field(description="How the value was obtained from the readings.")
    formula: str


class IndicatorScore(BaseModel):
    """An indicator for a period, judged by its weakest domain."""

    code: str
    name: str
    area: str
    area_name: str
    measure: str
    comparator: str
    target: float
    due_date: date | None
    responsible_unit: str | None
    disaggregation: str
    value: float | None
    attainment: float | None
    met: bool | None
    light: Light
    worst_domain: str | None
    domains: list[DomainValue]
    formula: str
    data_state: DataState = Field(
        default="none", description="Weakest review state of the units' reports behind the value."
    )


class AreaItem(BaseModel):
    kind: Literal["task", "indicator"]
    code: str
    attainment: float
    formula: str


class AreaScoreRead(BaseModel):
    code: str
    position: int
    name: str
    percent: float | None
    points: float | None
    max_points: float | None
    items: list[AreaItem]
    formula: str


class UnitRanking(BaseModel):
    code: str
    name: str
    short_name: str
    score: float | None
    rank: int | None
    classification: str | None
    tasks: float | None = Field(description="Mean task credit, 0–1.")
    indicators: float | None = Field(description="Mean indicator attainment, 0–1.")
    reporting: float | None = Field(description="Reporting credit, 0–1.")
    report_state: ReportState
    overdue: int
    formula: str
    coverage: Coverage
    data_state: DataState


class Headline(BaseModel):
    targets_total: int
    targets_with_data: int
    targets_met: int
    units_expected: int
    units_on_time: int
    units_late: int
    units_missing: int
    units_not_due: int
    overdue_tasks: int = Field(description="Distinct tasks overdue for at least one unit.")
    overdue_items: int = Field(description="(task, unit) pairs overdue.")
    ward_score: float | None
    ward_score_formula: str
    data_state: DataState = Field(description="Weakest review state among the units' reports.")
    units_approved: int = 0
    units_submitted: int = 0


class OverdueUnit(BaseModel):
    code: str
    short_name: str
    status: str | None = Field(description="Latest reported status; null when never reported.")
    percent_complete: float | None


class OverdueTask(BaseModel):
    assignment: str
    text: str
    area: str
    due_date: date
    lead_unit: str | None
    lead_unit_name: str | None
    units: list[OverdueUnit]


class ScoreSummary(BaseModel):
    plan: str
    plan_number: str
    period: str
    period_label: str
    as_of: date = Field(
        description="The day overdue tasks are judged on: the period's last day, "
        "or today for the period in progress."
    )
    has_data: bool
    message: str
    basis: Basis = Field(
        default="all", description="`approved`: only units whose report is approved are scored."
    )
    config_version: str
    config_source: ConfigSource
    headline: Headline
    indicators: list[IndicatorScore]
    areas: list[AreaScoreRead]
    units: list[UnitRanking]
    overdue: list[OverdueTask]


class ComponentRead(BaseModel):
    name: Literal["tasks", "indicators", "reporting"]
    label: str
    mean: float | None
    weight: float
    share: float = Field(description="Weight after renormalisation over the parts with data.")
    contribution: float = Field(description="Points; the contributions add up to the score.")
    formula: str


class TaskUsed(BaseModel):
    assignment: str
    text: str
    area: str
    role: TaskRole
    due_date: date | None
    period: str | None = Field(description="The report used: the latest up to this period.")
    required: bool = Field(
        default=True, description="The unit must report on it; false for an optional coordinator."
    )
    status: str | None
    percent_complete: float | None
    credit: float | None
    overdue: bool
    formula: str


class TaskComponent(BaseModel):
    score: float | None
    counted: int
    expected: int = Field(description="Tasks the unit must report on in the period.")
    reported: int
    unreported: int
    overdue: int
    formula: str
    items: list[TaskUsed]


class ReadingUsed(BaseModel):
    domain: str | None
    domain_name: str | None
    value: float
    numerator: float | None
    denominator: float | None
    source: str


class IndicatorUsed(IndicatorScore):
    readings: list[ReadingUsed]


class IndicatorComponent(BaseModel):
    mean: float | None
    counted: int
    formula: str
    items: list[IndicatorUsed]


class ReportingComponent(BaseModel):
    score: float | None
    state: ReportState
    due_date: date | None
    first_submitted_at: datetime | None
    submission_status: str | None
    late_credit: float
    formula: str


class UnitBreakdown(BaseModel):
    plan: str
    period: str
    period_label: str
    as_of: date
    has_data: bool
    unit: UnitRef
    score: float | None
    rank: int | None
    ranked_units: int
    classification: str | None
    formula: str
    coverage: Coverage
    data_state: DataState
    config_source: ConfigSource
    config: ScoringConfig
    components: list[ComponentRead]
    tasks: TaskComponent
    indicators: IndicatorComponent
    reporting: ReportingComponent
    areas: list[AreaScoreRead]


class UnitValue(BaseModel):
    """One unit's own result on an indicator, with the readings behind it."""

    unit: UnitRef
    result: IndicatorUsed


class IndicatorDetail(BaseModel):
    plan: str
    period: str
    period_label: str
    unit: str | None = Field(description="Set when the figures are one unit's, not the ward's.")
    indicator: IndicatorScore
    units: list[UnitValue]


class TrendPoint(BaseModel):
    period: str
    label: str
    value: float | None = Field(description="The indicator's value, or the score (0–100).")
    attainment: float | None
    met: bool | None
    light: Light | None
    classification: str | None
    formula: str


class Trend(BaseModel):
    plan: str
    kind: Literal["ward_score", "unit_score", "indicator"]
    unit: str | None
    indicator: str | None
    target: float | None
    comparator: str | None
    config_version: str
    points: list[TrendPoint]
