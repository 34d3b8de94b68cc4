"""running imports per user (import_slot), for the per-user cap on concurrent imports

Revision ID: 0016
Revises: 0015 (the integrator re-chains it after 0015)
Create Date: 2026-12-06

One row per import running now; the (username, slot) key is what refuses an import past the cap,
across server processes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_slot",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("started_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", "slot", name=op.f("pk_import_slot")),
    )


def downgrade() -> None:
    op.drop_table("import_slot")
