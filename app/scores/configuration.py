"""The scoring rules in force: the shipped file, unless an administrator has replaced them.

Changing a weight must never need a release, but it must always leave a trace: every change is a
new ``scoring_config_override`` row plus an audit event, and the configuration carries a
``version`` label that no other set of numbers may reuse.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import tenancy
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError
from app.permissions import Permission
from app.scores.models import (
    ScoringConfigChange,
    ScoringConfigOverride,
    ScoringConfigRead,
    ScoringConfigReset,
    ScoringConfigWrite,
)
from app.scoring.config import ScoringConfig, load_default_config, parse_config

AUDIT_ENTITY = "scoring_config"


def _latest(db_session: Session) -> ScoringConfigOverride | None:
    return db_session.exec(
        select(ScoringConfigOverride).order_by(col(ScoringConfigOverride.id).desc()).limit(1)
    ).first()


def _config_of(row: ScoringConfigOverride | None) -> ScoringConfig:
    if row is None or row.config is None:
        return load_default_config()
    return parse_config(data=row.config)


def effective_config(*, db_session: Session) -> tuple[ScoringConfig, ScoringConfigRead]:
    """The configuration every score of this request uses, and how to describe where it is from."""
    row = _latest(db_session)
    config = _config_of(row)
    read = ScoringConfigRead(
        source="override" if row is not None and row.config is not None else "file",
        config=config,
        changed_at=row.created_at if row is not None else None,
        changed_by=row.created_by if row is not None else None,
        note=row.note if row is not None else "",
    )
    return config, read


def get_config(*, db_session: Session) -> ScoringConfigRead:
    """Anyone who may see a score may see the rules that made it."""
    return effective_config(db_session=db_session)[1]


def _check_base(current: ScoringConfig, base_version: str | None) -> None:
    if base_version is not None and base_version != current.version:
        raise Conflict(
            f"Cấu hình chấm điểm vừa được đổi sang phiên bản “{current.version}” "
            f"(bạn sửa từ “{base_version}”). Hãy tải lại để xem trước khi lưu.",
            code="stale_version",
            errors=[FieldError("base_version", "stale_version", "Phiên bản đã cũ.")],
        )


def _version_taken(db_session: Session, version: str) -> bool:
    if version == load_default_config().version:
        return True
    found = db_session.exec(
        select(func.count())
        .select_from(ScoringConfigOverride)
        .where(ScoringConfigOverride.version == version)
    ).one()
    return found > 0


def _store(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    before: ScoringConfigRead,
    config: dict[str, Any] | None,
    version: str | None,
    note: str,
) -> ScoringConfigRead:
    row = ScoringConfigOverride(
        version=version, config=config, note=note, created_at=clock.now(), created_by=actor.username
    )
    db_session.add(row)
    try:
        db_session.flush()
    except IntegrityError as exc:
        db_session.rollback()
        raise _taken(version or "") from exc
    after = effective_config(db_session=db_session)[1]
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity=AUDIT_ENTITY,
        key=after.config.version,
        before=before,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def _taken(version: str) -> Conflict:
    return Conflict(
        f"Số hiệu phiên bản “{version}” đã được dùng cho một cấu hình khác. "
        "Mỗi lần đổi cấu hình cần một số hiệu mới (ví dụ 2026.1) để điểm cũ vẫn giải thích được.",
        code="version_taken",
        errors=[FieldError("config.version", "version_taken", "Số hiệu phiên bản đã được dùng.")],
    )


def set_config(
    *, db_session: Session, actor: Actor, clock: Clock, data: ScoringConfigWrite
) -> ScoringConfigRead:
    """Put a new configuration in force (admins), under a version label never used before."""
    tenancy.authorize_shared(db_session, actor, Permission.USERS_MANAGE)
    current, before = effective_config(db_session=db_session)
    _check_base(current, data.base_version)
    if _version_taken(db_session, data.config.version):
        raise _taken(data.config.version)
    return _store(
        db_session=db_session,
        actor=actor,
        clock=clock,
        before=before,
        config=data.config.model_dump(mode="json"),
        version=data.config.version,
        note=data.note,
    )


def reset_config(
    *, db_session: Session, actor: Actor, clock: Clock, data: ScoringConfigReset
) -> ScoringConfigRead:
    """Go back to the shipped file (admins); a no-op, without an audit row, if already there."""
    tenancy.authorize_shared(db_session, actor, Permission.USERS_MANAGE)
    current, before = effective_config(db_session=db_session)
    _check_base(current, data.base_version)
    if before.source == "file":
        return before
    return _store(
        db_session=db_session,
        actor=actor,
        clock=clock,
        before=before,
        config=None,
        version=None,
        note=data.note,
    )


def history(
    *, db_session: Session, limit: int, offset: int
) -> tuple[list[ScoringConfigChange], int]:
    """Every change of the rules, newest first, each with the full configuration it put in force."""
    total = db_session.exec(select(func.count()).select_from(ScoringConfigOverride)).one()
    rows = db_session.exec(
        select(ScoringConfigOverride)
        .order_by(col(ScoringConfigOverride.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    items = []
    for row in rows:
        assert row.id is not None
        config = _config_of(row)
        items.append(
            ScoringConfigChange(
                id=row.id,
                source="override" if row.config is not None else "file",
                version=config.version,
                config=config,
                note=row.note,
                created_at=row.created_at,
                created_by=row.created_by,
            )
        )
    return items, total
