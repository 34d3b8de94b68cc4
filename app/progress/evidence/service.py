"""Evidence for a task's update: attach a file or a link, list, remove, open for download.

One layer for the workspace page, the review page and the JSON API. Writes follow the progress
update's rules (the unit's own data, an active task assigned to it, a period of the plan, a report
still open) and are audited as entity ``evidence``; a file is stored before its row is committed
and removed again if the commit fails, so neither a row without a file nor a file without a row
is left behind by a refusal.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.config import Settings
from app.errors import AppError, Conflict, Invalid, NotFound
from app.kpis.lookups import Lookups
from app.periods import Granularity, Period
from app.permissions import Permission, authorize, authorize_read, readable_unit
from app.plans import service as plan_service
from app.plans.models import Assignment
from app.progress.evidence import files
from app.progress.evidence.models import (
    EvidenceItem,
    EvidenceKind,
    EvidenceLinkCreate,
    EvidenceRead,
)
from app.progress.evidence.store import EvidenceStore, EvidenceStoreUnavailable
from app.progress.models import ProgressStatus
from app.progress.service import evidence_count, find_progress, is_monthly
from app.units import service as unit_service
from app.units.models import Unit

API_DOWNLOAD = "/api/v1/evidence/{key}"
log = logging.getLogger(__name__)

_CHUNK = 64 * 1024
#: Bytes kept in memory while a file is checked; the rest spills to a temporary file.
_SPOOL_IN_MEMORY = 1024 * 1024


@dataclass(frozen=True)
class EvidenceLimits:
    """The settings that bound what may be attached."""

    max_bytes: int
    allowed_kinds: tuple[str, ...]
    max_per_task: int

    @classmethod
    def of(cls, settings: Settings) -> EvidenceLimits:
        return cls(
            max_bytes=settings.evidence_max_bytes,
            allowed_kinds=tuple(settings.evidence_allowed_kinds),
            max_per_task=settings.evidence_max_per_task,
        )


class EvidenceTooLarge(AppError):
    """413 that states the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            message=f"Tệp minh chứng quá lớn: tối đa {files.size_vi(limit)}. Hãy nén hoặc chia "
            "nhỏ tệp, hoặc đưa tệp lên trang thông tin rồi thêm liên kết.",
            code="file_too_large",
            status_code=413,
        )


@dataclass(frozen=True)
class Target:
    """The task, unit and period an item belongs to, resolved and checked."""

    plan_id: int
    assignment: Assignment
    unit: Unit
    period: str

    @property
    def key(self) -> tuple[int, int, str]:
        assert self.assignment.id is not None and self.unit.id is not None
        return (self.assignment.id, self.unit.id, self.period)


def _read(item: EvidenceItem, task: str, unit: str) -> EvidenceRead:
    return EvidenceRead(
        key=item.public_key,
        task=task,
        unit=unit,
        period=item.period,
        kind=EvidenceKind(item.kind),
        filename=item.filename,
        content_type=item.content_type,
        size=item.size,
        sha256=item.sha256,
        url=item.url,
        note=item.note,
        uploaded_by=item.uploaded_by,
        created_at=item.created_at,
        download_url=API_DOWNLOAD.format(key=item.public_key)
        if item.kind == EvidenceKind.FILE
        else "",
    )


