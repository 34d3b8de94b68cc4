"""Who may do what: the one table of rules, applied by services for pages, API and CLI alike.

A rule names a permission; unit-scoped permissions (reporting data) also need the actor's own unit
to be the one written. Routers never decide this themselves: they pass the actor to a service,
and the service calls ``authorize`` before it touches anything.
"""

from __future__ import annotations

from enum import StrEnum

from app.actors import Actor
from app.errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    REPORTER = "reporter"
    VIEWER = "viewer"
    #: The city's own accounts (no ward): they open any ward, and see the city view.
    CITY_ADMIN = "city_admin"
    CITY_VIEWER = "city_viewer"


#: Roles that belong to no ward and may open every ward.
CITY_ROLES: frozenset[str] = frozenset({Role.CITY_ADMIN, Role.CITY_VIEWER})

ROLE_LABELS: dict[str, str] = {
    Role.ADMIN: "Quản trị hệ thống",
    Role.COORDINATOR: "Điều phối (Phòng Văn hóa - Xã hội)",
    Role.REPORTER: "Cán bộ báo cáo của đơn vị",
    Role.VIEWER: "Lãnh đạo (chỉ xem)",
    Role.CITY_ADMIN: "Quản trị cấp Thành phố",
    Role.CITY_VIEWER: "Sở Nội vụ (xem mọi phường, xã)",
}


class Permission(StrEnum):
    UNITS_WRITE = "units.write"  # the unit tree
    PLAN_WRITE = "plan.write"  # assignments, indicators, domains
    DATA_WRITE = "data.write"  # readings and progress (unit-scoped for non-admins)
    REVIEW = "review"  # approve, return and reopen unit reports
    USERS_MANAGE = "users.manage"  # users and API tokens
    AUDIT_READ = "audit.read"
    READ_ALL = "read.all"  # every unit's data, not only one's own
    CITY_READ = "city.read"  # every ward: the city ranking and any ward's dashboard
    WARDS_MANAGE = "wards.manage"  # create wards, copy plans between wards


_WARD_LEVEL = frozenset(Permission) - {Permission.CITY_READ, Permission.WARDS_MANAGE}

_RULES: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: _WARD_LEVEL,
    Role.COORDINATOR: frozenset(
        {
            Permission.PLAN_WRITE,
            Permission.DATA_WRITE,
            Permission.REVIEW,
            Permission.AUDIT_READ,
            Permission.READ_ALL,
        }
    ),
    Role.REPORTER: frozenset({Permission.DATA_WRITE}),
    Role.VIEWER: frozenset({Permission.READ_ALL}),
    Role.CITY_ADMIN: frozenset(Permission),
    Role.CITY_VIEWER: frozenset({Permission.READ_ALL, Permission.CITY_READ}),
}

#: Permissions that hold for every unit only for these roles; others may use them on their own unit.
_ANY_UNIT: dict[Permission, frozenset[Role]] = {
    Permission.DATA_WRITE: frozenset({Role.ADMIN, Role.CITY_ADMIN}),
}

_REFUSALS: dict[Permission, str] = {
    Permission.UNITS_WRITE: "Chỉ quản trị hệ thống được thay đổi danh sách đơn vị.",
    Permission.PLAN_WRITE: "Chỉ bộ phận điều phối hoặc quản trị được sửa nhiệm vụ và chỉ tiêu.",
    Permission.DATA_WRITE: "Tài khoản của bạn không được nhập số liệu, báo cáo.",
    Permission.REVIEW: "Chỉ bộ phận điều phối (Phòng Văn hóa - Xã hội) được duyệt báo cáo.",
    Permission.USERS_MANAGE: "Chỉ quản trị hệ thống được quản lý tài khoản và mã truy cập.",
    Permission.AUDIT_READ: "Chỉ bộ phận điều phối hoặc quản trị được xem nhật ký thay đổi.",
    Permission.READ_ALL: "Bạn chỉ được xem số liệu của đơn vị mình.",
    Permission.CITY_READ: "Chỉ tài khoản cấp Thành phố được xem số liệu của mọi phường, xã.",
    Permission.WARDS_MANAGE: "Chỉ quản trị cấp Thành phố được tạo phường, xã và sao chép kế hoạch.",
}


def _role(actor: Actor) -> Role | None:
    try:
        return Role(actor.role)
    except ValueError:
        return None


def can(actor: Actor, permission: Permission, *, unit_code: str | None = None) -> bool:
    """Whether the actor holds the permission (for ``unit_code``, where it is unit-scoped)."""
    role = _role(actor)
    if role is None or permission not in _RULES[role]:
        return False
    any_unit = _ANY_UNIT.get(permission)
    if any_unit is None or role in any_unit or unit_code is None:
        return True
    return actor.unit_code is not None and actor.unit_code == unit_code


def authorize(actor: Actor, permission: Permission, *, unit_code: str | None = None) -> None:
    """Raise ``Forbidden`` (403) with a Vietnamese reason unless the actor may do this."""
    if can(actor, permission):
        if can(actor, permission, unit_code=unit_code):
            return
        own = f"“{actor.unit_code}”" if actor.unit_code else "(chưa gán đơn vị)"
        raise Forbidden(
            f"Bạn chỉ được nhập số liệu, báo cáo cho đơn vị của mình {own}, "
            f"không phải cho “{unit_code}”.",
            code="other_unit",
        )
    raise Forbidden(_REFUSALS[permission])


def readable_unit(actor: Actor) -> str | None:
    """``None`` when the actor reads every unit; otherwise the only unit it may read."""
    if can(actor, Permission.READ_ALL):
        return None
    return actor.unit_code or ""


def authorize_read(actor: Actor, unit_code: str | None) -> str | None:
    """The unit filter a read must use: the asked one if allowed, the own one if none was asked."""
    own = readable_unit(actor)
    if own is None:
        return unit_code
    if unit_code is not None and unit_code != own:
        raise Forbidden(_REFUSALS[Permission.READ_ALL], code="other_unit")
    return own
