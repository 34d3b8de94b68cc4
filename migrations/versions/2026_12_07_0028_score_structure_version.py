"""score_version.structure: the plan's structure version, which reported data leaves as it was

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 15:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: a row without one reads as its version (app/data_versions.py), as every row
    # written before this revision does.
    with op.batch_alter_table("score_version") as batch:
        batch.add_column(sa.Column("structure", sa.BigInteger(), nullable=True))
    # Each plan's kept frame then outlives its data's next write at once, not from its next
    # structural write on.
    op.execute("UPDATE score_version SET structure = version")


def downgrade() -> None:
    with op.batch_alter_table("score_version") as batch:
        batch.drop_column("structure")
