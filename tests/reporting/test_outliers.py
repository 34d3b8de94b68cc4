"""The robust outlier rule as pure functions: hand-computed medians and MADs, the zero-MAD case,
minimum counts, and the reasons as a Vietnamese reviewer reads them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.reporting import outliers
from app.reporting.outliers import Basis, Thresholds

T = Thresholds()


def test_median_and_mad_by_hand() -> None:
    assert outliers.median([3, 1, 2]) == 2
    assert outliers.median([4, 1, 3, 2]) == 2.5
    # deviations from 12 of [10, 12, 12, 13, 40]: 2, 0, 0, 1, 28 → median 1
    assert outliers.mad([10, 12, 12, 13, 40]) == 1
    with pytest.raises(ValueError):
        outliers.median([])


def test_the_rule_uses_k_times_scaled_mad() -> None:
    history = [10, 11, 12, 13, 14, 15]  # median 12,5; MAD 1,5; bound 3,5 × 1,4826 × 1,5 ≈ 7,78
    assert not outliers.is_outlier(20, history, thresholds=T, percent=False)  # 7,5 away
    assert outliers.is_outlier(20.5, history, thresholds=T, percent=False)  # 8 away
    assert outliers.is_outlier(4.5, history, thresholds=T, percent=False)
    strict = Thresholds(k=2)
    assert outliers.is_outlier(17.5, history, thresholds=strict, percent=False)


def test_one_old_mistake_does_not_hide_the_next() -> None:
    """A mean and standard deviation would be stretched by the 1.200; the median is not."""
    history = [12, 11, 1200, 13, 12, 12]
    assert outliers.is_outlier(118, history, thresholds=T, percent=False)


def test_zero_mad_uses_the_relative_tolerance_for_counts() -> None:
    history = [12, 12, 12, 12, 13, 12]  # MAD 0
    assert not outliers.is_outlier(17, history, thresholds=T, percent=False)  # 5 < 6 (50 %)
    assert outliers.is_outlier(19, history, thresholds=T, percent=False)
    assert not outliers.is_outlier(12, history, thresholds=T, percent=False)
    zeros = [0, 0, 0, 0]
    assert outliers.is_outlier(1, zeros, thresholds=T, percent=False)
    assert not outliers.is_outlier(0, zeros, thresholds=T, percent=False)


def test_zero_mad_uses_percentage_points_for_percents() -> None:
    always_full = [100, 100, 100, 100, 100, 100]
    assert not outliers.is_outlier(85, always_full, thresholds=T, percent=True)  # 15 points
    assert outliers.is_outlier(79, always_full, thresholds=T, percent=True)  # 21 points


def test_too_small_a_sample_says_nothing() -> None:
    assert not outliers.is_outlier(1000, [1, 1, 1], thresholds=T, percent=False)
    assert outliers.is_outlier(1000, [1, 1, 1], thresholds=Thresholds(min_count=3), percent=False)
    assert outliers.check(1000, [], thresholds=T, basis=Basis.PEERS, percent=False) is None


def reason(value: float, sample: list[float], basis: Basis, percent: bool = False) -> str:
    found = outliers.check(value, sample, thresholds=T, basis=basis, percent=percent)
    assert found is not None
    return found.reason


def test_reasons_in_vietnamese() -> None:
    history = [11, 12, 12, 12, 13, 14]
    assert reason(118, history, Basis.HISTORY) == "gấp 9,8 lần trung vị 6 kỳ trước (12)"
    peers = [38, 40, 40, 41, 39, 40, 42, 40, 40, 45, 37]
    assert reason(4, peers, Basis.PEERS) == "bằng 0,1 lần trung vị của 11 đơn vị khác cùng kỳ (40)"
    assert reason(0.4, peers, Basis.PEERS).startswith("bằng 0,01 lần")
    zeros = [0, 0, 0, 0, 0, 0]
    assert reason(7, zeros, Basis.HISTORY) == "là 7 trong khi trung vị 6 kỳ trước là 0"
    rates = [95, 96, 95, 94, 95, 95]
    assert (
        reason(60, rates, Basis.HISTORY, percent=True)
        == "thấp hơn 35 điểm phần trăm so với trung vị 6 kỳ trước (95%)"
    )
    assert reason(13, [2, 2, 2, 2.5], Basis.PEERS) == (
        "gấp 6,5 lần trung vị của 4 đơn vị khác cùng kỳ (2)"
    )


@given(
    sample=st.lists(st.floats(min_value=0, max_value=1e6), min_size=4, max_size=12),
    value=st.floats(min_value=0, max_value=1e6),
)
def test_the_median_itself_is_never_an_outlier(sample: list[float], value: float) -> None:
    centre = outliers.median(sample)
    assert not outliers.is_outlier(centre, sample, thresholds=T, percent=False)
    if outliers.is_outlier(value, sample, thresholds=T, percent=False):
        # anything further out on the same side is an outlier too
        further = value + (value - centre)
        assert outliers.is_outlier(further, sample, thresholds=T, percent=False)
