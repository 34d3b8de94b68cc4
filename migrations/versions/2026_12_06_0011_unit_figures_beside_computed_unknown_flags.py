"""the unit's figure kept beside a computed reading; dossier flags a feed did not carry are NULL

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FLAGS = ("rescheduled", "fully_online", "digitized", "e_result", "reused_data", "paid_online")


def upgrade() -> None:
    with op.batch_alter_table("kpi_reading", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reported_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("reported_numerator", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("reported_denominator", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("reported_note", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("reported_source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("reported_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )
    # Existing dossiers keep their values: until now an absent column was stored as false, and
    # which files lacked which column was not recorded, so they cannot be told apart afterwards.
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        for name in _FLAGS:
            batch_op.alter_column(name, existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    for name in _FLAGS:
        op.execute(sa.text(f"UPDATE dossier SET {name} = false WHERE {name} IS NULL"))
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        for name in _FLAGS:
            batch_op.alter_column(name, existing_type=sa.Boolean(), nullable=False)
    with op.batch_alter_table("kpi_reading", schema=None) as batch_op:
        batch_op.drop_column("reported_at")
        batch_op.drop_column("reported_source")
        batch_op.drop_column("reported_note")
        batch_op.drop_column("reported_denominator")
        batch_op.drop_column("reported_numerator")
        batch_op.drop_column("reported_value")
