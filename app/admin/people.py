"""People and their API tokens in the browser (admins): accounts, roles, temporary passwords."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts import service as account_service
from app.accounts.dependencies import WebUser
from app.accounts.models import PasswordSet, TokenCreate, TokenRead, UserCreate, UserUpdate
from app.actors import Actor
from app.admin.units import all_units
from app.clock import ClockDep
from app.db import SessionDep
from app.forms import FormState, Outcome, answer, attempt, blank_none, read_form
from app.permissions import ROLE_LABELS, Permission, authorize
from app.routes import Routes
from app.templating import is_partial_request, render

router = Routes(include_in_schema=False)
_USER_FIELDS = ("username", "full_name", "email", "role", "unit", "password")


def _options(db_session: Session) -> dict[str, Any]:
    return {
        "role_options": list(ROLE_LABELS.items()),
        "role_labels": ROLE_LABELS,
        "unit_options": [
            (u.code, f"{u.short_name} ({u.code})") for u in all_units(db_session) if u.active
        ],
    }


def _list_context(db_session: Session, actor: Actor, **extra: Any) -> dict[str, Any]:
    users, _ = account_service.list_users(db_session=db_session, actor=actor, limit=1000)
    return {
        "title": "Tài khoản",
        "users": users,
        "create": FormState("user-create"),
        **_options(db_session),
        **extra,
    }


@router.get("/admin/people", response_class=HTMLResponse)
def people_page(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    return render(
        request, "admin/people.html", _list_context(db_session, identity.actor), block="create"
    )


@router.post("/admin/people", response_class=HTMLResponse)
async def create_person(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.USERS_MANAGE)  # the role before the form
    typed = await read_form(request, _USER_FIELDS)
    data = {
        **typed,
        "unit": blank_none(typed["unit"]),
        "role": typed["role"] or None,
        "must_change_password": True,  # a password an admin chose is always temporary
    }
    outcome = attempt(
        db_session,
        UserCreate,
        data,
        lambda parsed: account_service.create_user(
            db_session=db_session, actor=identity.actor, clock=clock, data=parsed
        ),
    )
    typed["password"] = ""  # never echo a password back into the page
    username = outcome.result.username if outcome.ok else ""
    return answer(
        request,
        outcome,
        template="admin/people.html",
        context=lambda: _list_context(
            db_session, identity.actor, create=outcome.state("user-create", typed)
        ),
        block="create",
        redirect=f"/admin/people/{username}?da_tao=1",
        hx_redirect=True,
    )


def _person_context(
    db_session: Session, actor: Actor, username: str, **forms: FormState | Any
) -> dict[str, Any]:
    authorize(actor, Permission.USERS_MANAGE)
    user = account_service.user_read(
        db_session=db_session,
        user=account_service.get_user(db_session=db_session, username=username),
    )
    tokens, _ = account_service.list_tokens(
        db_session=db_session, actor=actor, username=username, include_revoked=True
    )
    context: dict[str, Any] = {
        "title": f"Tài khoản {user.full_name}",
        "user": user,
        "tokens": tokens,
        "back": f"/admin/people/{user.username}",
        "issued": None,
        "oob": False,
        **_options(db_session),
    }
    for name in ("edit", "status", "password", "issue"):
        context[name] = FormState(f"user-{name}")
    context.update(forms)
    return context


@router.get("/admin/people/{username}", response_class=HTMLResponse)
def person_page(
    request: Request, username: str, identity: WebUser, db_session: SessionDep
) -> Response:
    saved = "Đã tạo tài khoản với mật khẩu tạm." if request.query_params.get("da_tao") else ""
    context = _person_context(
        db_session, identity.actor, username, edit=FormState("user-edit", saved=saved)
    )
    return render(request, "admin/person.html", context, block="edit")


@router.post("/admin/people/{username}", response_class=HTMLResponse)
async def update_person(
    request: Request, username: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.USERS_MANAGE)  # the role before the form
    typed = await read_form(request, ("full_name", "email", "role", "unit", "version"))
    data = {
        **typed,
        "unit": blank_none(typed["unit"]),
        "role": typed["role"] or None,
        "version": typed["version"] or None,
    }
    outcome = attempt(
        db_session,
        UserUpdate,
        data,
        lambda parsed: account_service.update_user(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            username=username,
            data=parsed,
        ),
    )
    return answer(
        request,
        outcome,
        template="admin/person.html",
        context=lambda: _person_context(
            db_session,
            identity.actor,
            username,
            edit=outcome.state("user-edit", typed, saved="Đã lưu."),
        ),
        block="edit",
        redirect=f"/admin/people/{username}",
    )


@router.post("/admin/people/{username}/active", response_class=HTMLResponse)
async def set_person_active(
    request: Request, username: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """Locking an account ends its sessions at once, so it asks for a ticked confirmation."""
    authorize(identity.actor, Permission.USERS_MANAGE)  # the role before the form
    typed = await read_form(request, ("active", "confirm"))
    active = typed["active"] == "1"
    if not active and typed["confirm"] != "1":
        outcome = Outcome(
            errors={"confirm": "Hãy đánh dấu xác nhận trước khi khóa tài khoản."}, status_code=422
        )
    else:
        outcome = attempt(
            db_session,
            UserUpdate,
            {"active": active},
            lambda parsed: account_service.update_user(
                db_session=db_session,
                actor=identity.actor,
                clock=clock,
                username=username,
                data=parsed,
            ),
        )
    saved = "Tài khoản đã được mở lại." if active else "Đã khóa tài khoản."
    return answer(
        request,
        outcome,
        template="admin/person.html",
        context=lambda: _person_context(
            db_session,
            identity.actor,
            username,
            status=outcome.state("user-status", typed, saved=saved),
            oob=is_partial_request(request),
        ),
        block="status",
        redirect=f"/admin/people/{username}",
    )


@router.post("/admin/people/{username}/password", response_class=HTMLResponse)
async def set_temporary_password(
    request: Request, username: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.USERS_MANAGE)  # the role before the form
    typed = await read_form(request, ("password",))
    outcome = attempt(
        db_session,
        PasswordSet,
        {"password": typed["password"], "must_change_password": True},
        lambda parsed: account_service.set_password(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            username=username,
            data=parsed,
        ),
    )
    saved = "Đã đặt mật khẩu tạm; người dùng phải đổi mật khẩu ở lần đăng nhập tới."
    return answer(
        request,
        outcome,
        template="admin/person.html",
        context=lambda: _person_context(
            db_session,
            identity.actor,
            username,
            password=outcome.state("user-password", {"password": ""}, saved=saved),
            oob=is_partial_request(request),
        ),
        block="password",
        redirect=f"/admin/people/{username}",
    )


@router.post("/admin/people/{username}/tokens", response_class=HTMLResponse)
async def issue_token(
    request: Request, username: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """The secret is shown in this answer only: never redirected through a URL or stored, so a
    plain POST renders the page itself instead of redirecting."""
    authorize(identity.actor, Permission.USERS_MANAGE)  # the role before the form
    typed = await read_form(request, ("name", "expires_days"))
    outcome = attempt(
        db_session,
        TokenCreate,
        {"username": username, "name": typed["name"], "expires_days": typed["expires_days"]},
        lambda parsed: account_service.issue_token(
            db_session=db_session, actor=identity.actor, clock=clock, data=parsed
        ),
    )
    context = _person_context(
        db_session,
        identity.actor,
        username,
        issue=outcome.state("user-issue", typed),
        issued=outcome.result if outcome.ok else None,
    )
    response = render(
        request, "admin/person.html", context, block="tokens", status_code=outcome.status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- every token ---------------------------------------------------------------------------------


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens_page(
    request: Request, identity: WebUser, db_session: SessionDep, tat_ca: bool = False
) -> Response:
    tokens, _ = account_service.list_tokens(
        db_session=db_session, actor=identity.actor, include_revoked=tat_ca, limit=1000
    )
    return render(
        request,
        "admin/tokens.html",
        {
            "title": "Mã truy cập",
            "tokens": tokens,
            "all": tat_ca,
            "back": "/admin/tokens",
            "row_state": None,
        },
    )


def _safe_back(value: str) -> str:
    return value if value.startswith("/admin/") and "//" not in value else "/admin/tokens"


@router.post("/admin/tokens/{token_id}/revoke", response_class=HTMLResponse)
async def revoke_token(
    request: Request, token_id: int, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """Revoking asks for a ticked confirmation: a script using the token stops at once."""
    authorize(identity.actor, Permission.USERS_MANAGE)  # the role before the form
    typed = await read_form(request, ("confirm", "back"))
    back = _safe_back(typed["back"])
    if typed["confirm"] != "1":
        outcome = Outcome(
            errors={"confirm": "Hãy đánh dấu xác nhận trước khi thu hồi."}, status_code=422
        )
    else:
        outcome = attempt(
            db_session,
            None,
            {},
            lambda _: account_service.revoke_token(
                db_session=db_session, actor=identity.actor, clock=clock, token_id=token_id
            ),
        )
    if outcome.ok and not is_partial_request(request):
        return RedirectResponse(back, status_code=303)
    token = _one_token(db_session, identity.actor, token_id)
    return render(
        request,
        "admin/tokens.html",
        {
            "title": "Mã truy cập",
            "tokens": [token],
            "t": token,
            "all": True,
            "back": back,
            "row_state": outcome.state(f"token-{token_id}", typed, saved="Đã thu hồi."),
        },
        block="token_row",
        status_code=outcome.status_code,
    )


def _one_token(db_session: Session, actor: Actor, token_id: int) -> TokenRead:
    tokens, _ = account_service.list_tokens(
        db_session=db_session, actor=actor, include_revoked=True, limit=10_000
    )
    found = next((t for t in tokens if t.id == token_id), None)
    if found is None:
        from app.errors import NotFound

        raise NotFound(f"Không có mã truy cập số {token_id}.", code="token_not_found")
    return found
