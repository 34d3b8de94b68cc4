"""Geometry of the dashboard's charts, computed on the server and drawn as SVG by the templates.

No chart library and no script: the page must print, work under a strict Content-Security-Policy
and read without colour, so every point and bar carries its value as text and its state as a
symbol as well as a colour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.scores.frame import plain
from app.scores.schemas import AreaScoreRead, TrendPoint
from app.templating import format_number_vi

#: Light → (symbol, Vietnamese label); the symbol makes the state readable in black and white.
LIGHTS = {
    "green": ("✓", "Đạt"),
    "amber": ("!", "Gần đạt"),
    "red": ("✗", "Chưa đạt"),
    "grey": ("–", "Chưa có số liệu"),
}


def short_label(period: str) -> str:
    """``2025-10`` → ``T10/25``, ``2026-Q1`` → ``Q1/26``: axis labels must stay narrow."""
    year, _, rest = period.partition("-")
    if not rest:
        return year
    return f"{rest}/{year[2:]}" if rest.startswith("Q") else f"T{rest}/{year[2:]}"


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str
    value_text: str
    light: str
    symbol: str


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    segments: list[str]
    points: list[ChartPoint]
    target_y: float | None
    target_text: str
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    description: str

    @property
    def empty(self) -> bool:
        return not self.points


def _scale_max(values: Sequence[float], target: float | None, percent: bool) -> float:
    if percent:
        return 100.0
    top = max([*values, target or 0.0, 1.0])
    return top * 1.1


def line_chart(
    *,
    points: Sequence[TrendPoint],
    target: float | None = None,
    percent: bool = True,
    width: int = 640,
    height: int = 220,
    compact: bool = False,
    unit_suffix: str = "%",
) -> LineChart:
    """A line over periods; periods without data break the line instead of dropping to zero."""
    left, right, top, bottom = (2, 2, 3, 3) if compact else (44, 92, 30, 34)
    values = [p.value for p in points if p.value is not None]
    y_max = _scale_max(values, target, percent)
    inner_w, inner_h = width - left - right, height - top - bottom
    inset = 0 if compact else 20  # keeps the first and last labels off the axes
    step = (inner_w - 2 * inset) / max(len(points) - 1, 1)

    def x_of(index: int) -> float:
        return round(left + (inset + step * index if len(points) > 1 else inner_w / 2), 2)

    def y_of(value: float) -> float:
        return round(top + inner_h * (1 - min(max(value, 0.0), y_max) / y_max), 2)

    chart_points: list[ChartPoint] = []
    segments: list[str] = []
    current: list[str] = []
    for index, point in enumerate(points):
        x = x_of(index)
        if point.value is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        y = y_of(point.value)
        current.append(f"{x},{y}")
        light = point.light or "grey"
        chart_points.append(
            ChartPoint(
                x=x,
                y=y,
                label=point.label,
                value_text=f"{format_number_vi(point.value, 1)}{unit_suffix}",
                light=light,
                symbol=LIGHTS[light][0] if point.light else "",
            )
        )
    if current:
        segments.append(" ".join(current))
    described = "; ".join(
        f"{p.label}: "
        + (
            "chưa có số liệu"
            if p.value is None
            else f"{format_number_vi(p.value, 1)}{unit_suffix}"
            + (f" ({LIGHTS[p.light][1]})" if p.light else "")
        )
        for p in points
    )
    target_text = "" if target is None else f"Mục tiêu {format_number_vi(target, 1)}{unit_suffix}"
    ticks = [] if compact else [Tick(y_of(v), format_number_vi(v, 0)) for v in _ticks(y_max)]
    x_ticks = [] if compact else _x_ticks(points, x_of)
    return LineChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        segments=[s for s in segments if s],
        points=chart_points,
        target_y=None if target is None else y_of(target),
        target_text=target_text,
        y_ticks=ticks,
        x_ticks=x_ticks,
        description=described or "chưa có kỳ nào",
    )


def _ticks(y_max: float) -> list[float]:
    return [y_max * i / 4 for i in range(5)]


def _x_ticks(points: Sequence[TrendPoint], x_of: Callable[[int], float]) -> list[Tick]:
    """Every label when they fit, else every second or third one."""
    every = max(1, round(len(points) / 12 + 0.49))
    return [
        Tick(x_of(i), short_label(p.period))
        for i, p in enumerate(points)
        if i % every == 0 or i == len(points) - 1
    ]


@dataclass(frozen=True)
class Bar:
    y: float
    label: str
    length: float
    value_text: str
    empty: bool
    points_text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    scale: float
    bars: list[Bar]
    ticks: list[Tick]
    description: str


def area_bars(*, areas: Sequence[AreaScoreRead], width: int = 720) -> BarChart:
    """The 8 PAR areas as horizontal bars (0–100 %), the value printed at the end of each bar."""
    label_width, bar_height, gap, top = 300, 18, 10, 8
    scale = width - label_width - 90
    bars = []
    for index, area in enumerate(areas):
        y = top + index * (bar_height + gap)
        points = ""
        if area.points is not None and area.max_points is not None:
            points = f" · {format_number_vi(area.points, 2)}/{plain(area.max_points)} điểm"
        name = area.name if len(area.name) <= 44 else area.name[:42].rstrip() + "…"
        bars.append(
            Bar(
                y=y,
                label=f"{area.position}. {name}",
                length=round(scale * (area.percent or 0) / 100, 2),
                value_text="chưa có số liệu"
                if area.percent is None
                else f"{format_number_vi(area.percent, 1)}%",
                empty=area.percent is None,
                points_text=points,
            )
        )
    height = top + len(areas) * (bar_height + gap) + 20
    ticks = [Tick(round(label_width + scale * v / 100, 2), f"{v}%") for v in (0, 50, 100)]
    description = "; ".join(f"{b.label}: {b.value_text}{b.points_text}" for b in bars)
    return BarChart(width, height, label_width, bar_height, scale, bars, ticks, description)
