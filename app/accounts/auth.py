"""Proving who someone is: passwords with throttling, browser sessions and bearer tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from app.accounts import passwords
from app.accounts.models import ApiToken, LoginToken, User, UserSession
from app.accounts.permissions import Role
from app.accounts.service import store_token, token_digest
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import TooManyRequests, Unauthorized
from app.units.models import Unit

#: Writes of "last used" and "last seen" are skipped when the previous one is this recent.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout_minutes: int = 15


@dataclass(frozen=True)
class SessionPolicy:
    idle_minutes: int = 60
    absolute_hours: int = 12


def actor_for(*, db_session: Session, user: User, via: str, ip: str = "") -> Actor:
    unit = db_session.get(Unit, user.unit_id) if user.unit_id else None
    return Actor(
        username=user.username,
        role=user.role,
        unit_code=unit.code if unit else None,
        unit_id=user.unit_id,
        via=via,
        user_id=user.id,
        ip=ip,
    )


def _refuse(*, db_session: Session, clock: Clock, username: str, ip: str, via: str) -> None:
    """Record the failure (it is committed even though the request fails) and answer 401."""
    audit.record(
        db_session=db_session,
        actor=Actor(username=username[:64] or "?", role="", via=via, ip=ip),
        action=AuditAction.LOGIN_FAILED,
        entity="user",
        key=username[:64],
        clock=clock,
    )
    db_session.commit()
    raise Unauthorized("Tên đăng nhập hoặc mật khẩu không đúng.", code="bad_credentials")


def check_throttle(
    *, db_session: Session, clock: Clock, policy: LoginPolicy, username: str, ip: str
) -> None:
    """Too many recent failures for this name or from this address: 429 for a while."""
    since = clock.now() - timedelta(minutes=policy.lockout_minutes)
    by_name = audit.count_recent(
        db_session=db_session, action=AuditAction.LOGIN_FAILED, since=since, key=username
    )
    by_ip = (
        audit.count_recent(
            db_session=db_session, action=AuditAction.LOGIN_FAILED, since=since, ip=ip
        )
        if ip
        else 0
    )
    if max(by_name, by_ip) >= policy.max_failures:
        raise TooManyRequests(
            f"Đăng nhập sai quá {policy.max_failures} lần. Vì an toàn, hãy thử lại sau "
            f"{policy.lockout_minutes} phút hoặc liên hệ quản trị hệ thống để đặt lại mật khẩu.",
            retry_after_seconds=policy.lockout_minutes * 60,
        )


def verify_login(
    *,
    db_session: Session,
    clock: Clock,
    policy: LoginPolicy,
    username: str,
    password: str,
    ip: str,
    via: str,
) -> User:
    """The user whose password this is, audited; failures are counted and throttled."""
    name = username.strip().lower()
    check_throttle(db_session=db_session, clock=clock, policy=policy, username=name, ip=ip)
    user = db_session.exec(select(User).where(User.username == name)).first()
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        _refuse(db_session=db_session, clock=clock, username=name, ip=ip, via=via)
    assert user is not None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = clock.now()
    db_session.add(user)
    audit.record(
        db_session=db_session,
        actor=actor_for(db_session=db_session, user=user, via=via, ip=ip),
        action=AuditAction.LOGIN,
        entity="user",
        key=user.username,
        clock=clock,
    )
    return user


def login_token(
    *,
    db_session: Session,
    clock: Clock,
    policy: LoginPolicy,
    username: str,
    password: str,
    expires_minutes: int,
    ip: str,
) -> LoginToken:
    """``POST /auth/token``: a short-lived bearer token for a script that logs in itself."""
    user = verify_login(
        db_session=db_session,
        clock=clock,
        policy=policy,
        username=username,
        password=password,
        ip=ip,
        via="api",
    )
    row, raw = store_token(
        db_session=db_session,
        user=user,
        clock=clock,
        name="Đăng nhập bằng mật khẩu",
        kind="login",
        lifetime=timedelta(minutes=expires_minutes),
        created_by=user.username,
    )
    actor = actor_for(db_session=db_session, user=user, via="api")
    db_session.commit()
    return LoginToken(
        access_token=raw,
        expires_at=row.expires_at,
        username=user.username,
        role=Role(user.role),
        unit=actor.unit_code,
    )


def authenticate_token(*, db_session: Session, clock: Clock, raw: str, ip: str) -> Actor:
    """The actor behind a bearer token, or 401 saying whether it is unknown, expired or revoked."""
    row = db_session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(raw))).first()
    if row is None:
        raise Unauthorized("Mã truy cập không hợp lệ.", code="invalid_token")
    now = clock.now()
    if row.revoked_at is not None:
        raise Unauthorized("Mã truy cập đã bị thu hồi.", code="token_revoked")
    if row.expires_at <= now:
        raise Unauthorized("Mã truy cập đã hết hạn.", code="token_expired")
    user = db_session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthorized("Tài khoản của mã truy cập này đã bị khóa.", code="user_inactive")
    if row.last_used_at is None or now - row.last_used_at >= _TOUCH_EVERY:
        row.last_used_at = now
        db_session.add(row)
        db_session.commit()
    return actor_for(db_session=db_session, user=user, via="api", ip=ip)


# --- browser sessions ----------------------------------------------------------------------------


def start_session(
    *,
    db_session: Session,
    clock: Clock,
    policy: SessionPolicy,
    user: User,
    ip: str,
    user_agent: str,
    signing_key: str,
) -> tuple[str, UserSession]:
    """Open a session after a successful login (committing the login's audit row with it)."""
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    row = UserSession(
        user_id=user.id or 0,
        token_hash=token_digest(raw),
        csrf_token=csrf_token_for(user, signing_key),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=policy.absolute_hours),
        ip=ip[:64],
        user_agent=user_agent[:255],
    )
    db_session.add(row)
    db_session.commit()
    return raw, row


