"""The one service of every register: list, read, create, update, history; pages, API, imports
and exports all call these, with the register's spec.

Who may write: a unit's officers write their own unit's rows, coordinators and admins every
unit's (``Permission.DATA_WRITE``, unit-scoped); a row moved to another unit needs the right on
both. Reading follows the reports: leaders and the office read every unit, an officer its own.
Every write is audited (entity = the register, key = the row's code) and claims the row's version
in the database, so two people editing the same row never overwrite each other silently.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Text, and_, cast, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, Invalid, NotFound
from app.permissions import Permission, authorize, authorize_read
from app.plans import service as plan_service
from app.plans.models import Assignment
from app.registers.fields import FieldKind
from app.registers.models import RegisterRow
from app.registers.specs import READS, RegisterSpec
from app.units import service as unit_service
from app.units.models import Unit
from app.versioning import check_version, claim_version


@dataclass(frozen=True)
class Filters:
    unit: str | None = None
    state: str | None = None
    year: int | None = None
    overdue: bool = False
    q: str | None = None
    task: str | None = None
    kind: str | None = None
    #: the findings of one inspection (registers without that column ignore it)
    inspection: str | None = None


def require_ward(actor: Actor) -> None:
    if actor.ward_id is None:
        raise Invalid.one(
            "ward", "ward_required", "Hãy chọn phường, xã (thanh trên cùng) để xem sổ theo dõi."
        )


def to_read(spec: RegisterSpec, row: RegisterRow, unit: str, today: date) -> BaseModel:
    values = {f.name: getattr(row, f.name) for f in spec.fields}
    return READS[spec.slug](
        code=row.code,
        unit=unit,
        tasks=list(row.task_codes),
        version=row.version,
        created_by=row.created_by,
        updated_by=row.updated_by,
        updated_at=row.updated_at.isoformat(),
        **values,
        **spec.extras(row, today),
    )


def _units(db_session: Session, rows: Sequence[RegisterRow]) -> dict[int, str]:
    return unit_service.codes_by_id(db_session=db_session, ids=[r.unit_id for r in rows])


def query(
    spec: RegisterSpec, db_session: Session, actor: Actor, clock: Clock, filters: Filters
) -> Any:
    """The rows the filters ask for, as a statement (the list pages it, exports stream it)."""
    require_ward(actor)
    unit = authorize_read(actor, filters.unit)
    model: Any = spec.model
    statement = select(model)
    if unit is not None:
        statement = statement.join(Unit, col(Unit.id) == model.unit_id).where(Unit.code == unit)
    if filters.state and spec.state is not None:
        statement = statement.where(model.state == filters.state)
    if filters.kind and spec.kind is not None:
        statement = statement.where(model.kind == filters.kind)
    if filters.year is not None:
        dated = getattr(model, spec.dated_by)
        statement = statement.where(
            dated == filters.year
            if spec.yearly
            else and_(dated >= date(filters.year, 1, 1), dated <= date(filters.year, 12, 31))
        )
    if filters.overdue and "deadline" in model.__table__.columns:
        statement = statement.where(
            model.deadline < clock.today(), col(model.state).not_in(spec.closed_states)
        )
    if filters.inspection is not None and "inspection" in model.__table__.columns:
        statement = statement.where(model.inspection == filters.inspection)
    if filters.q:
        statement = statement.where(col(model.id).in_(_matching_ids(spec, db_session, filters.q)))
    if filters.task:
        # a task code is letters, digits and dots: anything else (a LIKE wildcard) finds nothing
        task = filters.task.strip() if _TASK.fullmatch(filters.task.strip()) else "\x00"
        statement = statement.where(cast(model.task_codes, Text).like(f'%"{task}"%'))
    return statement.order_by(col(getattr(model, spec.dated_by)).desc(), col(model.code))


_TASK = re.compile(r"[A-Za-z0-9.]{1,32}")
#: Tries for a free code: each lost race means another writer took one, so a loser among N people
#: adding at once needs at most N tries; past this many the register is busier than any ward's.
MAX_ATTEMPTS = 20


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _matching_ids(spec: RegisterSpec, db_session: Session, q: str) -> list[int]:
    """Rows whose code or text contains ``q`` whatever its case, matched here and not by SQL
    ``lower() LIKE`` (SQLite lowers ASCII only, “Đã” would miss “đã”; LIKE reads ``%`` and
    ``_`` as wildcards). A ward's register holds hundreds of rows a year, not millions."""
    model: Any = spec.model
    texts = [
        getattr(model, f.name) for f in spec.fields if f.kind in (FieldKind.TEXT, FieldKind.LONG)
    ]
    needle = _fold(q.strip())
    return [
        row_id
        for row_id, *values in db_session.exec(select(model.id, model.code, *texts)).all()
        if any(needle in _fold(str(v or "")) for v in values)
    ]


