"""SIPAS tables: questionnaire versions, anonymous answers, one-time codes, kiosks, throttling.

Anonymity is a property of these tables, not of the code reading them: an answer row holds no
timestamp, no address, no device and no reference to the code it was given with, and its id is
random, so neither its columns nor its place in the table can join it back to a dossier or a person.
See docs/sipas.md.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field as PydanticField
from sqlalchemy import JSON, Index, SmallInteger, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.db import UTCDateTime
from app.schemas import Code, NonEmptyStr, ReadModel, StrictInput


class QuestionnaireStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Channel(StrEnum):
    COUNTER = "counter"
    ONLINE = "online"
    BOTH = "both"


class AnswerSource(StrEnum):
    """How an answer reached us; ``code`` answers are the only ones proven one-per-dossier."""

    CODE = "code"
    KIOSK = "kiosk"
    OPEN = "open"


class RatingKind(StrEnum):
    CRITERION = "criterion"  # 1–5, counts in the index
    EXPECTATION = "expectation"  # 1–4, reported on its own


class Questionnaire(SQLModel, table=True):
    """One version of the form; answers keep the version they were given on."""

    __tablename__ = "sipas_questionnaire"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=32, unique=True)
    title: str = Field(max_length=255)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WardVersion(SQLModel, table=True):
    """The version a ward's survey, kiosks and results use; no row: the city's published one.

    Chosen by the ward's administrator (or the city's): a ward may keep a retired version while
    it finishes a survey round, or move to a new one before the city publishes it as default."""

    __tablename__ = "sipas_ward_version"

    id: int | None = Field(default=None, primary_key=True)
    ward_id: int | None = Field(
        default=None,
        foreign_key="ward.id",
        unique=True,
        sa_column_kwargs={"nullable": False},
    )
    questionnaire_id: int = Field(foreign_key="sipas_questionnaire.id")
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str = Field(max_length=64)


class Response(SQLModel, table=True):
    """One citizen's answer: what service it was about and in which month, never who or when."""

    __tablename__ = "sipas_response"
    __table_args__ = (Index("ix_sipas_response_month_unit", "period_start", "unit_id"),)

    id: str = Field(primary_key=True, max_length=32)  # random, so row order reveals nothing
    questionnaire_id: int = Field(foreign_key="sipas_questionnaire.id", index=True)
    month: str = Field(max_length=7)
    period_start: date
    unit_id: int = Field(foreign_key="unit.id", index=True)
    domain_id: int | None = Field(default=None, foreign_key="domain.id", index=True)
    procedure_code: str = Field(default="", max_length=64)
    procedure_name: str = Field(default="", max_length=255)
    channel: str | None = Field(default=None, max_length=16)
    source: str = Field(max_length=16)
    comment: str = Field(default="", sa_type=Text)
    comment_hidden: bool = False


class Rating(SQLModel, table=True):
    """One raw answer to one item, kept as given so any official formula can be applied later."""

    __tablename__ = "sipas_rating"

    response_id: str = Field(foreign_key="sipas_response.id", primary_key=True, max_length=32)
    item: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    value: int = Field(sa_type=SmallInteger)


class SurveyCode(SQLModel, table=True):
    """A one-time code, known only by its keyed hash; its dossier details go once it is spent."""

    __tablename__ = "sipas_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    domain_id: int | None = Field(default=None, foreign_key="domain.id")
    procedure_code: str = Field(default="", max_length=64)
    procedure_name: str = Field(default="", max_length=255)
    channel: str | None = Field(default=None, max_length=16)
    month: str = Field(default="", max_length=7)
    expires_on: date
    spent: bool = False


class Kiosk(SQLModel, table=True):
    """A tablet at a counter, enrolled by an officer; its cookie carries ``key``."""

    __tablename__ = "sipas_kiosk"
    __table_args__ = (UniqueConstraint("ward_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    #: The ward of the kiosk's centre: the code is unique per ward, and the cookie names both.
    ward_id: int | None = Field(
        default=None, foreign_key="ward.id", index=True, sa_column_kwargs={"nullable": False}
    )
    code: str = Field(max_length=32)
    name: str = Field(max_length=128)
    unit_id: int = Field(foreign_key="unit.id")
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)

    @property
    def key(self) -> str:
        """What the kiosk's cookie and its forms carry: the ward and the code, since a code is
        unique only within its ward (``.`` never occurs in a code: ``token_urlsafe``)."""
        return f"{self.ward_id}.{self.code}"


class Throttle(SQLModel, table=True):
    """Answers (and wrong codes) per hour for one keyed-hashed address or one kiosk."""

    __tablename__ = "sipas_throttle"

    bucket: str = Field(primary_key=True, max_length=80)
    window_start: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    count: int = 0


class SpentForm(SQLModel, table=True):
    """Form tokens already used to send an answer: a resend or a back button gets nothing."""

    __tablename__ = "sipas_spent_form"

    token_hash: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


# --- API schemas -------------------------------------------------------------------------------


class DossierForCode(StrictInput):
    """What the service centre's system knows about a dossier; only the code is kept from it."""

    dossier_code: NonEmptyStr = PydanticField(max_length=100, examples=["H29.99-251120-0001"])
    unit: Code = PydanticField(default="ttpvhcc", examples=["ttpvhcc"])
    domain: Code | None = PydanticField(default=None, examples=["ho-tich"])
    procedure_code: str = PydanticField(default="", max_length=64, examples=["1.001193"])
    procedure_name: str = PydanticField(default="", max_length=255, examples=["Đăng ký khai sinh"])
    channel: Channel | None = PydanticField(default=None, examples=["counter"])
    month: str | None = PydanticField(
        default=None,
        max_length=7,
        examples=["2025-11"],
        description="Month the dossier was handled (YYYY-MM); default: this month.",
    )


class CodeRequest(StrictInput):
    dossiers: list[DossierForCode] = PydanticField(min_length=1, max_length=500)


class IssuedCode(ReadModel):
    dossier_code: str
    code: str = PydanticField(examples=["K7QM-3XTP-9A"])
    url: str = PydanticField(examples=["https://example.gov.vn/khao-sat?ma=K7QM3XTP9A"])
    expires_on: date
    created: bool = PydanticField(description="False when this dossier already had its code.")
    spent: bool
    qr_svg: str | None = None
    qr_png_base64: str | None = None


class IssuedCodes(ReadModel):
    survey_url: str
    items: list[IssuedCode]


class QuestionnaireRead(ReadModel):
    version: str
    title: str
    status: str
    created_at: datetime
    published_at: datetime | None
    content: dict[str, Any]


class HideComment(StrictInput):
    reason: str = PydanticField(default="", max_length=500)


class CommentRead(ReadModel):
    id: str
    month: str
    unit: str
    domain: str | None
    procedure_name: str
    channel: str | None
    text: str | None = PydanticField(description="None when hidden and you may not moderate.")
    hidden: bool


class WardVersionUpdate(StrictInput):
    questionnaire: str | None = PydanticField(
        max_length=32,
        examples=["2025.1"],
        description="A published or retired version; null: follow the city's published one.",
    )


class WardVersionRead(ReadModel):
    ward: str
    version: str = PydanticField(description="The version the ward's survey uses now.")
    title: str
    chosen: bool = PydanticField(description="False: the ward follows the city's published one.")
    city_version: str = PydanticField(description="The version the city publishes as default.")
    choices: list[str] = PydanticField(description="Versions the ward may choose.")


class ReadingRequest(StrictInput):
    period: str = PydanticField(max_length=16, examples=["2025-11"])
