"""Kiosks: tablets at the service centre's counters, enrolled by an officer, revocable.

A kiosk is known by a random code in a signed cookie; its answers are limited per kiosk instead of
per address (the counter shares the ward's address with everyone), and the answer never records
which kiosk it came from.
"""

from __future__ import annotations

import secrets

from itsdangerous import URLSafeSerializer
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Forbidden, Invalid, NotFound
from app.sipas import codes
from app.sipas.models import Kiosk
from app.units import service as unit_service


def kiosk_serializer(signing_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(signing_key, salt="partrack-sipas-kiosk")


def active_kiosk(*, db_session: Session, code: str) -> Kiosk | None:
    """The active kiosk a cookie or a form names by its ``key`` (``ward.code``).

    A bare code (a cookie set before codes were unique per ward only) is still honoured while
    exactly one kiosk holds it; two wards' kiosks sharing it are never guessed between."""
    if not code:
        return None
    ward, dot, bare = code.rpartition(".")
    query = select(Kiosk).where(col(Kiosk.active))
    if dot:
        if not ward.isdigit():
            return None
        query = query.where(Kiosk.ward_id == int(ward), Kiosk.code == bare)
    else:
        query = query.where(Kiosk.code == code)
    found = db_session.exec(query.limit(2)).all()
    return found[0] if len(found) == 1 else None


def list_kiosks(*, db_session: Session, actor: Actor, centre: str) -> list[Kiosk]:
    """The enrolled kiosks, for those who may enrol them (the list names the centre's screens)."""
    _authorize_kiosks(actor, centre)
    return list(db_session.exec(select(Kiosk).order_by(col(Kiosk.id))).all())


def _authorize_kiosks(actor: Actor, centre: str) -> None:
    if not codes.may_issue(actor, centre):
        raise Forbidden(
            "Chỉ cán bộ Trung tâm Phục vụ hành chính công hoặc quản trị hệ thống được đăng ký "
            "máy khảo sát.",
            code="forbidden",
        )


def enrol_kiosk(
    *, db_session: Session, actor: Actor, clock: Clock, name: str, centre: str
) -> Kiosk:
    """Register this device as a kiosk of the service centre; the page sets its cookie."""
    _authorize_kiosks(actor, centre)
    name = name.strip()
    if not name:
        raise Invalid.one("name", "required", "Hãy đặt tên cho máy, ví dụ “Quầy số 1”.")
    if len(name) > 128:
        raise Invalid.one("name", "too_long", "Tên máy tối đa 128 ký tự.")
    unit = unit_service.get_by_code(db_session=db_session, code=centre)
    assert unit.id is not None
    row = Kiosk(
        ward_id=unit.ward_id,
        code=secrets.token_urlsafe(12),
        name=name,
        unit_id=unit.id,
        created_at=clock.now(),
        created_by=actor.username,
    )
    db_session.add(row)
    db_session.flush()
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="sipas_kiosk",
        key=row.name,
        after={"name": row.name, "unit": unit.code, "active": True},
        clock=clock,
    )
    db_session.commit()
    return row


def revoke_kiosk(
    *, db_session: Session, actor: Actor, clock: Clock, kiosk_id: int, centre: str
) -> Kiosk:
    _authorize_kiosks(actor, centre)
    row = db_session.get(Kiosk, kiosk_id)
    if row is None:
        raise NotFound("Không có máy khảo sát này.", code="kiosk_not_found")
    if row.active:
        row.active = False
        db_session.add(row)
        audit.record(
            db_session=db_session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity="sipas_kiosk",
            key=row.name,
            before={"active": True},
            after={"active": False},
            clock=clock,
        )
        db_session.commit()
    return row