def list_rows(
    spec: RegisterSpec,
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    filters: Filters,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[BaseModel], int]:
    statement = query(spec, db_session, actor, clock, filters)
    total = db_session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = list(db_session.exec(statement.limit(limit).offset(offset)))
    units = _units(db_session, rows)
    today = clock.today()
    return [to_read(spec, r, units[r.unit_id], today) for r in rows], int(total)


def _row(spec: RegisterSpec, db_session: Session, code: str) -> RegisterRow:
    model: Any = spec.model
    found = db_session.exec(select(model).where(model.code == code.strip().lower())).first()
    if found is None:
        raise NotFound(f"Sổ “{spec.title}” không có mục mã “{code}”.", code="not_found")
    assert isinstance(found, RegisterRow)
    return found


def get_row(
    spec: RegisterSpec, *, db_session: Session, actor: Actor, clock: Clock, code: str
) -> BaseModel:
    require_ward(actor)
    row = _row(spec, db_session, code)
    unit = _units(db_session, [row])[row.unit_id]
    authorize_read(actor, unit)
    return to_read(spec, row, unit, clock.today())


def _unit(db_session: Session, actor: Actor, code: str | None) -> Unit:
    wanted = code or actor.unit_code
    if not wanted:
        raise Invalid.one("unit", "required", "Hãy chọn đơn vị chịu trách nhiệm.")
    unit = unit_service.get_by_code(db_session=db_session, code=wanted)
    authorize(actor, Permission.DATA_WRITE, unit_code=unit.code)
    unit_service.ensure_active(unit)
    return unit


def _tasks(db_session: Session, codes: list[str] | None) -> list[str] | None:
    if codes is None:
        return None
    cleaned = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not cleaned:
        return []
    plan = plan_service.get_plan(db_session=db_session, code=None)
    known = set(
        db_session.exec(
            select(Assignment.code).where(
                Assignment.plan_id == plan.id, col(Assignment.code).in_(cleaned)
            )
        )
    )
    unknown = [c for c in cleaned if c not in known]
    if unknown:
        raise Invalid.one(
            "tasks",
            "assignment_not_found",
            f"Kế hoạch {plan.number} không có nhiệm vụ {', '.join(unknown)}.",
        )
    return cleaned


def _next_code(spec: RegisterSpec, db_session: Session, year: int) -> str:
    """The next free ``kl-2025-NNN``: one above the highest number taken (rows made with codes of
    their own, or imported, leave gaps that counting the rows would fall into)."""
    model: Any = spec.model
    stem = f"{spec.prefix}-{year}-"
    taken = db_session.exec(select(model.code).where(col(model.code).startswith(stem))).all()
    numbers = [int(c[len(stem) :]) for c in taken if c[len(stem) :].isdigit()]
    return f"{stem}{max(numbers, default=0) + 1:03d}"


def _blank(spec: RegisterSpec, values: dict[str, Any]) -> None:
    """What a column stores for a field left empty: text and choices an empty string, lists
    and monthly figures an empty collection (numbers and dates stay NULL)."""
    for f in spec.fields:
        if values.get(f.name) is None and f.name in values:
            if f.kind in (FieldKind.TEXT, FieldKind.LONG, FieldKind.CHOICE):
                values[f.name] = ""
            elif f.kind is FieldKind.PEOPLE:
                values[f.name] = []
            elif f.kind is FieldKind.MONTHLY:
                values[f.name] = {}


def _audit(
    spec: RegisterSpec,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    action: AuditAction,
    code: str,
    before: BaseModel | None,
    after: BaseModel,
) -> None:
    audit.record(db_session=db_session, actor=actor, clock=clock, action=action,
                 entity=spec.entity, key=code, before=before, after=after)  # fmt: skip


