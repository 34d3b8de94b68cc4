"""An evidence item: a file or a link a unit attaches to its update on a task for a period.

Keyed like a progress update (assignment, unit, period), not by the update's row, so a file can
be attached before the update is first saved. URLs name items by a random ``public_key``, never
by the internal id, and the stored file by a ``storage_key`` the server chose.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field as PydanticField
from pydantic import HttpUrl
from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.kpis.models import CleanStr
from app.progress.evidence.files import size_vi
from app.schemas import ReadModel, StrictInput


class EvidenceKind(StrEnum):
    FILE = "file"
    LINK = "link"


class EvidenceItem(SQLModel, table=True):
    __tablename__ = "evidence_item"
    __table_args__ = (Index("ix_evidence_item_task", "assignment_id", "unit_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    public_key: str = Field(max_length=32, unique=True)
    plan_id: int = Field(foreign_key="plan.id")
    assignment_id: int = Field(foreign_key="assignment.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period: str = Field(max_length=16)
    kind: str = Field(max_length=8)
    filename: str = Field(default="", max_length=255)
    content_type: str = Field(default="", max_length=100)
    size: int = 0
    sha256: str = Field(default="", max_length=64)
    storage_key: str = Field(default="", max_length=128)
    url: str = Field(default="", sa_type=Text)
    note: str = Field(default="", max_length=500)
    uploaded_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class EvidenceLinkCreate(StrictInput):
    """A link to a document published elsewhere (the ward's portal, a shared drive)."""

    url: HttpUrl = PydanticField(
        examples=["https://phudinh.hochiminhcity.gov.vn/van-ban/ke-hoach-84"],
        description="http or https only.",
    )
    note: CleanStr = PydanticField(
        default="", max_length=500, examples=["Quyết định số 12/QĐ-UBND ngày 05/11/2025"]
    )


class EvidenceRead(ReadModel):
    key: str = PydanticField(description="The item's public key, used in its URLs.")
    task: str
    unit: str
    period: str
    kind: EvidenceKind
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str
    note: str
    uploaded_by: str
    created_at: datetime
    download_url: str = PydanticField(
        default="", description="Where the file is downloaded (empty for a link)."
    )

    @property
    def size_label(self) -> str:
        """The size as the page shows it (``1,5 MB``)."""
        return size_vi(self.size)
