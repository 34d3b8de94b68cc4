"""Administrators' overrides of the scoring configuration, kept as an append-only history.

The shipped file (``app/scoring/default_config.toml``) holds the rules; an admin may replace them
without a release. Every change is a new row rather than an edit, so the rules behind an old
ranking can always be looked up by their ``version`` label.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field as PydanticField
from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.kpis.models import CleanStr
from app.schemas import ReadModel, StrictInput
from app.scoring.config import ScoringConfig


class ScoringConfigOverride(SQLModel, table=True):
    """One change of the rules in force; the newest row wins, ``config`` NULL = the shipped file.

    ``version`` is unique so that one label never names two different sets of numbers (NULLs,
    the returns to the shipped file, are distinct on SQLite and PostgreSQL alike).
    """

    __tablename__ = "scoring_config_override"

    id: int | None = Field(default=None, primary_key=True)
    version: str | None = Field(default=None, max_length=64, unique=True)
    config: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    note: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)


ConfigSource = Literal["file", "override"]


class ScoringConfigRead(ReadModel):
    """The rules in force and where they come from."""

    source: ConfigSource = PydanticField(
        description="`file`: the shipped default_config.toml; `override`: set by an admin."
    )
    config: ScoringConfig
    changed_at: datetime | None = None
    changed_by: str | None = None
    note: str = ""


class ScoringConfigWrite(StrictInput):
    """A complete new configuration; ``base_version`` guards against overwriting a newer one."""

    config: ScoringConfig
    note: CleanStr = PydanticField(default="", max_length=2000, examples=["Trọng số năm 2026"])
    base_version: str | None = PydanticField(
        default=None,
        description="The version you edited; 409 if the rules in force have changed since.",
        examples=["2026.0"],
    )


class ScoringConfigReset(StrictInput):
    note: CleanStr = PydanticField(default="", max_length=2000)
    base_version: str | None = None


class ScoringConfigChange(ReadModel):
    """One row of the history, newest first."""

    id: int
    source: ConfigSource
    version: str
    config: ScoringConfig
    note: str
    created_at: datetime
    created_by: str
