"""JSON API for logging in, users and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request, status

from app.accounts import auth, service
from app.accounts.dependencies import (
    CurrentActor,
    client_ip,
    configure_hashing,
    login_policy,
    settings_of,
)
from app.accounts.models import (
    LoginRequest,
    LoginToken,
    PasswordChange,
    PasswordSet,
    TokenCreate,
    TokenIssued,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from app.clock import ClockDep
from app.db import SessionDep
from app.pagination import PagingDep
from app.permissions import Role
from app.routes import Routes
from app.schemas import Page

#: Open to anyone: this is how a script obtains credentials.
public_router = Routes(tags=["auth"])
router = Routes()

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong username or password (`bad_credentials`)."},
    403: {"description": "The account has a temporary password (`password_change_required`)."},
    429: {"description": "Too many failures for this username or address; see `Retry-After`."},
    503: {"description": "Too many logins waiting for password hashing; see `Retry-After`."},
}


@public_router.post(
    "/auth/token", response_model=LoginToken, responses=_ERRORS, summary="Log in for a token"
)
async def create_login_token(
    data: LoginRequest, request: Request, db_session: SessionDep, clock: ClockDep
) -> LoginToken:
    """A short-lived bearer token (default 60 minutes) for a script that logs in with a password.

    Refused with 403 `password_change_required` while the account has a temporary password, 429
    while the name or address is throttled, 503 when too many logins wait for password hashing.
    """
    configure_hashing(settings_of(request))
    return await auth.login_token(
        db_session=db_session,
        clock=clock,
        policy=login_policy(settings_of(request)),
        username=data.username,
        password=data.password,
        expires_minutes=data.expires_minutes,
        ip=client_ip(request),
    )


@router.get("/auth/me", response_model=UserRead, tags=["auth"], summary="Who am I")
async def me(request: Request, actor: CurrentActor) -> UserRead:
    """The user as the credential's own lookup read them, with no second query (issue #20);
    kept with the credential, so at most a few seconds old (``credential_cache``)."""
    found: UserRead | None = getattr(request.state, "profile", None)
    if found is None or found.username != actor.username:
        from app.errors import Unauthorized

        raise Unauthorized()
    return found


@router.post("/auth/password", response_model=UserRead, tags=["auth"], summary="Change my password")
def change_my_password(
    data: PasswordChange, actor: CurrentActor, db_session: SessionDep, clock: ClockDep
) -> UserRead:
    return service.change_own_password(db_session=db_session, actor=actor, clock=clock, data=data)


@router.get("/users", response_model=Page[UserRead], tags=["users"])
def list_users(
    actor: CurrentActor,
    db_session: SessionDep,
    paging: PagingDep,
    role: Role | None = None,
    unit: str | None = None,
    active: bool | None = None,
) -> Page[UserRead]:
    items, total = service.list_users(
        db_session=db_session,
        actor=actor,
        role=role,
        unit=unit,
        active=active,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED, tags=["users"])
def create_user(
    data: UserCreate, actor: CurrentActor, db_session: SessionDep, clock: ClockDep
) -> UserRead:
    return service.create_user(db_session=db_session, actor=actor, clock=clock, data=data)


@router.get("/users/{username}", response_model=UserRead, tags=["users"])
def get_user(username: str, actor: CurrentActor, db_session: SessionDep) -> UserRead:
    from app.permissions import Permission, authorize

    if username.strip().lower() != actor.username:
        authorize(actor, Permission.USERS_MANAGE)
    user = service.get_user(db_session=db_session, username=username)
    return service.user_read(db_session=db_session, user=user)


@router.patch("/users/{username}", response_model=UserRead, tags=["users"])
def update_user(
    username: str, data: UserUpdate, actor: CurrentActor, db_session: SessionDep, clock: ClockDep
) -> UserRead:
    """Change name, email, role, unit or active flag; deactivating ends the user's sessions."""
    return service.update_user(
        db_session=db_session, actor=actor, clock=clock, username=username, data=data
    )


@router.post("/users/{username}/password", response_model=UserRead, tags=["users"])
def set_user_password(
    username: str, data: PasswordSet, actor: CurrentActor, db_session: SessionDep, clock: ClockDep
) -> UserRead:
    """An admin sets a password, by default temporary (changed at the next login)."""
    return service.set_password(
        db_session=db_session, actor=actor, clock=clock, username=username, data=data
    )


@router.get("/tokens", response_model=Page[TokenRead], tags=["tokens"])
def list_tokens(
    actor: CurrentActor,
    db_session: SessionDep,
    paging: PagingDep,
    username: str | None = None,
    include_revoked: Annotated[bool, Query()] = False,
) -> Page[TokenRead]:
    items, total = service.list_tokens(
        db_session=db_session,
        actor=actor,
        username=username,
        include_revoked=include_revoked,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post(
    "/tokens", response_model=TokenIssued, status_code=status.HTTP_201_CREATED, tags=["tokens"]
)
def issue_token(
    data: TokenCreate, actor: CurrentActor, db_session: SessionDep, clock: ClockDep
) -> TokenIssued:
    """A personal access token for a user; `token` is in this answer only, never again."""
    return service.issue_token(db_session=db_session, actor=actor, clock=clock, data=data)


@router.delete("/tokens/{token_id}", response_model=TokenRead, tags=["tokens"])
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    actor: CurrentActor,
    db_session: SessionDep,
    clock: ClockDep,
) -> TokenRead:
    """Revoke a token at once; it answers 401 from then on. Revoking twice changes nothing."""
    return service.revoke_token(db_session=db_session, actor=actor, clock=clock, token_id=token_id)
