"""The registers: inspections and their findings, socio-economic targets, public investment and
budget revenue

One table each, every row a ward's (ward_id, code unique in the ward), answering to one unit.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 11:00:25.830123+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspection",
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
        sa.Column("inspected", sa.String(length=255), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("conclusion", sa.String(length=255), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_inspection_unit_id_unit")),
        sa.ForeignKeyConstraint(["ward_id"], ["ward.id"], name=op.f("fk_inspection_ward_id_ward")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection")),
        sa.UniqueConstraint("ward_id", "code", name=op.f("uq_inspection_ward_id_code")),
    )
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_planned_on"), ["planned_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_ward_id"), ["ward_id"], unique=False)

    op.create_table(
        "inspection_finding",
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
        sa.Column("inspection", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("escalated_for", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_inspection_finding_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.id"], name=op.f("fk_inspection_finding_ward_id_ward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_finding")),
        sa.UniqueConstraint("ward_id", "code", name=op.f("uq_inspection_finding_ward_id_code")),
    )
    with op.batch_alter_table("inspection_finding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_finding_deadline"), ["deadline"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inspection_finding_inspection"), ["inspection"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inspection_finding_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inspection_finding_unit_id"), ["unit_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inspection_finding_ward_id"), ["ward_id"], unique=False
        )

    op.create_table(
        "investment_item",
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
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=255), nullable=False),
        sa.Column("planned", sa.Float(), nullable=False),
        sa.Column("monthly", sa.JSON(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("difficulties", sa.Text(), nullable=False),
        sa.Column("proposals", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_investment_item_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.id"], name=op.f("fk_investment_item_ward_id_ward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_item")),
        sa.UniqueConstraint("ward_id", "code", name=op.f("uq_investment_item_ward_id_code")),
    )
    with op.batch_alter_table("investment_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_investment_item_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_investment_item_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_investment_item_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_investment_item_ward_id"), ["ward_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_investment_item_year"), ["year"], unique=False)

    op.create_table(
        "socioeconomic_target",
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
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("resolution", sa.String(length=255), nullable=False),
        sa.Column("measure", sa.String(length=64), nullable=False),
        sa.Column("plan_value", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("aggregation", sa.String(length=16), nullable=False),
        sa.Column("actuals", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_socioeconomic_target_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.id"], name=op.f("fk_socioeconomic_target_ward_id_ward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_socioeconomic_target")),
        sa.UniqueConstraint("ward_id", "code", name=op.f("uq_socioeconomic_target_ward_id_code")),
    )
    with op.batch_alter_table("socioeconomic_target", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_socioeconomic_target_unit_id"), ["unit_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_socioeconomic_target_ward_id"), ["ward_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_socioeconomic_target_year"), ["year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("socioeconomic_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_socioeconomic_target_year"))
        batch_op.drop_index(batch_op.f("ix_socioeconomic_target_ward_id"))
        batch_op.drop_index(batch_op.f("ix_socioeconomic_target_unit_id"))

    op.drop_table("socioeconomic_target")
    with op.batch_alter_table("investment_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_item_year"))
        batch_op.drop_index(batch_op.f("ix_investment_item_ward_id"))
        batch_op.drop_index(batch_op.f("ix_investment_item_unit_id"))
        batch_op.drop_index(batch_op.f("ix_investment_item_state"))
        batch_op.drop_index(batch_op.f("ix_investment_item_kind"))

    op.drop_table("investment_item")
    with op.batch_alter_table("inspection_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_finding_ward_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_finding_unit_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_finding_state"))
        batch_op.drop_index(batch_op.f("ix_inspection_finding_inspection"))
        batch_op.drop_index(batch_op.f("ix_inspection_finding_deadline"))

    op.drop_table("inspection_finding")
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_ward_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_unit_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_state"))
        batch_op.drop_index(batch_op.f("ix_inspection_planned_on"))

    op.drop_table("inspection")
