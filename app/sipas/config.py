"""The SIPAS index formula and the indicator it feeds, from the versioned ``index.toml``.

The formula is data so that a ward can follow a new official rule (other satisfied levels, another
version) with a reviewed, dated edit; answers are stored raw, so every period can be re-scored.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.schemas import Code, NonEmptyStr

CONFIG_PATH = Path(__file__).with_name("index.toml")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IndicatorSpec(_Frozen):
    code: Code = "sipas_index"
    name: NonEmptyStr
    area: Code = "par8"
    comparator: str = Field(default=">=", pattern="^(>=|<=|=)$")
    target: float = Field(default=90, ge=0, le=100)
    unit: Code = "ttpvhcc"
    source_section: str = Field(default="", max_length=64)


class Formula(_Frozen):
    version: NonEmptyStr
    satisfied_levels: frozenset[int] = frozenset({4, 5})
    indicator: IndicatorSpec

    @field_validator("satisfied_levels")
    @classmethod
    def _levels_on_scale(cls, value: frozenset[int]) -> frozenset[int]:
        if not value or not value <= {1, 2, 3, 4, 5}:
            raise ValueError("Mức hài lòng (satisfied_levels) phải là các số từ 1 đến 5.")
        return value


def load_formula(path: Path = CONFIG_PATH) -> Formula:
    with path.open("rb") as handle:
        return Formula.model_validate(tomllib.load(handle))


@lru_cache
def formula() -> Formula:
    """The formula in force; cached, since the file only changes with a release."""
    return load_formula()
