"""The ward a benchmark's accounts work in: the one the database has, or a new one.

Every account of a ward role belongs to a ward (issue #20); a benchmark that creates its users
directly must give them one, or each request is refused with ``no_ward``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.wards.models import Ward


def bench_ward_id(session: Session) -> int:
    found = session.exec(select(Ward.id).order_by(col(Ward.id))).first()
    if found is not None:
        return found
    now = datetime.now(UTC)
    ward = Ward(code="bench", name="Phường Bench", created_at=now, updated_at=now)
    session.add(ward)
    session.flush()
    assert ward.id is not None
    return ward.id
