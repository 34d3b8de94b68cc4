"""Proving who someone is: passwords with throttling, opening and ending browser sessions.

Checking a session or a token on each request is ``credentials`` (re-exported here:
``SessionPolicy``, ``WebIdentity``)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from app.accounts import passwords, throttle
from app.accounts.credentials import SessionPolicy, WebIdentity, build_actor
from app.accounts.models import LoginToken, User, UserSession
from app.accounts.service import store_token, token_digest
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Forbidden, TooManyRequests, Unauthorized
from app.permissions import Role
from app.units.models import Unit
from app.wards.models import Ward


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout_minutes: int = 15
    max_failures_per_address: int = 50

    def limits(self) -> throttle.Limits:
        return throttle.Limits(
            per_user=self.max_failures,
            per_address=self.max_failures_per_address,
            window=timedelta(minutes=self.lockout_minutes),
        )


def actor_for(*, db_session: Session, user: User, via: str, ip: str = "") -> Actor:
    unit = db_session.get(Unit, user.unit_id) if user.unit_id else None
    ward = db_session.get(Ward, user.ward_id) if user.ward_id else None
    return build_actor(
        user, unit.code if unit else None, ward.code if ward else None, via=via, ip=ip
    )


def _record_failure(*, db_session: Session, clock: Clock, username: str, ip: str, via: str) -> None:
    """The failure stays in the audit trail (committed although the request fails)."""
    audit.record(
        db_session=db_session,
        actor=Actor(username=username[:64] or "?", role="", via=via, ip=ip),
        action=AuditAction.LOGIN_FAILED,
        entity="user",
        key=username[:64],
        clock=clock,
    )
    db_session.commit()


def _throttled(policy: LoginPolicy, refusal: throttle.Refusal) -> TooManyRequests:
    minutes = max(1, -(-refusal.retry_after_seconds // 60))
    if refusal.by_address:
        message = (
            "Có quá nhiều lần đăng nhập sai từ địa chỉ mạng này. Vì an toàn, hãy thử lại sau "
            f"{minutes} phút hoặc liên hệ quản trị hệ thống."
        )
    else:
        message = (
            f"Đăng nhập sai quá {policy.max_failures} lần. Vì an toàn, hãy thử lại sau "
            f"{minutes} phút hoặc liên hệ quản trị hệ thống để đặt lại mật khẩu."
        )
    return TooManyRequests(message, retry_after_seconds=refusal.retry_after_seconds)


@dataclass(frozen=True)
class _Candidate:
    user_id: int | None
    password_hash: str | None


def _charge(
    *, db_session: Session, clock: Clock, policy: LoginPolicy, name: str, ip: str
) -> _Candidate:
    """The cheap part first: refuse a throttled name or address, then look the user up."""
    refusal = throttle.charge(
        db_session=db_session, limits=policy.limits(), username=name, ip=ip, now=clock.now()
    )
    if refusal is not None:
        raise _throttled(policy, refusal)
    user = db_session.exec(select(User).where(User.username == name)).first()
    found = (
        _Candidate(user.id, user.password_hash)
        if user is not None and user.active
        else _Candidate(None, None)
    )
    db_session.rollback()  # nothing to keep; no transaction held while hashing
    return found


def _address_guard(
    *, engine: Engine, clock: Clock, policy: LoginPolicy, ip: str
) -> Callable[[Callable[[], bool]], bool]:
    """Run on the hashing thread around the hash: the address is charged as the hash starts
    (refused when its limit is reached) and given its charge back at once when the password is
    right, so only wrong passwords stay counted and correct logins hold a charge only for the
    few milliseconds their hash runs."""

    def guard(check: Callable[[], bool]) -> bool:
        with Session(engine) as session, throttle.writes(session):
            refusal = throttle.reserve(
                db_session=session, limits=policy.limits(), ip=ip, now=clock.now()
            )
        if refusal is not None:
            raise _throttled(policy, refusal)
        ok = check()
        if ok:
            with Session(engine) as session, throttle.writes(session):
                throttle.release(db_session=session, ip=ip)
        return ok

    return guard


def _settle(
    *,
    db_session: Session,
    clock: Clock,
    policy: LoginPolicy,
    name: str,
    password: str,
    ok: bool,
    candidate: _Candidate,
    ip: str,
    via: str,
    allow_temporary: bool,
) -> User:
    user = db_session.get(User, candidate.user_id) if ok and candidate.user_id else None
    if user is None or not user.active:
        _record_failure(db_session=db_session, clock=clock, username=name, ip=ip, via=via)
        raise Unauthorized("Tên đăng nhập hoặc mật khẩu không đúng.", code="bad_credentials")
    throttle.succeeded(
        db_session=db_session, username=name, now=clock.now(), window=policy.limits().window
    )
    if user.must_change_password and not allow_temporary:
        db_session.commit()
        raise Forbidden(
            "Tài khoản đang dùng mật khẩu tạm: hãy đăng nhập trên trang web và đổi mật khẩu "
            "trước khi lấy mã truy cập.",
            code="password_change_required",
        )
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


def _give_back(*, db_session: Session, name: str) -> None:
    with throttle.writes(db_session):
        throttle.give_back(db_session=db_session, username=name)


async def verify_login(
    *,
    db_session: Session,
    clock: Clock,
    policy: LoginPolicy,
    username: str,
    password: str,
    ip: str,
    via: str,
    allow_temporary: bool = True,
) -> User:
    """The user whose password this is, audited; failures are counted and throttled.

    Database work runs on the server's worker threads, the argon2 check on the bounded hashing
    pool; while waiting for it the request holds no thread and no transaction. An unknown or
    inactive user is checked against a dummy hash in the same pool, so a wrong name takes as
    long as a wrong password.
    """
    name = username.strip().lower()
    candidate = await run_in_threadpool(
        lambda: _charge(db_session=db_session, clock=clock, policy=policy, name=name, ip=ip)
    )
    bind = db_session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    guard = _address_guard(engine=engine, clock=clock, policy=policy, ip=ip)
    try:
        ok = await passwords.verify_password_async(candidate.password_hash, password, guard=guard)
    except (passwords.HashingBusy, TooManyRequests):
        await run_in_threadpool(lambda: _give_back(db_session=db_session, name=name))
        raise

    def settle() -> User:
        with throttle.writes(db_session):
            user = _settle(
                db_session=db_session,
                clock=clock,
                policy=policy,
                name=name,
                password=password,
                ok=ok,
                candidate=candidate,
                ip=ip,
                via=via,
                allow_temporary=allow_temporary,
            )
            db_session.commit()
            return user

    return await run_in_threadpool(settle)


async def login_token(
    *,
    db_session: Session,
    clock: Clock,
    policy: LoginPolicy,
    username: str,
    password: str,
    expires_minutes: int,
    ip: str,
) -> LoginToken:
    """``POST /auth/token``: a short-lived bearer token for a script that logs in itself.

    Refused (403) while the account has a temporary password: a token would let it write
    without ever changing it.
    """
    user = await verify_login(
        db_session=db_session,
        clock=clock,
        policy=policy,
        username=username,
        password=password,
        ip=ip,
        via="api",
        allow_temporary=False,
    )

    def issue() -> LoginToken:
        with throttle.writes(db_session):
            return _issue_login_token(
                db_session=db_session, clock=clock, user=user, expires_minutes=expires_minutes
            )

    return await run_in_threadpool(issue)


def _issue_login_token(
    *, db_session: Session, clock: Clock, user: User, expires_minutes: int
) -> LoginToken:
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


# --- browser sessions ----------------------------------------------------------------------------


def start_session(
    *,
    db_session: Session,
    clock: Clock,
    policy: SessionPolicy,
    user: User,
    ip: str,
    user_agent: str,
) -> tuple[str, UserSession]:
    """Open a session after a successful login (committing the login's audit row with it).

    Its CSRF token is new and random: it dies with the session (logout, expiry), and a page that
    outlived its session fetches the new one from ``GET /session/csrf`` after the user logs in
    again elsewhere.
    """
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    row = UserSession(
        user_id=user.id or 0,
        token_hash=token_digest(raw),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=policy.absolute_hours),
        ip=ip[:64],
        user_agent=user_agent[:255],
    )
    db_session.add(row)
    db_session.commit()
    return raw, row


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


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