def _writable(
    *, db_session: Session, actor: Actor, clock: Clock, unit: str, period: str, task: str
) -> Target:
    """The checks of a progress write, in its order: a refusal reads as the update's would."""
    authorize(actor, Permission.DATA_WRITE, unit_code=unit)
    lookups = Lookups(db_session=db_session, clock=clock)
    plan = lookups.plan(None)
    assignment = lookups.assignment(plan, task)
    unit_row = lookups.unit(unit)
    unit_service.ensure_active(unit_row)
    if not assignment.active:
        raise Invalid.one(
            "assignment",
            "assignment_inactive",
            f"Nhiệm vụ {assignment.code} đã ngừng theo dõi: không nhận minh chứng mới.",
        )
    if not lookups.applies_to(assignment, unit_row):
        raise Invalid.one(
            "unit",
            "not_assigned",
            f"Đơn vị “{unit_row.code}” không chủ trì, không phối hợp nhiệm vụ {assignment.code}.",
        )
    resolved = lookups.period(plan, period, monthly=is_monthly(assignment))
    if is_monthly(assignment) and Period.parse(resolved).granularity is not Granularity.MONTH:
        raise Invalid.one(
            "period",
            "monthly_task",
            f"Nhiệm vụ {assignment.code} báo cáo định kỳ hằng tháng: đính kèm minh chứng trên "
            "trang của từng tháng.",
        )
    lookups.ensure_open(plan, unit_row, resolved)
    assert plan.id is not None
    return Target(plan.id, assignment, unit_row, resolved)


def _ensure_room(db_session: Session, target: Target, limits: EvidenceLimits) -> None:
    if evidence_count(db_session=db_session, key=target.key) >= limits.max_per_task:
        raise Invalid.one(
            "file",
            "too_many_files",
            f"Mỗi nhiệm vụ có tối đa {limits.max_per_task} minh chứng mỗi kỳ; hãy gỡ bớt tệp "
            "hoặc liên kết cũ trước khi thêm.",
        )


@contextmanager
def spooled(stream: IO[bytes], limit: int) -> Iterator[tuple[IO[bytes], int, str]]:
    """The stream copied to a spool (at most a megabyte in memory), counted and hashed as it is
    read; refused (413) the moment it passes ``limit``, and the spool gone whatever happens."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        digest = hashlib.sha256()
        size = 0
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise EvidenceTooLarge(limit)
            digest.update(chunk)
            spool.write(chunk)
        spool.seek(0)
        yield spool, size, digest.hexdigest()
    finally:
        spool.close()


def checked_kind(spool: IO[bytes], filename: str, limits: EvidenceLimits) -> files.FileKind:
    allowed = files.allowed_text(list(limits.allowed_kinds))
    named = files.kind_of_extension(filename)
    if named is None or named.name not in limits.allowed_kinds:
        raise Invalid.one(
            "file",
            "file_type_not_allowed",
            f"Không nhận tệp “{filename}”: chỉ đính kèm được {allowed}.",
        )
    found = files.sniff(spool)
    if found is None or found not in limits.allowed_kinds:
        raise Invalid.one(
            "file",
            "file_content_not_allowed",
            f"Nội dung tệp “{filename}” không phải {named.label} như tên tệp cho biết (tệp "
            f"hỏng, hoặc bị đổi đuôi). Chỉ đính kèm được {allowed}.",
        )
    if found != named.name:
        raise Invalid.one(
            "file",
            "file_extension_mismatch",
            f"Tệp “{filename}” có đuôi {', '.join(named.extensions)} nhưng nội dung là "
            f"{files.KINDS[found].label}: hãy đặt lại tên tệp với đuôi "
            f"{files.KINDS[found].extensions[0]} rồi đính kèm lại.",
        )
    return named


@dataclass(frozen=True)
class StoredFile:
    """An evidence file checked and in the store, for its row to name."""

    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str


@contextmanager
def stored_file(
    stream: IO[bytes], filename: str, *, store: EvidenceStore, limits: EvidenceLimits
) -> Iterator[StoredFile]:
    """The file checked (its size; its kind read from its bytes, agreeing with its name) and put
    in the store; when the block that records its row fails, the bytes leave the store again:
    a refusal leaves neither a row without a file nor a file without a row. A task's evidence
    and a PAR criterion's are stored by this one function."""
    name = files.clean_filename(filename)
    with spooled(stream, limits.max_bytes) as (spool, size, sha256):
        if size == 0:
            raise Invalid.one("file", "file_empty", f"Tệp “{name}” rỗng (0 byte).")
        kind = checked_kind(spool, name, limits)
        storage_key = store.put(spool)
    try:
        yield StoredFile(name, kind.content_type, size, sha256, storage_key)
    except BaseException:
        _forget(store, storage_key)  # the row's error is the answer, not the store's
        raise


