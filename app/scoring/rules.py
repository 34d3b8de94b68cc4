"""The scoring rules of Plan 84 as pure functions: no database, no web, no clock.

Every result is a frozen dataclass that carries its inputs and a Vietnamese ``formula`` string,
because a ward official who disagrees with a score must be able to redo the sum by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.formatting import format_number
from app.periods import format_date_vi
from app.scoring.config import ScoringConfig

Light = Literal["green", "amber", "red", "grey"]
ComponentName = Literal["tasks", "indicators", "reporting"]

#: Readings are floats computed from counts, so equality is judged within this distance.
TOLERANCE = 1e-9
COMPARATORS = (">=", "<=", "=")
#: How a comparator is written for people: the explanations, the pages and the documents.
COMPARATOR_SYMBOLS: dict[str, str] = {">=": "≥", "<=": "≤", "=": "="}
TASK_STATUSES = ("not_started", "in_progress", "done", "not_applicable")
#: A task the unit must report on but never did: it counts 0, so silence never beats a report.
UNREPORTED = "unreported"
REPORT_STATUSES = ("on_time", "late", "missing")
#: Contributions are whole multiples of 2**-40 points, so adding them is exact in any order.
_QUANTUM = 2**40
_COMPONENT_LABELS = {"tasks": "nhiệm vụ", "indicators": "chỉ tiêu", "reporting": "báo cáo"}


def format_vi(value: float, digits: int) -> str:
    """``1234.5`` → ``1.234,50``: decimal comma and dotted thousands, whatever the locale."""
    return format_number(value, digits)


def _n(value: float) -> str:
    """An input as people wrote it: ``98`` → ``98``, ``97.25`` → ``97,25`` (at most 2 decimals)."""
    return format_number(value)


def _ratio(value: float) -> str:
    return format_vi(value, 3)


def _finite(value: float, name: str) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} phải là số hữu hạn; nhận được {value!r}.")


# --- indicators ---------------------------------------------------------------------------------


def met(*, value: float, target: float, comparator: str) -> bool:
    """Whether a reading satisfies its target, forgiving float noise of at most ``TOLERANCE``."""
    _finite(value, "Giá trị")
    _finite(target, "Chỉ tiêu")
    if comparator == ">=":
        return value >= target - TOLERANCE
    if comparator == "<=":
        return value <= target + TOLERANCE
    if comparator == "=":
        return abs(value - target) <= TOLERANCE
    raise ValueError(f"Phép so sánh “{comparator}” không hợp lệ; dùng >=, <= hoặc =.")


def _explain(value: float, target: float, comparator: str) -> tuple[float, str]:
    """Attainment in [0, 1] with its formula; 1 exactly when the target is met."""
    reached = met(value=value, target=target, comparator=comparator)
    v, t = _n(value), _n(target)
    if comparator == ">=" and target > 0 and value >= 0:
        share = 1.0 if reached else value / target
        return share, f"min({v} / {t} ; 1) = {_ratio(share)}"
    if comparator == "<=" and target > 0 and value > 0:
        share = 1.0 if reached else target / value
        return share, f"min({t} / {v} ; 1) = {_ratio(share)}"
    if comparator == "=" and not reached and value * target > 0:
        # Symmetric ratio, so that overshooting an exact target is not shown as 100 % attained.
        share = min(value / target, target / value)
        return share, f"min({v} / {t} ; {t} / {v}) = {_ratio(share)}"
    symbol = COMPARATOR_SYMBOLS[comparator]
    if reached:
        return 1.0, f"{v} {symbol} {t}: đạt = 1,000"
    return 0.0, f"{v} không {symbol} {t}: không đạt = 0,000"


def attainment(*, value: float, target: float, comparator: str) -> float:
    """How close a reading is to its target, from 0 to 1 (1 = met)."""
    return _explain(value, target, comparator)[0]


def light(*, value: float | None, target: float, comparator: str, amber_distance: float) -> Light:
    """Traffic light: met → green, within ``amber_distance`` of the target → amber, else red."""
    if value is None:
        return "grey"
    if met(value=value, target=target, comparator=comparator):
        return "green"
    share = attainment(value=value, target=target, comparator=comparator)
    return "amber" if share >= amber_distance - TOLERANCE else "red"


@dataclass(frozen=True, slots=True)
class DomainResult:
    """One domain's (lĩnh vực) reading judged against the indicator's target."""

    domain: str | None
    value: float
    attainment: float
    met: bool
    light: Light
    formula: str
    target: float


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """An indicator judged by its weakest domain: the plan requires every domain to reach it."""

    target: float
    comparator: str
    value: float | None
    attainment: float | None
    met: bool | None
    light: Light
    worst_domain: str | None
    domains: tuple[DomainResult, ...]
    formula: str


def indicator_result(
    *,
    readings_by_domain: Mapping[str | None, float | None],
    target: float,
    comparator: str,
    config: ScoringConfig,
    domain_targets: Mapping[str, float] | None = None,
    domain_names: Mapping[str, str] | None = None,
) -> IndicatorResult:
    """Judge every domain with data; the worst one (lowest attainment) speaks for the indicator.

    The key ``None`` stands for an indicator that is not disaggregated. Domains are listed by code
    so the result does not depend on the order the readings arrived in; ``domain_names`` names
    them in the formula (an official reads "Đất đai", not ``dat-dai``). ``domain_targets`` holds
    the domains the plan holds to another target (khiếu nại, tố cáo at 95 % where the others need
    98 %); each domain's formula names the target it was judged against.
    """
    details = []
    special = domain_targets or {}
    symbol = COMPARATOR_SYMBOLS.get(comparator, comparator)
    for domain in sorted(readings_by_domain, key=lambda key: "" if key is None else key):
        value = readings_by_domain[domain]
        if value is None:
            continue
        goal = special.get(domain, target) if domain is not None else target
        share, formula = _explain(value, goal, comparator)
        if domain is not None and special:
            formula = f"chỉ tiêu {symbol} {_n(goal)}: {formula}"
        reached = share == 1.0
        colour = light(
            value=value, target=goal, comparator=comparator, amber_distance=config.amber_distance
        )
        details.append(DomainResult(domain, value, share, reached, colour, formula, goal))
    if not details:
        return IndicatorResult(
            target, comparator, None, None, None, "grey", None, (), "chưa có số liệu"
        )
    worst = min(details, key=lambda item: item.attainment)  # first in code order on ties
    formula = worst.formula
    if len(details) > 1 or worst.domain is not None:
        name = (domain_names or {}).get(worst.domain or "", worst.domain)
        formula = f"kém nhất trong {len(details)} lĩnh vực: {name} — {formula}"
    return IndicatorResult(
        target=target,
        comparator=comparator,
        value=worst.value,
        attainment=worst.attainment,
        met=all(item.met for item in details),
        light=worst.light,
        worst_domain=worst.domain,
        domains=tuple(details),
        formula=formula,
    )


# --- tasks and reports --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskUpdate:
    """The latest progress of one assigned task, as the scoring rules need it."""

    key: str
    status: str
    percent_complete: float | None = None
    due_date: date | None = None


@dataclass(frozen=True, slots=True)
class TaskItem:
    key: str
    status: str
    percent_complete: float | None
    due_date: date | None
    credit: float | None
    overdue: bool
    formula: str


@dataclass(frozen=True, slots=True)
class TaskScore:
    score: float | None
    counted: int
    items: tuple[TaskItem, ...]
    overdue: tuple[str, ...]
    formula: str


def _task_item(update: TaskUpdate, today: date) -> TaskItem:
    status, percent = update.status, update.percent_complete
    if status == UNREPORTED:
        late = update.due_date is not None and update.due_date < today
        formula = "chưa báo cáo = 0"
        if late and update.due_date is not None:
            formula += f"; quá hạn (hạn {format_date_vi(update.due_date)})"
        return TaskItem(update.key, status, None, update.due_date, 0.0, late, formula)
    if status not in TASK_STATUSES:
        raise ValueError(f"Trạng thái nhiệm vụ “{status}” không hợp lệ ({update.key}).")
    if percent is not None and not 0 <= percent <= 100:
        raise ValueError(f"Tỷ lệ hoàn thành phải từ 0 đến 100 ({update.key}); nhận {percent}.")
    credit: float | None
    if status == "done":
        credit, formula = 1.0, "hoàn thành = 1"
    elif status == "in_progress":
        credit = (percent or 0) / 100
        formula = f"đang thực hiện {_n(percent or 0)}% = {_ratio(credit)}"
    elif status == "not_started":
        credit, formula = 0.0, "chưa thực hiện = 0"
    else:
        credit, formula = None, "không áp dụng: không tính"
    # A task that does not apply cannot be late; a finished one no longer is.
    overdue = (
        update.due_date is not None and update.due_date < today and status in TASK_STATUSES[:2]
    )
    if overdue and update.due_date is not None:
        formula += f"; quá hạn (hạn {format_date_vi(update.due_date)})"
    return TaskItem(update.key, status, percent, update.due_date, credit, overdue, formula)


def task_score(*, updates: Sequence[TaskUpdate], today: date) -> TaskScore:
    """Mean credit of the tasks that apply: done 1, in progress its percentage, not started 0.

    The caller passes every task the unit must report on, unreported ones as ``UNREPORTED`` (0):
    averaging only the reported tasks would let a unit that reports its one finished task score 100.
    """
    items = tuple(_task_item(update, today) for update in updates)
    credits = [item.credit for item in items if item.credit is not None]
    overdue = tuple(item.key for item in items if item.overdue)
    if not credits:
        return TaskScore(None, 0, items, overdue, "không có nhiệm vụ nào được tính")
    score = math.fsum(credits) / len(credits)
    silent = sum(1 for item in items if item.status == UNREPORTED)
    said = [
        _n(item.credit) for item in items if item.credit is not None and item.status != UNREPORTED
    ]
    if silent:
        said.append(f"{silent} × 0 (chưa báo cáo)")
    formula = f"({' + '.join(said)}) / {len(credits)} = {_ratio(score)}"
    return TaskScore(score, len(credits), items, overdue, formula)


@dataclass(frozen=True, slots=True)
class ReportingScore:
    score: float | None
    expected: int
    on_time: int
    late: int
    missing: int
    late_credit: float
    formula: str


def reporting_score(*, statuses: Sequence[str], config: ScoringConfig) -> ReportingScore:
    """Mean credit of the expected reports: on time 1, late ``config.late_credit``, missing 0."""
    unknown = sorted(set(statuses) - set(REPORT_STATUSES))
    if unknown:
        raise ValueError(f"Trạng thái báo cáo không hợp lệ: {', '.join(unknown)}.")
    on_time, late, missing = (statuses.count(status) for status in REPORT_STATUSES)
    credit = config.late_credit
    if not statuses:
        return ReportingScore(None, 0, 0, 0, 0, credit, "không có báo cáo nào phải nộp")
    score = (on_time + late * credit) / len(statuses)
    formula = (
        f"({on_time} × 1 + {late} × {_n(credit)} + {missing} × 0) / {len(statuses)}"
        f" = {_ratio(score)}"
    )
    return ReportingScore(score, len(statuses), on_time, late, missing, credit, formula)


# --- units, ranking, bands, areas ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Component:
    """One part of a unit's score; ``share`` is its weight after renormalisation (sums to 1)."""

    name: ComponentName
    label: str
    mean: float | None
    weight: float
    share: float
    contribution: float
    formula: str


