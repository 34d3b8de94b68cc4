"""Saving and reading profiles: the shipped ones (``profile_data/``) and this database's,
which win under the same code; every change authorised, audited and committed."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from app import tenancy
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, NotFound
from app.imports.profiles.mapping import Profile, known_names
from app.imports.profiles.models import (
    PROFILE_DATA,
    ImportProfile,
    ProfileCreate,
    ProfileRead,
    ProfileSpec,
    ProfileUpdate,
    fold,
)
from app.permissions import Permission


def _shipped() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(PROFILE_DATA.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["code"]] = data
    return found


def _read_shipped(data: dict[str, Any]) -> ProfileRead:
    return ProfileRead(
        code=data["code"],
        name=data["name"],
        description=data.get("description", ""),
        kind=data["spec"].get("kind", "dossiers"),
        spec=ProfileSpec.model_validate(data["spec"]),
        version=0,
        shipped=True,
        edited=False,
    )


def _read_row(row: ImportProfile, shipped: bool) -> ProfileRead:
    return ProfileRead(
        code=row.code,
        name=row.name,
        description=row.description,
        kind=row.kind,
        spec=ProfileSpec.model_validate(row.spec),
        version=row.version,
        shipped=shipped,
        edited=True,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _row(db_session: Session, code: str) -> ImportProfile | None:
    return db_session.exec(select(ImportProfile).where(ImportProfile.code == code)).first()


def list_profiles(*, db_session: Session) -> list[ProfileRead]:
    """Saved profiles, and the shipped ones nobody has edited, by name."""
    shipped = _shipped()
    rows = db_session.exec(select(ImportProfile)).all()
    saved = {r.code: _read_row(r, r.code in shipped) for r in rows}
    every = saved | {c: _read_shipped(d) for c, d in shipped.items() if c not in saved}
    return sorted(every.values(), key=lambda p: fold(p.name))


def get_profile(*, db_session: Session, code: str) -> ProfileRead:
    row = _row(db_session, code)
    shipped = _shipped()
    if row is not None:
        return _read_row(row, code in shipped)
    if code in shipped:
        return _read_shipped(shipped[code])
    raise NotFound(f"Không có hồ sơ ánh xạ mã “{code}”.", code="profile_not_found")


def create_profile(
    *, db_session: Session, actor: Actor, clock: Clock, data: ProfileCreate
) -> ProfileRead:
    tenancy.authorize_shared(db_session, actor, Permission.PLAN_WRITE)
    if _row(db_session, data.code) is not None or data.code in _shipped():
        raise Conflict(
            f"Hồ sơ ánh xạ mã “{data.code}” đã có.",
            code="profile_exists",
            errors=[FieldError("code", "duplicate", "Mã hồ sơ ánh xạ đã được dùng.")],
        )
    now = clock.now()
    row = ImportProfile(
        code=data.code,
        name=data.name,
        description=data.description,
        kind=data.spec.kind,
        spec=data.spec.model_dump(mode="json"),
        created_at=now,
        updated_at=now,
        updated_by=actor.username,
    )
    db_session.add(row)
    db_session.flush()
    after = _read_row(row, False)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="import_profile",
        key=row.code,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def update_profile(
    *, db_session: Session, actor: Actor, clock: Clock, code: str, data: ProfileUpdate
) -> ProfileRead:
    """Save a profile; a shipped one is saved as this database's copy under the same code."""
    tenancy.authorize_shared(db_session, actor, Permission.PLAN_WRITE)
    before = get_profile(db_session=db_session, code=code)
    if data.version is not None and data.version != before.version:
        raise Conflict(
            f"Hồ sơ ánh xạ “{before.name}” vừa được người khác sửa (phiên bản {before.version}); "
            "hãy tải lại trang rồi sửa lại.",
            code="stale_version",
            errors=[FieldError("version", "stale", "Phiên bản đã cũ.")],
        )
    row = _row(db_session, code)
    now = clock.now()
    if row is None:
        row = ImportProfile(
            code=code,
            name=before.name,
            description=before.description,
            kind=before.kind,
            spec=before.spec.model_dump(mode="json"),
            version=0,
            created_at=now,
            updated_at=now,
        )
        db_session.add(row)
    if data.name is not None:
        row.name = data.name
    if data.description is not None:
        row.description = data.description
    if data.spec is not None:
        row.kind = data.spec.kind
        row.spec = data.spec.model_dump(mode="json")
    row.version += 1
    row.updated_at = now
    row.updated_by = actor.username
    db_session.flush()
    after = _read_row(row, before.shipped)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="import_profile",
        key=code,
        before=before,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def delete_profile(*, db_session: Session, actor: Actor, clock: Clock, code: str) -> None:
    """Delete a saved profile; for a shipped one this brings back the version partrack ships."""
    tenancy.authorize_shared(db_session, actor, Permission.PLAN_WRITE)
    row = _row(db_session, code)
    if row is None:
        if code in _shipped():
            raise Conflict(
                "Hồ sơ ánh xạ đi kèm partrack không xóa được; sửa nó nếu cần.",
                code="profile_shipped",
            )
        raise NotFound(f"Không có hồ sơ ánh xạ mã “{code}”.", code="profile_not_found")
    before = _read_row(row, code in _shipped())
    db_session.delete(row)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.DELETE,
        entity="import_profile",
        key=code,
        before=before,
        clock=clock,
    )
    db_session.commit()


def load(*, db_session: Session, code: str) -> Profile:
    return Profile(get_profile(db_session=db_session, code=code), known_names(db_session))
