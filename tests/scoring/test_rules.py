"""The scoring rules as pure functions: hand-computed cases first, then properties."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.scoring.config import ScoringConfig, load_default_config
from app.scoring.rules import (
    IndicatorResult,
    ReportingScore,
    TaskScore,
    TaskUpdate,
    area_score,
    attainment,
    classify,
    format_vi,
    indicator_result,
    light,
    met,
    rank,
    reporting_score,
    task_score,
    unit_score,
)

CONFIG = load_default_config()
TODAY = date(2025, 11, 20)
EXCELLENT, GOOD, DONE, FAILED = (band.label for band in CONFIG.bands)


def _indicator(share: float | None) -> IndicatorResult:
    """An indicator whose attainment is ``share``: a reading of ``100 × share`` against 100."""
    readings = {} if share is None else {None: 100 * share}
    return indicator_result(readings_by_domain=readings, target=100, comparator=">=", config=CONFIG)


def _tasks(score: float | None) -> TaskScore:
    return TaskScore(score, 0 if score is None else 1, (), (), "")


def _reports(score: float | None) -> ReportingScore:
    return ReportingScore(score, 0 if score is None else 1, 0, 0, 0, 0.5, "")


# --- formatting ---------------------------------------------------------------------------------


def test_numbers_are_written_the_vietnamese_way():
    assert format_vi(98.5, 1) == "98,5"
    assert format_vi(1234.5, 2) == "1.234,50"
    assert format_vi(0.98979, 3) == "0,990"


# --- attainment, met, light ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "comparator", "expected"),
    [
        (97, 98, ">=", 97 / 98),
        (98, 98, ">=", 1.0),
        (120, 98, ">=", 1.0),
        (0, 98, ">=", 0.0),
        (-5, 98, ">=", 0.0),
        (0, 0, ">=", 1.0),
        (3, 0, ">=", 1.0),
        (-1, 0, ">=", 0.0),
        (5, 4, "<=", 0.8),
        (4, 4, "<=", 1.0),
        (2, 4, "<=", 1.0),
        (0, 4, "<=", 1.0),
        (0, 0, "<=", 1.0),
        (3, 0, "<=", 0.0),
        (100, 100, "=", 1.0),
        (100 + 1e-10, 100, "=", 1.0),
        (80, 100, "=", 0.8),
        (125, 100, "=", 0.8),
        (0, 100, "=", 0.0),
        (5, 0, "=", 0.0),
    ],
)
def test_attainment(value, target, comparator, expected):
    assert attainment(value=value, target=target, comparator=comparator) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "target", "comparator", "expected"),
    [
        (98, 98, ">=", True),
        (98 - 1e-12, 98, ">=", True),
        (97.99, 98, ">=", False),
        (4, 4, "<=", True),
        (4.01, 4, "<=", False),
        (100, 100, "=", True),
        (100.001, 100, "=", False),
        (99.999, 100, "=", False),
    ],
)
def test_met(value, target, comparator, expected):
    assert met(value=value, target=target, comparator=comparator) is expected


def test_unknown_comparator_is_refused():
    with pytest.raises(ValueError, match="không hợp lệ"):
        met(value=1, target=1, comparator=">")


def test_non_finite_reading_is_refused():
    with pytest.raises(ValueError, match="hữu hạn"):
        attainment(value=math.nan, target=1, comparator=">=")


@pytest.mark.parametrize(
    ("value", "comparator", "expected"),
    [
        (None, ">=", "grey"),
        (98, ">=", "green"),
        (90, ">=", "amber"),  # 90/100 is exactly the amber distance
        (89.9, ">=", "red"),
        (110, "<=", "amber"),  # 100/110 = 0.909
        (112, "<=", "red"),  # 100/112 = 0.893
        (105, "=", "amber"),  # 100/105 = 0.952: close, but an exact target is not met
        (100, "=", "green"),
    ],
)
def test_light(value, comparator, expected):
    target = 98 if value == 98 else 100
    assert light(value=value, target=target, comparator=comparator, amber_distance=0.9) == expected


# --- indicators by domain -----------------------------------------------------------------------


def test_indicator_without_domains_explains_itself():
    result = indicator_result(
        readings_by_domain={None: 97}, target=98, comparator=">=", config=CONFIG
    )
    assert result.value == 97
    assert result.attainment == pytest.approx(0.98979, abs=1e-5)
    assert result.met is False
    assert result.light == "amber"
    assert result.worst_domain is None
    assert result.formula == "min(97 / 98 ; 1) = 0,990"


def test_one_failing_domain_makes_the_indicator_unmet_and_is_shown():
    result = indicator_result(
        readings_by_domain={"tu-phap": 100, "dat-dai": 70, "ho-tich": 99},
        target=95,
        comparator=">=",
        config=CONFIG,
    )
    assert result.met is False
    assert result.worst_domain == "dat-dai"
    assert result.value == 70
    assert result.attainment == pytest.approx(70 / 95)
    assert result.light == "red"
    assert [d.domain for d in result.domains] == ["dat-dai", "ho-tich", "tu-phap"]
    assert [d.met for d in result.domains] == [False, True, True]
    assert result.formula == "kém nhất trong 3 lĩnh vực: dat-dai — min(70 / 95 ; 1) = 0,737"
    named = indicator_result(
        readings_by_domain={"ho-tich": 96.0, "dat-dai": 70.0},
        target=95,
        comparator=">=",
        config=CONFIG,
        domain_names={"dat-dai": "Đất đai", "ho-tich": "Hộ tịch"},
    )
    assert named.formula == "kém nhất trong 2 lĩnh vực: Đất đai — min(70 / 95 ; 1) = 0,737"


def test_indicator_met_when_every_domain_with_data_is_met():
    result = indicator_result(
        readings_by_domain={"a": 96, "b": 100, "c": None}, target=95, comparator=">=", config=CONFIG
    )
    assert result.met is True
    assert result.light == "green"
    assert result.attainment == 1.0
    assert [d.domain for d in result.domains] == ["a", "b"]
    assert result.worst_domain == "a"  # ties go to the first code


def test_indicator_per_domain_with_a_ceiling():
    result = indicator_result(
        readings_by_domain={"a": 2, "b": 5}, target=4, comparator="<=", config=CONFIG
    )
    assert (result.worst_domain, result.value, result.attainment) == ("b", 5, 0.8)
    assert result.domains[1].formula == "min(4 / 5 ; 1) = 0,800"


def test_indicator_without_data_is_grey():
    for readings in ({}, {"a": None}):
        result = indicator_result(
            readings_by_domain=readings, target=95, comparator=">=", config=CONFIG
        )
        assert (result.value, result.attainment, result.met) == (None, None, None)
        assert result.light == "grey"
        assert result.domains == ()
        assert result.formula == "chưa có số liệu"


# --- tasks --------------------------------------------------------------------------------------


def test_task_score_hand_computed():
    result = task_score(
        updates=[
            TaskUpdate("t1", "done", 100, date(2025, 10, 31)),
            TaskUpdate("t2", "in_progress", 60, date(2025, 11, 19)),
            TaskUpdate("t3", "not_started", None, date(2025, 11, 20)),
            TaskUpdate("t4", "not_applicable", None, date(2025, 1, 1)),
        ],
        today=TODAY,
    )
    assert result.score == pytest.approx((1 + 0.6 + 0) / 3)
    assert result.counted == 3
    assert [item.credit for item in result.items] == [1.0, 0.6, 0.0, None]
    assert result.overdue == ("t2",)  # t3 is due today, t1 is done, t4 does not apply
    assert result.formula == "(1 + 0,6 + 0) / 3 = 0,533"
    assert result.items[1].formula == "đang thực hiện 60% = 0,600; quá hạn (hạn 19/11/2025)"


def test_overdue_not_started_task():
    result = task_score(
        updates=[TaskUpdate("t", "not_started", None, date(2025, 1, 1))], today=TODAY
    )
    assert (result.score, result.overdue) == (0.0, ("t",))


def test_in_progress_without_a_percentage_counts_as_zero():
    result = task_score(updates=[TaskUpdate("t", "in_progress")], today=TODAY)
    assert result.score == 0.0


def test_only_not_applicable_tasks_give_no_score():
    result = task_score(updates=[TaskUpdate("t", "not_applicable")], today=TODAY)
    assert (result.score, result.counted) == (None, 0)
    assert task_score(updates=[], today=TODAY).score is None


@pytest.mark.parametrize("update", [TaskUpdate("t", "paused"), TaskUpdate("t", "in_progress", 101)])
def test_bad_task_updates_are_refused(update):
    with pytest.raises(ValueError, match="t"):
        task_score(updates=[update], today=TODAY)


# --- reporting ----------------------------------------------------------------------------------


def test_reporting_score_hand_computed():
    result = reporting_score(statuses=["on_time", "late", "missing", "on_time"], config=CONFIG)
    assert result.score == (2 + 0.5) / 4
    assert (result.expected, result.on_time, result.late, result.missing) == (4, 2, 1, 1)
    assert result.formula == "(2 × 1 + 1 × 0,5 + 1 × 0) / 4 = 0,625"


def test_late_credit_comes_from_the_config():
    config = ScoringConfig.model_validate({"version": "t", "late_credit": 0.25})
    assert reporting_score(statuses=["late"], config=config).score == 0.25


def test_nothing_expected_gives_no_reporting_score():
    assert reporting_score(statuses=[], config=CONFIG).score is None


def test_unknown_report_status_is_refused():
    with pytest.raises(ValueError, match="early"):
        reporting_score(statuses=["early"], config=CONFIG)


# --- unit score ---------------------------------------------------------------------------------


def test_unit_score_hand_computed():
    result = unit_score(
        task=_tasks(0.5),
        indicators=[_indicator(1.0), _indicator(0.5), _indicator(None)],
        reporting=_reports(0.625),
        config=CONFIG,
    )
    # 40 × 0.5 + 40 × 0.75 + 20 × 0.625 = 20 + 30 + 12.5
    assert result.score == pytest.approx(62.5)
    assert [c.contribution for c in result.components] == pytest.approx([20, 30, 12.5])
    assert [c.share for c in result.components] == pytest.approx([0.4, 0.4, 0.2])
    assert result.components[1].mean == 0.75
    assert result.components[1].formula == "trung bình 2/3 chỉ tiêu có số liệu = 0,750"
    assert result.formula == "40 × 0,500 + 40 × 0,750 + 20 × 0,625 = 62,50"
    assert result.version == "2026.0"


def test_missing_component_is_renormalised():
    result = unit_score(
        task=None, indicators=[_indicator(0.75)], reporting=_reports(0.625), config=CONFIG
    )
    # (40 × 0.75 + 20 × 0.625) / 60 × 100 = 42.5 / 0.6
    assert result.score == pytest.approx(42.5 / 0.6)
    assert [c.share for c in result.components] == pytest.approx([0, 2 / 3, 1 / 3])
    assert result.components[0].contribution == 0
    assert result.formula.endswith("(chia lại trọng số vì thiếu: nhiệm vụ)")


def test_component_with_no_score_is_renormalised_like_a_missing_one():
    with_empty = unit_score(
        task=_tasks(None), indicators=[_indicator(None)], reporting=_reports(0.5), config=CONFIG
    )
    assert with_empty.score == pytest.approx(50)


def test_no_component_gives_no_unit_score():
    result = unit_score(task=None, indicators=[], reporting=None, config=CONFIG)
    assert result.score is None
    assert all(c.contribution == 0 for c in result.components)


def test_component_with_zero_weight_does_not_count():
    config = ScoringConfig.model_validate(
        {"version": "t", "weights": {"tasks": 1, "indicators": 0, "reporting": 0}}
    )
    result = unit_score(task=None, indicators=[_indicator(1)], reporting=None, config=config)
    assert result.score is None


def test_perfect_unit_scores_exactly_100_with_awkward_weights():
    config = ScoringConfig.model_validate(
        {"version": "t", "weights": {"tasks": 1, "indicators": 1, "reporting": 1}}
    )
    result = unit_score(
        task=_tasks(1), indicators=[_indicator(1)], reporting=_reports(1), config=config
    )
    assert result.score == 100
    assert classify(score=result.score, config=config) == EXCELLENT


# --- bands, ranking, areas ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (100, EXCELLENT),
        (90, EXCELLENT),
        (90 - 1e-12, EXCELLENT),  # float noise, not a real shortfall
        (89.99, GOOD),
        (80, GOOD),
        (79.99, DONE),
        (50, DONE),
        (49.99, FAILED),
        (0, FAILED),
        (None, None),
    ],
)
def test_classify_band_boundaries(score, label):
    assert classify(score=score, config=CONFIG) == label


def test_classify_refuses_a_score_below_every_band():
    with pytest.raises(ValueError, match="thấp hơn"):
        classify(score=-1, config=CONFIG)


def test_rank_shares_ties_and_skips():
    ranks = rank(scores={"d": 70.0, "b": 90.0, "a": 90.0, "e": None, "c": 80.0, "f": 80.0})
    assert ranks == {"a": 1, "b": 1, "c": 3, "f": 3, "d": 5, "e": None}
    assert list(ranks) == ["a", "b", "c", "f", "d", "e"]


def test_rank_treats_float_noise_as_a_tie():
    assert rank(scores={"a": 0.1 + 0.2, "b": 0.3}) == {"a": 1, "b": 1}


def test_rank_of_nothing():
    assert rank(scores={}) == {}
    assert rank(scores={"x": None}) == {"x": None}


def test_area_score_hand_computed():
    result = area_score(attainments=[1.0, 0.5, 0.75], max_points=9.5)
    assert result.percent == pytest.approx(75)
    assert result.points == pytest.approx(7.125)
    assert result.formula == "trung bình 3 chỉ tiêu = 75,0%; 0,750 × 9,5 = 7,12 điểm"


def test_area_score_without_points_or_data():
    assert area_score(attainments=[0.5], max_points=None).points is None
    empty = area_score(attainments=[], max_points=9.5)
    assert (empty.percent, empty.points) == (None, None)
    with pytest.raises(ValueError):
        area_score(attainments=[1.5], max_points=None)


# --- properties ---------------------------------------------------------------------------------

readings = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
shares = st.floats(min_value=0, max_value=1)
optional_shares = st.none() | shares
weights = st.floats(min_value=0, max_value=1000)


@given(target=readings, a=readings, b=readings, comparator=st.sampled_from([">=", "<="]))
def test_better_reading_never_lowers_attainment(target, a, b, comparator):
    low, high = sorted((a, b))
    worse, better = (low, high) if comparator == ">=" else (high, low)
    result_worse = attainment(value=worse, target=target, comparator=comparator)
    result_better = attainment(value=better, target=target, comparator=comparator)
    assert 0 <= result_worse <= result_better <= 1


@given(target=readings, a=readings, b=readings)
def test_closer_reading_never_lowers_attainment_of_an_exact_target(target, a, b):
    assume((a - target) * (b - target) >= 0)  # on the same side of the target
    below = max(a, b) <= target
    far, near = (min(a, b), max(a, b)) if below else (max(a, b), min(a, b))
    result_far = attainment(value=far, target=target, comparator="=")
    assert 0 <= result_far <= attainment(value=near, target=target, comparator="=") <= 1


@given(
    others=st.dictionaries(st.sampled_from("abcd"), readings, max_size=4),
    a=readings,
    b=readings,
)
def test_better_domain_reading_never_lowers_the_indicator(others, a, b):
    low, high = sorted((a, b))

    def judged(value: float) -> float | None:
        return indicator_result(
            readings_by_domain={**others, "z": value}, target=95, comparator=">=", config=CONFIG
        ).attainment

    assert judged(low) <= judged(high)


@given(percents=st.lists(st.integers(0, 100), min_size=1, max_size=5), index=st.integers(0, 4))
def test_finishing_a_task_never_lowers_the_task_score(percents, index):
    updates = [TaskUpdate(f"t{i}", "in_progress", p) for i, p in enumerate(percents)]
    before = task_score(updates=updates, today=TODAY).score
    index %= len(updates)
    updates[index] = TaskUpdate(f"t{index}", "done")
    assert before <= task_score(updates=updates, today=TODAY).score


def _config(tasks: float, indicators: float, reporting: float) -> ScoringConfig:
    return ScoringConfig.model_validate(
        {
            "version": "t",
            "weights": {"tasks": tasks, "indicators": indicators, "reporting": reporting},
        }
    )


@given(
    w=st.tuples(weights, weights, weights),
    means=st.tuples(optional_shares, optional_shares, optional_shares),
)
def test_unit_score_stays_in_range_and_adds_up(w, means):
    assume(sum(w) > 0)
    task, indicator, report = means
    result = unit_score(
        task=_tasks(task),
        indicators=[_indicator(indicator)],
        reporting=_reports(report),
        config=_config(*w),
    )
    contributions = [c.contribution for c in result.components]
    if result.score is None:
        assert contributions == [0, 0, 0]
        return
    assert 0 <= result.score <= 100
    assert sum(contributions) == result.score
    assert sum(reversed(contributions)) == result.score
    assert math.fsum(contributions) == result.score
    assert classify(score=result.score, config=CONFIG) is not None


@given(
    w=st.tuples(weights, weights, weights),
    means=st.tuples(shares, shares, shares),
    gains=st.tuples(shares, shares, shares),
)
def test_better_component_never_lowers_the_unit_score(w, means, gains):
    assume(sum(w) > 0)
    config = _config(*w)
    better = tuple(min(1.0, m + g) for m, g in zip(means, gains, strict=True))

    def scored(values: tuple[float, float, float]) -> float | None:
        task, indicator, report = values
        return unit_score(
            task=_tasks(task),
            indicators=[_indicator(indicator)],
            reporting=_reports(report),
            config=config,
        ).score

    assert scored(means) <= scored(better)


@given(scores=st.dictionaries(st.text("abc", min_size=1, max_size=3), st.none() | shares))
def test_rank_is_one_plus_the_number_of_better_units(scores):
    ranks = rank(scores=scores)
    assert set(ranks) == set(scores)
    for key, score in scores.items():
        if score is None:
            assert ranks[key] is None
        else:
            # Scores equal to nine decimals tie; anything finer is float noise.
            better = sum(
                1
                for other in scores.values()
                if other is not None and round(other, 9) > round(score, 9)
            )
            assert ranks[key] == 1 + better
