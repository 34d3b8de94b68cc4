"""score_period_version: a version per plan and period of the data reported for it

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 22:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Empty at first: the data stored before has no row, and a period's kept results depend on
    # the rows of its periods only; the next write of any of that data adds one. Results kept
    # before the migration are gone with the workers that held them.
    op.create_table(
        "score_period_version",
        sa.Column("plan_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "period_start", name=op.f("pk_score_period_version")),
    )


def downgrade() -> None:
    op.drop_table("score_period_version")
