"""scores: administrators' overrides of the scoring configuration (append-only history)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:12:06.237508+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scoring_config_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("config", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_config_override")),
        sa.UniqueConstraint("version", name=op.f("uq_scoring_config_override_version")),
    )


def downgrade() -> None:
    op.drop_table("scoring_config_override")