@dataclass(frozen=True)
class WebIdentity:
    """Plain values copied out of the rows, so they stay readable after any rollback."""

    actor: Actor
    full_name: str
    must_change_password: bool
    session_id: int
    csrf_token: str


def authenticate_session(
    *, db_session: Session, clock: Clock, policy: SessionPolicy, raw: str, ip: str
) -> WebIdentity | None:
    """The session's user, or ``None`` when it is unknown, revoked, idle too long or too old."""
    row = db_session.exec(
        select(UserSession).where(UserSession.token_hash == token_digest(raw))
    ).first()
    now = clock.now()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > timedelta(minutes=policy.idle_minutes):
        return None
    user = db_session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        db_session.add(row)
        db_session.commit()
    return WebIdentity(
        actor=actor_for(db_session=db_session, user=user, via="web", ip=ip),
        full_name=user.full_name,
        must_change_password=user.must_change_password,
        session_id=row.id or 0,
        csrf_token=row.csrf_token,
    )


def end_session(*, db_session: Session, clock: Clock, identity: WebIdentity) -> None:
    row = db_session.get(UserSession, identity.session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()
        db_session.add(row)
    audit.record(
        db_session=db_session,
        actor=identity.actor,
        action=AuditAction.LOGOUT,
        entity="user",
        key=identity.actor.username,
        clock=clock,
    )
    db_session.commit()


def csrf_token_for(user: User, signing_key: str) -> str:
    """The same for each of a user's sessions until the password changes.

    So a page opened before the session expired can still save after its user logs in again in
    another tab, without ever having shown the new session's secret to the page.
    """
    changed = user.password_changed_at.isoformat() if user.password_changed_at else ""
    message = f"csrf:{user.id}:{changed}".encode()
    return hmac.new(signing_key.encode(), message, hashlib.sha256).hexdigest()


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
