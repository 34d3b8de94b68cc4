"""Users and API tokens: creating, changing, listing; every write authorised and audited.

Logging in, sessions and resolving credentials live in ``app.accounts.auth``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts import passwords
from app.accounts.models import (
    ApiToken,
    PasswordChange,
    PasswordSet,
    TokenCreate,
    TokenIssued,
    TokenRead,
    User,
    UserCreate,
    UserRead,
    UserUpdate,
)
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from app.permissions import CITY_ROLES, Permission, Role, authorize
from app.units import service as unit_service
from app.units.models import Unit
from app.wards import service as ward_service
from app.wards.models import Ward

TOKEN_PREFIX = "ptk_"

#: Roles that act for one unit and therefore must have one.
_UNIT_ROLES = {Role.REPORTER, Role.COORDINATOR}


def token_digest(raw: str) -> str:
    """Tokens are random (256 bits), so a plain SHA-256 is enough; no salt or slow hash needed."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


# --- users ---------------------------------------------------------------------------------------


def get_user(*, db_session: Session, username: str) -> User:
    user = db_session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise NotFound(f"Không có tài khoản “{username}”.", code="user_not_found")
    return user


def user_reads(*, db_session: Session, users: list[User]) -> list[UserRead]:
    codes = unit_service.codes_by_id(db_session=db_session, ids=[u.unit_id for u in users])
    ward_ids = {u.ward_id for u in users if u.ward_id is not None}
    wards = (
        dict(db_session.exec(select(Ward.id, Ward.code).where(col(Ward.id).in_(ward_ids))).all())
        if ward_ids
        else {}
    )
    return [
        UserRead(
            username=u.username,
            full_name=u.full_name,
            email=u.email,
            role=Role(u.role),
            ward=wards.get(u.ward_id) if u.ward_id is not None else None,
            unit=codes.get(u.unit_id) if u.unit_id else None,
            active=u.active,
            must_change_password=u.must_change_password,
            last_login_at=u.last_login_at,
            version=u.version,
            created_at=u.created_at,
            updated_at=u.updated_at,
        )
        for u in users
    ]


def user_read(*, db_session: Session, user: User) -> UserRead:
    return user_reads(db_session=db_session, users=[user])[0]


def list_users(
    *,
    db_session: Session,
    actor: Actor,
    role: str | None = None,
    unit: str | None = None,
    active: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[UserRead], int]:
    authorize(actor, Permission.USERS_MANAGE)
    query = select(User)
    if role:
        query = query.where(User.role == role)
    if unit:
        query = query.where(
            User.unit_id == unit_service.get_by_code(db_session=db_session, code=unit).id
        )
    if active is not None:
        query = query.where(User.active == active)
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = list(db_session.exec(query.order_by(col(User.username)).limit(limit).offset(offset)))
    return user_reads(db_session=db_session, users=rows), total


def _unit_for_role(*, db_session: Session, role: Role, unit_code: str | None) -> Unit | None:
    if unit_code is None:
        if role in _UNIT_ROLES:
            raise Invalid.one("unit", "required", "Vai trò này cần gắn với một đơn vị.")
        return None
    unit = unit_service.get_by_code(db_session=db_session, code=unit_code)
    if not unit.active:
        raise Invalid.one("unit", "inactive", f"Đơn vị “{unit_code}” đã ngừng hoạt động.")
    return unit


