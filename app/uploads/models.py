"""The imports' own table: one row per accepted bulk import (the audit trail of its rows).

It stays beside the import runner (``bulk.py``), which writes it; the dossier and feedback tables
live in ``app/dossiers/models.py``.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class ImportBatch(SQLModel, table=True):
    """One accepted bulk import: who sent which file, when, and what it did.

    It is the audit trail's record of the rows an import creates: a million new dossiers are one
    ``import`` event plus this row, and each new row names it in ``import_batch_id``. Rows an
    import changes keep an audit event each (their earlier values matter); unchanged rows cost
    nothing. A dry run or a refused batch rolls back and leaves no batch behind.
    """

    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # readings, progress, dossiers, feedback
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_username: str = Field(max_length=64)
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    ward_id: int | None = Field(default=None, foreign_key="ward.id", index=True)
    ip: str = Field(default="", max_length=64)
    filename: str = Field(default="", max_length=255)
    size_bytes: int = 0
    sha256: str = Field(default="", max_length=64)
    partial: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
