"""Migration 0023 on a database that already holds records: each dossier, feedback and kiosk gets
its unit's ward, and afterwards two wards may hold the same code (one ward, still not twice)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app import migrate
from app.db import make_engine
from tests.test_migrations import scratch_url  # noqa: F401  (the fixture)

NOW = datetime(2025, 10, 1, 1, 0, tzinfo=UTC)


def _ward_and_unit(conn: object, code: str) -> tuple[int, int]:
    run = conn.execute  # type: ignore[attr-defined]
    run(
        text(
            "INSERT INTO ward (code, name, city, active, created_at, updated_at) "
            "VALUES (:c, :c, 'HCM', :t, :now, :now)"
        ),
        {"c": code, "t": True, "now": NOW},
    )
    ward = run(text("SELECT id FROM ward WHERE code = :c"), {"c": code}).scalar_one()
    run(
        text(
            "INSERT INTO unit (ward_id, code, name, short_name, kind, active, created_at, "
            "updated_at) VALUES (:w, 'ttpvhcc', 'TT', 'TT', 'centre', :t, :now, :now)"
        ),
        {"w": ward, "t": True, "now": NOW},
    )
    unit = run(text("SELECT id FROM unit WHERE ward_id = :w"), {"w": ward}).scalar_one()
    return int(ward), int(unit)


def _records(conn: object, unit: int, domain: int, code: str, ward: int | None = None) -> None:
    """A dossier, a feedback and a kiosk with that code; ``ward``: written after 0023."""
    run = conn.execute  # type: ignore[attr-defined]
    values = {"u": unit, "d": domain, "c": code, "w": ward, "t": True, "now": NOW,
              "day": date(2025, 10, 1)}  # fmt: skip
    column, value = (", ward_id", ", :w") if ward is not None else ("", "")
    run(
        text(
            f"INSERT INTO dossier (code, unit_id, procedure_code, procedure_name, domain_id, "
            f"channel, received_at, due_at, received_on, version, created_at, updated_at{column}) "
            f"VALUES (:c, :u, '', '', :d, 'online', :now, :now, :day, 1, :now, :now{value})"
        ),
        values,
    )
    run(
        text(
            f"INSERT INTO feedback (code, unit_id, channel, kind, received_at, due_at, "
            f"received_on, version, created_at, updated_at{column}) "
            f"VALUES (:c, :u, '1022', 'complaint', :now, :now, :day, 1, :now, :now{value})"
        ),
        values,
    )
    run(
        text(
            f"INSERT INTO sipas_kiosk (code, name, unit_id, active, created_at, created_by"
            f"{column}) VALUES (:c, 'Quầy 1', :u, :t, :now, 'admin'{value})"
        ),
        values,
    )


def test_existing_records_get_their_units_ward_and_codes_become_unique_per_ward(
    scratch_url: str,  # noqa: F811
) -> None:
    config = migrate.alembic_config(scratch_url)
    command.upgrade(config, "0022")
    engine = make_engine(scratch_url)
    try:
        with engine.begin() as conn:
            a_ward, a_unit = _ward_and_unit(conn, "phu-dinh")
            b_ward, b_unit = _ward_and_unit(conn, "binh-dong")
            conn.execute(
                text(
                    "INSERT INTO domain (code, name, position, active, created_at) "
                    "VALUES ('ho-tich', 'Hộ tịch', 1, :t, :now)"
                ),
                {"t": True, "now": NOW},
            )
            domain = conn.execute(text("SELECT id FROM domain")).scalar_one()
            _records(conn, a_unit, domain, "A-1")
            _records(conn, b_unit, domain, "B-1")
        command.upgrade(config, "0023")
        with engine.begin() as conn:
            for table in ("dossier", "feedback", "sipas_kiosk"):
                rows = conn.execute(text(f"SELECT code, ward_id FROM {table} ORDER BY code"))
                assert [tuple(r) for r in rows] == [("A-1", a_ward), ("B-1", b_ward)], table
            _records(conn, b_unit, domain, "A-1", b_ward)  # B may now use A's codes
        with pytest.raises(IntegrityError, match="code"), engine.begin() as conn:
            _records(conn, b_unit, domain, "A-1", b_ward)  # but not twice in one ward
    finally:
        engine.dispose()
