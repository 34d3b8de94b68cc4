"""Units of the ward: the committee at the root of a tree, its offices and centres below it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.schemas import Code, NonEmptyStr, ReadModel, StrictInput


class UnitKind(StrEnum):
    COMMITTEE = "committee"
    OFFICE = "office"
    CENTRE = "centre"
    FRONT = "front"
    OTHER = "other"


class Unit(SQLModel, table=True):
    __tablename__ = "unit"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=255)
    short_name: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class UnitCreate(StrictInput):
    code: Code = PydanticField(examples=["vhxh"])
    name: NonEmptyStr = PydanticField(max_length=255, examples=["Phòng Văn hóa - Xã hội"])
    short_name: NonEmptyStr = PydanticField(max_length=64, examples=["VH-XH"])
    kind: UnitKind = UnitKind.OFFICE
    parent: Code | None = PydanticField(default=None, examples=["phu-dinh"])
    active: bool = True


class UnitUpdate(StrictInput):
    name: NonEmptyStr | None = PydanticField(default=None, max_length=255)
    short_name: NonEmptyStr | None = PydanticField(default=None, max_length=64)
    kind: UnitKind | None = None
    parent: Code | None = None
    active: bool | None = None


class UnitRead(ReadModel):
    code: str
    name: str
    short_name: str
    kind: str
    parent: str | None = PydanticField(description="Code of the parent unit; null at the root.")
    active: bool
    created_at: datetime
    updated_at: datetime
