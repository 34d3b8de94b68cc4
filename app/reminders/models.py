"""Reminders sent for missing reports, their deliveries, and the in-app notifications.

``reminder`` holds one row per (plan, unit, period, kind): the unique key that makes a pass
idempotent, claimed before anything is sent. ``reminder_delivery`` says what went to whom by which
channel and whether it arrived; ``notification`` is what the bell counts.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field as PydanticField
from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.db import UTCDateTime
from app.schemas import ReadModel


class Channel(StrEnum):
    APP = "app"
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # claimed, not yet attempted (or the pass stopped half-way)
    SENT = "sent"
    FAILED = "failed"  # retried by the next pass
    SENDING = "sending"  # taken by a pass whose SMTP conversation is under way


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("plan_id", "unit_id", "period", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    due_date: date
    scheduled_date: date
    missing: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ReminderDelivery(SQLModel, table=True):
    __tablename__ = "reminder_delivery"
    __table_args__ = (UniqueConstraint("reminder_id", "channel", "recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    reminder_id: int = Field(foreign_key="reminder.id", index=True)
    channel: str = Field(max_length=8)
    recipient: str = Field(max_length=255)  # a username (app) or an e-mail address
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    copied: bool = False  # copied (head of unit, coordinator) rather than addressed
    status: str = Field(max_length=16)
    attempts: int = 0
    error: str = Field(default="", sa_type=Text)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("reminder_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    reminder_id: int | None = Field(default=None, foreign_key="reminder.id", index=True)
    title: str = Field(max_length=255)
    body: str = Field(default="", sa_type=Text)
    link: str = Field(default="", max_length=255)
    created_at: datetime = Field(sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- API schemas -------------------------------------------------------------------------------


class NotificationRead(ReadModel):
    id: int
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


class DeliveryRead(ReadModel):
    """One line of the coordinators' log: what was sent to whom, when, and whether it arrived."""

    unit: str
    unit_name: str
    period: str
    kind: str
    kind_label: str
    due_date: date
    channel: Channel
    recipient: str
    copied: bool
    status: DeliveryStatus
    attempts: int
    error: str
    created_at: datetime
    sent_at: datetime | None


class PassResult(ReadModel):
    """What one ``partrack remind`` pass did; all zero when run again the same day."""

    reminders: int = 0
    notifications: int = 0
    emails_sent: int = 0
    emails_failed: int = 0
    details: list[dict[str, Any]] = PydanticField(default_factory=list)
