"""validation rules as data (validation_rule), for the reviewer's flags and blocked submissions

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

One row per rule of a plan: a comparison between two operands (an indicator's value, numerator
or denominator, optionally of one domain, or a constant) or a progress rule, with its message and
severity. Plan 84's first rules come with the seed (``partrack seed``), not here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "validation_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("left_indicator", sa.String(length=64), nullable=True),
        sa.Column("left_field", sa.String(length=16), nullable=True),
        sa.Column("left_domain", sa.String(length=64), nullable=True),
        sa.Column("left_constant", sa.Float(), nullable=True),
        sa.Column("operator", sa.String(length=2), nullable=True),
        sa.Column("right_indicator", sa.String(length=64), nullable=True),
        sa.Column("right_field", sa.String(length=16), nullable=True),
        sa.Column("right_domain", sa.String(length=64), nullable=True),
        sa.Column("right_constant", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_validation_rule_plan_id_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_rule")),
        sa.UniqueConstraint("plan_id", "code", name=op.f("uq_validation_rule_plan_id_code")),
    )
    op.create_index(
        op.f("ix_validation_rule_plan_id"), "validation_rule", ["plan_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_validation_rule_plan_id"), table_name="validation_rule")
    op.drop_table("validation_rule")
