"""The ``import_batch`` row that stands for the rows one import creates, and its audit event.

An import of 100,000 rows writes one audit event, not 100,000: the rows name their batch, and
the batch records who sent which file (its fingerprint), when, and what it did.
"""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.uploads.files import Upload
from app.uploads.models import ImportBatch


class Batched(Protocol):
    """The importer as the batch sees it."""

    kind: str
    actor: Actor
    clock: Clock
    batch_id: int | None


class Counts(Protocol):
    """The summary as the batch sees it."""

    created: int
    updated: int
    unchanged: int
    rejected: int


def open_batch(db_session: Session, importer: Batched, upload: Upload, *, partial: bool) -> int:
    """The batch row the new rows will name, in the import's own transaction."""
    actor = importer.actor
    batch = ImportBatch(
        kind=importer.kind,
        at=importer.clock.now(),
        actor_username=actor.username,
        actor_user_id=actor.user_id,
        ward_id=actor.ward_id,
        ip=actor.ip[:64],
        filename=upload.filename[:255],
        partial=partial,
    )
    db_session.add(batch)
    db_session.flush()
    assert batch.id is not None
    return batch.id


def close_batch(db_session: Session, importer: Batched, upload: Upload, summary: Counts) -> None:
    """The counts, the file's fingerprint, and the one audit event that stands for the batch."""
    batch = db_session.get(ImportBatch, importer.batch_id)
    assert batch is not None
    if summary.created + summary.updated == 0:
        db_session.delete(batch)  # a file that changed nothing leaves no trace, as a single write
        return
    batch.size_bytes = upload.size
    batch.sha256 = upload.sha256()
    for name in ("created", "updated", "unchanged", "rejected"):
        setattr(batch, name, getattr(summary, name))
    db_session.add(batch)
    audit.record(
        db_session=db_session,
        actor=importer.actor,
        clock=importer.clock,
        action=AuditAction.IMPORT,
        entity="import_batch",
        key=str(batch.id),
        after={
            "kind": batch.kind,
            "filename": batch.filename,
            "size_bytes": batch.size_bytes,
            "sha256": batch.sha256,
            "partial": batch.partial,
            "created": batch.created,
            "updated": batch.updated,
            "unchanged": batch.unchanged,
            "rejected": batch.rejected,
        },
    )
