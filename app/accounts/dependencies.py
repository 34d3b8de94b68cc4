"""Resolving the actor of a request: a bearer token (scripts) or a browser session (pages).

Attached once at router level (``require_actor``, ``require_web_user``) so that no route is open by
accident; handlers that need the actor declare ``CurrentActor`` and get the same, cached value.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.accounts import auth, credentials, passwords
from app.accounts.auth import LoginPolicy
from app.accounts.credential_cache import CredentialCache
from app.accounts.credentials import SessionPolicy, WebIdentity
from app.accounts.request_state import keep_identity
from app.actors import Actor
from app.clock import Clock, ClockDep
from app.config import Settings
from app.db import SessionDep
from app.errors import AppError, Forbidden, Unauthorized
from app.permissions import CITY_ROLES
from app.wards.scope import enter_request

SESSION_COOKIE = "partrack_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
REFUSAL_HEADER = "X-Partrack-Refusal"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: What a user with a temporary password may still reach.
_PASSWORD_PATHS = {"/account/password", "/logout"}


class LoginRequired(AppError):
    """A page needs a session; the handler sends the browser to the login page and back."""

    def __init__(self, next_url: str, *, expired: bool) -> None:
        super().__init__(
            message="Phiên đăng nhập đã hết hạn, hãy đăng nhập lại."
            if expired
            else "Hãy đăng nhập để tiếp tục.",
            code="login_required",
            status_code=401,
        )
        self.next_url = next_url
        self.expired = expired


class PasswordChangeRequired(AppError):
    def __init__(self) -> None:
        super().__init__(
            message="Bạn cần đổi mật khẩu tạm trước khi tiếp tục.",
            code="password_change_required",
            status_code=403,
        )


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def login_policy(settings: Settings) -> LoginPolicy:
    return LoginPolicy(
        max_failures=settings.login_max_failures,
        lockout_minutes=settings.login_lockout_minutes,
        max_failures_per_address=settings.login_max_failures_per_address,
    )


def configure_hashing(settings: Settings) -> None:
    """Size the process-wide hashing pool from the settings (a no-op when they did not change)."""
    workers = settings.password_hash_workers or passwords.default_workers(
        settings.password_hash_memory_mib, settings.password_hash_profile, settings.workers
    )
    passwords.configure(
        workers=workers,
        queue_limit=settings.password_hash_queue,
        wait_seconds=settings.password_hash_wait_seconds,
    )


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        idle_minutes=settings.session_idle_minutes,
        absolute_hours=settings.session_absolute_hours,
    )


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.signing_key(), salt="partrack-session")


def _trusted(address: str, proxies: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in proxies:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: Request) -> str:
    """The client's address for throttling and the audit trail.

    ``X-Forwarded-For`` is believed only when the connection comes from a proxy named in
    ``PARTRACK_TRUSTED_PROXIES``; then the last address in it that is not itself a trusted proxy
    is the client. Anyone else could write any address there and escape every per-address limit.
    """
    peer = request.client.host if request.client else ""
    proxies = settings_of(request).trusted_proxies
    if not proxies or not _trusted(peer, proxies):
        return peer[:64]
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop[:64]
    return (hops[0] if hops else peer)[:64]


def secure_cookies(request: Request) -> bool:
    """``PARTRACK_COOKIE_SECURE``, or else whether the request came over https (behind a trusted
    proxy, as its ``X-Forwarded-Proto`` says)."""
    secure = settings_of(request).cookie_secure
    return request.url.scheme == "https" if secure is None else secure


def set_session_cookie(request: Request, response: Response, raw: str) -> None:
    settings = settings_of(request)
    secure = secure_cookies(request)
    response.set_cookie(
        SESSION_COOKIE,
        _serializer(settings).dumps(raw),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def credential_cache(request: Request) -> CredentialCache:
    """The app's cache of verified credentials (one per app, made on first use)."""
    state = request.app.state
    cache = getattr(state, "credentials", None)
    if cache is None:
        cache = state.credentials = CredentialCache()
    return cache


def _session_serializer(request: Request) -> URLSafeTimedSerializer:
    """Made once per app: the key may come from a file (``Settings.signing_key``)."""
    state = request.app.state
    serializer = getattr(state, "session_serializer", None)
    if serializer is None:
        serializer = state.session_serializer = _serializer(settings_of(request))
    return serializer


