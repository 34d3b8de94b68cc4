"""The consolidated monthly report: its layout settings and its frozen, versioned snapshots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field as PydanticField
from sqlalchemy import JSON, LargeBinary, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.db import UTCDateTime
from app.schemas import ReadModel, StrictInput

DEFAULT_RECIPIENTS = [
    "Thường trực Đảng ủy phường (để báo cáo);",
    "Thường trực HĐND phường (để báo cáo);",
    "Chủ tịch, các Phó Chủ tịch UBND phường;",
    "Các cơ quan, đơn vị thuộc UBND phường;",
    "Lưu: VT, VHXH.",
]


class ReportConfig(SQLModel, table=True):
    """Who issues and signs a plan's consolidated report; one row per plan (per ward)."""

    __tablename__ = "report_config"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", unique=True)
    authority: str = Field(max_length=255)
    issuer: str = Field(max_length=255)
    number_suffix: str = Field(max_length=32)
    place: str = Field(max_length=64)
    signer_title: str = Field(max_length=255)
    signer_name: str = Field(max_length=255)
    recipients: list[str] = Field(sa_column=Column(JSON, nullable=False))
    version: int = 1
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ReportSnapshot(SQLModel, table=True):
    """A report marked final: the files and the data they were made from, never changed again."""

    __tablename__ = "report_snapshot"
    __table_args__ = (UniqueConstraint("plan_id", "period", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    period: str = Field(max_length=16)
    version: int
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    docx: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    xlsx: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    #: Null for versions marked final before the PDF existed (migration 0012).
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    sha256: str = Field(max_length=64)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ReportConfigRead(ReadModel):
    authority: str
    issuer: str
    number_suffix: str
    place: str
    signer_title: str
    signer_name: str
    recipients: list[str]
    version: int


class ReportConfigUpdate(StrictInput):
    authority: str | None = PydanticField(default=None, min_length=1, max_length=255)
    issuer: str | None = PydanticField(default=None, min_length=1, max_length=255)
    number_suffix: str | None = PydanticField(default=None, min_length=1, max_length=32)
    place: str | None = PydanticField(default=None, min_length=1, max_length=64)
    signer_title: str | None = PydanticField(default=None, min_length=1, max_length=255)
    signer_name: str | None = PydanticField(default=None, max_length=255)
    recipients: list[str] | None = PydanticField(default=None, max_length=30)
    version: int | None = PydanticField(default=None, ge=1)


class SnapshotRead(ReadModel):
    period: str
    version: int
    sha256: str
    created_by: str
    created_by_name: str
    created_at: datetime
    has_pdf: bool
    report_date: date
    basis: str = PydanticField(
        default="all",
        description="`approved`: the version counts approved reports only (every version marked "
        "final since the data states exist); `all`: everything entered (older versions).",
    )
