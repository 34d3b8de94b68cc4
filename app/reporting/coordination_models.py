"""A coordinating unit's answer to the lead unit's update on a task they share.

Plan 84 names, for some tasks, a lead unit (chủ trì) that reports and coordinating units (phối
hợp) that do not. Each coordinating unit confirms the lead's update for a period, or says it
disagrees and why, so the reviewer sees whether the lead's account of the shared work is agreed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field as PydanticField
from pydantic import field_validator
from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.schemas import ReadModel, StrictInput
from app.units.models import refuse_nul


class CoordinationAnswer(StrEnum):
    CONFIRMED = "confirmed"
    DISAGREED = "disagreed"


class CoordinationState(StrEnum):
    """A coordinating unit's answer as the pages count it; ``pending`` has not answered."""

    CONFIRMED = "confirmed"
    DISAGREED = "disagreed"
    PENDING = "pending"


class CoordinationReply(SQLModel, table=True):
    """One coordinating unit's answer for one task and period; answering again updates it."""

    __tablename__ = "coordination_reply"
    __table_args__ = (UniqueConstraint("plan_id", "assignment_id", "period", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    #: The lead's update's period (a month for a monthly task in a quarterly year).
    period: str = Field(max_length=16, index=True)
    #: The coordinating unit that answers.
    unit_id: int = Field(foreign_key="unit.id", index=True)
    answer: str = Field(max_length=16)
    comment: str = Field(default="", sa_type=Text)
    #: The lead update's ``version`` the answer was given to: a later edit makes it stale.
    lead_version: int
    answered_by: str = Field(max_length=64)
    answered_at: datetime = Field(sa_type=UTCDateTime)
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)


# --- API schemas -------------------------------------------------------------------------------


class AnswerWrite(StrictInput):
    answer: CoordinationAnswer = PydanticField(examples=["disagreed"])
    comment: str = PydanticField(
        default="",
        max_length=4000,
        examples=["Phòng chưa nhận được kế hoạch kiểm tra; đề nghị bổ sung danh sách hồ sơ."],
        description="Required when disagreeing: what the coordinating unit does not agree with.",
    )
    version: int = PydanticField(
        ge=0,
        le=2**31 - 1,
        examples=[0],
        description="The answer's version you saw; 0 for a first answer. A stale one is a 409.",
    )

    @field_validator("comment")
    @classmethod
    def _storable(cls, value: str) -> str:
        return (refuse_nul(value) or "").strip()


class LeadUpdate(ReadModel):
    """What the lead unit reported on the task for the period, as the coordinating unit reads it."""

    status: str = PydanticField(examples=["in_progress"])
    percent_complete: int | None = PydanticField(examples=[60])
    result: str
    difficulties: str
    version: int
    updated_at: datetime


class CoordinatorAnswerRead(ReadModel):
    """One coordinating unit's answer on one task (``pending`` when it has not answered)."""

    unit: str = PydanticField(examples=["vhxh"])
    unit_name: str = PydanticField(examples=["Phòng Văn hóa - Xã hội"])
    state: CoordinationState
    comment: str = ""
    answered_by: str = ""
    answered_at: datetime | None = None
    stale: bool = PydanticField(
        default=False, description="The lead changed its update after this answer was given."
    )
    version: int = PydanticField(default=0, description="0 while there is no answer.")


class TaskCoordinationRead(ReadModel):
    """A task the lead unit leads with coordinating units, and each one's answer."""

    task: str = PydanticField(examples=["II.2.3.4"])
    text: str
    period: str = PydanticField(examples=["2025-10"])
    lead_update: LeadUpdate | None = PydanticField(
        description="None while the lead has not reported on the task for the period."
    )
    coordinators: list[CoordinatorAnswerRead]


class CoordinationSummary(ReadModel):
    confirmed: int = 0
    disagreed: int = 0
    pending: int = 0
    stale: int = PydanticField(default=0, description="Answers given before the lead's last edit.")


class LeadCoordinationRead(ReadModel):
    """The coordination state of a lead unit's report for a period."""

    unit: str = PydanticField(examples=["ttpvhcc"])
    period: str = PydanticField(examples=["2025-10"])
    summary: CoordinationSummary
    tasks: list[TaskCoordinationRead]


class CoordinatingTaskRead(ReadModel):
    """A task the unit coordinates: the lead's update and the unit's own answer."""

    task: str = PydanticField(examples=["II.2.3.4"])
    text: str
    period: str = PydanticField(examples=["2025-10"])
    lead_unit: str = PydanticField(examples=["ttpvhcc"])
    lead_unit_name: str = PydanticField(examples=["Trung tâm Phục vụ hành chính công"])
    lead_report_status: str = PydanticField(examples=["submitted"])
    lead_update: LeadUpdate | None
    answer: CoordinatorAnswerRead
    can_answer: bool
    why_not: str = PydanticField(default="", description="Why no answer is taken now, if not.")
