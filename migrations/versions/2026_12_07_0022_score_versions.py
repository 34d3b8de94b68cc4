"""score_version: one counter per plan, moved by every write that changes its scores

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07

Workers keep computed scores in memory keyed by this counter (``app/data_versions.py``), so a
write through one worker is seen by the next read through any other. Plan 0 stands for what
every plan shares (units, areas, TTHC domains). No row means version 0; no foreign key, so the
counter never stands in the way of deleting a plan.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_version",
        sa.Column("plan_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_score_version")),
    )


def downgrade() -> None:
    op.drop_table("score_version")
