"""Raw records from the ward's other systems: TTHC dossiers (hồ sơ) and citizens' feedback.

They are facts, not reports: partrack computes the plan's rates from them (``metrics.py``) and
never asks anyone to type those rates. Each record is keyed by the code its own system gives it,
so re-sending a file updates records instead of duplicating them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.schemas import ReadModel


class DossierChannel(StrEnum):
    DIRECT = "direct"  # trực tiếp
    ONLINE = "online"  # trực tuyến
    POSTAL = "postal"  # bưu chính công ích


class DossierStatus(StrEnum):
    """Where a dossier stands today; ``overdue`` is what the service centre must chase."""

    PROCESSING = "processing"  # đang giải quyết, còn hạn
    OVERDUE = "overdue"  # đang giải quyết, quá hạn
    ON_TIME = "on_time"  # đã giải quyết đúng hạn (hoặc trước hạn)
    LATE = "late"  # đã giải quyết trễ hạn


class FeedbackChannel(StrEnum):
    HOTLINE_1022 = "1022"
    NATIONAL_PORTAL = "national_portal"
    DIRECT = "direct"


class FeedbackKind(StrEnum):
    PETITION = "petition"  # phản ánh, kiến nghị
    COMPLAINT = "complaint"  # khiếu nại
    DENUNCIATION = "denunciation"  # tố cáo


class Dossier(SQLModel, table=True):
    """One TTHC dossier as the ward's TTHC system knows it.

    ``received_on`` and ``completed_on`` are the local (Vietnam) days, kept so rates per period
    are simple range queries on an index.
    """

    __tablename__ = "dossier"
    __table_args__ = (
        Index("ix_dossier_unit_received", "unit_id", "received_on"),
        Index("ix_dossier_unit_completed", "unit_id", "completed_on"),
        UniqueConstraint("ward_id", "code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: The ward of the unit, kept on the row so the code is unique per ward (two wards' TTHC
    #: systems number their dossiers independently); filled from the unit when written.
    ward_id: int | None = Field(
        default=None, foreign_key="ward.id", index=True, sa_column_kwargs={"nullable": False}
    )
    code: str = Field(max_length=64)
    unit_id: int = Field(foreign_key="unit.id")
    procedure_code: str = Field(default="", max_length=64)
    procedure_name: str = Field(default="", max_length=500)
    domain_id: int = Field(foreign_key="domain.id", index=True)
    channel: str = Field(max_length=16)
    received_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # NULL: the feed did not carry the column, so nobody knows (never counted as "no").
    rescheduled: bool | None = None
    fully_online: bool | None = None
    digitized: bool | None = None
    e_result: bool | None = None
    reused_data: bool | None = None
    paid_online: bool | None = None
    received_on: date
    completed_on: date | None = None
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Feedback(SQLModel, table=True):
    """One citizen's petition, complaint or denunciation (1022 hotline, national portal, desk)."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_unit_received", "unit_id", "received_on"),
        Index("ix_feedback_unit_resolved", "unit_id", "resolved_on"),
        UniqueConstraint("ward_id", "code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: The ward of the unit: feedback codes are unique per ward, like dossier codes.
    ward_id: int | None = Field(
        default=None, foreign_key="ward.id", index=True, sa_column_kwargs={"nullable": False}
    )
    code: str = Field(max_length=64)
    unit_id: int = Field(foreign_key="unit.id")
    channel: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    received_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    satisfied: bool | None = None
    received_on: date
    resolved_on: date | None = None
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DossierRead(ReadModel):
    code: str
    unit: str
    procedure_code: str
    procedure_name: str
    domain: str
    channel: str
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None
    returned_at: datetime | None
    rescheduled: bool | None
    fully_online: bool | None
    digitized: bool | None
    e_result: bool | None
    reused_data: bool | None
    paid_online: bool | None
    status: DossierStatus
    version: int


class FeedbackRead(ReadModel):
    code: str
    unit: str
    channel: str
    kind: str
    received_at: datetime
    due_at: datetime
    resolved_at: datetime | None
    satisfied: bool | None
    on_time: bool | None
    version: int