@dataclass(frozen=True, slots=True)
class UnitScore:
    """A 0–100 score whose components' ``contribution`` values add up exactly to ``score``."""

    score: float | None
    components: tuple[Component, ...]
    version: str
    formula: str


def _indicator_mean(indicators: Sequence[IndicatorResult]) -> tuple[float | None, str]:
    shares = [item.attainment for item in indicators if item.attainment is not None]
    if not shares:
        return None, "không có chỉ tiêu nào có số liệu"
    mean = math.fsum(shares) / len(shares)
    return mean, f"trung bình {len(shares)}/{len(indicators)} chỉ tiêu có số liệu = {_ratio(mean)}"


def _apportion(points: list[float], total_weight: float) -> list[int]:
    """Share ``100 × Σ points / total_weight`` out in whole quanta, largest remainder first.

    Whole quanta make the contributions add up to the score exactly in any order of addition, and
    keep a perfect unit at exactly 100 rather than 99.99999999999999.
    """
    if total_weight <= 0:
        return [0] * len(points)
    raw = [100 * _QUANTUM * point / total_weight for point in points]
    units = [math.floor(value) for value in raw]
    target = min(round(math.fsum(raw)), 100 * _QUANTUM)
    order = sorted(range(len(raw)), key=lambda i: (units[i] - raw[i], i))
    for i in order[: max(target - sum(units), 0)]:
        units[i] += 1
    return units


