"""Generating the consolidated report, freezing it as a versioned snapshot, and its settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, NotFound
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.reports import data as report_data
from app.reports.content import ConsolidatedData
from app.reports.models import (
    ReportConfig,
    ReportConfigRead,
    ReportConfigUpdate,
    ReportSnapshot,
    SnapshotRead,
)
from app.scores.schemas import Basis

Format = Literal["docx", "xlsx", "pdf", "json"]
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "json": "application/json",
}


@dataclass(frozen=True)
class ReportFile:
    content: bytes
    media_type: str
    filename: str


def filename(period: str, fmt: str, version: int | None = None) -> str:
    suffix = f"-v{version}" if version else ""
    return f"bao-cao-ke-hoach-84-{period}{suffix}.{fmt}"


def build(
    *, db_session: Session, actor: Actor, clock: Clock, period: str | None, basis: Basis = "all"
) -> ConsolidatedData:
    return report_data.build(
        db_session=db_session, actor=actor, clock=clock, period=period, basis=basis
    )


def render(data: ConsolidatedData, fmt: Format) -> bytes:
    from app.reports import docx_writer, pdf_writer, xlsx_writer  # heavy: on first use

    if fmt == "docx":
        return docx_writer.render(data)
    if fmt == "xlsx":
        return xlsx_writer.render(data)
    if fmt == "pdf":
        return pdf_writer.render(data)
    return data.model_dump_json().encode("utf-8")


def generate(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    period: str | None,
    fmt: Format,
    basis: Basis = "all",
) -> ReportFile:
    """The report as the data stands now (nothing stored); a draft shows everything entered,
    each figure marked with its review state."""
    data = build(db_session=db_session, actor=actor, clock=clock, period=period, basis=basis)
    return ReportFile(render(data, fmt), MEDIA_TYPES[fmt], filename(data.period, fmt))


def _full_names(db_session: Session, usernames: set[str]) -> dict[str, str]:
    """Who marked a version final, by name: the page shows people, not login names."""
    if not usernames:
        return {}
    rows = db_session.exec(
        select(User.username, User.full_name).where(col(User.username).in_(usernames))
    )
    return {username: full_name for username, full_name in rows}


def _snapshot_read(row: ReportSnapshot, names: dict[str, str]) -> SnapshotRead:
    frozen = ConsolidatedData.model_validate(row.data)
    return SnapshotRead(
        period=row.period,
        version=row.version,
        sha256=row.sha256,
        created_by=row.created_by,
        created_by_name=names.get(row.created_by) or row.created_by,
        created_at=row.created_at,
        has_pdf=row.pdf is not None,
        report_date=frozen.report_date,
        basis=frozen.basis,
    )


def mark_final(
    *, db_session: Session, actor: Actor, clock: Clock, period: str | None
) -> SnapshotRead:
    """Freeze the report of a period as its next version: files and data, with who and when.

    Later changes to readings or progress do not touch a snapshot; generating again after them
    and marking final makes a new version, so what went to the meeting can always be shown. A
    final report counts approved reports only: what is signed must not change under review.
    """
    authorize(actor, Permission.REVIEW)
    data = build(db_session=db_session, actor=actor, clock=clock, period=period, basis="approved")
    plan = plan_service.get_plan(db_session=db_session, code=None)
    latest = db_session.exec(
        select(func.max(ReportSnapshot.version)).where(
            ReportSnapshot.plan_id == plan.id, ReportSnapshot.period == data.period
        )
    ).one()
    from app.reports import docx_writer, pdf_writer, xlsx_writer  # heavy: on first use

    docx, xlsx = docx_writer.render(data), xlsx_writer.render(data)
    pdf = pdf_writer.render(data)
    payload = data.model_dump(mode="json")
    row = ReportSnapshot(
        plan_id=plan.id or 0,
        period=data.period,
        version=(latest or 0) + 1,
        data=payload,
        docx=docx,
        xlsx=xlsx,
        pdf=pdf,
        sha256=hashlib.sha256(docx + xlsx).hexdigest(),
        created_by=actor.username,
        created_at=clock.now(),
    )
    db_session.add(row)
    db_session.flush()
    read = _snapshot_read(row, _full_names(db_session, {actor.username}))
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="report_snapshot",
        key=f"{plan.code}/{data.period}/v{row.version}",
        after=read,
        clock=clock,
    )
    db_session.commit()
    return read


def list_snapshots(
    *, db_session: Session, actor: Actor, period: str | None = None
) -> list[SnapshotRead]:
    authorize(actor, Permission.READ_ALL)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    query = select(ReportSnapshot).where(ReportSnapshot.plan_id == plan.id)
    if period:
        query = query.where(ReportSnapshot.period == period)
    rows = db_session.exec(
        query.order_by(col(ReportSnapshot.period).desc(), col(ReportSnapshot.version).desc())
    )
    found = list(rows)
    names = _full_names(db_session, {r.created_by for r in found})
    return [_snapshot_read(r, names) for r in found]


def snapshot_file(
    *, db_session: Session, actor: Actor, period: str, version: int, fmt: Format
) -> ReportFile:
    """A frozen version exactly as it was marked final."""
    authorize(actor, Permission.READ_ALL)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    row = db_session.exec(
        select(ReportSnapshot).where(
            ReportSnapshot.plan_id == plan.id,
            ReportSnapshot.period == period,
            ReportSnapshot.version == version,
        )
    ).first()
    if row is None:
        raise NotFound(
            f"Chưa có báo cáo chốt phiên bản {version} cho kỳ {period}.", code="snapshot_not_found"
        )
    if fmt == "docx":
        content = row.docx
    elif fmt == "xlsx":
        content = row.xlsx
    elif fmt == "pdf":
        if row.pdf is None:
            raise NotFound(
                f"Phiên bản {version} kỳ {period} được chốt trước khi có bản PDF; "
                "hãy tải bản Word hoặc chốt lại báo cáo.",
                code="snapshot_pdf_missing",
            )
        content = row.pdf
    else:
        import json

        content = json.dumps(row.data, ensure_ascii=False).encode("utf-8")
    return ReportFile(content, MEDIA_TYPES[fmt], filename(period, fmt, version))


def get_config(*, db_session: Session, actor: Actor) -> ReportConfigRead:
    authorize(actor, Permission.READ_ALL)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    return report_data.config_for(db_session=db_session, plan=plan)


def update_config(
    *, db_session: Session, actor: Actor, clock: Clock, data: ReportConfigUpdate
) -> ReportConfigRead:
    """Change the issuing body, signer or recipients of the ward's report (coordinators)."""
    authorize(actor, Permission.REVIEW)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    before = report_data.config_for(db_session=db_session, plan=plan)
    if data.version is not None and data.version != before.version:
        raise Conflict(
            "Cấu hình báo cáo vừa được người khác sửa; hãy tải lại.",
            code="stale_version",
            errors=[FieldError("version", "stale_version", "Phiên bản đã cũ.")],
        )
    row = db_session.exec(select(ReportConfig).where(ReportConfig.plan_id == plan.id)).first()
    if row is None:
        row = ReportConfig(
            plan_id=plan.id or 0,
            **before.model_dump(exclude={"version"}),
            version=0,
            updated_at=clock.now(),
        )
    for name, value in data.model_dump(exclude_unset=True, exclude={"version"}).items():
        if value is not None:
            setattr(
                row,
                name,
                [r.strip() for r in value if r.strip()] if name == "recipients" else value.strip(),
            )
    row.version += 1
    row.updated_at = clock.now()
    db_session.add(row)
    db_session.flush()
    after = ReportConfigRead.model_validate(row)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="report_config",
        key=plan.code,
        before=before,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after
