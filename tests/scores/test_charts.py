"""Chart geometry as pure functions: gaps for missing periods, scales, labels without colour."""

from __future__ import annotations

from app.scores.charts import area_bars, line_chart, short_label
from app.scores.schemas import AreaScoreRead, TrendPoint


def point(period: str, value: float | None, light: str | None = None) -> TrendPoint:
    return TrendPoint(
        period=period,
        label=period,
        value=value,
        attainment=None,
        met=None,
        light=light,
        classification=None,
        formula="",
    )


def test_short_labels() -> None:
    assert [short_label(p) for p in ("2025-10", "2026-Q1", "2026")] == ["T10/25", "Q1/26", "2026"]


def test_a_missing_period_breaks_the_line_instead_of_dropping_to_zero() -> None:
    chart = line_chart(
        points=[
            point("2025-10", 50, "red"),
            point("2025-11", None),
            point("2025-12", 100, "green"),
        ],
        target=98,
        width=320,
        height=230,
    )
    # inner box: x 44..228, points inset by 20 (64, 136, 208); y 30..196 (0 % at 196)
    assert chart.segments == ["64.0,113.0", "208.0,30.0"]
    assert [(p.symbol, p.value_text) for p in chart.points] == [("✗", "50%"), ("✓", "100%")]
    assert chart.target_y == round(30 + 166 * 0.02, 2) and chart.target_text == "Mục tiêu 98%"
    assert (
        chart.description
        == "2025-10: 50% (Chưa đạt); 2025-11: chưa có số liệu; 2025-12: 100% (Đạt)"
    )
    assert [t.text for t in chart.y_ticks] == ["0", "25", "50", "75", "100"]


def test_counts_scale_to_their_largest_value() -> None:
    chart = line_chart(
        points=[point("2025-10", 200)], target=100, percent=False, unit_suffix="", height=120
    )
    assert chart.points[0].y > 3  # 200 is below the top (220), never clipped
    assert chart.target_y is not None and chart.target_y > chart.points[0].y


def test_an_empty_series_is_empty() -> None:
    chart = line_chart(points=[point("2025-10", None)])
    assert chart.empty and chart.segments == [] and "chưa có số liệu" in chart.description


def test_area_bars_print_their_values() -> None:
    areas = [
        AreaScoreRead(
            code="par1",
            position=1,
            name="Chỉ đạo, điều hành",
            percent=75.0,
            points=7.125,
            max_points=9.5,
            items=[],
            formula="",
        ),
        AreaScoreRead(
            code="par2",
            position=2,
            name="Thể chế",
            percent=None,
            points=None,
            max_points=None,
            items=[],
            formula="",
        ),
    ]
    chart = area_bars(areas=areas, width=720)
    full, empty = chart.bars
    assert full.length == round(chart.scale * 0.75, 2)
    assert full.value_text == "75%" and full.points_text == " · 7,12/9,5 điểm"
    assert empty.empty and empty.value_text == "chưa có số liệu"
    assert "1. Chỉ đạo, điều hành: 75% · 7,12/9,5 điểm" in chart.description
