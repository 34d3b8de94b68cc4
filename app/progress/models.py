"""What a unit reports on a task of the plan for a period."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field as PydanticField
from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.kpis.models import CleanStr, WholeNumber
from app.schemas import Code, ReadModel, StrictInput


class ProgressStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        """The words every page, report and export uses for the status."""
        return PROGRESS_LABELS[self.value]


#: A task's status in words: one set for the workspace, the scores and the consolidated report
#: (the scores page said "Hoàn thành" where the others said "Đã hoàn thành").
PROGRESS_LABELS: dict[str, str] = {
    "not_started": "Chưa thực hiện",
    "in_progress": "Đang thực hiện",
    "done": "Đã hoàn thành",
    "not_applicable": "Không áp dụng",
}


class ProgressUpdate(SQLModel, table=True):
    __tablename__ = "progress_update"
    __table_args__ = (UniqueConstraint("assignment_id", "unit_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period: str = Field(max_length=16, index=True)
    period_start: date = Field(index=True)
    period_end: date
    status: str = Field(max_length=16)
    percent_complete: int | None = None
    result: str = Field(default="", sa_type=Text)
    difficulties: str = Field(default="", sa_type=Text)
    proposals: str = Field(default="", sa_type=Text)
    evidence: str = Field(default="", sa_type=Text)
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ProgressWrite(StrictInput):
    assignment: CleanStr = PydanticField(max_length=32, examples=["II.2.1.9"])
    unit: Code = PydanticField(examples=["vhxh"])
    period: CleanStr = PydanticField(max_length=16, examples=["2025-10"])
    status: ProgressStatus = PydanticField(examples=["in_progress"])
    percent_complete: WholeNumber | None = PydanticField(default=None, ge=0, le=100, examples=[60])
    result: CleanStr = PydanticField(default="", max_length=10_000)
    difficulties: CleanStr = PydanticField(default="", max_length=10_000)
    proposals: CleanStr = PydanticField(default="", max_length=10_000)
    evidence: CleanStr = PydanticField(default="", max_length=2000)
    version: WholeNumber | None = PydanticField(
        default=None,
        ge=0,
        description="The version you last saw; 0 means 'create only'. Omit to upsert blindly.",
    )
    plan: Code | None = None


class ProgressRead(ReadModel):
    id: int
    assignment: str
    unit: str
    period: str
    status: str
    percent_complete: int | None
    result: str
    difficulties: str
    proposals: str
    evidence: str
    version: int
    created_at: datetime
    updated_at: datetime
