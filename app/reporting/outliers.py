"""Is a figure far from what is usual? The robust rule the reviewer's flags use, without a database.

The sample is either the unit's own last periods of the same indicator (and domain), or the other
units' figures for the same indicator and period. The rule is the median and the median absolute
deviation (MAD), because one earlier mistake (a 1.200 typed for 12) must not hide the next one the
way it would stretch a mean and a standard deviation:

* a figure ``x`` is an outlier when ``|x − median| > k · 1,4826 · MAD`` (1,4826 makes the MAD
  comparable to a standard deviation for normal data; ``k`` is ``PARTRACK_OUTLIER_THRESHOLD``,
  3,5 by default);
* when the MAD is 0 (at least half of the sample is the same figure, common for a rate that is
  100 % every month) the rule above would flag any change at all, so then a figure is flagged only
  when it differs from the median by more than a tolerance: ``PARTRACK_OUTLIER_ZERO_MAD_TOLERANCE``
  of the median for counts (50 % by default; with a median of 0 any figure other than 0), or
  ``PARTRACK_OUTLIER_ZERO_MAD_POINTS`` percentage points for a percent (20 by default);
* a sample smaller than ``PARTRACK_OUTLIER_MIN_COUNT`` (4) says nothing: no flag.

Percent values are compared in percentage points: "gấp 1,6 lần" between 60 % and 95 % reads as
alarming where the plain "cao hơn 35 điểm phần trăm" is what happened, and a ratio of rates near
0 % is meaningless. The counts behind a rate (its denominator, the dossiers received) are compared
as ratios: "gấp 9,8 lần trung vị 6 kỳ trước (12)".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.formatting import format_number

#: Makes the MAD an estimate of the standard deviation for normally distributed figures.
MAD_SCALE = 1.4826


class Basis(StrEnum):
    HISTORY = "history"  # the unit's own last periods
    PEERS = "peers"  # the other units, same period


@dataclass(frozen=True)
class Thresholds:
    """The rule's settings (``PARTRACK_OUTLIER_*``); the defaults are the settings' defaults."""

    history_periods: int = 6
    min_count: int = 4
    k: float = 3.5
    zero_mad_tolerance: float = 0.5
    zero_mad_points: float = 20.0


@dataclass(frozen=True)
class Outlier:
    """A figure found far from its sample, with what it was compared to."""

    value: float
    median: float
    count: int
    basis: Basis
    percent: bool

    @property
    def reason(self) -> str:
        return reason(self)


def median(values: Sequence[float]) -> float:
    """The middle figure (the mean of the two middle ones for an even count); needs one value."""
    if not values:
        raise ValueError("median of nothing")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def mad(values: Sequence[float]) -> float:
    """The median absolute deviation from the median (unscaled)."""
    centre = median(values)
    return median([abs(v - centre) for v in values])


def is_outlier(
    value: float, sample: Sequence[float], *, thresholds: Thresholds, percent: bool
) -> bool:
    """The robust rule of the module docstring; ``False`` for a sample below the minimum."""
    if len(sample) < thresholds.min_count:
        return False
    centre = median(sample)
    spread = mad(sample)
    distance = abs(value - centre)
    if spread > 0:
        return distance > thresholds.k * MAD_SCALE * spread
    if percent:
        return distance > thresholds.zero_mad_points
    return distance > thresholds.zero_mad_tolerance * abs(centre)


def check(
    value: float,
    sample: Sequence[float],
    *,
    thresholds: Thresholds,
    basis: Basis,
    percent: bool,
) -> Outlier | None:
    """The outlier, with its reason, or ``None`` when the figure is usual (or unjudgeable)."""
    if not is_outlier(value, sample, thresholds=thresholds, percent=percent):
        return None
    return Outlier(
        value=value, median=median(sample), count=len(sample), basis=basis, percent=percent
    )


def _sample_words(outlier: Outlier) -> str:
    if outlier.basis is Basis.HISTORY:
        return f"trung vị {outlier.count} kỳ trước"
    return f"trung vị của {outlier.count} đơn vị khác cùng kỳ"


def _figure(value: float, percent: bool) -> str:
    text = format_number(value, 1).removesuffix(",0")
    return text + "%" if percent else text


def _ratio(value: float) -> str:
    """One decimal, two when one would read 0,0 (a figure a hundredth of the usual)."""
    digits = 1 if value >= 0.095 or value == 0 else 2
    return format_number(value, digits).removesuffix(",0")


def reason(outlier: Outlier) -> str:
    """Why the figure is unusual, in the reviewer's words.

    ``gấp 9,8 lần trung vị 6 kỳ trước (12)``, ``bằng 0,1 lần trung vị của 11 đơn vị khác cùng
    kỳ (40)``, ``thấp hơn 35 điểm phần trăm so với trung vị 6 kỳ trước (95%)``, and for a median
    of 0: ``là 7 trong khi trung vị 6 kỳ trước là 0``.
    """
    words = _sample_words(outlier)
    shown = _figure(outlier.median, outlier.percent)
    if outlier.percent:
        gap = outlier.value - outlier.median
        direction = "cao hơn" if gap > 0 else "thấp hơn"
        points = format_number(abs(gap), 1).removesuffix(",0")
        return f"{direction} {points} điểm phần trăm so với {words} ({shown})"
    if outlier.median == 0:
        return f"là {_figure(outlier.value, False)} trong khi {words} là 0"
    ratio = outlier.value / outlier.median
    if not math.isfinite(ratio) or ratio < 0:
        return f"là {_figure(outlier.value, False)}, khác xa {words} ({shown})"
    verb = "gấp" if ratio >= 1 else "bằng"
    return f"{verb} {_ratio(ratio)} lần {words} ({shown})"