def create_row(
    spec: RegisterSpec,
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    data: BaseModel,
    commit: bool = True,
    attempt: int = 1,
) -> BaseModel:
    """A new row (its code made when none is sent); ``commit=False`` inside an import, whose
    runner commits every row or none. Two people adding rows at the same moment both get one:
    the loser of the race for a code starts again and takes the next."""
    require_ward(actor)
    unit = _unit(db_session, actor, getattr(data, "unit", None))
    values = {f.name: getattr(data, f.name) for f in spec.fields}
    _blank(spec, values)
    year = spec.year_of(values.get(spec.dated_by)) or clock.today().year
    now = clock.now()
    tasks = _tasks(db_session, getattr(data, "tasks", None)) or []
    row = spec.model(
        code="", unit_id=unit.id or 0, task_codes=tasks, created_by=actor.username,
        updated_by=actor.username, created_at=now, updated_at=now, **values,
    )  # fmt: skip
    if spec.check is not None:
        spec.check(db_session, row, clock.today())
    if not _insert(spec, db_session, row, getattr(data, "code", None), year, commit=commit):
        if attempt >= MAX_ATTEMPTS:
            raise Conflict(f"Nhiều người cùng thêm vào sổ “{spec.title}”: hãy gửi lại.",
                           code="busy")  # fmt: skip
        return create_row(spec, db_session=db_session, actor=actor, clock=clock, data=data,
                          attempt=attempt + 1)  # fmt: skip
    read = to_read(spec, row, unit.code, clock.today())
    _audit(spec, db_session, actor, clock, AuditAction.CREATE, row.code, None, read)
    if commit:
        _recompute(spec, db_session, actor, clock, {year})
        db_session.commit()
    return read


def _insert(
    spec: RegisterSpec, db_session: Session, row: RegisterRow, sent: str | None, year: int,
    *, commit: bool,
) -> bool:  # fmt: skip
    """Store the row under the code sent, or under the next free one; ``False`` when another
    writer took that free code first (the caller starts again, and takes the next one)."""
    row.code = sent or _next_code(spec, db_session, year)
    db_session.add(row)
    try:
        db_session.flush()
        return True
    except IntegrityError as exc:
        if not commit:
            raise  # the import's runner says the file met a concurrent write, and keeps nothing
        db_session.rollback()
        if sent is None:
            return False
        raise Conflict(
            f"Mã “{sent}” đã có trong sổ “{spec.title}”: hãy dùng mã khác hoặc để trống để "
            "partrack tự đặt.",
            code="already_exists",
        ) from exc


def _recompute(
    spec: RegisterSpec, db_session: Session, actor: Actor, clock: Clock, years: set[int]
) -> None:
    """The plan indicator the register computes, brought in line in the write's transaction."""
    if spec.recompute is not None and years:
        spec.recompute(spec, db_session, actor, clock, years)


def update_row(
    spec: RegisterSpec,
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    code: str,
    data: BaseModel,
    commit: bool = True,
) -> BaseModel:
    """The sent fields changed (``exclude_unset``); an update that changes nothing writes
    nothing, no version and no audit row."""
    require_ward(actor)
    row = _row(spec, db_session, code)
    current = _units(db_session, [row])[row.unit_id]
    authorize(actor, Permission.DATA_WRITE, unit_code=current)
    check_version(current=row.version, expected=getattr(data, "version", None),
                  what=f"Mục {row.code}")  # fmt: skip
    before = to_read(spec, row, current, clock.today())
    sent = data.model_dump(exclude_unset=True, exclude={"version"})
    unit_code = current
    if sent.get("unit"):
        unit = _unit(db_session, actor, sent["unit"])
        row.unit_id, unit_code = unit.id or 0, unit.code
    if "tasks" in sent:
        row.task_codes = _tasks(db_session, sent["tasks"]) or []
    changes = {f.name: sent[f.name] for f in spec.fields if f.name in sent}
    for f in spec.fields:
        if f.name in changes and changes[f.name] is None and f.required:
            raise Invalid.one(f.name, "required", f"“{f.label}” không được để trống.")
    _blank(spec, changes)
    years = {spec.year_of(getattr(row, spec.dated_by))}
    for name, value in changes.items():
        setattr(row, name, value)
    years.add(spec.year_of(getattr(row, spec.dated_by)))
    if spec.check is not None:
        spec.check(db_session, row, clock.today())
    after = to_read(spec, row, unit_code, clock.today())
    if after.model_dump(exclude={"version", "updated_at", "updated_by"}) == before.model_dump(
        exclude={"version", "updated_at", "updated_by"}
    ):
        if commit:
            db_session.rollback()
        return before  # nothing changed: no new version, no audit row
    row.updated_by, row.updated_at = actor.username, clock.now()
    db_session.add(row)
    row.version = claim_version(
        db_session=db_session,
        model=spec.model,
        row_id=row.id,
        seen=before.version,  # type: ignore[attr-defined]
        message=f"Mục {row.code} vừa được người khác sửa; hãy tải lại.",
        rollback=commit,
    )
    after = to_read(spec, row, unit_code, clock.today())
    _audit(spec, db_session, actor, clock, AuditAction.UPDATE, row.code, before, after)
    if commit:
        _recompute(spec, db_session, actor, clock, {y for y in years if y is not None})
        db_session.commit()
    return after
