"""evidence files and links for a task's update (evidence_item, issue 19)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

One row per file or link a unit attaches to its update on a task for a period; keyed like
progress_update so a file can be attached before the update is first saved.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=32), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=128), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
            name=op.f("fk_evidence_item_assignment_id_assignment"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_evidence_item_plan_id_plan")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_evidence_item_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_item")),
        sa.UniqueConstraint("public_key", name=op.f("uq_evidence_item_public_key")),
    )
    op.create_index(
        "ix_evidence_item_task",
        "evidence_item",
        ["assignment_id", "unit_id", "period"],
        unique=False,
    )
    op.create_index(op.f("ix_evidence_item_unit_id"), "evidence_item", ["unit_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_item_unit_id"), table_name="evidence_item")
    op.drop_index("ix_evidence_item_task", table_name="evidence_item")
    op.drop_table("evidence_item")
