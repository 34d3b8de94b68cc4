"""dossier, feedback and SIPAS kiosk codes: unique within a ward, not in the whole database

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

Each ward's TTHC system numbers its own dossiers and feedback, and two wards' kiosks may draw the
same code: a code unique across the city refused the second ward's record. The rows gain the
ward of their unit (filled here from ``unit.ward_id``), and the code is unique per ward.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("dossier", "feedback", "sipas_kiosk")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("ward_id", sa.Integer(), nullable=True))
        op.execute(
            f"UPDATE {table} SET ward_id = "
            f"(SELECT unit.ward_id FROM unit WHERE unit.id = {table}.unit_id)"
        )
        with op.batch_alter_table(table) as batch:
            batch.alter_column("ward_id", existing_type=sa.Integer(), nullable=False)
            batch.drop_constraint(f"uq_{table}_code", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_ward_id_code", ["ward_id", "code"])
            batch.create_foreign_key(f"fk_{table}_ward_id_ward", "ward", ["ward_id"], ["id"])
            batch.create_index(f"ix_{table}_ward_id", ["ward_id"], unique=False)


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_ward_id")
            batch.drop_constraint(f"fk_{table}_ward_id_ward", type_="foreignkey")
            batch.drop_constraint(f"uq_{table}_ward_id_code", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_code", ["code"])
            batch.drop_column("ward_id")
