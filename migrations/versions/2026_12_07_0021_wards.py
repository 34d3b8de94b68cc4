"""wards: units, plans, users, audit events and import batches belong to a ward

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

An existing database holds one ward's data: the migration creates that ward from the root unit
(the committee, e.g. ``phu-dinh``, "Ủy ban nhân dân phường Phú Định") and gives it every existing
row. Unit and plan codes become unique within a ward instead of in the whole database (every ward
has its "vhxh"). Plans gain the span of years they run, which picks a ward's current plan.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWNED = ("unit", "plan", "app_user", "audit_event", "import_batch")


def _ward_name(committee: str) -> str:
    """ "Ủy ban nhân dân phường Phú Định" → "Phường Phú Định"."""
    name = committee.removeprefix("Ủy ban nhân dân").strip() or committee
    return name[:1].upper() + name[1:]


def _first_ward(bind: sa.engine.Connection) -> int | None:
    root = bind.execute(
        sa.text("SELECT code, name FROM unit WHERE parent_id IS NULL ORDER BY id LIMIT 1")
    ).first()
    if root is None:
        return None
    now = datetime.now(UTC)
    bind.execute(
        sa.text(
            "INSERT INTO ward (code, name, city, active, created_at, updated_at) "
            "VALUES (:code, :name, :city, :active, :now, :now)"
        ),
        {
            "code": root.code,
            "name": _ward_name(root.name),
            "city": "Thành phố Hồ Chí Minh",
            "active": True,
            "now": now,
        },
    )
    return int(
        bind.execute(sa.text("SELECT id FROM ward WHERE code = :c"), {"c": root.code}).one()[0]
    )


def _years(bind: sa.engine.Connection) -> None:
    """A plan runs from the year it was issued to the last year its reporting rules name."""
    plans = bind.execute(sa.text("SELECT id, issued_date, reporting FROM plan")).all()
    for plan_id, issued, reporting in plans:
        first = int(str(issued)[:4])
        rules = reporting if isinstance(reporting, list) else json.loads(reporting)
        last = max([first, *(int(rule.get("from_year", first)) for rule in rules)])
        bind.execute(
            sa.text("UPDATE plan SET first_year = :f, last_year = :l WHERE id = :i"),
            {"f": first, "l": last, "i": plan_id},
        )


def upgrade() -> None:
    op.create_table(
        "ward",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("city", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward")),
        sa.UniqueConstraint("code", name=op.f("uq_ward_code")),
    )
    for table in _OWNED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("ward_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("plan") as batch:
        batch.add_column(sa.Column("first_year", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("last_year", sa.Integer(), server_default="0", nullable=False))
    bind = op.get_bind()
    ward_id = _first_ward(bind)
    if ward_id is not None:
        for table in _OWNED:
            bind.execute(sa.text(f"UPDATE {table} SET ward_id = :w"), {"w": ward_id})
    _years(bind)
    for table in ("unit", "plan"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("ward_id", existing_type=sa.Integer(), nullable=False)
            batch.drop_constraint(f"uq_{table}_code", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_ward_id_code", ["ward_id", "code"])
    for table in _OWNED:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(f"fk_{table}_ward_id_ward", "ward", ["ward_id"], ["id"])
            batch.create_index(f"ix_{table}_ward_id", ["ward_id"], unique=False)
    with op.batch_alter_table("plan") as batch:
        batch.alter_column("first_year", server_default=None, existing_type=sa.Integer())
        batch.alter_column("last_year", server_default=None, existing_type=sa.Integer())


def downgrade() -> None:
    for table in _OWNED:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_ward_id")
            batch.drop_constraint(f"fk_{table}_ward_id_ward", type_="foreignkey")
    for table in ("unit", "plan"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_ward_id_code", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_code", ["code"])
    with op.batch_alter_table("plan") as batch:
        batch.drop_column("last_year")
        batch.drop_column("first_year")
    for table in _OWNED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("ward_id")
    op.drop_table("ward")
