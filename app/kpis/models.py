"""Quantitative targets (indicators), TTHC domains and the readings units report against them."""

from __future__ import annotations

import math
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    HttpUrl,
    ModelWrapValidatorHandler,
    PrivateAttr,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app import formatting
from app.db import UTCDateTime
from app.errors import FieldError, Invalid
from app.schemas import Code, FiniteFloat, NewCode, NonEmptyStr, ReadModel, StrictInput


class Measure(StrEnum):
    PERCENT = "percent"
    COUNT = "count"
    AMOUNT = "amount"


class Comparator(StrEnum):
    GE = ">="
    LE = "<="
    EQ = "="


class Disaggregation(StrEnum):
    NONE = "none"
    DOMAIN = "domain"


class ReadingSource(StrEnum):
    FORM = "form"
    API = "api"
    IMPORT = "import"
    COMPUTED = "computed"


class Domain(SQLModel, table=True):
    """A domain (lĩnh vực) of administrative procedures, for per-domain targets."""

    __tablename__ = "domain"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=255)
    position: int = 0
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)


class Indicator(SQLModel, table=True):
    __tablename__ = "indicator"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    code: str = Field(max_length=64)
    name: str = Field(max_length=255)
    description: str = Field(default="", sa_type=Text)
    area_id: int = Field(foreign_key="area.id", index=True)
    measure: str = Field(max_length=16)
    comparator: str = Field(max_length=2)
    target: float
    due_date: date | None = None
    responsible_unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    disaggregation: str = Field(max_length=16)
    source_section: str = Field(default="", max_length=64)
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id", index=True)
    #: Domain code → target, for the domains the plan holds to another target than ``target``
    #: (Plan 84 I.2: 98 % on time in each domain, 95 % for khiếu nại, tố cáo).
    domain_targets: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    active: bool = True
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Reading(SQLModel, table=True):
    """A KPI value of one unit for one period (and one domain, where the target is per domain).

    Uniqueness needs two partial indexes because NULL domains are distinct in a plain unique
    constraint on both SQLite and PostgreSQL.
    """

    __tablename__ = "kpi_reading"
    __table_args__ = (
        Index(
            "uq_kpi_reading_key_no_domain",
            "indicator_id",
            "unit_id",
            "period",
            unique=True,
            sqlite_where=text("domain_id IS NULL"),
            postgresql_where=text("domain_id IS NULL"),
        ),
        Index(
            "uq_kpi_reading_key_domain",
            "indicator_id",
            "unit_id",
            "period",
            "domain_id",
            unique=True,
            sqlite_where=text("domain_id IS NOT NULL"),
            postgresql_where=text("domain_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period: str = Field(max_length=16, index=True)
    period_start: date = Field(index=True)
    period_end: date
    domain_id: int | None = Field(default=None, foreign_key="domain.id", index=True)
    value: float
    numerator: float | None = None
    denominator: float | None = None
    note: str = Field(default="", sa_type=Text)
    evidence_url: str = Field(default="", max_length=1000)
    source: str = Field(max_length=16)
    # The unit's own figure where a feed's computed value counts instead (see ``reported``
    # below and docs/api.md, "Computed and hand-entered figures"): never lost, never counted.
    reported_value: float | None = None
    reported_numerator: float | None = None
    reported_denominator: float | None = None
    reported_note: str | None = Field(default=None, sa_type=Text)
    reported_source: str | None = Field(default=None, max_length=16)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


def figures_differ(a: float | None, b: float | None) -> bool:
    """Two figures of one key disagree when they differ as the pages show them (one decimal):
    a unit that typed 97,5 for a computed 97,46 has not contradicted the feed."""
    if a is None or b is None:
        return False
    return round(a, 1) != round(b, 1)


# --- API schemas -------------------------------------------------------------------------------


def _not_bool(value: object) -> object:
    """Pydantic's lax mode reads ``true`` as 1; in a report that is a mistake, never a number."""
    if isinstance(value, bool):
        raise ValueError("Phải là một số, không phải true/false.")
    return value


def schema_error(exc: formatting.NumberError) -> PydanticCustomError:
    """The parser's refusal as a validation error keeping its code; ``message_vi`` is what
    ``translate_validation_errors`` shows, so a form, a CSV row and the API say the same."""
    return PydanticCustomError(exc.code, "{message_vi}", {"message_vi": exc.message})


def _decimal(value: object) -> object:
    """A JSON number stays a number; a string is read the Vietnamese way (``"98,5"``)."""
    if isinstance(value, str):
        try:
            return formatting.parse_number(value)
        except formatting.NumberError as exc:
            raise schema_error(exc) from None
    return _not_bool(value)


def _whole(value: object) -> object:
    """``"1.250"`` is 1250; ``1.5`` (a JSON number) or ``"1,5"`` is refused as not whole."""
    try:
        if isinstance(value, str):
            return int(formatting.parse_number(value, whole=True))
        if isinstance(value, float):
            return int(formatting.check_number(value, whole=True))
    except formatting.NumberError as exc:
        raise schema_error(exc) from None
    return _not_bool(value)


def _provisional(value: object) -> object:
    """A reading's number before its indicator is known: text that is no number at all is
    refused here; which number it is (``1.250`` in a count or a percent) ``resolve_numbers``
    decides once the indicator says what the field holds."""
    if isinstance(value, str):
        if value.isdigit() and value.isascii():
            return value  # plain digits mean the same in every field; pydantic reads them in C
        try:
            return formatting.parse_number(value)
        except formatting.NumberError as exc:
            if exc.readings:
                return exc.readings[0]
            raise schema_error(exc) from None
    return _not_bool(value)


#: A finite number that is not a JSON boolean; a string is read by ``app.formatting``.
Number = Annotated[FiniteFloat, BeforeValidator(_decimal)]
#: A whole number that is not a JSON boolean; a string is read by ``app.formatting``.
WholeNumber = Annotated[int, BeforeValidator(_whole)]
#: A reading's value, numerator or denominator: a number, or text read once the indicator is known.
ReadingNumber = Annotated[FiniteFloat, BeforeValidator(_provisional)]

#: Ratio indicators whose numerator and denominator are amounts, not counts: money (VND
#: disbursed of VND planned, compliance cost saved of cost before) and time (days saved of days
#: allowed). Every other ratio of Plan 84 divides counts (dossiers, procedures, complaints,
#: conditions, targets), typed as whole numbers. Keyed by code until indicators carry this as
#: a column of their own.
DECIMAL_PARTS = frozenset({"disbursement", "tthc_cost_cut", "tthc_time_cut"})
_READING_NUMBERS = ("value", "numerator", "denominator")


def whole_fields(indicator: Indicator) -> frozenset[str]:
    """Which of a reading's numbers must be whole: a count's value, a ratio's parts."""
    return _whole_fields(indicator.measure, indicator.code)


@lru_cache(maxsize=1024)
def _whole_fields(measure: str, code: str) -> frozenset[str]:
    fields = set()
    if measure == Measure.COUNT:
        fields.add("value")
    if code not in DECIMAL_PARTS:
        fields.update(("numerator", "denominator"))
    return frozenset(fields)


def _kept(value: float | None, whole: bool) -> bool:
    """``check_number`` would return this number as it is (and raise nothing)."""
    if value is None:
        return True
    return type(value) is float and (value.is_integer() if whole else math.isfinite(value))


def resolve_numbers(data: ReadingWrite, *, indicator: Indicator) -> ReadingWrite:
    """The reading with each typed number read for its field: whole for counts, 0–100 for a
    percent value. Range errors are left to the caller's rules (one wording for typed and JSON
    numbers); ambiguity and fractions in counts are refused here, every field at once."""
    texts = data.typed_numbers
    whole = whole_fields(indicator)
    if (
        not texts
        and _kept(data.value, "value" in whole)
        and _kept(data.numerator, "numerator" in whole)
        and _kept(data.denominator, "denominator" in whole)
    ):
        return data  # numbers given as numbers, fit for their fields: a large import's rows
    errors: list[FieldError] = []
    update: dict[str, float] = {}
    for name in _READING_NUMBERS:
        current = getattr(data, name)
        if current is None:
            continue
        percent = name == "value" and indicator.measure == Measure.PERCENT
        try:
            if name in texts:
                found = formatting.parse_number(
                    texts[name],
                    whole=name in whole,
                    minimum=0,
                    maximum=100 if percent else None,
                )
            else:
                found = formatting.check_number(current, whole=name in whole)
        except formatting.NumberError as exc:
            if exc.code == formatting.OUT_OF_RANGE and exc.readings:
                found = exc.readings[0]
            else:
                errors.append(FieldError(name, exc.code, exc.message))
                continue
        if found != current:
            update[name] = found
    if errors:
        raise Invalid(errors, message=errors[0].message)
    return data.model_copy(update=update) if update else data


def _no_nul(value: str) -> str:
    """SQLite stores a NUL character; PostgreSQL refuses it, which would be a 500, not a 422."""
    if "\x00" in value:
        raise ValueError("Không được chứa ký tự NUL (\\u0000).")
    return value


#: Text that every supported database can store and search for.
CleanStr = Annotated[str, AfterValidator(_no_nul)]

#: Row ids are 32-bit integers in the database; a larger one is a 422, not a database error.
MAX_ROW_ID = 2**31 - 1


class DomainCreate(StrictInput):
    code: NewCode = PydanticField(examples=["ho-tich"])
    name: NonEmptyStr = PydanticField(max_length=255, examples=["Hộ tịch"])
    position: int = PydanticField(default=0, ge=0)


class DomainRead(ReadModel):
    code: str
    name: str
    position: int
    active: bool


class IndicatorBase(StrictInput):
    name: NonEmptyStr | None = PydanticField(default=None, max_length=255)
    description: str | None = None
    area: Code | None = None
    measure: Measure | None = None
    comparator: Comparator | None = None
    target: Number | None = None
    due_date: date | None = None
    responsible_unit: Code | None = None
    disaggregation: Disaggregation | None = None
    source_section: str | None = PydanticField(default=None, max_length=64)
    assignment: str | None = PydanticField(default=None, max_length=32)
    domain_targets: dict[Code, FiniteFloat] | None = PydanticField(
        default=None,
        description="Domain code → target, where a domain is held to another target.",
        examples=[{"khieu-nai-to-cao": 95}],
    )
    active: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _target_for_measure(cls, data: Any) -> Any:
        """A typed target read for the measure sent with it: ``"1.000"`` is 1000 for a count,
        ``"12.345"`` is 12,345 for a percent. Text still unclear is left for ``Number``."""
        if not isinstance(data, dict) or not isinstance(data.get("target"), str):
            return data
        measure = str(data.get("measure") or "").strip().lower()
        if measure not in {Measure.COUNT, Measure.PERCENT}:
            return data
        try:
            target = formatting.parse_number(
                data["target"],
                whole=measure == Measure.COUNT,
                minimum=0,
                maximum=100 if measure == Measure.PERCENT else None,
            )
        except formatting.NumberError as exc:
            if exc.code != formatting.OUT_OF_RANGE or not exc.readings:
                return data
            target = exc.readings[0]
        return {**data, "target": target}


class IndicatorCreate(IndicatorBase):
    code: NewCode = PydanticField(examples=["tthc_ontime"])
    plan: Code | None = None
    name: NonEmptyStr = PydanticField(max_length=255)
    description: str = ""
    area: Code
    measure: Measure = Measure.PERCENT
    comparator: Comparator
    target: Number
    disaggregation: Disaggregation = Disaggregation.NONE
    source_section: str = PydanticField(default="", max_length=64)
    active: bool = True


class IndicatorUpdate(IndicatorBase):
    version: int | None = PydanticField(default=None, ge=1)


class IndicatorRead(ReadModel):
    code: str
    plan: str
    name: str
    description: str
    area: str
    measure: str
    comparator: str
    target: float
    due_date: date | None
    responsible_unit: str | None
    disaggregation: str
    source_section: str
    assignment: str | None
    domain_targets: dict[str, float]
    active: bool
    version: int


class ReadingWrite(StrictInput):
    """One reading, addressed by its natural key (indicator, unit, period, domain)."""

    indicator: Code = PydanticField(examples=["tthc_ontime"])
    unit: Code = PydanticField(examples=["ttpvhcc"])
    period: CleanStr = PydanticField(max_length=16, examples=["2025-10"])
    domain: Code | None = PydanticField(default=None, examples=["ho-tich"])
    value: ReadingNumber | None = PydanticField(default=None, examples=[98.5])
    numerator: ReadingNumber | None = PydanticField(default=None, ge=0, examples=[197])
    denominator: ReadingNumber | None = PydanticField(default=None, ge=0, examples=[200])
    note: CleanStr = PydanticField(default="", max_length=4000)
    evidence_url: HttpUrl | None = None
    version: WholeNumber | None = PydanticField(
        default=None,
        ge=0,
        description="The version you last saw; 0 means 'create only'. Omit to upsert blindly.",
    )
    plan: Code | None = None

    @field_validator("domain", "evidence_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """A blank domain or link means none: what a form sends, and what a read returns."""
        return None if isinstance(value, str) and not value.strip() else value

    #: Value, numerator and denominator given as text with a separator (``1.250``), kept for
    #: the indicator to read (only it knows which field is a count); ``None`` for most rows.
    _texts: dict[str, str] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_typed_numbers(
        cls, data: Any, handler: ModelWrapValidatorHandler[ReadingWrite]
    ) -> ReadingWrite:
        """Remember the numbers given as text: only the indicator tells how to read them."""
        model = handler(data)
        if isinstance(data, dict):
            # Only text with a separator can mean different numbers in different fields.
            texts = {
                n: v
                for n in _READING_NUMBERS
                if isinstance(v := data.get(n), str) and ("." in v or "," in v)
            }
            if texts:
                model._texts = texts
        return model

    @property
    def typed_numbers(self) -> dict[str, str]:
        """Value, numerator and denominator typed as text with a separator (``1.250``)."""
        # Read the private store directly: pydantic's attribute fallback costs a few µs a row.
        private = self.__pydantic_private__
        return (private.get("_texts") if private else None) or {}


class ReadingRead(ReadModel):
    id: int
    indicator: str
    unit: str
    period: str
    domain: str | None
    value: float
    numerator: float | None
    denominator: float | None
    note: str
    evidence_url: str
    source: str
    reported_value: float | None = PydanticField(
        default=None,
        description="The unit's own figure, kept where a feed's computed value counts instead.",
    )
    reported_numerator: float | None = None
    reported_denominator: float | None = None
    reported_note: str | None = None
    reported_source: str | None = PydanticField(
        default=None, description="How the unit's figure came in: form, api or import."
    )
    reported_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime

    @computed_field(  # type: ignore[prop-decorator]
        description="The unit's figure and the computed one both exist and differ (one decimal)."
    )
    @property
    def conflict(self) -> bool:
        return self.source == ReadingSource.COMPUTED and figures_differ(
            self.value, self.reported_value
        )