def _cookie_session(request: Request) -> tuple[str | None, bool]:
    """The session token the cookie carries, and whether a cookie was sent at all."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None, False
    settings = settings_of(request)
    try:
        raw = _session_serializer(request).loads(
            cookie, max_age=settings.session_absolute_hours * 3600
        )
    except BadSignature:
        return None, True
    return str(raw), True


def _lookup_session(
    request: Request, db_session: SessionDep, clock: Clock, raw: str
) -> Callable[[], credentials.Verified | None]:
    """The database lookup of a session the cache did not answer (run on a worker thread)."""
    cache = credential_cache(request)
    policy = session_policy(settings_of(request))
    ip = client_ip(request)
    return lambda: credentials.authenticate_session(
        db_session=db_session, clock=clock, policy=policy, raw=raw, ip=ip, cache=cache
    )


def _cached_session(request: Request, clock: Clock, raw: str) -> credentials.Verified | None:
    return credentials.cached_session(
        cache=credential_cache(request),
        clock=clock,
        policy=session_policy(settings_of(request)),
        raw=raw,
        ip=client_ip(request),
    )


async def _session_from_cookie(
    request: Request, db_session: SessionDep, clock: Clock
) -> tuple[credentials.Verified | None, bool]:
    """The session behind the cookie, and whether a cookie was sent at all.

    A session verified in the last seconds is answered from the process's cache on the event
    loop; only a miss takes a worker thread and the database (``credential_cache``).
    """
    raw, sent = _cookie_session(request)
    if raw is None:
        return None, sent
    found = _cached_session(request, clock, raw)
    if found is None:
        found = await run_in_threadpool(_lookup_session(request, db_session, clock, raw))
    return found, True


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token a state-changing request carries: htmx's header, or a plain form's field
    (read under the upload limits: a slow or oversized body gets 408 or 413, not a worker)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if request.method in _UNSAFE and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        from app.uploads.limits import read_form  # the upload limits (issue 17)

        value = (await read_form(request)).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


CsrfDep = Annotated[str | None, Depends(submitted_csrf)]


def _check_csrf(request: Request, identity: WebIdentity, given: str | None) -> None:
    if request.method in _UNSAFE and not auth.csrf_matches(identity.csrf_token, given):
        refusal = Forbidden(
            "Yêu cầu bị từ chối vì thiếu mã bảo vệ (CSRF). Hãy tải lại trang rồi thử lại.",
            code="csrf_failed",
        )
        # Lets the page's script (static/session.js) keep the row, fetch the current session's
        # token and send the save again, instead of swapping this refusal over what was typed.
        refusal.headers[REFUSAL_HEADER] = "csrf_failed"
        raise refusal


_bearer_scheme = HTTPBearer(
    auto_error=False,
    description="A personal access token (`partrack token create`, `POST /api/v1/tokens`) "
    "or a short-lived one from `POST /api/v1/auth/token`.",
)


async def require_actor(
    request: Request,
    db_session: SessionDep,
    clock: ClockDep,
    csrf: CsrfDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> Actor:
    """API: a bearer token, or the browser session (then with its CSRF token on writes).

    Async so that a credential kept in the process's cache costs no worker thread; the
    database lookup of a miss runs on one.
    """
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthorized("Tiêu đề Authorization phải có dạng “Bearer <mã>”.", "bad_scheme")
        token, ip, cache = raw.strip(), client_ip(request), credential_cache(request)
        found = credentials.cached_token(cache=cache, clock=clock, raw=token, ip=ip)
        if found is None:
            found = await run_in_threadpool(
                lambda: credentials.authenticate_token(
                    db_session=db_session, clock=clock, raw=token, ip=ip, cache=cache
                )
            )
        request.state.profile = found.profile
        return await _inside_the_ward(request, db_session, found.actor, clock)
    verified, sent = await _session_from_cookie(request, db_session, clock)
    if verified is None or verified.identity is None:
        raise Unauthorized(
            "Phiên đăng nhập đã hết hạn." if sent else Unauthorized().message,
            code="session_expired" if sent else "unauthenticated",
        )
    _check_csrf(request, verified.identity, csrf)
    request.state.profile = verified.profile
    return await _inside_the_ward(request, db_session, verified.actor, clock)


async def _inside_the_ward(
    request: Request, db_session: Session, actor: Actor, clock: Clock
) -> Actor:
    """The request's session inside the actor's ward (``app.wards.scope``). A ward's account
    needs no query for it; a city account opening a ward reads the ward, off the event loop."""
    if actor.role in CITY_ROLES:
        return await run_in_threadpool(enter_request, request, db_session, actor, clock.today())
    return enter_request(request, db_session, actor, clock.today())


CurrentActor = Annotated[Actor, Depends(require_actor)]


def _next_url(request: Request) -> str:
    target = request.headers.get("HX-Current-URL") if request.method != "GET" else None
    if target:
        from urllib.parse import urlsplit

        parts = urlsplit(target)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def optional_web_identity(
    request: Request, db_session: SessionDep, clock: ClockDep
) -> WebIdentity | None:
    """For a handler (on its worker thread) that serves visitors with and without a session."""
    raw, _ = _cookie_session(request)
    if raw is None:
        return None
    found = (
        _cached_session(request, clock, raw) or _lookup_session(request, db_session, clock, raw)()
    )
    return found.identity if found is not None else None


async def require_web_identity(
    request: Request, db_session: SessionDep, clock: ClockDep, csrf: CsrfDep
) -> WebIdentity:
    """Pages: a live session (else the login page), CSRF on writes, a temporary password changed."""
    verified, sent = await _session_from_cookie(request, db_session, clock)
    identity = verified.identity if verified is not None else None
    if identity is None:
        raise LoginRequired(_next_url(request), expired=sent)
    _check_csrf(request, identity, csrf)
    if identity.must_change_password and request.url.path not in _PASSWORD_PATHS:
        raise PasswordChangeRequired()
    actor = await _inside_the_ward(request, db_session, identity.actor, clock)
    identity = replace(identity, actor=actor)
    keep_identity(request, identity)
    return identity


WebUser = Annotated[WebIdentity, Depends(require_web_identity)]


def login_url(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="/")
