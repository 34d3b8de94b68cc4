"""Wards: listing, creating, and deciding which ward a new account or a CLI command works in."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app import tenancy
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Invalid, NotFound
from app.permissions import CITY_ROLES, Permission, authorize
from app.wards.models import Ward, WardCreate, WardRead
from app.wards.scope import ward_by_code


def to_read(ward: Ward) -> WardRead:
    return WardRead(code=ward.code, name=ward.name, city=ward.city, active=ward.active)


def list_wards(*, db_session: Session, actor: Actor) -> list[Ward]:
    """Every ward for the city's accounts; a ward's own accounts see their ward only."""
    query = select(Ward).order_by(col(Ward.name))
    if actor.role not in CITY_ROLES and actor.ward_id is not None:
        query = query.where(Ward.id == actor.ward_id)
    return list(db_session.exec(query))


def create_ward(*, db_session: Session, actor: Actor, clock: Clock, data: WardCreate) -> WardRead:
    authorize(actor, Permission.WARDS_MANAGE)
    if db_session.exec(select(Ward.id).where(Ward.code == data.code)).first() is not None:
        raise Conflict(
            f"Đã có phường, xã mã “{data.code}”.",
            code="ward_exists",
            errors=[FieldError("code", "duplicate", "Mã này đã được dùng.")],
        )
    now = clock.now()
    ward = Ward(code=data.code, name=data.name, city=data.city, created_at=now, updated_at=now)
    db_session.add(ward)
    db_session.flush()
    after = to_read(ward)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="ward",
        key=ward.code,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def sole_ward(*, db_session: Session) -> Ward:
    """The CLI's ward when none is named: the only one there is (a single-ward installation)."""
    wards = db_session.exec(select(Ward).limit(2)).all()
    if len(wards) == 1:
        return wards[0]
    if not wards:
        raise NotFound("Chưa có phường, xã nào: hãy chạy `partrack seed` trước.", code="no_ward")
    raise Invalid.one("ward", "ward_required", "Có nhiều phường, xã: hãy ghi rõ mã (--ward).")


def ward_for(*, db_session: Session, code: str | None) -> Ward:
    """The named ward, or the only one there is."""
    return ward_by_code(db_session, code) if code else sole_ward(db_session=db_session)


def ward_of_new_user(
    *, db_session: Session, actor: Actor, role: str, unit_ward_id: int | None, asked: str | None
) -> int | None:
    """A new account's ward: the unit's; else the one named; else the creator's.

    Only the city's administrators create city accounts or accounts in a ward not their own.
    """
    if role in CITY_ROLES:
        authorize(actor, Permission.WARDS_MANAGE)
        if asked is not None or unit_ward_id is not None:
            raise Invalid.one(
                "ward", "city_role", "Tài khoản cấp Thành phố không thuộc phường, xã."
            )
        return None
    ward_id = ward_by_code(db_session, asked).id if asked else None
    own = actor.ward_id if actor.ward_id is not None else tenancy.ward_of(db_session)
    if ward_id is not None and own is not None and ward_id != own:
        authorize(actor, Permission.WARDS_MANAGE)
    chosen = ward_id or unit_ward_id or own
    if chosen is None:
        chosen = sole_ward(db_session=db_session).id
    if unit_ward_id is not None and chosen != unit_ward_id:
        raise Invalid.one("unit", "other_ward", "Đơn vị này thuộc một phường, xã khác.")
    return chosen
