"""Questionnaire versions: the wording is data (``questionnaire.json``), loaded at first use.

A version is never edited once answers may refer to it: a change is a new version that an admin or
coordinator publishes. Criterion codes are the identity of a question across versions (the index
adds answers up by code), so a question whose meaning changes must get a new code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import tenancy
from app.actors import SYSTEM, Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, Invalid, NotFound, translate_validation_errors
from app.permissions import Permission
from app.schemas import Code, NonEmptyStr
from app.sipas.index import FactorSpec
from app.sipas.models import Questionnaire, QuestionnaireRead, QuestionnaireStatus

DEFAULT_PATH = Path(__file__).with_name("questionnaire.json")


#: Where a questionnaire's intro names the ward ("Ý kiến của bạn giúp {phuong_xa} …").
WARD_PLACEHOLDER = "{phuong_xa}"
#: The shipped version's intro named Phú Định outright; databases that loaded it keep that text.
SHIPPED_VERSION = "2025.1"
_SHIPPED_WARD = "phường Phú Định"


def ward_phrase(ward_name: str | None) -> str:
    """ "Phường Bình Đông" → "phường Bình Đông" inside a sentence; no ward known (several wards,
    no code or kiosk yet) → "chính quyền", never another ward's name."""
    if not ward_name:
        return "chính quyền"
    for kind in ("Phường ", "Xã ", "Thị trấn "):
        if ward_name.startswith(kind):
            return ward_name[:1].lower() + ward_name[1:]
    return ward_name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScaleLevel(_Strict):
    value: int = Field(ge=1, le=5)
    label: NonEmptyStr = Field(max_length=64)


class Item(_Strict):
    code: Code
    text: NonEmptyStr = Field(max_length=300)


class Factor(_Strict):
    code: Code
    name: NonEmptyStr = Field(max_length=120)
    criteria: list[Item] = Field(min_length=1, max_length=20)


class ChannelOption(_Strict):
    code: str = Field(pattern="^(counter|online|both)$")
    label: NonEmptyStr = Field(max_length=64)


class QuestionnaireContent(_Strict):
    """The whole form; validated the same way for the shipped file and an admin's new version."""

    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$", examples=["2026.1"])
    title: NonEmptyStr = Field(max_length=255)
    intro: str = Field(default="", max_length=1000)
    scale: list[ScaleLevel] = Field(min_length=5, max_length=5)
    factors: list[Factor] = Field(min_length=1, max_length=10)
    expectation_scale: list[ScaleLevel] = Field(min_length=4, max_length=4)
    expectations: list[Item] = Field(default_factory=list, max_length=20)
    channels: list[ChannelOption] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def _consistent(self) -> QuestionnaireContent:
        if [s.value for s in self.scale] != [1, 2, 3, 4, 5]:
            raise ValueError("Thang đánh giá phải có đúng 5 mức, theo thứ tự 1 đến 5.")
        if [s.value for s in self.expectation_scale] != [1, 2, 3, 4]:
            raise ValueError("Thang mong muốn phải có đúng 4 mức, theo thứ tự 1 đến 4.")
        codes = [c.code for f in self.factors for c in f.criteria] + [
            e.code for e in self.expectations
        ]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"Mã câu hỏi bị trùng: {', '.join(duplicates)}.")
        factor_codes = [f.code for f in self.factors]
        if len(set(factor_codes)) != len(factor_codes):
            raise ValueError("Mã nhóm tiêu chí (factor) bị trùng.")
        return self

    def intro_for(self, ward_name: str | None) -> str:
        """The intro naming the ward the survey is for: the questionnaire is shared by every
        ward, so it says ``{phuong_xa}`` and each ward's page puts its own name there."""
        text = self.intro
        if self.version == SHIPPED_VERSION:  # loaded before the placeholder existed
            text = text.replace(_SHIPPED_WARD, WARD_PLACEHOLDER)
        return text.replace(WARD_PLACEHOLDER, ward_phrase(ward_name))

    def factor_specs(self) -> list[FactorSpec]:
        return [
            FactorSpec(f.code, f.name, tuple((c.code, c.text) for c in f.criteria))
            for f in self.factors
        ]

    def criterion_codes(self) -> set[str]:
        return {c.code for f in self.factors for c in f.criteria}

    def expectation_codes(self) -> set[str]:
        return {e.code for e in self.expectations}


def parse_content(raw: object) -> QuestionnaireContent:
    """Validated content, or a 422 whose messages are Vietnamese."""
    try:
        return QuestionnaireContent.model_validate(raw)
    except ValidationError as exc:
        errors = translate_validation_errors(list(exc.errors()))
        raise Invalid(
            errors, message=errors[0].message if errors else "Phiếu không hợp lệ."
        ) from exc


def content_of(row: Questionnaire) -> QuestionnaireContent:
    return QuestionnaireContent.model_validate(row.content)


