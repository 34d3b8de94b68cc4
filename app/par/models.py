"""The PAR Index self-assessment: the city's criteria table (a framework, versioned by year), and
each ward's assessment of one year against it.

The criteria are the city's and shared by every ward (like the scoring rules): a framework is
the table of one year, areas → criteria → sub-criteria, and only its leaves carry points that are
scored. An assessment is one ward's year: a row per leaf criterion (an *item*) holding who is
responsible, the points the unit proposes, the self-score the coordinator compiled, the points
the city's appraisal gave, and the evidence. Items carry ``ward_id`` so the tenancy rule keeps
each ward's assessment its own (``app.tenancy``).

Criteria are named by their code in the city's table (``3.2.1``) and an assessment by its year,
never by internal ids.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field as PydanticField
from pydantic import field_validator
from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.kpis.models import CleanStr, Number
from app.schemas import Code, ReadModel, StrictInput

#: A criterion's code in the city's table: ``3``, ``3.2``, ``3.2.1`` (up to four levels).
CRITERION_CODE_PATTERN = r"^[1-9][0-9]{0,2}(\.[1-9][0-9]{0,2}){0,3}$"
MAX_TEXT = 4000


class ScoredBy(StrEnum):
    SELF = "self"  # self-assessed by the ward, then appraised by the city
    SURVEY = "survey"  # points from the city's sociological survey


SCORED_BY_LABELS: dict[str, str] = {
    ScoredBy.SELF: "Tự đánh giá, thẩm định",
    ScoredBy.SURVEY: "Điều tra xã hội học",
}


class ItemStatus(StrEnum):
    """Where a criterion stands in the ward's round."""

    DRAFT = "draft"  # the unit has not proposed yet, or is changing its proposal
    SUBMITTED = "submitted"  # the unit proposed points, waiting for the coordinator
    RETURNED = "returned"  # the coordinator sent it back with a comment
    ACCEPTED = "accepted"  # the coordinator took the points into the ward's self-score


ITEM_STATUS_LABELS: dict[str, str] = {
    ItemStatus.DRAFT: "Chưa đề xuất",
    ItemStatus.SUBMITTED: "Chờ điều phối xem xét",
    ItemStatus.RETURNED: "Bị trả lại",
    ItemStatus.ACCEPTED: "Đã tổng hợp",
}


class AssessmentStatus(StrEnum):
    OPEN = "open"  # units propose, the coordinator compiles
    SUBMITTED = "submitted"  # the self-score went to the city; only the appraisal is entered
    APPRAISED = "appraised"  # the city's appraisal is in


ASSESSMENT_STATUS_LABELS: dict[str, str] = {
    AssessmentStatus.OPEN: "Đang tự đánh giá",
    AssessmentStatus.SUBMITTED: "Đã gửi Thành phố, chờ thẩm định",
    AssessmentStatus.APPRAISED: "Đã có kết quả thẩm định",
}


class ParFramework(SQLModel, table=True):
    """The city's criteria table for one year (``chi-so-cchc-xa-2025``), shared by every ward."""

    __tablename__ = "par_framework"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    year: int = Field(index=True)
    title: str = Field(sa_type=Text)
    #: Where the table comes from (the city's decision), shown on every page and export.
    source: str = Field(default="", sa_type=Text)
    #: False while the table is partrack's starting table and not the city's own.
    official: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ParCriterion(SQLModel, table=True):
    """One row of the table: an area (level 1), a criterion or a sub-criterion."""

    __tablename__ = "par_criterion"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="par_framework.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=32)
    parent_code: str = Field(default="", max_length=32)
    level: int
    #: Zero-padded code, so ``3.10`` sorts after ``3.9`` in SQL.
    sort_key: str = Field(max_length=64, index=True)
    #: The plan's PAR area (``par3``) the row belongs to: links criteria to plan tasks.
    area_code: str = Field(max_length=16)
    title: str = Field(sa_type=Text)
    max_points: float
    method: str = Field(default="", sa_type=Text)
    evidence: str = Field(default="", sa_type=Text)
    scored_by: str = Field(default=ScoredBy.SELF, max_length=8)
    #: False where the row (or its points) is a placeholder for the city's own table.
    official: bool = False
    #: An indicator of the plan whose value proposes the points (``tthc_ontime``), and the rule:
    #: ``[{"min": 98, "share": 1}, {"min": 95, "share": 0.5}]`` — the first band reached wins.
    indicator_code: str = Field(default="", max_length=64)
    rule: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    version: int = 1


