"""SIPAS: the questionnaire version each ward's survey uses (no row: the city's published one)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 10:59:13.607451+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sipas_ward_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["sipas_questionnaire.id"],
            name=op.f("fk_sipas_ward_version_questionnaire_id_sipas_questionnaire"),
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.id"], name=op.f("fk_sipas_ward_version_ward_id_ward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sipas_ward_version")),
        sa.UniqueConstraint("ward_id", name=op.f("uq_sipas_ward_version_ward_id")),
    )


def downgrade() -> None:
    op.drop_table("sipas_ward_version")
