"""PAR Index self-assessment: the city's criteria tables and each ward's yearly assessment

Shared tables par_framework and par_criterion (the city's table, one per year); par_assessment,
par_item and par_evidence carry ward_id and belong to one ward (app.tenancy).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 07:48:44.410789+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "par_framework",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_framework")),
        sa.UniqueConstraint("code", name=op.f("uq_par_framework_code")),
    )
    with op.batch_alter_table("par_framework", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_par_framework_year"), ["year"], unique=False)

    op.create_table(
        "par_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("plan_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_index", sa.Float(), nullable=True),
        sa.Column("published_rank", sa.Integer(), nullable=True),
        sa.Column("published_of", sa.Integer(), nullable=True),
        sa.Column("appraisal_note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["par_framework.id"],
            name=op.f("fk_par_assessment_framework_id_par_framework"),
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.id"], name=op.f("fk_par_assessment_ward_id_ward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_assessment")),
        sa.UniqueConstraint("ward_id", "year", name=op.f("uq_par_assessment_ward_id_year")),
    )
    with op.batch_alter_table("par_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_par_assessment_framework_id"), ["framework_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_par_assessment_ward_id"), ["ward_id"], unique=False)

    op.create_table(
        "par_criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("parent_code", sa.String(length=32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("sort_key", sa.String(length=64), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("scored_by", sa.String(length=8), nullable=False),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column("indicator_code", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["par_framework.id"],
            name=op.f("fk_par_criterion_framework_id_par_framework"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_criterion")),
        sa.UniqueConstraint(
            "framework_id", "code", name=op.f("uq_par_criterion_framework_id_code")
        ),
    )
    with op.batch_alter_table("par_criterion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_par_criterion_framework_id"), ["framework_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_par_criterion_sort_key"), ["sort_key"], unique=False)

    op.create_table(
        "par_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("responsible_unit_id", sa.Integer(), nullable=True),
        sa.Column("task_codes", sa.JSON(), nullable=False),
        sa.Column("applicable", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_points", sa.Float(), nullable=True),
        sa.Column("rule_points", sa.Float(), nullable=True),
        sa.Column("proposal_note", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("self_points", sa.Float(), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("appraised_points", sa.Float(), nullable=True),
        sa.Column("appraisal_comment", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["par_assessment.id"],
            name=op.f("fk_par_item_assessment_id_par_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["par_criterion.id"],
            name=op.f("fk_par_item_criterion_id_par_criterion"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_unit_id"], ["unit.id"], name=op.f("fk_par_item_responsible_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(["ward_id"], ["ward.id"], name=op.f("fk_par_item_ward_id_ward")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_item")),
        sa.UniqueConstraint(
            "assessment_id", "criterion_id", name=op.f("uq_par_item_assessment_id_criterion_id")
        ),
    )
    with op.batch_alter_table("par_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_par_item_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_par_item_criterion_id"), ["criterion_id"], unique=False
        )
        batch_op.create_index("ix_par_item_unit", ["ward_id", "responsible_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_par_item_ward_id"), ["ward_id"], unique=False)

    op.create_table(
        "par_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=32), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=128), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("task_code", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["par_item.id"],
            name=op.f("fk_par_evidence_item_id_par_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.id"], name=op.f("fk_par_evidence_ward_id_ward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_evidence")),
        sa.UniqueConstraint("public_key", name=op.f("uq_par_evidence_public_key")),
    )
    with op.batch_alter_table("par_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_par_evidence_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_par_evidence_ward_id"), ["ward_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("par_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_par_evidence_ward_id"))
        batch_op.drop_index(batch_op.f("ix_par_evidence_item_id"))

    op.drop_table("par_evidence")
    with op.batch_alter_table("par_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_par_item_ward_id"))
        batch_op.drop_index("ix_par_item_unit")
        batch_op.drop_index(batch_op.f("ix_par_item_criterion_id"))
        batch_op.drop_index(batch_op.f("ix_par_item_assessment_id"))

    op.drop_table("par_item")
    with op.batch_alter_table("par_criterion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_par_criterion_sort_key"))
        batch_op.drop_index(batch_op.f("ix_par_criterion_framework_id"))

    op.drop_table("par_criterion")
    with op.batch_alter_table("par_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_par_assessment_ward_id"))
        batch_op.drop_index(batch_op.f("ix_par_assessment_framework_id"))

    op.drop_table("par_assessment")
    with op.batch_alter_table("par_framework", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_par_framework_year"))

    op.drop_table("par_framework")
