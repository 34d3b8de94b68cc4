"""Wards (phường, xã): the organisations that each run their own units, users and plans.

Ho Chi Minh City runs the same reform-plan template in 168 wards and communes; one database holds
them all, and every row a ward owns is reached through its ward (``app.tenancy`` keeps each request
inside one ward).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field as PydanticField
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.schemas import NewCode, NonEmptyStr, ReadModel, StrictInput
from app.units.models import refuse_nul


class Ward(SQLModel, table=True):
    __tablename__ = "ward"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=255)
    city: str = Field(default="Thành phố Hồ Chí Minh", max_length=255)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class WardCreate(StrictInput):
    code: NewCode = PydanticField(examples=["phu-dinh"])
    name: NonEmptyStr = PydanticField(max_length=255, examples=["Phường Phú Định"])
    city: NonEmptyStr = PydanticField(
        default="Thành phố Hồ Chí Minh", max_length=255, examples=["Thành phố Hồ Chí Minh"]
    )

    @field_validator("name", "city")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        return refuse_nul(value)


class WardRead(ReadModel):
    code: str
    name: str
    city: str
    active: bool