def create_user(*, db_session: Session, actor: Actor, clock: Clock, data: UserCreate) -> UserRead:
    authorize(actor, Permission.USERS_MANAGE)
    taken = select(User.id).where(User.username == data.username)
    if db_session.exec(taken.execution_options(all_wards=True)).first() is not None:
        raise Conflict(
            f"Tên đăng nhập “{data.username}” đã được dùng.",
            code="user_exists",
            errors=[FieldError("username", "duplicate", "Tên đăng nhập đã được dùng.")],
        )
    if data.password.lower() == data.username:
        raise Invalid.one("password", "weak", "Mật khẩu không được trùng tên đăng nhập.")
    unit = _unit_for_role(db_session=db_session, role=data.role, unit_code=data.unit)
    ward_id = ward_service.ward_of_new_user(
        db_session=db_session,
        actor=actor,
        role=data.role,
        unit_ward_id=unit.ward_id if unit else None,
        asked=data.ward,
    )
    now = clock.now()
    user = User(
        ward_id=ward_id,
        username=data.username,
        full_name=data.full_name,
        email=data.email,
        password_hash=passwords.hash_password(data.password),
        role=data.role,
        unit_id=unit.id if unit else None,
        must_change_password=data.must_change_password,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    db_session.add(user)
    db_session.flush()
    after = user_read(db_session=db_session, user=user)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="user",
        key=user.username,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def update_user(
    *, db_session: Session, actor: Actor, clock: Clock, username: str, data: UserUpdate
) -> UserRead:
    authorize(actor, Permission.USERS_MANAGE)
    user = get_user(db_session=db_session, username=username)
    if data.version is not None and data.version != user.version:
        raise Conflict(
            f"Tài khoản “{user.username}” vừa được người khác sửa; hãy tải lại.",
            code="stale_version",
            errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
        )
    before = user_read(db_session=db_session, user=user)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    for name in ("full_name", "role", "active"):
        if name in changes and changes[name] is None:
            raise Invalid.one(name, "required", "Không được để trống.")
    role = Role(changes.get("role") or user.role)
    if (role in CITY_ROLES) != (user.role in CITY_ROLES):
        raise Invalid.one(
            "role",
            "city_role",
            "Không đổi được giữa vai trò cấp Thành phố và vai trò của phường, xã: hãy tạo tài "
            "khoản mới.",
        )
    if "unit" in changes or "role" in changes:
        unit_code = changes.get("unit", before.unit)
        unit = _unit_for_role(db_session=db_session, role=role, unit_code=unit_code)
        user.unit_id = unit.id if unit else None
    if user.username == actor.username and (
        changes.get("active") is False or ("role" in changes and role != Role.ADMIN)
    ):
        raise Forbidden("Bạn không thể tự khóa hoặc tự bỏ quyền quản trị của chính mình.")
    for name in ("full_name", "email", "role", "active"):
        if name in changes:
            setattr(user, name, str(changes[name]) if name == "role" else changes[name])
    user.version += 1
    user.updated_at = clock.now()
    db_session.add(user)
    if changes.get("active") is False:
        _end_everything(db_session=db_session, user=user, clock=clock)
    db_session.flush()
    after = user_read(db_session=db_session, user=user)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="user",
        key=user.username,
        before=before,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def _end_everything(*, db_session: Session, user: User, clock: Clock) -> None:
    """A deactivated user or a reset password ends every open browser session of that user."""
    from app.accounts.models import UserSession

    now = clock.now()
    for row in db_session.exec(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at == None)  # noqa: E711
    ):
        row.revoked_at = now
        db_session.add(row)


def set_password(
    *, db_session: Session, actor: Actor, clock: Clock, username: str, data: PasswordSet
) -> UserRead:
    """An admin sets a (normally temporary) password; the user's sessions end."""
    authorize(actor, Permission.USERS_MANAGE)
    user = get_user(db_session=db_session, username=username)
    _store_password(db_session=db_session, user=user, clock=clock, password=data.password)
    user.must_change_password = data.must_change_password
    _end_everything(db_session=db_session, user=user, clock=clock)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="user_password",
        key=user.username,
        after={"must_change_password": user.must_change_password},
        clock=clock,
    )
    db_session.commit()
    return user_read(db_session=db_session, user=user)