def unit_score(
    *,
    task: TaskScore | None,
    indicators: Sequence[IndicatorResult],
    reporting: ReportingScore | None,
    config: ScoringConfig,
) -> UnitScore:
    """Weighted sum of the three parts, with the weights of parts without data shared out."""
    indicator_mean, indicator_formula = _indicator_mean(indicators)
    weights = config.weights
    parts: list[tuple[ComponentName, float | None, float, str]] = [
        ("tasks", None, weights.tasks, "không có nhiệm vụ"),
        ("indicators", indicator_mean, weights.indicators, indicator_formula),
        ("reporting", None, weights.reporting, "không có báo cáo"),
    ]
    if task is not None:
        parts[0] = ("tasks", task.score, weights.tasks, task.formula)
    if reporting is not None:
        parts[2] = ("reporting", reporting.score, weights.reporting, reporting.formula)
    total = math.fsum(weight for _, mean, weight, _ in parts if mean is not None)
    units = _apportion([weight * (mean or 0.0) for _, mean, weight, _ in parts], total)
    components = tuple(
        Component(
            name=name,
            label=_COMPONENT_LABELS[name],
            mean=mean,
            weight=weight,
            share=weight / total if mean is not None and total > 0 else 0.0,
            contribution=unit / _QUANTUM,
            formula=formula,
        )
        for (name, mean, weight, formula), unit in zip(parts, units, strict=True)
    )
    if total <= 0:
        return UnitScore(None, components, config.version, "không có phần nào để chấm điểm")
    score = sum(units) / _QUANTUM
    used = [c for c in components if c.mean is not None and c.weight > 0]
    terms = " + ".join(f"{_n(100 * c.share)} × {_ratio(c.mean or 0)}" for c in used)
    formula = f"{terms} = {format_vi(score, 2)}"
    left_out = [c.label for c in components if c.mean is None and c.weight > 0]
    if left_out:
        formula += f" (chia lại trọng số vì thiếu: {', '.join(left_out)})"
    return UnitScore(score, components, config.version, formula)


