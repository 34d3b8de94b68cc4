"""``insert_many`` (COPY on PostgreSQL, the driver's executemany on SQLite) must store exactly
what a Core insert stores: the imports rely on it for timestamps, JSON, dates and flags."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.clock import VIETNAM_TZ
from app.db import insert_many
from app.dossiers.models import Dossier
from app.kpis.models import Domain
from app.units.models import Unit

MOMENT = datetime(2025, 10, 1, 8, 30, 15, 123456, tzinfo=VIETNAM_TZ)


def audit_row(key: str) -> dict[str, Any]:
    return {
        "at": MOMENT,
        "actor_username": "nguyenvana",
        "actor_user_id": None,
        "via": "import",
        "action": "create",
        "entity": "thu-nghiem",
        "entity_key": key,
        "before": None,
        "after": {"giá trị": 98.5, "ghi chú": "Từ hệ thống một cửa", "cờ": [True, None]},
        "ip": "10.0.0.7",
    }


def stored(session: Session, table: str, where: str) -> dict[str, tuple[Any, ...]]:
    """Rows as the database holds them, read without SQLAlchemy's type processing."""
    rows = session.connection().exec_driver_sql(f"SELECT * FROM {table} WHERE {where}").all()
    return {str(r._mapping["code" if table == "dossier" else "entity_key"]): r for r in rows}


def test_audit_rows_are_stored_as_a_core_insert_stores_them(seeded: Session) -> None:
    seeded.execute(insert(AuditEvent.__table__), [audit_row("core")])  # type: ignore[arg-type]
    insert_many(seeded, AuditEvent.__table__, [audit_row("fast")])  # type: ignore[arg-type]
    seeded.flush()
    rows = stored(seeded, "audit_event", "entity = 'thu-nghiem'")
    core, fast = (dict(rows[k]._mapping) for k in ("core", "fast"))
    assert core.pop("id") != fast.pop("id")
    assert (core.pop("entity_key"), fast.pop("entity_key")) == ("core", "fast")
    assert core == fast
    read = seeded.execute(select(AuditEvent).where(AuditEvent.entity_key == "fast")).scalar_one()
    assert read.at == MOMENT and read.after == audit_row("x")["after"] and read.before is None


def dossier_row(code: str, unit_id: int, domain_id: int, ward_id: int) -> dict[str, Any]:
    return {
        "ward_id": ward_id,
        "code": code,
        "unit_id": unit_id,
        "procedure_code": "1.000894",
        "procedure_name": "Đăng ký khai sinh",
        "domain_id": domain_id,
        "channel": "online",
        "received_at": MOMENT,
        "due_at": MOMENT.replace(day=3),
        "completed_at": None,
        "returned_at": None,
        "rescheduled": False,
        "fully_online": True,
        "digitized": True,
        "e_result": False,
        "reused_data": True,
        "paid_online": False,
        "received_on": date(2025, 10, 1),
        "completed_on": None,
        "version": 1,
        "created_at": MOMENT,
        "updated_at": MOMENT,
    }


def ids(session: Session) -> tuple[int, int, int]:
    unit, ward = session.execute(select(Unit.id, Unit.ward_id).where(Unit.code == "ttpvhcc")).one()
    domain = session.execute(select(Domain.id).where(Domain.code == "ho-tich")).scalar_one()
    return unit, domain, ward


def test_dossier_rows_keep_flags_days_and_nulls(seeded: Session) -> None:
    unit, domain, ward = ids(seeded)
    table = Dossier.__table__  # type: ignore[attr-defined]
    seeded.execute(insert(table), [dossier_row("CORE-1", unit, domain, ward)])
    insert_many(seeded, table, [dossier_row("FAST-1", unit, domain, ward)])
    seeded.flush()
    rows = stored(seeded, "dossier", "code IN ('CORE-1', 'FAST-1')")
    core, fast = (dict(rows[k]._mapping) for k in ("CORE-1", "FAST-1"))
    assert core.pop("id") != fast.pop("id")
    assert (core.pop("code"), fast.pop("code")) == ("CORE-1", "FAST-1")
    assert core == fast


def test_a_constraint_violation_is_sqlalchemys_integrity_error(seeded: Session) -> None:
    unit, domain, ward = ids(seeded)
    table = Dossier.__table__  # type: ignore[attr-defined]
    rows = [dossier_row("DUP-1", unit, domain, ward), dossier_row("DUP-1", unit, domain, ward)]
    with pytest.raises(IntegrityError):
        insert_many(seeded, table, rows)
    seeded.rollback()
    count = seeded.execute(text("SELECT count(*) FROM dossier WHERE code = 'DUP-1'")).scalar_one()
    assert count == 0


def test_every_row_must_carry_the_first_rows_columns(seeded: Session) -> None:
    short = audit_row("short")
    del short["ip"]
    with pytest.raises(KeyError):
        insert_many(seeded, AuditEvent.__table__, [audit_row("full"), short])  # type: ignore[arg-type]


def test_an_overlapping_insert_is_ended_by_the_next_statement(seeded: Session) -> None:
    """On PostgreSQL the COPY is still running when ``insert_many`` returns; whatever the
    session does next sees its rows, and a violation surfaces there, before any commit."""
    unit, domain, ward = ids(seeded)
    table = Dossier.__table__  # type: ignore[attr-defined]
    insert_many(seeded, table, [dossier_row("LAP-1", unit, domain, ward)], overlap=True)
    count = seeded.execute(text("SELECT count(*) FROM dossier WHERE code = 'LAP-1'")).scalar_one()
    assert count == 1
    with pytest.raises(IntegrityError):
        insert_many(seeded, table, [dossier_row("LAP-1", unit, domain, ward)], overlap=True)
        seeded.execute(text("SELECT 1"))  # PostgreSQL reports the violation here
    seeded.rollback()
    insert_many(seeded, table, [dossier_row("LAP-2", unit, domain, ward)], overlap=True)
    seeded.commit()  # the commit ends the COPY first
    codes = seeded.execute(text("SELECT code FROM dossier ORDER BY code")).scalars().all()
    assert codes == ["LAP-2"]


def test_a_rollback_throws_an_overlapping_insert_away(seeded: Session) -> None:
    unit, domain, ward = ids(seeded)
    table = Dossier.__table__  # type: ignore[attr-defined]
    insert_many(seeded, table, [dossier_row("BO-1", unit, domain, ward)], overlap=True)
    seeded.rollback()
    count = seeded.execute(text("SELECT count(*) FROM dossier")).scalar_one()
    assert count == 0
