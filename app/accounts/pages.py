"""Login, logout and "change my password" pages."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.accounts import auth, service, throttle
from app.accounts.dependencies import (
    WebUser,
    clear_session_cookie,
    client_ip,
    configure_hashing,
    login_policy,
    optional_web_identity,
    secure_cookies,
    session_policy,
    set_session_cookie,
    settings_of,
)
from app.accounts.models import PasswordChange
from app.clock import ClockDep
from app.db import SessionDep
from app.errors import AppError, Invalid, translate_validation_errors
from app.routes import Routes
from app.templating import render

public_router = Routes(include_in_schema=False)
router = Routes(include_in_schema=False)

#: Before a session exists, a login form is protected by a double-submit cookie.
LOGIN_CSRF_COOKIE = "partrack_login_csrf"


def safe_next(value: str | None) -> str:
    """Only a path on this site: a ``next`` pointing elsewhere would make us an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _login_page(
    request: Request,
    *,
    next_url: str,
    username: str = "",
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "accounts/login.html",
        {
            "title": "Đăng nhập",
            "next_url": next_url,
            "username": username,
            "error": error,
            "notice": notice,
            "login_csrf": token,
        },
        block="login_form",
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=secure_cookies(request),
    )
    return response


@public_router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    db_session: SessionDep,
    clock: ClockDep,
    next: str | None = None,
    expired: bool = False,
) -> Response:
    if optional_web_identity(request, db_session, clock) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    notice = "Phiên đăng nhập đã hết hạn, hãy đăng nhập lại." if expired else None
    return _login_page(request, next_url=safe_next(next), notice=notice)


@public_router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    db_session: SessionDep,
    clock: ClockDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    next_url = safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not auth.csrf_matches(expected, csrf_token):
        return _login_page(
            request,
            next_url=next_url,
            username=username,
            error="Trang đăng nhập đã cũ; hãy nhập lại và bấm Đăng nhập.",
            status_code=403,
        )
    if not username.strip() or not password:
        return _login_page(
            request,
            next_url=next_url,
            username=username,
            error="Hãy nhập tên đăng nhập và mật khẩu.",
            status_code=422,
        )
    settings = settings_of(request)
    configure_hashing(settings)
    ip = client_ip(request)
    try:
        user = await auth.verify_login(
            db_session=db_session,
            clock=clock,
            policy=login_policy(settings),
            username=username,
            password=password,
            ip=ip,
            via="web",
        )
    except AppError as exc:
        refused = _login_page(
            request,
            next_url=next_url,
            username=username,
            error=exc.message,
            status_code=exc.status_code,
        )
        if "Retry-After" in exc.headers:  # 429 and 503
            refused.headers["Retry-After"] = exc.headers["Retry-After"]
        return refused

    def open_session() -> str:
        with throttle.writes(db_session):
            raw, _ = auth.start_session(
                db_session=db_session,
                clock=clock,
                policy=session_policy(settings),
                user=user,
                ip=ip,
                user_agent=request.headers.get("user-agent", ""),
            )
            return raw

    raw = await run_in_threadpool(open_session)
    target = "/account/password" if user.must_change_password else next_url
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, raw)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@public_router.get("/session/csrf")
def current_csrf(request: Request, db_session: SessionDep, clock: ClockDep) -> JSONResponse:
    """The CSRF token of the session behind the cookie, for a page opened in an older session.

    After its user logs in again in another tab, an open page asks here before retrying a save
    that was refused, instead of losing what was typed. Only a same-origin script can read it.
    """
    identity = optional_web_identity(request, db_session, clock)
    if identity is None:
        return JSONResponse(
            {
                "detail": {
                    "code": "session_expired",
                    "message": "Phiên đăng nhập đã hết hạn, hãy đăng nhập lại.",
                    "errors": [],
                }
            },
            status_code=401,
        )
    return JSONResponse({"csrf_token": identity.csrf_token})


@router.post("/logout")
def logout(identity: WebUser, db_session: SessionDep, clock: ClockDep) -> Response:
    auth.end_session(db_session=db_session, clock=clock, identity=identity)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, identity: WebUser) -> HTMLResponse:
    return render(
        request,
        "accounts/password.html",
        {
            "title": "Đổi mật khẩu",
            "identity": identity,
            "errors": {},
            "forced": identity.must_change_password,
        },
        block="password_form",
    )


@router.post("/account/password", response_class=HTMLResponse)
def password_submit(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
    confirm_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    errors: dict[str, str] = {}
    if new_password != confirm_password:
        errors["confirm_password"] = "Hai lần nhập mật khẩu mới không khớp."
    else:
        from pydantic import ValidationError

        try:
            data = PasswordChange(current_password=current_password, new_password=new_password)
            service.change_own_password(
                db_session=db_session, actor=identity.actor, clock=clock, data=data
            )
        except ValidationError as exc:
            errors = {e.field: e.message for e in translate_validation_errors(list(exc.errors()))}
        except Invalid as exc:
            errors = {e.field: e.message for e in exc.errors}
    if errors:
        return render(
            request,
            "accounts/password.html",
            {
                "title": "Đổi mật khẩu",
                "identity": identity,
                "errors": errors,
                "forced": identity.must_change_password,
            },
            block="password_form",
            status_code=422,
        )
    return RedirectResponse("/", status_code=303)
