"""Where readings meet the database: rows with their codes, rows by natural key (one probe per key,
as each database answers fastest), and writing planned readings with their audit rows in bulk.

The rules that decide what to write are in ``reading_rules.py``; this module only writes what
they decided, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Integer, String, and_, bindparam, func, or_, true
from sqlalchemy import select as select_rows
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock, FixedClock
from app.db import insert_many, table_of
from app.errors import Conflict, FieldError
from app.kpis.models import Domain, Indicator, Reading, ReadingRead
from app.kpis.reading_rules import PlannedReading, ReadingKey
from app.periods import Period
from app.units.models import Unit
from app.versioning import WriteAction, update_versioned


@dataclass(frozen=True)
class UpsertResult:
    reading: ReadingRead
    created: bool
    changed: bool


# --- rows with their codes -----------------------------------------------------------------------


def reading_query() -> Select[Reading, str, str, str]:
    """Readings with their codes (the domain's code is None where the outer join found no
    domain: SQLAlchemy types a column by its own nullability, not by the join's)."""
    return (
        select(Reading, Indicator.code, Unit.code, Domain.code)
        .join(Indicator, col(Indicator.id) == Reading.indicator_id)
        .join(Unit, col(Unit.id) == Reading.unit_id)
        .outerjoin(Domain, col(Domain.id) == Reading.domain_id)
    )


def read_of(row: Reading, indicator: str, unit: str, domain: str | None) -> ReadingRead:
    assert row.id is not None
    return ReadingRead(
        id=row.id,
        indicator=indicator,
        unit=unit,
        period=row.period,
        domain=domain,
        value=row.value,
        numerator=row.numerator,
        denominator=row.denominator,
        note=row.note,
        evidence_url=row.evidence_url,
        source=row.source,
        reported_value=row.reported_value,
        reported_numerator=row.reported_numerator,
        reported_denominator=row.reported_denominator,
        reported_note=row.reported_note,
        reported_source=row.reported_source,
        reported_at=row.reported_at,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def reading_key(read: ReadingRead) -> str:
    """The natural key as the audit trail names it: ``tthc_ontime/ttpvhcc/2025-10/ho-tich``."""
    return f"{read.indicator}/{read.unit}/{read.period}/{read.domain or '-'}"


# --- rows by natural key -------------------------------------------------------------------------


def _key_clause(keys: Sequence[ReadingKey], dialect: str = "sqlite") -> Any:
    """These keys, in a form each database answers by seeks in the unique indexes (callers keep
    the exact keys). SQLite gets a superset of ``IN`` lists (row-value ``IN`` makes it scan the
    whole index); PostgreSQL gets the exact row values (the superset makes its planner, before
    the table has statistics, walk every reading of the periods named: quadratic over an import)."""
    clauses = []
    for wanted, domain_ids in (
        ([k for k in keys if k[3] is not None], True),
        ([k for k in keys if k[3] is None], False),
    ):
        if not wanted:
            continue
        parts = [
            col(Reading.indicator_id).in_(sorted({k[0] for k in wanted})),
            col(Reading.unit_id).in_(sorted({k[1] for k in wanted})),
            col(Reading.period).in_(sorted({k[2] for k in wanted})),
        ]
        if domain_ids:
            parts.append(col(Reading.domain_id).in_(sorted({k[3] for k in wanted})))
        else:
            parts.append(col(Reading.domain_id).is_(None))
        clauses.append(and_(*parts))
    return or_(*clauses)


def _matching(
    keys: Sequence[ReadingKey],
    dialect: str,
    build: Callable[[Any], Any],
    *,
    lock: bool = False,
) -> list[Any]:
    """Statements for the readings at these keys: ``build(entity)`` is the select wanted.

    SQLite gets the ``IN``-list superset (callers keep the exact keys). PostgreSQL probes the
    unique index once per key: the keys go in as arrays (``unnest``) and each is looked up in a
    ``LATERAL … LIMIT 1``. ``IN`` or ``OR`` lists let its planner, before the table has
    statistics, walk every reading of an indicator, and a plain join may sort the whole table:
    either grows quadratic over an import.
    """
    if dialect != "postgresql":
        statement = build(Reading).where(_key_clause(keys))
        return [statement.with_for_update() if lock else statement]
    out = []
    for with_domain in (True, False):
        # In key order, so writers lock the rows they share in the same order: two imports of
        # the same keys in opposite orders wait for each other instead of deadlocking. (Across
        # chunks of 1,000 rows a deadlock stays possible; it answers 409 ``write_race``.)
        chosen = sorted(k for k in keys if (k[3] is not None) == with_domain)
        if not chosen:
            continue
        names = ["indicator_id", "unit_id", "period"]
        types: list[Any] = [Integer, Integer, String]
        if with_domain:
            names.append("domain_id")
            types.append(Integer)
        arrays = [
            bindparam(None, [k[i] for k in chosen], type_=ARRAY(kind))
            for i, kind in enumerate(types)
        ]
        wanted = func.unnest(*arrays).table_valued(*names).render_derived()
        probe = select(Reading).where(*(getattr(Reading, n) == wanted.c[n] for n in names))
        if not with_domain:
            probe = probe.where(col(Reading.domain_id).is_(None))
        probe = probe.limit(1)
        if lock:
            probe = probe.with_for_update()
        found = probe.lateral()
        entity = aliased(Reading, found)
        out.append(build(entity).select_from(wanted).join(found, true()))
    return out


def _reading_ids(*, db_session: Session, keys: Sequence[ReadingKey]) -> dict[ReadingKey, int]:
    def build(r: Any) -> Any:
        return select_rows(r.id, r.indicator_id, r.unit_id, r.period, r.domain_id)

    dialect = db_session.get_bind().dialect.name
    rows = [r for q in _matching(keys, dialect, build) for r in db_session.execute(q).all()]
    wanted = set(keys)
    found = {(r[1], r[2], r[3], r[4]): r[0] for r in rows}
    return {k: v for k, v in found.items() if k in wanted}


def find_readings(
    *, db_session: Session, keys: Sequence[ReadingKey], lock: bool = True
) -> dict[ReadingKey, Reading]:
    """The stored readings at these natural keys, in one query (locked on PostgreSQL)."""
    if not keys:
        return {}
    if len(keys) == 1:  # one write: the exact key, as precise a lock as the database offers
        indicator_id, unit_id, period, domain_id = keys[0]
        domain_clause = (
            col(Reading.domain_id) == domain_id
            if domain_id is not None
            else col(Reading.domain_id).is_(None)
        )
        one = select(Reading).where(
            Reading.indicator_id == indicator_id,
            Reading.unit_id == unit_id,
            Reading.period == period,
            domain_clause,
        )
        row = db_session.exec(one.with_for_update() if lock else one).first()
        return {keys[0]: row} if row is not None else {}
    wanted = set(keys)
    found: dict[ReadingKey, Reading] = {}
    dialect = db_session.get_bind().dialect.name
    for statement in _matching(keys, dialect, select, lock=lock):
        for row in db_session.exec(statement):
            key = (row.indicator_id, row.unit_id, row.period, row.domain_id)
            if key in wanted:
                found[key] = row
    return found


# --- writing planned readings --------------------------------------------------------------------


def _snapshot(
    *,
    reading_id: int,
    codes: tuple[str, str, str | None],
    row: Mapping[str, Any],
    stamps: Callable[[datetime], str],
) -> dict[str, Any]:
    """A reading as ``ReadingRead.model_dump(mode="json")`` would give it, built directly: an
    import makes one per row for the audit trail and cannot afford a model per row."""
    indicator, unit, domain = codes
    return {
        "id": reading_id,
        "indicator": indicator,
        "unit": unit,
        "period": row["period"],
        "domain": domain,
        "value": float(row["value"]),
        "numerator": None if row["numerator"] is None else float(row["numerator"]),
        "denominator": None if row["denominator"] is None else float(row["denominator"]),
        "note": row["note"],
        "evidence_url": row["evidence_url"],
        "source": str(row["source"]),
        "reported_value": None,
        "reported_numerator": None,
        "reported_denominator": None,
        "reported_note": None,
        "reported_source": None,
        "reported_at": None,
        "version": row["version"],
        "created_at": stamps(row["created_at"]),
        "updated_at": stamps(row["updated_at"]),
        "conflict": False,
    }


_JSON_MOMENT = TypeAdapter(datetime)


def _moment_json(value: datetime) -> str:
    return str(_JSON_MOMENT.dump_python(value, mode="json"))


def _stamper(now: datetime) -> Callable[[datetime], str]:
    """Moments as JSON, the write's own moment (on almost every row) formatted once."""
    stamp_of_now = _moment_json(now)

    def stamps(value: datetime) -> str:
        return stamp_of_now if value is now else _moment_json(value)

    return stamps


def _new_row(item: PlannedReading, *, now: datetime, import_batch_id: int | None) -> dict[str, Any]:
    """The column values of a reading to create, as ``insert_many`` takes them."""
    indicator_id, unit_id, period, domain_id = item.key
    p = Period.parse(period)
    return {
        "indicator_id": indicator_id,
        "unit_id": unit_id,
        "period": period,
        "period_start": p.start_date,
        "period_end": p.end_date,
        "domain_id": domain_id,
        "source": str(item.source),
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "import_batch_id": import_batch_id,
        **item.fields,
    }


def _update_row(
    db_session: Session,
    item: PlannedReading,
    *,
    now: datetime,
    audit_of: Callable[..., dict[str, Any]],
) -> tuple[ReadingRead, dict[str, Any]]:
    """Change a stored reading under its version claim; the reading after, and its audit row."""
    existing = item.existing
    assert existing is not None
    before = read_of(existing, *item.codes)
    changes: dict[str, object] = {**item.fields, "source": item.source}
    if item.reported:
        changes["reported_at"] = now
    update_versioned(
        db_session=db_session,
        model=Reading,
        row=existing,
        changes=changes,
        now=now,
        message=f"Số liệu {item.message_prefix} vừa được người khác sửa; "
        "hãy tải lại để xem thay đổi rồi nhập lại.",
        rollback=False,
    )
    after = read_of(existing, *item.codes)
    row = audit_of(
        action=AuditAction.UPDATE,
        key=reading_key(after),
        before=before.model_dump(mode="json"),
        after=after.model_dump(mode="json"),
    )
    return after, row


def _insert_rows(
    db_session: Session, created: Sequence[tuple[dict[str, Any], PlannedReading]], *, overlap: bool
) -> None:
    """Insert new readings in bulk; someone else inserting the same key meanwhile is a 409."""
    try:
        insert_many(db_session, table_of(Reading), [v for v, _ in created], overlap=overlap)
    except IntegrityError as exc:
        first = created[0][1].message_prefix if len(created) == 1 else "trong tệp"
        raise Conflict(
            f"Số liệu {first} vừa được người khác nhập; hãy tải lại để xem trước khi sửa.",
            code="already_exists",
            errors=[FieldError("version", "stale_version", "Đã có người khác vừa nhập.")],
        ) from exc


def _created_snapshots(
    db_session: Session, created: Sequence[tuple[dict[str, Any], PlannedReading]], now: datetime
) -> list[dict[str, Any]]:
    """The new readings as the audit trail and the answer show them. Their ids are fetched by
    key in one query: RETURNING in parameter order would make SQLite insert row by row."""
    stamps = _stamper(now)
    keys = [item.key for _, item in created]
    new_ids = _reading_ids(db_session=db_session, keys=keys) if keys else {}
    return [
        _snapshot(reading_id=new_ids[item.key], codes=item.codes, row=values, stamps=stamps)
        for values, item in created
    ]


def apply_readings(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    planned: Sequence[PlannedReading],
    results: bool = True,
    import_batch_id: int | None = None,
) -> list[UpsertResult]:
    """Write validated readings and their audit rows in the caller's transaction (no commit).

    New rows and audit rows go in through ``insert_many`` (the driver's bulk path), so a batch
    costs a few statements, not an ORM object per row. Someone else inserting the same key
    meanwhile surfaces as ``Conflict`` from the unique index; someone else updating it, from the
    version compare-and-set. Either way the caller rolls back. An import passes
    ``results=False`` (it reports counts, not rows) and its ``import_batch_id``: the rows it
    creates then name the batch, whose one audit event stands for their creation.
    """
    now = clock.now()
    out: list[UpsertResult] = []
    audits: list[dict[str, Any]] = []
    created: list[tuple[dict[str, Any], PlannedReading]] = []
    audit_of = partial(audit.row_values, actor=actor, clock=FixedClock(now), entity="reading")
    for item in planned:
        if item.action == WriteAction.UNCHANGED:
            assert item.existing is not None
            if results:
                out.append(UpsertResult(read_of(item.existing, *item.codes), False, False))
        elif item.action == WriteAction.CREATE:
            created.append((_new_row(item, now=now, import_batch_id=import_batch_id), item))
        else:
            after, audit_row = _update_row(db_session, item, now=now, audit_of=audit_of)
            audits.append(audit_row)
            out.append(UpsertResult(after, created=False, changed=True))
    if created:
        _insert_rows(db_session, created, overlap=import_batch_id is not None)
        if import_batch_id is not None and not results:
            created = []  # the batch's audit event records them; nobody asked for the rows
        for snapshot in _created_snapshots(db_session, created, now):
            key = f"{snapshot['indicator']}/{snapshot['unit']}/{snapshot['period']}/"
            audits.append(
                audit_of(
                    action=AuditAction.CREATE, key=key + (snapshot["domain"] or "-"), after=snapshot
                )
            )
            if results:
                out.append(UpsertResult(ReadingRead.model_validate(snapshot), True, True))
    if audits:
        audit.record_many(db_session=db_session, rows=audits)
    db_session.flush()
    return out
