"""The numbers behind every score: weights, thresholds, bands, PAR area points.

They live in a versioned TOML file next to this module rather than in code, so that changing a
weight is a reviewed, dated edit and every stored score can name the rules it was computed with.
An administrator's override goes through ``ScoringConfig.model_validate`` and gets the same
checks, with messages in Vietnamese because they are shown to office staff as they are.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from app.formatting import format_number
from app.schemas import Code, NonEmptyStr

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_config.toml")


def _check_number(value: float, *, name: str, low: float, high: float | None = None) -> float:
    """One place for range messages, so every field explains itself the same way."""
    if not math.isfinite(value):
        raise ValueError(f"{name} phải là một số hữu hạn (không chấp nhận NaN hoặc vô cực).")
    if value < low or (high is not None and value > high):
        upper = "" if high is None else f" và không lớn hơn {format_number(high)}"
        raise ValueError(
            f"{name} phải không nhỏ hơn {format_number(low)}{upper}; "
            f"nhận được {format_number(value)}."
        )
    return value


class _Frozen(BaseModel):
    """Configuration is shared through a cache, so nobody may change it in place or add keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Weights(_Frozen):
    """Relative weights of the three parts; only their ratios matter."""

    tasks: float = 40.0
    indicators: float = 40.0
    reporting: float = 20.0

    @field_validator("tasks", "indicators", "reporting")
    @classmethod
    def _non_negative(cls, value: float, info: ValidationInfo) -> float:
        return _check_number(value, name=f"Trọng số {info.field_name}", low=0)

    @model_validator(mode="after")
    def _some_weight(self) -> Weights:
        if self.tasks + self.indicators + self.reporting <= 0:
            raise ValueError(
                "Cần ít nhất một trọng số lớn hơn 0 (nhiệm vụ, chỉ tiêu hoặc báo cáo)."
            )
        return self


class Band(_Frozen):
    """A classification reached by scores of at least ``min_score``."""

    min_score: float
    label: NonEmptyStr

    @field_validator("min_score")
    @classmethod
    def _in_range(cls, value: float) -> float:
        return _check_number(value, name="Ngưỡng xếp loại", low=0, high=100)


DEFAULT_BANDS = (
    Band(min_score=90, label="Hoàn thành xuất sắc nhiệm vụ"),
    Band(min_score=80, label="Hoàn thành tốt nhiệm vụ"),
    Band(min_score=50, label="Hoàn thành nhiệm vụ"),
    Band(min_score=0, label="Không hoàn thành nhiệm vụ"),
)


class ScoringConfig(_Frozen):
    """Everything the scoring rules need besides the data itself."""

    version: NonEmptyStr = Field(examples=["2026.0"])
    weights: Weights = Weights()
    amber_distance: float = Field(default=0.9, description="Fraction of target that shows amber.")
    late_credit: float = Field(default=0.5, description="Credit for a late report (0..1).")
    bands: tuple[Band, ...] = DEFAULT_BANDS
    area_max_points: Mapping[Code, float] = Field(
        default_factory=dict, description="PAR area code → maximum points, e.g. par1 → 9.5."
    )

    @field_validator("amber_distance")
    @classmethod
    def _amber(cls, value: float) -> float:
        _check_number(value, name="Ngưỡng vàng (amber_distance)", low=0, high=1)
        if value == 0:
            raise ValueError("Ngưỡng vàng (amber_distance) phải lớn hơn 0 và không lớn hơn 1.")
        return value

    @field_validator("late_credit")
    @classmethod
    def _late(cls, value: float) -> float:
        return _check_number(value, name="Điểm cho báo cáo trễ hạn (late_credit)", low=0, high=1)

    @field_validator("bands")
    @classmethod
    def _ordered_bands(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        if not bands:
            raise ValueError("Cần ít nhất một mức xếp loại.")
        for higher, lower in pairwise(bands):
            if lower.min_score >= higher.min_score:
                raise ValueError(
                    "Các mức xếp loại phải xếp theo ngưỡng giảm dần: "
                    f"“{lower.label}” ({format_number(lower.min_score)}) đứng sau "
                    f"“{higher.label}” ({format_number(higher.min_score)})."
                )
        if bands[-1].min_score != 0:
            raise ValueError(
                f"Mức xếp loại cuối cùng (“{bands[-1].label}”) phải có ngưỡng 0 "
                "để mọi điểm số đều được xếp loại."
            )
        labels = [band.label for band in bands]
        if len(set(labels)) != len(labels):
            raise ValueError("Tên các mức xếp loại không được trùng nhau.")
        return bands

    @field_validator("area_max_points")
    @classmethod
    def _points(cls, points: Mapping[str, float]) -> Mapping[str, float]:
        for code, value in points.items():
            _check_number(value, name=f"Điểm tối đa của lĩnh vực “{code}”", low=0)
        # Read-only, because the default configuration is one cached object shared by everyone.
        return MappingProxyType(dict(points))

    @field_serializer("area_max_points")
    def _dump_points(self, points: Mapping[str, float]) -> dict[str, float]:
        return dict(points)


def parse_config(*, data: Mapping[str, Any]) -> ScoringConfig:
    """Check a configuration read from TOML, JSON or a form; raises pydantic's ValidationError."""
    return ScoringConfig.model_validate(data)


def load_config(*, path: Path) -> ScoringConfig:
    """Read a TOML configuration file; a syntax error becomes a ValueError naming the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"Tệp cấu hình chấm điểm {path.name} sai cú pháp TOML: {exc}") from exc
    return parse_config(data=data)


@lru_cache(maxsize=1)
def load_default_config() -> ScoringConfig:
    """The configuration shipped with the code; read once, since it only changes with a release."""
    return load_config(path=DEFAULT_CONFIG_PATH)
