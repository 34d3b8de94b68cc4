"""A unit's request to reopen an approved period's report, and the coordinator's decision.

One row per request: the unit asks with a reason, then the request is granted (the report goes
back to the unit in the same transaction), refused with a comment, or withdrawn by the unit.
Numbered per (plan, unit, period), so ``ttpvhcc/2025-10/2`` names a request in URLs and the audit
trail without an internal id. At most one request per period waits at a time: a partial unique
index holds that across concurrent requests, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field as PydanticField
from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.schemas import ReadModel, StrictInput

#: The longest reason or comment kept; a reason is a few sentences, not a document.
MAX_TEXT = 2000


class ReopenStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


REOPEN_STATUS_LABELS: dict[str, str] = {
    ReopenStatus.PENDING: "Đang chờ quyết định",
    ReopenStatus.GRANTED: "Đã đồng ý mở lại",
    ReopenStatus.REFUSED: "Bị từ chối",
    ReopenStatus.WITHDRAWN: "Đơn vị đã rút",
}


class ReopenRequest(SQLModel, table=True):
    __tablename__ = "reopen_request"
    __table_args__ = (
        UniqueConstraint("plan_id", "unit_id", "period", "number"),
        Index(
            "uq_reopen_request_pending",
            "plan_id",
            "unit_id",
            "period",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period: str = Field(max_length=16)
    number: int  # 1, 2, … within (plan, unit, period): the public key with unit and period
    reason: str = Field(sa_type=Text)
    status: str = Field(max_length=16, index=True)
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: str = Field(default="", max_length=64)  # who granted, refused or withdrew it
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_comment: str = Field(default="", sa_type=Text)
    version: int = 1


class ReopenRequestRead(ReadModel):
    unit: str = PydanticField(examples=["ttpvhcc"])
    period: str = PydanticField(examples=["2025-10"])
    number: int = PydanticField(examples=[1], description="The request's number for the period.")
    reason: str = PydanticField(examples=["Cập nhật số hồ sơ trễ hạn sau khi rà soát lại."])
    status: ReopenStatus
    requested_by: str
    requested_at: datetime
    decided_by: str
    decided_at: datetime | None
    decision_comment: str
    version: int


class ReopenRequestCreate(StrictInput):
    reason: str = PydanticField(
        max_length=MAX_TEXT,
        description="Why the approved report must change (required).",
        examples=["Số hồ sơ trễ hạn lĩnh vực hộ tịch nhập thiếu 3 hồ sơ; cần sửa lại."],
    )


class ReopenDecision(StrictInput):
    comment: str = PydanticField(
        default="",
        max_length=MAX_TEXT,
        examples=["Đồng ý; đơn vị sửa và gửi lại trước ngày 25/11/2025."],
        description="Required to refuse; optional to grant or withdraw.",
    )
    version: int | None = PydanticField(
        default=None, ge=0, le=2**31 - 1, description="The request's version you saw."
    )
