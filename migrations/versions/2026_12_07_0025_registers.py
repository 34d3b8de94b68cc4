"""The registers: conclusions and assigned tasks, reform initiatives and models, training courses

One table each, every row a ward's (ward_id, code unique in the ward), answering to one unit.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 08:16:19.409430+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("task_codes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("document", sa.String(length=255), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("escalated_for", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_conclusion_unit_id_unit")),
        sa.ForeignKeyConstraint(["ward_id"], ["ward.id"], name=op.f("fk_conclusion_ward_id_ward")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conclusion")),
        sa.UniqueConstraint("ward_id", "code", name=op.f("uq_conclusion_ward_id_code")),
    )
    with op.batch_alter_table("conclusion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conclusion_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_conclusion_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_conclusion_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conclusion_ward_id"), ["ward_id"], unique=False)

    op.create_table(
        "initiative",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("task_codes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("proposer", sa.String(length=255), nullable=False),
        sa.Column("par_area", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=True),
        sa.Column("recognized_on", sa.Date(), nullable=True),
        sa.Column("decision", sa.String(length=255), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_initiative_unit_id_unit")),
        sa.ForeignKeyConstraint(["ward_id"], ["ward.id"], name=op.f("fk_initiative_ward_id_ward")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative")),
        sa.UniqueConstraint("ward_id", "code", name=op.f("uq_initiative_ward_id_code")),
    )
    with op.batch_alter_table("initiative", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_initiative_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_initiative_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_initiative_ward_id"), ["ward_id"], unique=False)

    op.create_table(
        "training_course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("task_codes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("organiser", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_training_course_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.id"], name=op.f("fk_training_course_ward_id_ward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_course")),
        sa.UniqueConstraint("ward_id", "code", name=op.f("uq_training_course_ward_id_code")),
    )
    with op.batch_alter_table("training_course", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_course_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_course_ward_id"), ["ward_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("training_course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_course_ward_id"))
        batch_op.drop_index(batch_op.f("ix_training_course_unit_id"))

    op.drop_table("training_course")
    with op.batch_alter_table("initiative", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_initiative_ward_id"))
        batch_op.drop_index(batch_op.f("ix_initiative_unit_id"))
        batch_op.drop_index(batch_op.f("ix_initiative_state"))

    op.drop_table("initiative")
    with op.batch_alter_table("conclusion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conclusion_ward_id"))
        batch_op.drop_index(batch_op.f("ix_conclusion_unit_id"))
        batch_op.drop_index(batch_op.f("ix_conclusion_state"))
        batch_op.drop_index(batch_op.f("ix_conclusion_deadline"))

    op.drop_table("conclusion")