class ParAssessment(SQLModel, table=True):
    """One ward's self-assessment of one year, against one framework."""

    __tablename__ = "par_assessment"
    __table_args__ = (UniqueConstraint("ward_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    #: Filled from the session's ward (``app.tenancy``); never NULL in the table.
    ward_id: int | None = Field(
        default=None, foreign_key="ward.id", index=True, sa_column_kwargs={"nullable": False}
    )
    year: int
    framework_id: int = Field(foreign_key="par_framework.id", index=True)
    #: The plan whose tasks, readings and reports evidence the criteria (for the proposals).
    plan_code: str = Field(default="", max_length=64)
    status: str = Field(default=AssessmentStatus.OPEN, max_length=16)
    #: The city's published result for the ward, as announced (not computed here).
    published_index: float | None = None
    published_rank: int | None = None
    published_of: int | None = None
    appraisal_note: str = Field(default="", sa_type=Text)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int = 1


class ParItem(SQLModel, table=True):
    """One leaf criterion in one ward's assessment: responsibility, points and their reasons."""

    __tablename__ = "par_item"
    __table_args__ = (
        UniqueConstraint("assessment_id", "criterion_id"),
        Index("ix_par_item_unit", "ward_id", "responsible_unit_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ward_id: int | None = Field(
        default=None, foreign_key="ward.id", index=True, sa_column_kwargs={"nullable": False}
    )
    assessment_id: int = Field(foreign_key="par_assessment.id", index=True, ondelete="CASCADE")
    criterion_id: int = Field(foreign_key="par_criterion.id", index=True)
    responsible_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    #: Plan task codes (``II.2.3.1``) whose work earns the criterion's points.
    task_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    applicable: bool = True
    status: str = Field(default=ItemStatus.DRAFT, max_length=16)
    proposed_points: float | None = None
    #: The points the criterion's rule proposed when the unit saved (kept to show the change).
    rule_points: float | None = None
    proposal_note: str = Field(default="", sa_type=Text)
    #: Required when the proposal differs from the rule's, and when there is no evidence.
    reason: str = Field(default="", sa_type=Text)
    self_points: float | None = None
    review_comment: str = Field(default="", sa_type=Text)
    appraised_points: float | None = None
    appraisal_comment: str = Field(default="", sa_type=Text)
    updated_by: str = Field(default="", max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int = 1


class ParEvidence(SQLModel, table=True):
    """Evidence of one item: a stored file, a link, or a plan task whose updates and approved
    reports are the evidence."""

    __tablename__ = "par_evidence"

    id: int | None = Field(default=None, primary_key=True)
    public_key: str = Field(max_length=32, unique=True)
    ward_id: int | None = Field(
        default=None, foreign_key="ward.id", index=True, sa_column_kwargs={"nullable": False}
    )
    item_id: int = Field(foreign_key="par_item.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=8)  # file, link, task
    filename: str = Field(default="", max_length=255)
    content_type: str = Field(default="", max_length=100)
    size: int = 0
    sha256: str = Field(default="", max_length=64)
    storage_key: str = Field(default="", max_length=128)
    url: str = Field(default="", sa_type=Text)
    task_code: str = Field(default="", max_length=32)
    note: str = Field(default="", max_length=500)
    added_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


# --- API schemas -------------------------------------------------------------------------------


class RuleBand(ReadModel):
    min: float = PydanticField(description="The indicator's value from which this band holds.")
    share: float = PydanticField(ge=0, le=1, description="Share of the maximum points given.")


class CriterionRead(ReadModel):
    code: str = PydanticField(examples=["3.2.1"])
    parent: str | None
    level: int
    area: str = PydanticField(examples=["par3"])
    title: str
    max_points: float
    method: str
    evidence: str
    scored_by: ScoredBy
    official: bool
    indicator: str | None
    rule: list[RuleBand]
    version: int


class FrameworkRead(ReadModel):
    code: str = PydanticField(examples=["chi-so-cchc-phuong-2025"])
    year: int
    title: str
    source: str
    official: bool
    max_points: float = PydanticField(description="Sum of the leaves' maximum points.")
    criteria: list[CriterionRead]


class CriterionUpdate(StrictInput):
    title: str | None = PydanticField(default=None, max_length=MAX_TEXT)
    max_points: Number | None = PydanticField(default=None, ge=0, le=1000)
    method: str | None = PydanticField(default=None, max_length=MAX_TEXT)
    evidence: str | None = PydanticField(default=None, max_length=MAX_TEXT)
    scored_by: ScoredBy | None = None
    official: bool | None = None
    indicator: Code | None = PydanticField(default=None, examples=["tthc_ontime"])
    rule: str | None = PydanticField(
        default=None,
        max_length=500,
        examples=[">=98: 1; >=95: 0,5"],
        description="Bands `>=VALUE: SHARE` separated by `;` (first reached wins); "
        "empty clears the rule.",
    )
    version: int | None = PydanticField(default=None, ge=1, le=2**31 - 1)


class AssessmentCreate(StrictInput):
    year: int = PydanticField(ge=2000, le=2100, examples=[2025])
    framework: Code | None = PydanticField(
        default=None, description="Framework code; default: the framework of that year."
    )
    plan: Code | None = PydanticField(
        default=None, description="Plan whose tasks and indicators evidence the criteria."
    )


class EvidenceRef(ReadModel):
    key: str
    kind: str
    filename: str
    url: str
    task: str
    note: str
    size: int
    added_by: str
    created_at: datetime
    task_state: str = PydanticField(
        default="",
        description="For a plan task: its latest update in the year and the report's state.",
    )
    download_url: str


class ItemRead(ReadModel):
    criterion: str = PydanticField(examples=["3.2.1"])
    title: str
    area: str
    max_points: float
    method: str
    evidence_required: str
    scored_by: ScoredBy
    applicable: bool
    responsible_unit: str | None
    tasks: list[str]
    status: ItemStatus
    rule_points: float | None = PydanticField(
        description="What the criterion's rule proposes from its indicator (null: no rule)."
    )
    rule_explanation: str
    proposed_points: float | None
    proposal_note: str
    reason: str
    self_points: float | None
    review_comment: str
    appraised_points: float | None
    appraisal_comment: str
    evidence: list[EvidenceRef]
    evidence_missing: bool = PydanticField(
        description="No evidence and no explanation: listed as missing all year long."
    )
    evidence_weak: bool = PydanticField(
        default=False,
        description="Only plan tasks as evidence, none with an approved report in the year.",
    )
    version: int


class ProposalWrite(StrictInput):
    points: Number = PydanticField(ge=0, le=1000, examples=["1,5"])
    note: CleanStr = PydanticField(default="", max_length=MAX_TEXT)
    reason: CleanStr = PydanticField(
        default="",
        max_length=MAX_TEXT,
        description="Required when the points differ from the rule's proposal, or when the "
        "criterion has no evidence (the explanation the city reads).",
    )
    submit: bool = PydanticField(default=True, description="Send to the coordinator now.")
    version: int | None = PydanticField(default=None, ge=1, le=2**31 - 1)


class ReviewWrite(StrictInput):
    decision: str = PydanticField(pattern="^(accept|return)$", examples=["accept"])
    points: Number | None = PydanticField(
        default=None, ge=0, le=1000, description="The compiled self-score (default: proposed)."
    )
    comment: CleanStr = PydanticField(default="", max_length=MAX_TEXT)
    version: int | None = PydanticField(default=None, ge=1, le=2**31 - 1)


class ItemSettings(StrictInput):
    responsible_unit: Code | None = None
    tasks: list[str] | None = PydanticField(default=None, max_length=50)
    applicable: bool | None = None
    version: int | None = PydanticField(default=None, ge=1, le=2**31 - 1)

    @field_validator("tasks")
    @classmethod
    def _clean(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return list(dict.fromkeys(v.strip() for v in value if v.strip()))


class AppraisalRow(StrictInput):
    criterion: str = PydanticField(pattern=CRITERION_CODE_PATTERN, max_length=32)
    points: Number = PydanticField(ge=0, le=1000)
    comment: CleanStr = PydanticField(default="", max_length=MAX_TEXT)


class PublishedResult(StrictInput):
    index: Number | None = PydanticField(default=None, ge=0, le=100)
    rank: int | None = PydanticField(default=None, ge=1, le=10000)
    of: int | None = PydanticField(default=None, ge=1, le=10000)
    note: CleanStr = PydanticField(default="", max_length=MAX_TEXT)


class AreaResult(ReadModel):
    code: str
    title: str
    max_points: float
    self_points: float
    appraised_points: float | None
    gap: float | None = PydanticField(description="Appraised minus self (negative: points lost).")


class IndexResult(ReadModel):
    """An index and how it was computed."""

    value: float | None
    points: float
    max_points: float
    formula: str


class AssessmentRead(ReadModel):
    year: int
    framework: str
    framework_official: bool
    plan: str
    status: AssessmentStatus
    items: int
    proposed: int
    accepted: int
    appraised: int = PydanticField(description="Applicable criteria with appraised points.")
    evidence_missing: int
    self_index: IndexResult
    appraised_index: IndexResult
    published_index: float | None
    published_rank: int | None
    published_of: int | None
    areas: list[AreaResult]
    version: int


class Opportunity(ReadModel):
    criterion: str
    title: str
    area: str
    max_points: float
    current_points: float
    current_source: str = PydanticField(description="appraised, self, proposed or none")
    obtainable: float
    responsible_unit: str | None
    tasks: list[str]
    evidence_missing: bool


class YearGap(ReadModel):
    criterion: str
    title: str
    years: dict[int, tuple[float | None, float | None]] = PydanticField(
        description="Year → (self points, appraised points)."
    )