def attach_file(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    store: EvidenceStore,
    limits: EvidenceLimits,
    unit: str,
    period: str,
    task: str,
    stream: IO[bytes],
    filename: str,
    note: str = "",
) -> EvidenceRead:
    """Store a file as evidence of the unit's update on a task (before or after the update
    itself is saved); its kind is read from its bytes and must agree with its name."""
    target = _writable(
        db_session=db_session, actor=actor, clock=clock, unit=unit, period=period, task=task
    )
    _ensure_room(db_session, target, limits)
    with stored_file(stream, filename, store=store, limits=limits) as stored:
        item = EvidenceItem(
            public_key=secrets.token_urlsafe(18),
            plan_id=target.plan_id,
            assignment_id=target.key[0],
            unit_id=target.key[1],
            period=target.period,
            kind=EvidenceKind.FILE,
            filename=stored.filename,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            storage_key=stored.storage_key,
            note=files.clean_note(note),
            uploaded_by=actor.username,
            created_at=clock.now(),
        )
        return _commit_new(db_session, actor, clock, target, item)


def attach_link(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    limits: EvidenceLimits,
    unit: str,
    period: str,
    task: str,
    data: EvidenceLinkCreate,
) -> EvidenceRead:
    """A link to a document published elsewhere, as evidence of the update (http/https)."""
    target = _writable(
        db_session=db_session, actor=actor, clock=clock, unit=unit, period=period, task=task
    )
    _ensure_room(db_session, target, limits)
    url = str(data.url)
    if data.url.scheme not in ("http", "https"):
        raise Invalid.one("url", "url_scheme", "Liên kết phải bắt đầu bằng http:// hoặc https://.")
    item = EvidenceItem(
        public_key=secrets.token_urlsafe(18),
        plan_id=target.plan_id,
        assignment_id=target.key[0],
        unit_id=target.key[1],
        period=target.period,
        kind=EvidenceKind.LINK,
        url=url,
        note=data.note,
        uploaded_by=actor.username,
        created_at=clock.now(),
    )
    return _commit_new(db_session, actor, clock, target, item)


def _commit_new(
    db_session: Session, actor: Actor, clock: Clock, target: Target, item: EvidenceItem
) -> EvidenceRead:
    try:
        db_session.add(item)
        db_session.flush()
        read = _read(item, target.assignment.code, target.unit.code)
        audit.record(
            db_session=db_session,
            actor=actor,
            action=AuditAction.CREATE,
            entity="evidence",
            key=f"{read.task}/{read.unit}/{read.period}/{read.key}",
            after=read,
            clock=clock,
        )
        db_session.commit()
    except BaseException:
        db_session.rollback()
        raise
    return read


