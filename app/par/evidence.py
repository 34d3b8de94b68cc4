"""Evidence of a criterion: files (checked like a task's evidence), links, and plan tasks whose
updates and approved reports are the documents; added and removed by the responsible unit while
the round is open, every change audited."""

from __future__ import annotations

import contextlib
import secrets
from typing import IO

from sqlmodel import Session, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, Invalid, NotFound
from app.par.models import (
    AssessmentStatus,
    EvidenceRef,
    ParAssessment,
    ParCriterion,
    ParEvidence,
    ParItem,
)
from app.par.reads import (
    Context,
    evidence_ref,
    load,
    plan_of,
    require_ward,
    task_states,
)
from app.par.service import ensure_open
from app.permissions import Permission, authorize, authorize_read
from app.plans.models import Assignment
from app.progress.evidence import files
from app.progress.evidence.models import EvidenceLinkCreate
from app.progress.evidence.service import EvidenceLimits, stored_file
from app.progress.evidence.store import EvidenceStore, EvidenceStoreUnavailable
from app.units import service as unit_service

MAX_EVIDENCE_PER_ITEM = 30


# --- evidence ------------------------------------------------------------------------------------


def _evidence_target(
    db_session: Session, actor: Actor, clock: Clock, year: int, criterion: str
) -> tuple[Context, ParItem]:
    require_ward(actor)
    ctx = load(db_session, clock, year, with_values=False)
    item = ctx.item(criterion)
    authorize(actor, Permission.DATA_WRITE, unit_code=ctx.units.get(item.responsible_unit_id or 0))
    ensure_open(ctx)
    if len(ctx.evidence.get(item.id or 0, [])) >= MAX_EVIDENCE_PER_ITEM:
        raise Invalid.one(
            "file",
            "too_many_files",
            f"Mỗi tiêu chí có tối đa {MAX_EVIDENCE_PER_ITEM} tài liệu kiểm chứng.",
        )
    return ctx, item


def _add_evidence(
    db_session: Session, actor: Actor, clock: Clock, ctx: Context, item: ParItem, ev: ParEvidence
) -> EvidenceRef:
    db_session.add(ev)
    db_session.flush()
    states = (
        task_states(db_session, plan_of(db_session, ctx.assessment), ctx.assessment.year,
                    {ev.task_code})
        if ev.task_code
        else {}
    )  # fmt: skip
    ref = evidence_ref(ev, states)
    audit.record(
        db_session=db_session,
        actor=actor,
        clock=clock,
        action=AuditAction.CREATE,
        entity="par_evidence",
        key=f"{ctx.assessment.year}/{ctx.criterion(item).code}/{ev.public_key}",
        after=ref,
    )
    db_session.commit()
    return ref


def attach_file(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    store: EvidenceStore,
    limits: EvidenceLimits,
    year: int,
    criterion: str,
    stream: IO[bytes],
    filename: str,
    note: str = "",
) -> EvidenceRef:
    """A document (decision, report, photo) as the criterion's evidence; checked like a task's
    evidence: size, kind read from the bytes, the name agreeing with them."""
    ctx, item = _evidence_target(db_session, actor, clock, year, criterion)
    with stored_file(stream, filename, store=store, limits=limits) as stored:
        return _add_evidence(
            db_session,
            actor,
            clock,
            ctx,
            item,
            ParEvidence(
                public_key=secrets.token_urlsafe(18),
                item_id=item.id or 0,
                kind="file",
                filename=stored.filename,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                storage_key=stored.storage_key,
                note=files.clean_note(note),
                added_by=actor.username,
                created_at=clock.now(),
            ),
        )


