"""consolidated report: PDF kept with each final version; indicator name without the doubled wording

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

The per-domain indicator was named "… đúng hạn trong từng lĩnh vực" while the pages add the tag
"từng lĩnh vực" to every indicator tracked per domain, which printed "trong từng lĩnh vực từng lĩnh
vực". Rows still carrying the seeded wording are renamed; a name someone has edited is left alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (old, new) indicator names, exactly as the seed data wrote them before and after the fix.
RENAMES: list[tuple[str, str]] = [
    (
        "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn trong từng lĩnh vực",
        "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn",
    ),
]

indicator = sa.table("indicator", sa.column("name", sa.String), sa.column("version", sa.Integer))


def _rename(pairs: list[tuple[str, str]]) -> None:
    """The version moves on, so an editor holding the old name gets 409, not a silent undo."""
    for old, new in pairs:
        op.execute(
            indicator.update()
            .where(indicator.c.name == old)
            .values(name=new, version=indicator.c.version + 1)
        )


def upgrade() -> None:
    with op.batch_alter_table("report_snapshot") as batch:
        batch.add_column(sa.Column("pdf", sa.LargeBinary(), nullable=True))
    _rename(RENAMES)


def downgrade() -> None:
    _rename([(new, old) for old, new in RENAMES])
    with op.batch_alter_table("report_snapshot") as batch:
        batch.drop_column("pdf")
