"""Which questionnaire version a ward's survey uses: a ward setting, chosen by its administrator.

The city publishes a default version (``questionnaire.publish_version``); a ward without a choice
follows it. A ward may instead name a version of its own (a retired one while it finishes a
survey round, or a newer one it starts before the city), and its survey, kiosks, counter codes
and results use that version. Answers keep the version they were given on, and the index reads one
version at a time (``service.report``), so changing versions never adds two forms' answers up.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import tenancy
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, Forbidden, Invalid
from app.permissions import Permission, can
from app.sipas.models import (
    Questionnaire,
    QuestionnaireStatus,
    WardVersion,
    WardVersionRead,
    WardVersionUpdate,
)
from app.sipas.questionnaire import ensure_questionnaire
from app.units.models import Unit
from app.wards.models import Ward

ENTITY = "sipas_ward_version"
REFUSAL = (
    "Chỉ quản trị của phường, xã hoặc quản trị cấp Thành phố được chọn phiên bản phiếu khảo sát."
)


def questionnaire_for(*, db_session: Session, clock: Clock, ward_id: int | None) -> Questionnaire:
    """The version the ward's survey uses: its own choice, else the city's published one (also
    when no ward is known: an open survey in a city of several wards)."""
    published = ensure_questionnaire(db_session=db_session, clock=clock)
    if not ward_id:
        return published
    chosen = db_session.exec(
        select(Questionnaire)
        .join(WardVersion, col(WardVersion.questionnaire_id) == col(Questionnaire.id))
        .where(WardVersion.ward_id == ward_id)
    ).first()
    return chosen if chosen is not None else published


def survey_ward(db_session: Session, *, kiosk_ward: int | None, unit_id: int | None) -> int | None:
    """The ward a public survey answers for: its code's unit's, else its kiosk's, else the only
    ward there is; ``None`` with several wards and nothing to tell (the city's version then)."""
    if unit_id is not None:
        found = db_session.exec(select(Unit.ward_id).where(Unit.id == unit_id)).first()
        if found is not None:
            return found
    if kiosk_ward:
        return kiosk_ward
    wards = db_session.exec(select(Ward.id).limit(2)).all()
    return wards[0] if len(wards) == 1 else None


def session_ward(db_session: Session) -> int | None:
    """The ward the session works in, or ``None`` (a city account before it opens a ward)."""
    ward = tenancy.ward_of(db_session)
    return None if ward in (None, tenancy.NO_WARD) else ward


def in_force(*, db_session: Session, clock: Clock) -> Questionnaire:
    """The version of the ward this session works in."""
    return questionnaire_for(db_session=db_session, clock=clock, ward_id=session_ward(db_session))


def _ward(db_session: Session) -> Ward:
    ward_id = session_ward(db_session)
    ward = db_session.get(Ward, ward_id) if ward_id is not None else None
    if ward is None:
        raise Invalid.one(
            "ward", "ward_required", "Hãy chọn một phường, xã trước khi xem hay đổi cài đặt."
        )
    return ward


def _choices(db_session: Session) -> list[Questionnaire]:
    """Versions a ward may use: published or retired, never a draft (its wording may change)."""
    return list(
        db_session.exec(
            select(Questionnaire)
            .where(Questionnaire.status != QuestionnaireStatus.DRAFT)
            .order_by(col(Questionnaire.id))
        ).all()
    )


def _read(db_session: Session, clock: Clock, ward: Ward) -> WardVersionRead:
    published = ensure_questionnaire(db_session=db_session, clock=clock)
    used = questionnaire_for(db_session=db_session, clock=clock, ward_id=ward.id)
    chosen = db_session.exec(select(WardVersion.id).where(WardVersion.ward_id == ward.id)).first()
    return WardVersionRead(
        ward=ward.code,
        version=used.version,
        title=used.title,
        chosen=chosen is not None,
        city_version=published.version,
        choices=[q.version for q in _choices(db_session)],
    )


def get_setting(*, db_session: Session, clock: Clock) -> WardVersionRead:
    """The ward's version, whether it chose it, and what it may choose (anyone of the ward may
    know which form its citizens are shown)."""
    return _read(db_session, clock, _ward(db_session))


def may_choose(actor: Actor) -> bool:
    """The ward's administrator, or the city's (inside the ward it opened)."""
    return can(actor, Permission.USERS_MANAGE)


def set_setting(
    *, db_session: Session, actor: Actor, clock: Clock, data: WardVersionUpdate
) -> WardVersionRead:
    """Name the version the ward's survey uses from now on (``None``: follow the city's).

    Answers already given keep their version; the results page shows each version apart."""
    if not may_choose(actor):
        raise Forbidden(REFUSAL)
    ward = _ward(db_session)
    before = _read(db_session, clock, ward)
    wanted: Questionnaire | None = None
    if data.questionnaire:
        wanted = next((q for q in _choices(db_session) if q.version == data.questionnaire), None)
        if wanted is None:
            raise Invalid.one(
                "questionnaire",
                "version_unknown",
                f"Không có phiếu đã công bố phiên bản “{data.questionnaire}” (bản nháp phải được "
                "công bố trước khi phường, xã dùng).",
            )
    row = db_session.exec(select(WardVersion).where(WardVersion.ward_id == ward.id)).first()
    if wanted is None and row is not None:
        db_session.delete(row)
    elif wanted is not None:
        row = row or WardVersion(
            ward_id=ward.id, questionnaire_id=0, updated_at=clock.now(), updated_by=""
        )
        row.questionnaire_id = wanted.id or 0
        row.updated_at = clock.now()
        row.updated_by = actor.username
        db_session.add(row)
    try:
        db_session.flush()
    except IntegrityError as exc:  # another request chose at the same moment
        db_session.rollback()
        raise Conflict(
            "Phiên bản phiếu vừa được người khác đổi; hãy tải lại trang.", code="stale_version"
        ) from exc
    after = _read(db_session, clock, ward)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity=ENTITY,
        key=ward.code,
        before={"version": before.version, "chosen": before.chosen},
        after={"version": after.version, "chosen": after.chosen},
        clock=clock,
    )
    db_session.commit()
    return after
