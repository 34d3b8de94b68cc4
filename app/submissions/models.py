"""A unit's report for one period: its life from draft to approval, and when it was due."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field as PydanticField
from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.schemas import ReadModel, StrictInput


class SubmissionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


STATUS_LABELS: dict[str, str] = {
    SubmissionStatus.DRAFT: "Chưa gửi",
    SubmissionStatus.SUBMITTED: "Đã gửi, chờ duyệt",
    SubmissionStatus.APPROVED: "Đã duyệt",
    SubmissionStatus.RETURNED: "Bị trả lại",
}


class Timeliness(StrEnum):
    """How a report counts for discipline: by its first submission against the due date."""

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"  # nothing submitted and the due date has passed
    NOT_DUE = "not_due"  # nothing submitted yet, and the due date has not passed


class Submission(SQLModel, table=True):
    __tablename__ = "report_submission"
    __table_args__ = (UniqueConstraint("plan_id", "unit_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period: str = Field(max_length=16, index=True)
    period_start: date
    status: str = Field(max_length=16)
    due_date: date
    first_submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_by: str = Field(default="", max_length=64)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: str = Field(default="", max_length=64)
    review_comment: str = Field(default="", sa_type=Text)
    reopen_reason: str = Field(default="", sa_type=Text)
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SubmissionRead(ReadModel):
    unit: str
    period: str
    status: SubmissionStatus
    due_date: date
    timeliness: Timeliness
    counted: bool = PydanticField(
        default=True,
        description="The due date has passed, so the report counts in completeness and scores; "
        "a period not yet due counts nowhere, even when a report was already sent.",
    )
    first_submitted_at: datetime | None
    submitted_at: datetime | None
    submitted_by: str
    reviewed_at: datetime | None
    reviewed_by: str
    review_comment: str
    reopen_reason: str
    version: int
    flag_count: int | None = PydanticField(
        default=None,
        description="Flags for the reviewer (outliers, broken validation rules, computed figures "
        "that differ from the unit's), in the review queue (`status=submitted`); null elsewhere. "
        "`GET /units/{unit}/periods/{period}/flags` lists them.",
    )


class SubmissionAction(StrictInput):
    comment: str = PydanticField(default="", max_length=4000, examples=["Bổ sung minh chứng."])
    version: int | None = PydanticField(default=None, ge=0, description="The version you saw.")
