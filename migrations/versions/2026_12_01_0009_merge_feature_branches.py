"""merge the feature branches (scores, integration, SIPAS, reports, reminders) into one head

Revision ID: 0009
Revises: 0004, 0005, 0006, 0007, 0008
Create Date: 2026-12-01 22:52:00+00:00
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | Sequence[str] | None = ("0004", "0005", "0006", "0007", "0008")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to do: the branches create disjoint tables on top of 0003."""


def downgrade() -> None:
    """Nothing to undo here; each branch's own downgrade removes its tables."""
