"""The registers Plan 84 asks units to keep, one table each: the committee's conclusions and the
tasks the city assigns (II.2.2.5, II.1.1.2), reform initiatives and models (II.1.1, II.2.1),
inspections and the findings they leave to remedy (II.2.1, II.2.4.1), the ward council's
socio-economic targets (II.1.8.1, II.2.4.2), public investment and budget revenue (II.1.6,
II.2.4.4), and training courses (II.1.5.3, II.2.1.5, II.2.2.2).

Every row belongs to a ward (``ward_id``: the tenancy rule keeps it there), is named by a code
unique in its ward (``kl-2025-001``), answers to one unit, may name the plan tasks it evidences,
and carries a ``version`` so that nobody overwrites a change they did not see.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class RegisterRow(SQLModel):
    """What every register row has: its ward, code, unit, tasks, and who changed it when."""

    id: int | None = Field(default=None, primary_key=True)
    #: Filled from the session's ward (``app.tenancy``); never NULL in the table.
    ward_id: int | None = Field(
        default=None, foreign_key="ward.id", index=True, sa_column_kwargs={"nullable": False}
    )
    code: str = Field(max_length=64)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    #: Plan task codes (``II.2.2.5``) this row is evidence of.
    task_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    created_by: str = Field(max_length=64)
    updated_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int = 1


class Conclusion(RegisterRow, table=True):
    """A conclusion of the committee's meeting, or a task the city assigned, to carry out."""

    __tablename__ = "conclusion"
    __table_args__ = (UniqueConstraint("ward_id", "code"),)

    kind: str = Field(max_length=16)  # conclusion | city_task
    document: str = Field(default="", max_length=255)  # Thông báo số 45/TB-UBND
    issued_on: date | None = None
    content: str = Field(sa_type=Text)
    deadline: date | None = Field(default=None, index=True)
    state: str = Field(max_length=16, index=True)  # open | done | cancelled
    done_on: date | None = None
    result: str = Field(default="", sa_type=Text)
    #: How far the overdue reminders have gone for this deadline (0: none; see escalation.py).
    escalation: int = 0
    escalated_for: date | None = None


class Initiative(RegisterRow, table=True):
    """A reform initiative or model, from proposal to recognition."""

    __tablename__ = "initiative"
    __table_args__ = (UniqueConstraint("ward_id", "code"),)

    kind: str = Field(max_length=16)  # initiative | model
    title: str = Field(sa_type=Text)
    proposer: str = Field(default="", max_length=255)
    par_area: str = Field(default="", max_length=16)
    state: str = Field(max_length=16, index=True)
    proposed_on: date | None = None
    recognized_on: date | None = None
    decision: str = Field(default="", max_length=255)
    results: str = Field(default="", sa_type=Text)
    documents: str = Field(default="", sa_type=Text)


class TrainingCourse(RegisterRow, table=True):
    """A training course and the unit's officials who attended it."""

    __tablename__ = "training_course"
    __table_args__ = (UniqueConstraint("ward_id", "code"),)

    title: str = Field(sa_type=Text)
    organiser: str = Field(default="", max_length=255)
    topic: str = Field(max_length=16)  # par | digital | skills | other
    starts_on: date
    ends_on: date | None = None
    hours: float | None = None
    #: Who attended: ``[{"name": "Nguyễn Văn An", "unit": "vhxh"}]``.
    attendees: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    note: str = Field(default="", sa_type=Text)


class Inspection(RegisterRow, table=True):
    """An inspection of the plan of inspections (public service, administrative reform)."""

    __tablename__ = "inspection"
    __table_args__ = (UniqueConstraint("ward_id", "code"),)

    kind: str = Field(max_length=16)  # public_service | reform | other
    title: str = Field(sa_type=Text)
    inspected: str = Field(default="", max_length=255)  # who is inspected
    planned_on: date = Field(index=True)
    done_on: date | None = None
    state: str = Field(max_length=16, index=True)
    conclusion: str = Field(default="", max_length=255)  # Kết luận số 12/KL-UBND
    summary: str = Field(default="", sa_type=Text)


class InspectionFinding(RegisterRow, table=True):
    """A shortcoming an inspection found, and the action that remedies it, owned by the unit
    that must act, until it is done."""

    __tablename__ = "inspection_finding"
    __table_args__ = (UniqueConstraint("ward_id", "code"),)

    #: The code of the inspection in this ward's register that found it; empty when the finding
    #: came from an inspection by the city or another body (``source`` names its document).
    inspection: str = Field(default="", max_length=64, index=True)
    source: str = Field(default="", max_length=255)
    found_on: date | None = None
    content: str = Field(sa_type=Text)
    action: str = Field(default="", sa_type=Text)
    deadline: date | None = Field(default=None, index=True)
    state: str = Field(max_length=16, index=True)  # open | done | cancelled
    done_on: date | None = None
    result: str = Field(default="", sa_type=Text)
    escalation: int = 0
    escalated_for: date | None = None


class SocioeconomicTarget(RegisterRow, table=True):
    """A target the ward council set for a year, with the figure reached month by month."""

    __tablename__ = "socioeconomic_target"
    __table_args__ = (UniqueConstraint("ward_id", "code"),)

    year: int = Field(index=True)
    title: str = Field(sa_type=Text)
    resolution: str = Field(default="", max_length=255)  # Nghị quyết số 05/NQ-HĐND
    measure: str = Field(default="", max_length=64)  # tỷ đồng, %, hộ
    plan_value: float
    direction: str = Field(max_length=16)  # at_least | at_most
    aggregation: str = Field(max_length=16)  # sum (the months add up) | latest
    #: ``{"2025-10": 1250.5}``: the month's figure (added up, or the level reached).
    actuals: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    note: str = Field(default="", sa_type=Text)


class InvestmentItem(RegisterRow, table=True):
    """A public investment project with its capital plan and monthly disbursement, or a line of
    budget revenue with its estimate and monthly collection (millions of đồng)."""

    __tablename__ = "investment_item"
    __table_args__ = (UniqueConstraint("ward_id", "code"),)

    kind: str = Field(max_length=16, index=True)  # project | revenue
    year: int = Field(index=True)
    title: str = Field(sa_type=Text)
    decision: str = Field(default="", max_length=255)
    planned: float  # the year's capital plan, or the revenue estimate
    #: ``{"2025-10": 1250.5}``: disbursed, or collected, in the month.
    monthly: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    priority: str = Field(default="normal", max_length=16)  # key | normal
    state: str = Field(default="", max_length=16, index=True)
    difficulties: str = Field(default="", sa_type=Text)
    proposals: str = Field(default="", sa_type=Text)