def _find(db_session: Session, key: str) -> tuple[EvidenceItem, str, str] | None:
    if not key or len(key) > 32 or "\x00" in key:
        return None
    row = db_session.exec(
        select(EvidenceItem, Assignment.code, Unit.code)
        .join(Assignment, col(Assignment.id) == EvidenceItem.assignment_id)
        .join(Unit, col(Unit.id) == EvidenceItem.unit_id)
        .where(EvidenceItem.public_key == key)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def _not_found() -> NotFound:
    return NotFound("Không tìm thấy minh chứng này (có thể đã bị gỡ).", code="evidence_not_found")


def _visible(db_session: Session, actor: Actor, key: str) -> tuple[EvidenceItem, str, str]:
    """The item if the actor may read its unit's report; otherwise the same 404 as a key that
    does not exist, so keys cannot be probed."""
    found = _find(db_session, key)
    own = readable_unit(actor)
    if found is None or (own is not None and found[2] != own):
        raise _not_found()
    return found


def remove(
    *, db_session: Session, actor: Actor, clock: Clock, store: EvidenceStore, key: str
) -> EvidenceRead:
    """Remove an item (the file goes too, after the commit); refused for a report that is sent
    or approved, and for the last evidence of a task marked done whose plan names a product."""
    item, task, unit = _visible(db_session, actor, key)
    target = _writable(
        db_session=db_session, actor=actor, clock=clock, unit=unit, period=item.period, task=task
    )
    update = find_progress(db_session=db_session, keys=[target.key]).get(target.key)
    product = (target.assignment.expected_product or "").strip()
    if (
        update is not None
        and update.status == ProgressStatus.DONE
        and product
        and not update.evidence.strip()
        and evidence_count(db_session=db_session, key=target.key) <= 1
    ):
        db_session.rollback()
        raise Conflict(
            f"Không gỡ được minh chứng cuối cùng của nhiệm vụ {task} đã đánh dấu hoàn thành: kế "
            f"hoạch yêu cầu sản phẩm “{product}”. Hãy đính kèm minh chứng khác trước, hoặc đổi "
            "tình trạng nhiệm vụ.",
            code="last_evidence",
        )
    before = _read(item, task, unit)
    try:
        db_session.delete(item)
        audit.record(
            db_session=db_session,
            actor=actor,
            action=AuditAction.DELETE,
            entity="evidence",
            key=f"{task}/{unit}/{item.period}/{item.public_key}",
            before=before,
            clock=clock,
        )
        db_session.commit()
    except BaseException:
        db_session.rollback()
        raise
    if item.storage_key:
        _forget(store, item.storage_key)
    return before


def _forget(store: EvidenceStore, storage_key: str) -> None:
    """Delete stored bytes no row names (any more). A store that is down then leaves them behind,
    logged: the item is already gone (or never was), so telling the officer it failed would be
    false."""
    try:
        store.delete(storage_key)
    except EvidenceStoreUnavailable:
        log.warning("evidence %s left in the store: it was unreachable to delete", storage_key)


def list_for_period(
    *, db_session: Session, actor: Actor, unit: str, period: str
) -> dict[str, list[EvidenceRead]]:
    """Every item of the unit's updates for the period, by task code, oldest first."""
    authorize_read(actor, unit)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit)
    rows = db_session.exec(
        select(EvidenceItem, Assignment.code)
        .join(Assignment, col(Assignment.id) == EvidenceItem.assignment_id)
        .where(EvidenceItem.unit_id == unit_row.id, EvidenceItem.period == period)
        .order_by(col(EvidenceItem.created_at), col(EvidenceItem.id))
    ).all()
    found: dict[str, list[EvidenceRead]] = {}
    for item, task in rows:
        found.setdefault(task, []).append(_read(item, task, unit_row.code))
    return found


def list_for_task(
    *, db_session: Session, actor: Actor, unit: str, period: str, task: str
) -> list[EvidenceRead]:
    """The items of one task's update (404 for a task the plan does not have)."""
    authorize_read(actor, unit)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    plan_service.get_assignment(db_session=db_session, plan=plan, code=task)
    return list_for_period(db_session=db_session, actor=actor, unit=unit, period=period).get(
        task, []
    )


@dataclass
class Download:
    item: EvidenceRead
    stream: IO[bytes]

    @property
    def inline(self) -> bool:
        kind = next(
            (k for k in files.KINDS.values() if k.content_type == self.item.content_type), None
        )
        return kind is not None and kind.inline


def open_download(*, db_session: Session, actor: Actor, store: EvidenceStore, key: str) -> Download:
    """The stored file, for a user who may read that unit's report (404 for anyone else)."""
    item, task, unit = _visible(db_session, actor, key)
    if item.kind != EvidenceKind.FILE:
        raise _not_found()
    read = _read(item, task, unit)
    return Download(read, store.open(item.storage_key))
