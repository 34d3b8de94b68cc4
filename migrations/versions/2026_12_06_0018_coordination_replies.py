"""coordinating units' answers to the lead unit's update (coordination_reply)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

One row per (plan, task, period, coordinating unit): confirmed or disagreed (with a comment), and
the version of the lead's update it answered, so a later edit of the update shows the answer as
given to an older text.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coordination_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("lead_version", sa.Integer(), nullable=False),
        sa.Column("answered_by", sa.String(length=64), nullable=False),
        sa.Column("answered_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
            name=op.f("fk_coordination_reply_assignment_id_assignment"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_coordination_reply_plan_id_plan")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_coordination_reply_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordination_reply")),
        sa.UniqueConstraint(
            "plan_id",
            "assignment_id",
            "period",
            "unit_id",
            name=op.f("uq_coordination_reply_plan_id_assignment_id_period_unit_id"),
        ),
    )
    with op.batch_alter_table("coordination_reply") as batch_op:
        for column in ("assignment_id", "period", "plan_id", "unit_id"):
            batch_op.create_index(
                batch_op.f(f"ix_coordination_reply_{column}"), [column], unique=False
            )


def downgrade() -> None:
    op.drop_table("coordination_reply")