def attach_link(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    criterion: str,
    data: EvidenceLinkCreate,
) -> EvidenceRef:
    ctx, item = _evidence_target(db_session, actor, clock, year, criterion)
    if data.url.scheme not in ("http", "https"):
        raise Invalid.one("url", "url_scheme", "Liên kết phải bắt đầu bằng http:// hoặc https://.")
    return _add_evidence(
        db_session,
        actor,
        clock,
        ctx,
        item,
        ParEvidence(
            public_key=secrets.token_urlsafe(18),
            item_id=item.id or 0,
            kind="link",
            url=str(data.url),
            note=data.note,
            added_by=actor.username,
            created_at=clock.now(),
        ),
    )


def attach_task(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    criterion: str,
    task: str,
    note: str = "",
) -> EvidenceRef:
    """A plan task as evidence: its updates, evidence files and approved reports are the
    documents; the reviewer opens them from the task."""
    ctx, item = _evidence_target(db_session, actor, clock, year, criterion)
    plan = plan_of(db_session, ctx.assessment)
    code = task.strip()
    found = (
        db_session.exec(
            select(Assignment).where(Assignment.plan_id == plan.id, Assignment.code == code)
        ).first()
        if plan is not None
        else None
    )
    if found is None:
        raise Invalid.one("task", "assignment_not_found", f"Kế hoạch không có nhiệm vụ “{code}”.")
    if any(e.task_code == code for e in ctx.evidence.get(item.id or 0, [])):
        raise Conflict(f"Nhiệm vụ {code} đã là minh chứng của tiêu chí này.", code="duplicate")
    return _add_evidence(
        db_session,
        actor,
        clock,
        ctx,
        item,
        ParEvidence(
            public_key=secrets.token_urlsafe(18),
            item_id=item.id or 0,
            kind="task",
            task_code=code,
            note=files.clean_note(note),
            added_by=actor.username,
            created_at=clock.now(),
        ),
    )


def _evidence_row(db_session: Session, key: str) -> tuple[ParEvidence, ParItem]:
    ev = db_session.exec(select(ParEvidence).where(ParEvidence.public_key == key)).first()
    item = db_session.get(ParItem, ev.item_id) if ev is not None else None
    if ev is None or item is None:
        raise NotFound("Không có tài liệu kiểm chứng này.", code="evidence_not_found")
    return ev, item


def remove_evidence(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    store: EvidenceStore,
    key: str,
) -> None:
    require_ward(actor)
    ev, item = _evidence_row(db_session, key)
    assessment = db_session.get(ParAssessment, item.assessment_id)
    criterion = db_session.get(ParCriterion, item.criterion_id)
    assert assessment is not None and criterion is not None
    unit = unit_service.codes_by_id(db_session=db_session, ids=[item.responsible_unit_id])
    authorize(actor, Permission.DATA_WRITE, unit_code=unit.get(item.responsible_unit_id or 0))
    if assessment.status != AssessmentStatus.OPEN:
        raise Conflict("Đợt tự đánh giá đã gửi Thành phố: không gỡ minh chứng được.",
                       code="assessment_closed")  # fmt: skip
    before = evidence_ref(ev)
    storage_key = ev.storage_key
    db_session.delete(ev)
    audit.record(
        db_session=db_session,
        actor=actor,
        clock=clock,
        action=AuditAction.DELETE,
        entity="par_evidence",
        key=f"{assessment.year}/{criterion.code}/{key}",
        before=before,
    )
    db_session.commit()
    if storage_key:
        # the row is gone; an orphan file is never served
        with contextlib.suppress(OSError, EvidenceStoreUnavailable):
            store.delete(storage_key)


def open_evidence(
    *, db_session: Session, actor: Actor, store: EvidenceStore, key: str
) -> tuple[ParEvidence, IO[bytes]]:
    require_ward(actor)
    ev, item = _evidence_row(db_session, key)
    unit = unit_service.codes_by_id(db_session=db_session, ids=[item.responsible_unit_id])
    authorize_read(actor, unit.get(item.responsible_unit_id or 0))
    if ev.kind != "file":
        raise NotFound("Minh chứng này là liên kết, không có tệp.", code="evidence_not_found")
    return ev, store.open(ev.storage_key)
