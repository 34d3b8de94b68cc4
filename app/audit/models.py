"""The audit trail: one append-only row per change, written in the change's own transaction."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field as PydanticField
from sqlalchemy import JSON, Index
from sqlmodel import Column, Field, SQLModel

from app.db import UTCDateTime
from app.schemas import ReadModel


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    IMPORT = "import"  # one accepted bulk import; the rows it created name its batch


class AuditEvent(SQLModel, table=True):
    """Who did what, through which channel, when, to which record, and what it looked like."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity_key", "entity", "entity_key"),
        Index("ix_audit_event_action_at", "action", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_username: str = Field(max_length=64, index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    #: The ward the change was made in (``None``: the city's own settings, or the CLI).
    ward_id: int | None = Field(default=None, foreign_key="ward.id", index=True)
    via: str = Field(max_length=16)
    action: str = Field(max_length=32)
    entity: str = Field(max_length=32)
    entity_key: str = Field(max_length=255)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    ip: str = Field(default="", max_length=64, index=True)


class AuditEventRead(ReadModel):
    id: int
    at: datetime
    actor_username: str = PydanticField(examples=["nguyenvana"])
    via: str = PydanticField(examples=["web"], description="web, api, cli or import")
    action: str = PydanticField(examples=["update"])
    entity: str = PydanticField(examples=["reading"])
    key: str = PydanticField(examples=["tthc_ontime/ttpvhcc/2025-10/ho-tich"])
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str
