"""The scoring configuration: the shipped TOML file, overrides, and the checks on both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.scoring.config import (
    DEFAULT_BANDS,
    DEFAULT_CONFIG_PATH,
    ScoringConfig,
    load_config,
    load_default_config,
    parse_config,
)


def _with(**changes: Any) -> dict[str, Any]:
    data = load_default_config().model_dump()
    data.update(changes)
    return data


def _error(**changes: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        ScoringConfig.model_validate(_with(**changes))
    return str(caught.value)


def test_default_file_holds_the_plan_84_numbers():
    config = load_default_config()
    assert config.version == "2026.0"
    assert (config.weights.tasks, config.weights.indicators, config.weights.reporting) == (
        40,
        40,
        20,
    )
    assert config.amber_distance == 0.9
    assert config.late_credit == 0.5
    assert [(band.min_score, band.label) for band in config.bands] == [
        (90, "Hoàn thành xuất sắc nhiệm vụ"),
        (80, "Hoàn thành tốt nhiệm vụ"),
        (50, "Hoàn thành nhiệm vụ"),
        (0, "Không hoàn thành nhiệm vụ"),
    ]
    assert dict(config.area_max_points) == {}


def test_default_file_agrees_with_the_code_defaults():
    assert load_default_config() == ScoringConfig(version="2026.0")
    assert load_default_config().bands == DEFAULT_BANDS


def test_default_config_is_read_once():
    assert load_default_config() is load_default_config()


def test_config_is_frozen():
    config = load_default_config()
    with pytest.raises(ValidationError):
        config.late_credit = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        config.weights.tasks = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.area_max_points["par1"] = 1  # type: ignore[index]


def test_override_through_model_validate():
    config = ScoringConfig.model_validate(
        {
            "version": "2026.1",
            "weights": {"tasks": 50, "indicators": 50, "reporting": 0},
            "late_credit": 0,
            "amber_distance": 1,
            "area_max_points": {"par1": 9.5, "par2": 6},
        }
    )
    assert config.weights.reporting == 0
    assert config.late_credit == 0
    assert config.amber_distance == 1
    assert dict(config.area_max_points) == {"par1": 9.5, "par2": 6.0}
    assert config.bands == DEFAULT_BANDS


def test_dump_and_validate_round_trip():
    config = ScoringConfig.model_validate(_with(area_max_points={"par1": 9.5}))
    assert ScoringConfig.model_validate_json(config.model_dump_json()) == config
    assert parse_config(data=config.model_dump()) == config
    assert config.model_dump()["area_max_points"] == {"par1": 9.5}


@pytest.mark.parametrize("extra", [{"colour": "red"}, {"weights": {"tasks": 1, "bonus": 2}}])
def test_unknown_keys_are_refused(extra):
    with pytest.raises(ValidationError, match="Extra inputs"):
        ScoringConfig.model_validate(_with(**extra))


def test_version_is_required_and_not_blank():
    with pytest.raises(ValidationError):
        ScoringConfig.model_validate({})
    assert "Không được để trống" in _error(version="  ")


def test_negative_weight_is_refused():
    assert "Trọng số tasks phải không nhỏ hơn 0" in _error(
        weights={"tasks": -1, "indicators": 40, "reporting": 20}
    )


def test_all_zero_weights_are_refused():
    message = _error(weights={"tasks": 0, "indicators": 0, "reporting": 0})
    assert "ít nhất một trọng số lớn hơn 0" in message


def test_a_single_positive_weight_is_enough():
    config = ScoringConfig.model_validate(
        _with(weights={"tasks": 0, "indicators": 0, "reporting": 1})
    )
    assert config.weights.reporting == 1


@pytest.mark.parametrize("value", [0, -0.1, 1.01, float("nan"), float("inf")])
def test_amber_distance_must_be_in_zero_one(value):
    assert "amber_distance" in _error(amber_distance=value)


@pytest.mark.parametrize("value", [-0.01, 1.5, float("nan")])
def test_late_credit_must_be_in_zero_one(value):
    assert "late_credit" in _error(late_credit=value)


@pytest.mark.parametrize("value", [0, 1])
def test_late_credit_bounds_are_allowed(value):
    assert ScoringConfig.model_validate(_with(late_credit=value)).late_credit == value


@pytest.mark.parametrize(
    ("bands", "fragment"),
    [
        ([], "ít nhất một mức"),
        ([{"min_score": 50, "label": "a"}, {"min_score": 80, "label": "b"}], "giảm dần"),
        (
            [
                {"min_score": 80, "label": "a"},
                {"min_score": 80, "label": "b"},
                {"min_score": 0, "label": "c"},
            ],
            "giảm dần",
        ),
        ([{"min_score": 90, "label": "a"}, {"min_score": 10, "label": "b"}], "ngưỡng 0"),
        ([{"min_score": 50, "label": "a"}, {"min_score": 0, "label": "a"}], "trùng nhau"),
        ([{"min_score": 120, "label": "a"}, {"min_score": 0, "label": "b"}], "không lớn hơn 100"),
        ([{"min_score": 0, "label": " "}], "Không được để trống"),
    ],
)
def test_bands_are_checked(bands, fragment):
    assert fragment in _error(bands=bands)


def test_a_single_band_at_zero_is_allowed():
    config = ScoringConfig.model_validate(_with(bands=[{"min_score": 0, "label": "Đạt"}]))
    assert [band.label for band in config.bands] == ["Đạt"]


def test_area_points_are_checked():
    assert "par1" in _error(area_max_points={"par1": -1})
    with pytest.raises(ValidationError):
        ScoringConfig.model_validate(_with(area_max_points={"PAR 1": 1}))


def test_load_config_reads_a_toml_file(tmp_path: Path):
    path = tmp_path / "scoring.toml"
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").replace("2026.0", "2025.2")
    path.write_text(text + "par1 = 9.5\n", encoding="utf-8")
    config = load_config(path=path)
    assert config.version == "2025.2"
    assert dict(config.area_max_points) == {"par1": 9.5}


def test_load_config_names_the_file_on_a_syntax_error(tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text("version = \n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.toml sai cú pháp TOML"):
        load_config(path=path)