def rank(*, scores: Mapping[str, float | None]) -> dict[str, int | None]:
    """Competition ranking ("1224"), best first, ties by code; units without a score get None."""
    scored = sorted(
        (key for key, score in scores.items() if score is not None),
        key=lambda key: (-round(scores[key] or 0.0, 9), key),
    )
    ranks: dict[str, int | None] = {}
    previous: float | None = None
    position = 0
    for index, key in enumerate(scored, start=1):
        # Rounded so that two routes to the same score in floating point still tie.
        value = round(scores[key] or 0.0, 9)
        if value != previous:
            position, previous = index, value
        ranks[key] = position
    ranks.update((key, None) for key in sorted(scores) if scores[key] is None)
    return ranks


def classify(*, score: float | None, config: ScoringConfig) -> str | None:
    """The first band whose threshold the score reaches; float noise below a boundary counts."""
    if score is None:
        return None
    _finite(score, "Điểm")
    for band in config.bands:
        if score >= band.min_score - TOLERANCE:
            return band.label
    raise ValueError(f"Điểm {_n(score)} thấp hơn mọi mức xếp loại.")


@dataclass(frozen=True, slots=True)
class AreaScore:
    attainments: tuple[float, ...]
    max_points: float | None
    percent: float | None
    points: float | None
    formula: str


def area_score(*, attainments: Sequence[float], max_points: float | None) -> AreaScore:
    """A PAR area as the mean attainment of its indicators, and points where the area has a cap."""
    values = tuple(attainments)
    for value in values:
        if not 0 <= value <= 1:
            raise ValueError(f"Mức đạt phải từ 0 đến 1; nhận được {value!r}.")
    if not values:
        return AreaScore(values, max_points, None, None, "chưa có số liệu")
    mean = math.fsum(values) / len(values)
    formula = f"trung bình {len(values)} chỉ tiêu = {format_vi(100 * mean, 1)}%"
    points = None
    if max_points is not None:
        points = mean * max_points
        formula += f"; {_ratio(mean)} × {_n(max_points)} = {format_vi(points, 2)} điểm"
    return AreaScore(values, max_points, 100 * mean, points, formula)
