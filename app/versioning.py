"""Optimistic concurrency: every editable row carries a ``version``, and a write names the version
it was made from, so that nobody silently overwrites a change they never saw (a 409 instead).

Readings, progress reports, tasks, rules and coordination replies all follow the same three steps:
decide what the write does (``WriteAction``), refuse a stale copy early (``check_version``), and
claim the next version in the database as the row is written (``claim_version``, or
``update_versioned`` for the whole update), because only the database sees two requests that read
the same version at the same moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import update
from sqlmodel import Session, SQLModel

from app.db import table_of
from app.errors import Conflict, FieldError


class WriteAction(StrEnum):
    """What a validated write will do; ``UNCHANGED`` writes nothing at all (no audit row)."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


class Versioned(Protocol):
    """A row that carries a version and the moment it last changed."""

    id: int | None
    version: int
    updated_at: datetime


def _stale(message: str) -> Conflict:
    return Conflict(
        message,
        code="stale_version",
        errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
    )


def check_version(*, current: int, expected: int | None, what: str) -> None:
    """Refuse an update made from a stale copy: no silent overwrite of someone else's change."""
    if expected is not None and expected != current:
        raise _stale(
            f"{what} đã được người khác sửa (phiên bản hiện tại {current}, bạn gửi {expected}). "
            "Hãy tải lại để xem thay đổi rồi nhập lại."
        )


def claim_version(
    *,
    db_session: Session,
    model: type[SQLModel],
    row_id: int | None,
    seen: int,
    message: str,
    rollback: bool = True,
) -> int:
    """Move a row from version ``seen`` to the next one, or 409 if someone got there first.

    A compare-and-set in the database, because ``SELECT … FOR UPDATE`` locks nothing on SQLite:
    two requests that both read version 1 must not both write version 2.
    """
    columns = table_of(model).c
    claimed = db_session.exec(
        update(model)
        .where(columns.id == row_id, columns.version == seen)
        .values(version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        if rollback:  # a batch in progress is the caller's to roll back
            db_session.rollback()
        raise _stale(message)
    return seen + 1


def update_versioned(
    *,
    db_session: Session,
    model: type[SQLModel],
    row: Versioned,
    changes: Mapping[str, object],
    now: datetime,
    message: str,
    rollback: bool = True,
) -> None:
    """Claim the row's next version, then apply the changes and stamp the moment.

    The claim comes first, so a lost race raises before the row is touched; the caller audits
    the row as it was and as it is, and flushes or commits.
    """
    row.version = claim_version(
        db_session=db_session,
        model=model,
        row_id=row.id,
        seen=row.version,
        message=message,
        rollback=rollback,
    )
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = now
    db_session.add(row)
