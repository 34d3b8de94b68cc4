"""The figures the money and target registers compute from their monthly values, as of a month:
a target's figure reached and share of its plan, a project's disbursement to date, the ward's
share of targets met and of capital disbursed. Pure functions (no database): the rows' pages,
the API, the monthly report and the indicator readings all count the same way.

A month's figure is either added up (revenue collected, capital disbursed, new jobs: the
year's figure is the sum of its months) or a level (the poverty rate in October: the year's
figure is the latest month's). A target is met when the figure reaches its plan value, or, for
a ceiling (``at_most``), stays at or below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.formatting import format_number
from app.registers.models import InvestmentItem, SocioeconomicTarget


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year}"


def last_month(year: int, today: date) -> str:
    """The last month of ``year`` that has begun: figures are judged as of it."""
    return min(f"{year:04d}-12", month_of(today))


def as_of(values: dict[str, float], last: str, *, add: bool) -> tuple[float | None, str | None]:
    """The figure reached by the end of month ``last`` and the latest month that gave it."""
    months = sorted(k for k in values if k <= last)
    if not months:
        return None, None
    return (sum(values[k] for k in months) if add else values[months[-1]]), months[-1]


def share(part: float | None, whole: float) -> float | None:
    """Percent of ``whole``, or ``None`` when there is nothing to divide by."""
    if part is None or whole <= 0:
        return None
    return part / whole * 100


@dataclass(frozen=True)
class TargetFigure:
    actual: float | None
    as_of: str | None
    achieved: float | None  # percent of the plan value
    met: bool


def target_figure(row: SocioeconomicTarget, last: str) -> TargetFigure:
    actual, month = as_of(row.actuals or {}, last, add=row.aggregation == "sum")
    if actual is None:
        return TargetFigure(None, None, None, False)
    met = actual <= row.plan_value if row.direction == "at_most" else actual >= row.plan_value
    return TargetFigure(actual, month, share(actual, row.plan_value), met)


def target_extras(row: SocioeconomicTarget, today: date) -> dict[str, Any]:
    if row.year is None:  # the probe of an empty row
        return {"actual": None, "as_of": None, "achieved": None, "met": None}
    figure = target_figure(row, last_month(row.year, today))
    return {
        "actual": figure.actual,
        "as_of": month_label(figure.as_of) if figure.as_of else None,
        "achieved": figure.achieved,
        "met": figure.met if figure.actual is not None else None,
    }


def investment_extras(row: InvestmentItem, today: date) -> dict[str, Any]:
    if row.year is None:
        return {"to_date": None, "as_of": None, "achieved": None}
    total, month = as_of(row.monthly or {}, last_month(row.year, today), add=True)
    return {
        "to_date": total,
        "as_of": month_label(month) if month else None,
        "achieved": share(total, row.planned),
    }


@dataclass(frozen=True)
class Ratio:
    """The ward's figure of one period: numerator, denominator, and how it was counted."""

    numerator: float
    denominator: float
    note: str


def targets_met(rows: Sequence[SocioeconomicTarget], year: int, last: str) -> Ratio | None:
    """Targets met of the year's targets, as of month ``last``; ``None`` before any figure."""
    figures = [target_figure(r, last) for r in rows]
    if not rows or all(f.actual is None for f in figures):
        return None
    met = sum(1 for f in figures if f.met)
    missing = sum(1 for f in figures if f.actual is None)
    note = (
        f"Tự tính từ sổ chỉ tiêu kinh tế - xã hội: {met}/{len(rows)} chỉ tiêu năm {year} đạt kế "
        f"hoạch tính đến hết tháng {month_label(last)}"
    )
    if missing:
        note += f" ({missing} chỉ tiêu chưa có số liệu, tính là chưa đạt)"
    return Ratio(met, len(rows), note + ".")


def disbursed(rows: Sequence[InvestmentItem], year: int, last: str) -> Ratio | None:
    """Capital disbursed to date of the year's capital plan, as of month ``last``."""
    projects = [r for r in rows if r.kind == "project"]
    planned = sum(r.planned for r in projects)
    figures = [as_of(r.monthly or {}, last, add=True)[0] for r in projects]
    if planned <= 0 or all(f is None for f in figures):
        return None
    paid = sum(f or 0 for f in figures)
    return Ratio(
        paid,
        planned,
        f"Tự tính từ sổ đầu tư công: giải ngân lũy kế {format_number(paid)}/"
        f"{format_number(planned)} triệu đồng kế hoạch vốn năm {year} ({len(projects)} dự án), "
        f"đến hết tháng {month_label(last)}.",
    )


def revenue(rows: Sequence[InvestmentItem], last: str) -> tuple[float, float] | None:
    """Budget revenue collected to date, and the year's estimate."""
    lines = [r for r in rows if r.kind == "revenue"]
    if not lines:
        return None
    collected = sum(as_of(r.monthly or {}, last, add=True)[0] or 0 for r in lines)
    return collected, sum(r.planned for r in lines)
