"""The plan as data: PAR areas, the plan itself and its tasks (assignments)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field as PydanticField
from pydantic import field_validator
from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.schemas import Code, NonEmptyStr, ReadModel, StrictInput
from app.units.models import refuse_nul


class Scope(StrEnum):
    ALL_UNITS = "all_units"
    LEAD_UNIT = "lead_unit"


#: A unit's part in a task, as pages say it (workspace rows, the scores' task list).
TASK_ROLE_LABELS: dict[str, str] = {
    "lead": "Chủ trì",
    "coordinator": "Phối hợp",
    "all": "Mọi đơn vị",
}


class TaskCadence(StrEnum):
    ONCE = "once"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    CONTINUOUS = "continuous"
    #: Follows the plan's reporting rhythm: monthly during 2025, quarterly from 2026 (section III).
    PLAN = "plan"


class Area(SQLModel, table=True):
    """One of the 8 areas (lĩnh vực) of the PAR Index."""

    __tablename__ = "area"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    position: int
    section: str = Field(max_length=16)
    name: str = Field(max_length=255)
    max_points: float | None = None


class Plan(SQLModel, table=True):
    """A ward's reform plan; a ward runs several at once (this year's and the next year's)."""

    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("ward_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    #: Filled from the session's ward when left empty (``app.tenancy``); never NULL in the table.
    ward_id: int | None = Field(
        default=None, foreign_key="ward.id", index=True, sa_column_kwargs={"nullable": False}
    )
    code: str = Field(max_length=64)
    #: The years the plan runs (Plan 84: 2025 "and the following year"); picks the current plan.
    first_year: int
    last_year: int
    number: str = Field(max_length=64)
    title: str = Field(sa_type=Text)
    issued_date: date
    issuer_unit_id: int = Field(foreign_key="unit.id", index=True)
    coordinator_unit_id: int = Field(foreign_key="unit.id", index=True)
    signer_name: str = Field(max_length=255)
    signer_title: str = Field(max_length=255)
    basis: str = Field(sa_type=Text)
    reporting: list[dict[str, Any]] = Field(sa_type=JSON)
    reporting_start: str = Field(max_length=16)
    #: Day of the next month a report is due, per period length: ``{"month": 5, "quarter": 10}``.
    due_days: dict[str, int] = Field(
        default_factory=lambda: {"month": 5, "quarter": 10}, sa_type=JSON
    )
    footnotes: dict[str, str] = Field(sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AssignmentCoordinator(SQLModel, table=True):
    """A unit named to coordinate (phối hợp) on an assignment it does not lead."""

    __tablename__ = "assignment_coordinator"

    assignment_id: int = Field(foreign_key="assignment.id", primary_key=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)


class Assignment(SQLModel, table=True):
    """A task of the plan, keyed by its place in the text (``II.1.3.2``)."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    code: str = Field(max_length=32)
    section: str = Field(max_length=16)
    position: int
    #: Zero-padded form of the code so that II.1.10 sorts after II.1.9 in SQL.
    sort_key: str = Field(max_length=64, index=True)
    text: str = Field(sa_type=Text)
    area_id: int = Field(foreign_key="area.id", index=True)
    scope: str = Field(max_length=16)
    lead_unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    cadence: str = Field(max_length=16)
    #: Whether the coordinating units report on the task too (and are scored on it); Plan 84 asks
    #: only the lead unit to, so this stays false unless a plan says otherwise.
    coordinators_report: bool = False
    due_date: date | None = None
    expected_product: str = Field(default="", sa_type=Text)
    footnotes: list[str] = Field(default_factory=list, sa_type=JSON)
    active: bool = True
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


# --- API schemas -------------------------------------------------------------------------------

#: A section in Roman numerals (I…XXXIX, written canonically) and 1 to 4 positions (1…999, no
#: leading zero): ``II.1.3.2``, ``III.1``. Anything else would sort wrongly or name a bullet twice
#: (``II.1.01`` is ``II.1.1``).
ASSIGNMENT_CODE_PATTERN = r"^(X{1,3}(IX|IV|V?I{0,3})|IX|IV|VI{0,3}|I{1,3})(\.[1-9][0-9]{0,2}){1,4}$"


class AreaRead(ReadModel):
    code: str
    position: int
    section: str
    name: str
    max_points: float | None


class ReportingRule(ReadModel):
    from_year: int
    cadence: str


class PlanRead(ReadModel):
    code: str
    number: str
    title: str
    issued_date: date
    issuer_unit: str
    coordinator_unit: str
    signer_name: str
    signer_title: str
    basis: str
    reporting: list[ReportingRule]
    reporting_start: str
    first_year: int = PydanticField(examples=[2025], description="First year the plan runs.")
    last_year: int = PydanticField(examples=[2026], description="Last year the plan runs.")
    assignment_count: int
    indicator_count: int


class Footnote(ReadModel):
    marker: str
    text: str


class AssignmentBase(StrictInput):
    text: NonEmptyStr | None = None
    area: Code | None = PydanticField(default=None, examples=["par3"])
    scope: Scope | None = None
    lead_unit: Code | None = PydanticField(default=None, examples=["ttpvhcc"])
    coordinating_units: list[Code] | None = PydanticField(default=None, examples=[["vhxh"]])
    coordinators_report: bool | None = PydanticField(
        default=None, description="The coordinating units must report on this task too."
    )
    cadence: TaskCadence | None = None
    due_date: date | None = None
    expected_product: str | None = PydanticField(default=None, max_length=2000)
    active: bool | None = None

    @field_validator("text", "expected_product")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        return refuse_nul(value)

    @field_validator("coordinating_units")
    @classmethod
    def _no_repeats(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("Một đơn vị phối hợp bị ghi lặp lại.")
        return value


class AssignmentCreate(AssignmentBase):
    code: str = PydanticField(pattern=ASSIGNMENT_CODE_PATTERN, max_length=32, examples=["II.2.3.7"])
    plan: Code | None = PydanticField(default=None, description="Plan code; default plan if empty.")
    text: NonEmptyStr
    area: Code
    scope: Scope = Scope.LEAD_UNIT
    cadence: TaskCadence = TaskCadence.CONTINUOUS
    coordinating_units: list[Code] = PydanticField(default_factory=list)
    coordinators_report: bool = False
    expected_product: str = PydanticField(default="", max_length=2000)
    active: bool = True


class AssignmentUpdate(AssignmentBase):
    version: int | None = PydanticField(
        default=None, ge=1, description="If given, the update applies only to this version."
    )


class AssignmentRead(ReadModel):
    code: str
    plan: str
    section: str
    position: int
    text: str
    area: str
    scope: str
    lead_unit: str | None
    coordinating_units: list[str]
    coordinators_report: bool
    cadence: str
    due_date: date | None
    expected_product: str
    footnotes: list[Footnote]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