def change_own_password(
    *, db_session: Session, actor: Actor, clock: Clock, data: PasswordChange
) -> UserRead:
    """Anyone changes their own password by proving the current one."""
    if actor.user_id is None:
        raise Forbidden("Chỉ người dùng đã đăng nhập mới đổi được mật khẩu của mình.")
    user = db_session.get(User, actor.user_id)
    if user is None or not user.active:
        raise Forbidden("Tài khoản không còn hoạt động.")
    if not passwords.verify_password(user.password_hash, data.current_password):
        raise Invalid.one("current_password", "wrong_password", "Mật khẩu hiện tại không đúng.")
    if data.new_password == data.current_password:
        raise Invalid.one("new_password", "unchanged", "Mật khẩu mới phải khác mật khẩu cũ.")
    if data.new_password.lower() == user.username:
        raise Invalid.one("new_password", "weak", "Mật khẩu không được trùng tên đăng nhập.")
    _store_password(db_session=db_session, user=user, clock=clock, password=data.new_password)
    user.must_change_password = False
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="user_password",
        key=user.username,
        after={"must_change_password": False},
        clock=clock,
    )
    db_session.commit()
    return user_read(db_session=db_session, user=user)


def _store_password(*, db_session: Session, user: User, clock: Clock, password: str) -> None:
    if password.lower() == user.username:
        raise Invalid.one("password", "weak", "Mật khẩu không được trùng tên đăng nhập.")
    now = clock.now()
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    user.updated_at = now
    user.version += 1
    db_session.add(user)


# --- tokens --------------------------------------------------------------------------------------


def _token_read(row: ApiToken, username: str) -> TokenRead:
    return TokenRead(
        id=row.id or 0,
        username=username,
        name=row.name,
        kind=row.kind,
        prefix=row.prefix,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def store_token(
    *,
    db_session: Session,
    user: User,
    clock: Clock,
    name: str,
    kind: str,
    lifetime: timedelta,
    created_by: str,
) -> tuple[ApiToken, str]:
    """Add a token row (without committing) and return it with the only copy of the secret."""
    raw = new_token()
    now = clock.now()
    row = ApiToken(
        user_id=user.id or 0,
        name=name,
        kind=kind,
        token_hash=token_digest(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        expires_at=now + lifetime,
        created_by=created_by,
        created_at=now,
    )
    db_session.add(row)
    db_session.flush()
    return row, raw


def issue_token(
    *, db_session: Session, actor: Actor, clock: Clock, data: TokenCreate
) -> TokenIssued:
    """A personal access token for a user's scripts; the secret is returned once."""
    authorize(actor, Permission.USERS_MANAGE)
    user = get_user(db_session=db_session, username=data.username)
    if not user.active:
        raise Invalid.one("username", "inactive", f"Tài khoản “{user.username}” đã bị khóa.")
    row, raw = store_token(
        db_session=db_session,
        user=user,
        clock=clock,
        name=data.name,
        kind="personal",
        lifetime=timedelta(days=data.expires_days),
        created_by=actor.username,
    )
    read = _token_read(row, user.username)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="token",
        key=str(row.id),
        after=read,
        clock=clock,
    )
    db_session.commit()
    return TokenIssued(**read.model_dump(), token=raw)


def list_tokens(
    *,
    db_session: Session,
    actor: Actor,
    username: str | None = None,
    include_revoked: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[TokenRead], int]:
    authorize(actor, Permission.USERS_MANAGE)
    query = select(ApiToken, User.username).join(User, col(User.id) == ApiToken.user_id)
    if username:
        query = query.where(
            User.username == get_user(db_session=db_session, username=username).username
        )
    if not include_revoked:
        query = query.where(ApiToken.revoked_at == None)  # noqa: E711
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(
        query.order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [_token_read(row, name) for row, name in rows], total


def revoke_token(*, db_session: Session, actor: Actor, clock: Clock, token_id: int) -> TokenRead:
    authorize(actor, Permission.USERS_MANAGE)
    found = db_session.exec(
        select(ApiToken, User.username)
        .join(User, col(User.id) == ApiToken.user_id)
        .where(ApiToken.id == token_id)
    ).first()
    if found is None:
        raise NotFound(f"Không có mã truy cập số {token_id}.", code="token_not_found")
    row, username = found
    before = _token_read(row, username)
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        db_session.add(row)
        audit.record(
            db_session=db_session,
            actor=actor,
            action=AuditAction.DELETE,
            entity="token",
            key=str(row.id),
            before=before,
            after=_token_read(row, username),
            clock=clock,
        )
        db_session.commit()
    return _token_read(row, username)
