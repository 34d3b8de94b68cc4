"""requests to reopen an approved report (reopen_request)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

One row per request of a unit to reopen its approved report for a period, numbered within the
period; the partial unique index keeps at most one request pending per (plan, unit, period),
on SQLite and PostgreSQL alike.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reopen_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_reopen_request_plan_id_plan")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_reopen_request_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reopen_request")),
        sa.UniqueConstraint(
            "plan_id",
            "unit_id",
            "period",
            "number",
            name=op.f("uq_reopen_request_plan_id_unit_id_period_number"),
        ),
    )
    with op.batch_alter_table("reopen_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reopen_request_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reopen_request_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reopen_request_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_reopen_request_pending",
            ["plan_id", "unit_id", "period"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("reopen_request", schema=None) as batch_op:
        batch_op.drop_index("uq_reopen_request_pending")
        batch_op.drop_index(batch_op.f("ix_reopen_request_status"))
        batch_op.drop_index(batch_op.f("ix_reopen_request_unit_id"))
        batch_op.drop_index(batch_op.f("ix_reopen_request_plan_id"))
    op.drop_table("reopen_request")
