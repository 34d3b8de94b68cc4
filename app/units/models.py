"""Units of the ward: the committee at the root of a tree, its offices and centres below it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field as PydanticField
from pydantic import field_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.schemas import Code, NewCode, NonEmptyStr, ReadModel, StrictInput


class UnitKind(StrEnum):
    COMMITTEE = "committee"
    OFFICE = "office"
    CENTRE = "centre"
    FRONT = "front"
    OTHER = "other"


class Unit(SQLModel, table=True):
    __tablename__ = "unit"
    #: Codes are a ward's own: every ward has its "vhxh" (Phòng Văn hóa - Xã hội).
    __table_args__ = (UniqueConstraint("ward_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    #: Filled from the session's ward when left empty (``app.tenancy``); never NULL in the table.
    ward_id: int | None = Field(
        default=None, foreign_key="ward.id", index=True, sa_column_kwargs={"nullable": False}
    )
    code: str = Field(max_length=64)
    name: str = Field(max_length=255)
    short_name: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


def refuse_nul(value: str | None) -> str | None:
    """PostgreSQL cannot store U+0000 (SQLite can): refuse it as bad input, never answer a 500."""
    if value is not None and "\x00" in value:
        raise ValueError("Không được chứa ký tự NUL (\\u0000).")
    return value


def contains_nul(code: str) -> bool:
    """Whether a code looked up by path or query holds U+0000: no row can have it."""
    return "\x00" in code


class UnitCreate(StrictInput):
    code: NewCode = PydanticField(examples=["vhxh"])
    name: NonEmptyStr = PydanticField(max_length=255, examples=["Phòng Văn hóa - Xã hội"])
    short_name: NonEmptyStr = PydanticField(max_length=64, examples=["VH-XH"])
    kind: UnitKind = UnitKind.OFFICE
    parent: Code | None = PydanticField(default=None, examples=["phu-dinh"])
    active: bool = True

    @field_validator("name", "short_name")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        return refuse_nul(value)


class UnitUpdate(StrictInput):
    name: NonEmptyStr | None = PydanticField(default=None, max_length=255)
    short_name: NonEmptyStr | None = PydanticField(default=None, max_length=64)
    kind: UnitKind | None = None
    parent: Code | None = None
    active: bool | None = None

    @field_validator("name", "short_name")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        return refuse_nul(value)


class UnitRead(ReadModel):
    code: str
    name: str
    short_name: str
    kind: str
    parent: str | None = PydanticField(description="Code of the parent unit; null at the root.")
    active: bool
    created_at: datetime
    updated_at: datetime
