"""A record's changes from the audit trail, as "field: before → after" lines people can read.

The trail stores codes (``ttpvhcc``, ``ho-tich``, usernames), which stay searchable; what a person
reads next to them is the name of the unit, the domain, the target or the account behind them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.audit import service as audit_service
from app.audit.models import AuditEventRead
from app.formatting import format_number
from app.names import Names, names_for, period_name, reading_key_name

ACTION_LABELS = {
    "create": "Tạo mới",
    "update": "Sửa",
    "delete": "Xóa",
    "login": "Đăng nhập",
    "login_failed": "Đăng nhập sai",
    "logout": "Đăng xuất",
    "import": "Nhập tệp",
}
#: How the change came in (``AuditEvent.via``).
VIA_LABELS = {"web": "trên web", "api": "qua API", "cli": "dòng lệnh", "import": "nhập tệp"}
#: The fields people meet most in the trail; any other keeps its technical name.
FIELD_LABELS = {
    "unit": "Đơn vị",
    "parent": "Đơn vị cấp trên",
    "lead_unit": "Đơn vị chủ trì",
    "coordinating_units": "Đơn vị phối hợp",
    "responsible_unit": "Đơn vị phụ trách",
    "domain": "Lĩnh vực",
    "indicator": "Chỉ tiêu",
    "assignment": "Nhiệm vụ",
    "area": "Lĩnh vực PAR Index",
    "period": "Kỳ",
    "submitted_by": "Người gửi",
    "reviewed_by": "Người duyệt",
    "changed_by": "Người sửa",
    "created_by": "Người tạo",
    "name": "Tên",
    "short_name": "Tên ngắn",
    "full_name": "Họ và tên",
    "status": "Tình trạng",
    "due_date": "Hạn",
    "review_comment": "Nhận xét",
    "value": "Giá trị",
    "numerator": "Tử số",
    "denominator": "Mẫu số",
    "note": "Ghi chú",
    "percent_complete": "Tỷ lệ hoàn thành",
    "result": "Kết quả",
    "target": "Mục tiêu",
    "comparator": "So sánh",
    "measure": "Đơn vị đo",
    "description": "Ghi chú, cách tính",
    "domain_targets": "Mục tiêu từng lĩnh vực",
    "text": "Nội dung",
    "scope": "Phạm vi",
    "cadence": "Kỳ báo cáo",
    "expected_product": "Sản phẩm dự kiến",
    "role": "Vai trò",
    "email": "Email",
    "active": "Đang hoạt động",
    "source": "Nguồn",
    "submitted_at": "Gửi lúc",
    "reviewed_at": "Duyệt lúc",
}
#: Bookkeeping fields every write changes; listing them would hide the real change.
_NOISE = {"version", "updated_at", "created_at"}


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    """One event as a page shows it: who (by name), which record (by name), what changed."""

    event: AuditEventRead
    changes: list[Change]
    subject: str

    @property
    def via(self) -> str:
        return VIA_LABELS.get(self.event.via, self.event.via)


def _namers(names: Names) -> dict[str, Callable[[str], str]]:
    return {
        "unit": names.unit,
        "parent": names.unit,
        "lead_unit": names.unit,
        "coordinating_units": names.unit,
        "responsible_unit": names.unit,
        "domain": names.domain,
        "indicator": names.indicator,
        "area": names.area,
        "period": period_name,
        "submitted_by": names.person,
        "reviewed_by": names.person,
        "changed_by": names.person,
        "created_by": names.person,
    }


def _show(value: Any, namer: Callable[[str], str] | None = None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(_show(v, namer) for v in value) or "—"
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float):
        return format_number(value)
    if namer is not None and isinstance(value, str):
        return namer(value)
    return str(value)


def changes(event: AuditEventRead, names: Names | None = None) -> list[Change]:
    """The fields that differ between before and after (all of ``after`` for a creation)."""
    namers = _namers(names) if names is not None else {}
    before, after = event.before or {}, event.after or {}
    fields = [k for k in {**before, **after} if k not in _NOISE]
    return [
        Change(
            name,
            FIELD_LABELS.get(name, name),
            _show(before.get(name), namers.get(name)),
            _show(after.get(name), namers.get(name)),
        )
        for name in fields
        if before.get(name) != after.get(name)
    ]


def subject(event: AuditEventRead, names: Names) -> str:
    """The record in words (``Tỷ lệ hồ sơ … · TTPVHCC · Tháng 10/2025 · Hộ tịch``), or "" when its
    key already reads as itself (a batch number, a kiosk's name)."""
    parts = event.key.split("/")
    entity = event.entity
    if entity == "reading" and len(parts) == 4:
        return reading_key_name(names, event.key)
    if entity == "progress" and len(parts) == 3:
        return f"Nhiệm vụ {parts[0]} · {names.unit(parts[1])} · {period_name(parts[2])}"
    if entity in {"submission", "reminder", "reminder_email"} and len(parts) >= 2:
        return f"{names.unit_name(parts[0])} · {period_name(parts[1])}"
    if entity == "assignment" and len(parts) == 2:
        text = names.task(parts[1], parts[0])
        return f"Nhiệm vụ {parts[1]}" + (f": {text[:80]}…" if len(text) > 80 else f": {text}")
    if entity == "indicator" and len(parts) == 2:
        return names.indicator(parts[1], parts[0])
    if entity == "unit":
        return names.unit_name(event.key)
    if entity == "domain":
        return names.domain(event.key)
    if entity in {"user", "user_password", "token"} and not event.key.isdigit():
        return names.person(event.key)
    return ""


def entries(events: list[AuditEventRead], names: Names) -> list[Entry]:
    return [Entry(e, changes(e, names), subject(e, names)) for e in events]


def of_record(
    *, db_session: Session, entity: str, key: str, names: Names, limit: int = 50
) -> list[Entry]:
    """Newest first, each event with its readable changes."""
    events, _ = audit_service.list_events(
        db_session=db_session, entity=entity, key=key, limit=limit
    )
    return entries(list(events), names)


def record_context(db_session: Session, *, entity: str, key: str) -> dict[str, Any]:
    """What an admin edit page shows under its form: the record's history and the action words."""
    return {
        "events": of_record(
            db_session=db_session, entity=entity, key=key, names=names_for(db_session)
        ),
        "action_labels": ACTION_LABELS,
    }