def to_read(row: Questionnaire) -> QuestionnaireRead:
    return QuestionnaireRead(
        version=row.version,
        title=row.title,
        status=row.status,
        created_at=row.created_at,
        published_at=row.published_at,
        content=row.content,
    )


def _current(db_session: Session) -> Questionnaire | None:
    return db_session.exec(
        select(Questionnaire)
        .where(Questionnaire.status == QuestionnaireStatus.PUBLISHED)
        .order_by(col(Questionnaire.published_at).desc(), col(Questionnaire.id).desc())
    ).first()


@lru_cache
def shipped() -> QuestionnaireContent:
    """The questionnaire file of this release, read once."""
    return parse_content(json.loads(DEFAULT_PATH.read_text(encoding="utf-8")))


def ensure_questionnaire(*, db_session: Session, clock: Clock) -> Questionnaire:
    """The published version, loading the shipped file first if it is not in the table yet.

    Idempotent and safe when two first requests race: the unique version lets one insert win. The
    shipped file is published automatically only when nothing is published; otherwise a new file
    version waits, as a draft, for someone to publish it.
    """
    content = shipped()
    exists = db_session.exec(
        select(Questionnaire.id).where(Questionnaire.version == content.version)
    ).first()
    current = _current(db_session)
    if exists is None:
        now = clock.now()
        row = Questionnaire(
            version=content.version,
            title=content.title,
            content=content.model_dump(mode="json"),
            status=QuestionnaireStatus.DRAFT if current else QuestionnaireStatus.PUBLISHED,
            created_at=now,
            published_at=None if current else now,
        )
        db_session.add(row)
        try:
            db_session.flush()
            _audit(db_session, SYSTEM, clock, AuditAction.CREATE, row)
            db_session.commit()
        except IntegrityError:
            db_session.rollback()
        current = _current(db_session)
    if current is None:
        raise NotFound("Chưa có phiếu khảo sát nào được công bố.", code="no_questionnaire")
    return current


def all_versions(*, db_session: Session) -> list[Questionnaire]:
    """Oldest first, so that later versions win when labels are merged."""
    return list(db_session.exec(select(Questionnaire).order_by(col(Questionnaire.id))).all())


def get_version(*, db_session: Session, version: str) -> Questionnaire:
    row = db_session.exec(select(Questionnaire).where(Questionnaire.version == version)).first()
    if row is None:
        raise NotFound(f"Không có phiếu khảo sát phiên bản “{version}”.", code="no_questionnaire")
    return row


def _audit(
    db_session: Session,
    actor: Actor,
    clock: Clock,
    action: AuditAction,
    row: Questionnaire,
    before: Mapping[str, object] | None = None,
) -> None:
    audit.record(
        db_session=db_session,
        actor=actor,
        action=action,
        entity="sipas_questionnaire",
        key=row.version,
        before=before,
        after={"version": row.version, "status": row.status, "title": row.title},
        clock=clock,
    )


def create_version(
    *, db_session: Session, actor: Actor, clock: Clock, raw: object
) -> QuestionnaireRead:
    """A new draft version; it takes effect only when published."""
    tenancy.authorize_shared(db_session, actor, Permission.PLAN_WRITE)
    ensure_questionnaire(db_session=db_session, clock=clock)
    content = parse_content(raw)
    if db_session.exec(
        select(Questionnaire.id).where(Questionnaire.version == content.version)
    ).first():
        raise Conflict(
            f"Đã có phiếu phiên bản “{content.version}”; phiên bản đã có thì không sửa được, "
            "hãy đặt số phiên bản mới.",
            code="questionnaire_exists",
        )
    row = Questionnaire(
        version=content.version,
        title=content.title,
        content=content.model_dump(mode="json"),
        status=QuestionnaireStatus.DRAFT,
        created_at=clock.now(),
    )
    db_session.add(row)
    db_session.flush()
    _audit(db_session, actor, clock, AuditAction.CREATE, row)
    db_session.commit()
    return to_read(row)


def publish_version(
    *, db_session: Session, actor: Actor, clock: Clock, version: str
) -> QuestionnaireRead:
    """Make a version the one new answers use; the previous one is retired, its answers kept."""
    tenancy.authorize_shared(db_session, actor, Permission.PLAN_WRITE)
    ensure_questionnaire(db_session=db_session, clock=clock)
    row = get_version(db_session=db_session, version=version)
    if row.status == QuestionnaireStatus.PUBLISHED:
        return to_read(row)
    for old in db_session.exec(
        select(Questionnaire).where(Questionnaire.status == QuestionnaireStatus.PUBLISHED)
    ).all():
        old.status = QuestionnaireStatus.RETIRED
        db_session.add(old)
    before = {"version": row.version, "status": row.status}
    row.status = QuestionnaireStatus.PUBLISHED
    row.published_at = clock.now()
    db_session.add(row)
    _audit(db_session, actor, clock, AuditAction.UPDATE, row, before=before)
    db_session.commit()
    return to_read(row)
