"""Which ward and plan a request works in, decided once when its actor is known.

A ward's own accounts always work in their ward (asking for another is refused, not ignored: an
integrator's script pointed at the wrong ward must fail loudly). City accounts choose a ward with
``?ward=`` or the ward they opened last (a cookie); without one they stay in the city scope,
where only the city pages answer. The plan is ``?plan=``, else the one chosen last (a cookie),
else the ward's current plan (``app.plans.service.get_plan``).
"""

from __future__ import annotations

from datetime import date

from fastapi import Request
from sqlmodel import Session, select

from app import tenancy
from app.actors import Actor
from app.errors import Forbidden, NotFound
from app.permissions import CITY_ROLES
from app.wards.models import Ward

WARD_COOKIE = "partrack_ward"
PLAN_COOKIE = "partrack_plan"


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if value and "\x00" not in value and len(value) <= 64 else None


def ward_by_code(db_session: Session, code: str) -> Ward:
    ward = db_session.exec(select(Ward).where(Ward.code == code)).first()
    if ward is None:
        raise NotFound(f"Không có phường, xã mã “{code}”.", code="ward_not_found")
    return ward


def enter_request(request: Request, db_session: Session, actor: Actor, today: date) -> Actor:
    """Put the request's database session inside the actor's ward; the actor, with its ward."""
    asked = _clean(request.query_params.get("ward"))
    if actor.role in CITY_ROLES:
        code = asked or _clean(request.cookies.get(WARD_COOKIE))
        ward = None
        if code is not None:
            try:
                ward = ward_by_code(db_session, code)
            except NotFound:
                if asked is not None:
                    raise
        if ward is not None:
            actor = actor.inside(ward.id, ward.code)
    elif actor.ward_id is None:
        raise Forbidden(
            "Tài khoản chưa được gán phường, xã: hãy nhờ quản trị gán trước khi dùng.",
            code="no_ward",
        )
    elif asked is not None and asked != actor.ward_code:
        raise Forbidden(
            f"Tài khoản của bạn thuộc phường, xã “{actor.ward_code or '?'}”, "
            f"không xem hay sửa được số liệu của “{asked}”.",
            code="other_ward",
        )
    tenancy.enter(
        db_session,
        tenancy.Scope(
            ward_id=actor.ward_id if actor.ward_id is not None else tenancy.NO_WARD,
            user_id=actor.user_id,
            plan_code=_clean(request.query_params.get("plan")),
            remembered_plan=_clean(request.cookies.get(PLAN_COOKIE)),
            today=today,
        ),
    )
    return actor
