"""A record's changes from the audit trail, as "field: before → after" lines people can read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.audit import service as audit_service
from app.audit.models import AuditEventRead

ACTION_LABELS = {
    "create": "Tạo mới",
    "update": "Sửa",
    "delete": "Xóa",
    "login": "Đăng nhập",
    "login_failed": "Đăng nhập sai",
    "logout": "Đăng xuất",
    "import": "Nhập tệp",
}
#: Bookkeeping fields every write changes; listing them would hide the real change.
_NOISE = {"version", "updated_at", "created_at"}


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "—"
    if isinstance(value, bool):
        return "có" if value else "không"
    return str(value)


def changes(event: AuditEventRead) -> list[Change]:
    """The fields that differ between before and after (all of ``after`` for a creation)."""
    before, after = event.before or {}, event.after or {}
    names = [k for k in {**before, **after} if k not in _NOISE]
    return [
        Change(name, _show(before.get(name)), _show(after.get(name)))
        for name in names
        if before.get(name) != after.get(name)
    ]


def of_record(*, db_session: Session, entity: str, key: str, limit: int = 50) -> list[Any]:
    """Newest first, each event with its readable changes."""
    events, _ = audit_service.list_events(
        db_session=db_session, entity=entity, key=key, limit=limit
    )
    return [(e, changes(e)) for e in events]
