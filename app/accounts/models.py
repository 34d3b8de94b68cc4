"""Users, their API tokens and their browser sessions; the schemas the API speaks."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.permissions import Role
from app.schemas import Code, NonEmptyStr, ReadModel, StrictInput

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MIN_PASSWORD_LENGTH = 10


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=255)
    email: str = Field(default="", max_length=255)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    #: The ward the account works in; ``None`` for the city's own accounts (city roles).
    ward_id: int | None = Field(default=None, foreign_key="ward.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    active: bool = True
    must_change_password: bool = False
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is kept, so a database leak leaks no usable token."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=255)
    kind: str = Field(max_length=16)  # personal (issued by an admin) or login (short-lived)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """A browser session, kept on the server so logout and deactivation end it at once."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)


class LoginThrottle(SQLModel, table=True):
    """Failed (and in-flight) logins per user name or per address in the current window.

    One row per key, counted by a single ``INSERT … ON CONFLICT DO UPDATE … RETURNING``, so
    several server processes sharing the database never let more attempts through than the limit
    (a count of audit rows read before writing did: 19 of 40 simultaneous guesses passed a limit
    of 5). The audit trail still records every failure; this table only throttles.
    """

    __tablename__ = "login_throttle"

    key: str = Field(max_length=200, primary_key=True)  # "user:<name>" or "ip:<address>"
    window_start: datetime = Field(sa_type=UTCDateTime, index=True)
    failures: int = 0


# --- API schemas -------------------------------------------------------------------------------

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=USERNAME_PATTERN),
]


def _password_rules(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if len(value) > 256:
        raise ValueError("Mật khẩu quá dài (tối đa 256 ký tự).")
    if value.strip() != value:
        raise ValueError("Mật khẩu không được bắt đầu hoặc kết thúc bằng khoảng trắng.")
    return value


Password = Annotated[str, AfterValidator(_password_rules)]


def _check_email(value: str) -> str:
    if value and not re.match(EMAIL_PATTERN, value):
        raise ValueError("Địa chỉ email không hợp lệ.")
    return value


Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=255), AfterValidator(_check_email)
]


class UserCreate(StrictInput):
    username: Username = PydanticField(examples=["nguyenvana"])
    full_name: NonEmptyStr = PydanticField(max_length=255, examples=["Nguyễn Văn A"])
    email: Email = PydanticField(default="", examples=["nguyenvana@phudinh.hochiminhcity.gov.vn"])
    role: Role = PydanticField(examples=["reporter"])
    unit: Code | None = PydanticField(default=None, examples=["ttpvhcc"])
    ward: Code | None = PydanticField(
        default=None,
        examples=["phu-dinh"],
        description="The ward of the account: the creator's own by default; a city "
        "administrator names it (and leaves it empty for a city role).",
    )
    password: Password = PydanticField(examples=["Mat-khau-tam-2025"])
    must_change_password: bool = PydanticField(
        default=True, description="Ask for a new password at the first login."
    )


class UserUpdate(StrictInput):
    full_name: NonEmptyStr | None = PydanticField(default=None, max_length=255)
    # Not nullable: the column is NOT NULL, and "" already means "no e-mail"; null is a 422.
    # Omitted is None ("unchanged"), but the type stays ``str`` so that an explicit null is a 422.
    email: Email = PydanticField(default=None, description='`""` removes the e-mail address.')  # type: ignore[assignment]
    role: Role | None = None
    unit: Code | None = None
    active: bool | None = None
    version: int | None = PydanticField(default=None, ge=1, description="The version you saw.")


class PasswordSet(StrictInput):
    password: Password
    must_change_password: bool = PydanticField(
        default=True, description="True when an admin sets a temporary password."
    )


class PasswordChange(StrictInput):
    current_password: str = PydanticField(max_length=256)
    new_password: Password


class UserRead(ReadModel):
    username: str
    full_name: str
    email: str
    role: Role
    ward: str | None = PydanticField(
        default=None, examples=["phu-dinh"], description="The ward; null for the city's accounts."
    )
    unit: str | None
    active: bool
    must_change_password: bool
    last_login_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class TokenCreate(StrictInput):
    username: Username = PydanticField(examples=["he-thong-mot-cua"])
    name: NonEmptyStr = PydanticField(max_length=255, examples=["Đồng bộ hồ sơ TTHC"])
    expires_days: int = PydanticField(default=90, ge=1, le=730)


class TokenRead(ReadModel):
    id: int
    username: str
    name: str
    kind: str
    prefix: str = PydanticField(description="The first characters, to recognise a token.")
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by: str
    created_at: datetime


class TokenIssued(TokenRead):
    token: str = PydanticField(description="Shown once; only its hash is stored.")


class LoginRequest(StrictInput):
    username: str = PydanticField(max_length=64, examples=["nguyenvana"])
    password: str = PydanticField(max_length=256)
    expires_minutes: int = PydanticField(default=60, ge=5, le=720)


class LoginToken(ReadModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    username: str
    role: Role
    unit: str | None
