"""Checking a bearer token or a browser session on every request, and the actor it names.

One query reads the credential with its user and the user's unit (``_with_user``) and one
function builds the actor from them (``build_actor``): login, tokens and sessions all go
through it. A credential verified a moment ago is answered from the process's cache
(``credential_cache``: what stays exact, and the few seconds another worker's change may take).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.accounts.credential_cache import CredentialCache
from app.accounts.models import ApiToken, User, UserRead, UserSession
from app.accounts.service import token_digest
from app.actors import Actor
from app.clock import Clock
from app.errors import Forbidden, Unauthorized
from app.permissions import Role
from app.units.models import Unit
from app.wards.models import Ward

#: Writes of "last used" and "last seen" are skipped when the previous one is this recent.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    idle_minutes: int = 60
    absolute_hours: int = 12


def _with_user(model: type[ApiToken] | type[UserSession], digest: str) -> Any:
    """The credential row with its user and the user's unit (code, short and full name) in one
    round trip (three separate lookups were most of what an authenticated request cost, issue
    #20; the names are for the pages' top bar, which read the unit table for them)."""
    return (
        sa_select(model, User, col(Unit.code), col(Unit.short_name), col(Unit.name), col(Ward.code))
        .outerjoin(User, col(User.id) == model.user_id)
        .outerjoin(Unit, col(Unit.id) == User.unit_id)
        .outerjoin(Ward, col(Ward.id) == User.ward_id)
        .where(col(model.token_hash) == digest)
    )


def build_actor(
    user: User, unit_code: str | None, ward_code: str | None, *, via: str, ip: str
) -> Actor:
    """The one place an actor is made from a user's row: a password login, a token and a
    session all name the same actor (and a cached one is this same value), in the user's ward
    (``app.wards.scope`` puts a city account in the ward it opens)."""
    return Actor(
        username=user.username,
        role=user.role,
        unit_code=unit_code if user.unit_id else None,
        unit_id=user.unit_id,
        via=via,
        user_id=user.id,
        ip=ip,
        ward_id=user.ward_id,
        ward_code=ward_code if user.ward_id else None,
    )


@dataclass(frozen=True)
class Verified:
    """What a kept credential answers: its actor, the user as ``GET /auth/me`` shows them, and
    for a browser session the identity its pages use."""

    actor: Actor
    profile: UserRead
    identity: WebIdentity | None = None


def profile(user: User, unit_code: str | None, ward_code: str | None) -> UserRead:
    """The user as ``GET /auth/me`` shows them, from the row the credential's lookup read."""
    return UserRead(
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        role=Role(user.role),
        ward=ward_code if user.ward_id else None,
        unit=unit_code if user.unit_id else None,
        active=user.active,
        must_change_password=user.must_change_password,
        last_login_at=user.last_login_at,
        version=user.version,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


def _keep(
    cache: CredentialCache | None,
    digest: str,
    generation: int,
    row: ApiToken | UserSession,
    touched_at: datetime | None,
    verified: Verified,
) -> None:
    """Keep a credential that passed every check, unless a write of ours moved the generation
    on while it was read (then it is kept next time)."""
    if cache is not None:
        cache.put(
            digest,
            generation=generation,
            user_id=row.user_id,
            expires_at=row.expires_at,
            touched_at=touched_at,
            value=verified,
        )


def cached_token(*, cache: CredentialCache, clock: Clock, raw: str, ip: str) -> Verified | None:
    """A token verified in the last few seconds, without the database; ``None`` sends the
    request to ``authenticate_token`` (see ``credential_cache`` for what stays exact)."""
    entry = cache.get(token_digest(raw))
    if entry is None or not entry.usable(clock.now(), _TOUCH_EVERY):
        return None
    verified: Verified = entry.value
    return (
        verified
        if verified.actor.ip == ip
        else replace(verified, actor=replace(verified.actor, ip=ip))
    )


def authenticate_token(
    *, db_session: Session, clock: Clock, raw: str, ip: str, cache: CredentialCache | None = None
) -> Verified:
    """The actor behind a bearer token, or 401 saying whether it is unknown, expired or revoked."""
    generation = cache.generation if cache is not None else 0
    digest = token_digest(raw)
    found = db_session.exec(_with_user(ApiToken, digest)).first()
    if found is None:
        raise Unauthorized("Mã truy cập không hợp lệ.", code="invalid_token")
    row, user, unit_code, _, _, ward_code = found
    now = clock.now()
    if row.revoked_at is not None:
        raise Unauthorized("Mã truy cập đã bị thu hồi.", code="token_revoked")
    if row.expires_at <= now:
        raise Unauthorized("Mã truy cập đã hết hạn.", code="token_expired")
    if user is None or not user.active:
        raise Unauthorized("Tài khoản của mã truy cập này đã bị khóa.", code="user_inactive")
    if row.kind == "login" and user.must_change_password:
        raise Forbidden(
            "Tài khoản đang dùng mật khẩu tạm: hãy đổi mật khẩu rồi đăng nhập lại.",
            code="password_change_required",
        )
    if row.last_used_at is None or now - row.last_used_at >= _TOUCH_EVERY:
        row.last_used_at = now
        db_session.add(row)
        db_session.commit()
    verified = Verified(
        build_actor(user, unit_code, ward_code, via="api", ip=ip),
        profile(user, unit_code, ward_code),
    )
    _keep(cache, digest, generation, row, row.last_used_at, verified)
    return verified


@dataclass(frozen=True)
class WebIdentity:
    """Plain values copied out of the rows, so they stay readable after any rollback."""

    actor: Actor
    full_name: str
    must_change_password: bool
    session_id: int
    csrf_token: str
    #: The unit's short and full name, for the pages' top bar (``names.attach_names``).
    unit_names: tuple[str, str] | None = None


def cached_session(
    *, cache: CredentialCache, clock: Clock, policy: SessionPolicy, raw: str, ip: str
) -> Verified | None:
    """A session verified in the last few seconds, without the database; ``None`` sends the
    request to ``authenticate_session``."""
    entry = cache.get(token_digest(raw))
    idle = timedelta(minutes=policy.idle_minutes)
    if entry is None or not entry.usable(clock.now(), _TOUCH_EVERY, idle):
        return None
    verified: Verified = entry.value
    if verified.actor.ip == ip:
        return verified
    return replace(
        verified, identity=_with_ip(verified.identity, ip), actor=replace(verified.actor, ip=ip)
    )


def _with_ip(identity: WebIdentity | None, ip: str) -> WebIdentity | None:
    return None if identity is None else replace(identity, actor=replace(identity.actor, ip=ip))


def authenticate_session(
    *,
    db_session: Session,
    clock: Clock,
    policy: SessionPolicy,
    raw: str,
    ip: str,
    cache: CredentialCache | None = None,
) -> Verified | None:
    """The session's user, or ``None`` when it is unknown, revoked, idle too long or too old."""
    generation = cache.generation if cache is not None else 0
    digest = token_digest(raw)
    found = db_session.exec(_with_user(UserSession, digest)).first()
    if found is None:
        return None
    row, user, unit_code, unit_short, unit_name, ward_code = found
    now = clock.now()
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > timedelta(minutes=policy.idle_minutes):
        return None
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        db_session.add(row)
        db_session.commit()
    actor = build_actor(user, unit_code, ward_code, via="web", ip=ip)
    identity = WebIdentity(
        actor=actor,
        full_name=user.full_name,
        must_change_password=user.must_change_password,
        session_id=row.id or 0,
        csrf_token=row.csrf_token,
        unit_names=(unit_short or unit_name, unit_name) if unit_code and unit_name else None,
    )
    verified = Verified(actor, profile(user, unit_code, ward_code), identity)
    _keep(cache, digest, generation, row, row.last_seen_at, verified)
    return verified
