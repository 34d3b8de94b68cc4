"""Units: the tree of the ward's committee and its offices."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from app import found, tenancy
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Invalid, NotFound
from app.permissions import Permission, authorize
from app.references import count_references
from app.units.models import Unit, UnitCreate, UnitRead, UnitUpdate, contains_nul


def get_by_code(*, db_session: Session, code: str, field_name: str = "unit") -> Unit:
    """The unit with this code, found once per session and ward scope (``app/found.py``)."""
    if contains_nul(code):
        raise NotFound(f"Không có đơn vị mã “{code}” ({field_name}).", code="unit_not_found")
    seen = found.memo(db_session, "unit")
    key = (tenancy.scope_of(db_session), code)
    unit = seen.get(key)
    if unit is None or not found.held(db_session, unit) or unit.code != code:
        unit = db_session.exec(select(Unit).where(Unit.code == code)).first()
        if unit is None:
            seen.pop(key, None)
            raise NotFound(f"Không có đơn vị mã “{code}” ({field_name}).", code="unit_not_found")
        seen[key] = unit
    return unit


def ensure_active(unit: Unit) -> None:
    """Refuse new data for a unit that no longer works (422 ``unit_inactive``): the one message
    readings, progress reports and the feeds give."""
    if not unit.active:
        raise Invalid.one("unit", "unit_inactive", f"Đơn vị “{unit.code}” đã ngừng hoạt động.")


def get_many(*, db_session: Session, codes: Sequence[str], field_name: str) -> list[Unit]:
    """The units named, in the order given; one unknown code is a 404 naming it."""
    if not codes:
        return []
    found = {u.code: u for u in db_session.exec(select(Unit).where(col(Unit.code).in_(codes)))}
    for code in codes:
        if code not in found:
            raise NotFound(f"Không có đơn vị mã “{code}” ({field_name}).", code="unit_not_found")
    return [found[c] for c in codes]


def codes_by_id(*, db_session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db_session.exec(select(Unit.id, Unit.code).where(col(Unit.id).in_(wanted))).all()
    return {i: c for i, c in rows if i is not None}


def to_read(*, db_session: Session, units: Sequence[Unit]) -> list[UnitRead]:
    parents = codes_by_id(db_session=db_session, ids=[u.parent_id for u in units])
    return [
        UnitRead(
            code=u.code,
            name=u.name,
            short_name=u.short_name,
            kind=u.kind,
            parent=parents.get(u.parent_id) if u.parent_id else None,
            active=u.active,
            created_at=u.created_at,
            updated_at=u.updated_at,
        )
        for u in units
    ]


def _fold(text: str) -> str:
    """Text as a search compares it: NFC (keyboards may send NFD) and case-folded."""
    return unicodedata.normalize("NFC", text).casefold()


def _matching_ids(*, db_session: Session, q: str) -> list[int]:
    """Units whose code or name contains ``q``, whatever its case.

    Matched here rather than with SQL ``lower() LIKE``: SQLite lowers ASCII letters only (“Ủy”
    would not match “ủy”, where PostgreSQL matches it) and LIKE reads ``%`` and ``_`` as wildcards.
    A ward has a handful of units, so reading their codes and names costs nothing.
    """
    needle = _fold(q.strip())
    rows = db_session.exec(select(Unit.id, Unit.code, Unit.name)).all()
    return [
        i
        for i, code, name in rows
        if i is not None and (needle in _fold(code) or needle in _fold(name))
    ]


def list_units(
    *,
    db_session: Session,
    active: bool | None,
    parent: str | None,
    q: str | None,
    limit: int,
    offset: int,
) -> tuple[list[UnitRead], int]:
    query = select(Unit)
    if active is not None:
        query = query.where(Unit.active == active)
    if parent is not None:
        query = query.where(Unit.parent_id == get_by_code(db_session=db_session, code=parent).id)
    if q and q.strip():
        query = query.where(col(Unit.id).in_(_matching_ids(db_session=db_session, q=q)))
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(query.order_by(col(Unit.code)).limit(limit).offset(offset)).all()
    return to_read(db_session=db_session, units=rows), total


def _check_parent(*, db_session: Session, unit: Unit | None, parent_code: str) -> Unit:
    parent = get_by_code(db_session=db_session, code=parent_code, field_name="parent")
    # Walk up from the new parent: meeting the unit itself would make the tree a loop.
    node: Unit | None = parent
    while node is not None and unit is not None:
        if node.id == unit.id:
            raise Invalid.one(
                "parent",
                "parent_cycle",
                "Đơn vị cấp trên không được là chính nó hoặc cấp dưới của nó.",
            )
        node = db_session.get(Unit, node.parent_id) if node.parent_id else None
    return parent


def create_unit(*, db_session: Session, actor: Actor, clock: Clock, data: UnitCreate) -> UnitRead:
    authorize(actor, Permission.UNITS_WRITE)
    if db_session.exec(select(Unit.id).where(Unit.code == data.code)).first() is not None:
        raise Conflict(
            f"Mã đơn vị “{data.code}” đã được dùng.",
            code="unit_exists",
            errors=[FieldError("code", "duplicate", "Mã đơn vị đã được dùng.")],
        )
    parent = (
        _check_parent(db_session=db_session, unit=None, parent_code=data.parent)
        if data.parent
        else None
    )
    now = clock.now()
    unit = Unit(
        code=data.code,
        name=data.name,
        short_name=data.short_name,
        kind=data.kind,
        parent_id=parent.id if parent else None,
        active=data.active,
        created_at=now,
        updated_at=now,
    )
    db_session.add(unit)
    db_session.flush()
    after = to_read(db_session=db_session, units=[unit])[0]
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="unit",
        key=unit.code,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def update_unit(
    *, db_session: Session, actor: Actor, clock: Clock, code: str, data: UnitUpdate
) -> UnitRead:
    authorize(actor, Permission.UNITS_WRITE)
    unit = get_by_code(db_session=db_session, code=code)
    before = to_read(db_session=db_session, units=[unit])[0]
    changes = data.model_dump(exclude_unset=True)
    if "parent" in changes:
        parent_code = changes.pop("parent")
        unit.parent_id = (
            _check_parent(db_session=db_session, unit=unit, parent_code=parent_code).id
            if parent_code
            else None
        )
    for name, value in changes.items():
        if value is None:
            raise Invalid.one(name, "required", "Không được để trống.")
        setattr(unit, name, value)
    unit.updated_at = clock.now()
    db_session.add(unit)
    db_session.flush()
    after = to_read(db_session=db_session, units=[unit])[0]
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="unit",
        key=unit.code,
        before=before,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


#: What a row of each referencing table is called in the refusal. A table missing here still
#: blocks the delete (under its table name): the check follows the foreign keys, so a new table
#: that points at a unit can never turn a refused delete into a database error.
_REFERENCE_LABELS: dict[str, str] = {
    "unit": "đơn vị cấp dưới",
    "plan": "kế hoạch",
    "assignment": "nhiệm vụ chủ trì",
    "assignment_coordinator": "nhiệm vụ phối hợp",
    "indicator": "chỉ tiêu phụ trách",
    "kpi_reading": "số liệu chỉ tiêu",
    "progress_update": "báo cáo tiến độ",
    "evidence_item": "minh chứng",
    "report_submission": "báo cáo kỳ",
    "reopen_request": "đề nghị mở lại báo cáo",
    "coordination_reply": "ý kiến phối hợp",
    "app_user": "tài khoản người dùng",
    "reminder": "nhắc việc",
    "dossier": "hồ sơ TTHC",
    "feedback": "phản ánh, kiến nghị",
    "sipas_code": "mã khảo sát",
    "sipas_kiosk": "máy khảo sát",
    "sipas_response": "phiếu khảo sát",
    "par_item": "tiêu chí Chỉ số CCHC phụ trách",
    "conclusion": "kết luận, nhiệm vụ được giao",
    "initiative": "sáng kiến, mô hình",
    "training_course": "khóa đào tạo, bồi dưỡng",
    "inspection": "cuộc kiểm tra",
    "inspection_finding": "tồn tại, kiến nghị sau kiểm tra",
    "socioeconomic_target": "chỉ tiêu kinh tế - xã hội",
    "investment_item": "dự án đầu tư công, khoản thu ngân sách",
}


def references(*, db_session: Session, unit: Unit) -> dict[str, int]:
    """What still points at a unit; a unit with history is deactivated, never deleted.

    The tables are found from the foreign keys (``app.references``), so the units package
    depends on none of the domains that refer to units and every table that does is counted.
    """
    refs: dict[str, int] = {}
    found = count_references(db_session=db_session, table=Unit.__tablename__, row_id=unit.id)
    for name, count in found.items():
        label = _REFERENCE_LABELS.get(name, name)
        refs[label] = refs.get(label, 0) + count
    return refs


def delete_unit(
    *, db_session: Session, actor: Actor, code: str, clock: Clock | None = None
) -> None:
    authorize(actor, Permission.UNITS_WRITE)
    unit = get_by_code(db_session=db_session, code=code)
    before = to_read(db_session=db_session, units=[unit])[0]
    refs = references(db_session=db_session, unit=unit)
    if refs:
        listed = ", ".join(f"{n} {label}" for label, n in refs.items())
        raise Conflict(
            f"Không xóa được đơn vị “{code}” vì còn dữ liệu gắn với đơn vị: {listed}. "
            "Hãy ngừng hoạt động đơn vị (active = false) thay vì xóa.",
            code="unit_in_use",
        )
    db_session.delete(unit)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.DELETE,
        entity="unit",
        key=code,
        before=before,
        clock=clock,
    )
    db_session.commit()
